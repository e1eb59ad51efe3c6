//! Ensemble bands: for each chosen variable and saved time, the count, mean, standard deviation,
//! minimum, quantiles and maximum over the runs, reduced while the runs go.
//!
//! Moments are exact and reproducible to the bit: within a block of runs, sums are kept in
//! [`PARTIALS`] partial sums by run id (so they vectorize over lanes yet never depend on the lane
//! count), shifted by the block's first value so that sums of squares keep their precision; the
//! partials and then the blocks are merged in a fixed order (Chan, Golub and LeVeque's pairwise
//! update).
//!
//! Quantiles follow the type-7 rule of numpy, pandas and R: with the values sorted,
//! `h = (n - 1) p` and the quantile is `x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋ + 1] - x[⌊h⌋])`. They are exact
//! when all the values fit in [`EXACT_LIMIT`]; past it each point keeps a [`LogHistogram`], whose
//! quantiles are within [`SKETCH_RELATIVE_ERROR`] of the exact ones.

use rayon::prelude::*;

mod parts;
pub(crate) use parts::Values;
pub use parts::{BandParts, PartsError};

/// Partial sums per block and point.
pub const PARTIALS: usize = 16;

/// Up to this many values in all (256 MiB), quantiles are exact; past it they come from
/// per-point log histograms.
pub const EXACT_LIMIT: u64 = 1 << 25;

/// Mantissa bits a histogram bucket keeps.
const MANTISSA_BITS: u32 = 10;

/// Largest relative error of a sketched order statistic: half a bucket, 2^-11.
pub const SKETCH_RELATIVE_ERROR: f64 = 1.0 / (1u64 << (MANTISSA_BITS + 1)) as f64;

/// The probabilities of the quantile columns.
pub const PROBABILITIES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// Count, mean, sum of squared deviations, minimum and maximum of a set of values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moments {
    /// How many values.
    pub n: u64,
    /// Their mean.
    pub mean: f64,
    /// The sum of squared deviations from the mean.
    pub m2: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
}

impl Default for Moments {
    fn default() -> Moments {
        Moments { n: 0, mean: 0.0, m2: 0.0, min: f64::INFINITY, max: f64::NEG_INFINITY }
    }
}

impl Moments {
    /// Adds another set's moments (Chan, Golub and LeVeque).
    pub fn merge(&mut self, other: &Moments) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n = self.n + other.n;
        let delta = other.mean - self.mean;
        let other_share = other.n as f64 / n as f64;
        self.mean += delta * other_share;
        self.m2 += other.m2 + delta * delta * self.n as f64 * other_share;
        self.n = n;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The sample standard deviation (n - 1 in the denominator); NaN for fewer than two values.
    pub fn sd(&self) -> f64 {
        if self.n < 2 { f64::NAN } else { (self.m2 / (self.n - 1) as f64).sqrt() }
    }
}

/// One block's partial sums for one point.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Partials {
    shift: Option<f64>,
    count: [f64; PARTIALS],
    sum: [f64; PARTIALS],
    sum_squares: [f64; PARTIALS],
    min: [f64; PARTIALS],
    max: [f64; PARTIALS],
}

impl Default for Partials {
    fn default() -> Partials {
        Partials {
            shift: None,
            count: [0.0; PARTIALS],
            sum: [0.0; PARTIALS],
            sum_squares: [0.0; PARTIALS],
            min: [f64::INFINITY; PARTIALS],
            max: [f64::NEG_INFINITY; PARTIALS],
        }
    }
}

impl Partials {
    /// The partial sums of a row of values in run order, NaN where a run failed: value `i`
    /// goes to partial `i % PARTIALS`, shifted by the first value that is not NaN.
    #[cfg(test)]
    pub(crate) fn of(values: &[f64]) -> Partials {
        let mut partials = Partials::default();
        partials.add_row(values);
        partials
    }

    /// Adds the next runs' values (NaN where a run failed). Every row but a block's last must
    /// be a whole number of [`PARTIALS`] long, so that each row starts at partial 0.
    pub(crate) fn add_row(&mut self, values: &[f64]) {
        let shift = match self.shift {
            Some(shift) => shift,
            None => match values.iter().find(|value| !value.is_nan()) {
                Some(&shift) => *self.shift.insert(shift),
                None => return,
            },
        };
        let mut chunks = values.chunks_exact(PARTIALS);
        let whole_row_finite = all_finite(values);
        for chunk in chunks.by_ref() {
            let lanes: [f64; PARTIALS] = std::array::from_fn(|lane| chunk[lane]);
            if whole_row_finite || all_finite(&lanes) {
                self.add_finite(&lanes, shift);
            } else {
                self.add_some(&lanes, shift);
            }
        }
        let rest = chunks.remainder();
        self.add_some(&std::array::from_fn(|lane| rest.get(lane).copied().unwrap_or(f64::NAN)), shift);
    }

