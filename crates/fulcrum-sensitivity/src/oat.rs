//! One at a time around the baseline: each parameter (or group) moved alone to the low and high
//! ends of its range — the tornado table — and scaled by 1 ± h for its elasticity, the
//! dimensionless sensitivity coefficient d ln Y / d ln p (Hamby 1994).
//!
//! The elasticity is a central difference in logarithms, (ln Y(p(1+h)) − ln Y(p(1−h))) /
//! (ln(1+h) − ln(1−h)): exact for power laws Y = c·p^k whatever h, second-order accurate
//! otherwise. Where Y is not positive on both sides the logarithm is undefined, and the
//! relative central difference (Y+ − Y−) / (2h·Y0) is used instead.

use crate::parameters::{Groups, Parameter};

/// The relative step of the elasticity unless asked otherwise.
pub const DEFAULT_STEP: f64 = 0.01;

/// Rows per group after the baseline row: low, high, scaled down, scaled up.
const ROWS_PER_GROUP: usize = 4;

/// The elasticity from the outcome at p(1 − h), p and p(1 + h); NaN when it is undefined
/// (a zero baseline outcome with a sign change, or a failed run).
pub fn elasticity(minus: f64, baseline: f64, plus: f64, h: f64) -> f64 {
    if minus > 0.0 && plus > 0.0 {
        (plus.ln() - minus.ln()) / ((1.0 + h).ln() - (1.0 - h).ln())
    } else if baseline != 0.0 {
        (plus - minus) / (2.0 * h * baseline)
    } else {
        f64::NAN
    }
}

/// The design: the baseline row, then for each group its low, high, scaled-down and
/// scaled-up rows; `parameters.len()` values per row.
pub fn design(parameters: &[Parameter], groups: &Groups, h: f64) -> Vec<f64> {
    let baseline: Vec<f64> = parameters.iter().map(|p| p.baseline).collect();
    let mut rows = baseline.clone();
    for group in 0..groups.len() {
        let members: Vec<usize> = groups.members(group).collect();
        let moved = |value: &dyn Fn(&Parameter) -> f64| {
            let mut row = baseline.clone();
            for &member in &members {
                row[member] = value(&parameters[member]);
            }
            row
        };
        rows.extend(moved(&|p| p.range().0));
        rows.extend(moved(&|p| p.range().1));
        rows.extend(moved(&|p| p.baseline * (1.0 - h)));
        rows.extend(moved(&|p| p.baseline * (1.0 + h)));
    }
    rows
}

/// How many runs the design has.
pub fn runs(groups: usize) -> usize {
    1 + ROWS_PER_GROUP * groups
}

/// One group's result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Effect {
    /// The outcome with the group at the low end of its range.
    pub low: f64,
    /// The outcome with the group at the high end.
    pub high: f64,
    /// d ln Y / d ln p at the baseline.
    pub elasticity: f64,
}

