//! Sobol indices against SALib 1.6.0 on its own golden inputs, against the analytic indices of
//! the Ishigami and Sobol G functions on fresh designs, and the design's layout against SALib's.

use std::f64::consts::PI;

use fulcrum_sensitivity::Estimate;
use fulcrum_sensitivity::bootstrap::Resamples;
use fulcrum_sensitivity::sobol::{self, SobolError, SobolIndices};

use crate::{numbers, reference};

/// SALib's numbers come from the same arithmetic summed in another order, so they are
/// reproduced to rounding: within 1e-12 relative, or 1e-14 absolute for numbers near zero (a
/// second-order index of 4e-5 is the difference of three numbers near 0.4, and keeps their
/// rounding, 7e-16, rather than its own).
fn assert_reproduces(ours: f64, salib: f64, what: &str) {
    let tolerance = (1e-12 * salib.abs()).max(1e-14);
    assert!((ours - salib).abs() <= tolerance, "{what}: ours {ours:e}, SALib {salib:e}");
}

fn half_width(estimate: &Estimate) -> f64 {
    (estimate.high - estimate.low) / 2.0
}

fn numbers_at(json: &serde_json::Value, key: &str) -> Vec<f64> {
    json[key].as_array().unwrap_or_else(|| panic!("{key} is an array")).iter().map(|v| v.as_f64().unwrap()).collect()
}

/// One outcome per line.
fn outcomes(name: &str) -> Vec<f64> {
    numbers(name).into_iter().map(|row| row[0]).collect()
}

/// SALib's bootstrap matrix has one row per base sample and one column per resample: it
/// recomputes each estimator on `A[r]`, `B[r]`, … and averages over axis 0, so resample `b` is
/// column `b`.
fn salib_resamples(name: &str) -> Resamples {
    let matrix = numbers(name);
    let n = matrix.len();
    let count = matrix[0].len();
    let lists = (0..count).map(|b| matrix.iter().map(|row| row[b] as u32).collect()).collect();
    Resamples::from_lists(n, lists).expect("indices below N")
}

/// Analyses a golden output with SALib's own resamples and compares every index and every
/// half-width with the SALib run recorded under `function.key` in reference.json.
fn check_golden(stem: &str, function: &str, key: &str, second_order: bool) {
    let all = reference();
    let salib = &all[function][key];
    let groups = salib["D"].as_u64().unwrap() as usize;
    let y = outcomes(&format!("{stem}_Y.csv"));
    let resamples = salib_resamples(&format!("{stem}_bootidx.csv"));
    assert_eq!(resamples.count(), all["meta"]["num_resamples"].as_u64().unwrap() as usize);
    let confidence = all["meta"]["conf_level"].as_f64().unwrap();
    let indices = sobol::analyze(&y, groups, second_order, &resamples, confidence).unwrap();

    for (name, estimates) in [("S1", &indices.first), ("ST", &indices.total)] {
        let (values, halves) = (numbers_at(salib, name), numbers_at(salib, &format!("{name}_conf")));
        assert_eq!(estimates.len(), groups);
        for (j, estimate) in estimates.iter().enumerate() {
            assert_reproduces(estimate.value, values[j], &format!("{key} {name}[{j}]"));
            assert_reproduces(half_width(estimate), halves[j], &format!("{key} {name}_conf[{j}]"));
        }
    }
    if second_order {
        assert_eq!(indices.second.len(), groups * (groups - 1) / 2);
        for ((j, k), estimate) in &indices.second {
            let pair = format!("x{},x{}", j + 1, k + 1);
            let (value, half) = (salib["S2"][&pair].as_f64().unwrap(), salib["S2_conf"][&pair].as_f64().unwrap());
            assert_reproduces(estimate.value, value, &format!("{key} S2[{pair}]"));
            assert_reproduces(half_width(estimate), half, &format!("{key} S2_conf[{pair}]"));
        }
    } else {
        assert!(indices.second.is_empty());
    }
}

#[test]
fn ishigami_with_second_order_reproduces_salib() {
    check_golden("ishigami_N1024_so", "ishigami", "salib_N1024", true);
}

