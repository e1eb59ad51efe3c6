//! PRIM against EMA Workbench 2.5.3: the shared reference (`../shared/reference/gsa/prim_reference.py`,
//! a clean two-input box) and a noisier six-input case made by `tests/fixtures/prim/make_references.py`.

// Test helpers stop at the first surprise, like the tests themselves.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use fulcrum_decide::prim::{Discovery, Inputs, Options, discover};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/prim").join(name)
}

fn json(path: PathBuf) -> serde_json::Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).expect("valid JSON")
}

/// A CSV of numbers with a header: the names and the columns.
fn csv(name: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(fixture(name)).expect("fixture");
    let mut lines = text.lines();
    let names: Vec<String> = lines.next().expect("header").split(',').map(str::to_string).collect();
    let mut columns = vec![Vec::new(); names.len()];
    for line in lines {
        for (column, cell) in columns.iter_mut().zip(line.split(',')) {
            column.push(cell.parse::<f64>().expect("number"));
        }
    }
    (names, columns)
}

fn number(value: &serde_json::Value) -> f64 {
    value.as_f64().expect("a number")
}

/// The gap between adjacent distinct values of a column around `value`: the data's resolution there.
fn resolution(column: &[f64], value: f64) -> f64 {
    let below = column.iter().copied().filter(|&x| x < value).fold(f64::NEG_INFINITY, f64::max);
    let above = column.iter().copied().filter(|&x| x > value).fold(f64::INFINITY, f64::min);
    let mut gap: f64 = 0.0;
    if below.is_finite() {
        gap = gap.max(value - below);
    }
    if above.is_finite() {
        gap = gap.max(above - value);
    }
    gap
}

fn assert_selected(found: &Discovery, columns: &[Vec<f64>], reference: &serde_json::Value) {
    let index = found.selected().expect("a box at or above the threshold");
    assert_eq!(index as u64, reference["selected_box_index"].as_u64().unwrap(), "selected box");
    let chosen = &found.trajectory[index];
    let stats = &reference["selected_stats"];
    for (name, ours) in [("coverage", chosen.coverage), ("density", chosen.density), ("mass", chosen.mass)] {
        let theirs = number(&stats[name]);
        assert!((ours - theirs).abs() <= 1e-3, "{name}: {ours} against EMA Workbench's {theirs}");
    }
    assert_eq!(chosen.restricted as f64, number(&stats["res_dim"]), "restricted inputs");
    for (input, name) in found.names().iter().enumerate() {
        let limits = &reference["selected_box_limits"][name.as_str()];
        for (ours, theirs) in
            [(chosen.limits[input].low, number(&limits[0])), (chosen.limits[input].high, number(&limits[1]))]
        {
            let tolerance = resolution(&columns[input], theirs);
            assert!(
                (ours - theirs).abs() <= tolerance,
                "{name}: limit {ours} against EMA Workbench's {theirs} (resolution {tolerance})"
            );
        }
    }
}

fn assert_quasi_p(found: &Discovery, reference: &serde_json::Value) {
    let index = found.selected().expect("selected box");
    let ours = found.quasi_p(index);
    let theirs = reference["quasi_p_values"].as_object().expect("quasi-p-values");
    assert_eq!(ours.len(), theirs.len(), "restricted inputs with quasi-p-values");
    for value in ours {
        let name = &found.names()[value.input];
        let pair = &theirs[name.as_str()];
        for (side, ours, theirs) in [("low", value.low, number(&pair[0])), ("high", value.high, number(&pair[1]))] {
            match ours {
                None => assert_eq!(theirs, -1.0, "{name} {side}: unrestricted here, restricted in EMA Workbench"),
                Some(ours) => {
                    assert!(theirs >= 0.0, "{name} {side}: restricted here, not in EMA Workbench");
                    let relative = (ours - theirs).abs() / theirs.max(f64::MIN_POSITIVE);
                    assert!(relative <= 1e-6, "{name} {side}: quasi-p {ours:e} against EMA Workbench's {theirs:e}");
                }
            }
        }
    }
}

