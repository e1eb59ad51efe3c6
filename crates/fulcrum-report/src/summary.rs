//! Findings in words: the sentences the commands print and save as `summary.md`, built from
//! their results so that a planner reads them without a glossary.
//!
//! Every sentence says which way an outcome goes, by how much in percent, whether that is
//! better or worse (from the outcome's `better`), how sure it is ("in 92 of 100 futures"), what
//! it costs when the experiment gives costs, and the tail when the tail is where the effect is.
//! An effect below one part in a million is said to be none, and a direction that half the
//! futures take and half do not is called a coin toss.
//!
//! [`leverage`], [`compare`], [`sensitivity`] and [`sweep`] each give a whole `summary.md`.

use std::fmt::Write as _;

use fulcrum_explore::Better;
use fulcrum_sensitivity::analysis::{
    CompareResults, Crossing, LeverResult, LeverageResults, Measure, OutcomeComparison, OutcomeLeverage,
    SensitivityResults,
};

/// A relative change smaller than this is numerical noise, not an effect.
pub const NOISE: f64 = 1e-6;

/// A share of futures between these is a coin toss.
const COIN_TOSS: (f64, f64) = (0.4, 0.6);

/// A number to three significant digits, large ones with thousands separators (`54,000`) or
/// with `M`/`B`.
pub fn amount(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".to_owned();
    }
    let magnitude = value.abs();
    let sign = if value < 0.0 { "-" } else { "" };
    if magnitude >= 1e9 {
        return format!("{sign}{}B", significant(magnitude / 1e9, 3));
    }
    if magnitude >= 1e6 {
        return format!("{sign}{}M", significant(magnitude / 1e6, 3));
    }
    if magnitude >= 1e3 {
        let rounded = round_significant(magnitude, 3) as u64;
        return format!("{sign}{}", thousands(rounded));
    }
    if magnitude != 0.0 && magnitude < 1e-3 {
        return format!("{value:.2e}");
    }
    format!("{sign}{}", significant(magnitude, 3))
}

/// `amount` with a sign always shown.
fn signed(value: f64) -> String {
    if value > 0.0 { format!("+{}", amount(value)) } else { amount(value) }
}

/// A relative change (0.018) as a percent of two significant digits (`1.8%`), no sign.
pub fn percent(fraction: f64) -> String {
    if !fraction.is_finite() {
        return "n/a".to_owned();
    }
    let value = 100.0 * fraction.abs();
    if value >= 100.0 {
        return format!("{}%", thousands(value.round() as u64));
    }
    format!("{}%", significant(value, 2))
}

/// A relative change with its sign (`+1.8%`, `-0.36%`).
fn signed_percent(fraction: f64) -> String {
    let sign = if fraction > 0.0 {
        "+"
    } else if fraction < 0.0 {
        "-"
    } else {
        ""
    };
    format!("{sign}{}", percent(fraction))
}

/// A share of futures in words: "92 of 100 futures", never rounded to all or none.
pub fn of_100(share: f64, what: &str) -> String {
    let count = (100.0 * share).round();
    if count >= 100.0 && share < 1.0 {
        format!("more than 99 of 100 {what}")
    } else if count <= 0.0 && share > 0.0 {
        format!("fewer than 1 of 100 {what}")
    } else {
        format!("{count:.0} of 100 {what}")
    }
}

fn round_significant(value: f64, digits: i32) -> f64 {
    if value == 0.0 {
        return 0.0;
    }
    let scale = 10f64.powi(digits - 1 - value.abs().log10().floor() as i32);
    (value * scale).round() / scale
}

fn significant(value: f64, digits: i32) -> String {
    let rounded = round_significant(value, digits);
    if rounded == 0.0 {
        return "0".to_owned();
    }
    let decimals = (digits - 1 - rounded.abs().log10().floor() as i32).max(0) as usize;
    format!("{rounded:.decimals$}")
}

fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut text = String::new();
    for (index, c) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            text.push(',');
        }
        text.push(c);
    }
    text
}

/// "(higher is better)" and its kin, after an outcome's name.
fn direction(better: Option<Better>) -> &'static str {
    match better {
        Some(Better::Higher) => "(higher is better)",
        Some(Better::Lower) => "(lower is better)",
        None => "(no better direction given)",
    }
}

/// What a change means for an outcome whose better direction is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Better,
    Worse,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::Worse => "worse",
        }
    }
}

/// Whether a move up (or down) is better, worse, or neither (no better direction given).
fn verdict(up: bool, better: Option<Better>) -> Option<Verdict> {
    match (better, up) {
        (Some(Better::Higher), true) | (Some(Better::Lower), false) => Some(Verdict::Better),
        (Some(Better::Higher), false) | (Some(Better::Lower), true) => Some(Verdict::Worse),
        (None, _) => None,
    }
}

fn in_parentheses(verdict: Option<Verdict>) -> String {
    verdict.map(|v| format!(" ({})", v.as_str())).unwrap_or_default()
}

/// The whole summary of a leverage analysis.
pub fn leverage(results: &LeverageResults) -> String {
    let step = percent(results.delta);
    let mut text = String::from("# Which levers move each outcome\n\n");
    let _ = writeln!(
        text,
        "Each lever raised by {step} from its baseline, everything else unchanged, in each of {} futures.",
        results.futures
    );
    if results.outcomes.iter().flat_map(|outcome| &outcome.levers).any(|lever| lever.switch) {
        text.push_str(
            "A lever with a changes file is a switch: its runs are the file applied and not applied, and its \
             score is (Y1 − Y0)/(Y1 + Y0) of the two.\n",
        );
    }
    for outcome in &results.outcomes {
        let _ = write!(text, "\n## {} {}\n\n", outcome.outcome, direction(outcome.better));
        for lever in &outcome.levers {
            let _ = writeln!(text, "- {}", lever_sentence(outcome, lever, results.delta));
        }
    }
    text
}

