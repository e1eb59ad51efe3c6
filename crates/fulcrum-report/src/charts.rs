//! The analysis charts as SVG text, drawn with plotters' SVG backend.
//!
//! - [`tornado`]: one-at-a-time sensitivity of one outcome, parameter by parameter.
//! - [`morris`]: Morris μ* against σ, one labelled point per parameter.
//! - [`indices`]: sensitivity indices with confidence whiskers (Sobol S1 and ST, PRCC, SRC).
//! - [`leverage`]: leverage scores of levers, with their spread over futures and bootstrap CI.
//! - [`differences`]: paired differences of intervention options to the baseline, as box plots.
//!
//! Each function takes a plain data struct and returns the SVG document as a `String`, the same
//! bytes for the same input. Text is emitted as SVG `<text>` elements in the viewer's sans-serif
//! font, so nothing here reads a font file. A NaN (or infinite) value is a missing value: it is
//! left out of the picture, never drawn at a made-up place. A chart with nothing to show is still
//! a valid SVG that says so.
//!
//! ```
//! use fulcrum_report::charts::{Tornado, TornadoBar, tornado};
//!
//! let chart = Tornado {
//!     title: "Backlog at 2030, one parameter at a time".into(),
//!     outcome: "Backlog (tickets)".into(),
//!     baseline: 120.0,
//!     bars: vec![TornadoBar { parameter: "hiring delay".into(), low: 100.0, high: 150.0 }],
//! };
//! let svg = tornado(&chart)?;
//! assert!(svg.starts_with("<svg"));
//! # Ok::<(), fulcrum_report::charts::ChartError>(())
//! ```

use fulcrum_explore::Better;
use fulcrum_explore::bands::quantiles_of;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

mod discovery;
mod pareto;
mod series;

pub use discovery::{Discovery, DiscoveryLimit, discovery};
pub use pareto::{Pareto, pareto};
pub use series::{Fan, FanPoint, RunChart, RunPanel, fan, run};

/// What can go wrong drawing a chart. Bad data never is: missing values are left out and empty
/// inputs give a chart that says there is nothing to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChartError {
    /// The drawing library reported an error.
    #[error("cannot draw the {chart} chart: {message}")]
    Drawing {
        /// Which chart: `tornado`, `morris`, `indices`, `leverage` or `differences`.
        chart: &'static str,
        /// The drawing library's message.
        message: String,
    },
}

/// One parameter of a tornado chart: the outcome with this parameter at its low and at its high
/// value, every other parameter at its baseline.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TornadoBar {
    /// The parameter's name as written in the model.
    pub parameter: String,
    /// The outcome with the parameter at its low value (NaN if missing).
    pub low: f64,
    /// The outcome with the parameter at its high value (NaN if missing).
    pub high: f64,
}

/// A tornado chart of one outcome.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tornado {
    /// The chart's title.
    pub title: String,
    /// The outcome's name (and unit), the label of the horizontal axis.
    pub outcome: String,
    /// The outcome with every parameter at its baseline, where the bars start.
    pub baseline: f64,
    /// One bar per parameter, in any order: the chart sorts them by swing.
    pub bars: Vec<TornadoBar>,
}

/// One parameter of a Morris chart.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MorrisPoint {
    /// The parameter's name.
    pub parameter: String,
    /// μ*, the mean absolute elementary effect.
    pub mu_star: f64,
    /// σ, the standard deviation of the elementary effects.
    pub sigma: f64,
    /// The confidence interval of μ* (low, high), drawn as a horizontal error bar.
    pub mu_star_interval: Option<(f64, f64)>,
}

/// A Morris screening chart of one outcome: μ* against σ.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Morris {
    /// The chart's title.
    pub title: String,
    /// The outcome's name, used in the axis labels.
    pub outcome: String,
    /// One point per parameter.
    pub points: Vec<MorrisPoint>,
}

/// One measure of one parameter, with its confidence interval.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IndexValue {
    /// The measure's name (`S1`, `ST`, `PRCC`, `SRC`, ...): bars of the same measure share a
    /// colour and a legend entry.
    pub measure: String,
    /// The estimate.
    pub value: f64,
    /// The low end of its confidence interval (NaN if none).
    pub low: f64,
    /// The high end of its confidence interval (NaN if none).
    pub high: f64,
}

/// The measures of one parameter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IndexRow {
    /// The parameter's name.
    pub parameter: String,
    /// Its measures, drawn side by side in this order.
    pub values: Vec<IndexValue>,
}

/// A chart of sensitivity indices: Sobol S1 and ST side by side, or one correlation measure.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Indices {
    /// The chart's title.
    pub title: String,
    /// The label of the horizontal axis, e.g. "Sobol index of Backlog".
    pub axis: String,
    /// A range the axis always shows, e.g. (-1, 1) for correlation coefficients; the axis
    /// widens beyond it if values do.
    pub range: Option<(f64, f64)>,
    /// One row per parameter; the chart sorts them by their largest absolute value.
    pub rows: Vec<IndexRow>,
}

/// One lever of a leverage chart.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LeverageBar {
    /// The lever's name.
    pub lever: String,
    /// The leverage score: the median elasticity of the outcome over futures.
    pub score: f64,
    /// The 10th percentile of the elasticity over futures.
    pub p10: f64,
    /// The 90th percentile of the elasticity over futures.
    pub p90: f64,
    /// The bootstrap confidence interval of the score (low, high).
    pub interval: (f64, f64),
    /// Whether the lever is disproportionate by the sensitivity crate's rule (|score| > 1,
    /// consistent sign, CI beyond ±1); such bars are outlined.
    pub disproportionate: bool,
    /// Whether raising the lever raises the outcome (from the slope, which stays right where
    /// the outcome is negative and the elasticity's sign turns); none: the score's sign says.
    pub raises: Option<bool>,
}

/// A chart of leverage scores for one outcome.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Leverage {
    /// The chart's title.
    pub title: String,
    /// The outcome's name, used in the axis label.
    pub outcome: String,
    /// Which direction of the outcome is good, if known: bars are coloured by whether raising
    /// the lever helps or hurts.
    pub better: Option<Better>,
    /// One bar per lever; the chart sorts them by |score|.
    pub levers: Vec<LeverageBar>,
}

/// One intervention option: its paired differences to the baseline, one per future.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DifferenceOption {
    /// The option's name.
    pub option: String,
    /// Outcome with the option minus outcome of the baseline, per future (NaN if a run failed).
    pub differences: Vec<f64>,
}

/// A chart comparing intervention options with the baseline over the same futures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Differences {
    /// The chart's title.
    pub title: String,
    /// The outcome's name, used in the axis label.
    pub outcome: String,
    /// The baseline's name, e.g. "status quo".
    pub baseline: String,
    /// Which direction of the outcome is good, stated in the caption when known.
    pub better: Option<Better>,
    /// One row per option, drawn top to bottom in this order.
    pub options: Vec<DifferenceOption>,
}

/// Draws a tornado chart: per parameter, bars from the baseline outcome to the outcome with the
/// parameter at its low value and at its high value, the largest swing on top.
pub fn tornado(chart: &Tornado) -> Result<String, ChartError> {
    const NAME: &str = "tornado";
    let title = clean_text(&chart.title);
    if chart.bars.is_empty() {
        return nothing_to_show(NAME, &title, "There are no parameters to show.");
    }
    let baseline = plot_value(chart.baseline);
    let mut bars: Vec<(String, Option<f64>, Option<f64>)> =
        chart.bars.iter().map(|bar| (clean(&bar.parameter), plot_value(bar.low), plot_value(bar.high))).collect();
    // A bar with a missing end has no swing; it goes to the bottom with what it has.
    let swing = |bar: &(String, Option<f64>, Option<f64>)| match (bar.1, bar.2) {
        (Some(low), Some(high)) => (high - low).abs(),
        _ => -1.0,
    };
    bars.sort_by(|a, b| swing(b).total_cmp(&swing(a)));

    let extent =
        axis_extent(bars.iter().flat_map(|bar| [bar.1, bar.2]).flatten().chain(baseline), &[], RangeStyle::Padded);
    let mut notes = Vec::new();
    match baseline {
        Some(value) => notes.push(format!(
            "Bars run from the baseline outcome ({}) to the outcome with one parameter at its low or \
             high value and all others at baseline; largest swing |high − low| on top.",
            number_text(value, 4)
        )),
        None => {
            notes.push("The baseline outcome is missing, so each parameter's outcomes are drawn as points.".to_owned())
        }
    }
    // Without a baseline the values are points, and the legend says so.
    let legend = match baseline {
        Some(_) => vec![
            LegendEntry::new(Mark::Bar(LOW_COLOUR), "parameter at low"),
            LegendEntry::new(Mark::Bar(HIGH_COLOUR), "parameter at high"),
            LegendEntry::new(Mark::Line(BASELINE_COLOUR), "baseline outcome"),
        ],
        None => vec![
            LegendEntry::new(Mark::Dot(LOW_COLOUR), "parameter at low"),
            LegendEntry::new(Mark::Dot(HIGH_COLOUR), "parameter at high"),
        ],
    };
    let layout = RowLayout {
        chart: NAME,
        title,
        axis: clean_text(&chart.outcome),
        labels: bars.iter().map(|bar| bar.0.clone()).collect(),
        extent,
        legend,
        notes,
    };
    row_chart(layout, |rows| {
        if let Some(value) = baseline {
            rows.vertical(value, BASELINE_COLOUR.stroke_width(2), false)?;
        }
        for (row, (_, low, high)) in bars.iter().enumerate() {
            if low.is_none() && high.is_none() {
                rows.missing(row)?;
            }
            // The low value takes the upper half of the row and the high value the lower half,
            // so both stay visible when they fall on the same side of the baseline.
            for (value, top, bottom, colour) in [(low, -0.38, -0.02, LOW_COLOUR), (high, 0.02, 0.38, HIGH_COLOUR)] {
                let Some(value) = *value else { continue };
                match baseline {
                    Some(start) => rows.bar(row, top, bottom, start, value, colour)?,
                    None => rows.dot(row, (top + bottom) / 2.0, value, colour)?,
                }
            }
        }
        Ok(())
    })
}

/// Draws a Morris chart: μ* against σ with each point labelled by its parameter, μ*'s confidence
/// interval as a horizontal error bar, and the σ = μ* diagonal dashed (points above it are
/// strongly nonlinear or interacting).
pub fn morris(chart: &Morris) -> Result<String, ChartError> {
    const NAME: &str = "morris";
    let title = clean_text(&chart.title);
    if chart.points.is_empty() {
        return nothing_to_show(NAME, &title, "There are no parameters to show.");
    }
    struct Point {
        label: String,
        x: f64,
        y: f64,
        interval: Option<(f64, f64)>,
    }
    let mut points = Vec::new();
    let mut absent = Vec::new();
    for point in &chart.points {
        let label = elide_middle(&clean(&point.parameter), POINT_LABEL_CHARS);
        match (plot_value(point.mu_star), plot_value(point.sigma)) {
            (Some(x), Some(y)) => {
                let interval = point
                    .mu_star_interval
                    .and_then(|(low, high)| Some((plot_value(low)?, plot_value(high)?)))
                    .map(|(low, high)| (low.min(high), low.max(high)));
                points.push(Point { label, x, y, interval });
            }
            _ => absent.push(label),
        }
    }
    // The most influential parameters choose their label places first.
    points.sort_by(|a, b| b.x.total_cmp(&a.x));

    let x_values = points.iter().flat_map(|p| [Some(p.x), p.interval.map(|i| i.0), p.interval.map(|i| i.1)]);
    let x_extent = axis_extent(x_values.flatten(), &[0.0], RangeStyle::FromZero);
    let y_extent = axis_extent(points.iter().map(|p| p.y), &[0.0], RangeStyle::FromZero);

    let mut legend = vec![LegendEntry::new(Mark::Dot(POINT_COLOUR), "parameter")];
    if points.iter().any(|p| p.interval.is_some()) {
        legend.push(LegendEntry::new(Mark::Whisker(WHISKER_COLOUR), "confidence interval of μ*"));
    }
    legend.push(LegendEntry::new(Mark::Dashed(GUIDE_COLOUR), "σ = μ*: above it, nonlinear or interacting"));
    let mut notes = vec![
        "Right: more influence on the outcome. Up: the effect varies more with the other parameters \
         (nonlinear or interacting)."
            .to_owned(),
    ];
    // A long list of missing parameters would push the plot off the page; the first few and a
    // count say enough.
    const LISTED: usize = 20;
    match absent.len() {
        0 => {}
        count if count <= LISTED => notes.push(format!("Not shown, values missing: {}.", absent.join(", "))),
        count => notes.push(format!(
            "Not shown, values missing: {} and {} more.",
            absent[..LISTED].join(", "),
            count - LISTED
        )),
    }
    let outcome = name_or(&chart.outcome, "the outcome");
    let header_block = Header::new(&title, &legend);
    let header = header_block.height();
    let plot_height = 520;

    // Labels that find no free place are left off and named in a note; the plot's place does
    // not depend on the notes below it, so a second drawing with that note places the same.
    let draw = |notes: &[String], unlabelled: &mut Vec<String>| {
        let notes = wrap_notes(notes);
        let height = header + plot_height + notes_height(&notes);
        render(NAME, (WIDTH, height), |root| {
            header_block.draw(root)?;
            let (_, below) = root.split_vertically(header);
            let (plot_area, _) = below.split_vertically(plot_height);
            let plot = xy_plot(
                &plot_area,
                (x_extent, y_extent),
                (
                    format!("μ*: mean absolute elementary effect on {outcome}"),
                    "σ: spread of the elementary effects".to_owned(),
                ),
                8,
            )?;

            let area = plot.plotting_area();
            let diagonal_end = x_extent.1.min(y_extent.1);
            if diagonal_end > 0.0 {
                area.draw(&DashedPathElement::new(
                    vec![(0.0, 0.0), (diagonal_end, diagonal_end)],
                    6,
                    4,
                    GUIDE_COLOUR.stroke_width(1),
                ))?;
            }
            for point in &points {
                if let Some((low, high)) = point.interval {
                    area.draw(&PathElement::new(
                        vec![(low, point.y), (high, point.y)],
                        WHISKER_COLOUR.stroke_width(1),
                    ))?;
                    for end in [low, high] {
                        draw_cap(area, (end, point.y), 4, WHISKER_COLOUR)?;
                    }
                }
            }
            for point in &points {
                area.draw(&Circle::new((point.x, point.y), 4, POINT_COLOUR.filled()))?;
            }

            // A label goes beside its point, above or below it, or diagonally off it, near
            // first, wherever it overlaps neither another label, a point nor an error bar and
            // stays inside the plot; a label with no such place is left off.
            let (left, top) = plot.backend_coord(&(x_extent.0, y_extent.1));
            let (right, bottom) = plot.backend_coord(&(x_extent.1, y_extent.0));
            let centres: Vec<(i32, i32)> = points.iter().map(|p| plot.backend_coord(&(p.x, p.y))).collect();
            let mut taken: Vec<Boxed> = centres.iter().map(|&(x, y)| Boxed::around(x, y, 5)).collect();
            for point in &points {
                if let Some((low, high)) = point.interval {
                    let (from, y) = plot.backend_coord(&(low, point.y));
                    let (to, _) = plot.backend_coord(&(high, point.y));
                    taken.push(Boxed { left: from, top: y - 4, right: to, bottom: y + 4 });
                }
            }
            for (point, &(x, y)) in points.iter().zip(&centres) {
                let width = text_width(&point.label, POINT_LABEL_PX).ceil() as i32;
                let height = POINT_LABEL_PX as i32 + 2;
                let mut candidates = Vec::new();
                for gap in [7, 16] {
                    let rise = gap - 1;
                    candidates.extend([
                        (Boxed::new(x + gap, y - height / 2, width, height), (x + gap, y), HPos::Left, VPos::Center),
                        (
                            Boxed::new(x - gap - width, y - height / 2, width, height),
                            (x - gap, y),
                            HPos::Right,
                            VPos::Center,
                        ),
                        (
                            Boxed::new(x - width / 2, y - rise - height, width, height),
                            (x, y - rise),
                            HPos::Center,
                            VPos::Bottom,
                        ),
                        (Boxed::new(x - width / 2, y + rise, width, height), (x, y + rise), HPos::Center, VPos::Top),
                        (
                            Boxed::new(x + 4, y - rise - height, width, height),
                            (x + 4, y - rise),
                            HPos::Left,
                            VPos::Bottom,
                        ),
                        (Boxed::new(x + 4, y + rise, width, height), (x + 4, y + rise), HPos::Left, VPos::Top),
                        (
                            Boxed::new(x - 4 - width, y - rise - height, width, height),
                            (x - 4, y - rise),
                            HPos::Right,
                            VPos::Bottom,
                        ),
                        (Boxed::new(x - 4 - width, y + rise, width, height), (x - 4, y + rise), HPos::Right, VPos::Top),
                    ]);
                }
                let inside = |b: &Boxed| b.left >= left && b.right <= right && b.top >= top && b.bottom <= bottom;
                let Some(chosen) = candidates.iter().find(|(b, ..)| inside(b) && !taken.iter().any(|t| t.overlaps(b)))
                else {
                    unlabelled.push(format!("{} (μ* {})", point.label, number_text(point.x, 3)));
                    continue;
                };
                taken.push(chosen.0);
                root.draw(&Text::new(
                    point.label.clone(),
                    chosen.1,
                    font(POINT_LABEL_PX, TEXT_COLOUR, FontStyle::Normal).pos(Pos::new(chosen.2, chosen.3)),
                ))?;
            }
            draw_notes(root, &notes, header + plot_height)?;
            Ok(())
        })
    };
    let mut unlabelled = Vec::new();
    let first = draw(&notes, &mut unlabelled)?;
    if unlabelled.is_empty() {
        return Ok(first);
    }
    notes.push(format!(
        "Points too close to label ({}), from right to left: {}.",
        unlabelled.len(),
        unlabelled.join(", ")
    ));
    draw(&notes, &mut Vec::new())
}