#[test]
fn ishigami_first_order_only_reproduces_salib() {
    check_golden("ishigami_N1024_fo", "ishigami", "salib_N1024_first_order_only", false);
}

#[test]
fn sobol_g_first_order_only_reproduces_salib() {
    check_golden("sobolg_N1024_fo", "sobol_g", "salib_N1024_first_order_only", false);
}

/// Checks the Saltelli layout of a row-major design: per base sample A, AB_1..AB_G, (BA_1..BA_G),
/// B, where AB_j is A with group j's columns from B and BA_j is B with them from A. Returns the
/// number of base samples.
fn assert_saltelli_layout(rows: &[f64], groups_of: &[usize], second_order: bool) -> usize {
    let parameters = groups_of.len();
    let groups = sobol::group_count(groups_of).unwrap();
    let step = sobol::runs_per_base(groups, second_order);
    assert_eq!(rows.len() % (step * parameters), 0);
    let blocks: Vec<&[f64]> = rows.chunks_exact(step * parameters).collect();
    for (i, block) in blocks.iter().enumerate() {
        let row = |r: usize| &block[r * parameters..(r + 1) * parameters];
        let (a, b) = (row(0), row(step - 1));
        // Otherwise a swapped column could not be told from an unswapped one.
        assert!(a.iter().zip(b).all(|(a, b)| a != b), "base sample {i}: A and B share a value");
        for group in 0..groups {
            let ab = row(1 + group);
            for c in 0..parameters {
                let expected = if groups_of[c] == group { b[c] } else { a[c] };
                assert_eq!(ab[c], expected, "base sample {i}, AB_{group}, column {c}");
            }
            if second_order {
                let ba = row(1 + groups + group);
                for c in 0..parameters {
                    let expected = if groups_of[c] == group { a[c] } else { b[c] };
                    assert_eq!(ba[c], expected, "base sample {i}, BA_{group}, column {c}");
                }
            }
        }
    }
    blocks.len()
}

#[test]
fn the_design_has_salib_row_layout() {
    // SALib's golden designs pass the layout check, so the check encodes SALib's layout...
    for (file, parameters, second_order) in [
        ("ishigami_N1024_so_X.csv", 3, true),
        ("ishigami_N1024_fo_X.csv", 3, false),
        ("sobolg_N1024_fo_X.csv", 8, false),
    ] {
        let rows: Vec<f64> = numbers(file).concat();
        let groups_of: Vec<usize> = (0..parameters).collect();
        assert_eq!(assert_saltelli_layout(&rows, &groups_of, second_order), 1024, "{file}");
    }
    // ...and ours passes it too, ungrouped and grouped.
    for groups_of in [vec![0, 1, 2], vec![0, 1, 2, 3, 4, 5, 6, 7], vec![1, 0, 2, 2, 0], vec![0, 0, 0]] {
        for second_order in [false, true] {
            let rows = sobol::design(64, &groups_of, second_order, 3).unwrap();
            assert_eq!(assert_saltelli_layout(&rows, &groups_of, second_order), 64);
        }
    }
}

#[test]
fn every_column_of_a_and_b_is_stratified() {
    // Base sample i is point i of a scrambled Sobol sequence, whose first 2^m points put one
    // value in each of 2^m equal cells of [0, 1) in every dimension.
    let n = 1024;
    for parameters in [3, 8] {
        let groups_of: Vec<usize> = (0..parameters).collect();
        let rows = sobol::design(n, &groups_of, true, 12345).unwrap();
        let step = sobol::runs_per_base(parameters, true);
        for (name, row) in [("A", 0), ("B", step - 1)] {
            for column in 0..parameters {
                let mut seen = vec![false; n];
                for i in 0..n {
                    let u = rows[(i * step + row) * parameters + column];
                    assert!((0.0..1.0).contains(&u));
                    let cell = (u * n as f64) as usize;
                    assert!(!std::mem::replace(&mut seen[cell], true), "{name} column {column}, cell {cell}");
                }
            }
        }
    }
}