/// One lever's effect on one outcome, in words.
pub fn lever_sentence(outcome: &OutcomeLeverage, lever: &LeverResult, delta: f64) -> String {
    let result = &lever.leverage;
    let (name, what) = (&lever.lever, &outcome.outcome);
    // A switch goes from not applied to applied, where E = (Y1 − Y0)/(Y1 + Y0) is a relative
    // change of 2E/(1 − E); another lever moves by ±delta, about E·delta.
    let (costing, moving) = if lever.switch {
        ("Applying it".to_owned(), "applying its changes file".to_owned())
    } else {
        (format!("The {}", percent(delta)), format!("raising it {}", percent(delta)))
    };
    let change = |e: f64| if lever.switch { 2.0 * e / (1.0 - e) } else { e * delta };
    let score = result.score.value;
    if result.futures == 0 || !score.is_finite() {
        return format!("{name}: no defined effect on {what} (in no future did both runs give it a value)");
    }
    let (typical, low, high) = (change(score), change(result.p10), change(result.p90));
    if typical.abs() < NOISE && low.abs() < NOISE && high.abs() < NOISE {
        return format!(
            "{name}: no effect on {what}; {moving} moves it by less than one part in a million in at least 8 of 10 futures."
        );
    }
    if typical.abs() < NOISE {
        // Nothing in most futures: the effect, if any, is in a tail.
        let mut tails = Vec::new();
        for (tail, up) in [(high, true), (low, false)] {
            if tail.abs() >= NOISE && (tail > 0.0) == up {
                let way = if up { "raises" } else { "lowers" };
                tails.push(format!(
                    "{way} it by {} or more in a tenth of futures{}",
                    percent(tail),
                    in_parentheses(verdict(up, outcome.better))
                ));
            }
        }
        if tails.is_empty() {
            // Both tails beyond noise on the other side of zero cannot happen with p10 ≤ p90;
            // what is left is a change below noise everywhere that matters.
            return format!("{name}: no effect on {what} in most futures.");
        }
        return format!("{name}: {moving} leaves {what} unchanged in most futures, but {}.", tails.join(", and "));
    }
    // Which way the outcome goes as the lever rises: the slope's sign, whatever the outcome's.
    let up = if result.slope.is_finite() && result.slope != 0.0 { result.slope > 0.0 } else { score > 0.0 };
    let verb = if up { "raises" } else { "lowers" };
    let sure = result.sign_consistency;
    let mut sentence = if sure.is_finite() && sure < COIN_TOSS.1 {
        format!(
            "{name}: {moving} moves {what} by about {}, but which way is a coin toss: it {verb} it in {} and not in the rest{}.",
            percent(typical),
            of_100(sure, "futures"),
            match verdict(up, outcome.better) {
                Some(Verdict::Better) => " (better when it does)",
                Some(Verdict::Worse) => " (worse when it does)",
                None => "",
            }
        )
    } else {
        format!(
            "{name}: {moving} {verb} {what} by {}{} in {}",
            percent(typical),
            in_parentheses(verdict(up, outcome.better)),
            of_100(if sure.is_finite() { sure } else { 1.0 }, "futures")
        )
    };
    if !(sure.is_finite() && sure < COIN_TOSS.1) {
        // The tail on the same side as the typical change, when it is far larger.
        let tail = if typical > 0.0 { high } else { low };
        if tail.abs() >= 2.0 * typical.abs() && tail.abs() >= 1e-3 && (tail > 0.0) == (typical > 0.0) {
            let _ = write!(sentence, ", and by {} or more in a tenth of futures", percent(tail));
        }
        sentence.push('.');
    }
    if result.disproportionate {
        sentence.push_str(" The outcome moves by more than the lever does: a disproportionate lever.");
    }
    if let Some(cost) = lever.cost_per_unit.filter(|cost| *cost > 0.0) {
        let spent = if lever.switch { cost } else { cost * lever.baseline.abs() * delta };
        let _ = write!(sentence, " {costing} costs {}", amount(spent));
        // Per percent of the outcome: scale-free, where a unit of a rate or a ratio is not.
        let per_percent = spent / (100.0 * typical.abs());
        match verdict(up, outcome.better) {
            Some(Verdict::Better) if per_percent.is_finite() => {
                let _ = write!(sentence, ": {} for each 1% of {what} gained.", amount(per_percent));
            }
            Some(_) => sentence.push_str(" and makes it worse."),
            None if per_percent.is_finite() => {
                let _ = write!(sentence, ": {} for each 1% of change in {what}.", amount(per_percent));
            }
            None => sentence.push('.'),
        }
    }
    sentence
}

/// The whole summary of a comparison.
pub fn compare(results: &CompareResults) -> String {
    let mut text = String::from("# The options against the baseline\n\n");
    let _ = writeln!(
        text,
        "The baseline and {} option{} in the same {} futures, compared future by future.",
        results.names.len().saturating_sub(1),
        if results.names.len() == 2 { "" } else { "s" },
        results.futures
    );
    for outcome in &results.outcomes {
        text.push('\n');
        text.push_str(&compare_outcome(outcome, &results.names, &results.costs));
    }
    text
}

