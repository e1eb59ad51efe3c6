//! The files of a loop dominance analysis (`fulcrum loops`): `loops.csv` (the loops ranked),
//! `loop_scores.csv` (relative loop scores over time) and `loops.svg` (each loop's share of the
//! behaviour through time, stacked: reinforcing loops above the axis, balancing ones below, as
//! Stella draws it), each written atomically.

use std::path::Path;

use fulcrum_loops::{Analysis, DominancePeriod};

use crate::{ReportError, format_number, write_atomically};

/// Writes the three files into `directory` (which must exist). `shown` are the indexes of the
/// loops to give their own columns and bands, largest share first; the chart gathers the others
/// into one band.
pub fn write_loop_files(directory: &Path, analysis: &Analysis, shown: &[usize]) -> Result<(), ReportError> {
    write_atomically(&directory.join("loops.csv"), |out| {
        writeln!(out, "loop,polarity,acted,length,mean_abs_relative_score,variables")?;
        for &index in shown {
            let scored = &analysis.loops[index];
            writeln!(
                out,
                "{},{},{},{},{},{}",
                scored.id,
                scored.polarity.word(),
                scored.acted.word(),
                scored.variables.len(),
                format_number(scored.mean_share),
                csv_field(&scored.variables.join(" -> "))
            )?;
        }
        Ok(())
    })?;
    write_atomically(&directory.join("loop_scores.csv"), |out| {
        write!(out, "time")?;
        for &index in shown {
            write!(out, ",{}", analysis.loops[index].id)?;
        }
        writeln!(out)?;
        for (at, &time) in analysis.times.iter().enumerate() {
            write!(out, "{}", format_number(time))?;
            for &index in shown {
                write!(out, ",{}", format_number(analysis.loops[index].relative[at]))?;
            }
            writeln!(out)?;
        }
        Ok(())
    })?;
    let svg = stacked_chart(analysis, shown);
    write_atomically(&directory.join("loops.svg"), |out| out.write_all(svg.as_bytes()))
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}

/// The dominance periods in words, one line each, naming loops by id (`loops.csv` and the
/// ranking give their variables).
pub fn describe_periods(analysis: &Analysis, periods: &[DominancePeriod]) -> Vec<String> {
    periods
        .iter()
        .map(|period| {
            let span = if period.start == period.end {
                format!("at {}", format_number(period.start))
            } else {
                format!("from {} to {}", format_number(period.start), format_number(period.end))
            };
            if period.loops.is_empty() {
                return format!("{span}: no loop is active");
            }
            let names: Vec<&str> = period.loops.iter().map(|&index| analysis.loops[index].id.as_str()).collect();
            match names.as_slice() {
                [one] => format!("{span}: {one} dominates"),
                [init @ .., last] => format!("{span}: {} and {last} dominate together", init.join(", ")),
                [] => format!("{span}: no loop is active"),
            }
        })
        .collect()
}

const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 180.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 50.0;
const COLOURS: [&str; 10] =
    ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

