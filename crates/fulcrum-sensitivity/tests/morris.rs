//! Morris elementary effects against SALib 1.6.0 on its own trajectories, against closed-form
//! expectations on our trajectories, and the shape of the trajectories themselves.

use std::f64::consts::PI;

use fulcrum_sensitivity::bootstrap;
use fulcrum_sensitivity::morris::{Design, MorrisError, MorrisIndices};
use proptest::prelude::*;

use crate::{numbers, reference};

/// Sobol's G function with SALib's coefficients, on the unit hypercube.
fn sobol_g(x: &[f64]) -> f64 {
    const A: [f64; 8] = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0];
    x.iter().zip(A).map(|(&value, a)| ((4.0 * value - 2.0).abs() + a) / (1.0 + a)).product()
}

/// The Ishigami function (a = 7, b = 0.1) on [−π, π]³.
fn ishigami(x: &[f64]) -> f64 {
    x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
}

fn column(value: &serde_json::Value) -> Vec<f64> {
    value.as_array().expect("an array").iter().map(|number| number.as_f64().expect("a number")).collect()
}

/// Analyses one of SALib's golden designs (physical rows on [low, high] in every column) and
/// compares μ, μ* and σ with SALib's to 1e-9.
fn check_golden(prefix: &str, key: &str, low: f64, high: f64) -> MorrisIndices {
    let physical: Vec<f64> = numbers(&format!("{prefix}_X.csv")).concat();
    let y: Vec<f64> = numbers(&format!("{prefix}_Y.csv")).concat();
    let parameters = physical.len() / y.len();
    let unit: Vec<f64> = physical.iter().map(|value| (value - low) / (high - low)).collect();
    let design = Design::ungrouped(4, parameters).unwrap();
    let indices = design.analyze(&unit, &physical, &y, 1000, 42, 0.95).unwrap();
    assert_eq!((indices.trajectories, indices.dropped), (20, 0));

    let expected = &reference()["morris"][key];
    let (mu, mu_star, sigma, conf) = (
        column(&expected["mu"]),
        column(&expected["mu_star"]),
        column(&expected["sigma"]),
        column(&expected["mu_star_conf"]),
    );
    for (j, effects) in indices.unit.iter().enumerate() {
        approx::assert_abs_diff_eq!(effects.mu, mu[j], epsilon = 1e-9);
        approx::assert_abs_diff_eq!(effects.mu_star.value, mu_star[j], epsilon = 1e-9);
        approx::assert_abs_diff_eq!(effects.sigma, sigma[j], epsilon = 1e-9);
        // SALib and we both approximate the same bootstrap standard error of a mean of 20
        // trajectories, z · sd(|EE|, n) / √20, by 1,000 resamples, but from different random
        // draws, so the half-widths agree only to Monte Carlo error: about 2% each (1/√2000),
        // and within 15% by a wide margin. The absolute floor covers Ishigami's x2, whose
        // effects all have the same size, so both half-widths are rounding noise near zero.
        let half_width = (effects.mu_star.high - effects.mu_star.low) / 2.0;
        assert!(
            (half_width - conf[j]).abs() <= 0.15 * conf[j] + 1e-9,
            "{key} parameter {j}: half-width {half_width}, SALib {}",
            conf[j]
        );
    }
    indices
}

#[test]
fn sobol_g_matches_salib() {
    check_golden("morris_sobolg_r20_p4", "sobol_g_vanilla", 0.0, 1.0);
}

#[test]
fn sobol_g_optimized_design_matches_salib() {
    check_golden("morris_sobolg_r20_p4_opt", "sobol_g_optimal_from_100", 0.0, 1.0);
}

#[test]
fn ishigami_matches_salib() {
    let indices = check_golden("morris_ishigami_r20_p4", "ishigami_vanilla", -PI, PI);
    // Per physical unit the effects are the unit effects over the range 2π.
    for (unit, physical) in indices.unit.iter().zip(&indices.physical) {
        approx::assert_relative_eq!(physical.mu_star.value, unit.mu_star.value / (2.0 * PI), max_relative = 1e-12);
    }
}