/// One outcome's options, best first, in words.
pub fn compare_outcome(outcome: &OutcomeComparison, names: &[String], costs: &[Option<f64>]) -> String {
    let mut text = format!("## {} {}\n\n", outcome.outcome, direction(outcome.better));
    if let Some(crossings) = &outcome.crossings {
        text.push_str("How often the threshold is crossed, and when:\n\n");
        for (name, crossing) in names.iter().zip(crossings) {
            let _ = writeln!(text, "- {name}: {}", crossing_sentence(crossing));
        }
        text.push('\n');
    }
    let rows = &outcome.options;
    let Some(base) = rows.first() else { return text };
    let kept = rows.first().map_or(0, |_| outcome_futures(outcome));
    if kept == 0 {
        let why = if outcome.crossings.is_some() {
            "no future has a crossing under every option, so the times cannot be compared future by future"
        } else {
            "no future has a value under every option (runs failed)"
        };
        let _ = writeln!(text, "The options' values: {why}.");
        return text;
    }
    if outcome.dropped > 0 {
        let _ = writeln!(
            text,
            "The numbers below are over the {kept} futures where every option has a value ({} left out).\n",
            outcome.dropped
        );
    }
    let _ = writeln!(
        text,
        "Baseline: {} on average, from {} to {} in 8 of 10 futures.",
        amount(base.mean),
        amount(base.p10),
        amount(base.p90)
    );
    let mut order: Vec<usize> = (1..rows.len()).collect();
    order.sort_by_key(|&i| rows[i].rank.unwrap_or(i + 1));
    for index in order {
        let row = &rows[index];
        let name = names.get(index).map_or("?", String::as_str);
        let rank = row.rank.map(|rank| format!("{rank}. ")).unwrap_or_default();
        let cost = costs.get(index).copied().flatten();
        let _ = writeln!(text, "{rank}{name}: {}", option_sentence(row, base, outcome.better, cost));
    }
    if let Some(rank) = base.rank {
        let _ = writeln!(text, "(The baseline itself ranks {rank}.)");
    }
    text
}

/// The futures the comparison's numbers describe.
fn outcome_futures(outcome: &OutcomeComparison) -> usize {
    match outcome.differences.first() {
        Some((_, differences)) => differences.len(),
        // Only the baseline: whether it has values at all.
        None => usize::from(outcome.options.first().is_some_and(|base| base.mean.is_finite())),
    }
}

/// "crossed in 97 of 100 futures, at 23.5 (median; 18.0 to 31.0 in 8 of 10 of those)".
pub fn crossing_sentence(crossing: &Crossing) -> String {
    if crossing.crossed == 0 {
        return format!("never crossed, in any of the {} futures", crossing.futures);
    }
    let share = crossing.crossed as f64 / crossing.futures.max(1) as f64;
    let mut text = format!("crossed in {}, at {} (median", of_100(share, "futures"), amount(crossing.p50));
    if crossing.crossed >= 10 {
        let _ = write!(text, "; {} to {} in 8 of 10 of those", amount(crossing.p10), amount(crossing.p90));
    }
    text.push(')');
    text
}

/// One option against the baseline, in words.
pub fn option_sentence(
    row: &fulcrum_sensitivity::compare::Comparison,
    base: &fulcrum_sensitivity::compare::Comparison,
    better: Option<Better>,
    cost: Option<f64>,
) -> String {
    let scale = base.mean.abs().max(f64::MIN_POSITIVE);
    let relative = row.delta_mean / scale;
    let spread = row.delta_p10.abs().max(row.delta_p90.abs()) / scale;
    let percent_text = if base.mean != 0.0 && base.mean.is_finite() {
        format!(" ({})", signed_percent(relative))
    } else {
        String::new()
    };
    if relative.abs() < NOISE && spread < NOISE {
        return format!("no different from the baseline (mean {}).", amount(row.mean));
    }
    let mut sentence = match verdict(row.delta_mean > 0.0, better) {
        Some(on_average) => {
            let mut s = format!(
                "{} on average, {}{percent_text} against the baseline (mean {})",
                on_average.as_str(),
                signed(row.delta_mean),
                amount(row.mean)
            );
            let share = row.prob_better;
            if share.is_finite() {
                let futures =
                    if share == 0.0 { "in no future".to_owned() } else { format!("in {}", of_100(share, "futures")) };
                if on_average == Verdict::Worse && share > 0.0 {
                    let _ = write!(s, ", though better than the baseline {futures}");
                } else {
                    let _ = write!(s, "; better than the baseline {futures}");
                }
                if (COIN_TOSS.0..=COIN_TOSS.1).contains(&share) {
                    s.push_str(": a coin toss");
                }
            }
            s
        }
        None => format!(
            "differs from the baseline by {}{percent_text} on average (mean {})",
            signed(row.delta_mean),
            amount(row.mean)
        ),
    };
    sentence.push('.');
    if row.expected_regret.is_finite() && row.rank != Some(1) {
        let _ = write!(sentence, " It falls short of the best option by {} on average.", amount(row.expected_regret));
    }
    if let Some(cost) = cost.filter(|cost| *cost > 0.0) {
        let _ = write!(sentence, " It costs {}", amount(cost));
        let per_percent = cost / (100.0 * relative.abs());
        match verdict(row.delta_mean > 0.0, better) {
            Some(Verdict::Better) if per_percent.is_finite() && !percent_text.is_empty() => {
                let _ = write!(sentence, ": {} for each 1% gained.", amount(per_percent));
            }
            Some(Verdict::Better) => sentence.push('.'),
            Some(_) => sentence.push_str(", for a worse result."),
            None => sentence.push('.'),
        }
    }
    sentence
}

