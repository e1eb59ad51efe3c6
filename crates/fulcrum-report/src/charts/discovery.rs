//! The chart of a PRIM scenario discovery (`discover.svg`): the peeling trajectory's trade-off
//! between coverage and density, the selected box marked, and the selected box's limits on each
//! restricted input as a share of the input's range.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    BAD_COLOUR, BOX_COLOUR, BOX_EDGE_COLOUR, ChartError, GUIDE_COLOUR, Header, LegendEntry, Mark, POINT_COLOUR,
    POINT_LABEL_PX, TEXT_COLOUR, WIDTH, clean_text, draw_notes, font, notes_height, nothing_to_show, number_text,
    render, wrap_notes, xy_plot,
};

/// One restricted input of the selected box.
#[derive(Clone, Debug, PartialEq)]
pub struct DiscoveryLimit {
    /// The input's name.
    pub name: String,
    /// The box's limits.
    pub low: f64,
    /// The box's upper limit.
    pub high: f64,
    /// The input's range in the runs.
    pub range: (f64, f64),
}

/// What `discover.svg` shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Discovery {
    /// The title.
    pub title: String,
    /// Each box's (coverage, density), in trajectory order.
    pub trajectory: Vec<(f64, f64)>,
    /// The selected box's index, if any.
    pub selected: Option<usize>,
    /// The density threshold.
    pub threshold: f64,
    /// The selected box's restricted inputs.
    pub limits: Vec<DiscoveryLimit>,
}

/// Draws the trade-off curve and the box limits.
pub fn discovery(chart: &Discovery) -> Result<String, ChartError> {
    const NAME: &str = "discovery";
    let title = clean_text(&chart.title);
    if chart.trajectory.is_empty() {
        return nothing_to_show(NAME, &title, "There is no trajectory to show.");
    }
    let legend = [
        LegendEntry::new(Mark::Dot(POINT_COLOUR), "box of the peeling and pasting trajectory"),
        LegendEntry::new(Mark::Dot(BAD_COLOUR), "selected box"),
        LegendEntry::new(Mark::Dashed(GUIDE_COLOUR), "density threshold"),
        LegendEntry::new(Mark::Box(BOX_COLOUR, BOX_EDGE_COLOUR), "selected box's limits (share of the range)"),
    ];
    let header = Header::new(&title, &legend);
    let top = header.height();
    let curve_height = 420;
    let row = 30;
    let limits_height = if chart.limits.is_empty() { 0 } else { 60 + row * chart.limits.len() as u32 };
    let mut notes = vec![
        "Coverage: the share of all cases of interest inside a box. Density: the share of a box's runs that are \
         cases of interest. Peeling moves from the lower right to the upper left."
            .to_owned(),
    ];
    if chart.limits.is_empty() {
        notes.push("The selected box restricts no input.".to_owned());
    }
    let notes = wrap_notes(&notes);
    let height = top + curve_height + limits_height + notes_height(&notes);
    render(NAME, (WIDTH, height), |root| {
        header.draw(root)?;
        let (_, below) = root.split_vertically(top);
        let (curve_area, rest) = below.split_vertically(curve_height);
        let plot = xy_plot(&curve_area, ((0.0, 1.0), (0.0, 1.0)), ("coverage".to_owned(), "density".to_owned()), 6)?;
        let area = plot.plotting_area();
        area.draw(&DashedPathElement::new(
            vec![(0.0, chart.threshold), (1.0, chart.threshold)],
            6,
            4,
            GUIDE_COLOUR.stroke_width(1),
        ))?;
        area.draw(&PathElement::new(chart.trajectory.clone(), POINT_COLOUR.stroke_width(1)))?;
        for &(coverage, density) in &chart.trajectory {
            area.draw(&Circle::new((coverage, density), 3, POINT_COLOUR.filled()))?;
        }
        if let Some(&(coverage, density)) = chart.selected.and_then(|index| chart.trajectory.get(index)) {
            area.draw(&Circle::new((coverage, density), 6, BAD_COLOUR.filled()))?;
        }
        if !chart.limits.is_empty() {
            let (limits_area, _) = rest.split_vertically(limits_height);
            let rows = chart.limits.len() as f64;
            let plot = xy_plot(
                &limits_area,
                ((0.0, 1.0), (0.0, rows)),
                ("share of the input's range".to_owned(), String::new()),
                6,
            )?;
            let area = plot.plotting_area();
            for (index, limit) in chart.limits.iter().enumerate() {
                let (low, high) = limit.range;
                let span = if high > low { high - low } else { 1.0 };
                let from = ((limit.low - low) / span).clamp(0.0, 1.0);
                let to = ((limit.high - low) / span).clamp(0.0, 1.0);
                let y = rows - index as f64 - 0.5;
                area.draw(&Rectangle::new([(from, y - 0.3), (to, y + 0.3)], BOX_COLOUR.filled()))?;
                area.draw(&Rectangle::new([(from, y - 0.3), (to, y + 0.3)], BOX_EDGE_COLOUR.stroke_width(1)))?;
                let (x, y_pixel) = plot.backend_coord(&(0.0, y));
                let label = format!("{}: {} to {}", limit.name, number_text(limit.low, 3), number_text(limit.high, 3));
                root.draw(&Text::new(
                    label,
                    (x + 4, y_pixel - 12),
                    font(POINT_LABEL_PX, TEXT_COLOUR, FontStyle::Normal).pos(Pos::new(HPos::Left, VPos::Bottom)),
                ))?;
            }
        }
        draw_notes(root, &notes, top + curve_height + limits_height)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn the_chart_is_well_formed_and_names_the_restricted_inputs() {
        let chart = Discovery {
            title: "Where `backlog > 5000` holds".to_owned(),
            trajectory: vec![(1.0, 0.1), (1.0, 0.2), (0.95, 0.6), (0.9, 0.85)],
            selected: Some(3),
            threshold: 0.8,
            limits: vec![
                DiscoveryLimit { name: "demand growth".to_owned(), low: 0.3, high: 0.4, range: (0.1, 0.4) },
                DiscoveryLimit { name: "attrition".to_owned(), low: 0.01, high: 0.02, range: (0.005, 0.03) },
            ],
        };
        let svg = discovery(&chart).unwrap();
        let document = roxmltree::Document::parse(&svg).expect("well-formed SVG");
        let text: String = document.descendants().filter_map(|node| node.text()).collect();
        for expected in
            ["backlog > 5000", "demand growth: 0.3 to 0.4", "attrition: 0.01 to 0.02", "coverage", "density"]
        {
            assert!(text.contains(expected), "no `{expected}` in the chart's text: {text}");
        }
        let empty = discovery(&Discovery::default()).unwrap();
        assert!(empty.contains("There is no trajectory to show."));
    }
}