#[test]
fn the_design_is_a_pure_function_of_its_arguments() {
    let groups_of = [0, 1, 2, 3];
    let first = sobol::design(128, &groups_of, true, 9).unwrap();
    assert_eq!(first.len(), 128 * sobol::runs_per_base(4, true) * 4);
    assert_eq!(first, sobol::design(128, &groups_of, true, 9).unwrap());
    assert_ne!(first, sobol::design(128, &groups_of, true, 10).unwrap());
    // A longer design starts with the shorter one, and leaving out the BA rows keeps A and B.
    let longer = sobol::design(256, &groups_of, true, 9).unwrap();
    assert_eq!(&longer[..first.len()], &first[..]);
    let first_order = sobol::design(128, &groups_of, false, 9).unwrap();
    let (so, fo) = (sobol::runs_per_base(4, true) * 4, sobol::runs_per_base(4, false) * 4);
    for (with, without) in first.chunks_exact(so).zip(first_order.chunks_exact(fo)) {
        assert_eq!(&with[..4], &without[..4]);
        assert_eq!(&with[so - 4..], &without[fo - 4..]);
    }
}

#[test]
fn the_design_refuses_what_it_cannot_build() {
    assert_eq!(sobol::runs_per_base(8, false), 10);
    assert_eq!(sobol::runs_per_base(8, true), 18);
    let too_many: Vec<usize> = (0..sobol::MAX_PARAMETERS + 1).collect();
    assert_eq!(
        sobol::design(4, &too_many, false, 1),
        Err(SobolError::TooManyParameters { parameters: 513, most: 512 })
    );
    let most = sobol::design(2, &too_many[..512], false, 1).unwrap();
    assert_eq!(most.len(), 2 * 514 * 512);
    assert_eq!(sobol::design(4, &[], false, 1), Err(SobolError::NoParameters));
    assert_eq!(sobol::design(4, &[0, 2], false, 1), Err(SobolError::EmptyGroup { group: 1, groups: 3 }));
    assert_eq!(sobol::design(0, &[0, 1], false, 1), Ok(vec![]));
    // More points than the sequence has, and a buffer no memory holds.
    let huge = 1usize << 40;
    assert_eq!(sobol::design(huge, &[0, 1], false, 1), Err(SobolError::TooManyBaseSamples { base_samples: huge }));
    let most = 1usize << 32;
    assert_eq!(
        sobol::design(most, &too_many[..512], true, 1),
        Err(SobolError::TooManyBaseSamples { base_samples: most })
    );
}

/// The Ishigami function with a = 7, b = 0.1 on rows of the unit cube, mapped to [−π, π]³.
fn ishigami(rows: &[f64]) -> Vec<f64> {
    rows.chunks_exact(3)
        .map(|u| {
            let x: Vec<f64> = u.iter().map(|u| -PI + 2.0 * PI * u).collect();
            x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
        })
        .collect()
}

const G_A: [f64; 8] = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0];

/// The Sobol G function on rows of the unit cube.
fn sobol_g(rows: &[f64]) -> Vec<f64> {
    rows.chunks_exact(8)
        .map(|x| x.iter().zip(G_A).map(|(x, a)| ((4.0 * x - 2.0).abs() + a) / (1.0 + a)).product())
        .collect()
}

fn assert_covers(estimate: &Estimate, exact: f64, what: &str) {
    assert!(
        estimate.low <= exact && exact <= estimate.high,
        "{what}: exact {exact} outside [{}, {}] (estimate {})",
        estimate.low,
        estimate.high,
        estimate.value
    );
    // An interval too wide to mean anything would cover anything.
    assert!(estimate.high - estimate.low < 0.1, "{what}: interval [{}, {}]", estimate.low, estimate.high);
}