/// The whole summary of a sensitivity analysis.
pub fn sensitivity(results: &SensitivityResults) -> String {
    let method = results.method;
    let main = method.main_measure();
    let mut text = format!("# Which inputs each outcome is sensitive to ({})\n", measure_name(main));
    for target in results.targets.iter().filter(|target| target.time.is_none()) {
        let _ = write!(text, "\n## {}\n\n", target.outcome);
        let mut ranked: Vec<&Measure> =
            target.measures.iter().filter(|m| m.measure == main && m.estimate.value.is_finite()).collect();
        ranked.sort_by(|a, b| b.estimate.value.abs().total_cmp(&a.estimate.value.abs()));
        let (moving, still): (Vec<&Measure>, Vec<&Measure>) =
            ranked.into_iter().partition(|m| m.estimate.value.abs() >= NOISE);
        if moving.is_empty() {
            text.push_str("No input moves it: every measure is below numerical noise.\n");
            continue;
        }
        for measure in moving.iter().take(5) {
            let _ = writeln!(text, "- {}", measure_sentence(main, measure));
        }
        if moving.len() > 5 {
            let _ = writeln!(text, "- and {} more, each less than the above.", moving.len() - 5);
        }
        if !still.is_empty() {
            let names: Vec<&str> = still.iter().map(|m| m.parameter.as_str()).collect();
            let _ = writeln!(text, "- no effect: {}.", names.join(", "));
        }
    }
    if results.over_time {
        text.push_str("\nThe measures at every saved time are in sensitivity.csv.\n");
    }
    text
}

fn measure_name(measure: &str) -> &'static str {
    match measure {
        "elasticity" => "one at a time: the percent change of the outcome per percent change of the input",
        "mu_star" => "Morris: the mean size of an input's effect over the ranges",
        "ST" => "Sobol: the share of the outcome's variance an input accounts for, alone or with others",
        "prcc" => "partial rank correlation: how surely the outcome rises or falls with the input",
        _ => "standardized regression: the outcome's change in standard deviations per standard deviation of the input",
    }
}

fn measure_sentence(main: &str, measure: &Measure) -> String {
    let (name, value) = (&measure.parameter, measure.estimate.value);
    let (low, high) = (measure.estimate.low, measure.estimate.high);
    // Sobol indices are shares, said in percent; the interval the same way.
    let show = |value: f64| if main == "ST" { percent(value) } else { amount(value) };
    let interval = if low.is_finite() && high.is_finite() {
        format!(" (from {} to {} in the confidence interval)", show(low), show(high))
    } else {
        String::new()
    };
    let way = if value > 0.0 { "raises" } else { "lowers" };
    match main {
        "elasticity" => format!("{name}: 1% more {way} the outcome by {}{interval}.", percent(value / 100.0)),
        "mu_star" => format!("{name}: moves the outcome by {} per step on average{interval}.", amount(value)),
        "ST" => format!("{name}: {} of the outcome's variance{interval}.", percent(value)),
        _ => format!(
            "{name}: {} ({}): a higher {name} {} the outcome{interval}.",
            signed(value),
            if value.abs() >= 0.7 {
                "strong"
            } else if value.abs() >= 0.3 {
                "moderate"
            } else {
                "weak"
            },
            way
        ),
    }
}