#[test]
fn linear_effects_are_the_coefficients() {
    let coefficients = [3.0, -2.0, 0.5];
    let (low, high) = ([0.0, 0.0, -5.0], [10.0, 1.0, 5.0]);
    for levels in [2, 4, 6, 8] {
        let design = Design::ungrouped(levels, 3).unwrap();
        let unit = design.trajectories(12, 7, None).unwrap();
        let physical: Vec<f64> =
            unit.chunks(3).flat_map(|row| (0..3).map(move |j| low[j] + row[j] * (high[j] - low[j]))).collect();
        let y: Vec<f64> =
            physical.chunks(3).map(|row| row.iter().zip(coefficients).map(|(x, c)| x * c).sum()).collect();
        let indices = design.analyze(&unit, &physical, &y, 100, 1, 0.95).unwrap();
        for j in 0..3 {
            let per_unit = coefficients[j] * (high[j] - low[j]);
            approx::assert_relative_eq!(indices.unit[j].mu, per_unit, max_relative = 1e-9);
            approx::assert_relative_eq!(indices.unit[j].mu_star.value, per_unit.abs(), max_relative = 1e-9);
            assert!(indices.unit[j].sigma < 1e-9);
            approx::assert_relative_eq!(indices.physical[j].mu, coefficients[j], max_relative = 1e-9);
            approx::assert_relative_eq!(indices.physical[j].mu_star.value, coefficients[j].abs(), max_relative = 1e-9);
            assert!(indices.physical[j].sigma < 1e-9);
        }
    }
}

#[test]
fn a_group_moves_as_one() {
    // Parameters 0 and 1 form group 0 and always move together and the same way, so the group's
    // effect is the sum of theirs; a group of two has no single physical step.
    let design = Design::new(4, vec![0, 0, 1]).unwrap();
    let scale = [2.0, 5.0, 1.0];
    let unit = design.trajectories(10, 3, None).unwrap();
    assert_eq!(unit.len(), 10 * 3 * 3);
    let physical: Vec<f64> = unit.chunks(3).flat_map(|row| (0..3).map(move |j| row[j] * scale[j])).collect();
    let y: Vec<f64> = physical.chunks(3).map(|row| 2.0 * row[0] + 3.0 * row[1] - row[2]).collect();
    let indices = design.analyze(&unit, &physical, &y, 100, 1, 0.95).unwrap();
    approx::assert_relative_eq!(indices.unit[0].mu, 2.0 * 2.0 + 3.0 * 5.0, max_relative = 1e-9);
    approx::assert_relative_eq!(indices.unit[1].mu, -1.0, max_relative = 1e-9);
    assert!(indices.physical[0].mu.is_nan() && indices.physical[0].mu_star.value.is_nan());
    approx::assert_relative_eq!(indices.physical[1].mu, -1.0, max_relative = 1e-9);
}

#[test]
fn a_group_moving_both_ways_has_a_size_but_no_sign() {
    // SALib draws the direction of each parameter, not of each group, so its grouped designs can
    // move one member up and another down in the same step.
    let design = Design::new(4, vec![0, 0]).unwrap();
    let unit = [0.0, 2.0 / 3.0, 2.0 / 3.0, 0.0, 1.0 / 3.0, 1.0, 1.0, 1.0 / 3.0];
    let y = [0.0, 2.0 / 3.0, 1.0 / 3.0, 1.0];
    let indices = design.analyze(&unit, &unit, &y, 50, 1, 0.95).unwrap();
    assert!(indices.unit[0].mu.is_nan() && indices.unit[0].sigma.is_nan());
    approx::assert_relative_eq!(indices.unit[0].mu_star.value, 1.0, max_relative = 1e-12);
}

#[test]
fn failed_runs_drop_their_trajectory() {
    let design = Design::ungrouped(4, 8).unwrap();
    let unit = design.trajectories(20, 11, None).unwrap();
    let mut y: Vec<f64> = unit.chunks(8).map(sobol_g).collect();
    y[3 * 9 + 4] = f64::NAN;
    y[7 * 9] = f64::INFINITY;
    let indices = design.analyze(&unit, &unit, &y, 100, 1, 0.95).unwrap();
    assert_eq!((indices.trajectories, indices.dropped), (18, 2));

    let keep = |t: &usize| *t != 3 && *t != 7;
    let unit_kept: Vec<f64> = (0..20).filter(keep).flat_map(|t| unit[t * 72..(t + 1) * 72].to_vec()).collect();
    let y_kept: Vec<f64> = (0..20).filter(keep).flat_map(|t| y[t * 9..(t + 1) * 9].to_vec()).collect();
    let clean = design.analyze(&unit_kept, &unit_kept, &y_kept, 100, 1, 0.95).unwrap();
    for (with, without) in indices.unit.iter().zip(&clean.unit) {
        assert_eq!((with.mu, with.mu_star.value, with.sigma), (without.mu, without.mu_star.value, without.sigma));
    }

    let all_failed = vec![f64::NAN; y.len()];
    let nothing = design.analyze(&unit, &unit, &all_failed, 100, 1, 0.95).unwrap();
    assert_eq!((nothing.trajectories, nothing.dropped), (0, 20));
    assert!(nothing.unit.iter().all(|effects| effects.mu.is_nan() && effects.mu_star.value.is_nan()));
}