    /// The partial sums of finite values, as [`Partials::of`] would give them.
    pub(crate) fn of_finite(values: &[f64]) -> Partials {
        let mut partials = Partials::default();
        let Some(&shift) = values.first() else { return partials };
        partials.shift = Some(shift);
        let mut chunks = values.chunks_exact(PARTIALS);
        for chunk in chunks.by_ref() {
            partials.add_finite(&std::array::from_fn(|lane| chunk[lane]), shift);
        }
        let rest = chunks.remainder();
        partials.add_some(&std::array::from_fn(|lane| rest.get(lane).copied().unwrap_or(f64::NAN)), shift);
        partials
    }

    /// Adds sixteen finite values, one per partial; written so that it vectorizes.
    #[inline]
    fn add_finite(&mut self, values: &[f64; PARTIALS], shift: f64) {
        for lane in 0..PARTIALS {
            let value = values[lane];
            let deviation = value - shift;
            self.count[lane] += 1.0;
            self.sum[lane] += deviation;
            self.sum_squares[lane] += deviation * deviation;
            self.min[lane] = if value < self.min[lane] { value } else { self.min[lane] };
            self.max[lane] = if value > self.max[lane] { value } else { self.max[lane] };
        }
    }

    /// Adds the values that are not NaN, by the same arithmetic as [`Partials::add_finite`].
    fn add_some(&mut self, values: &[f64; PARTIALS], shift: f64) {
        for (lane, &value) in values.iter().enumerate() {
            if value.is_nan() {
                continue;
            }
            let deviation = value - shift;
            self.count[lane] += 1.0;
            self.sum[lane] += deviation;
            self.sum_squares[lane] += deviation * deviation;
            self.min[lane] = if value < self.min[lane] { value } else { self.min[lane] };
            self.max[lane] = if value > self.max[lane] { value } else { self.max[lane] };
        }
    }

    /// The block's moments: the partials merged in order.
    pub(crate) fn moments(&self) -> Moments {
        let mut total = Moments::default();
        let shift = self.shift.unwrap_or(0.0);
        for k in 0..PARTIALS {
            let count = self.count[k];
            if count == 0.0 {
                continue;
            }
            let mean_deviation = self.sum[k] / count;
            total.merge(&Moments {
                n: count as u64,
                mean: shift + mean_deviation,
                m2: (self.sum_squares[k] - self.sum[k] * mean_deviation).max(0.0),
                min: self.min[k],
                max: self.max[k],
            });
        }
        total
    }
}

/// A histogram over the bit patterns of doubles, keeping the sign, the exponent and the top
/// [`MANTISSA_BITS`] bits of the mantissa: buckets are 2^-10 wide relative to their values, at
/// every magnitude, so any order statistic is known to 2^-11 of its value. Counts are integers,
/// so histograms filled by different threads add up to the same result in any order. Workers
/// count in `u32` (4 KiB per binary order of magnitude and sign the values span, which keeps a
/// block's histograms in cache) and totals in `u64`. None of the available sketch crates gives
/// mergeable, order-independent results with a relative error bound, so it is written here.
#[derive(Clone, Debug)]
pub struct LogHistogram<C = u32> {
    /// Buckets grouped by sign and exponent, sorted by that key.
    groups: Vec<(u16, Box<[C; 1 << MANTISSA_BITS]>)>,
    /// The group the last value went to: values of one point cluster.
    last: usize,
}

impl<C> Default for LogHistogram<C> {
    fn default() -> LogHistogram<C> {
        LogHistogram { groups: Vec::new(), last: 0 }
    }
}

/// Maps a double to an integer that orders like the double (negative values reversed):
/// negative numbers have every bit flipped, the others only the sign bit. Branch-free.
#[inline]
fn ordered_bits(value: f64) -> u64 {
    let bits = value.to_bits();
    let sign = ((bits as i64) >> 63) as u64;
    bits ^ (sign | (1 << 63))
}