#[test]
fn fresh_ishigami_intervals_cover_the_analytic_indices() {
    let analytic = &reference()["ishigami"]["analytic"];
    let n = 8192;
    let rows = sobol::design(n, &[0, 1, 2], true, 2024).unwrap();
    let y = ishigami(&rows);
    let indices = sobol::analyze(&y, 3, true, &Resamples::new(11, n, 1000), 0.95).unwrap();
    for (j, exact) in numbers_at(analytic, "S1").into_iter().enumerate() {
        assert_covers(&indices.first[j], exact, &format!("S1[{j}]"));
    }
    for (j, exact) in numbers_at(analytic, "ST").into_iter().enumerate() {
        assert_covers(&indices.total[j], exact, &format!("ST[{j}]"));
    }
    let ((j, k), s13) = indices.second[1];
    assert_eq!((j, k), (0, 2));
    assert_covers(&s13, analytic["S2"]["x1,x3"].as_f64().unwrap(), "S2[x1,x3]");
}

#[test]
fn fresh_sobol_g_intervals_cover_the_analytic_indices() {
    let analytic = &reference()["sobol_g"]["analytic"];
    let n = 8192;
    let groups_of: Vec<usize> = (0..8).collect();
    let rows = sobol::design(n, &groups_of, false, 2024).unwrap();
    let indices = sobol::analyze(&sobol_g(&rows), 8, false, &Resamples::new(11, n, 1000), 0.95).unwrap();
    for (j, exact) in numbers_at(analytic, "S1").into_iter().enumerate() {
        assert_covers(&indices.first[j], exact, &format!("S1[{j}]"));
    }
    for (j, exact) in numbers_at(analytic, "ST").into_iter().enumerate() {
        assert_covers(&indices.total[j], exact, &format!("ST[{j}]"));
    }
}

#[test]
fn grouped_sobol_g_intervals_cover_the_closed_form_group_indices() {
    // The G function is a product of one factor per input, so the variance explained by a set
    // of inputs on its own (its closed index) is prod over the set of (1 + V_i), minus 1, with
    // V_i = 1 / (3 (1 + a_i)^2); a set's total index is 1 minus the closed index of the rest.
    let partial: Vec<f64> = G_A.iter().map(|a| 1.0 / (3.0 * (1.0 + a).powi(2))).collect();
    let closed = |inputs: &[usize]| inputs.iter().map(|&i| 1.0 + partial[i]).product::<f64>() - 1.0;
    let variance = closed(&[0, 1, 2, 3, 4, 5, 6, 7]);
    let singles = &reference()["sobol_g"]["analytic"];
    let n = 8192;
    for groups_of in [[0, 1, 2, 2, 2, 2, 2, 2], [0, 0, 1, 2, 2, 2, 2, 2]] {
        let rows = sobol::design(n, &groups_of, false, 77).unwrap();
        assert_eq!(rows.len(), n * 5 * 8);
        let indices = sobol::analyze(&sobol_g(&rows), 3, false, &Resamples::new(5, n, 1000), 0.95).unwrap();
        for group in 0..3 {
            let (inside, outside): (Vec<usize>, Vec<usize>) = (0..8).partition(|&i| groups_of[i] == group);
            let first = closed(&inside) / variance;
            let total = 1.0 - closed(&outside) / variance;
            assert_covers(&indices.first[group], first, &format!("{groups_of:?}: S1 of group {group}"));
            assert_covers(&indices.total[group], total, &format!("{groups_of:?}: ST of group {group}"));
        }
        if groups_of[1] == 0 {
            // A group is not the sum of its inputs: x1 and x2 interact strongly, so together
            // they explain more on their own than S1_1 + S1_2, and less in total than ST_1 +
            // ST_2, and the intervals tell the difference.
            let sum = |key: &str| singles[key][0].as_f64().unwrap() + singles[key][1].as_f64().unwrap();
            assert!(indices.first[0].low > sum("S1"), "{:?} against {}", indices.first[0], sum("S1"));
            assert!(indices.total[0].high < sum("ST"), "{:?} against {}", indices.total[0], sum("ST"));
        }
    }
}

