//! The hypervolume indicator: the volume of objective space that a set of points dominates and
//! that a reference point bounds, every objective minimized.
//!
//! Exact for any number of objectives by hypervolume by slicing objectives (HSO, While et al.
//! 2006): the points are sorted on the last objective and each slab between consecutive values
//! contributes its thickness times the hypervolume of the points below it in one dimension
//! fewer. Two objectives are a sorted sweep (O(n log n)); three are slabs of two-dimensional
//! staircases kept sorted as points arrive (O(n²)); more objectives recurse, which grows fast
//! with the number of points (five objectives and a few hundred points take minutes), so
//! `hypervolume` estimates four or more objectives by counting which of a fixed set of sample
//! points the front dominates (`estimate`), and `exact_hypervolume` slices in any dimension.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// Sample points of the estimate for four or more objectives: its standard error is at most
/// 0.5 / sqrt(SAMPLES) of the sampled box's volume (0.35%).
const SAMPLES: usize = 20_000;

/// The hypervolume of `points` (each a slice of `reference.len()` objectives to minimize)
/// bounded by `reference`: exact for up to three objectives, estimated (deterministically, the
/// same sample every call) for more. Points that do not strictly dominate the reference
/// contribute nothing; NaN coordinates are skipped.
pub fn hypervolume(points: &[Vec<f64>], reference: &[f64]) -> f64 {
    let inside = inside(points, reference);
    if reference.len() <= 3 { volume(inside, reference) } else { estimate(&inside, reference) }
}

/// The exact hypervolume in any number of objectives, by slicing.
pub fn exact_hypervolume(points: &[Vec<f64>], reference: &[f64]) -> f64 {
    volume(inside(points, reference), reference)
}

fn inside<'a>(points: &'a [Vec<f64>], reference: &[f64]) -> Vec<&'a [f64]> {
    points
        .iter()
        .map(Vec::as_slice)
        .filter(|point| {
            point.len() == reference.len() && point.iter().zip(reference).all(|(value, bound)| value < bound)
        })
        .collect()
}

/// The share of `SAMPLES` points, uniform in the box from the points' smallest values to the
/// reference, that some point dominates, times the box's volume. The sample comes from a fixed
/// seed, so the same front always gives the same number.
///
/// The sample is drawn on the calling thread; the samples the points dominate are counted in
/// chunks on the current rayon pool and the whole-number counts added, so the result is the same
/// for any number of threads. Up to `MOST_BITSET_POINTS` points a sample is tested by bitsets of
/// the points no worse in each objective ([`Prefixes`]); past that, it is compared with the
/// points whose first objective is no larger than its own (the points are sorted on it), the
/// only ones that can dominate it.
fn estimate(points: &[&[f64]], reference: &[f64]) -> f64 {
    if points.is_empty() {
        return 0.0;
    }
    let dimensions = reference.len();
    let low: Vec<f64> =
        (0..dimensions).map(|axis| points.iter().map(|point| point[axis]).fold(f64::INFINITY, f64::min)).collect();
    let size: f64 = low.iter().zip(reference).map(|(low, high)| high - low).product();
    let mut random = ChaCha8Rng::seed_from_u64(0x5eed_4f0e);
    let mut samples = vec![0.0; SAMPLES * dimensions];
    for sample in samples.chunks_exact_mut(dimensions) {
        for (axis, value) in sample.iter_mut().enumerate() {
            *value = low[axis] + random.random::<f64>() * (reference[axis] - low[axis]);
        }
    }
    let dominated: usize = if points.len() <= MOST_BITSET_POINTS {
        let prefixes = Prefixes::new(points);
        samples.par_chunks(CHUNK * dimensions).map(|chunk| prefixes.count(chunk)).sum()
    } else {
        let mut sorted = points.to_vec();
        sorted.sort_by(|a, b| a[0].total_cmp(&b[0]));
        let firsts: Vec<f64> = sorted.iter().map(|point| point[0]).collect();
        // The other objectives of the sorted points, one point after another.
        let rests: Vec<f64> = sorted.iter().flat_map(|point| point[1..].iter().copied()).collect();
        let rest = dimensions - 1;
        samples
            .par_chunks(CHUNK * dimensions)
            .map(|chunk| {
                chunk
                    .chunks_exact(dimensions)
                    .filter(|sample| {
                        let candidates = firsts.partition_point(|first| *first <= sample[0]);
                        rests[..candidates * rest]
                            .chunks_exact(rest)
                            .any(|point| point.iter().zip(&sample[1..]).all(|(p, x)| p <= x))
                    })
                    .count()
            })
            .sum()
    };
    size * dominated as f64 / SAMPLES as f64
}