#[test]
fn bad_designs_and_inputs_are_errors() {
    assert_eq!(Design::ungrouped(3, 2), Err(MorrisError::Levels { levels: 3 }));
    assert_eq!(Design::ungrouped(0, 2), Err(MorrisError::Levels { levels: 0 }));
    assert_eq!(Design::ungrouped(4, 0), Err(MorrisError::NoParameters));
    assert_eq!(Design::new(4, vec![0, 2]), Err(MorrisError::EmptyGroup { group: 1 }));

    let design = Design::ungrouped(4, 2).unwrap();
    assert_eq!(design.trajectories(0, 1, None), Err(MorrisError::NoTrajectories));
    assert_eq!(design.trajectories(5, 1, Some(4)), Err(MorrisError::Pool { pool: 4, trajectories: 5 }));
    assert!(matches!(design.trajectories(usize::MAX / 2, 1, None), Err(MorrisError::TooLarge { .. })));
    assert!(matches!(design.trajectories(2, 1, Some(3_000_000)), Err(MorrisError::TooLarge { .. })));

    let unit = design.trajectories(2, 1, None).unwrap();
    let y = vec![1.0; 6];
    let analyze = |unit: &[f64], physical: &[f64], y: &[f64]| design.analyze(unit, physical, y, 10, 1, 0.95);
    assert_eq!(
        analyze(&unit[..10], &unit, &y),
        Err(MorrisError::Length { what: "unit rows", expected: 12, found: 10 })
    );
    assert_eq!(
        analyze(&unit, &unit[..10], &y),
        Err(MorrisError::Length { what: "physical rows", expected: 12, found: 10 })
    );
    assert_eq!(analyze(&unit[..10], &unit[..10], &y[..5]), Err(MorrisError::Rows { rows: 5, points: 3 }));
    assert_eq!(analyze(&[], &[], &[]), Err(MorrisError::Rows { rows: 0, points: 3 }));
    assert_eq!(design.analyze(&unit, &unit, &y, 10, 1, 1.0), Err(MorrisError::Confidence { confidence: 1.0 }));

    let delta = design.delta();
    // Both parameters move at once.
    let both = [0.0, 0.0, delta, delta, delta, 0.0];
    assert_eq!(analyze(&both, &both, &y[..3]), Err(MorrisError::NotAStep { trajectory: 0, step: 0, delta }));
    // Parameter 0 moves twice and parameter 1 never.
    let twice = [0.0, 0.0, delta, 0.0, 0.0, 0.0];
    assert_eq!(analyze(&twice, &twice, &y[..3]), Err(MorrisError::NotAStep { trajectory: 0, step: 1, delta }));
    // A step of another size than the jump (as from analysing with the wrong number of levels).
    let short = [0.0, 0.0, 0.5, 0.0, 0.5, 0.5];
    assert_eq!(analyze(&short, &short, &y[..3]), Err(MorrisError::NotAStep { trajectory: 0, step: 0, delta }));
    let not_a_number = [f64::NAN, 0.0, delta, 0.0, delta, delta];
    assert!(analyze(&not_a_number, &not_a_number, &y[..3]).is_err());
}

#[test]
fn trajectories_are_a_pure_function_of_seed_and_index() {
    let design = Design::new(6, vec![0, 1, 1, 2]).unwrap();
    let size = design.points() * design.parameters();
    let five = design.trajectories(5, 9, None).unwrap();
    let three = design.trajectories(3, 9, None).unwrap();
    assert_eq!(&five[..3 * size], &three[..]);
    assert_ne!(design.trajectories(3, 10, None).unwrap(), three);
    assert_eq!(design.trajectories(3, 9, Some(20)).unwrap(), design.trajectories(3, 9, Some(20)).unwrap());
}

#[test]
fn optimized_trajectories_spread_further() {
    // SALib's test case: 20 trajectories kept from 100 for the 8 inputs of the G function.
    let design = Design::ungrouped(4, 8).unwrap();
    for seed in [1, 7, 42] {
        let vanilla = design.trajectories(20, seed, None).unwrap();
        let optimized = design.trajectories(20, seed, Some(100)).unwrap();
        let (plain, spread) = (design.spread(&vanilla).unwrap(), design.spread(&optimized).unwrap());
        assert!(spread > 1.05 * plain, "seed {seed}: optimized spread {spread}, vanilla {plain}");
        // Each kept trajectory is one of the pool's.
        let size = design.points() * design.parameters();
        let pool = design.trajectories(100, seed, None).unwrap();
        for kept in optimized.chunks(size) {
            assert!(pool.chunks(size).any(|candidate| candidate == kept));
        }
    }
}