/// Draws sensitivity indices as horizontal bars with confidence whiskers: each parameter's
/// measures side by side (Sobol S1 and ST), or a single measure (PRCC, SRC), with a zero line.
pub fn indices(chart: &Indices) -> Result<String, ChartError> {
    const NAME: &str = "indices";
    let title = clean_text(&chart.title);
    if chart.rows.iter().all(|row| row.values.is_empty()) {
        return nothing_to_show(NAME, &title, "There are no sensitivity indices to show.");
    }
    // Measures in order of first appearance, each with its colour.
    let mut measures: Vec<String> = Vec::new();
    for value in chart.rows.iter().flat_map(|row| &row.values) {
        let name = clean(&value.measure);
        if !measures.contains(&name) {
            measures.push(name);
        }
    }
    let colour_of = |name: &str| {
        let index = measures.iter().position(|m| m == name).unwrap_or(0);
        PALETTE[index % PALETTE.len()]
    };
    struct Drawn {
        colour: RGBColor,
        value: Option<f64>,
        interval: Option<(f64, f64)>,
    }
    let mut rows: Vec<(String, Vec<Drawn>)> = chart
        .rows
        .iter()
        .map(|row| {
            let drawn = row
                .values
                .iter()
                .map(|v| Drawn {
                    colour: colour_of(&clean(&v.measure)),
                    value: plot_value(v.value),
                    interval: plot_value(v.low).zip(plot_value(v.high)).map(|(a, b)| (a.min(b), a.max(b))),
                })
                .collect();
            (clean(&row.parameter), drawn)
        })
        .collect();
    // The parameter whose largest measure is largest goes on top.
    let key = |row: &(String, Vec<Drawn>)| row.1.iter().filter_map(|d| d.value).map(f64::abs).fold(-1.0, f64::max);
    rows.sort_by(|a, b| key(b).total_cmp(&key(a)));

    let mut required = vec![0.0];
    if let Some((a, b)) = chart.range {
        required.extend([a, b].into_iter().filter_map(plot_value));
    }
    let values =
        rows.iter().flat_map(|row| &row.1).flat_map(|d| [d.value, d.interval.map(|i| i.0), d.interval.map(|i| i.1)]);
    let extent = axis_extent(values.flatten(), &required, RangeStyle::Padded);
    let mut legend: Vec<LegendEntry> =
        measures.iter().map(|name| LegendEntry::new(Mark::Bar(colour_of(name)), name)).collect();
    legend.push(LegendEntry::new(Mark::Whisker(WHISKER_COLOUR), "confidence interval"));
    let layout = RowLayout {
        chart: NAME,
        title,
        axis: clean_text(&chart.axis),
        labels: rows.iter().map(|row| row.0.clone()).collect(),
        extent,
        legend,
        notes: Vec::new(),
    };
    row_chart(layout, |plot| {
        plot.vertical(0.0, ZERO_COLOUR.stroke_width(1), false)?;
        for (row, (_, drawn)) in rows.iter().enumerate() {
            if drawn.iter().all(|d| d.value.is_none() && d.interval.is_none()) {
                plot.missing(row)?;
                continue;
            }
            let band = 0.8 / drawn.len() as f64;
            for (index, d) in drawn.iter().enumerate() {
                let top = -0.4 + band * index as f64;
                let bottom = top + band;
                if let Some(value) = d.value {
                    plot.bar(row, top + 0.01, bottom - 0.01, 0.0, value, d.colour)?;
                }
                if let Some((low, high)) = d.interval {
                    let half = ((band * ROW_HEIGHT as f64) / 2.0 - 1.0).clamp(2.0, 5.0) as i32;
                    plot.whisker(row, (top + bottom) / 2.0, low, high, half, WHISKER_COLOUR)?;
                }
            }
        }
        Ok(())
    })
}

/// Draws leverage scores: per lever a bar for its score, a thin line for its P10–P90 range over
/// futures and whiskers for its bootstrap CI, the largest |score| on top. The axis fits the
/// data; the dashed ±1 lines (beyond which a lever is disproportionate) are drawn only where
/// the data reach them, and a note says when they are off the scale. With the outcome's
/// `better` known, a bar is green where raising the lever helps and vermillion where it hurts;
/// disproportionate levers are outlined.
pub fn leverage(chart: &Leverage) -> Result<String, ChartError> {
    const NAME: &str = "leverage";
    let title = clean_text(&chart.title);
    if chart.levers.is_empty() {
        return nothing_to_show(NAME, &title, "There are no levers to show.");
    }
    struct Lever {
        label: String,
        score: Option<f64>,
        spread: (Option<f64>, Option<f64>),
        interval: Option<(f64, f64)>,
        outlined: bool,
        colour: RGBColor,
    }
    let mut levers: Vec<Lever> = chart
        .levers
        .iter()
        .map(|lever| {
            let score = plot_value(lever.score);
            let raises = lever.raises.or_else(|| score.filter(|s| *s != 0.0).map(|s| s > 0.0));
            Lever {
                label: clean(&lever.lever),
                score,
                spread: (plot_value(lever.p10), plot_value(lever.p90)),
                interval: plot_value(lever.interval.0)
                    .zip(plot_value(lever.interval.1))
                    .map(|(a, b)| (a.min(b), a.max(b))),
                outlined: lever.disproportionate,
                colour: match (chart.better, raises) {
                    (Some(better), Some(raises)) if raises == (better == Better::Higher) => GOOD_COLOUR,
                    (Some(_), Some(_)) => BAD_COLOUR,
                    _ => LEVER_COLOUR,
                },
            }
        })
        .collect();
    let key = |lever: &Lever| lever.score.map_or(-1.0, f64::abs);
    levers.sort_by(|a, b| key(b).total_cmp(&key(a)));

    let values: Vec<f64> = levers
        .iter()
        .flat_map(|l| [l.score, l.spread.0, l.spread.1, l.interval.map(|i| i.0), l.interval.map(|i| i.1)])
        .flatten()
        .collect();
    // The axis fits the data (and zero, where the bars start), so that small scores are seen.
    let extent = axis_extent(values.iter().copied(), &[0.0], RangeStyle::Padded);
    let guides: Vec<f64> = [-1.0, 1.0].into_iter().filter(|g| extent.0 <= *g && *g <= extent.1).collect();
    let mut legend = Vec::new();
    let coloured: Vec<RGBColor> = levers.iter().filter(|l| l.score.is_some()).map(|l| l.colour).collect();
    if chart.better.is_some() && coloured.contains(&GOOD_COLOUR) {
        legend.push(LegendEntry::new(Mark::Bar(GOOD_COLOUR), "raising the lever helps"));
    }
    if chart.better.is_some() && coloured.contains(&BAD_COLOUR) {
        legend.push(LegendEntry::new(Mark::Bar(BAD_COLOUR), "raising the lever hurts"));
    }
    if legend.is_empty() || coloured.contains(&LEVER_COLOUR) {
        legend.push(LegendEntry::new(Mark::Bar(LEVER_COLOUR), "leverage score"));
    }
    if levers.iter().any(|l| l.outlined) {
        legend.push(LegendEntry::new(Mark::Outlined, "disproportionate lever"));
    }
    legend.push(LegendEntry::new(Mark::Line(SPREAD_COLOUR), "P10–P90 over futures"));
    legend.push(LegendEntry::new(Mark::Whisker(WHISKER_COLOUR), "bootstrap CI"));
    if !guides.is_empty() {
        legend.push(LegendEntry::new(Mark::Dashed(GUIDE_COLOUR), "±1"));
    }
    let mut notes = vec![
        "The score is the median elasticity of the outcome over futures: the % change of the outcome \
         per 1% change of the lever."
            .to_owned(),
    ];
    if guides.len() == 2 {
        notes.push("Beyond the dashed ±1 lines a lever moves the outcome disproportionately.".to_owned());
    } else if guides.len() == 1 {
        notes.push("Beyond the dashed line at ±1 a lever moves the outcome disproportionately.".to_owned());
    } else {
        notes.push(format!(
            "Every value lies within ±1, off this scale: no lever moves the outcome disproportionately (the \
             largest |value| is {}).",
            number_text(values.iter().fold(0.0, |m: f64, v| m.max(v.abs())), 3)
        ));
    }
    match chart.better {
        Some(Better::Higher) => notes.push("Higher is better for this outcome.".to_owned()),
        Some(Better::Lower) => notes.push("Lower is better for this outcome.".to_owned()),
        None => {}
    }
    let layout = RowLayout {
        chart: NAME,
        title,
        axis: format!("leverage score: median elasticity of {} (% per %)", name_or(&chart.outcome, "the outcome")),
        labels: levers.iter().map(|l| l.label.clone()).collect(),
        extent,
        legend,
        notes,
    };
    row_chart(layout, |plot| {
        plot.vertical(0.0, ZERO_COLOUR.stroke_width(1), false)?;
        for guide in &guides {
            plot.vertical(*guide, GUIDE_COLOUR.stroke_width(1), true)?;
        }
        for (row, lever) in levers.iter().enumerate() {
            if lever.score.is_none() && lever.interval.is_none() && lever.spread.0.is_none() && lever.spread.1.is_none()
            {
                plot.missing(row)?;
                continue;
            }
            if let Some(score) = lever.score {
                plot.bar(row, -0.34, 0.14, 0.0, score, lever.colour)?;
                if lever.outlined {
                    plot.outline(row, -0.34, 0.14, 0.0, score, OUTLINE_COLOUR.stroke_width(2))?;
                }
            }
            if let Some((low, high)) = lever.interval {
                plot.whisker(row, -0.1, low, high, 5, WHISKER_COLOUR)?;
            }
            // The spread over futures sits just below the bar, apart from the CI.
            match lever.spread {
                (Some(p10), Some(p90)) => {
                    plot.segment(row, 0.3, p10, p90, SPREAD_COLOUR.stroke_width(1))?;
                }
                (Some(end), None) | (None, Some(end)) => plot.dot(row, 0.3, end, SPREAD_COLOUR)?,
                (None, None) => {}
            }
        }
        Ok(())
    })
}

/// Draws the paired differences of each option to the baseline over futures: a horizontal box
/// plot (P10, P25, P50, P75, P90 by the type-7 quantile rule) with the mean as a diamond and a
/// zero line, and a caption saying which direction is better when that is known.
pub fn differences(chart: &Differences) -> Result<String, ChartError> {
    const NAME: &str = "differences";
    let title = clean_text(&chart.title);
    if chart.options.is_empty() {
        return nothing_to_show(NAME, &title, "There are no options to compare.");
    }
    let baseline = name_or(&chart.baseline, "the baseline");
    struct Summary {
        label: String,
        quantiles: Option<[f64; 5]>,
        mean: Option<f64>,
    }
    // With `better` known, a box is green where the option beats the baseline on average and
    // vermillion where it does worse.
    let shade = |mean: Option<f64>| match (chart.better, mean) {
        (Some(better), Some(mean)) if mean != 0.0 => {
            if (mean > 0.0) == (better == Better::Higher) {
                GOOD_BOX
            } else {
                BAD_BOX
            }
        }
        _ => (BOX_COLOUR, BOX_EDGE_COLOUR),
    };
    let summaries: Vec<Summary> = chart
        .options
        .iter()
        .map(|option| {
            let finite: Vec<f64> = option.differences.iter().copied().filter(|v| v.is_finite()).collect();
            let quantiles = match quantiles_of(&finite, &[0.1, 0.25, 0.5, 0.75, 0.9])[..] {
                [p10, p25, p50, p75, p90] => {
                    let all = [p10, p25, p50, p75, p90].map(plot_value);
                    match all {
                        [Some(a), Some(b), Some(c), Some(d), Some(e)] => Some([a, b, c, d, e]),
                        _ => None,
                    }
                }
                _ => None,
            };
            Summary { label: clean(&option.option), quantiles, mean: running_mean(&finite).and_then(plot_value) }
        })
        .collect();
    let values = summaries.iter().flat_map(|s| s.quantiles.iter().flatten().copied().chain(s.mean));
    let extent = axis_extent(values, &[0.0], RangeStyle::Padded);
    let mut notes = vec![format!(
        "Each row: the option's outcome minus {baseline}'s in the same future. Box P25–P75, line the \
         median, whiskers P10–P90, diamond the mean."
    )];
    match chart.better {
        Some(Better::Higher) => notes.push(format!("Higher is better: right of zero beats {baseline}.")),
        Some(Better::Lower) => notes.push(format!("Lower is better: left of zero beats {baseline}.")),
        None => {}
    }
    let shades: Vec<(RGBColor, RGBColor)> =
        summaries.iter().filter(|s| s.quantiles.is_some()).map(|s| shade(s.mean)).collect();
    let mut legend = Vec::new();
    if chart.better.is_some() && shades.contains(&GOOD_BOX) {
        legend.push(LegendEntry::new(Mark::Box(GOOD_BOX.0, GOOD_BOX.1), "better on average"));
    }
    if chart.better.is_some() && shades.contains(&BAD_BOX) {
        legend.push(LegendEntry::new(Mark::Box(BAD_BOX.0, BAD_BOX.1), "worse on average"));
    }
    if legend.is_empty() || shades.contains(&(BOX_COLOUR, BOX_EDGE_COLOUR)) {
        legend.push(LegendEntry::new(Mark::Box(BOX_COLOUR, BOX_EDGE_COLOUR), "P25–P75, median"));
    }
    legend.push(LegendEntry::new(Mark::Whisker(WHISKER_COLOUR), "P10–P90"));
    legend.push(LegendEntry::new(Mark::Diamond(MEAN_COLOUR), "mean"));
    let layout = RowLayout {
        chart: NAME,
        title,
        axis: format!("difference in {} from {baseline}", name_or(&chart.outcome, "the outcome")),
        labels: summaries.iter().map(|s| s.label.clone()).collect(),
        extent,
        legend,
        notes,
    };
    row_chart(layout, |plot| {
        plot.vertical(0.0, ZERO_COLOUR.stroke_width(2), false)?;
        for (row, summary) in summaries.iter().enumerate() {
            let Some([p10, p25, p50, p75, p90]) = summary.quantiles else {
                plot.missing(row)?;
                continue;
            };
            plot.segment(row, 0.0, p10, p25, WHISKER_COLOUR.stroke_width(1))?;
            plot.segment(row, 0.0, p75, p90, WHISKER_COLOUR.stroke_width(1))?;
            plot.whisker_caps(row, 0.0, p10, p90, 5, WHISKER_COLOUR)?;
            let (fill, edge) = shade(summary.mean);
            plot.bar(row, -0.3, 0.3, p25, p75, fill)?;
            plot.outline(row, -0.3, 0.3, p25, p75, edge.stroke_width(1))?;
            plot.segment_across(row, -0.3, 0.3, p50, edge.stroke_width(3))?;
            if let Some(mean) = summary.mean {
                plot.diamond(row, 0.0, mean, MEAN_COLOUR)?;
            }
        }
        Ok(())
    })
}