fn from_ordered_bits(ordered: u64) -> f64 {
    let bits = if ordered >> 63 == 1 { ordered & !(1 << 63) } else { !ordered };
    f64::from_bits(bits)
}

const DROPPED_BITS: u32 = 52 - MANTISSA_BITS;

impl<C: Copy + Default> LogHistogram<C> {
    /// The counts of a group, created empty if need be.
    #[inline]
    fn group(&mut self, group: u16) -> &mut [C; 1 << MANTISSA_BITS] {
        if self.groups.get(self.last).is_none_or(|(g, _)| *g != group) {
            self.last = match self.groups.binary_search_by_key(&group, |(g, _)| *g) {
                Ok(index) => index,
                Err(index) => {
                    self.groups.insert(index, (group, Box::new([C::default(); 1 << MANTISSA_BITS])));
                    index
                }
            };
        }
        &mut self.groups[self.last].1
    }
}

impl LogHistogram<u32> {
    /// Counts the values that are not NaN. A worker's histogram holds fewer than 2^32 values
    /// (see [`MAX_WORKER_VALUES`]). `keys` is scratch space.
    pub fn insert_all(&mut self, values: &[f64], keys: &mut Vec<u32>) {
        // First every key, in a pass that vectorizes (NaN, never a finite value's key, is
        // marked by the top bit); then the counting, looking a group up only when it changes.
        const SKIP: u32 = 1 << 31;
        keys.clear();
        keys.extend(values.iter().map(|&value| {
            let key = (ordered_bits(value) >> DROPPED_BITS) as u32;
            if value.is_nan() { SKIP } else { key }
        }));
        let mut current = (u32::MAX, 0usize);
        for &key in keys.iter() {
            if key == SKIP {
                continue;
            }
            let group = key >> MANTISSA_BITS;
            if group != current.0 {
                self.group(group as u16);
                current = (group, self.last);
            }
            self.groups[current.1].1[(key & ((1 << MANTISSA_BITS) - 1)) as usize] += 1;
        }
    }
}

/// Values a `u32` histogram may take before its counts could overflow.
pub const MAX_WORKER_VALUES: u64 = u32::MAX as u64;

impl LogHistogram<u64> {
    /// Adds a worker's counts, or another total.
    pub fn add<C: Copy + Into<u64>>(&mut self, other: &LogHistogram<C>) {
        for (group, counts) in &other.groups {
            for (total, count) in self.group(*group).iter_mut().zip(counts.iter()) {
                *total += (*count).into();
            }
        }
    }

    /// The `ranks`-th smallest values (0-based, ascending ranks), each the middle of its
    /// bucket, clamped to the exact `min` and `max`.
    fn order_statistics(&self, ranks: &[u64], min: f64, max: f64) -> Vec<f64> {
        let mut found = Vec::with_capacity(ranks.len());
        let mut seen = 0u64;
        let mut next = ranks.iter().peekable();
        for (group, counts) in &self.groups {
            for (bucket, &count) in counts.iter().enumerate() {
                seen += count;
                while let Some(&&rank) = next.peek() {
                    if rank >= seen {
                        break;
                    }
                    let key = (u64::from(*group) << MANTISSA_BITS) | bucket as u64;
                    let low = from_ordered_bits(key << DROPPED_BITS);
                    let high = from_ordered_bits(((key + 1) << DROPPED_BITS) - 1);
                    found.push((low / 2.0 + high / 2.0).clamp(min, max));
                    next.next();
                }
            }
        }
        found
    }
}

/// The order-statistic ranks (0-based, ascending, distinct) type-7 quantiles of `n` values
/// need: the floor of `(n - 1) p` and the rank above it.
fn quantile_ranks(n: u64, probabilities: &[f64]) -> Vec<u64> {
    let last = n.saturating_sub(1);
    let mut ranks: Vec<u64> = probabilities
        .iter()
        .flat_map(|&p| {
            let low = (last as f64 * p).floor() as u64;
            [low, (low + 1).min(last)]
        })
        .collect();
    ranks.sort_unstable();
    ranks.dedup();
    ranks
}