/// Samples counted together by one task of the estimate.
const CHUNK: usize = 500;

/// Up to this many points the estimate uses [`Prefixes`] (whose bits grow as the square of the
/// points: 2 MiB an objective here); past it, each sample scans the points that can dominate it.
const MOST_BITSET_POINTS: usize = 4096;

/// For each objective, the points sorted on it and, for every `j`, the set of the `j` smallest
/// as a bitset: the points no worse than a sample in an objective are one such prefix (found by
/// binary search), and the sample is dominated exactly when the prefixes of all objectives share
/// a point.
struct Prefixes {
    /// Per objective, its values in increasing order.
    sorted: Vec<Vec<f64>>,
    /// Per objective, `words` words for each prefix length from 1 to the number of points.
    bits: Vec<Vec<u64>>,
    words: usize,
}

impl Prefixes {
    fn new(points: &[&[f64]]) -> Prefixes {
        let dimensions = points.first().map_or(0, |point| point.len());
        let words = points.len().div_ceil(64);
        let mut sorted = Vec::with_capacity(dimensions);
        let mut bits = Vec::with_capacity(dimensions);
        for axis in 0..dimensions {
            let mut order: Vec<usize> = (0..points.len()).collect();
            order.sort_by(|&a, &b| points[a][axis].total_cmp(&points[b][axis]));
            sorted.push(order.iter().map(|&index| points[index][axis]).collect());
            let mut prefixes = vec![0u64; points.len() * words];
            let mut current = vec![0u64; words];
            for (length, &index) in order.iter().enumerate() {
                current[index / 64] |= 1u64 << (index % 64);
                prefixes[length * words..(length + 1) * words].copy_from_slice(&current);
            }
            bits.push(prefixes);
        }
        Prefixes { sorted, bits, words }
    }

    /// How many of the samples (one after another) some point dominates.
    fn count(&self, samples: &[f64]) -> usize {
        let dimensions = self.sorted.len();
        let mut rows = vec![0usize; dimensions];
        samples
            .chunks_exact(dimensions)
            .filter(|sample| {
                for (axis, row) in rows.iter_mut().enumerate() {
                    let length = self.sorted[axis].partition_point(|value| *value <= sample[axis]);
                    if length == 0 {
                        return false;
                    }
                    *row = (length - 1) * self.words;
                }
                (0..self.words).any(|word| {
                    rows.iter().zip(&self.bits).fold(u64::MAX, |shared, (row, bits)| shared & bits[row + word]) != 0
                })
            })
            .count()
    }
}

fn volume(mut points: Vec<&[f64]>, reference: &[f64]) -> f64 {
    let dimensions = reference.len();
    if points.is_empty() || dimensions == 0 {
        return 0.0;
    }
    match dimensions {
        1 => reference[0] - points.iter().map(|point| point[0]).fold(f64::INFINITY, f64::min),
        2 => {
            let mut pairs: Vec<(f64, f64)> = points.iter().map(|point| (point[0], point[1])).collect();
            area(&mut pairs, reference[0], reference[1])
        }
        3 => {
            // Slabs along the third objective; the staircase of the first two grows point by
            // point and keeps its area up to date.
            points.sort_by(|a, b| a[2].total_cmp(&b[2]));
            let mut staircase =
                Staircase { pairs: Vec::with_capacity(points.len()), area: 0.0, bound: (reference[0], reference[1]) };
            let mut total = 0.0;
            for (index, point) in points.iter().enumerate() {
                staircase.insert((point[0], point[1]));
                let top = points.get(index + 1).map_or(reference[2], |next| next[2]);
                if top > point[2] {
                    total += staircase.area * (top - point[2]);
                }
            }
            total
        }
        _ => {
            let last = dimensions - 1;
            points.sort_by(|a, b| a[last].total_cmp(&b[last]));
            let mut total = 0.0;
            for index in 0..points.len() {
                let top = points.get(index + 1).map_or(reference[last], |next| next[last]);
                let bottom = points[index][last];
                if top > bottom {
                    let below: Vec<&[f64]> = points[..=index].iter().map(|point| &point[..last]).collect();
                    total += volume(below, &reference[..last]) * (top - bottom);
                }
            }
            total
        }
    }
}