/// μ* from `r` of our trajectories of `model` (unit rows mapped to physical ones by `scale`),
/// compared with closed-form expectations within four bootstrap standard errors.
fn check_expectations(parameters: usize, model: fn(&[f64]) -> f64, scale: fn(f64) -> f64, expected: &[f64]) {
    let r = 20_000;
    let design = Design::ungrouped(4, parameters).unwrap();
    let unit = design.trajectories(r, 2024, None).unwrap();
    let physical: Vec<f64> = unit.iter().map(|&value| scale(value)).collect();
    let y: Vec<f64> = physical.chunks(parameters).map(model).collect();
    let indices = design.analyze(&unit, &physical, &y, 200, 5, 0.95).unwrap();
    for (j, (effects, &expectation)) in indices.unit.iter().zip(expected).enumerate() {
        let standard_error = (effects.mu_star.high - effects.mu_star.low) / 2.0 / bootstrap::z(0.95);
        let error = (effects.mu_star.value - expectation).abs();
        assert!(
            error <= 4.0 * standard_error + 1e-9,
            "parameter {j}: μ* {} against E[μ*] {expectation} (standard error {standard_error})",
            effects.mu_star.value
        );
    }
}

#[test]
fn mu_star_agrees_with_its_closed_form_expectation() {
    let text = std::fs::read_to_string(crate::reference_dir().join("morris_expectations.json")).unwrap();
    let expectations: serde_json::Value = serde_json::from_str(&text).unwrap();
    check_expectations(8, sobol_g, |u| u, &column(&expectations["G_expected_mu_star"]));
    check_expectations(3, ishigami, |u| -PI + 2.0 * PI * u, &column(&expectations["Ishigami_expected_mu_star"]));
}

/// A design of up to 7 parameters in 1 to 7 groups, every group used, in any order.
fn designs() -> impl Strategy<Value = Design> {
    (prop_oneof![Just(2usize), Just(4), Just(6), Just(8)], 1usize..8)
        .prop_flat_map(|(levels, parameters)| (Just(levels), 1..=parameters, Just(parameters)))
        .prop_flat_map(|(levels, groups, parameters)| {
            (
                Just(levels),
                proptest::collection::vec(0..groups, parameters)
                    .prop_map(move |mut groups_of| {
                        groups_of[..groups].iter_mut().enumerate().for_each(|(group, slot)| *slot = group);
                        groups_of
                    })
                    .prop_shuffle(),
            )
        })
        .prop_map(|(levels, groups_of)| Design::new(levels, groups_of).unwrap())
}

proptest! {
    #[test]
    fn trajectories_step_one_group_at_a_time_on_the_grid(
        design in designs(),
        r in 1usize..8,
        extra in proptest::option::of(0usize..6),
        seed in any::<u64>(),
    ) {
        let unit = design.trajectories(r, seed, extra.map(|extra| r + extra)).unwrap();
        let (width, points, top) = (design.parameters(), design.points(), (design.levels() - 1) as f64);
        prop_assert_eq!(unit.len(), r * points * width);
        for &value in &unit {
            prop_assert!((0.0..=1.0).contains(&value));
            prop_assert!(((value * top).round() - value * top).abs() < 1e-9);
        }
        for trajectory in unit.chunks(points * width) {
            let mut moves = vec![0; design.groups()];
            for pair in trajectory.chunks(width).collect::<Vec<_>>().windows(2) {
                let changed: Vec<usize> = (0..width).filter(|&j| pair[1][j] != pair[0][j]).collect();
                prop_assert!(!changed.is_empty());
                let group = design.groups_of()[changed[0]];
                let members: Vec<usize> = (0..width).filter(|&j| design.groups_of()[j] == group).collect();
                prop_assert_eq!(&changed, &members);
                let direction = (pair[1][changed[0]] - pair[0][changed[0]]).signum();
                for &j in &changed {
                    prop_assert!((pair[1][j] - pair[0][j] - direction * design.delta()).abs() < 1e-12);
                }
                moves[group] += 1;
            }
            prop_assert!(moves.iter().all(|&count| count == 1));
        }
    }
}