/// Type-7 interpolation between the order statistics `value_at(rank)`.
fn interpolate(n: u64, probabilities: &[f64], value_at: impl Fn(u64) -> f64) -> Vec<f64> {
    if n == 0 {
        return vec![f64::NAN; probabilities.len()];
    }
    let last = n - 1;
    probabilities
        .iter()
        .map(|&p| {
            let h = last as f64 * p;
            let low = h.floor() as u64;
            let (a, b) = (value_at(low), value_at((low + 1).min(last)));
            a + (h - low as f64) * (b - a)
        })
        .collect()
}

/// Type-7 quantiles of finite values in any order.
pub fn quantiles_of(values: &[f64], probabilities: &[f64]) -> Vec<f64> {
    quantiles_with(values, probabilities, &mut Scratch::default())
}

/// Buffers of the exact quantile computation, reused from point to point.
#[derive(Default)]
pub(crate) struct Scratch {
    values: Vec<f64>,
    keys: Vec<u64>,
    counts: Vec<u32>,
    slots: Vec<u8>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

fn quantiles_with(values: &[f64], probabilities: &[f64], scratch: &mut Scratch) -> Vec<f64> {
    if values.is_empty() {
        return vec![f64::NAN; probabilities.len()];
    }
    let ranks = quantile_ranks(values.len() as u64, probabilities);
    let found = order_statistics(values, &ranks, scratch);
    interpolate(values.len() as u64, probabilities, |rank| ranks.binary_search(&rank).map_or(f64::NAN, |i| found[i]))
}

/// Most histogram buckets of the radix selection (2^16).
const MAX_SELECT_BUCKET_BITS: u32 = 16;

/// The values of the given ranks (ascending, distinct, each below `values.len()`), by radix
/// selection on the values' ordered bits: one pass turns values into keys and finds their
/// range, one counts them in about n/8 buckets across it (at most 2^16), which places every
/// rank in a bucket, and one gathers the keys of those few buckets, where a quickselect
/// finishes. Three linear passes instead of sorting.
fn order_statistics(values: &[f64], ranks: &[u64], scratch: &mut Scratch) -> Vec<f64> {
    let keys = &mut scratch.keys;
    keys.clear();
    keys.extend(values.iter().map(|v| ordered_bits(*v)));
    let (low, high) = keys.iter().fold((u64::MAX, 0), |(low, high), &key| (low.min(key), high.max(key)));
    if keys.len() < 1 << 12 || low == high {
        let mut found = vec![0; ranks.len()];
        select_ranks(keys, ranks, 0, &mut found);
        return found.into_iter().map(from_ordered_bits).collect();
    }
    let bucket_bits = (keys.len() / 8).max(2).ilog2().min(MAX_SELECT_BUCKET_BITS);
    // (high - low) >> shift is below 2^bucket_bits, so the mask only spares bounds checks.
    let shift = (64 - (high - low).leading_zeros()).saturating_sub(bucket_bits);
    let mask = (1usize << bucket_bits) - 1;
    let bucket_of = |key: u64| ((key - low) >> shift) as usize & mask;
    let counts = &mut scratch.counts;
    counts.clear();
    counts.resize(mask + 1, 0);
    for &key in keys.iter() {
        counts[bucket_of(key)] += 1;
    }
    // Each rank's bucket and the rank of that bucket's first value.
    let mut targets: Vec<(usize, u64)> = Vec::with_capacity(ranks.len());
    let mut below = 0u64;
    let mut next = ranks.iter().peekable();
    for (bucket, &count) in counts.iter().enumerate() {
        while let Some(&&rank) = next.peek() {
            if rank >= below + u64::from(count) {
                break;
            }
            if targets.last().is_none_or(|(last, _)| *last != bucket) {
                targets.push((bucket, below));
            }
            next.next();
        }
        below += u64::from(count);
    }
    let slots = &mut scratch.slots;
    slots.clear();
    slots.resize(mask + 1, 0);
    let mut gathered: Vec<Vec<u64>> = Vec::with_capacity(targets.len());
    for (slot, &(bucket, _)) in targets.iter().enumerate() {
        slots[bucket] = slot as u8 + 1;
        gathered.push(Vec::with_capacity(counts[bucket] as usize));
    }
    for &key in keys.iter() {
        let slot = slots[bucket_of(key)];
        if slot != 0 {
            gathered[usize::from(slot) - 1].push(key);
        }
    }
    ranks
        .iter()
        .map(|&rank| {
            let bucket = bucket_of_rank(&targets, rank);
            let (_, first) = targets[bucket];
            let (_, key, _) = gathered[bucket].select_nth_unstable((rank - first) as usize);
            from_ordered_bits(*key)
        })
        .collect()
}

/// The slot of the target bucket holding `rank`: the last whose first rank is not above it.
fn bucket_of_rank(targets: &[(usize, u64)], rank: u64) -> usize {
    targets.partition_point(|(_, first)| *first <= rank).saturating_sub(1)
}

/// Puts the key of rank `ranks[i]` (ranks counted from `base`, ascending) in `found[i]`.
fn select_ranks(keys: &mut [u64], ranks: &[u64], base: u64, found: &mut [u64]) {
    if ranks.is_empty() {
        return;
    }
    let middle = ranks.len() / 2;
    let (below, key, above) = keys.select_nth_unstable((ranks[middle] - base) as usize);
    found[middle] = *key;
    let (found_below, rest) = found.split_at_mut(middle);
    select_ranks(below, &ranks[..middle], base, found_below);
    select_ranks(above, &ranks[middle + 1..], ranks[middle] + 1, &mut rest[1..]);
}

/// Type-7 quantiles from a histogram of `moments.n` values with exact `min` and `max`.
fn quantiles_of_histogram(histogram: &LogHistogram<u64>, moments: &Moments, probabilities: &[f64]) -> Vec<f64> {
    let n = moments.n;
    let ranks = quantile_ranks(n, probabilities);
    let values = histogram.order_statistics(&ranks, moments.min, moments.max);
    interpolate(n, probabilities, |rank| match rank {
        0 => moments.min,
        r if r + 1 == n => moments.max,
        r => ranks.binary_search(&r).ok().and_then(|i| values.get(i).copied()).unwrap_or(f64::NAN),
    })
}

/// One row of bands.csv.
#[derive(Clone, Debug, PartialEq)]
pub struct BandRow {
    /// Index of the band series: of the variable among the band variables, or with bands per
    /// grid point, `grid point × band variables + variable` (see [`crate::Sweep::band_series`]).
    pub variable: usize,
    /// The saved time.
    pub time: f64,
    /// Moments of the values of the successful runs.
    pub moments: Moments,
    /// Type-7 quantiles at [`PROBABILITIES`].
    pub quantiles: [f64; 5],
}

/// How the quantiles were computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantileMethod {
    /// From every value.
    Exact,
    /// From per-point log histograms.
    Sketch,
}