/// The area two-dimensional points dominate up to `(x_bound, y_bound)`.
fn area(pairs: &mut [(f64, f64)], x_bound: f64, y_bound: f64) -> f64 {
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut total = 0.0;
    let mut lowest = y_bound;
    for index in 0..pairs.len() {
        let (x, y) = pairs[index];
        if y < lowest {
            lowest = y;
        }
        let next_x = pairs.get(index + 1).map_or(x_bound, |next| next.0);
        total += (next_x - x) * (y_bound - lowest);
    }
    total
}

/// Non-dominated pairs sorted by ascending x (so descending y) and the area they dominate up to
/// `bound`.
struct Staircase {
    pairs: Vec<(f64, f64)>,
    area: f64,
    bound: (f64, f64),
}

impl Staircase {
    /// The area pair `index` adds: from its x to the next pair's, from its y to the bound.
    fn strip(&self, index: usize) -> f64 {
        let (x, y) = self.pairs[index];
        let next_x = self.pairs.get(index + 1).map_or(self.bound.0, |next| next.0);
        (next_x - x) * (self.bound.1 - y)
    }

    /// Adds a point, dropping the pairs it dominates; only the strips of the pairs it touches
    /// change.
    fn insert(&mut self, point: (f64, f64)) {
        let pairs = &self.pairs;
        let position = pairs.partition_point(|pair| pair.0 < point.0 || (pair.0 == point.0 && pair.1 <= point.1));
        // A pair at or left of the point with y at or below it dominates the point.
        if position > 0 && pairs[position - 1].1 <= point.1 {
            return;
        }
        let end = position + pairs[position..].iter().take_while(|pair| pair.1 >= point.1).count();
        let first_touched = position.saturating_sub(1);
        let before: f64 = (first_touched..end).map(|index| self.strip(index)).sum();
        self.pairs.splice(position..end, std::iter::once(point));
        let after: f64 = (first_touched..=position).map(|index| self.strip(index)).sum();
        self.area += after - before;
    }
}

#[cfg(test)]
mod tests {
    use super::{SAMPLES, exact_hypervolume, hypervolume};
    use approx::assert_relative_eq;
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn one_point_is_a_box() {
        assert_relative_eq!(hypervolume(&[vec![0.5, 0.25]], &[1.0, 1.0]), 0.375);
        assert_relative_eq!(hypervolume(&[vec![0.5, 0.5, 0.5]], &[1.0, 1.0, 1.0]), 0.125);
        assert_relative_eq!(hypervolume(&[vec![0.5, 0.5, 0.5, 0.5]], &[1.0, 1.0, 1.0, 1.0]), 0.0625);
    }

    #[test]
    fn two_dimensional_staircase_counts_overlap_once() {
        let points = vec![vec![0.0, 1.0], vec![1.0, 0.0], vec![0.5, 0.5], vec![0.6, 0.6]];
        // Reference (2, 2), column by column: x in [0, 0.5) dominates y ≥ 1, [0.5, 1) y ≥ 0.5 and
        // [1, 2) all of y; (0.6, 0.6) lies inside and adds nothing.
        assert_relative_eq!(hypervolume(&points, &[2.0, 2.0]), 0.5 * 1.0 + 0.5 * 1.5 + 1.0 * 2.0);
    }

    #[test]
    fn slicing_agrees_with_monte_carlo_style_grid_count_in_three_and_four_dimensions() {
        // Count the cells of a fine grid that some point dominates, against the exact volume.
        let points3 = vec![vec![0.1, 0.6, 0.3], vec![0.5, 0.2, 0.4], vec![0.3, 0.3, 0.8], vec![0.7, 0.7, 0.1]];
        let points4: Vec<Vec<f64>> =
            points3.iter().enumerate().map(|(i, p)| [p.clone(), vec![0.2 * i as f64]].concat()).collect();
        for points in [points3, points4] {
            let dimensions = points[0].len();
            let cells = 20usize;
            let mut dominated = 0usize;
            let total = cells.pow(dimensions as u32);
            for cell in 0..total {
                let mut rest = cell;
                let centre: Vec<f64> = (0..dimensions)
                    .map(|_| {
                        let coordinate = rest % cells;
                        rest /= cells;
                        (coordinate as f64 + 0.5) / cells as f64
                    })
                    .collect();
                if points.iter().any(|point| point.iter().zip(&centre).all(|(p, c)| p <= c)) {
                    dominated += 1;
                }
            }
            let grid = dominated as f64 / total as f64;
            let exact = exact_hypervolume(&points, &vec![1.0; dimensions]);
            // Every coordinate is a multiple of 0.05, so cell centres never sit on a boundary.
            assert_relative_eq!(exact, grid, epsilon = 1e-12);
        }
    }