/// Relative loop scores stacked through time: each shown loop a band, the rest one grey band.
fn stacked_chart(analysis: &Analysis, shown: &[usize]) -> String {
    let times = &analysis.times;
    let (first, last) = (times.first().copied().unwrap_or(0.0), times.last().copied().unwrap_or(1.0));
    let span = if last > first { last - first } else { 1.0 };
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let x = |time: f64| LEFT + (time - first) / span * plot_width;
    // -1 at the bottom, +1 at the top.
    let y = |share: f64| TOP + (1.0 - share) / 2.0 * plot_height;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\" font-size=\"12\">\n"
    );
    svg.push_str("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg.push_str(&format!(
        "<text x=\"{LEFT}\" y=\"18\">Share of behaviour by loop (relative loop score; reinforcing above, balancing below)</text>\n"
    ));
    // Bands: each shown loop, then the others together.
    let others: Vec<usize> = (0..analysis.loops.len()).filter(|index| !shown.contains(index)).collect();
    let mut bands: Vec<(String, String, Vec<f64>)> = shown
        .iter()
        .enumerate()
        .map(|(rank, &index)| {
            let scored = &analysis.loops[index];
            (scored.id.clone(), COLOURS[rank % COLOURS.len()].to_owned(), scored.relative.clone())
        })
        .collect();
    if !others.is_empty() {
        let positive: Vec<f64> =
            (0..times.len()).map(|at| others.iter().map(|&i| analysis.loops[i].relative[at].max(0.0)).sum()).collect();
        let negative: Vec<f64> =
            (0..times.len()).map(|at| others.iter().map(|&i| analysis.loops[i].relative[at].min(0.0)).sum()).collect();
        bands.push(("other loops".to_owned(), "#cccccc".to_owned(), positive));
        bands.push((String::new(), "#cccccc".to_owned(), negative));
    }
    let mut above = vec![0.0; times.len()];
    let mut below = vec![0.0; times.len()];
    for (_, colour, shares) in &bands {
        let mut lower = Vec::with_capacity(times.len());
        let mut upper = Vec::with_capacity(times.len());
        for at in 0..times.len() {
            let share = shares[at];
            let base = if share >= 0.0 { &mut above[at] } else { &mut below[at] };
            lower.push(*base);
            *base += share;
            upper.push(*base);
        }
        let mut points = String::new();
        for at in 0..times.len() {
            points.push_str(&format!("{:.2},{:.2} ", x(times[at]), y(upper[at])));
        }
        for at in (0..times.len()).rev() {
            points.push_str(&format!("{:.2},{:.2} ", x(times[at]), y(lower[at])));
        }
        svg.push_str(&format!("<polygon points=\"{}\" fill=\"{colour}\" stroke=\"none\"/>\n", points.trim_end()));
    }
    // Axes, gridlines at ±100%, ±50% and 0, and the time axis's ends.
    for share in [-1.0, -0.5, 0.0, 0.5, 1.0] {
        let level = y(share);
        let stroke = if share == 0.0 { "#000000" } else { "#dddddd" };
        svg.push_str(&format!(
            "<line x1=\"{LEFT}\" y1=\"{level:.2}\" x2=\"{:.2}\" y2=\"{level:.2}\" stroke=\"{stroke}\"/>\n",
            LEFT + plot_width
        ));
        svg.push_str(&format!(
            "<text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"end\">{}%</text>\n",
            LEFT - 6.0,
            level + 4.0,
            (share * 100.0) as i64
        ));
    }
    let baseline = TOP + plot_height;
    for time in time_ticks(first, last) {
        svg.push_str(&format!(
            "<line x1=\"{0:.2}\" y1=\"{baseline:.2}\" x2=\"{0:.2}\" y2=\"{1:.2}\" stroke=\"#000000\"/>\n",
            x(time),
            baseline + 4.0
        ));
        svg.push_str(&format!(
            "<text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"middle\">{}</text>\n",
            x(time),
            baseline + 16.0,
            format_number(time)
        ));
    }
    svg.push_str(&format!(
        "<text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"middle\">time</text>\n",
        LEFT + plot_width / 2.0,
        baseline + 32.0
    ));
    // Legend.
    let mut row = 0.0;
    for (label, colour, _) in bands.iter().filter(|(label, _, _)| !label.is_empty()) {
        let top = TOP + row * 18.0;
        let legend_x = LEFT + plot_width + 12.0;
        svg.push_str(&format!(
            "<rect x=\"{legend_x:.2}\" y=\"{top:.2}\" width=\"12\" height=\"12\" fill=\"{colour}\"/>\n"
        ));
        svg.push_str(&format!("<text x=\"{:.2}\" y=\"{:.2}\">{}</text>\n", legend_x + 18.0, top + 10.0, escape(label)));
        row += 1.0;
    }
    svg.push_str("</svg>\n");
    svg
}

/// Round times from `first` to `last`, about six of them, at a step of 1, 2 or 5 times a power
/// of ten.
fn time_ticks(first: f64, last: f64) -> Vec<f64> {
    let span = last - first;
    if span.is_nan() || span <= 0.0 || !span.is_finite() {
        return vec![first];
    }
    let rough = span / 6.0;
    let power = 10f64.powf(rough.log10().floor());
    let multiple = [1.0, 2.0, 5.0, 10.0].into_iter().find(|m| m * power >= rough).unwrap_or(10.0);
    let step = multiple * power;
    // Below 1, divide by a whole power of ten, so that 3 × 0.2 prints as 0.6.
    let at = |k: i64| if power < 1.0 { k as f64 * multiple / (1.0 / power).round() } else { k as f64 * step };
    let start = (first / step).ceil() as i64;
    let end = (last / step).floor() as i64;
    (start..=end).map(at).collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_ticks_are_round_numbers_inside_the_run() {
        assert_eq!(time_ticks(0.0, 96.0), [0.0, 20.0, 40.0, 60.0, 80.0]);
        assert_eq!(time_ticks(1900.0, 2100.0), [1900.0, 1950.0, 2000.0, 2050.0, 2100.0]);
        assert_eq!(time_ticks(0.0, 1.0), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(time_ticks(5.0, 5.0), [5.0]);
    }
}
