//! The binomial upper tail behind the quasi-p-values, computed in logarithms so that the tiny
//! probabilities of sharply bounded boxes (1e-80 and below) keep their relative precision.

/// `ln(k!)` for `k` up to a bound, summed once.
pub(super) struct LogFactorials {
    table: Vec<f64>,
}

impl LogFactorials {
    pub(super) fn new(up_to: usize) -> LogFactorials {
        let mut table = Vec::with_capacity(up_to + 1);
        let mut sum = 0.0_f64;
        table.push(0.0);
        for k in 1..=up_to {
            sum += (k as f64).ln();
            table.push(sum);
        }
        LogFactorials { table }
    }

    fn ln_choose(&self, n: usize, k: usize) -> f64 {
        self.table[n] - self.table[k] - self.table[n - k]
    }

    /// `P(X >= k)` for `X ~ Binomial(n, p)`: the p-value of a one-sided ("greater") binomial test of
    /// `k` successes in `n` trials. `n` must not exceed the table's bound.
    pub(super) fn upper_tail(&self, k: usize, n: usize, p: f64) -> f64 {
        if k == 0 || p >= 1.0 {
            return 1.0;
        }
        if k > n || p <= 0.0 {
            return 0.0;
        }
        let ln_p = p.ln();
        let ln_q = (-p).ln_1p();
        let terms: Vec<f64> = (k..=n).map(|i| self.ln_choose(n, i) + i as f64 * ln_p + (n - i) as f64 * ln_q).collect();
        let largest = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = terms.iter().map(|term| (term - largest).exp()).sum();
        (largest + sum.ln()).exp().min(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::LogFactorials;

    #[test]
    fn upper_tail_matches_exact_sums() {
        let table = LogFactorials::new(20);
        // P(X >= 3) for Binomial(5, 0.5) = (10 + 5 + 1) / 32.
        assert!((table.upper_tail(3, 5, 0.5) - 16.0 / 32.0).abs() < 1e-15);
        // P(X >= 20) for Binomial(20, 0.1) = 0.1^20.
        let tail = table.upper_tail(20, 20, 0.1);
        assert!((tail / 1e-20 - 1.0).abs() < 1e-12, "{tail}");
        assert_eq!(table.upper_tail(0, 20, 0.3), 1.0);
        assert_eq!(table.upper_tail(4, 20, 0.0), 0.0);
    }
}