/// The effects of every group from the design's outcomes (one per row), and the baseline
/// outcome. A group whose parameters are all 0 at the baseline has no relative change, so its
/// elasticity is NaN. `None` if `y` does not have [`runs`] values.
pub fn analyze(y: &[f64], parameters: &[Parameter], groups: &Groups, h: f64) -> Option<(f64, Vec<Effect>)> {
    if y.len() != runs(groups.len()) {
        return None;
    }
    let baseline = y[0];
    let effects = y[1..]
        .chunks_exact(ROWS_PER_GROUP)
        .enumerate()
        .map(|(group, rows)| {
            let scalable = groups.members(group).any(|member| parameters[member].baseline != 0.0);
            let elasticity = if scalable { elasticity(rows[2], baseline, rows[3], h) } else { f64::NAN };
            Effect { low: rows[0], high: rows[1], elasticity }
        })
        .collect();
    Some((baseline, effects))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fulcrum_explore::Distribution;

    fn parameter(name: &str, baseline: f64, min: f64, max: f64) -> Parameter {
        Parameter {
            name: name.into(),
            constant: 0,
            distribution: Distribution::Uniform { min, max },
            baseline,
            lever: false,
            switch: false,
        }
    }

    /// The elasticity oracle of the reference folder: Y = 3 p1² / p2 at (2, 4) has
    /// elasticities 2 and −1; the central log difference gets them to rounding.
    #[test]
    fn power_laws_have_their_exponents_as_elasticities() {
        let parameters = [parameter("p1", 2.0, 1.0, 3.0), parameter("p2", 4.0, 2.0, 8.0)];
        let groups = Groups::each(&parameters);
        let rows = design(&parameters, &groups, DEFAULT_STEP);
        let y: Vec<f64> = rows.chunks(2).map(|p| 3.0 * p[0] * p[0] / p[1]).collect();
        let (baseline, effects) = analyze(&y, &parameters, &groups, DEFAULT_STEP).expect("sized");
        assert_eq!(baseline, 3.0);
        approx::assert_abs_diff_eq!(effects[0].elasticity, 2.0000000000000013, epsilon = 1e-12);
        approx::assert_abs_diff_eq!(effects[1].elasticity, -0.9999999999999951, epsilon = 1e-12);
        assert_eq!((effects[0].low, effects[0].high), (0.75, 6.75));
        assert_eq!((effects[1].low, effects[1].high), (6.0, 1.5));
    }

    #[test]
    fn a_group_moves_together() {
        let parameters = [parameter("a", 1.0, 0.0, 2.0), parameter("b", 2.0, 1.0, 3.0), parameter("c", 5.0, 4.0, 6.0)];
        let groups = Groups::named(&parameters, &[("ab".into(), vec!["A".into(), "b".into()])]).expect("valid");
        assert_eq!(groups.names, ["ab", "c"]);
        let rows = design(&parameters, &groups, 0.1);
        assert_eq!(rows.len(), 3 * runs(2));
        // The group's low row: both members low, c at its baseline.
        assert_eq!(&rows[3..6], &[0.0, 1.0, 5.0]);
        // Y = a·b scales as p² when both scale: elasticity 2.
        let y: Vec<f64> = rows.chunks(3).map(|p| p[0] * p[1]).collect();
        let (_, effects) = analyze(&y, &parameters, &groups, 0.1).expect("sized");
        approx::assert_abs_diff_eq!(effects[0].elasticity, 2.0, epsilon = 1e-12);
        approx::assert_abs_diff_eq!(effects[1].elasticity, 0.0, epsilon = 1e-12);
        // A parameter at 0 cannot change by a percentage.
        let zero = [parameter("z", 0.0, -1.0, 1.0)];
        let each = Groups::each(&zero);
        let y: Vec<f64> = design(&zero, &each, 0.1).iter().map(|z| 3.0 + z).collect();
        let (_, effects) = analyze(&y, &zero, &each, 0.1).expect("sized");
        assert!(effects[0].elasticity.is_nan());
        assert_eq!((effects[0].low, effects[0].high), (2.0, 4.0));
        assert!(Groups::named(&parameters, &[("x".into(), vec!["nope".into()])]).is_err());
        let twice = [("x".into(), vec!["a".into()]), ("y".into(), vec!["a".into()])];
        assert!(Groups::named(&parameters, &twice).is_err());
        let same_name = [("x".into(), vec!["a".into()]), ("X".into(), vec!["b".into()])];
        assert!(Groups::named(&parameters, &same_name).is_err());
        assert!(
            Groups::named(&parameters, &[("c".into(), vec!["a".into()])]).is_err(),
            "the name of another parameter"
        );
        assert!(Groups::named(&parameters, &[("a".into(), vec!["a".into(), "b".into()])]).is_ok(), "its own member's");
        assert!(Groups::named(&parameters, &[("a:b".into(), vec!["a".into()])]).is_err());
    }

    #[test]
    fn outcomes_that_change_sign_use_the_relative_difference() {
        // Y = p at p = 1: the power law, in logarithms.
        approx::assert_abs_diff_eq!(elasticity(0.99, 1.0, 1.01, 0.01), 1.0, epsilon = 1e-12);
        // Outcomes on both sides of zero: (Y+ − Y−) / (2h·Y0).
        approx::assert_abs_diff_eq!(elasticity(-0.02, 1.0, 0.02, 0.01), 2.0, epsilon = 1e-12);
        assert!(elasticity(-1.0, 0.0, 1.0, 0.01).is_nan());
        assert!(elasticity(f64::NAN, 1.0, 1.0, 0.01).is_nan());
    }
}
