//! Scrambled Sobol points, from Joe and Kuo's direction numbers (`new-joe-kuo-6.21201`, the
//! first 1,024 dimensions; their licence is in `data/LICENSE-joe-kuo`) with Owen scrambling.
//!
//! No crate on the registry fits: the maintained ones stop at 256 dimensions or do not scramble.
//! The scramble is the hash-based nested uniform scramble of Burley ("Practical Hash-based Owen
//! Scrambling", 2020): each digit is flipped by a function of the digits above it, which is
//! Owen's construction with a hash in place of a stored random tree. Point `i` is a pure
//! function of (dimension, seed, i).

use std::sync::OnceLock;

use crate::permutation::mix;

/// Joe and Kuo's table: a header line, then `d s a m_1 ... m_s` for dimensions 2 to 1024.
const TABLE: &str = include_str!("../data/new-joe-kuo-6.21201.first1024");

/// Bits per coordinate: up to 2^32 distinct points per dimension.
const BITS: usize = 32;

/// How many dimensions the table gives (the first is implicit).
pub const MAX_DIMENSIONS: usize = 1024;

/// How many distinct points a dimension has: indices use `BITS` bits.
pub const MAX_POINTS: u64 = 1 << BITS;

/// Direction numbers, `BITS` per dimension.
fn directions() -> &'static [[u32; BITS]] {
    static DIRECTIONS: OnceLock<Vec<[u32; BITS]>> = OnceLock::new();
    DIRECTIONS.get_or_init(|| {
        let mut all = Vec::with_capacity(MAX_DIMENSIONS);
        // Dimension 1 is the van der Corput sequence in base 2.
        all.push(std::array::from_fn(|k| 1u32 << (BITS - 1 - k)));
        for line in TABLE.lines().skip(1) {
            let numbers: Vec<u32> = line.split_whitespace().filter_map(|n| n.parse().ok()).collect();
            let [_, degree, coefficients, ..] = numbers[..] else { continue };
            let degree = degree as usize;
            let initial = &numbers[3..];
            let mut v = [0u32; BITS];
            for k in 0..BITS {
                v[k] = if k < degree {
                    initial.get(k).copied().unwrap_or(1) << (BITS - 1 - k)
                } else {
                    let mut value = v[k - degree] ^ (v[k - degree] >> degree);
                    for j in 1..degree {
                        if (coefficients >> (degree - 1 - j)) & 1 == 1 {
                            value ^= v[k - j];
                        }
                    }
                    value
                };
            }
            all.push(v);
        }
        all
    })
}

/// The `index`-th point of dimension `dimension` (0-based), unscrambled, as 32 bits. Points are
/// in Gray-code order, as the usual generators give them.
pub fn point_bits(dimension: usize, index: u64) -> u32 {
    let directions = &directions()[dimension];
    let gray = index ^ (index >> 1);
    let mut value = 0u32;
    for (bit, direction) in directions.iter().enumerate() {
        if (gray >> bit) & 1 == 1 {
            value ^= direction;
        }
    }
    value
}

/// The `index`-th point of a dimension, Owen-scrambled with `seed`, in [0, 1).
pub fn scrambled_point(dimension: usize, index: u64, seed: u64) -> f64 {
    let key = mix(seed ^ mix(dimension as u64 + 1)) as u32;
    let scrambled = nested_uniform_scramble(point_bits(dimension, index), key);
    (f64::from(scrambled) + 0.5) / 4_294_967_296.0
}

/// Burley's hash-based Owen scramble: in bit-reversed order a multiply by an even number only
/// carries upward, so each digit changes as a function of the digits above it.
fn nested_uniform_scramble(x: u32, seed: u32) -> u32 {
    laine_karras(x.reverse_bits(), seed).reverse_bits()
}

fn laine_karras(mut x: u32, seed: u32) -> u32 {
    x = x.wrapping_add(seed);
    x ^= x.wrapping_mul(0x6c50_b47c);
    x ^= x.wrapping_mul(0xb82f_1e52);
    x ^= x.wrapping_mul(0xc7af_e638);
    x ^= x.wrapping_mul(0x8d22_f6e6);
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_gives_a_thousand_and_twenty_four_dimensions() {
        assert_eq!(directions().len(), MAX_DIMENSIONS);
    }

    #[test]
    fn the_first_points_match_the_published_sequence() {
        // Dimensions 1 to 3 of the Joe-Kuo sequence, points 1 to 4 (Gray-code order).
        let unit = |d: usize, i: u64| f64::from(point_bits(d, i)) / 4_294_967_296.0;
        let first: Vec<[f64; 3]> = (1..5).map(|i| [unit(0, i), unit(1, i), unit(2, i)]).collect();
        assert_eq!(first, [[0.5, 0.5, 0.5], [0.75, 0.25, 0.25], [0.25, 0.75, 0.75], [0.375, 0.375, 0.625]]);
    }

    #[test]
    fn every_block_of_a_power_of_two_is_stratified_in_every_dimension() {
        // The first 2^m points put exactly one point in each interval [k/2^m, (k+1)/2^m), in
        // every dimension, scrambled or not.
        for dimension in [0, 1, 7, 100, 1023] {
            for seed in [0, 12345] {
                let mut seen = [false; 256];
                for index in 0..256 {
                    let u = scrambled_point(dimension, index, seed);
                    let cell = (u * 256.0) as usize;
                    assert!(!std::mem::replace(&mut seen[cell], true), "dimension {dimension}");
                }
            }
        }
    }

    #[test]
    fn pairs_of_dimensions_are_stratified_in_elementary_intervals() {
        // The first two dimensions form a (0, 2)-sequence: 2^8 points put exactly one point in
        // each of the 16 x 16 elementary intervals, scrambled or not. Pairs of later
        // dimensions are balanced less perfectly (their t is above 0), but far better than
        // random points, which would put five or more in some cell.
        for (a, b, most) in [(0, 1, 1), (3, 9, 4), (500, 1000, 4)] {
            for seed in [0, 9] {
                let mut counts = [0u32; 256];
                for index in 0..256 {
                    let (u, v) = (scrambled_point(a, index, seed), scrambled_point(b, index, seed));
                    counts[(u * 16.0) as usize * 16 + (v * 16.0) as usize] += 1;
                }
                let worst = counts.iter().max().copied().unwrap_or(0);
                assert!(worst <= most, "dimensions {a}, {b}: {worst} points in one cell");
            }
        }
    }

    #[test]
    fn seeds_scramble_differently() {
        assert_ne!(scrambled_point(3, 5, 1), scrambled_point(3, 5, 2));
    }
}