/// One outcome of a sweep, with its values in run order (NaN where a run failed or a
/// threshold was never crossed).
#[derive(Clone, Debug, PartialEq)]
pub struct SweptOutcome {
    /// The outcome's name.
    pub name: String,
    /// Which way is better, if said.
    pub better: Option<Better>,
    /// Whether it is a threshold's first crossing time.
    pub threshold: bool,
    /// Its value in each run.
    pub values: Vec<f64>,
}

/// The whole summary of a sweep: each outcome's spread over the runs, per grid point when
/// the sweep has a grid. `groups` names each grid point and gives its runs (one group holding
/// every run for a sweep without a grid); `failed` is the count of runs that failed.
pub fn sweep(outcomes: &[SweptOutcome], groups: &[(String, Vec<usize>)], failed: u64) -> String {
    let runs: usize = groups.iter().map(|(_, runs)| runs.len()).sum();
    let mut text = String::from("# What the runs give\n\n");
    let _ = writeln!(
        text,
        "{runs} runs{}.",
        if groups.len() > 1 { format!(", {} grid points", groups.len()) } else { String::new() }
    );
    if failed > 0 {
        let _ =
            writeln!(text, "{failed} runs failed (NaN or infinity): failures.csv lists them; they have no outcomes.");
    }
    for outcome in outcomes {
        match outcome.better {
            Some(_) => {
                let _ = write!(text, "\n## {} {}\n\n", outcome.name, direction(outcome.better));
            }
            None => {
                let _ = write!(text, "\n## {}\n\n", outcome.name);
            }
        }
        for (label, members) in groups {
            let values: Vec<f64> = members.iter().filter_map(|&run| outcome.values.get(run).copied()).collect();
            let prefix = if groups.len() > 1 { format!("- {label}: ") } else { String::new() };
            let _ = writeln!(text, "{prefix}{}", spread_sentence(&values, outcome.threshold));
        }
    }
    text
}

/// "mean 157; from 140 to 170 in 8 of 10 runs (median 156)", or a threshold's crossings.
fn spread_sentence(values: &[f64], threshold: bool) -> String {
    if threshold {
        return crossing_sentence(&Crossing::of(values)).replace("futures", "runs");
    }
    let defined: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if defined.is_empty() {
        return "no value in any run.".to_owned();
    }
    let q = fulcrum_explore::bands::quantiles_of(&defined, &[0.1, 0.5, 0.9]);
    let mean = defined.iter().sum::<f64>() / defined.len() as f64;
    let mut text = format!(
        "mean {}; from {} to {} in 8 of 10 runs (median {}).",
        amount(mean),
        amount(q[0]),
        amount(q[2]),
        amount(q[1])
    );
    let missing = values.len() - defined.len();
    if missing > 0 {
        let share = defined.len() as f64 / values.len() as f64;
        text = format!(
            "a value in {} (empty where a threshold is never crossed or a run failed); over those, {text}",
            of_100(share, "runs")
        );
    }
    text
}

#[cfg(test)]
mod tests {
    //! Each test builds a small table by hand with one of the defects the sentences once had
    //! (a bare "0.0361× as much", noise read as an effect, a coin toss read as a finding, a tail
    //! hidden behind "unchanged", "worse on average" left unsaid, no costs, a threshold never
    //! crossed dropped as "n/a"), and pins the words now said.

