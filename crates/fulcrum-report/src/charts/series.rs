//! Charts of variables through time: one run's variables as small multiples ([`run`]), and a
//! sweep's bands of one variable as a fan ([`fan`]).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    Area, ChartError, Failure, GUIDE_COLOUR, Header, LegendEntry, MARGIN, Mark, PALETTE, RangeStyle, TEXT_COLOUR,
    WIDTH, axis_extent, clean_text, draw_notes, font, name_or, notes_height, nothing_to_show, plot_value, render,
    wrap_notes, wrap_to_lines, xy_plot,
};

/// One variable of a run, drawn in a panel of its own.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunPanel {
    /// The variable's name.
    pub variable: String,
    /// Its unit, if the model gives one: the panel's vertical axis.
    pub unit: Option<String>,
    /// (time, value) in time order; NaN values leave gaps.
    pub points: Vec<(f64, f64)>,
}

/// A run's variables over time: one panel, or small multiples two to a row, each with its own
/// vertical axis in its variable's unit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunChart {
    /// The chart's title.
    pub title: String,
    /// The horizontal axis: time, with its unit if known.
    pub time: String,
    /// One panel per variable, in this order.
    pub panels: Vec<RunPanel>,
    /// Notes under the panels (e.g. which variables were left out).
    pub notes: Vec<String>,
}

/// The bands of one variable at one saved time, over a sweep's runs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FanPoint {
    /// The saved time.
    pub time: f64,
    /// The mean over runs.
    pub mean: f64,
    /// The 5th, 25th, 50th, 75th and 95th percentiles over runs.
    pub p05: f64,
    /// The 25th percentile.
    pub p25: f64,
    /// The median.
    pub p50: f64,
    /// The 75th percentile.
    pub p75: f64,
    /// The 95th percentile.
    pub p95: f64,
}

/// A fan chart of one variable over a sweep's runs: P5–P95 and P25–P75 shaded, the median and
/// the mean as lines.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fan {
    /// The chart's title.
    pub title: String,
    /// The vertical axis: the variable, with its unit if known.
    pub variable: String,
    /// The horizontal axis: time, with its unit if known.
    pub time: String,
    /// The bands at each saved time, in time order.
    pub points: Vec<FanPoint>,
    /// Notes under the plot (e.g. how many runs the bands are over).
    pub notes: Vec<String>,
}

const OUTER_BAND: RGBColor = RGBColor(0xcf, 0xe3, 0xf1);
const INNER_BAND: RGBColor = RGBColor(0x8c, 0xbd, 0xdf);
const MEAN_LINE: RGBColor = RGBColor(0x00, 0x3f, 0x6e);
const MEDIAN_LINE: RGBColor = RGBColor(0xd5, 0x5e, 0x00);
const PANEL_HEIGHT: u32 = 250;
const PANEL_TITLE_PX: f64 = 13.0;

/// Draws a run's variables over time: one panel per variable, each titled with its name and
/// with its own vertical axis in its unit; two panels to a row when there are several.
pub fn run(chart: &RunChart) -> Result<String, ChartError> {
    const NAME: &str = "run";
    let title = clean_text(&chart.title);
    // Each panel's runs of plottable points, split where a value is missing.
    type Lines = Vec<Vec<(f64, f64)>>;
    let panels: Vec<(&RunPanel, Lines)> =
        chart.panels.iter().map(|panel| (panel, segments(panel.points.iter().copied()))).collect();
    if panels.is_empty() {
        return nothing_to_show(NAME, &title, "There are no variables to show.");
    }
    let columns: u32 = if panels.len() == 1 { 1 } else { 2 };
    let rows = (panels.len() as u32).div_ceil(columns);
    let header_block = Header::new(&title, &[]);
    let header = header_block.height();
    let panel_height = if columns == 1 { 2 * PANEL_HEIGHT } else { PANEL_HEIGHT };
    let grid_height = rows * panel_height;
    let notes = wrap_notes(&chart.notes);
    let height = header + grid_height + notes_height(&notes);
    let time = name_or(&chart.time, "time");
    render(NAME, (WIDTH, height), |root| {
        header_block.draw(root)?;
        let (_, below) = root.split_vertically(header);
        let (grid, _) = below.split_vertically(grid_height);
        let cells = grid.split_evenly((rows as usize, columns as usize));
        for ((panel, lines), cell) in panels.iter().zip(&cells) {
            draw_panel(cell, panel, lines, &time)?;
        }
        draw_notes(root, &notes, header + grid_height)?;
        Ok(())
    })
}