impl QuantileMethod {
    /// The method for `values` values in all.
    pub fn for_values(values: u64) -> QuantileMethod {
        if values <= EXACT_LIMIT { QuantileMethod::Exact } else { QuantileMethod::Sketch }
    }
}

/// The reduction of every block, in block order.
pub(crate) struct BandReducer {
    times: Vec<f64>,
    variables: usize,
    moments: Vec<Moments>,
}

impl BandReducer {
    pub(crate) fn new(variables: usize, times: Vec<f64>) -> BandReducer {
        BandReducer { variables, moments: vec![Moments::default(); variables * times.len()], times }
    }

    /// Folds in the next block's moments, one per point.
    pub(crate) fn add_block(&mut self, moments: &[Moments]) {
        for (total, block) in self.moments.iter_mut().zip(moments) {
            total.merge(block);
        }
    }

    /// The rows of bands.csv, variable by variable, time by time. With exact quantiles, the
    /// moments are computed here too, from the values in run order; with sketched ones they are
    /// the blocks' moments folded in so far.
    pub(crate) fn finish(self, quantiles: Quantiles<'_>) -> Vec<BandRow> {
        let saves = self.times.len();
        let points = self.variables * saves;
        // Points are independent, so they are finished in parallel with the same result; and
        // histogram counts are integers, so the order of the workers' histograms is immaterial.
        (0..points)
            .into_par_iter()
            .map(|point| {
                let (moments, quantiles) = match &quantiles {
                    Quantiles::Exact { values, blocks } => SCRATCH.with_borrow_mut(|scratch| {
                        // Each thread keeps its buffers from point to point.
                        let mut finite = std::mem::take(&mut scratch.values);
                        finite.clear();
                        let mut start = 0;
                        for &runs in blocks {
                            let row = values.get(start + point * runs..start + (point + 1) * runs).unwrap_or_default();
                            start += points * runs;
                            // Failed runs are rare: copy whole rows unless they have one.
                            if all_finite(row) {
                                finite.extend_from_slice(row);
                            } else {
                                finite.extend(row.iter().filter(|v| !v.is_nan()));
                            }
                        }
                        let found =
                            (Partials::of_finite(&finite).moments(), quantiles_with(&finite, &PROBABILITIES, scratch));
                        scratch.values = finite;
                        found
                    }),
                    Quantiles::Sketch(sets) => {
                        let moments = self.moments[point];
                        (moments, quantiles_of_histogram(&total_histogram(sets, point), &moments, &PROBABILITIES))
                    }
                    Quantiles::Totals(totals) => {
                        let moments = self.moments[point];
                        (moments, quantiles_of_histogram(&totals[point], &moments, &PROBABILITIES))
                    }
                };
                BandRow {
                    variable: point / saves,
                    time: self.times[point % saves],
                    moments,
                    quantiles: std::array::from_fn(|i| quantiles[i]),
                }
            })
            .collect()
    }
}