    use fulcrum_explore::Better;
    use fulcrum_sensitivity::Estimate;
    use fulcrum_sensitivity::analysis::{
        CompareResults, Crossing, LeverResult, LeverageResults, OutcomeComparison, OutcomeLeverage,
    };
    use fulcrum_sensitivity::compare::Comparison;
    use fulcrum_sensitivity::leverage::Leverage;

    fn lever(name: &str, score: f64, p10: f64, p90: f64, sign: f64, slope: f64, cost: Option<f64>) -> LeverResult {
        LeverResult {
            lever: name.to_owned(),
            leverage: Leverage {
                score: Estimate { value: score, low: score * 0.9, high: score * 1.1 },
                p10,
                p90,
                sign_consistency: sign,
                disproportionate: false,
                slope,
                effect_per_cost: cost.map(|cost| slope / cost),
                futures: 256,
            },
            total_index: None,
            rank: Some(1),
            baseline: 10_000.0,
            cost_per_unit: cost,
            switch: false,
        }
    }

    fn leverage_of(better: Option<Better>, levers: Vec<LeverResult>) -> String {
        let results = LeverageResults {
            outcomes: vec![OutcomeLeverage { outcome: "output per person".to_owned(), better, levers }],
            delta: 0.1,
            futures: 256,
            notes: Vec::new(),
            runs: 0,
            failed_runs: 0,
        };
        super::leverage(&results)
    }

    #[test]
    fn a_lever_says_direction_percent_better_or_worse_how_sure_and_cost() {
        // Once: "a 10% change moves output per person 0.0361× as much, in 100% of futures".
        let text = leverage_of(
            Some(Better::Higher),
            vec![
                lever("Learning Investment", 0.0361, 0.03, 0.04, 1.0, 0.0056, Some(54.0)),
                lever("Review Share", -0.00092, -0.001, -0.0008, 0.92, -0.3, None),
            ],
        );
        assert!(!text.contains('×'), "{text}");
        assert!(text.contains("raises output per person by 0.36% (better) in 100 of 100 futures"), "{text}");
        assert!(text.contains("lowers output per person by 0.0092% (worse) in 92 of 100 futures"), "{text}");
        assert!(text.contains("The 10% costs 54,000: 150,000 for each 1% of output per person gained"), "{text}");
        insta::assert_snapshot!("leverage_direction_size_verdict_cost", text);
    }

    #[test]
    fn an_effect_below_noise_is_no_effect() {
        // Once: "1.46e-7× as much, in 59% of futures".
        let text =
            leverage_of(Some(Better::Lower), vec![lever("Review Share", 1.46e-7, -2e-7, 4e-7, 0.59, 1e-9, None)]);
        assert!(text.contains("Review Share: no effect on output per person"), "{text}");
        assert!(!text.contains("59"), "{text}");
        insta::assert_snapshot!("leverage_no_effect", text);
    }

    #[test]
    fn a_coin_toss_is_called_one() {
        // Once: "0.0231× as much, in 51% of futures".
        let text = leverage_of(Some(Better::Lower), vec![lever("AI Budget", 0.0231, -0.05, 0.09, 0.51, 0.002, None)]);
        assert!(text.contains("which way is a coin toss"), "{text}");
        insta::assert_snapshot!("leverage_coin_toss", text);
    }

    #[test]
    fn a_tail_behind_a_median_of_zero_is_said() {
        // Once: "unchanged in most futures", with the largest P90 of any lever behind it.
        let text = leverage_of(Some(Better::Higher), vec![lever("AI Budget", 0.0, 0.0, 0.18, f64::NAN, 0.0, None)]);
        assert!(
            text.contains("unchanged in most futures, but raises it by 1.8% or more in a tenth of futures (better)"),
            "{text}"
        );
        insta::assert_snapshot!("leverage_tail", text);
    }

