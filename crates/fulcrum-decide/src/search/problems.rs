//! Standard test problems with known Pareto fronts, every objective minimized: ZDT1, ZDT2 and
//! ZDT3 (Zitzler, Deb and Thiele 2000; two objectives, variables in [0, 1]) and DTLZ2 (Deb,
//! Thiele, Laumanns and Zitzler 2002; here with three objectives), with the hypervolume of each
//! true front for a reference point.

use std::f64::consts::PI;

use super::hypervolume::hypervolume;

/// The `g` function the ZDT problems share: 1 on the front, larger away from it.
fn zdt_g(genes: &[f64]) -> f64 {
    let rest = &genes[1.min(genes.len())..];
    1.0 + 9.0 * rest.iter().sum::<f64>() / rest.len().max(1) as f64
}

/// ZDT1: a convex front `f2 = 1 − √f1`.
pub fn zdt1(genes: &[f64]) -> Vec<f64> {
    let f1 = genes.first().copied().unwrap_or(0.0);
    let g = zdt_g(genes);
    vec![f1, g * (1.0 - (f1 / g).sqrt())]
}

/// ZDT2: a concave front `f2 = 1 − f1²`.
pub fn zdt2(genes: &[f64]) -> Vec<f64> {
    let f1 = genes.first().copied().unwrap_or(0.0);
    let g = zdt_g(genes);
    vec![f1, g * (1.0 - (f1 / g).powi(2))]
}

/// ZDT3: a front in five disconnected pieces, `f2 = 1 − √f1 − f1 sin(10π f1)` where no other
/// point of that curve dominates.
pub fn zdt3(genes: &[f64]) -> Vec<f64> {
    let f1 = genes.first().copied().unwrap_or(0.0);
    let g = zdt_g(genes);
    vec![f1, g * (1.0 - (f1 / g).sqrt() - f1 / g * (10.0 * PI * f1).sin())]
}

/// DTLZ2 with `objectives` objectives: the front is the part of the unit sphere in the
/// positive orthant. The last `genes.len() − objectives + 1` variables are at 0.5 on the front.
pub fn dtlz2(genes: &[f64], objectives: usize) -> Vec<f64> {
    let position = objectives.saturating_sub(1).min(genes.len());
    let g: f64 = genes[position..].iter().map(|x| (x - 0.5).powi(2)).sum();
    (0..objectives)
        .map(|objective| {
            let mut value = 1.0 + g;
            let cosines = objectives - 1 - objective;
            for gene in genes.iter().take(cosines) {
                value *= (gene * PI / 2.0).cos();
            }
            if objective > 0
                && let Some(gene) = genes.get(cosines)
            {
                value *= (gene * PI / 2.0).sin();
            }
            value
        })
        .collect()
}

/// ZDT1's true-front hypervolume for the reference `(r, r)` with `r ≥ 1`, in closed form:
/// the area under `r − (1 − √x)` on [0, 1] plus the strip `(r − 1) × r`.
pub fn zdt1_front_hypervolume(r: f64) -> f64 {
    (r - 1.0) + 2.0 / 3.0 + (r - 1.0) * r
}

/// ZDT2's true-front hypervolume for the reference `(r, r)` with `r ≥ 1`, in closed form.
pub fn zdt2_front_hypervolume(r: f64) -> f64 {
    (r - 1.0) + 1.0 / 3.0 + (r - 1.0) * r
}

/// ZDT3's true-front hypervolume for `reference`, from `samples` points of the front curve
/// evenly spaced in `f1` (the non-dominated ones). A sample dominates a little less than the
/// curve, so this is a lower bound that tightens as `samples` grows.
pub fn zdt3_front_hypervolume(reference: &[f64], samples: usize) -> f64 {
    let points: Vec<Vec<f64>> = (0..samples)
        .map(|index| {
            let f1 = index as f64 / (samples - 1).max(1) as f64;
            vec![f1, 1.0 - f1.sqrt() - f1 * (10.0 * PI * f1).sin()]
        })
        .collect();
    hypervolume(&points, reference)
}

/// DTLZ2's true-front hypervolume for three objectives and the reference `(r, r, r)` with
/// `r ≥ 1`, in closed form: the cube less the eighth of the unit ball.
pub fn dtlz2_front_hypervolume(r: f64) -> f64 {
    r.powi(3) - PI / 6.0
}
