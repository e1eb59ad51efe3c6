use super::{quantile, significant};

#[test]
fn quantile_cuts_between_distinct_values() {
    let mut values = vec![5.0, 1.0, 2.0, 3.0, 4.0];
    // (5 - 1) * 0.95 = 3.8: between the fourth and fifth sorted values.
    assert_eq!(quantile(&mut values, 0.95), 4.5);
    assert_eq!(quantile(&mut values, 0.05), 1.5);
    // Ties move the cut outwards to the next distinct value.
    let mut tied = vec![1.0, 2.0, 2.0, 2.0, 2.0];
    assert_eq!(quantile(&mut tied, 0.95), 1.5);
}

#[test]
fn limits_read_to_three_significant_digits() {
    assert_eq!(significant(0.711_476_9), "0.711");
    assert_eq!(significant(5234.7), "5230");
    assert_eq!(significant(12.5), "12.5");
    assert_eq!(significant(-0.000_123_45), "-0.000123");
    assert_eq!(significant(3.0), "3");
}

use super::{Inputs, Options, PrimError, discover};

fn two_inputs() -> Inputs {
    let x: Vec<f64> = (0..100).map(|i| f64::from(i) / 100.0).collect();
    let y: Vec<f64> = (0..100).map(|i| f64::from((i * 37) % 100) / 100.0).collect();
    Inputs::new(vec!["x".into(), "y".into()], vec![x, y]).unwrap()
}

#[test]
fn bad_inputs_are_named() {
    let error = Inputs::new(vec!["x".into()], vec![vec![1.0, f64::NAN]]).unwrap_err();
    assert!(
        matches!(&error, PrimError::NotFinite { name, row: 1, value } if name == "x" && value.is_nan()),
        "{error:?}"
    );
    let error = Inputs::new(vec!["x".into(), "x".into()], vec![vec![1.0], vec![2.0]]).unwrap_err();
    assert_eq!(error, PrimError::DuplicateInput { name: "x".into() });
    let error = Inputs::new(vec!["x".into(), "y".into()], vec![vec![1.0, 2.0], vec![2.0]]).unwrap_err();
    assert!(matches!(error, PrimError::Length { len: 1, expected: 2, .. }), "{error:?}");

    let inputs = two_inputs();
    let none = vec![false; 100];
    assert_eq!(discover(&inputs, &none, &Options::default()).unwrap_err(), PrimError::NoCases { rows: 100 });
    let all = vec![true; 100];
    assert_eq!(discover(&inputs, &all, &Options::default()).unwrap_err(), PrimError::AllCases { rows: 100 });
    let options = Options { mass_min: 1.5, ..Options::default() };
    let error = discover(&inputs, &none, &options).unwrap_err();
    assert!(matches!(error, PrimError::Option { name: "mass_min", .. }), "{error:?}");
}

#[test]
fn density_rises_along_the_trajectory_and_the_box_holds_the_cases() {
    let inputs = two_inputs();
    let cases: Vec<bool> = (0..100).map(|row| inputs.column(0)[row] >= 0.8).collect();
    let found = discover(&inputs, &cases, &Options::default()).unwrap();
    for pair in found.trajectory.windows(2) {
        assert!(pair[1].density > pair[0].density, "{pair:?}");
    }
    let chosen = found.selected().unwrap();
    assert_eq!(chosen, found.trajectory.len() - 1);
    let stats = &found.trajectory[chosen];
    // Peels cut whole slices, so the last one may cut off a case at the edge.
    assert_eq!(stats.density, 1.0);
    assert!(stats.coverage >= 0.9, "{stats:?}");
    assert_eq!(stats.restricted, 1, "{stats:?}");
    let low = stats.limits[0].low;
    assert!((0.79..=0.82).contains(&low), "{stats:?}");
    assert_eq!(found.restrictions(chosen), [format!("x > {}", super::significant(low))]);
}
