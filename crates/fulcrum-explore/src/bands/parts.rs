//! What a sweep's bands are made of before they are reduced, so that sweeps of consecutive run
//! ranges (shards run on different machines, or the finished stretch of an interrupted sweep)
//! combine into exactly the bands of one sweep over all their runs.
//!
//! With exact quantiles that is every band value; with sketched ones, each block's moments
//! (blocks are folded one after another, so the fold must see every block) and each point's
//! histogram (counts, which add up in any order). Parts are written in a small binary format:
//! little-endian, the header `FULCRUM-BANDS` and a version, then the method, the number of band
//! variables, the saved times, the runs of each block, and either the values or the moments and
//! the non-empty histogram buckets.
//! No serialization crate is needed for a handful of arrays of numbers.

use std::io::Write;

use rayon::prelude::*;

use super::{BandReducer, BandRow, LogHistogram, Moments, QuantileMethod, Quantiles};
use crate::store::ValueStore;

const MAGIC: &[u8; 13] = b"FULCRUM-BANDS";
const VERSION: u32 = 1;

/// The parts of a sweep's bands (see the module documentation).
#[derive(Debug)]
pub struct BandParts {
    method: QuantileMethod,
    /// Band variables, and the saved times: `points` is their product.
    variables: usize,
    times: Vec<f64>,
    points: usize,
    /// Runs in each block, in run order.
    block_runs: Vec<usize>,
    /// Exact quantiles: the values, block after block, `[point * runs + run]` within a block.
    values: Values,
    /// Sketched quantiles: each block's moments, `[block * points + point]`.
    moments: Vec<Moments>,
    /// Sketched quantiles: each point's histogram.
    histograms: Vec<LogHistogram<u64>>,
}