/// A point's histogram: the sum of every worker's.
fn total_histogram(sets: &[Vec<LogHistogram>], point: usize) -> LogHistogram<u64> {
    let mut total = LogHistogram::<u64>::default();
    for set in sets {
        total.add(&set[point]);
    }
    total
}

/// Are all values finite? Branch-free in sixteen lanes, so it vectorizes: `x * 0` is NaN
/// exactly when `x` is not finite, and NaN survives the sums.
fn all_finite(values: &[f64]) -> bool {
    let mut sums = [0.0; PARTIALS];
    let mut chunks = values.chunks_exact(PARTIALS);
    for chunk in chunks.by_ref() {
        for lane in 0..PARTIALS {
            sums[lane] += chunk[lane] * 0.0;
        }
    }
    sums.iter().chain(chunks.remainder()).all(|v| v.is_finite())
}

/// Where the quantiles come from.
pub(crate) enum Quantiles<'a> {
    /// Every value, block by block.
    Exact {
        /// Each block's stretch in turn, `stretch[point * runs + run]`; NaN for a failed run.
        values: &'a [f64],
        /// Runs in each block.
        blocks: Vec<usize>,
    },
    /// Histograms, sets of one per point, from the workers.
    Sketch(Vec<Vec<LogHistogram>>),
    /// Each point's histogram, already summed.
    Totals(&'a [LogHistogram<u64>]),
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    /// Type-7 quantiles of sorted values.
    fn quantiles_of_sorted(sorted: &[f64], probabilities: &[f64]) -> Vec<f64> {
        probabilities
            .iter()
            .map(|&p| {
                let Some(last) = sorted.len().checked_sub(1) else { return f64::NAN };
                let h = last as f64 * p;
                let low = h.floor() as usize;
                let high = (low + 1).min(last);
                sorted[low] + (h - low as f64) * (sorted[high] - sorted[low])
            })
            .collect()
    }

    fn moments_of(values: &[f64]) -> Moments {
        Partials::of(values).moments()
    }

    #[test]
    fn quantiles_follow_type_7() {
        // numpy.quantile([1, 2, 3, 4, 10], [0.05, 0.25, 0.5, 0.75, 0.95]) (method="linear").
        let found = quantiles_of_sorted(&[1.0, 2.0, 3.0, 4.0, 10.0], &PROBABILITIES);
        let numpy = [1.2, 2.0, 3.0, 4.0, 8.8];
        for (a, b) in found.iter().zip(numpy) {
            assert_relative_eq!(*a, b, max_relative = 1e-12);
        }
        assert_eq!(quantiles_of_sorted(&[7.0], &[0.05, 0.95]), [7.0, 7.0]);
        assert!(quantiles_of_sorted(&[], &[0.5])[0].is_nan());
        assert!(quantiles_of(&[], &PROBABILITIES).iter().all(|q| q.is_nan()));
    }

    #[test]
    fn moments_survive_a_large_offset() {
        // Values around 1e9 with a spread of 1: naive sums of squares would lose it all.
        let values: Vec<f64> = (0..1000).map(|i| 1e9 + f64::from(i % 7)).collect();
        let moments = moments_of(&values);
        let mean = values.iter().sum::<f64>() / 1000.0;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 999.0;
        assert_relative_eq!(moments.mean, mean, max_relative = 1e-15);
        assert_relative_eq!(moments.sd(), variance.sqrt(), max_relative = 1e-9);
        assert_eq!((moments.min, moments.max, moments.n), (1e9, 1e9 + 6.0, 1000));
    }

    #[test]
    fn failed_lanes_are_left_out() {
        let moments = Partials::of(&[f64::NAN, 2.0, 4.0, f64::NAN]).moments();
        assert_eq!((moments.n, moments.mean, moments.min, moments.max), (2, 3.0, 2.0, 4.0));
        assert_relative_eq!(moments.sd(), 2f64.sqrt(), max_relative = 1e-15);
    }

    #[test]
    fn ordered_bits_order_like_the_numbers() {
        let values = [f64::NEG_INFINITY, -1e300, -2.5, -1e-300, -0.0, 0.0, 1e-300, 1.0, 2.5, 1e300, f64::INFINITY];
        let keys: Vec<u64> = values.iter().map(|v| ordered_bits(*v)).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        for value in values {
            assert_eq!(from_ordered_bits(ordered_bits(value)).to_bits(), value.to_bits());
        }
    }

    proptest! {
        #[test]
        fn partials_match_a_two_pass_computation(values in prop::collection::vec(-1e6f64..1e6, 2..300)) {
            let moments = moments_of(&values);
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
            prop_assert!((moments.mean - mean).abs() <= 1e-9 * (1.0 + mean.abs()));
            prop_assert!((moments.sd() - variance.sqrt()).abs() <= 1e-7 * (1.0 + variance.sqrt()));
        }

        #[test]
        fn sketched_quantiles_are_within_the_bound(
            values in prop::collection::vec(prop_oneof![-1e6f64..-1e-3, 1e-3f64..1e6, Just(0.0)], 1..400),
        ) {
            let mut worker = LogHistogram::default();
            let mut moments = Moments::default();
            worker.insert_all(&values, &mut Vec::new());
            for value in &values {
                moments.merge(&Moments { n: 1, mean: *value, m2: 0.0, min: *value, max: *value });
            }
            let mut sorted = values.clone();
            sorted.sort_unstable_by(f64::total_cmp);
            let exact = quantiles_of_sorted(&sorted, &PROBABILITIES);
            let mut histogram = LogHistogram::<u64>::default();
            histogram.add(&worker);
            let sketched = quantiles_of_histogram(&histogram, &moments, &PROBABILITIES);
            for (p, (e, s)) in PROBABILITIES.iter().zip(exact.iter().zip(&sketched)) {
                // Each of the two order statistics is within the bound of its own magnitude.
                let h = (values.len() - 1) as f64 * p;
                let low = sorted[h.floor() as usize].abs();
                let high = sorted[(h.floor() as usize + 1).min(values.len() - 1)].abs();
                // Zero shares its bucket with the tiniest numbers.
                let bound = SKETCH_RELATIVE_ERROR * low.max(high) * 1.000001 + 1e-300;
                prop_assert!((e - s).abs() <= bound, "p {}: exact {} sketched {}", p, e, s);
            }
        }

        #[test]
        fn histograms_merge_in_any_order(values in prop::collection::vec(-1e3f64..1e3, 1..200), split in 0usize..200) {
            let split = split.min(values.len());
            let (mut a, mut b, mut whole) = (LogHistogram::default(), LogHistogram::default(), LogHistogram::default());
            a.insert_all(&values[..split], &mut Vec::new());
            b.insert_all(&values[split..], &mut Vec::new());
            whole.insert_all(&values, &mut Vec::new());
            let total = |parts: &[&LogHistogram]| {
                let mut total = LogHistogram::<u64>::default();
                parts.iter().for_each(|part| total.add(part));
                total.groups
            };
            prop_assert_eq!(total(&[&a, &b]), total(&[&whole]));
            prop_assert_eq!(total(&[&b, &a]), total(&[&whole]));
        }
    }

    proptest! {
        // Each case sorts up to 9,000 values; fewer cases keep debug test runs quick.
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn selection_gives_the_quantiles_of_sorting(
            values in prop::collection::vec(prop_oneof![-1e3f64..1e3, Just(0.0), Just(5.0)], 1..9000),
        ) {
            // Past 4,096 values the radix selection takes over; duplicates and zeros included.
            let mut sorted = values.clone();
            sorted.sort_unstable_by(f64::total_cmp);
            prop_assert_eq!(quantiles_of(&values, &PROBABILITIES), quantiles_of_sorted(&sorted, &PROBABILITIES));
        }
    }
}