    fn comparison(mean: f64, delta: f64, prob_better: f64, regret: f64, rank: usize) -> Comparison {
        Comparison {
            mean,
            p10: mean * 0.9,
            p50: mean,
            p90: mean * 1.1,
            delta_mean: delta,
            delta_p10: delta * 2.0,
            delta_p50: delta,
            delta_p90: -delta,
            prob_better,
            expected_regret: regret,
            effect_per_cost: None,
            rank: Some(rank),
        }
    }

    fn compare_of(outcome: OutcomeComparison, costs: Vec<Option<f64>>) -> String {
        let names = vec!["baseline".to_owned(), "front office first".to_owned(), "back office first".to_owned()];
        let results = CompareResults {
            names,
            costs,
            futures: 100,
            outcomes: vec![outcome],
            notes: Vec::new(),
            runs: 0,
            failed_runs: 0,
        };
        super::compare(&results)
    }

    #[test]
    fn an_option_worse_on_average_says_so_with_its_cost() {
        // Once: "+447 against the baseline, better in 70% of futures" for a lower-is-better
        // outcome, and never a cost.
        let outcome = OutcomeComparison {
            outcome: "monthly cost".to_owned(),
            better: Some(Better::Lower),
            options: vec![
                comparison(14_400.0, 0.0, 0.0, 300.0, 2),
                comparison(14_847.0, 447.0, 0.7, 600.0, 3),
                comparison(14_000.0, -400.0, 0.95, 10.0, 1),
            ],
            differences: vec![
                ("front office first".to_owned(), vec![447.0; 100]),
                ("back office first".to_owned(), vec![-400.0; 100]),
            ],
            dropped: 0,
            crossings: None,
        };
        let text = compare_of(outcome, vec![None, Some(2_000_000.0), Some(1_200_000.0)]);
        assert!(text.contains("front office first: worse on average, +447 (+3.1%) against the baseline"), "{text}");
        assert!(text.contains("though better than the baseline in 70 of 100 futures"), "{text}");
        assert!(text.contains("It costs 1.20M: 432,000 for each 1% gained"), "{text}");
        insta::assert_snapshot!("compare_worse_on_average", text);
    }

    #[test]
    fn a_threshold_never_crossed_is_a_result() {
        // Once: the baseline never crosses, so every future was dropped and "n/a" printed.
        let never = Crossing::of(&[f64::NAN; 100]);
        let mostly: Vec<f64> = (0..100).map(|f| if f < 97 { 20.0 + f64::from(f) / 10.0 } else { f64::NAN }).collect();
        let outcome = OutcomeComparison {
            outcome: "first month above 12000".to_owned(),
            better: Some(Better::Higher),
            options: vec![comparison(f64::NAN, f64::NAN, f64::NAN, f64::NAN, 1); 3],
            differences: vec![
                ("front office first".to_owned(), Vec::new()),
                ("back office first".to_owned(), Vec::new()),
            ],
            dropped: 100,
            crossings: Some(vec![never.clone(), Crossing::of(&mostly), never]),
        };
        let text = compare_of(outcome, vec![None, None, None]);
        assert!(text.contains("- baseline: never crossed, in any of the 100 futures"), "{text}");
        assert!(text.contains("- front office first: crossed in 97 of 100 futures, at 24.8 (median"), "{text}");
        assert!(!text.contains("n/a"), "{text}");
        insta::assert_snapshot!("compare_threshold_crossings", text);
    }

    #[test]
    fn numbers_read_as_a_planner_writes_them() {
        assert_eq!(super::amount(1_234_567.0), "1.23M");
        assert_eq!(super::amount(54_000.0), "54,000");
        assert_eq!(super::amount(0.0361), "0.0361");
        assert_eq!(super::percent(0.018), "1.8%");
        assert_eq!(super::percent(0.000_092), "0.0092%");
        assert_eq!(super::of_100(0.996, "futures"), "more than 99 of 100 futures");
        assert_eq!(super::of_100(0.92, "futures"), "92 of 100 futures");
    }
}