    #[test]
    fn four_or_more_objectives_are_estimated_within_their_sampling_error() {
        let mut random = ChaCha8Rng::seed_from_u64(7);
        for dimensions in [4, 5] {
            let points: Vec<Vec<f64>> =
                (0..40).map(|_| (0..dimensions).map(|_| 0.2 + 0.8 * random.random::<f64>()).collect()).collect();
            let reference = vec![1.1; dimensions];
            let exact = exact_hypervolume(&points, &reference);
            let estimated = hypervolume(&points, &reference);
            // Four standard errors of the share, at most 0.5/sqrt(20,000) each, of the sampled box.
            let low: Vec<f64> = (0..dimensions)
                .map(|axis| points.iter().map(|point| point[axis]).fold(f64::INFINITY, f64::min))
                .collect();
            let size: f64 = low.iter().map(|low| 1.1 - low).product();
            assert!(
                (estimated - exact).abs() < 4.0 * 0.5 / (SAMPLES as f64).sqrt() * size,
                "{dimensions}: {estimated} against {exact}"
            );
            assert_eq!(estimated, hypervolume(&points, &reference), "the same sample every call");
        }
    }

    #[test]
    fn the_estimate_counts_what_scanning_every_point_counts_on_any_number_of_threads() {
        // The estimate as first written: every sample against every point, on one thread.
        let scanned = |points: &[Vec<f64>], reference: &[f64]| {
            let low: Vec<f64> = (0..reference.len())
                .map(|axis| points.iter().map(|point| point[axis]).fold(f64::INFINITY, f64::min))
                .collect();
            let size: f64 = low.iter().zip(reference).map(|(low, high)| high - low).product();
            let mut random = ChaCha8Rng::seed_from_u64(0x5eed_4f0e);
            let mut sample = vec![0.0; reference.len()];
            let mut dominated = 0usize;
            for _ in 0..SAMPLES {
                for (axis, value) in sample.iter_mut().enumerate() {
                    *value = low[axis] + random.random::<f64>() * (reference[axis] - low[axis]);
                }
                if points.iter().any(|point| point.iter().zip(&sample).all(|(p, x)| p <= x)) {
                    dominated += 1;
                }
            }
            size * dominated as f64 / SAMPLES as f64
        };
        let mut random = ChaCha8Rng::seed_from_u64(11);
        // The last case has more points than the bitsets take: each sample scans them instead.
        for (dimensions, count) in [(4, 3), (5, 200), (6, 60), (4, super::MOST_BITSET_POINTS + 100)] {
            // Points near a sphere's octant, rounded so that coordinates tie, and one corner.
            let mut points: Vec<Vec<f64>> = (0..count)
                .map(|_| {
                    let raw: Vec<f64> = (0..dimensions).map(|_| random.random::<f64>()).collect();
                    let norm = raw.iter().map(|x| x * x).sum::<f64>().sqrt();
                    raw.iter().map(|x| (x / norm * 20.0).round() / 20.0).collect()
                })
                .collect();
            let mut corner = vec![0.0; dimensions];
            corner[0] = 1.0;
            points.push(corner);
            let reference = vec![1.1; dimensions];
            let expected = scanned(&points, &reference);
            for threads in [1, 2, 3] {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a pool");
                let estimated = pool.install(|| hypervolume(&points, &reference));
                assert_eq!(estimated.to_bits(), expected.to_bits(), "{dimensions} objectives, {threads} threads");
            }
        }
    }

    #[test]
    fn points_outside_the_reference_add_nothing() {
        assert_eq!(hypervolume(&[vec![1.5, 0.0], vec![0.0, 1.0]], &[1.0, 1.0]), 0.0);
        assert_eq!(hypervolume(&[], &[1.0, 1.0]), 0.0);
    }
}
