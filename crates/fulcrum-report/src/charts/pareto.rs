//! The chart of a search's trade-off front (`pareto.svg`): with two objectives a scatter of the
//! non-dominated candidates, with more a parallel-coordinates plot (one vertical axis per
//! objective, each scaled to its own range, a line per candidate), the baseline marked in both.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    BAD_COLOUR, ChartError, GRID_COLOUR, Header, LegendEntry, Mark, POINT_COLOUR, POINT_LABEL_PX, TEXT_COLOUR, WIDTH,
    clean_text, draw_notes, font, notes_height, nothing_to_show, number_text, render, wrap_notes, xy_plot,
};

/// What `pareto.svg` shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pareto {
    /// The title.
    pub title: String,
    /// Each objective's name, as in pareto.csv, with which way is better.
    pub objectives: Vec<String>,
    /// One row per candidate on the front: its value for each objective, in the outcome's units.
    pub candidates: Vec<Vec<f64>>,
    /// The baseline policy's values, if it was evaluated.
    pub baseline: Option<Vec<f64>>,
}

/// The smallest and largest finite value of objective `index` over the candidates and baseline.
fn extent(chart: &Pareto, index: usize) -> (f64, f64) {
    let values = chart.candidates.iter().chain(chart.baseline.iter()).filter_map(|row| row.get(index).copied());
    let (low, high) = values
        .filter(|value| value.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), value| (low.min(value), high.max(value)));
    if !low.is_finite() {
        return (0.0, 1.0);
    }
    if high > low {
        let pad = (high - low) * 0.05;
        (low - pad, high + pad)
    } else {
        let pad = if low == 0.0 { 1.0 } else { low.abs() * 0.05 };
        (low - pad, high + pad)
    }
}

