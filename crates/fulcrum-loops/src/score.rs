//! The arithmetic of Loops That Matter on plain numbers: link scores, loop scores, relative loop
//! scores. Every function here takes the values a run produced and nothing else.
//!
//! Scores at time `t` measure the interval from `t - dt` to `t`. For a link `x → z` where `z` is
//! computed from `x` and other inputs, the partial change of `z` due to `x` is the change of `z`
//! less what it would have been had `x` not changed: `Δx z = z(t) − f(x(t − dt), others(t))`
//! (the partial taken with the other inputs at their new values, the convention that matches
//! Stella's exported scores). A flow's link to its stock compares the flow's change with the
//! change of the stock's net flow (Schoenberg, Hayward & Eberlein 2023): the flow's share of the
//! stock's acceleration.

/// The score of a link `x → z` between computed variables (an auxiliary, a flow, or a stock
/// read by one of them): `|Δx z / Δz| · sign(Δx z / Δx)`, and 0 when `x` or `z` did not change.
///
/// `partial` is `Δx z`: `z`'s equation evaluated with every input at its current value, less
/// the same with `x` at its previous value.
pub fn link_score(change_x: f64, change_z: f64, partial: f64) -> f64 {
    if change_x == 0.0 || change_z == 0.0 {
        return 0.0;
    }
    if partial == 0.0 {
        return 0.0;
    }
    (partial / change_z).abs() * (partial / change_x).signum()
}

/// The score of a flow's link to a stock: `± |Δflow / Δnet|`, `+` for an inflow and `-` for an
/// outflow, where `net` is the stock's net flow (inflows less outflows). 0 when the flow did not
/// change; infinite when it did and the net flow did not (an inflection, where dominance shifts).
pub fn flow_to_stock_score(flow_before: f64, flow_now: f64, net_before: f64, net_now: f64, inflow: bool) -> f64 {
    let change_flow = flow_now - flow_before;
    if change_flow == 0.0 {
        return 0.0;
    }
    let magnitude = (change_flow / (net_now - net_before)).abs();
    if inflow { magnitude } else { -magnitude }
}

/// A loop's score: the product of its links' scores; 0 when a link is inactive (scores 0), even
/// if another link's score is infinite.
pub fn loop_score(link_scores: impl IntoIterator<Item = f64>) -> f64 {
    let mut product = 1.0;
    for score in link_scores {
        if score == 0.0 {
            return 0.0;
        }
        product *= score;
    }
    product
}

/// Each loop's score divided by the sum of the magnitudes of all the loops' scores: the share of
/// the behaviour each loop explains, in [-1, 1], signed by its polarity. All 0 when no loop is
/// active. When some scores are infinite (an inflection), those loops share the behaviour equally
/// and the finite ones get 0; NaN scores count as 0.
pub fn relative_scores(loop_scores: &[f64]) -> Vec<f64> {
    let infinite = loop_scores.iter().filter(|score| score.is_infinite()).count();
    if infinite > 0 {
        let share = 1.0 / infinite as f64;
        return loop_scores
            .iter()
            .map(|score| if score.is_infinite() { share.copysign(*score) } else { 0.0 })
            .collect();
    }
    let total: f64 = loop_scores.iter().filter(|score| !score.is_nan()).map(|score| score.abs()).sum();
    if total == 0.0 {
        return vec![0.0; loop_scores.len()];
    }
    loop_scores.iter().map(|score| if score.is_nan() { 0.0 } else { score / total }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    #[test]
    fn a_link_score_is_the_share_of_the_change() {
        // z = x + y: x rose by 1, y by 3, z by 4: x explains a quarter, positively.
        assert_relative_eq!(link_score(1.0, 4.0, 1.0), 0.25);
        // z = 10 - x: x rose by 2, z fell by 2: all of it, negatively.
        assert_relative_eq!(link_score(2.0, -2.0, -2.0), -1.0);
        // Nothing moved.
        assert_eq!(link_score(0.0, 1.0, 0.0), 0.0);
        assert_eq!(link_score(1.0, 0.0, 0.0), 0.0);
    }

    #[test]
    fn a_flow_explains_its_share_of_the_stock_acceleration() {
        // Inflow rose by 2, outflow by 1: net rose by 1.
        assert_relative_eq!(flow_to_stock_score(5.0, 7.0, 2.0, 3.0, true), 2.0);
        assert_relative_eq!(flow_to_stock_score(3.0, 4.0, 2.0, 3.0, false), -1.0);
        assert!(flow_to_stock_score(3.0, 4.0, 2.0, 2.0, true).is_infinite());
        assert_eq!(flow_to_stock_score(3.0, 3.0, 2.0, 2.0, true), 0.0);
    }

    #[test]
    fn an_inactive_link_silences_its_loop() {
        assert_eq!(loop_score([2.0, -0.5, 3.0]), -3.0);
        assert_eq!(loop_score([f64::INFINITY, 0.0]), 0.0);
        assert_eq!(loop_score([0.0, f64::INFINITY]), 0.0);
    }

    #[test]
    fn infinite_scores_share_the_behaviour() {
        assert_eq!(relative_scores(&[f64::INFINITY, 3.0, f64::NEG_INFINITY]), [0.5, 0.0, -0.5]);
        assert_eq!(relative_scores(&[0.0, 0.0]), [0.0, 0.0]);
    }

    proptest! {
        #[test]
        fn relative_scores_are_shares_that_sum_to_one(scores in proptest::collection::vec(-1e6f64..1e6, 1..12)) {
            let relative = relative_scores(&scores);
            let total: f64 = relative.iter().map(|r| r.abs()).sum();
            if scores.iter().any(|s| *s != 0.0) {
                prop_assert!((total - 1.0).abs() < 1e-9, "{total}");
            }
            for (r, s) in relative.iter().zip(&scores) {
                prop_assert!((-1.0..=1.0).contains(r));
                prop_assert!(*r == 0.0 || r.signum() == s.signum());
            }
        }

        #[test]
        fn a_chain_of_links_scores_as_one_link(a in 0.1f64..10.0, b in 0.1f64..10.0, x0 in 0.5f64..5.0, dx in 0.01f64..1.0) {
            // u = a·x, z = b·u: the path x → u → z scores as the link of z = a·b·x.
            let x1 = x0 + dx;
            let (u0, u1) = (a * x0, a * x1);
            let (z0, z1) = (b * u0, b * u1);
            let path = link_score(x1 - x0, u1 - u0, u1 - a * x0) * link_score(u1 - u0, z1 - z0, z1 - b * u0);
            let direct = link_score(x1 - x0, z1 - z0, z1 - a * b * x0);
            prop_assert!((path - direct).abs() < 1e-9);
        }
    }
}
