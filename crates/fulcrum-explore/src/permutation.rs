//! Keyed random permutations of `0..n` that can be evaluated at any index on its own: a Feistel
//! network over the smallest even number of bits that covers `n`, with cycle-walking for the
//! values past `n`. Latin hypercube rows use them, so that row `i` is a pure function of the
//! design, the seed and `i`, in constant memory, however many rows there are.

/// A permutation of `0..size`.
#[derive(Clone, Copy, Debug)]
pub struct Permutation {
    size: u64,
    half_bits: u32,
    key: u64,
}

/// Rounds of the Feistel network; four make a well-mixed permutation.
const ROUNDS: u64 = 4;

impl Permutation {
    /// The permutation of `0..size` chosen by `key`.
    pub fn new(size: u64, key: u64) -> Permutation {
        let bits = 64 - size.saturating_sub(1).leading_zeros();
        let half_bits = bits.div_ceil(2).max(1);
        Permutation { size, half_bits, key }
    }

    /// Where `index` goes.
    pub fn apply(&self, index: u64) -> u64 {
        debug_assert!(index < self.size);
        let mut value = index;
        // Walking the cycle: values past `size` are sent through again. The domain is less
        // than four times `size`, so this ends after a few rounds on average.
        loop {
            value = self.feistel(value);
            if value < self.size {
                return value;
            }
        }
    }

    fn feistel(&self, value: u64) -> u64 {
        let mask = (1u64 << self.half_bits) - 1;
        let (mut left, mut right) = (value >> self.half_bits, value & mask);
        for round in 0..ROUNDS {
            let mixed = mix(self.key ^ mix(round.wrapping_add(1) ^ (right << 8)));
            let next = left ^ (mixed & mask);
            left = right;
            right = next;
        }
        (left << self.half_bits) | right
    }
}

/// SplitMix64's finaliser: a bijective mix of 64 bits.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn it_is_a_permutation(size in 1u64..3000, key in any::<u64>()) {
            let permutation = Permutation::new(size, key);
            let mut seen = vec![false; size as usize];
            for index in 0..size {
                let target = permutation.apply(index);
                prop_assert!(target < size);
                prop_assert!(!std::mem::replace(&mut seen[target as usize], true));
            }
        }
    }

    #[test]
    fn keys_give_different_permutations() {
        let a: Vec<u64> = (0..20).map(|i| Permutation::new(20, 1).apply(i)).collect();
        let b: Vec<u64> = (0..20).map(|i| Permutation::new(20, 2).apply(i)).collect();
        assert_ne!(a, b);
        assert_ne!(a, (0..20).collect::<Vec<_>>());
    }
}
