use super::quantile;

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