/// One panel of a run chart: its title on one line, then the plot.
fn draw_panel(cell: &Area<'_>, panel: &RunPanel, lines: &[Vec<(f64, f64)>], time: &str) -> Result<(), Failure> {
    let (width, _) = cell.dim_in_pixel();
    let name = name_or(&panel.variable, "(unnamed)");
    let unit = panel.unit.as_deref().map(clean_text).filter(|unit| !unit.is_empty());
    let heading = match &unit {
        Some(unit) => format!("{name} ({unit})"),
        None => name.clone(),
    };
    let heading = wrap_to_lines(&heading, f64::from(width) - 2.0 * f64::from(MARGIN), PANEL_TITLE_PX, 1);
    cell.draw(&Text::new(
        heading.join(" "),
        (width as i32 / 2, 6),
        font(PANEL_TITLE_PX, TEXT_COLOUR, FontStyle::Bold).pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    let (_, plot_area) = cell.split_vertically(26);
    let points = || lines.iter().flatten();
    if points().next().is_none() {
        let (_, height) = plot_area.dim_in_pixel();
        plot_area.draw(&Text::new(
            "no values to show".to_owned(),
            (width as i32 / 2, height as i32 / 2),
            font(PANEL_TITLE_PX - 1.0, GUIDE_COLOUR, FontStyle::Italic).pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
        return Ok(());
    }
    let x_extent = axis_extent(points().map(|p| p.0), &[], RangeStyle::Padded);
    let y_extent = axis_extent(points().map(|p| p.1), &[], RangeStyle::Padded);
    let vertical = unit.unwrap_or_else(|| name.clone());
    let plot =
        xy_plot(&plot_area, (x_extent, y_extent), (time.to_owned(), vertical), if width < WIDTH { 5 } else { 10 })?;
    for line in lines {
        plot.plotting_area().draw(&PathElement::new(line.clone(), PALETTE[0].stroke_width(2)))?;
    }
    Ok(())
}

/// Draws a fan chart of one variable: the P5–P95 and P25–P75 bands shaded, the median dashed
/// and the mean solid. A time at which any of them is missing breaks the bands and lines.
pub fn fan(chart: &Fan) -> Result<String, ChartError> {
    const NAME: &str = "fan";
    let title = clean_text(&chart.title);
    // Stretches of times at which every band is known.
    let mut stretches: Vec<Vec<[f64; 7]>> = vec![Vec::new()];
    for point in &chart.points {
        let values = [point.time, point.mean, point.p05, point.p25, point.p50, point.p75, point.p95].map(plot_value);
        match values {
            [Some(t), Some(mean), Some(p05), Some(p25), Some(p50), Some(p75), Some(p95)] => {
                stretches.last_mut().map_or((), |stretch| stretch.push([t, mean, p05, p25, p50, p75, p95]))
            }
            _ => stretches.push(Vec::new()),
        }
    }
    stretches.retain(|stretch| !stretch.is_empty());
    if stretches.is_empty() {
        return nothing_to_show(NAME, &title, "There are no bands to show.");
    }
    let all = || stretches.iter().flatten();
    let x_extent = axis_extent(all().map(|p| p[0]), &[], RangeStyle::Padded);
    let y_extent = axis_extent(all().flat_map(|p| p[1..].to_vec()), &[], RangeStyle::Padded);
    let legend = [
        LegendEntry::new(Mark::Area(OUTER_BAND), "P5–P95"),
        LegendEntry::new(Mark::Area(INNER_BAND), "P25–P75"),
        LegendEntry::new(Mark::Dashed(MEDIAN_LINE), "median"),
        LegendEntry::new(Mark::Line(MEAN_LINE), "mean"),
    ];
    let header_block = Header::new(&title, &legend);
    let header = header_block.height();
    let notes = wrap_notes(&chart.notes);
    let plot_height = 420;
    let height = header + plot_height + notes_height(&notes);
    let (variable, time) = (name_or(&chart.variable, "value"), name_or(&chart.time, "time"));
    render(NAME, (WIDTH, height), |root| {
        header_block.draw(root)?;
        let (_, below) = root.split_vertically(header);
        let (plot_area, _) = below.split_vertically(plot_height);
        let plot = xy_plot(&plot_area, (x_extent, y_extent), (time, variable), 10)?;
        let area = plot.plotting_area();
        for stretch in &stretches {
            for ((low, high), colour) in [((2, 6), OUTER_BAND), ((3, 5), INNER_BAND)] {
                let mut outline: Vec<(f64, f64)> = stretch.iter().map(|p| (p[0], p[high])).collect();
                outline.extend(stretch.iter().rev().map(|p| (p[0], p[low])));
                area.draw(&Polygon::new(outline, colour.filled()))?;
            }
        }
        for stretch in &stretches {
            let median: Vec<(f64, f64)> = stretch.iter().map(|p| (p[0], p[4])).collect();
            area.draw(&plotters::element::DashedPathElement::new(median, 6, 4, MEDIAN_LINE.stroke_width(2)))?;
            let mean: Vec<(f64, f64)> = stretch.iter().map(|p| (p[0], p[1])).collect();
            area.draw(&PathElement::new(mean, MEAN_LINE.stroke_width(2)))?;
        }
        draw_notes(root, &notes, header + plot_height)?;
        Ok(())
    })
}

/// Stretches of plottable (time, value) points, split where either is missing.
fn segments(points: impl Iterator<Item = (f64, f64)>) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (time, value) in points {
        match (plot_value(time), plot_value(value)) {
            (Some(time), Some(value)) => runs.last_mut().map_or((), |run| run.push((time, value))),
            _ => runs.push(Vec::new()),
        }
    }
    runs.retain(|run| !run.is_empty());
    runs
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::super::tests::{assert_finite_geometry, assert_no_overlap, filled_rects, texts};
    use super::*;

    fn band(time: f64, centre: f64) -> FanPoint {
        FanPoint {
            time,
            mean: centre + 0.5,
            p05: centre - 10.0,
            p25: centre - 3.0,
            p50: centre,
            p75: centre + 3.0,
            p95: centre + 12.0,
        }
    }

    /// Both bands shaded, mean and median drawn, the axis covering P5 to P95; a missing value
    /// breaks the fan into two.
    #[test]
    fn fan_shades_both_bands_and_breaks_at_missing_values() {
        let mut points: Vec<FanPoint> = (0..20).map(|t| band(t as f64, 100.0 + t as f64)).collect();
        let chart = Fan {
            title: "Workforce over 200 runs".into(),
            variable: "Workforce (people)".into(),
            time: "time (months)".into(),
            points: points.clone(),
            notes: vec!["Shaded: the middle 90% and the middle half.".into()],
        };
        let svg = fan(&chart).unwrap();
        let document = roxmltree::Document::parse(&svg).unwrap();
        let fill = |colour: RGBColor| format!("#{:02X}{:02X}{:02X}", colour.0, colour.1, colour.2);
        let polygons = |colour| {
            document
                .descendants()
                .filter(|n| n.has_tag_name("polygon") && n.attribute("fill") == Some(&fill(colour)))
                .count()
        };
        assert_eq!((polygons(OUTER_BAND), polygons(INNER_BAND)), (1, 1));
        assert_eq!((filled_rects(&svg, OUTER_BAND), filled_rects(&svg, INNER_BAND)), (1, 1), "legend marks");
        let found = texts(&svg);
        for text in ["P5–P95", "P25–P75", "median", "mean", "Workforce (people)", "time (months)"] {
            assert!(found.iter().any(|t| t == text), "`{text}` in {found:?}");
        }
        let (_, vertical) = super::super::tests::ticks(&svg);
        let values: Vec<f64> = vertical.iter().map(|t| t.1).collect();
        let (low, high) =
            (values.iter().copied().fold(f64::INFINITY, f64::min), values.iter().copied().fold(0.0, f64::max));
        assert!(
            (80.0..=100.0).contains(&low) && (120.0..=140.0).contains(&high),
            "the axis covers P5..P95: {values:?}"
        );
        assert_no_overlap(&svg);
        assert_finite_geometry(&svg);

        points[7].p95 = f64::NAN;
        let svg = fan(&Fan { points, ..chart.clone() }).unwrap();
        let document = roxmltree::Document::parse(&svg).unwrap();
        let count = document
            .descendants()
            .filter(|n| n.has_tag_name("polygon") && n.attribute("fill") == Some(&fill(OUTER_BAND)))
            .count();
        assert_eq!(count, 2, "a gap at the missing value");
        let empty = Fan { points: vec![], ..chart };
        assert!(texts(&fan(&empty).unwrap()).iter().any(|t| t.starts_with("There are no")));
    }

    /// A panel per variable, each titled with its name and unit and with the unit on its
    /// vertical axis; nothing overlaps.
    #[test]
    fn run_chart_has_a_panel_per_variable_with_its_unit() {
        let panel = |name: &str, unit: Option<&str>, scale: f64| RunPanel {
            variable: name.into(),
            unit: unit.map(str::to_owned),
            points: (0..61).map(|t| (t as f64, scale * (1.0 + (t as f64 / 10.0).sin()))).collect(),
        };
        let chart = RunChart {
            title: "ai_lever/model.toml: stocks over time".into(),
            time: "time (months)".into(),
            panels: vec![
                panel("Case Backlog", Some("cases"), 10_000.0),
                panel("Juniors", Some("people"), 100.0),
                panel("AI Trust", None, 0.4),
            ],
            notes: vec!["Not drawn (2 more): A, B; choose the variables with --vars.".into()],
        };
        let svg = run(&chart).unwrap();
        let found = texts(&svg);
        for text in ["Case Backlog (cases)", "Juniors (people)", "AI Trust", "cases", "people", "time (months)"] {
            assert!(found.iter().any(|t| t == text), "`{text}` in {found:?}");
        }
        let document = roxmltree::Document::parse(&svg).unwrap();
        let lines = document
            .descendants()
            .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("2"))
            .count();
        assert_eq!(lines, 3, "one line per panel");
        assert!(found.iter().any(|t| t.starts_with("Not drawn (2 more)")));
        assert_no_overlap(&svg);
        assert_finite_geometry(&svg);
        // One variable fills the width.
        let one = RunChart { panels: vec![panel("Juniors", Some("people"), 100.0)], ..chart.clone() };
        assert_no_overlap(&run(&one).unwrap());
        let none = RunChart { panels: vec![], ..chart };
        assert!(texts(&run(&none).unwrap()).iter().any(|t| t.starts_with("There are no")));
    }
}