#[test]
fn a_failed_run_drops_exactly_its_base_sample() {
    let groups_of: Vec<usize> = (0..8).collect();
    let n = 64;
    let step = sobol::runs_per_base(8, true);
    let rows = sobol::design(n, &groups_of, true, 1).unwrap();
    let mut y = sobol_g(&rows);
    let clean = y.clone();
    y[5 * step + 3] = f64::NAN;
    y[40 * step + step - 1] = f64::INFINITY;
    let resamples = Resamples::new(1, n, 10);
    assert_eq!(sobol::analyze(&y, 8, true, &resamples, 0.95), Err(SobolError::NotFinite { row: 5 * step + 3 }));

    let (kept, dropped) = sobol::drop_failed(&y, 8, true).unwrap();
    assert_eq!(dropped, 2);
    let expected: Vec<f64> = clean
        .chunks_exact(step)
        .enumerate()
        .filter(|(i, _)| ![5, 40].contains(i))
        .flat_map(|(_, block)| block.to_vec())
        .collect();
    assert_eq!(kept, expected);
    assert_eq!(sobol::drop_failed(&clean, 8, true).unwrap(), (clean.clone(), 0));

    // The kept base samples are analysed with resamples over their own count.
    assert_eq!(
        sobol::analyze(&kept, 8, true, &resamples, 0.95),
        Err(SobolError::ResampleSize { base_samples: 62, resampled: 64 })
    );
    let indices = sobol::analyze(&kept, 8, true, &Resamples::new(1, n - 2, 10), 0.95).unwrap();
    assert!(indices.first.iter().chain(&indices.total).all(|e| e.value.is_finite() && e.low < e.high));
}

#[test]
fn the_analysis_refuses_outcomes_it_cannot_use() {
    let resamples = Resamples::new(1, 4, 10);
    let y: Vec<f64> = (0..20).map(f64::from).collect();
    let wrong = |outcomes| SobolError::WrongLength { outcomes, runs_per_base: 5 };
    assert_eq!(sobol::analyze(&y[..19], 3, false, &resamples, 0.95), Err(wrong(19)));
    assert_eq!(sobol::analyze(&[], 3, false, &resamples, 0.95), Err(wrong(0)));
    assert_eq!(sobol::drop_failed(&y[..19], 3, false), Err(wrong(19)));
    assert_eq!(sobol::analyze(&y, 0, false, &resamples, 0.95), Err(SobolError::NoParameters));
    assert_eq!(sobol::analyze(&y, 3, false, &resamples, 1.0), Err(SobolError::Confidence { confidence: 1.0 }));
    assert!(matches!(sobol::analyze(&y, 3, false, &resamples, f64::NAN), Err(SobolError::Confidence { .. })));
    assert_eq!(sobol::analyze(&[2.5; 20], 3, false, &resamples, 0.95), Err(SobolError::NoVariance));
    assert!(sobol::analyze(&y, 3, false, &resamples, 0.95).is_ok());
}

#[test]
fn no_resamples_gives_estimates_without_intervals() {
    let rows = sobol::design(256, &[0, 1, 2], true, 4).unwrap();
    let y = ishigami(&rows);
    let bare = sobol::analyze(&y, 3, true, &Resamples::new(1, 256, 0), 0.95).unwrap();
    let with = sobol::analyze(&y, 3, true, &Resamples::new(1, 256, 50), 0.95).unwrap();
    for (bare, with) in bare.first.iter().chain(&bare.total).zip(with.first.iter().chain(&with.total)) {
        assert_eq!(bare.value, with.value);
        assert!(bare.low.is_nan() && bare.high.is_nan());
    }
}

#[test]
fn any_thread_count_gives_the_same_bits() {
    let rows = sobol::design(1024, &[0, 1, 2], true, 8).unwrap();
    let y = ishigami(&rows);
    let resamples = Resamples::new(3, 1024, 200);
    let on = |threads: usize| -> SobolIndices {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| sobol::analyze(&y, 3, true, &resamples, 0.95).unwrap())
    };
    let bits = |indices: &SobolIndices| -> Vec<u64> {
        let second = indices.second.iter().map(|(_, estimate)| estimate);
        indices
            .first
            .iter()
            .chain(&indices.total)
            .chain(second)
            .flat_map(|e| [e.value, e.low, e.high].map(f64::to_bits))
            .collect()
    };
    let one = bits(&on(1));
    for threads in [2, 3, 8] {
        assert_eq!(bits(&on(threads)), one, "{threads} threads");
    }
}