// Layout, in pixels. The width suits a slide or a report page; each row is tall enough for a
// label on two lines.
const WIDTH: u32 = 800;
const ROW_HEIGHT: u32 = 28;
const MARGIN: u32 = 16;
const AXIS_HEIGHT: u32 = 48;
const TITLE_PX: f64 = 16.0;
const LABEL_PX: f64 = 12.0;
const AXIS_PX: f64 = 12.0;
const TICK_PX: f64 = 11.0;
const NOTE_PX: f64 = 11.0;
const LEGEND_PX: f64 = 12.0;
const POINT_LABEL_PX: f64 = 11.0;
/// Row labels wrap onto a second line past this width rather than squeeze the plot.
const MAX_LABEL_WIDTH: f64 = 280.0;
const POINT_LABEL_CHARS: usize = 32;
const LEGEND_LABEL_CHARS: usize = 48;

// Colours: greys for text and guides, and for data the Okabe–Ito palette, which stays
// distinguishable to colour-blind readers.
const TEXT_COLOUR: RGBColor = RGBColor(0x22, 0x22, 0x22);
const MUTED_COLOUR: RGBColor = RGBColor(0x77, 0x77, 0x77);
const GRID_COLOUR: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);
const LIGHT_GRID_COLOUR: RGBColor = RGBColor(0xf2, 0xf2, 0xf2);
const ZERO_COLOUR: RGBColor = RGBColor(0x44, 0x44, 0x44);
const BASELINE_COLOUR: RGBColor = RGBColor(0x22, 0x22, 0x22);
const GUIDE_COLOUR: RGBColor = RGBColor(0x88, 0x88, 0x88);
const WHISKER_COLOUR: RGBColor = RGBColor(0x22, 0x22, 0x22);
const SPREAD_COLOUR: RGBColor = RGBColor(0x77, 0x77, 0x77);
const LOW_COLOUR: RGBColor = RGBColor(0x00, 0x72, 0xb2);
const HIGH_COLOUR: RGBColor = RGBColor(0xe6, 0x9f, 0x00);
const POINT_COLOUR: RGBColor = RGBColor(0x00, 0x72, 0xb2);
const LEVER_COLOUR: RGBColor = RGBColor(0x56, 0xb4, 0xe9);
/// Good and bad, where the outcome's `better` says which is which: Okabe–Ito's bluish green
/// and vermillion, with lighter fills and darker edges for boxes.
const GOOD_COLOUR: RGBColor = RGBColor(0x00, 0x9e, 0x73);
const BAD_COLOUR: RGBColor = RGBColor(0xd5, 0x5e, 0x00);
const GOOD_BOX: (RGBColor, RGBColor) = (RGBColor(0xa8, 0xdd, 0xcb), RGBColor(0x00, 0x60, 0x46));
const BAD_BOX: (RGBColor, RGBColor) = (RGBColor(0xf4, 0xc0, 0xa0), RGBColor(0x9a, 0x3c, 0x00));
const OUTLINE_COLOUR: RGBColor = RGBColor(0x22, 0x22, 0x22);
const BOX_COLOUR: RGBColor = RGBColor(0xa6, 0xd3, 0xf0);
const BOX_EDGE_COLOUR: RGBColor = RGBColor(0x00, 0x50, 0x80);
const MEAN_COLOUR: RGBColor = RGBColor(0x22, 0x22, 0x22);
const PALETTE: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xb2),
    RGBColor(0xe6, 0x9f, 0x00),
    RGBColor(0x00, 0x9e, 0x73),
    RGBColor(0xcc, 0x79, 0xa7),
    RGBColor(0x56, 0xb4, 0xe9),
    RGBColor(0xd5, 0x5e, 0x00),
    RGBColor(0xf0, 0xe4, 0x42),
];

type Area<'b> = DrawingArea<SVGBackend<'b>, Shift>;
type PlotArea<'b> = DrawingArea<SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
type Plot<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A drawing error on its way to becoming a [`ChartError`]; plotters' error types are generic
/// over the backend, and only their message is worth keeping.
struct Failure(String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for Failure {
    fn from(error: DrawingAreaErrorKind<E>) -> Failure {
        Failure(error.to_string())
    }
}

/// Runs `draw` on a white SVG canvas of `size` and returns the document.
fn render(
    chart: &'static str,
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> Result<(), Failure>,
) -> Result<String, ChartError> {
    let mut svg = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(Failure::from).and_then(|()| draw(&root)).and_then(|()| Ok(root.present()?))
    };
    drawn.map_err(|Failure(message)| ChartError::Drawing { chart, message })?;
    Ok(svg)
}

/// An x–y plot on `area` over `extents`, with its grid, ticks and axis descriptions
/// (horizontal, vertical), `x_labels` ticks along the bottom.
fn xy_plot<'a, 'b>(
    area: &'a Area<'b>,
    extents: ((f64, f64), (f64, f64)),
    descriptions: (String, String),
    x_labels: usize,
) -> Result<Plot<'a, 'b>, Failure> {
    let ((x_low, x_high), (y_low, y_high)) = extents;
    const Y_LABEL_WIDTH: u32 = 72;
    let (width, height) = area.dim_in_pixel();
    let x_length = width.saturating_sub(3 * MARGIN + Y_LABEL_WIDTH);
    let y_length = height.saturating_sub(8 + AXIS_HEIGHT);
    let mut plot = ChartBuilder::on(area)
        .margin_left(MARGIN)
        .margin_right(MARGIN * 2)
        .margin_top(8)
        .x_label_area_size(AXIS_HEIGHT)
        .y_label_area_size(Y_LABEL_WIDTH)
        .build_cartesian_2d(x_low..x_high, y_low..y_high)?;
    let (x_span, y_span) = (x_high - x_low, y_high - y_low);
    let x_ticks = move |value: &f64| tick_text(*value, x_span);
    let y_ticks = move |value: &f64| tick_text(*value, y_span);
    plot.configure_mesh()
        .x_desc(fit_to_axis(&descriptions.0, f64::from(x_length)))
        .y_desc(fit_to_axis(&descriptions.1, f64::from(y_length)))
        .x_labels(x_labels)
        .y_labels(8)
        .x_label_formatter(&x_ticks)
        .y_label_formatter(&y_ticks)
        .label_style(font(TICK_PX, TEXT_COLOUR, FontStyle::Normal))
        .axis_desc_style(font(AXIS_PX, TEXT_COLOUR, FontStyle::Normal))
        .bold_line_style(GRID_COLOUR)
        .light_line_style(LIGHT_GRID_COLOUR)
        .max_light_lines(1)
        .draw()?;
    Ok(plot)
}

/// A chart that only says why there is nothing in it.
fn nothing_to_show(chart: &'static str, title: &str, message: &str) -> Result<String, ChartError> {
    let header = Header::new(title, &[]);
    let height = header.height();
    render(chart, (WIDTH, height + 50), |root| {
        header.draw(root)?;
        root.draw(&Text::new(
            message.to_owned(),
            (WIDTH as i32 / 2, height as i32 + 20),
            font(AXIS_PX, MUTED_COLOUR, FontStyle::Normal).pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
        Ok(())
    })
}

fn font(px: f64, colour: RGBColor, style: FontStyle) -> TextStyle<'static> {
    // The SVG backend writes the size divided by 1.24 (its em-box convention), so this gives
    // `px` in the document.
    FontDesc::new(FontFamily::SansSerif, px * 1.24, style).color(&colour)
}

/// The top of a chart: the title, centred and wrapped onto at most two lines at word
/// boundaries (a title longer still ends its second line with an ellipsis after a whole word),
/// and the legend below it.
struct Header {
    title: Vec<String>,
    legend: Vec<Vec<PlacedEntry>>,
}

impl Header {
    fn new(title: &str, legend: &[LegendEntry]) -> Header {
        Header { title: wrap_title(title), legend: layout_legend(legend, MARGIN) }
    }

    fn height(&self) -> u32 {
        16 + TITLE_LINE * self.title.len().max(1) as u32 + 20 * self.legend.len() as u32 + 8
    }

    fn draw(&self, root: &Area<'_>) -> Result<(), Failure> {
        for (index, line) in self.title.iter().enumerate() {
            root.draw(&Text::new(
                line.clone(),
                (WIDTH as i32 / 2, 10 + (TITLE_LINE as usize * index) as i32),
                font(TITLE_PX, TEXT_COLOUR, FontStyle::Bold).pos(Pos::new(HPos::Center, VPos::Top)),
            ))?;
        }
        let legend_top = 10 + TITLE_LINE as i32 * self.title.len().max(1) as i32 + 14;
        for (line, entries) in self.legend.iter().enumerate() {
            let y = legend_top + 20 * line as i32;
            for entry in entries {
                draw_mark(root, entry.mark, entry.x, y)?;
                root.draw(&Text::new(
                    entry.label.clone(),
                    (entry.x + 24, y),
                    font(LEGEND_PX, TEXT_COLOUR, FontStyle::Normal).pos(Pos::new(HPos::Left, VPos::Center)),
                ))?;
            }
        }
        Ok(())
    }
}

/// The height of a title line, in pixels.
const TITLE_LINE: u32 = 20;

/// A title on one or two lines that fit the chart's width; see [`wrap_to_lines`].
fn wrap_title(title: &str) -> Vec<String> {
    wrap_to_lines(title, (WIDTH - 2 * MARGIN) as f64, TITLE_PX, 2)
}

/// `text` on at most `most` lines of `width` pixels at `px`, broken between words; the last
/// line of a longer text keeps whole words and ends in an ellipsis. A single word wider than a
/// line is shortened in its middle, never cut at its end.
fn wrap_to_lines(text: &str, width: f64, px: f64, most: usize) -> Vec<String> {
    let fit_word = |word: &str| {
        let mut limit = word.chars().count();
        let mut fitted = word.to_owned();
        while limit > 1 && text_width(&fitted, px) > width {
            limit -= 1;
            fitted = elide_middle(word, limit);
        }
        fitted
    };
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace().map(fit_word) {
        let candidate = if line.is_empty() { word.clone() } else { format!("{line} {word}") };
        if text_width(&candidate, px) <= width {
            line = candidate;
            continue;
        }
        lines.push(std::mem::take(&mut line));
        line = word;
        if lines.len() < most.max(1) {
            continue;
        }
        // One more line would be needed: the last keeps the words that fit before an ellipsis.
        let mut last = lines.pop().unwrap_or_default();
        while !last.is_empty() && text_width(&format!("{last} …"), px) > width {
            last = match last.rsplit_once(' ') {
                Some((kept, _)) => kept.to_owned(),
                None => String::new(),
            };
        }
        lines.push(if last.is_empty() { "…".to_owned() } else { format!("{last} …") });
        return lines;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn draw_mark(root: &Area<'_>, mark: Mark, x: i32, y: i32) -> Result<(), Failure> {
    match mark {
        Mark::Bar(colour) => root.draw(&Rectangle::new([(x, y - 5), (x + 18, y + 5)], colour.filled()))?,
        Mark::Line(colour) => root.draw(&PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)))?,
        Mark::Dashed(colour) => {
            root.draw(&DashedPathElement::new(vec![(x, y), (x + 18, y)], 4, 3, colour.stroke_width(1)))?
        }
        Mark::Whisker(colour) => {
            root.draw(&PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(1)))?;
            root.draw(&PathElement::new(vec![(x, y - 4), (x, y + 4)], colour.stroke_width(1)))?;
            root.draw(&PathElement::new(vec![(x + 18, y - 4), (x + 18, y + 4)], colour.stroke_width(1)))?;
        }
        Mark::Dot(colour) => root.draw(&Circle::new((x + 9, y), 4, colour.filled()))?,
        Mark::Diamond(colour) => {
            root.draw(&Polygon::new(vec![(x + 9, y - 5), (x + 14, y), (x + 9, y + 5), (x + 4, y)], colour.filled()))?
        }
        Mark::Box(fill, edge) => {
            root.draw(&Rectangle::new([(x, y - 6), (x + 18, y + 6)], fill.filled()))?;
            root.draw(&Rectangle::new([(x, y - 6), (x + 18, y + 6)], edge.stroke_width(1)))?;
            root.draw(&PathElement::new(vec![(x + 9, y - 6), (x + 9, y + 6)], edge.stroke_width(3)))?;
        }
        Mark::Outlined => {
            root.draw(&Rectangle::new([(x, y - 5), (x + 18, y + 5)], LEVER_COLOUR.filled()))?;
            let corners = vec![(x, y - 5), (x + 18, y - 5), (x + 18, y + 5), (x, y + 5), (x, y - 5)];
            root.draw(&PathElement::new(corners, OUTLINE_COLOUR.stroke_width(2)))?;
        }
        Mark::Area(colour) => {
            root.draw(&Rectangle::new([(x, y - 6), (x + 18, y + 6)], colour.filled()))?;
        }
    }
    Ok(())
}