/// Draws the front.
pub fn pareto(chart: &Pareto) -> Result<String, ChartError> {
    const NAME: &str = "pareto";
    let title = clean_text(&chart.title);
    if chart.candidates.is_empty() || chart.objectives.is_empty() {
        return nothing_to_show(NAME, &title, "No candidate is on the front.");
    }
    let legend = [
        LegendEntry::new(Mark::Dot(POINT_COLOUR), "candidate on the trade-off front"),
        LegendEntry::new(Mark::Dot(BAD_COLOUR), "baseline policy"),
    ];
    let header = Header::new(&title, &legend);
    let top = header.height();
    let plot_height = 460;
    let note = if chart.objectives.len() == 2 {
        "Each point is a candidate no other candidate beats on both objectives at once."
    } else {
        "Each line is a candidate no other candidate beats on every objective at once; each axis runs from the \
         smallest to the largest value on the front (and the baseline), with the values at its ends."
    };
    let notes = wrap_notes(&[note.to_owned()]);
    let height = top + plot_height + notes_height(&notes);
    render(NAME, (WIDTH, height), |root| {
        header.draw(root)?;
        let (_, below) = root.split_vertically(top);
        let (plot_area, _) = below.split_vertically(plot_height);
        if chart.objectives.len() == 2 {
            let plot = xy_plot(
                &plot_area,
                (extent(chart, 0), extent(chart, 1)),
                (chart.objectives[0].clone(), chart.objectives[1].clone()),
                6,
            )?;
            let area = plot.plotting_area();
            for row in &chart.candidates {
                area.draw(&Circle::new((row[0], row[1]), 4, POINT_COLOUR.filled()))?;
            }
            if let Some(baseline) = &chart.baseline {
                area.draw(&Circle::new((baseline[0], baseline[1]), 6, BAD_COLOUR.filled()))?;
            }
        } else {
            let axes = chart.objectives.len();
            let extents: Vec<(f64, f64)> = (0..axes).map(|index| extent(chart, index)).collect();
            let scaled = |row: &[f64]| -> Vec<(f64, f64)> {
                (0..axes)
                    .map(|index| {
                        let (low, high) = extents[index];
                        (index as f64, (row[index] - low) / (high - low))
                    })
                    .collect()
            };
            let x_range = (-0.5, axes as f64 - 0.5);
            let plot = xy_plot(
                &plot_area,
                (x_range, (-0.08, 1.08)),
                (String::new(), "share of the axis' range".to_owned()),
                0,
            )?;
            let area = plot.plotting_area();
            for (index, &(low, high)) in extents.iter().enumerate() {
                let x = index as f64;
                area.draw(&PathElement::new(vec![(x, 0.0), (x, 1.0)], GRID_COLOUR.stroke_width(2)))?;
                for (value, y, anchor, offset) in [(high, 1.0, VPos::Bottom, -4), (low, 0.0, VPos::Top, 4)] {
                    let (px, py) = plot.backend_coord(&(x, y));
                    root.draw(&Text::new(
                        number_text(value, 3),
                        (px, py + offset),
                        font(POINT_LABEL_PX, TEXT_COLOUR, FontStyle::Normal).pos(Pos::new(HPos::Center, anchor)),
                    ))?;
                }
                // Neighbouring names alternate between two rows so that long ones do not overlap.
                let (px, py) = plot.backend_coord(&(x, -0.08));
                let row = if index % 2 == 0 { 8 } else { 26 };
                root.draw(&Text::new(
                    clean_text(&chart.objectives[index]),
                    (px, py + row),
                    font(POINT_LABEL_PX, TEXT_COLOUR, FontStyle::Normal).pos(Pos::new(HPos::Center, VPos::Top)),
                ))?;
            }
            for row in &chart.candidates {
                area.draw(&PathElement::new(scaled(row), POINT_COLOUR.mix(0.5).stroke_width(1)))?;
            }
            if let Some(baseline) = &chart.baseline {
                area.draw(&PathElement::new(scaled(baseline), BAD_COLOUR.stroke_width(3)))?;
            }
        }
        draw_notes(root, &notes, top + plot_height)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn text_of(svg: &str) -> String {
        let document = roxmltree::Document::parse(svg).expect("well-formed SVG");
        document.descendants().filter_map(|node| node.text()).collect()
    }

    #[test]
    fn two_objectives_are_a_scatter_with_both_names() {
        let chart = Pareto {
            title: "Trade-off front".to_owned(),
            objectives: vec!["output (higher is better)".to_owned(), "cost (lower is better)".to_owned()],
            candidates: vec![vec![1.0, 10.0], vec![2.0, 20.0], vec![3.0, 35.0]],
            baseline: Some(vec![0.5, 0.0]),
        };
        let svg = pareto(&chart).unwrap();
        let text = text_of(&svg);
        for expected in ["output (higher is better)", "cost (lower is better)", "Trade-off front", "baseline"] {
            assert!(text.contains(expected), "no `{expected}` in {text}");
        }
        // Three candidates (radius 4, as are the legend's two dots) and the baseline (radius 6).
        assert_eq!(svg.matches(r#"r="4""#).count(), 3 + 2, "{svg}");
        assert_eq!(svg.matches(r#"r="6""#).count(), 1, "{svg}");
    }

    #[test]
    fn three_objectives_are_parallel_axes_with_each_ends_value() {
        let chart = Pareto {
            title: "Front".to_owned(),
            objectives: vec!["a".to_owned(), "b".to_owned(), "c".to_owned()],
            candidates: vec![vec![1.0, 200.0, 7.0], vec![3.0, 100.0, 9.0]],
            baseline: None,
        };
        let svg = pareto(&chart).unwrap();
        let text = text_of(&svg);
        // Each axis is padded by 5% of its range: a runs from 0.9 to 3.1, b from 95 to 205.
        for expected in ["3.1", "0.9", "205", "95", "9.1", "6.9"] {
            assert!(text.contains(expected), "no `{expected}` in {text}");
        }
        let empty = pareto(&Pareto::default()).unwrap();
        assert!(empty.contains("No candidate is on the front."));
    }
}
