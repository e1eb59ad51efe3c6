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