#[test]
fn the_shared_reference_box_matches_ema_workbench() {
    let reference =
        json(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/gsa/out/prim_reference.json"));
    let (names, columns) = csv("lhs_d5_n2000_seed1.csv");
    let cases: Vec<bool> = (0..columns[0].len()).map(|row| columns[0][row] > 0.7 && columns[1][row] < 0.3).collect();
    assert_eq!(cases.iter().filter(|&&case| case).count() as u64, reference["n_cases_of_interest"].as_u64().unwrap());
    let inputs = Inputs::new(names, columns.clone()).expect("inputs");
    let found = discover(&inputs, &cases, &Options::default()).expect("discovery");

    assert_eq!(
        found.trajectory.len() as u64,
        reference["peeling_trajectory_len"].as_u64().unwrap(),
        "trajectory length"
    );
    for (part, boxes) in [
        ("trajectory_head", found.trajectory[..5].to_vec()),
        ("trajectory_tail", found.trajectory[found.trajectory.len() - 3..].to_vec()),
    ] {
        let table = &reference[part];
        for (row, stats) in boxes.iter().enumerate() {
            for (name, ours) in [("coverage", stats.coverage), ("density", stats.density), ("mass", stats.mass)] {
                let theirs = number(&table[name][row]);
                // The reference rounds these to four decimals.
                assert!((ours - theirs).abs() <= 0.6e-4, "{part} {row} {name}: {ours} against {theirs}");
            }
            assert_eq!(stats.restricted as f64, number(&table["res_dim"][row]), "{part} {row} restricted");
        }
    }
    assert_selected(&found, &columns, &reference);
    assert_quasi_p(&found, &reference);

    // EMA Workbench's extra-trees scores put x1 and x2 far above the three inputs that do not matter;
    // the Kolmogorov–Smirnov ranking must agree on that split (the two scores are close, so their
    // order may differ between the methods).
    let ranking = found.ranking();
    let mut top: Vec<&str> = ranking[..2].iter().map(|feature| found.names()[feature.input].as_str()).collect();
    top.sort_unstable();
    assert_eq!(top, ["x1", "x2"], "{ranking:?}");
    assert!(ranking[2].score < ranking[1].score / 3.0, "{ranking:?}");
}

#[test]
fn a_noisy_three_input_box_matches_ema_workbench() {
    let reference = json(fixture("ema_noisy_d6.json"));
    let (mut names, mut columns) = csv("noisy_d6_n3000.csv");
    let labels = columns.pop().expect("y column");
    names.pop();
    let cases: Vec<bool> = labels.iter().map(|&label| label == 1.0).collect();
    let inputs = Inputs::new(names, columns.clone()).expect("inputs");
    let found = discover(&inputs, &cases, &Options::default()).expect("discovery");

    let trajectory = &reference["trajectory"];
    let length = trajectory["coverage"].as_array().unwrap().len();
    assert_eq!(found.trajectory.len(), length, "trajectory length");
    for (row, stats) in found.trajectory.iter().enumerate() {
        for (name, ours) in [("coverage", stats.coverage), ("density", stats.density), ("mass", stats.mass)] {
            let theirs = number(&trajectory[name][row]);
            assert!((ours - theirs).abs() <= 1e-12, "box {row} {name}: {ours} against {theirs}");
        }
    }
    assert_selected(&found, &columns, &reference);
    assert_quasi_p(&found, &reference);
}

#[test]
fn the_same_inputs_give_the_same_trajectory() {
    let (names, columns) = csv("noisy_d6_n3000.csv");
    let cases: Vec<bool> = columns[6].iter().map(|&label| label == 1.0).collect();
    let inputs = Inputs::new(names[..6].to_vec(), columns[..6].to_vec()).expect("inputs");
    let first = discover(&inputs, &cases, &Options::default()).expect("discovery");
    let second = discover(&inputs, &cases, &Options::default()).expect("discovery");
    assert_eq!(first.trajectory, second.trajectory);
}