/// Why parts cannot be read or combined.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PartsError {
    /// The bytes are not band parts.
    #[error("not a fulcrum band parts file")]
    NotParts,
    /// The bytes end early or hold impossible counts.
    #[error("damaged band parts file: {0}")]
    Damaged(&'static str),
    /// The parts come from sweeps with different bands.
    #[error("the band parts do not match: {0}")]
    Mismatch(&'static str),
}

impl BandParts {
    /// Parts with exact quantiles: the block lengths and the values of every block in turn.
    pub(crate) fn exact(variables: usize, times: Vec<f64>, block_runs: Vec<usize>, values: Values) -> BandParts {
        BandParts {
            method: QuantileMethod::Exact,
            variables,
            points: variables * times.len(),
            times,
            block_runs,
            values,
            moments: Vec::new(),
            histograms: Vec::new(),
        }
    }

    /// Parts with sketched quantiles: each block's moments, and the workers' histogram sets,
    /// summed per point.
    pub(crate) fn sketch(
        variables: usize,
        times: Vec<f64>,
        block_runs: Vec<usize>,
        moments: Vec<Moments>,
        sets: &[Vec<LogHistogram>],
    ) -> BandParts {
        let points = variables * times.len();
        let histograms = (0..points).into_par_iter().map(|point| super::total_histogram(sets, point)).collect();
        BandParts {
            method: QuantileMethod::Sketch,
            variables,
            times,
            points,
            block_runs,
            values: Values::Owned(Vec::new()),
            moments,
            histograms,
        }
    }

    /// How the quantiles are computed.
    pub fn method(&self) -> QuantileMethod {
        self.method
    }

    /// How many band series the parts hold: band variables, once per grid point when the bands
    /// are per grid point.
    pub fn series(&self) -> usize {
        self.variables
    }

    /// How many runs the parts hold.
    pub fn runs(&self) -> u64 {
        self.block_runs.iter().map(|&runs| runs as u64).sum()
    }

    /// Appends the parts of the runs that follow these.
    pub fn append(&mut self, later: BandParts) -> Result<(), PartsError> {
        if later.method != self.method {
            return Err(PartsError::Mismatch("one has exact quantiles, the other sketched ones"));
        }
        let same_times = later.times.len() == self.times.len()
            && later.times.iter().zip(&self.times).all(|(a, b)| a.to_bits() == b.to_bits());
        if later.variables != self.variables || !same_times {
            return Err(PartsError::Mismatch("they have different band variables or saved times"));
        }
        self.block_runs.extend(later.block_runs);
        if !later.values.as_slice().is_empty() {
            let mut values = std::mem::replace(&mut self.values, Values::Owned(Vec::new())).into_vec();
            values.extend_from_slice(later.values.as_slice());
            self.values = Values::Owned(values);
        }
        self.moments.extend(later.moments);
        if self.histograms.is_empty() {
            self.histograms = later.histograms;
        } else {
            for (total, other) in self.histograms.iter_mut().zip(&later.histograms) {
                total.add(other);
            }
        }
        Ok(())
    }

    /// The bands: the same rows as one sweep of all the runs gives.
    pub fn finish(&self) -> Vec<BandRow> {
        let mut reducer = BandReducer::new(self.variables, self.times.clone());
        if self.points > 0 {
            for block in self.moments.chunks_exact(self.points) {
                reducer.add_block(block);
            }
        }
        let quantiles = match self.method {
            QuantileMethod::Exact => {
                Quantiles::Exact { values: self.values.as_slice(), blocks: self.block_runs.clone() }
            }
            QuantileMethod::Sketch => Quantiles::Totals(&self.histograms),
        };
        reducer.finish(quantiles)
    }

    /// Writes the parts in their binary format.
    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        out.write_all(MAGIC)?;
        out.write_all(&VERSION.to_le_bytes())?;
        out.write_all(&[u8::from(self.method == QuantileMethod::Sketch)])?;
        let count = |n: usize| (n as u64).to_le_bytes();
        out.write_all(&count(self.variables))?;
        out.write_all(&count(self.times.len()))?;
        for time in &self.times {
            out.write_all(&time.to_le_bytes())?;
        }
        out.write_all(&count(self.block_runs.len()))?;
        for &runs in &self.block_runs {
            out.write_all(&count(runs))?;
        }
        match self.method {
            QuantileMethod::Exact => {
                for chunk in self.values.as_slice().chunks(4096) {
                    let bytes: Vec<u8> = chunk.iter().flat_map(|value| value.to_le_bytes()).collect();
                    out.write_all(&bytes)?;
                }
            }
            QuantileMethod::Sketch => {
                for moments in &self.moments {
                    out.write_all(&moments.n.to_le_bytes())?;
                    for value in [moments.mean, moments.m2, moments.min, moments.max] {
                        out.write_all(&value.to_le_bytes())?;
                    }
                }
                for histogram in &self.histograms {
                    out.write_all(&count(histogram.groups.len()))?;
                    for (group, counts) in &histogram.groups {
                        out.write_all(&group.to_le_bytes())?;
                        let filled = counts.iter().filter(|&&count| count > 0).count();
                        out.write_all(&(filled as u16).to_le_bytes())?;
                        for (bucket, &count) in counts.iter().enumerate().filter(|(_, count)| **count > 0) {
                            out.write_all(&(bucket as u16).to_le_bytes())?;
                            out.write_all(&count.to_le_bytes())?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Reads parts written by [`BandParts::write`], checking every count against the bytes.
    pub fn read(bytes: &[u8]) -> Result<BandParts, PartsError> {
        let mut input = Reader { bytes };
        if input.take(MAGIC.len()).ok() != Some(MAGIC.as_slice()) {
            return Err(PartsError::NotParts);
        }
        if input.u32()? != VERSION {
            return Err(PartsError::Damaged("written by another version of fulcrum"));
        }
        let method = match input.take(1)?[0] {
            0 => QuantileMethod::Exact,
            1 => QuantileMethod::Sketch,
            _ => return Err(PartsError::Damaged("unknown quantile method")),
        };
        let variables = input.size()?;
        let saves = input.count(8)?;
        let times = (0..saves).map(|_| input.f64()).collect::<Result<Vec<f64>, _>>()?;
        let points = variables.checked_mul(saves).ok_or(PartsError::Damaged("impossible point count"))?;
        let blocks = input.count(8)?;
        let block_runs = (0..blocks).map(|_| input.size()).collect::<Result<Vec<usize>, _>>()?;
        let runs = block_runs.iter().try_fold(0usize, |sum, &runs| sum.checked_add(runs));
        let runs = runs.ok_or(PartsError::Damaged("impossible run count"))?;
        let mut parts = BandParts {
            method,
            variables,
            times,
            points,
            block_runs,
            values: Values::Owned(Vec::new()),
            moments: Vec::new(),
            histograms: Vec::new(),
        };
        match method {
            QuantileMethod::Exact => {
                let values = points.checked_mul(runs).ok_or(PartsError::Damaged("impossible value count"))?;
                let raw = input.take(values.checked_mul(8).ok_or(PartsError::Damaged("impossible value count"))?)?;
                parts.values = Values::Owned(
                    raw.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8]))).collect(),
                );
            }
            QuantileMethod::Sketch => {
                let moments = points.checked_mul(blocks).ok_or(PartsError::Damaged("impossible moment count"))?;
                input.fits(moments, 40)?;
                for _ in 0..moments {
                    let n = input.u64()?;
                    let [mean, m2, min, max] = [input.f64()?, input.f64()?, input.f64()?, input.f64()?];
                    parts.moments.push(Moments { n, mean, m2, min, max });
                }
                input.fits(points, 8)?;
                for _ in 0..points {
                    let mut histogram = LogHistogram::<u64>::default();
                    for _ in 0..input.count(2)? {
                        let group = input.u16()?;
                        let counts = histogram.group(group);
                        for _ in 0..input.u16()? {
                            let bucket = usize::from(input.u16()?);
                            *counts.get_mut(bucket).ok_or(PartsError::Damaged("histogram bucket out of range"))? =
                                input.u64()?;
                        }
                    }
                    parts.histograms.push(histogram);
                }
            }
        }
        if !input.bytes.is_empty() {
            return Err(PartsError::Damaged("bytes after the end"));
        }
        Ok(parts)
    }
}

/// Band values: read from a file, or the first `len` of a sweep's store, kept without a copy
/// (hundreds of megabytes for a large exact sweep).
pub(crate) enum Values {
    Owned(Vec<f64>),
    Stored(ValueStore, usize),
}

impl Values {
    fn as_slice(&self) -> &[f64] {
        match self {
            Values::Owned(values) => values,
            Values::Stored(store, len) => &store.values()[..*len],
        }
    }

    fn into_vec(self) -> Vec<f64> {
        match self {
            Values::Owned(values) => values,
            Values::Stored(..) => self.as_slice().to_vec(),
        }
    }
}

impl std::fmt::Debug for Values {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{} values", self.as_slice().len())
    }
}

/// Reads little-endian numbers off the front of a byte slice.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], PartsError> {
        if n > self.bytes.len() {
            return Err(PartsError::Damaged("the file ends early"));
        }
        let (taken, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], PartsError> {
        let mut array = [0; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    fn u16(&mut self) -> Result<u16, PartsError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, PartsError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, PartsError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn f64(&mut self) -> Result<f64, PartsError> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// A size or count.
    fn size(&mut self) -> Result<usize, PartsError> {
        usize::try_from(self.u64()?).map_err(|_| PartsError::Damaged("impossible count"))
    }

    /// A count of things that take at least `size` bytes each: no larger than what is left.
    fn count(&mut self, size: usize) -> Result<usize, PartsError> {
        let count = self.size()?;
        self.fits(count, size)?;
        Ok(count)
    }

    /// Whether `count` things of `size` bytes can still follow.
    fn fits(&self, count: usize, size: usize) -> Result<(), PartsError> {
        match count.checked_mul(size) {
            Some(bytes) if bytes <= self.bytes.len() => Ok(()),
            _ => Err(PartsError::Damaged("a count larger than the file")),
        }
    }
}