/// Notes under the plot, one wrapped line each, from `top` down.
fn draw_notes(root: &Area<'_>, lines: &[String], top: u32) -> Result<(), Failure> {
    for (index, line) in lines.iter().enumerate() {
        root.draw(&Text::new(
            line.clone(),
            (MARGIN as i32, top as i32 + 4 + 16 * index as i32),
            font(NOTE_PX, MUTED_COLOUR, FontStyle::Normal).pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
    }
    Ok(())
}

fn notes_height(lines: &[String]) -> u32 {
    if lines.is_empty() { 0 } else { 16 * lines.len() as u32 + 8 }
}

fn wrap_notes(notes: &[String]) -> Vec<String> {
    let width = (WIDTH - 2 * MARGIN) as f64;
    notes.iter().flat_map(|note| wrap_words(note, width, NOTE_PX)).collect()
}

/// The symbol drawn before a legend entry.
#[derive(Clone, Copy)]
enum Mark {
    Bar(RGBColor),
    Line(RGBColor),
    Dashed(RGBColor),
    Whisker(RGBColor),
    Dot(RGBColor),
    Diamond(RGBColor),
    /// A box plot's box: fill and edge.
    Box(RGBColor, RGBColor),
    /// A bar with a dark outline.
    Outlined,
    /// A shaded band.
    Area(RGBColor),
}

struct LegendEntry {
    mark: Mark,
    label: String,
}

impl LegendEntry {
    fn new(mark: Mark, label: &str) -> LegendEntry {
        LegendEntry { mark, label: elide_middle(&clean(label), LEGEND_LABEL_CHARS) }
    }
}

struct PlacedEntry {
    mark: Mark,
    label: String,
    x: i32,
}

/// Places legend entries left to right from `left`, starting a new line when one is full.
fn layout_legend(entries: &[LegendEntry], left: u32) -> Vec<Vec<PlacedEntry>> {
    let mut lines: Vec<Vec<PlacedEntry>> = Vec::new();
    let mut line: Vec<PlacedEntry> = Vec::new();
    let mut x = left as f64;
    for entry in entries {
        let width = 24.0 + text_width(&entry.label, LEGEND_PX) + 20.0;
        if !line.is_empty() && x + width > (WIDTH - MARGIN) as f64 {
            lines.push(std::mem::take(&mut line));
            x = left as f64;
        }
        line.push(PlacedEntry { mark: entry.mark, label: entry.label.clone(), x: x as i32 });
        x += width;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// What a chart of horizontal rows needs before drawing: labels top to bottom and the extent of
/// the value axis.
struct RowLayout {
    chart: &'static str,
    title: String,
    axis: String,
    labels: Vec<String>,
    extent: (f64, f64),
    legend: Vec<LegendEntry>,
    notes: Vec<String>,
}

/// Draws the frame of a chart of horizontal rows (title, legend, value axis, row labels, notes)
/// and lets `draw` fill the rows.
fn row_chart(
    layout: RowLayout,
    draw: impl FnOnce(&Rows<'_, '_, '_>) -> Result<(), Failure>,
) -> Result<String, ChartError> {
    let count = layout.labels.len();
    let wrapped: Vec<Vec<String>> = layout.labels.iter().map(|label| wrap_label(label)).collect();
    let widest = wrapped.iter().flatten().map(|line| text_width(line, LABEL_PX)).fold(0.0, f64::max);
    let label_area = (widest.min(MAX_LABEL_WIDTH) + 16.0).ceil() as u32;
    let header_block = Header::new(&layout.title, &layout.legend);
    let notes = wrap_notes(&layout.notes);
    let header = header_block.height();
    let plot_height = ROW_HEIGHT * count as u32 + AXIS_HEIGHT + 8;
    let height = header + plot_height + notes_height(&notes);
    let (low, high) = layout.extent;

    render(layout.chart, (WIDTH, height), |root| {
        header_block.draw(root)?;
        let (_, below) = root.split_vertically(header);
        let (plot_area, _) = below.split_vertically(plot_height);
        let mut chart = ChartBuilder::on(&plot_area)
            .margin_left(MARGIN)
            .margin_right(MARGIN * 2)
            .margin_top(8)
            .x_label_area_size(AXIS_HEIGHT)
            .y_label_area_size(label_area)
            .build_cartesian_2d(low..high, -0.5..(count as f64 - 0.5))?;
        let span = high - low;
        let ticks = move |value: &f64| tick_text(*value, span);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(8)
            .x_label_formatter(&ticks)
            .x_desc(fit_to_axis(&layout.axis, f64::from(WIDTH - 3 * MARGIN - label_area)))
            .label_style(font(TICK_PX, TEXT_COLOUR, FontStyle::Normal))
            .axis_desc_style(font(AXIS_PX, TEXT_COLOUR, FontStyle::Normal))
            .bold_line_style(GRID_COLOUR)
            .light_line_style(LIGHT_GRID_COLOUR)
            .max_light_lines(1)
            .draw()?;
        let rows = Rows { chart: &chart, count, low };
        for (row, lines) in wrapped.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(low, rows.y(row, 0.0)));
            let first = y - 7 * (lines.len() as i32 - 1);
            for (index, line) in lines.iter().enumerate() {
                root.draw(&Text::new(
                    line.clone(),
                    (x - 8, first + 14 * index as i32),
                    font(LABEL_PX, TEXT_COLOUR, FontStyle::Normal).pos(Pos::new(HPos::Right, VPos::Center)),
                ))?;
            }
        }
        draw(&rows)?;
        draw_notes(root, &notes, header + plot_height)?;
        Ok(())
    })
}

/// The plot of a row chart, addressed by row (0 on top) and an offset within the row (in rows,
/// from -0.5 at its top to 0.5 at its bottom).
struct Rows<'c, 'a, 'b> {
    chart: &'c Plot<'a, 'b>,
    count: usize,
    low: f64,
}

impl<'b> Rows<'_, '_, 'b> {
    fn y(&self, row: usize, offset: f64) -> f64 {
        (self.count as f64 - 1.0 - row as f64) - offset
    }

    fn area(&self) -> &PlotArea<'b> {
        self.chart.plotting_area()
    }

    fn bar(&self, row: usize, top: f64, bottom: f64, from: f64, to: f64, colour: RGBColor) -> Result<(), Failure> {
        let corners = [(from, self.y(row, top)), (to, self.y(row, bottom))];
        self.area().draw(&Rectangle::new(corners, colour.filled()))?;
        Ok(())
    }

    /// The outline of a bar, as a closed path (the SVG backend writes no stroke width for a
    /// rectangle).
    fn outline(&self, row: usize, top: f64, bottom: f64, from: f64, to: f64, style: ShapeStyle) -> Result<(), Failure> {
        let (upper, lower) = (self.y(row, top), self.y(row, bottom));
        let corners = vec![(from, upper), (to, upper), (to, lower), (from, lower), (from, upper)];
        self.area().draw(&PathElement::new(corners, style))?;
        Ok(())
    }

    fn segment(&self, row: usize, offset: f64, from: f64, to: f64, style: ShapeStyle) -> Result<(), Failure> {
        let y = self.y(row, offset);
        self.area().draw(&PathElement::new(vec![(from, y), (to, y)], style))?;
        Ok(())
    }

    /// A vertical line across part of a row at `x`.
    fn segment_across(&self, row: usize, top: f64, bottom: f64, x: f64, style: ShapeStyle) -> Result<(), Failure> {
        self.area().draw(&PathElement::new(vec![(x, self.y(row, top)), (x, self.y(row, bottom))], style))?;
        Ok(())
    }

    /// A horizontal line from `low` to `high` with end caps `half` pixels high.
    fn whisker(
        &self,
        row: usize,
        offset: f64,
        low: f64,
        high: f64,
        half: i32,
        colour: RGBColor,
    ) -> Result<(), Failure> {
        self.segment(row, offset, low, high, colour.stroke_width(1))?;
        self.whisker_caps(row, offset, low, high, half, colour)
    }

    fn whisker_caps(
        &self,
        row: usize,
        offset: f64,
        low: f64,
        high: f64,
        half: i32,
        colour: RGBColor,
    ) -> Result<(), Failure> {
        let y = self.y(row, offset);
        for end in [low, high] {
            draw_cap(self.area(), (end, y), half, colour)?;
        }
        Ok(())
    }

    /// A line across the whole plot at `x`, solid or dashed.
    fn vertical(&self, x: f64, style: ShapeStyle, dashed: bool) -> Result<(), Failure> {
        let ends = vec![(x, -0.5), (x, self.count as f64 - 0.5)];
        if dashed {
            self.area().draw(&DashedPathElement::new(ends, 6, 4, style))?;
        } else {
            self.area().draw(&PathElement::new(ends, style))?;
        }
        Ok(())
    }

    fn dot(&self, row: usize, offset: f64, x: f64, colour: RGBColor) -> Result<(), Failure> {
        self.area().draw(&Circle::new((x, self.y(row, offset)), 4, colour.filled()))?;
        Ok(())
    }

    fn diamond(&self, row: usize, offset: f64, x: f64, colour: RGBColor) -> Result<(), Failure> {
        let shape = EmptyElement::at((x, self.y(row, offset)))
            + Polygon::new(vec![(0, -6), (6, 0), (0, 6), (-6, 0)], colour.filled())
            + PathElement::new(vec![(0, -6), (6, 0), (0, 6), (-6, 0), (0, -6)], WHITE.stroke_width(1));
        self.area().draw(&shape)?;
        Ok(())
    }

    /// Says in the row that its values are missing.
    fn missing(&self, row: usize) -> Result<(), Failure> {
        let style = font(LABEL_PX, MUTED_COLOUR, FontStyle::Italic).pos(Pos::new(HPos::Left, VPos::Center));
        // Placed a few pixels right of the axis, so that it does not touch it.
        let note = EmptyElement::at((self.low, self.y(row, 0.0))) + Text::new("missing".to_owned(), (6, 0), style);
        self.area().draw(&note)?;
        Ok(())
    }
}

/// A short vertical tick, `half` pixels above and below a point: the end of an error bar.
fn draw_cap(area: &PlotArea<'_>, at: (f64, f64), half: i32, colour: RGBColor) -> Result<(), Failure> {
    area.draw(&(EmptyElement::at(at) + PathElement::new(vec![(0, -half), (0, half)], colour.stroke_width(1))))?;
    Ok(())
}

/// A rectangle in pixels, for keeping point labels apart.
#[derive(Clone, Copy)]
struct Boxed {
    left: i32,
    top: i32,
    right: i32,
    bottom: i32,
}

impl Boxed {
    fn new(left: i32, top: i32, width: i32, height: i32) -> Boxed {
        Boxed { left, top, right: left + width, bottom: top + height }
    }

    fn around(x: i32, y: i32, radius: i32) -> Boxed {
        Boxed { left: x - radius, top: y - radius, right: x + radius, bottom: y + radius }
    }

    fn overlaps(&self, other: &Boxed) -> bool {
        self.left < other.right && other.left < self.right && self.top < other.bottom && other.top < self.bottom
    }
}

/// How an axis extent is padded.
#[derive(Clone, Copy)]
enum RangeStyle {
    /// 5% beyond the data on both sides.
    Padded,
    /// From the lowest value (zero, for measures that cannot be negative) to 8% past the largest.
    FromZero,
}

/// A finite, non-empty axis range covering `values` and `required`, so that plotters never sees
/// NaN or a zero-width range.
fn axis_extent(values: impl Iterator<Item = f64>, required: &[f64], style: RangeStyle) -> (f64, f64) {
    let mut low = f64::INFINITY;
    let mut high = f64::NEG_INFINITY;
    for value in values.chain(required.iter().copied()).filter_map(plot_value) {
        low = low.min(value);
        high = high.max(value);
    }
    if low > high {
        return (0.0, 1.0);
    }
    let span = high - low;
    let magnitude = low.abs().max(high.abs());
    if span <= magnitude * 1e-9 {
        // All values (nearly) equal: show a band around them.
        let half = if magnitude == 0.0 { 1.0 } else { magnitude * 0.1 };
        return match style {
            RangeStyle::FromZero if low >= 0.0 => (0.0, high + half),
            _ => (low - half, high + half),
        };
    }
    match style {
        RangeStyle::Padded => (low - span * 0.05, high + span * 0.05),
        RangeStyle::FromZero => (low, high + span * 0.08),
    }
}

/// A value as plotted: `None` if missing (NaN or infinite); tiny values as zero and huge ones
/// clamped, so that ranges and their differences stay finite and plotters' tick search stays
/// well-conditioned.
fn plot_value(value: f64) -> Option<f64> {
    if !value.is_finite() {
        None
    } else if value.abs() < 1e-290 {
        Some(0.0)
    } else {
        Some(value.clamp(-1e290, 1e290))
    }
}

/// The mean of finite values, accumulated so that large values do not overflow the sum.
fn running_mean(values: &[f64]) -> Option<f64> {
    let mut mean = 0.0;
    for (index, value) in values.iter().enumerate() {
        mean += (value - mean) / (index + 1) as f64;
    }
    if values.is_empty() || !mean.is_finite() { None } else { Some(mean) }
}

/// A tick label: `number_text` with up to six significant digits, and zero as `0` even when the
/// tick search lands a hair away from it.
fn tick_text(value: f64, span: f64) -> String {
    if !value.is_finite() {
        return String::new();
    }
    if value.abs() <= span.abs() * 1e-9 {
        return "0".to_owned();
    }
    // Enough digits to tell ticks a twentieth of the span apart (10183.25 beside 10183.3), at
    // least six and at most fifteen.
    let resolution = (span.abs() / 20.0).log10().floor();
    let digits = value.abs().log10().floor() - resolution + 1.0;
    let digits = if digits.is_finite() { digits.clamp(6.0, 15.0) as usize } else { 6 };
    number_text(value, digits)
}

/// `value` rounded to `significant` digits, without trailing zeros: plain notation from 1e-4 up
/// to 1e6, exponent notation outside.
fn number_text(value: f64, significant: usize) -> String {
    if !value.is_finite() {
        return "missing".to_owned();
    }
    if value == 0.0 {
        return "0".to_owned();
    }
    let significant = significant.max(1);
    let magnitude = value.abs().log10().floor() as i32;
    let text = if !(-4..6).contains(&magnitude) {
        let text = format!("{:.*e}", significant - 1, value);
        match text.split_once('e') {
            Some((mantissa, exponent)) => format!("{}e{exponent}", trim_zeros(mantissa)),
            None => text,
        }
    } else {
        let decimals = (significant as i32 - 1 - magnitude).max(0) as usize;
        trim_zeros(&format!("{value:.decimals$}")).to_owned()
    };
    if text == "-0" { "0".to_owned() } else { text }
}

fn trim_zeros(text: &str) -> &str {
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { text }
}

/// Text from the caller made safe to place in SVG: characters XML forbids (control characters
/// and the non-characters U+FFFE, U+FFFF) become spaces, runs of whitespace one space.
fn clean_text(text: &str) -> String {
    let replaced: String =
        text.chars().map(|c| if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' { ' ' } else { c }).collect();
    replaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A name to use inside a sentence, or `default` if it is empty.
fn name_or(name: &str, default: &str) -> String {
    let text = clean_text(name);
    if text.is_empty() { default.to_owned() } else { text }
}

/// A name as a label: [`clean_text`], and a placeholder for an empty name so that its row or
/// point is still labelled.
fn clean(name: &str) -> String {
    let text = clean_text(name);
    if text.is_empty() { "(unnamed)".to_owned() } else { text }
}

/// An estimate of the rendered width of `text` at `px`: SVG leaves the font to the viewer, so
/// this assumes an average sans-serif advance, and a full em for wide (CJK) characters.
fn text_width(text: &str, px: f64) -> f64 {
    text.chars().map(|c| if (c as u32) >= 0x2E80 { px } else { px * 0.6 }).sum()
}

/// `text` shortened to `limit` characters by replacing its middle with an ellipsis, keeping the
/// start and the end, where names usually differ.
fn elide_middle(text: &str, limit: usize) -> String {
    let count = text.chars().count();
    if count <= limit {
        return text.to_owned();
    }
    let keep = limit.saturating_sub(1);
    let head = keep.div_ceil(2);
    let tail = keep - head;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    format!("{}…{}", start.trim_end(), end.trim_start())
}

/// An axis description no longer than its axis (`length` pixels), which it is centred on:
/// shortened in the middle if need be.
fn fit_to_axis(text: &str, length: f64) -> String {
    let mut limit = (length / (AXIS_PX * 0.6)).floor() as usize;
    let mut fitted = elide_middle(text, limit);
    // Wide (CJK) characters take a full em: shorten further until it fits.
    while limit > 1 && text_width(&fitted, AXIS_PX) > length {
        limit -= 1;
        fitted = elide_middle(text, limit);
    }
    fitted
}

/// A row label on one or two lines that fit the label area; a name too long even for two keeps
/// its start and its end around an ellipsis.
fn wrap_label(label: &str) -> Vec<String> {
    if text_width(label, LABEL_PX) <= MAX_LABEL_WIDTH {
        return vec![label.to_owned()];
    }
    let mut lines = wrap_words(label, MAX_LABEL_WIDTH, LABEL_PX);
    if lines.len() <= 2 {
        return lines;
    }
    let first = lines.remove(0);
    let rest = lines.join(" ");
    // The second line is the longest tail of the rest that fits after an ellipsis.
    let chars: Vec<char> = rest.chars().collect();
    let mut start = chars.len();
    let mut width = text_width("…", LABEL_PX);
    while start > 0 {
        let next = text_width(&chars[start - 1].to_string(), LABEL_PX);
        if width + next > MAX_LABEL_WIDTH {
            break;
        }
        width += next;
        start -= 1;
    }
    // Starting the tail at a word keeps it readable, unless that would drop most of it.
    if let Some(space) = chars[start..].iter().position(|c| c.is_whitespace())
        && space * 2 < chars.len() - start
    {
        start += space;
    }
    let tail: String = chars[start..].iter().collect();
    vec![first, format!("…{}", tail.trim_start())]
}

/// Greedy word wrapping to `width` pixels; a word longer than a line is broken.
fn wrap_words(text: &str, width: f64, px: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
        if text_width(&candidate, px) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A word wider than a line is cut into pieces that fit.
        for c in word.chars() {
            if !line.is_empty() && text_width(&line, px) + text_width(&c.to_string(), px) > width {
                lines.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// One parameter's measure through time: (time, value) points; NaN values leave gaps.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimeSeries {
    /// The parameter or group.
    pub parameter: String,
    /// (time, value) in time order.
    pub points: Vec<(f64, f64)>,
}

/// How a measure of each parameter rises and falls through a run (`--over-time`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OverTime {
    /// The chart's title.
    pub title: String,
    /// The vertical axis: the measure.
    pub measure: String,
    /// The horizontal axis: time, with its unit if known.
    pub time: String,
    /// One line per parameter; the palette's seven colours draw the first seven (the caller
    /// puts the most influential first), the rest are drawn grey.
    pub series: Vec<TimeSeries>,
    /// Times at which no value is drawn because the output does not vary there beyond
    /// numerical noise ([`quiet_times`]); a note names them.
    pub quiet: Vec<f64>,
}

/// The relative size of numerical noise: an output whose standard deviation over runs at a
/// saved time is at most this times its size through the run (the largest |mean| over saved
/// times) does not vary there, and indices of its variance are noise.
pub const NOISE_FLOOR: f64 = 1e-9;

/// The saved times at which a variable does not vary over runs beyond numerical noise:
/// `series[run * times.len() + save]` (NaN for a failed run, left out), and a time is quiet
/// when the standard deviation of its finite values is at most [`NOISE_FLOOR`] times the
/// largest |mean| over all saved times (or when fewer than two runs have a value there).
pub fn quiet_times(times: &[f64], series: &[f64]) -> Vec<f64> {
    let saves = times.len();
    if saves == 0 {
        return Vec::new();
    }
    let moments: Vec<(f64, f64, usize)> = (0..saves)
        .map(|save| {
            let values = series.iter().skip(save).step_by(saves).copied().filter(|v| v.is_finite());
            let (mut count, mut mean, mut squares) = (0usize, 0.0f64, 0.0f64);
            // Welford's update: stable for large values with a small spread.
            for value in values {
                count += 1;
                let delta = value - mean;
                mean += delta / count as f64;
                squares += delta * (value - mean);
            }
            let sd = if count > 1 { (squares / (count - 1) as f64).max(0.0).sqrt() } else { 0.0 };
            (mean, sd, count)
        })
        .collect();
    let size = moments.iter().map(|m| m.0.abs()).filter(|m| m.is_finite()).fold(0.0, f64::max);
    times
        .iter()
        .zip(&moments)
        .filter(|(_, (_, sd, count))| *count < 2 || !sd.is_finite() || *sd <= NOISE_FLOOR * size)
        .map(|(time, _)| *time)
        .collect()
}

/// Draws one line per parameter over time, with a legend.
pub fn over_time(chart: &OverTime) -> Result<String, ChartError> {
    const NAME: &str = "over_time";
    let title = clean_text(&chart.title);
    // Each parameter's label and its runs of plottable points.
    type Line = Vec<(f64, f64)>;
    let drawable: Vec<(String, Vec<Line>)> = chart
        .series
        .iter()
        .map(|series| {
            // Runs of plottable points, split where a value is missing.
            let mut runs: Vec<Line> = vec![Vec::new()];
            for &(time, value) in &series.points {
                let quiet = chart.quiet.contains(&time);
                match (plot_value(time), plot_value(value)) {
                    (Some(time), Some(value)) if !quiet => runs.last_mut().map_or((), |run| run.push((time, value))),
                    _ => runs.push(Vec::new()),
                }
            }
            runs.retain(|run| !run.is_empty());
            (elide_middle(&clean(&series.parameter), LEGEND_LABEL_CHARS), runs)
        })
        .filter(|(_, runs)| !runs.is_empty())
        .collect();
    // The quiet times, as ranges of consecutive saved times.
    let quiet_note = (!chart.quiet.is_empty()).then(|| {
        let mut times: Vec<f64> = chart.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).collect();
        times.extend(&chart.quiet);
        times.sort_by(f64::total_cmp);
        times.dedup();
        let mut ranges: Vec<(f64, f64)> = Vec::new();
        let mut previous_quiet = false;
        for time in &times {
            let quiet = chart.quiet.contains(time);
            match (quiet, previous_quiet, ranges.last_mut()) {
                (true, true, Some(range)) => range.1 = *time,
                (true, _, _) => ranges.push((*time, *time)),
                _ => {}
            }
            previous_quiet = quiet;
        }
        let listed: Vec<String> = ranges
            .iter()
            .map(|&(from, to)| {
                if from == to {
                    number_text(from, 6)
                } else {
                    format!("{}–{}", number_text(from, 6), number_text(to, 6))
                }
            })
            .collect();
        format!(
            "Not drawn at {} ({} saved times): the output does not vary there beyond numerical noise (its standard \
             deviation over runs is at most {} times its size), so indices there would be noise, not findings.",
            listed.join(", "),
            chart.quiet.len(),
            number_text(NOISE_FLOOR, 3)
        )
    });
    if drawable.is_empty() {
        let message = match &quiet_note {
            Some(_) => {
                "The output does not vary beyond numerical noise at any saved time: there are no indices to show."
            }
            None => "There are no values to show.",
        };
        return nothing_to_show(NAME, &title, message);
    }
    let points = || drawable.iter().flat_map(|(_, runs)| runs.iter().flatten());
    let x_extent = axis_extent(points().map(|p| p.0), &[], RangeStyle::Padded);
    let y_extent = axis_extent(points().map(|p| p.1), &[0.0], RangeStyle::Padded);
    let colour = |index: usize| PALETTE.get(index).copied().unwrap_or(GUIDE_COLOUR);
    let legend: Vec<LegendEntry> = drawable
        .iter()
        .enumerate()
        .take(PALETTE.len())
        .map(|(i, (label, _))| LegendEntry::new(Mark::Line(colour(i)), label))
        .collect();
    let mut notes = Vec::new();
    if drawable.len() > PALETTE.len() {
        notes.push(format!("{} more parameters drawn in grey.", drawable.len() - PALETTE.len()));
    }
    notes.extend(quiet_note);
    let header_block = Header::new(&title, &legend);
    let notes = wrap_notes(&notes);
    let header = header_block.height();
    let plot_height = 420;
    let height = header + plot_height + notes_height(&notes);
    let (measure, time) = (name_or(&chart.measure, "measure"), name_or(&chart.time, "time"));
    render(NAME, (WIDTH, height), |root| {
        header_block.draw(root)?;
        let (_, below) = root.split_vertically(header);
        let (plot_area, _) = below.split_vertically(plot_height);
        let plot = xy_plot(&plot_area, (x_extent, y_extent), (time, measure), 10)?;
        let area = plot.plotting_area();
        // Grey ones first, so the coloured lines stay on top.
        for (index, (_, runs)) in drawable.iter().enumerate().rev() {
            for run in runs {
                area.draw(&PathElement::new(run.clone(), colour(index).stroke_width(2)))?;
            }
        }
        draw_notes(root, &notes, header + plot_height)?;
        Ok(())
    })
}

/// One observed variable of a calibration: the data, the fitted run and the band of runs over
/// the posterior.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FitPanel {
    /// The variable.
    pub variable: String,
    /// The saved times.
    pub times: Vec<f64>,
    /// The best fit's value at each time.
    pub fitted: Vec<f64>,
    /// The band's lower edge at each time.
    pub low: Vec<f64>,
    /// The band's upper edge at each time.
    pub high: Vec<f64>,
    /// The observations: (time, value).
    pub data: Vec<(f64, f64)>,
}

/// A calibration's fit: one panel per observed variable, stacked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CalibrationFit {
    /// The chart's title.
    pub title: String,
    /// The horizontal axis: time, with its unit if known.
    pub time: String,
    /// What the band is (for the legend).
    pub band: String,
    /// The panels.
    pub panels: Vec<FitPanel>,
}

/// Draws data as dots against the fitted run (a line) and the posterior band (shaded).
pub fn calibration_fit(chart: &CalibrationFit) -> Result<String, ChartError> {
    const NAME: &str = "calibration_fit";
    const PANEL_HEIGHT: u32 = 300;
    let title = clean_text(&chart.title);
    if chart.panels.is_empty() {
        return nothing_to_show(NAME, &title, "There are no observed variables to show.");
    }
    let legend = vec![
        LegendEntry::new(Mark::Dot(TEXT_COLOUR), "data"),
        LegendEntry::new(Mark::Line(LOW_COLOUR), "best fit"),
        LegendEntry::new(Mark::Area(BOX_COLOUR), &chart.band),
    ];
    let header_block = Header::new(&title, &legend);
    let header = header_block.height();
    let height = header + PANEL_HEIGHT * chart.panels.len() as u32;
    let time = name_or(&chart.time, "time");
    render(NAME, (WIDTH, height), |root| {
        header_block.draw(root)?;
        let (_, mut below) = root.split_vertically(header);
        for panel in &chart.panels {
            let (area, rest) = below.split_vertically(PANEL_HEIGHT);
            below = rest;
            let band: Vec<(f64, f64)> = panel
                .times
                .iter()
                .zip(panel.low.iter().zip(&panel.high))
                .filter_map(|(t, (low, high))| Some((plot_value(*t)?, plot_value(*low)?, plot_value(*high)?)))
                .flat_map(|(t, low, high)| [(t, low), (t, high)])
                .collect();
            let line: Vec<(f64, f64)> = panel
                .times
                .iter()
                .zip(&panel.fitted)
                .filter_map(|(t, v)| Some((plot_value(*t)?, plot_value(*v)?)))
                .collect();
            let dots: Vec<(f64, f64)> =
                panel.data.iter().filter_map(|(t, v)| Some((plot_value(*t)?, plot_value(*v)?))).collect();
            let every = || band.iter().chain(&line).chain(&dots);
            let x_extent = axis_extent(every().map(|p| p.0), &[], RangeStyle::Padded);
            let y_extent = axis_extent(every().map(|p| p.1), &[], RangeStyle::Padded);
            let plot = xy_plot(&area, (x_extent, y_extent), (time.clone(), clean(&panel.variable)), 10)?;
            let drawing = plot.plotting_area();
            // The band as one polygon: the lower edge forward, the upper edge back.
            let lower = band.iter().step_by(2).copied();
            let upper: Vec<(f64, f64)> = band.iter().skip(1).step_by(2).copied().collect();
            let outline: Vec<(f64, f64)> = lower.chain(upper.into_iter().rev()).collect();
            if outline.len() >= 3 {
                drawing.draw(&Polygon::new(outline, BOX_COLOUR.filled()))?;
            }
            drawing.draw(&PathElement::new(line, LOW_COLOUR.stroke_width(2)))?;
            for dot in dots {
                drawing.draw(&Circle::new(dot, 3, TEXT_COLOUR.filled()))?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    /// Parses the SVG and returns the text of every `<text>` element, trimmed.
    pub(super) fn texts(svg: &str) -> Vec<String> {
        let document = roxmltree::Document::parse(svg).expect("the chart is well-formed XML");
        assert_eq!(document.root_element().tag_name().name(), "svg");
        document
            .descendants()
            .filter(|node| node.has_tag_name("text"))
            .map(|node| node.text().unwrap_or("").trim().to_owned())
            .collect()
    }

    /// Attributes that hold one number wherever they appear.
    const NUMERIC: [&str; 16] = [
        "x",
        "y",
        "x1",
        "y1",
        "x2",
        "y2",
        "cx",
        "cy",
        "r",
        "rx",
        "ry",
        "width",
        "height",
        "font-size",
        "stroke-width",
        "opacity",
    ];

    /// The numbers of a list attribute (`points`, `viewBox`, a path's `d`, a transform's
    /// arguments): everything between letters, commas, spaces and brackets.
    fn numbers_in(list: &str) -> Vec<Result<f64, String>> {
        list.split(|c: char| c.is_ascii_alphabetic() || c == ',' || c == '(' || c == ')' || c.is_whitespace())
            .filter(|part| !part.is_empty())
            .map(|part| part.parse::<f64>().map_err(|_| part.to_owned()))
            .collect()
    }

    /// Every number of the chart's geometry is a finite number: the position and size of every
    /// element, every point of a polyline or polygon, every number of a path, the view box and
    /// the arguments of a transform. Positions also lie on the canvas, give or take a pixel:
    /// plotters rounds coordinates to integers, so a value mapped from an infinite or NaN one
    /// would show as a point far off it, or at its corner.
    pub(super) fn assert_finite_geometry(svg: &str) {
        let document = roxmltree::Document::parse(svg).expect("the chart is well-formed XML");
        let root = document.root_element();
        let size = |name: &str| -> f64 { root.attribute(name).and_then(|value| value.parse().ok()).unwrap_or(0.0) };
        let (width, height) = (size("width"), size("height"));
        assert!(width > 0.0 && height > 0.0, "the chart's size: {width} by {height}");
        let on_canvas = |value: f64, across: bool| {
            let extent = if across { width } else { height };
            (-1.0..=extent + 1.0).contains(&value)
        };
        let mut checked = 0;
        for node in document.descendants().filter(|node| node.is_element()) {
            for attribute in node.attributes() {
                let name = attribute.name();
                let numbers = if NUMERIC.contains(&name) {
                    vec![attribute.value().parse::<f64>().map_err(|_| attribute.value().to_owned())]
                } else if ["points", "d", "viewBox", "transform"].contains(&name) {
                    numbers_in(attribute.value())
                } else {
                    continue;
                };
                let tag = node.tag_name().name();
                for (index, number) in numbers.into_iter().enumerate() {
                    checked += 1;
                    let value = match number {
                        Ok(value) if value.is_finite() => value,
                        _ => panic!("<{tag} {name}=\"{}\"> is not finite numbers", attribute.value()),
                    };
                    let placed = match name {
                        "x" | "x1" | "x2" | "cx" | "width" => on_canvas(value, true),
                        "y" | "y1" | "y2" | "cy" | "height" => on_canvas(value, false),
                        "points" => on_canvas(value, index % 2 == 0),
                        _ => true,
                    };
                    assert!(placed, "<{tag} {name}=\"{}\"> is off the {width} by {height} canvas", attribute.value());
                }
            }
        }
        assert!(checked > 10, "only {checked} numbers in {svg}");
    }

    /// A `<text>` element as placed: where, how big, how anchored and turned.
    struct Label {
        text: String,
        x: f64,
        y: f64,
        size: f64,
        anchor: String,
        dy: String,
        rotation: Option<(f64, f64, f64)>,
    }

    impl Label {
        /// The box the text covers: its estimated width (an average advance of 0.6 em, the
        /// chart's own estimate) by one em, placed by its anchor and baseline shift, turned
        /// with the element.
        fn bounds(&self) -> (f64, f64, f64, f64) {
            let width = text_width(&self.text, self.size);
            let (left, right) = match self.anchor.as_str() {
                "start" => (self.x, self.x + width),
                "middle" => (self.x - width / 2.0, self.x + width / 2.0),
                "end" => (self.x - width, self.x),
                other => panic!("text-anchor {other:?} of {:?}", self.text),
            };
            // plotters writes VPos::Top as 0.76em, Center as 0.5ex and Bottom as -0.5ex.
            let (top, bottom) = match self.dy.as_str() {
                "0.76em" => (self.y, self.y + self.size),
                "0.5ex" => (self.y - self.size / 2.0, self.y + self.size / 2.0),
                "-0.5ex" => (self.y - self.size, self.y),
                other => panic!("dy {other:?} of {:?}", self.text),
            };
            let Some((angle, cx, cy)) = self.rotation else { return (left, top, right, bottom) };
            let (sin, cos) = angle.to_radians().sin_cos();
            let turned: Vec<(f64, f64)> = [(left, top), (right, top), (left, bottom), (right, bottom)]
                .iter()
                .map(|&(x, y)| (cx + (x - cx) * cos - (y - cy) * sin, cy + (x - cx) * sin + (y - cy) * cos))
                .collect();
            let fold = |pick: fn(&(f64, f64)) -> f64, start: f64, f: fn(f64, f64) -> f64| {
                turned.iter().map(pick).fold(start, f)
            };
            (
                fold(|p| p.0, f64::INFINITY, f64::min),
                fold(|p| p.1, f64::INFINITY, f64::min),
                fold(|p| p.0, f64::NEG_INFINITY, f64::max),
                fold(|p| p.1, f64::NEG_INFINITY, f64::max),
            )
        }
    }

    /// Every `<text>` of the chart, as placed.
    fn labels(svg: &str) -> Vec<Label> {
        let document = roxmltree::Document::parse(svg).expect("the chart is well-formed XML");
        let number = |node: roxmltree::Node<'_, '_>, name: &str| -> f64 {
            let value = node.attribute(name).unwrap_or_else(|| panic!("<text> without {name}"));
            value.parse().unwrap_or_else(|_| panic!("<text {name}=\"{value}\">"))
        };
        document
            .descendants()
            .filter(|node| node.has_tag_name("text"))
            .map(|node| {
                let rotation = node.attribute("transform").map(|transform| {
                    let numbers: Vec<f64> = numbers_in(transform).into_iter().map(|n| n.expect("a number")).collect();
                    assert!(transform.starts_with("rotate(") && numbers.len() == 3, "transform {transform:?}");
                    (numbers[0], numbers[1], numbers[2])
                });
                Label {
                    text: node.text().unwrap_or("").trim().to_owned(),
                    x: number(node, "x"),
                    y: number(node, "y"),
                    size: number(node, "font-size"),
                    anchor: node.attribute("text-anchor").unwrap_or("start").to_owned(),
                    dy: node.attribute("dy").unwrap_or("").to_owned(),
                    rotation,
                }
            })
            .collect()
    }

    /// No two texts of the chart cover the same place (by more than half a pixel either way).
    pub(super) fn assert_no_overlap(svg: &str) {
        let labels = labels(svg);
        for (index, first) in labels.iter().enumerate() {
            let a = first.bounds();
            for second in &labels[index + 1..] {
                let b = second.bounds();
                let across = a.2.min(b.2) - a.0.max(b.0);
                let down = a.3.min(b.3) - a.1.max(b.1);
                assert!(
                    across <= 0.5 || down <= 0.5,
                    "`{}` at {a:?} and `{}` at {b:?} overlap",
                    first.text,
                    second.text
                );
            }
        }
    }

    /// The tick labels of one axis, as (position along the axis, value).
    type Ticks = Vec<(f64, f64)>;

    /// The tick labels of each axis, as (position along the axis, value). The horizontal axis's
    /// hang centred below their ticks, in one row under the plot: of the texts at the tick size
    /// placed so, the lowest row (a point label placed so stays inside the plot, above it). The
    /// vertical axis's sit right-aligned left of their ticks, in one column: the leftmost.
    pub(super) fn ticks(svg: &str) -> (Ticks, Ticks) {
        let labels: Vec<Label> =
            labels(svg).into_iter().filter(|label| label.size == TICK_PX && label.rotation.is_none()).collect();
        let value = |label: &Label| -> f64 {
            let value = label.text.parse::<f64>().unwrap_or_else(|_| panic!("tick label {:?}", label.text));
            assert!(value.is_finite(), "tick label {:?}", label.text);
            value
        };
        let placed = |anchor: &str, dy: &str| -> Vec<&Label> {
            labels.iter().filter(|label| label.anchor == anchor && label.dy == dy).collect()
        };
        let below = placed("middle", "0.76em");
        let lowest = below.iter().map(|label| label.y).fold(f64::NEG_INFINITY, f64::max);
        let horizontal = below.iter().filter(|label| label.y == lowest).map(|label| (label.x, value(label))).collect();
        let left = placed("end", "0.5ex");
        let leftmost = left.iter().map(|label| label.x).fold(f64::INFINITY, f64::min);
        let vertical = left.iter().filter(|label| label.x == leftmost).map(|label| (-label.y, value(label))).collect();
        (horizontal, vertical)
    }

    /// The chart has a finite axis (or two): at least two tick labels each, every one a finite
    /// number, and increasing along the axis (rightwards, upwards).
    fn assert_finite_axes(svg: &str, axes: usize) {
        assert_finite_geometry(svg);
        let (horizontal, vertical) = ticks(svg);
        let drawn: Vec<&Vec<(f64, f64)>> = [&horizontal, &vertical].into_iter().filter(|t| !t.is_empty()).collect();
        assert_eq!(drawn.len(), axes, "axes with tick labels: {horizontal:?} {vertical:?}");
        for ticks in drawn {
            assert!(ticks.len() >= 2, "{ticks:?}");
            let mut sorted = ticks.clone();
            sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
            assert!(sorted.windows(2).all(|pair| pair[0].1 < pair[1].1), "tick labels out of order: {sorted:?}");
        }
    }

    fn assert_shows(svg: &str, expected: &[&str]) {
        let found = texts(svg);
        for text in expected {
            assert!(found.iter().any(|t| t == text), "`{text}` is not among the chart's texts: {found:?}");
        }
    }

    fn example_tornado() -> Tornado {
        Tornado {
            title: "Backlog in 2030, one parameter at a time".into(),
            outcome: "Backlog (tickets)".into(),
            baseline: 120.0,
            bars: vec![
                TornadoBar { parameter: "hiring delay".into(), low: 110.0, high: 135.0 },
                TornadoBar { parameter: "attrition rate".into(), low: 90.0, high: 170.0 },
                TornadoBar { parameter: "training time".into(), low: 125.0, high: 128.0 },
            ],
        }
    }

    fn example_morris() -> Morris {
        Morris {
            title: "Morris screening of Backlog".into(),
            outcome: "Backlog".into(),
            points: vec![
                MorrisPoint {
                    parameter: "hiring delay".into(),
                    mu_star: 4.0,
                    sigma: 1.0,
                    mu_star_interval: Some((3.0, 5.0)),
                },
                MorrisPoint { parameter: "attrition rate".into(), mu_star: 2.0, sigma: 3.5, mu_star_interval: None },
                MorrisPoint {
                    parameter: "training time".into(),
                    mu_star: 0.2,
                    sigma: 0.1,
                    mu_star_interval: Some((0.0, 0.5)),
                },
            ],
        }
    }

    fn example_sobol() -> Indices {
        let value = |measure: &str, value: f64| IndexValue {
            measure: measure.into(),
            value,
            low: value - 0.05,
            high: value + 0.05,
        };
        Indices {
            title: "Sobol indices of Backlog".into(),
            axis: "Sobol index".into(),
            range: Some((0.0, 1.0)),
            rows: vec![
                IndexRow { parameter: "hiring delay".into(), values: vec![value("S1", 0.2), value("ST", 0.3)] },
                IndexRow { parameter: "attrition rate".into(), values: vec![value("S1", 0.5), value("ST", 0.7)] },
            ],
        }
    }

    fn example_prcc() -> Indices {
        let value = |value: f64| IndexValue { measure: "PRCC".into(), value, low: value - 0.1, high: value + 0.1 };
        Indices {
            title: "PRCC of Backlog".into(),
            axis: "partial rank correlation".into(),
            range: Some((-1.0, 1.0)),
            rows: vec![
                IndexRow { parameter: "hiring delay".into(), values: vec![value(-0.6)] },
                IndexRow { parameter: "attrition rate".into(), values: vec![value(0.8)] },
            ],
        }
    }

    fn example_leverage() -> Leverage {
        Leverage {
            title: "Leverage on Backlog".into(),
            outcome: "Backlog".into(),
            better: None,
            levers: vec![
                LeverageBar {
                    lever: "hiring budget".into(),
                    score: -1.6,
                    p10: -2.4,
                    p90: -1.1,
                    interval: (-1.8, -1.3),
                    disproportionate: true,
                    raises: None,
                },
                LeverageBar {
                    lever: "overtime limit".into(),
                    score: 0.3,
                    p10: 0.1,
                    p90: 0.6,
                    interval: (0.25, 0.35),
                    disproportionate: false,
                    raises: None,
                },
            ],
        }
    }

    #[test]
    fn lines_over_time_skip_missing_values_and_name_every_parameter() {
        let chart = OverTime {
            title: "Workforce: ST over time".into(),
            measure: "ST".into(),
            time: "months".into(),
            series: (0..9)
                .map(|k| TimeSeries {
                    parameter: format!("parameter {k}"),
                    points: (0..20)
                        .map(|t| (t as f64, if t == 5 { f64::NAN } else { (t * k) as f64 / 100.0 }))
                        .collect(),
                })
                .collect(),
            quiet: Vec::new(),
        };
        let svg = over_time(&chart).unwrap();
        let document = roxmltree::Document::parse(&svg).unwrap();
        let text: String = document.descendants().filter_map(|n| n.text()).collect();
        for k in 0..7 {
            assert!(text.contains(&format!("parameter {k}")), "legend entry {k}");
        }
        assert!(text.contains("2 more parameters drawn in grey"));
        // The missing value at t = 5 splits every line in two: t = 0..4 and t = 6..19.
        let lengths: Vec<usize> = document
            .descendants()
            .filter(|node| node.has_tag_name("polyline") && node.attribute("stroke-width") == Some("2"))
            .map(|node| numbers_in(node.attribute("points").unwrap_or("")).len() / 2)
            .collect();
        for (points, what) in [(5, "before the gap"), (14, "after the gap")] {
            assert_eq!(lengths.iter().filter(|&&n| n == points).count(), 9, "lines {what}: {lengths:?}");
        }
        assert_finite_axes(&svg, 2);
        assert_no_overlap(&svg);
        let empty =
            OverTime { series: vec![TimeSeries { parameter: "x".into(), points: vec![(0.0, f64::NAN)] }], ..chart };
        assert!(texts(&over_time(&empty).unwrap()).iter().any(|t| t.starts_with("There are no")));
    }

    fn example_differences() -> Differences {
        Differences {
            title: "Options against the status quo".into(),
            outcome: "Backlog".into(),
            baseline: "status quo".into(),
            better: Some(Better::Lower),
            options: vec![
                DifferenceOption {
                    option: "hire early".into(),
                    differences: (0..50).map(|i| -10.0 + i as f64 * 0.3).collect(),
                },
                DifferenceOption {
                    option: "automate triage".into(),
                    differences: (0..50).map(|i| 2.0 - i as f64 * 0.1).collect(),
                },
            ],
        }
    }

    #[test]
    fn tornado_shows_title_labels_and_legend() {
        let svg = tornado(&example_tornado()).unwrap();
        assert_shows(
            &svg,
            &[
                "Backlog in 2030, one parameter at a time",
                "Backlog (tickets)",
                "hiring delay",
                "attrition rate",
                "training time",
                "parameter at low",
                "parameter at high",
            ],
        );
        // Sorted by swing: attrition (80), hiring (25), training (3).
        let found = texts(&svg);
        let position = |name: &str| found.iter().position(|t| t == name).unwrap();
        assert!(position("attrition rate") < position("hiring delay"));
        assert!(position("hiring delay") < position("training time"));
    }

    #[test]
    fn tornado_is_about_800_by_100_plus_28_per_bar() {
        let svg = tornado(&example_tornado()).unwrap();
        let document = roxmltree::Document::parse(&svg).unwrap();
        let root = document.root_element();
        assert_eq!(root.attribute("width"), Some("800"));
        let height: u32 = root.attribute("height").unwrap().parse().unwrap();
        assert!((100 + 28 * 3..=100 + 28 * 3 + 80).contains(&height), "height {height}");
    }

    #[test]
    fn morris_shows_title_labels_and_diagonal() {
        let svg = morris(&example_morris()).unwrap();
        assert_shows(&svg, &["Morris screening of Backlog", "hiring delay", "attrition rate", "training time"]);
        let found = texts(&svg);
        assert!(found.iter().any(|t| t.starts_with("μ*")), "x axis label");
        assert!(found.iter().any(|t| t.starts_with("σ")), "y axis label");
        assert!(found.iter().any(|t| t.starts_with("σ = μ*")), "diagonal in the legend");
    }

    #[test]
    fn sobol_and_prcc_show_title_labels_and_measures() {
        let svg = indices(&example_sobol()).unwrap();
        assert_shows(&svg, &["Sobol indices of Backlog", "Sobol index", "hiring delay", "attrition rate", "S1", "ST"]);
        let svg = indices(&example_prcc()).unwrap();
        assert_shows(&svg, &["PRCC of Backlog", "partial rank correlation", "hiring delay", "attrition rate", "PRCC"]);
    }

    #[test]
    fn leverage_shows_title_labels_and_highlight() {
        let svg = leverage(&example_leverage()).unwrap();
        assert_shows(
            &svg,
            &["Leverage on Backlog", "hiring budget", "overtime limit", "disproportionate lever", "bootstrap CI"],
        );
        // The disproportionate lever's bar is outlined (and only its).
        let document = roxmltree::Document::parse(&svg).unwrap();
        let outlined = document
            .descendants()
            .filter(|n| {
                n.has_tag_name("polyline")
                    && n.attribute("stroke-width") == Some("2")
                    && numbers_in(n.attribute("points").unwrap_or("")).len() == 10
            })
            .count();
        assert_eq!(outlined, 2, "one bar and its legend mark");
    }

    #[test]
    fn differences_show_title_labels_and_direction() {
        let svg = differences(&example_differences()).unwrap();
        assert_shows(&svg, &["Options against the status quo", "hire early", "automate triage"]);
        assert!(texts(&svg).iter().any(|t| t.starts_with("Lower is better")));
        let mut higher = example_differences();
        higher.better = Some(Better::Higher);
        assert!(texts(&differences(&higher).unwrap()).iter().any(|t| t.starts_with("Higher is better")));
    }

    /// The charts that sort their rows (and Morris, whose points are labelled largest μ* first)
    /// draw the same bytes whatever order the rows come in; a box plot, whatever order its
    /// futures come in.
    #[test]
    fn the_order_of_the_input_does_not_change_the_chart() {
        let mut reversed = example_tornado();
        reversed.bars.reverse();
        assert_eq!(tornado(&reversed).unwrap(), tornado(&example_tornado()).unwrap());
        let mut reversed = example_morris();
        reversed.points.reverse();
        assert_eq!(morris(&reversed).unwrap(), morris(&example_morris()).unwrap());
        let mut reversed = example_sobol();
        reversed.rows.reverse();
        assert_eq!(indices(&reversed).unwrap(), indices(&example_sobol()).unwrap());
        let mut reversed = example_leverage();
        reversed.levers.reverse();
        assert_eq!(leverage(&reversed).unwrap(), leverage(&example_leverage()).unwrap());
        let mut reversed = example_differences();
        for option in &mut reversed.options {
            option.differences.reverse();
        }
        assert_eq!(differences(&reversed).unwrap(), differences(&example_differences()).unwrap());
    }

    /// No text of a chart covers another: the examples, long and odd names, many rows and
    /// measures, many lines over time, and Morris points close together with room around them.
    #[test]
    fn labels_do_not_overlap() {
        let long = "Average time to adjust the workforce to the desired capacity in the northern region \
                    including contractors and temporary staff hired through agencies";
        let mut long_tornado = example_tornado();
        long_tornado.title = format!("{long} {long}");
        long_tornado.outcome = long.to_owned();
        long_tornado.bars[0].parameter = long.to_owned();
        long_tornado.bars[1].parameter = "x".repeat(500);
        let mut close = example_morris();
        close.points = (0..4)
            .map(|i| MorrisPoint {
                parameter: format!("parameter number {i}"),
                mu_star: 2.0 + 0.3 * i as f64,
                sigma: 1.0 + 0.3 * i as f64,
                mu_star_interval: None,
            })
            .collect();
        close.points.push(MorrisPoint { parameter: "far".into(), mu_star: 8.0, sigma: 6.0, mu_star_interval: None });
        // Three points almost on top of one another still find a place each.
        let mut closer = example_morris();
        closer.points = (0..3)
            .map(|i| MorrisPoint {
                parameter: format!("parameter number {i}"),
                mu_star: 2.0 + 0.05 * i as f64,
                sigma: 1.0 + 0.05 * i as f64,
                mu_star_interval: None,
            })
            .collect();
        let many = Indices {
            title: "Many".into(),
            axis: "index".into(),
            range: None,
            rows: (0..40)
                .map(|i| IndexRow {
                    parameter: format!("parameter {i} with a name of some length"),
                    values: (0..9)
                        .map(|m| IndexValue {
                            measure: format!("measure {m}"),
                            value: (i * m) as f64 / 400.0,
                            low: 0.0,
                            high: 0.1,
                        })
                        .collect(),
                })
                .collect(),
        };
        let lines = OverTime {
            title: "Lines".into(),
            measure: "ST".into(),
            time: "months".into(),
            series: (0..12)
                .map(|k| TimeSeries {
                    parameter: format!("parameter {k} of the model"),
                    points: (0..20).map(|t| (t as f64, (t * k) as f64)).collect(),
                })
                .collect(),
            quiet: Vec::new(),
        };
        let charts = [
            tornado(&example_tornado()).unwrap(),
            tornado(&long_tornado).unwrap(),
            morris(&example_morris()).unwrap(),
            morris(&close).unwrap(),
            morris(&closer).unwrap(),
            indices(&example_sobol()).unwrap(),
            indices(&example_prcc()).unwrap(),
            indices(&many).unwrap(),
            leverage(&example_leverage()).unwrap(),
            differences(&example_differences()).unwrap(),
            over_time(&lines).unwrap(),
        ];
        for svg in &charts {
            assert_no_overlap(svg);
        }
    }

    #[test]
    fn empty_inputs_say_there_is_nothing_to_show() {
        let charts = [
            tornado(&Tornado { title: "Empty tornado".into(), ..Tornado::default() }).unwrap(),
            morris(&Morris { title: "Empty Morris".into(), ..Morris::default() }).unwrap(),
            indices(&Indices { title: "Empty indices".into(), ..Indices::default() }).unwrap(),
            indices(&Indices {
                title: "Rows without values".into(),
                rows: vec![IndexRow { parameter: "a".into(), values: vec![] }],
                ..Indices::default()
            })
            .unwrap(),
            leverage(&Leverage { title: "Empty leverage".into(), ..Leverage::default() }).unwrap(),
            differences(&Differences { title: "Empty differences".into(), ..Differences::default() }).unwrap(),
        ];
        for svg in &charts {
            assert!(texts(svg).iter().any(|t| t.starts_with("There are no")), "{svg}");
        }
    }

    #[test]
    fn missing_values_are_left_out() {
        let nan = f64::NAN;
        let mut chart = example_tornado();
        chart.bars.push(TornadoBar { parameter: "unknown".into(), low: nan, high: nan });
        chart.bars.push(TornadoBar { parameter: "half known".into(), low: nan, high: f64::INFINITY });
        chart.bars[0].low = nan;
        let svg = tornado(&chart).unwrap();
        assert_shows(&svg, &["unknown", "missing"]);
        assert_finite_geometry(&svg);
        // Bars of the known values only, and one of each colour in the legend: two low values
        // of five and three high values (of which one infinite, left out) remain.
        let filled = |colour: RGBColor| {
            let fill = format!("#{:02X}{:02X}{:02X}", colour.0, colour.1, colour.2);
            let document = roxmltree::Document::parse(&svg).unwrap();
            document.descendants().filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(&fill)).count()
        };
        assert_eq!((filled(LOW_COLOUR), filled(HIGH_COLOUR)), (2 + 1, 3 + 1), "bars drawn, legend included");
        chart.baseline = nan;
        assert_finite_geometry(&tornado(&chart).unwrap());
        for bar in &mut chart.bars {
            bar.low = nan;
            bar.high = nan;
        }
        assert_finite_geometry(&tornado(&chart).unwrap());

        let mut chart = example_morris();
        chart.points.push(MorrisPoint { parameter: "lost".into(), mu_star: nan, sigma: 1.0, mu_star_interval: None });
        chart.points[0].mu_star_interval = Some((nan, 2.0));
        let found = texts(&morris(&chart).unwrap());
        assert!(found.iter().any(|t| t.contains("Not shown") && t.contains("lost")));
        assert_finite_geometry(&morris(&chart).unwrap());
        for point in &mut chart.points {
            point.mu_star = nan;
        }
        assert_finite_geometry(&morris(&chart).unwrap());

        let mut chart = example_sobol();
        chart.rows[0].values[0].value = nan;
        chart.rows[1].values[1].low = nan;
        chart.range = Some((nan, f64::INFINITY));
        chart.rows.push(IndexRow {
            parameter: "no estimate".into(),
            values: vec![IndexValue { measure: "S1".into(), value: nan, low: nan, high: nan }],
        });
        assert_shows(&indices(&chart).unwrap(), &["no estimate", "missing"]);
        assert_finite_geometry(&indices(&chart).unwrap());

        let mut chart = example_leverage();
        chart.levers[0].score = nan;
        chart.levers[1].interval = (nan, nan);
        chart.levers.push(LeverageBar {
            lever: "void".into(),
            score: nan,
            p10: nan,
            p90: nan,
            interval: (nan, nan),
            disproportionate: false,
            raises: None,
        });
        assert_shows(&leverage(&chart).unwrap(), &["void", "missing"]);
        assert_finite_geometry(&leverage(&chart).unwrap());

        let mut chart = example_differences();
        chart.options[0].differences.extend([nan, f64::NEG_INFINITY]);
        chart.options.push(DifferenceOption { option: "all failed".into(), differences: vec![nan, nan] });
        chart.options.push(DifferenceOption { option: "no futures".into(), differences: vec![] });
        assert_shows(&differences(&chart).unwrap(), &["all failed", "no futures", "missing"]);
        assert_finite_geometry(&differences(&chart).unwrap());
    }

    #[test]
    fn long_names_and_odd_text_do_not_break_the_chart() {
        let long = "Average time to adjust the workforce to the desired capacity in the northern region \
                    including contractors and temporary staff hired through agencies"
            .to_owned();
        let unbroken = "x".repeat(500);
        let odd = "a <b> & \"c\" 'd'\u{0}\u{7}\u{FFFF}\ttab";
        let mut chart = example_tornado();
        chart.title = format!("{long} {long}");
        chart.outcome = long.clone();
        chart.bars[0].parameter = long.clone();
        chart.bars[1].parameter = unbroken.clone();
        chart.bars[2].parameter = odd.to_owned();
        let svg = tornado(&chart).unwrap();
        let found = texts(&svg);
        assert!(found.iter().any(|t| t == "a <b> & \"c\" 'd' tab"), "{found:?}");
        let label_lines: Vec<&String> =
            found.iter().filter(|t| t.starts_with("Average time") || t.starts_with('…')).collect();
        assert!(!label_lines.is_empty());
        // No text runs off the chart or covers another.
        let fits = |svg: &str| {
            let document = roxmltree::Document::parse(svg).expect("the chart is well-formed XML");
            let size = |name: &str| -> f64 { document.root_element().attribute(name).unwrap().parse().unwrap() };
            let (width, height) = (size("width"), size("height"));
            for label in labels(svg) {
                let (left, top, right, bottom) = label.bounds();
                assert!(
                    left >= 0.0 && right <= width && top >= 0.0 && bottom <= height,
                    "`{}` covers {left}..{right} by {top}..{bottom}, outside the {width} by {height} chart",
                    label.text
                );
            }
            assert_no_overlap(svg);
            assert_finite_geometry(svg);
        };
        fits(&svg);

        let mut chart = example_morris();
        chart.points[0].parameter = long.clone();
        chart.points[1].parameter = odd.to_owned();
        fits(&morris(&chart).unwrap());

        let mut chart = example_sobol();
        chart.rows[0].parameter = unbroken.clone();
        chart.rows[0].values[0].measure = long.clone();
        fits(&indices(&chart).unwrap());

        let mut chart = example_leverage();
        chart.levers[0].lever = long.clone();
        fits(&leverage(&chart).unwrap());

        let mut chart = example_differences();
        chart.options[0].option = long.clone();
        chart.baseline = unbroken.clone();
        fits(&differences(&chart).unwrap());

        let chart = OverTime {
            title: long.clone(),
            measure: long.clone(),
            time: unbroken,
            series: vec![TimeSeries { parameter: long, points: vec![(0.0, 1.0), (1.0, 2.0)] }],
            quiet: Vec::new(),
        };
        fits(&over_time(&chart).unwrap());
    }

    #[test]
    fn extreme_values_give_finite_axes() {
        let mut chart = example_tornado();
        chart.baseline = 1e308;
        chart.bars[0].low = -1e308;
        chart.bars[1].high = 5e-324;
        assert_finite_axes(&tornado(&chart).unwrap(), 1);
        let mut chart = example_tornado();
        for bar in &mut chart.bars {
            bar.low = 120.0;
            bar.high = 120.0;
        }
        assert_finite_axes(&tornado(&chart).unwrap(), 1);
        let mut chart = example_tornado();
        chart.baseline = 1e-300;
        for bar in &mut chart.bars {
            bar.low = -1e-300;
            bar.high = 3e-300;
        }
        assert_finite_axes(&tornado(&chart).unwrap(), 1);
        let chart = Differences {
            title: "Huge".into(),
            options: vec![DifferenceOption { option: "big".into(), differences: vec![1e308, -1e308, 1e308] }],
            ..Differences::default()
        };
        assert_finite_axes(&differences(&chart).unwrap(), 1);
        let mut chart = example_morris();
        chart.points[0].mu_star = 1e308;
        chart.points[1].sigma = f64::MAX;
        chart.points[2].mu_star_interval = Some((-1e308, 1e308));
        assert_finite_axes(&morris(&chart).unwrap(), 2);
        let mut chart = example_morris();
        for point in &mut chart.points {
            point.mu_star = 5e-324;
            point.sigma = 5e-324;
            point.mu_star_interval = None;
        }
        assert_finite_axes(&morris(&chart).unwrap(), 2);
        let mut chart = example_sobol();
        chart.range = Some((-f64::MAX, f64::MAX));
        chart.rows[0].values[0].high = 1e308;
        assert_finite_axes(&indices(&chart).unwrap(), 1);
        let mut chart = example_leverage();
        chart.levers[0].p10 = -1e308;
        chart.levers[1].p90 = 1e308;
        assert_finite_axes(&leverage(&chart).unwrap(), 1);
        let chart = OverTime {
            title: "Huge".into(),
            measure: "x".into(),
            time: "t".into(),
            series: vec![TimeSeries {
                parameter: "p".into(),
                points: vec![(0.0, -1e308), (1e308, 1e308), (f64::MAX, 0.0)],
            }],
            quiet: Vec::new(),
        };
        assert_finite_axes(&over_time(&chart).unwrap(), 2);
    }

    #[test]
    fn many_measures_and_rows() {
        let rows = (0..40)
            .map(|i| IndexRow {
                parameter: format!("parameter {i}"),
                values: (0..9)
                    .map(|m| IndexValue {
                        measure: format!("M{m}"),
                        value: (i * m) as f64 / 400.0,
                        low: f64::NAN,
                        high: f64::NAN,
                    })
                    .collect(),
            })
            .collect();
        let svg = indices(&Indices { title: "Many".into(), axis: "index".into(), range: None, rows }).unwrap();
        assert_shows(&svg, &["parameter 0", "parameter 39", "M8"]);
    }

    #[test]
    fn quantiles_are_type_7() {
        let chart = Differences {
            title: "One".into(),
            outcome: "x".into(),
            baseline: "b".into(),
            better: None,
            options: vec![DifferenceOption { option: "o".into(), differences: vec![4.0, 1.0, 3.0, 2.0] }],
        };
        // Type 7 on 1..4: P25 = 1.75, P75 = 3.25; the chart draws them, so it must not fail.
        assert_eq!(quantiles_of(&[4.0, 1.0, 3.0, 2.0], &[0.25, 0.75]), vec![1.75, 3.25]);
        texts(&differences(&chart).unwrap());
    }

    /// A chart with only finite numbers in its geometry and tick labels.
    fn well_formed(svg: &str) {
        assert_finite_geometry(svg);
        ticks(svg);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any numbers, NaN and infinities included, give a well-formed chart whose geometry and
        /// tick labels are finite numbers.
        #[test]
        fn any_numbers_give_well_formed_charts(values in proptest::collection::vec(proptest::num::f64::ANY, 0..16)) {
            let at = |i: usize| if values.is_empty() { f64::NAN } else { values[i % values.len()] };
            let n = values.len();
            let tornado_chart = Tornado {
                title: "t".into(),
                outcome: "y".into(),
                baseline: at(0),
                bars: (0..n).map(|i| TornadoBar { parameter: format!("p{i}"), low: at(i), high: at(i + 1) }).collect(),
            };
            well_formed(&tornado(&tornado_chart).unwrap());
            let morris_chart = Morris {
                title: "m".into(),
                outcome: "y".into(),
                points: (0..n)
                    .map(|i| MorrisPoint {
                        parameter: format!("p{i}"),
                        mu_star: at(i),
                        sigma: at(i + 1),
                        mu_star_interval: Some((at(i + 2), at(i + 3))),
                    })
                    .collect(),
            };
            well_formed(&morris(&morris_chart).unwrap());
            let indices_chart = Indices {
                title: "i".into(),
                axis: "x".into(),
                range: Some((at(1), at(2))),
                rows: (0..n)
                    .map(|i| IndexRow {
                        parameter: format!("p{i}"),
                        values: vec![IndexValue { measure: "S1".into(), value: at(i), low: at(i + 1), high: at(i + 2) }],
                    })
                    .collect(),
            };
            well_formed(&indices(&indices_chart).unwrap());
            let leverage_chart = Leverage {
                title: "l".into(),
                outcome: "y".into(),
                better: None,
                levers: (0..n)
                    .map(|i| LeverageBar {
                        lever: format!("p{i}"),
                        score: at(i),
                        p10: at(i + 1),
                        p90: at(i + 2),
                        interval: (at(i + 3), at(i + 4)),
                        disproportionate: i % 2 == 0,
                        raises: None,
                    })
                    .collect(),
            };
            well_formed(&leverage(&leverage_chart).unwrap());
            let differences_chart = Differences {
                title: "d".into(),
                outcome: "y".into(),
                baseline: "b".into(),
                better: Some(Better::Higher),
                options: vec![
                    DifferenceOption { option: "all".into(), differences: values.clone() },
                    DifferenceOption { option: "one".into(), differences: vec![at(0)] },
                ],
            };
            well_formed(&differences(&differences_chart).unwrap());
        }
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(number_text(0.30000000000000004, 6), "0.3");
        assert_eq!(number_text(1234.56, 4), "1235");
        assert_eq!(number_text(-0.00001, 6), "-1e-5");
        assert_eq!(number_text(2_500_000.0, 6), "2.5e6");
        assert_eq!(number_text(-0.0, 6), "0");
        assert_eq!(tick_text(1e-17, 1.0), "0");
        // Ticks close together on a large value keep the digits that tell them apart.
        assert_eq!(tick_text(10183.25, 0.3), "10183.25");
        assert_ne!(tick_text(10183.25, 0.3), tick_text(10183.3, 0.3));
    }

    #[test]
    fn labels_wrap_onto_two_lines_at_most() {
        assert_eq!(wrap_label("short"), vec!["short"]);
        let lines = wrap_label(&"word ".repeat(60));
        assert_eq!(lines.len(), 2);
        assert!(lines[1].starts_with('…'));
        for line in &lines {
            assert!(text_width(line, LABEL_PX) <= MAX_LABEL_WIDTH);
        }
        assert_eq!(elide_middle("abcdefghij", 5), "ab…ij");
        assert_eq!(clean(" \u{1}\n "), "(unnamed)");
    }

    /// How many `<rect>`s are filled with `colour`.
    pub(super) fn filled_rects(svg: &str, colour: RGBColor) -> usize {
        let fill = format!("#{:02X}{:02X}{:02X}", colour.0, colour.1, colour.2);
        let document = roxmltree::Document::parse(svg).unwrap();
        document.descendants().filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(fill.as_str())).count()
    }

    /// The x of every vertical line (or dash of one) drawn in `colour` that is longer than a
    /// legend mark is tall, distinct.
    fn vertical_lines(svg: &str, colour: RGBColor) -> Vec<f64> {
        let stroke = format!("#{:02X}{:02X}{:02X}", colour.0, colour.1, colour.2);
        let document = roxmltree::Document::parse(svg).unwrap();
        let mut found: Vec<f64> = Vec::new();
        for node in
            document.descendants().filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(&stroke))
        {
            let numbers: Vec<f64> =
                numbers_in(node.attribute("points").unwrap_or("")).into_iter().map(|n| n.unwrap()).collect();
            let points: Vec<(f64, f64)> = numbers.chunks(2).map(|p| (p[0], p[1])).collect();
            let Some(first) = points.first() else { continue };
            let vertical = points.iter().all(|p| p.0 == first.0) && points.iter().any(|p| p.1 != first.1);
            if vertical && !found.contains(&first.0) {
                found.push(first.0);
            }
        }
        found
    }

    /// The value at horizontal position `x`, from the horizontal axis's tick labels.
    fn value_at(svg: &str, x: f64) -> f64 {
        let (horizontal, _) = ticks(svg);
        let (a, b) = (horizontal[0], horizontal[horizontal.len() - 1]);
        a.1 + (x - a.0) * (b.1 - a.1) / (b.0 - a.0)
    }

    fn lever(name: &str, score: f64) -> LeverageBar {
        LeverageBar {
            lever: name.into(),
            score,
            p10: score * 0.5,
            p90: score * 1.5,
            interval: (score * 0.9, score * 1.1),
            disproportionate: false,
            raises: None,
        }
    }

    /// Scores of a few hundredths get an axis of a few hundredths, not ±1, and no ±1 lines.
    #[test]
    fn leverage_axis_fits_small_scores_without_the_unit_lines() {
        let chart = Leverage {
            title: "Leverage on output".into(),
            outcome: "output".into(),
            better: None,
            levers: vec![lever("learning", 0.0361), lever("autonomy", 0.00597), lever("budget", -0.004)],
        };
        let svg = leverage(&chart).unwrap();
        let (horizontal, _) = ticks(&svg);
        let values: Vec<f64> = horizontal.iter().map(|t| t.1).collect();
        let (low, high) = (values[0], values[values.len() - 1]);
        assert!((0.0361 * 1.5 * 0.9..=0.1).contains(&high), "the axis ends near the largest value: {values:?}");
        assert!((-0.05..=0.0).contains(&low), "the axis starts near the smallest value: {values:?}");
        assert!(vertical_lines(&svg, GUIDE_COLOUR).is_empty(), "no ±1 line off the data's range");
        let found = texts(&svg);
        assert!(!found.iter().any(|t| t == "±1"), "no ±1 legend entry: {found:?}");
        assert!(found.iter().any(|t| t.contains("within ±1")), "a note says the lines are off the scale: {found:?}");
        assert_no_overlap(&svg);
    }

    /// A ±1 line is drawn where the data reach it, and only there.
    #[test]
    fn leverage_unit_lines_appear_only_where_the_data_reach() {
        // Scores from -2.4 (P10) to 0.6 (P90): -1 is in range, +1 is not.
        let svg = leverage(&example_leverage()).unwrap();
        let guides: Vec<f64> = vertical_lines(&svg, GUIDE_COLOUR).iter().map(|&x| value_at(&svg, x)).collect();
        assert_eq!(guides.len(), 1, "{guides:?}");
        assert!((guides[0] + 1.0).abs() < 0.05, "the line is at -1: {guides:?}");
        assert!(texts(&svg).iter().any(|t| t == "±1"));
        let mut both = example_leverage();
        both.levers.push(lever("more", 1.4));
        let svg = leverage(&both).unwrap();
        let mut guides: Vec<f64> = vertical_lines(&svg, GUIDE_COLOUR).iter().map(|&x| value_at(&svg, x)).collect();
        guides.sort_by(f64::total_cmp);
        assert_eq!(guides.len(), 2, "{guides:?}");
        assert!((guides[0] + 1.0).abs() < 0.05 && (guides[1] - 1.0).abs() < 0.05, "{guides:?}");
    }

    /// With the outcome's `better` known, a bar is green where raising the lever helps and
    /// vermillion where it hurts; the slope's direction wins over the score's sign.
    #[test]
    fn leverage_colours_follow_better() {
        let one = |better, score: f64, raises| Leverage {
            title: "Leverage".into(),
            outcome: "cost".into(),
            better,
            levers: vec![LeverageBar { raises, ..lever("budget", score) }],
        };
        let bars = |svg: &str| (filled_rects(svg, GOOD_COLOUR), filled_rects(svg, BAD_COLOUR));
        // Raising the budget lowers the cost: good when lower is better, bad when higher is.
        assert_eq!(bars(&leverage(&one(Some(Better::Lower), -0.3, None)).unwrap()), (2, 0), "bar and legend");
        assert_eq!(bars(&leverage(&one(Some(Better::Higher), -0.3, None)).unwrap()), (0, 2));
        // A negative outcome: the elasticity is negative though the outcome rises with the lever.
        assert_eq!(bars(&leverage(&one(Some(Better::Higher), -0.3, Some(true))).unwrap()), (2, 0));
        // Without `better`, neither colour.
        let svg = leverage(&one(None, -0.3, None)).unwrap();
        assert_eq!(bars(&svg), (0, 0));
        assert_eq!(filled_rects(&svg, LEVER_COLOUR), 2);
        let svg = leverage(&one(Some(Better::Lower), -0.3, None)).unwrap();
        assert!(texts(&svg).iter().any(|t| t == "raising the lever helps"));
    }

    /// An option better than the baseline on average is drawn green, a worse one vermillion,
    /// in the outcome's `better` direction.
    #[test]
    fn differences_colours_follow_better() {
        let mut chart = example_differences();
        chart.options[1].differences = (0..50).map(|i| i as f64 * 0.1).collect();
        // Lower is better: hire early (mean -2.65) is better, the other (mean 2.45) worse.
        let svg = differences(&chart).unwrap();
        assert_eq!((filled_rects(&svg, GOOD_BOX.0), filled_rects(&svg, BAD_BOX.0)), (2, 2), "box and legend each");
        let found = texts(&svg);
        assert!(found.iter().any(|t| t == "better on average") && found.iter().any(|t| t == "worse on average"));
        chart.better = None;
        let svg = differences(&chart).unwrap();
        assert_eq!((filled_rects(&svg, GOOD_BOX.0), filled_rects(&svg, BAD_BOX.0)), (0, 0));
        // Higher is better, and both options beat the baseline.
        chart.better = Some(Better::Higher);
        chart.options[0].differences = vec![1.0, 2.0, 3.0];
        let svg = differences(&chart).unwrap();
        assert_eq!((filled_rects(&svg, GOOD_BOX.0), filled_rects(&svg, BAD_BOX.0)), (3, 0));
    }

    /// The title texts of a chart: bold, at the title's size.
    fn title_lines(svg: &str) -> Vec<String> {
        labels(svg).into_iter().filter(|label| label.size == TITLE_PX).map(|label| label.text).collect()
    }

    /// A long title wraps between words onto at most two lines that fit; a longer one ends in
    /// an ellipsis after a whole word. No word is ever cut.
    #[test]
    fn titles_wrap_between_words_and_are_never_cut_mid_word() {
        let title = "output per person at month 60: each parameter from the low to the high end of its range";
        let mut chart = example_tornado();
        chart.title = title.to_owned();
        let svg = tornado(&chart).unwrap();
        let lines = title_lines(&svg);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines.join(" "), title, "the whole title, in order");
        let words: Vec<&str> = title.split_whitespace().collect();
        let long = format!("{title} {title} {title}");
        for svg in [
            tornado(&Tornado { title: long.clone(), ..example_tornado() }).unwrap(),
            leverage(&Leverage { title: long.clone(), ..example_leverage() }).unwrap(),
            morris(&Morris { title: long.clone(), ..example_morris() }).unwrap(),
            indices(&Indices { title: long.clone(), ..example_sobol() }).unwrap(),
            differences(&Differences { title: long.clone(), ..example_differences() }).unwrap(),
        ] {
            let lines = title_lines(&svg);
            assert_eq!(lines.len(), 2, "{lines:?}");
            assert!(lines[1].ends_with(" …"), "{lines:?}");
            for line in &lines {
                assert!(text_width(line, TITLE_PX) <= (WIDTH - 2 * MARGIN) as f64, "{line} is too wide");
                for word in line.split_whitespace().filter(|w| *w != "…") {
                    assert!(words.contains(&word), "`{word}` is not a whole word of the title");
                }
            }
            assert_no_overlap(&svg);
        }
        // One word wider than the chart is shortened in its middle, keeping both ends.
        let lines = wrap_title(&"x".repeat(200));
        assert_eq!(lines.len(), 1);
        assert!(lines[0].starts_with("xxx") && lines[0].ends_with("xxx") && lines[0].contains('…'));
    }

    /// Morris points crowded together, with error bars (as in a real screening): every
    /// label is placed without covering another, or named in a note; none is drawn over one.
    #[test]
    fn morris_labels_are_placed_apart_or_listed() {
        let crowded = [
            ("AI Budget", 28.3, 37.6),
            ("Learning Investment", 21.4, 33.3),
            ("Redesign Effort", 22.9, 33.2),
            ("Junior Attrition Rate", 12.2, 29.7),
            ("Autonomy Envelope", 21.2, 27.9),
            ("AI Cost per Case", 7.1, 13.8),
            ("Escalation Recall", 7.8, 13.5),
            ("Learning per Labelled Case", 11.9, 13.7),
            ("Assisted Step Share", 18.9, 12.7),
            ("Out of Frontier Error Rate", 6.34, 10.9),
            ("Escalation Handling Time", 6.33, 9.9),
            ("Capability Obsolescence Time", 6.25, 8.7),
            ("Base AI Capability", 9.9, 8.8),
            ("Review Share", 3.2, 6.4),
            ("Trust Adjustment Time", 0.5, 1.2),
            // A cluster with no room for every label.
            ("Hiring Delay", 6.30, 9.4),
            ("Training Time", 6.36, 9.6),
            ("Rookie Productivity", 6.27, 9.2),
            ("Mentoring Load", 6.4, 9.5),
            ("Demand Increase", 6.32, 9.8),
        ];
        let chart = Morris {
            title: "output per person at month 60: Morris elementary effects".into(),
            outcome: "output per person".into(),
            points: crowded
                .iter()
                .map(|&(name, mu_star, sigma)| MorrisPoint {
                    parameter: name.into(),
                    mu_star,
                    sigma,
                    mu_star_interval: Some((mu_star * 0.8, mu_star * 1.2)),
                })
                .collect(),
        };
        let svg = morris(&chart).unwrap();
        assert_no_overlap(&svg);
        let found = texts(&svg);
        // The note is drawn last, wrapped over several texts.
        let note = match found.iter().position(|t| t.starts_with("Points too close to label")) {
            Some(start) => found[start..].join(" "),
            None => String::new(),
        };
        let mut listed_count = 0;
        for (name, ..) in crowded {
            let labelled = found.iter().any(|t| t == name);
            let listed = note.contains(&format!("{name} (μ*"));
            assert!(labelled || listed, "`{name}` is neither labelled nor listed");
            assert!(!(labelled && listed), "`{name}` is both labelled and listed");
            listed_count += usize::from(listed);
        }
        assert!(listed_count > 0, "the cluster leaves some labels to the note: {note}");
        assert_finite_axes(&svg, 2);
    }

    /// The noise floor is relative to the output's size: a spread of 1e-12 on values of 100 is
    /// noise, one of 1e-22 on values of 1e-20 is not.
    #[test]
    fn quiet_times_follow_the_noise_floor() {
        let times = [0.0, 1.0, 2.0, 3.0];
        // Three runs × four saves: identical, noise, real spread, one failed run.
        let series = [
            100.0,
            100.0,
            99.0,
            f64::NAN, //
            100.0,
            100.0 + 1e-12,
            100.0,
            101.0, //
            100.0,
            100.0 - 1e-12,
            101.0,
            102.0,
        ];
        assert_eq!(quiet_times(&times, &series), vec![0.0, 1.0]);
        let tiny: Vec<f64> = series.iter().map(|v| v * 1e-22).collect();
        assert_eq!(quiet_times(&times, &tiny), vec![0.0, 1.0], "the rule does not depend on the unit");
        let small = [1e-20, 1e-20, 1e-20 + 1e-22, 1e-20 - 1e-22];
        assert!(quiet_times(&[0.0, 1.0], &small).is_empty(), "small values with a real spread");
        // Fewer than two runs with a value: nothing to say about variance there.
        assert_eq!(quiet_times(&[0.0], &[5.0, f64::NAN]), vec![0.0]);
        assert!(quiet_times(&[], &[]).is_empty());
    }

    /// Indices at quiet times are not drawn (nor do they stretch the axis), and a note names
    /// the times and says why.
    #[test]
    fn over_time_leaves_quiet_times_out_and_says_so() {
        let chart = OverTime {
            title: "Effective Capacity: ST".into(),
            measure: "ST".into(),
            time: "time (months)".into(),
            series: (0..3)
                .map(|k| TimeSeries {
                    parameter: format!("parameter {k}"),
                    // Indices of 1.2 where the output has no variance: noise.
                    points: (0..11)
                        .map(|t| (t as f64, if t < 3 { 1.2 } else { 0.1 * k as f64 + 0.01 * t as f64 }))
                        .collect(),
                })
                .collect(),
            quiet: vec![0.0, 1.0, 2.0],
        };
        let svg = over_time(&chart).unwrap();
        let (horizontal, vertical) = ticks(&svg);
        let top = vertical.iter().map(|t| t.1).fold(f64::NEG_INFINITY, f64::max);
        assert!(top < 1.0, "the axis is not stretched to the noise: {vertical:?}");
        let left = horizontal.iter().map(|t| t.1).fold(f64::INFINITY, f64::min);
        assert!(left > 2.0, "the time axis starts after the quiet times: {horizontal:?}");
        let document = roxmltree::Document::parse(&svg).unwrap();
        let lengths: Vec<usize> = document
            .descendants()
            .filter(|node| node.has_tag_name("polyline") && node.attribute("stroke-width") == Some("2"))
            .map(|node| numbers_in(node.attribute("points").unwrap_or("")).len() / 2)
            .filter(|&points| points > 2)
            .collect();
        assert_eq!(lengths, vec![8, 8, 8], "t = 3..10 only");
        let note: String = texts(&svg).join(" ");
        assert!(note.contains("Not drawn at 0–2 (3 saved times)") && note.contains("numerical noise"), "{note}");
        assert_no_overlap(&svg);
        // Quiet everywhere: a chart that says so rather than an empty plot.
        let all = OverTime { quiet: (0..11).map(f64::from).collect(), ..chart };
        assert!(texts(&over_time(&all).unwrap()).iter().any(|t| t.contains("numerical noise")));
    }
}
