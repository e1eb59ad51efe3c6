//! Running a design: many runs in parallel, reduced as they go, reproducible to the bit.
//!
//! Runs are grouped in blocks of [`BLOCK_RUNS`] by run id (block `k` holds runs `1024k` to
//! `1024k + 1023`). Workers on the rayon pool each take whole blocks, run them in batches of
//! [`LANES`] lanes and reduce them: outcomes per run, band moments per block. Blocks go out in
//! waves; while one wave runs, the thread that started the sweep hands the previous wave to the
//! sink and folds its bands, block by block in run order. Nothing is summed in parallel, and a
//! run's numbers depend only on its id, so the output is the same bytes for any thread count,
//! lane count or wave size.

use std::ops::Range;
use std::sync::Mutex;
use std::time::Instant;

use fulcrum_sim::{Batch, CompiledModel, Failure, LANES, Observer, Point, SimError, VarId};
use rayon::prelude::*;

use crate::bands::{
    BandParts, BandReducer, BandRow, LogHistogram, MAX_WORKER_VALUES, Moments, PARTIALS, Partials, QuantileMethod,
    Quantiles, Values,
};
use crate::design::Inputs;
use crate::design::Setting;
use crate::outcome::{Accumulator, Outcome, Statistic};
use crate::store::ValueStore;

/// Runs per block: the unit of work and of reduction.
pub const BLOCK_RUNS: u64 = 1024;

/// A sweep to run.
#[derive(Clone)]
pub struct Sweep<'a> {
    /// The compiled model (compiled with the changing constants the settings need).
    pub model: &'a CompiledModel,
    /// What varies from run to run: a [`crate::Design`], or a [`crate::Table`] of rows.
    pub design: &'a dyn Inputs,
    /// Values every run gets (lever baselines, an intervention).
    pub settings: &'a [Setting],
    /// What to measure in each run.
    pub outcomes: &'a [Outcome],
    /// Variables whose bands to compute.
    pub bands: &'a [VarId],
    /// Bands per grid point of the design ([`Inputs::grid_point`]): every band variable's rows
    /// once for each grid point, grid point by grid point, each over that point's runs only.
    /// Otherwise (and for a design without a grid) the bands are over all the runs together.
    pub bands_per_grid_point: bool,
    /// Variables whose trajectories go to the sink.
    pub keep: &'a [VarId],
    /// Which runs of the design.
    pub runs: Range<u64>,
    /// How to compute the bands' quantiles; by default exactly when all the values fit in
    /// [`crate::bands::EXACT_LIMIT`], else with a sketch.
    pub quantiles: Option<QuantileMethod>,
}

/// One block of runs, as the sink sees it.
#[derive(Clone, Debug, Default)]
pub struct Block {
    /// The id of the first run.
    pub first_run: u64,
    /// How many runs.
    pub len: usize,
    /// Each run's inputs, one per design factor: `inputs[run * factors + factor]`.
    pub inputs: Vec<f64>,
    /// Each run's outcomes: `outcomes[run * outcomes + outcome]`; NaN for a failed run and for
    /// a threshold never crossed.
    pub outcomes: Vec<f64>,
    /// The runs that produced NaN or infinity.
    pub failures: Vec<(u64, Failure)>,
    /// The kept trajectories: `kept[(run * saves + save) * keep + variable]`.
    pub kept: Vec<f64>,
    /// With sketched quantiles, the block's band moments per point (empty with exact ones, whose
    /// moments come from the stored values at the end).
    pub moments: Vec<Moments>,
}

/// Receives the blocks in run order.
pub trait Sink: Send {
    /// Takes the next block.
    fn block(&mut self, block: &Block) -> std::io::Result<()>;
}

/// Told how many runs have finished; called from any worker.
pub trait Progress: Sync {
    /// `runs` more runs are done.
    fn advance(&self, runs: u64);
}

/// No progress reporting.
pub struct Silent;

impl Progress for Silent {
    fn advance(&self, _runs: u64) {}
}

/// What a sweep leaves after the sink has had every block.
#[derive(Clone, Debug)]
pub struct Summary {
    /// The rows of bands.csv.
    pub bands: Vec<BandRow>,
    /// How the quantiles were computed.
    pub quantiles: QuantileMethod,
    /// Runs that failed.
    pub failures: u64,
}

/// Why a sweep stopped.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The model cannot take a setting.
    #[error(transparent)]
    Model(#[from] SimError),
    /// The sink failed.
    #[error(transparent)]
    Output(#[from] std::io::Error),
    /// The memory for exact band quantiles could not be had.
    #[error("cannot reserve memory for exact band quantiles: {0}")]
    Memory(std::io::Error),
    /// The model computes its time settings during the run, so each run has its own saved
    /// times, which the sweep's outcomes, bands and kept runs do not follow yet.
    #[error(
        "the model computes {0} during the run, so each run has its own time axis; sweeps, outcomes and bands need one time axis for all runs (give the setting as a number)"
    )]
    ComputedTime(String),
    /// A `loop_share:` outcome was not bound to its loop ([`crate::Plan::bind_loop_shares`]).
    #[error("outcome `{0}` measures the feedback loops, which have not been found in the baseline run")]
    UnboundLoopShare(String),
}

/// The most memory a sweep may ask for (see [`Sweep::memory_problem`]).
pub const MEMORY_LIMIT: u64 = 16 << 30;

/// Band values a worker's sketch stretch holds (32 MiB): fewer runs per fold for models with
/// very many saved times.
const STRETCH_VALUES: usize = 1 << 22;

/// Blocks per wave for each thread: enough to keep every thread busy to the end of a wave.
const BLOCKS_PER_THREAD: usize = 4;

impl Sweep<'_> {
    /// The saved times.
    pub fn save_times(&self) -> Vec<f64> {
        self.model.axis().save_times()
    }

    /// The sets of runs the bands are over: the design's grid points, or one.
    pub fn band_groups(&self) -> usize {
        if self.bands_per_grid_point { self.design.grid_points().max(1) } else { 1 }
    }

    /// The band series: each band variable once per band group, group by group. Rows of
    /// [`Summary::bands`] index them: band variable `variable % bands.len()` of group
    /// `variable / bands.len()`.
    pub fn band_series(&self) -> usize {
        self.bands.len().saturating_mul(self.band_groups())
    }

    /// How many band values the sweep produces: a value per run, saved time and band series
    /// (with grid points, a run's value at the other points is a gap, which counts too).
    pub fn band_values(&self) -> u64 {
        let points = (self.band_series() as u64).saturating_mul(self.model.axis().save_count() as u64);
        (self.runs.end - self.runs.start).saturating_mul(points)
    }

    /// The runs of block `index` that this sweep runs.
    fn block_runs(&self, index: u64) -> Range<u64> {
        (index * BLOCK_RUNS).max(self.runs.start)..((index + 1) * BLOCK_RUNS).min(self.runs.end)
    }

    /// How many runs block `index` has in this sweep.
    fn block_len(&self, index: u64) -> usize {
        let runs = self.block_runs(index);
        (runs.end - runs.start) as usize
    }

    /// A lower bound on the memory the sweep needs with `threads` workers, in bytes: the
    /// exact band store, or each point's histograms (one 4 KiB group per worker and an 8 KiB
    /// total per binary order of magnitude the values span) and the workers' stretches; plus
    /// the kept trajectories of the blocks in flight (two waves).
    pub fn memory_needed(&self, threads: usize) -> u64 {
        let threads = threads.max(1) as u64;
        let saves = self.model.axis().save_count() as u64;
        let points = (self.band_series() as u64).saturating_mul(saves);
        let bands = match self.quantile_method() {
            QuantileMethod::Exact => self.band_values().saturating_mul(8),
            QuantileMethod::Sketch => points
                .saturating_mul(4096 * threads + 8192)
                .saturating_add(threads * (STRETCH_VALUES as u64 * 8).min(points.saturating_mul(8 * BLOCK_RUNS))),
        };
        let in_flight = 2 * BLOCKS_PER_THREAD as u64 * threads * BLOCK_RUNS;
        let kept = (self.keep.len() as u64 * saves).saturating_mul(8 * in_flight);
        bands.saturating_add(kept)
    }

    /// Why the sweep would not fit in [`MEMORY_LIMIT`] with `threads` workers, if it would not.
    pub fn memory_problem(&self, threads: usize) -> Option<String> {
        let needed = self.memory_needed(threads);
        (needed > MEMORY_LIMIT).then(|| {
            let gib = |bytes: u64| bytes as f64 / f64::from(1 << 30);
            let advice = match self.quantile_method() {
                QuantileMethod::Exact => "use fewer runs or band variables, or sketched quantiles",
                QuantileMethod::Sketch => "use fewer band variables, saved times (save_step) or kept variables",
            };
            format!(
                "the sweep needs at least {:.1} GiB, more than the {:.0} GiB allowed; {advice}",
                gib(needed),
                gib(MEMORY_LIMIT)
            )
        })
    }

    /// How the quantiles of this sweep's bands are computed.
    pub fn quantile_method(&self) -> QuantileMethod {
        self.quantiles.unwrap_or_else(|| QuantileMethod::for_values(self.band_values()))
    }

    /// Runs the sweep on the current rayon pool, handing each block to the sink in run order.
    pub fn run(&self, sink: &mut impl Sink, progress: &dyn Progress) -> Result<Summary, SweepError> {
        self.run_with::<LANES>(sink, progress, rayon::current_num_threads() * BLOCKS_PER_THREAD)
    }

    /// [`Sweep::run`], keeping what the bands are made of instead of reducing them: sweeps of
    /// consecutive run ranges that start on block boundaries (shards) append into the parts of
    /// one sweep over all their runs, whose bands are then the same bits (see [`BandParts`]).
    /// Set [`Sweep::quantiles`] to the whole sweep's method, which a shard alone cannot tell.
    ///
    /// With a `deadline`, no wave of blocks starts after it: the sweep may end early, on a block
    /// boundary, and returns the end of the runs it ran (with the parts and the failures).
    pub fn run_parts(
        &self,
        sink: &mut impl Sink,
        progress: &dyn Progress,
        deadline: Option<Instant>,
    ) -> Result<(BandParts, u64, u64), SweepError> {
        let wave = rayon::current_num_threads() * BLOCKS_PER_THREAD;
        let finished = self.run_blocks::<LANES>(sink, progress, wave, true, deadline)?;
        let (failures, end) = (finished.failures, finished.end);
        Ok((finished.parts(self.band_series(), self.save_times()), failures, end))
    }

    /// [`Sweep::run`] with `L` lanes per batch and `wave` blocks per wave: the output is the
    /// same for any choice (the determinism tests vary them).
    #[doc(hidden)]
    pub fn run_with<const L: usize>(
        &self,
        sink: &mut impl Sink,
        progress: &dyn Progress,
        wave: usize,
    ) -> Result<Summary, SweepError> {
        Ok(self.run_blocks::<L>(sink, progress, wave, false, None)?.summary())
    }

    /// Runs every block, hands it to the sink and folds its band moments; with
    /// `keep_block_moments`, also keeps each block's moments for [`BandParts`].
    fn run_blocks<const L: usize>(
        &self,
        sink: &mut impl Sink,
        progress: &dyn Progress,
        wave: usize,
        keep_block_moments: bool,
        deadline: Option<Instant>,
    ) -> Result<Finished, SweepError> {
        if self.model.time_is_computed() {
            return Err(SweepError::ComputedTime(computed_settings(self.model)));
        }
        if let Some(outcome) =
            self.outcomes.iter().find(|outcome| outcome.statistic.needs_loops() && outcome.loop_share.is_none())
        {
            return Err(SweepError::UnboundLoopShare(outcome.name.clone()));
        }
        // The runs compute only what the outcomes, bands and kept series depend on.
        let pruned = self.model.keeping(&self.observed());
        let sweep = Sweep { model: &pruned, ..self.clone() };
        sweep.run_pruned_blocks::<L>(sink, progress, wave, keep_block_moments, deadline)
    }

    /// The variables the sweep reads from its runs.
    pub fn observed(&self) -> Vec<VarId> {
        let outcomes = self.outcomes.iter().map(|outcome| outcome.variable);
        let mut observed: Vec<VarId> =
            outcomes.chain(self.bands.iter().copied()).chain(self.keep.iter().copied()).collect();
        observed.sort_unstable();
        observed.dedup();
        observed
    }

    fn run_pruned_blocks<const L: usize>(
        &self,
        sink: &mut impl Sink,
        progress: &dyn Progress,
        wave: usize,
        keep_block_moments: bool,
        deadline: Option<Instant>,
    ) -> Result<Finished, SweepError> {
        let method = self.quantile_method();
        // Settings the model cannot take fail here, before any run.
        Worker::<L>::new(self, method)?;
        let workers: Mutex<Vec<Worker<'_, L>>> = Mutex::new(Vec::new());
        let mut reducer = BandReducer::new(self.band_series(), self.save_times());
        let mut block_moments = Vec::new();
        let mut failures = 0;
        let blocks = if self.runs.is_empty() {
            0..0
        } else {
            self.runs.start / BLOCK_RUNS..(self.runs.end - 1) / BLOCK_RUNS + 1
        };
        // For exact quantiles every band value is kept: block by block in run order, each
        // block's stretch `points × its runs`, which the block's worker fills. The memory is
        // only committed as it is written.
        let points = self.band_series() * self.model.axis().save_count();
        let stretch_of = |block: u64| self.block_len(block) * points;
        let exact_values = if method == QuantileMethod::Exact { self.band_values() as usize } else { 0 };
        let mut store = ValueStore::zeroed(exact_values).map_err(SweepError::Memory)?;
        let wave = wave.max(1);
        let mut pending: Vec<Block> = Vec::new();
        let mut next = blocks.start;
        let mut unfilled = store.values_mut();
        let mut stopped = false;
        while (!stopped && next < blocks.end) || !pending.is_empty() {
            // One wave at least, so that every call makes progress.
            stopped = stopped || (next > blocks.start && deadline.is_some_and(|deadline| Instant::now() >= deadline));
            let this_wave = if stopped { next..next } else { next..(next + wave as u64).min(blocks.end) };
            next = this_wave.end;
            let mut stretches = Vec::new();
            if method == QuantileMethod::Exact {
                for block in this_wave.clone() {
                    let (stretch, rest) = std::mem::take(&mut unfilled).split_at_mut(stretch_of(block));
                    stretches.push(stretch);
                    unfilled = rest;
                }
            }
            let (computed, written) = rayon::join(
                || self.compute(this_wave, stretches, &workers, method, progress),
                || -> Result<u64, SweepError> {
                    let mut failed = 0;
                    for block in &pending {
                        sink.block(block)?;
                        failed += block.failures.len() as u64;
                        reducer.add_block(&block.moments);
                        if keep_block_moments {
                            block_moments.extend_from_slice(&block.moments);
                        }
                    }
                    Ok(failed)
                },
            );
            failures += written?;
            pending = computed?;
        }
        let histograms = workers
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .into_iter()
            .flat_map(|worker| worker.full.into_iter().chain([worker.histograms]))
            .collect();
        let block_runs: Vec<usize> = (blocks.start..next).map(|block| self.block_len(block)).collect();
        let filled = block_runs.iter().sum::<usize>() * points;
        let end = (next * BLOCK_RUNS).clamp(self.runs.start, self.runs.end);
        Ok(Finished { method, failures, reducer, store, filled, end, block_runs, block_moments, histograms })
    }

    fn compute<'s, const L: usize>(
        &'s self,
        blocks: Range<u64>,
        stretches: Vec<&mut [f64]>,
        workers: &Mutex<Vec<Worker<'s, L>>>,
        method: QuantileMethod,
        progress: &dyn Progress,
    ) -> Result<Vec<Block>, SweepError> {
        let mut stretches: Vec<Option<&mut [f64]>> = stretches.into_iter().map(Some).collect();
        stretches.resize_with(blocks.clone().count(), || None);
        stretches
            .into_par_iter()
            .enumerate()
            .map(|(position, values)| {
                let block = blocks.start + position as u64;
                let taken = workers.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
                let mut worker = match taken {
                    Some(worker) => worker,
                    None => Worker::new(self, method)?,
                };
                let result = worker.block(block, values);
                progress.advance(result.len as u64);
                workers.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(worker);
                Ok(result)
            })
            .collect()
    }
}

/// A sweep whose blocks have all run: its bands' moments folded, their values (exact
/// quantiles) or histograms (sketched ones) kept.
struct Finished {
    method: QuantileMethod,
    failures: u64,
    reducer: BandReducer,
    store: ValueStore,
    /// The values in the store, and the end of the runs that ran.
    filled: usize,
    end: u64,
    block_runs: Vec<usize>,
    /// Each block's moments, when asked for (sketched quantiles only).
    block_moments: Vec<Moments>,
    /// The workers' histogram sets (sketched quantiles only).
    histograms: Vec<Vec<LogHistogram>>,
}

impl Finished {
    fn summary(self) -> Summary {
        let quantiles = match self.method {
            QuantileMethod::Exact => Quantiles::Exact { values: self.store.values(), blocks: self.block_runs },
            QuantileMethod::Sketch => Quantiles::Sketch(self.histograms),
        };
        Summary { bands: self.reducer.finish(quantiles), quantiles: self.method, failures: self.failures }
    }

    fn parts(self, variables: usize, times: Vec<f64>) -> BandParts {
        match self.method {
            QuantileMethod::Exact => {
                BandParts::exact(variables, times, self.block_runs, Values::Stored(self.store, self.filled))
            }
            QuantileMethod::Sketch => {
                BandParts::sketch(variables, times, self.block_runs, self.block_moments, &self.histograms)
            }
        }
    }
}

/// One thread's batch and buffers, reused from block to block.
struct Worker<'s, const L: usize> {
    sweep: &'s Sweep<'s>,
    batch: Batch<'s, L>,
    /// The constants the design sets, and one row of their values.
    constants: Vec<usize>,
    row: Vec<f64>,
    accumulators: Vec<Accumulator<L>>,
    /// Band values at every saved time of the current batch: `[variable * saves + save][lane]`.
    band_values: Vec<[f64; L]>,
    /// Kept values of the current batch: `[save * keep + variable][lane]`.
    kept_values: Vec<[f64; L]>,
    /// For sketched quantiles, band values of up to `stretch_width` runs (see [`Worker::block`]).
    stretch: Vec<f64>,
    stretch_width: usize,
    /// For sketched quantiles, this worker's histogram of each point, and the values in them.
    histograms: Vec<LogHistogram>,
    counted: u64,
    keys: Vec<u32>,
    /// Histogram sets filled up to [`MAX_WORKER_VALUES`] and put aside.
    full: Vec<Vec<LogHistogram>>,
}

impl<'s, const L: usize> Worker<'s, L> {
    fn new(sweep: &'s Sweep<'s>, method: QuantileMethod) -> Result<Worker<'s, L>, SimError> {
        let mut batch = sweep.model.batch::<L>();
        // Every option's changes part-way must be possible before any is scheduled per batch.
        for setting in sweep.design.options().iter().flatten() {
            if let Some(time) = setting.from {
                batch.set_from(setting.constant, time, [setting.value; L])?;
            }
        }
        batch.clear_changes();
        for setting in sweep.settings {
            match setting.from {
                None => batch.set_all(setting.constant, setting.value),
                Some(time) => batch.set_from(setting.constant, time, [setting.value; L])?,
            }
        }
        let saves = sweep.model.axis().save_count();
        let points = sweep.band_series() * saves;
        // A whole number of batches and of the partial sums' width, so that batches fill it
        // exactly and every fold starts on partial 0.
        let unit = PARTIALS * L / gcd(PARTIALS, L);
        let stretch_width = (STRETCH_VALUES / points.max(1)).clamp(1, BLOCK_RUNS as usize).div_ceil(unit) * unit;
        Ok(Worker {
            sweep,
            batch,
            constants: sweep.design.constants(),
            row: vec![0.0; sweep.design.constants().len()],
            accumulators: Vec::with_capacity(sweep.outcomes.len()),
            band_values: vec![[0.0; L]; sweep.bands.len() * saves],
            kept_values: vec![[0.0; L]; saves * sweep.keep.len()],
            stretch: if method == QuantileMethod::Sketch { vec![0.0; points * stretch_width] } else { vec![] },
            stretch_width,
            histograms: if method == QuantileMethod::Sketch { vec![LogHistogram::default(); points] } else { vec![] },
            counted: 0,
            keys: Vec::with_capacity(BLOCK_RUNS as usize),
            full: Vec::new(),
        })
    }

    /// Runs block `index`. With exact quantiles, band values go to `values`, the block's
    /// stretch of the sweep's store (`values[point * runs + run]`, NaN for a failed run). With
    /// sketched ones they go to the worker's own stretch, a few hundred runs wide, which is
    /// folded into moments and histograms point by point whenever it fills, so that one point's
    /// histogram stays in cache while its values go in.
    fn block(&mut self, index: u64, mut values: Option<&mut [f64]>) -> Block {
        let sweep = self.sweep;
        let runs = sweep.block_runs(index);
        let (first, len) = (runs.start, (runs.end - runs.start) as usize);
        let factors = self.constants.len();
        let saves = sweep.model.axis().save_count();
        // The observer fills each band variable's values; each band group takes the values of
        // its own runs, with gaps (NaN, as for a failed run) for the others.
        let (groups, variable_points) = (sweep.band_groups(), self.band_values.len());
        let points = groups * variable_points;
        let keep = sweep.keep.len();
        let mut block = Block {
            first_run: first,
            len,
            inputs: vec![0.0; len * factors],
            outcomes: vec![f64::NAN; len * sweep.outcomes.len()],
            failures: Vec::new(),
            kept: vec![0.0; len * saves * keep],
            moments: Vec::new(),
        };
        let mut partials = vec![Partials::default(); if values.is_some() { 0 } else { points }];
        // The worker's stretch holds runs `folded..folded + width` of the block.
        let width = self.stretch_width;
        let mut folded = 0;

        for offset in (0..len).step_by(L) {
            let lanes = L.min(len - offset);
            prepare_batch(
                &mut self.batch,
                sweep.design,
                &self.constants,
                &mut self.row,
                first + offset as u64,
                lanes,
                &mut block.inputs[offset * factors..],
            );
            if !sweep.design.options().is_empty() {
                set_options(&mut self.batch, sweep, first + offset as u64, lanes);
            }
            let failures =
                run_batch(&mut self.batch, sweep, &mut self.accumulators, &mut self.band_values, &mut self.kept_values);
            for lane in 0..lanes {
                let run = offset + lane;
                match &failures[lane] {
                    Some(failure) => block.failures.push((first + run as u64, failure.clone())),
                    None => {
                        for (position, accumulator) in self.accumulators.iter().enumerate() {
                            block.outcomes[run * sweep.outcomes.len() + position] = accumulator.value(lane);
                        }
                    }
                }
                for (index, lane_values) in self.kept_values.iter().enumerate() {
                    block.kept[run * saves * keep + index] = lane_values[lane];
                }
            }
            // A loop's share needs the whole run analysed: each run again, alone, whole, once for
            // all the loops measured.
            if let Some(first_share) = sweep.outcomes.iter().find_map(|outcome| outcome.loop_share.as_ref()) {
                for lane in (0..lanes).filter(|&lane| failures[lane].is_none()) {
                    let run = first + (offset + lane) as u64;
                    let analysis = first_share.analyze(|batch| {
                        // In the order the sweep's own batches have them: the sweep's settings,
                        // then the run's row over them (a leverage design's row moves a lever
                        // whose baseline the settings hold), then the run's option.
                        for setting in sweep.settings {
                            match setting.from {
                                None => batch.set_all(setting.constant, setting.value),
                                Some(time) => batch.set_from(setting.constant, time, [setting.value])?,
                            }
                        }
                        let mut row = vec![0.0; factors];
                        prepare_batch(batch, sweep.design, &self.constants, &mut row, run, 1, &mut vec![0.0; factors]);
                        if !sweep.design.options().is_empty() {
                            set_options(batch, sweep, run, 1);
                        }
                        Ok(())
                    });
                    for (position, outcome) in sweep.outcomes.iter().enumerate() {
                        if let Some(loop_share) = &outcome.loop_share {
                            block.outcomes[(offset + lane) * sweep.outcomes.len() + position] =
                                loop_share.value(outcome.statistic, analysis.as_ref());
                        }
                    }
                }
            }
            let (stretch, row, start) = match values.as_deref_mut() {
                Some(values) => (values, len, offset),
                None => (&mut self.stretch[..], width, offset - folded),
            };
            let group_of: [usize; L] = std::array::from_fn(|lane| {
                if groups > 1 { sweep.design.grid_point(first + (offset + lane.min(lanes - 1)) as u64) } else { 0 }
            });
            for group in 0..groups {
                for (point, lane_values) in self.band_values.iter().enumerate() {
                    let point = group * variable_points + point;
                    for lane in 0..lanes {
                        let own = failures[lane].is_none() && group_of[lane] == group;
                        stretch[point * row + start + lane] = if own { lane_values[lane] } else { f64::NAN };
                    }
                }
            }
            let filled = offset + lanes - folded;
            if values.is_none() && (filled == width || offset + lanes == len) {
                for (point, histogram) in self.histograms.iter_mut().enumerate() {
                    let row = &self.stretch[point * width..point * width + filled];
                    partials[point].add_row(row);
                    histogram.insert_all(row, &mut self.keys);
                }
                folded += filled;
            }
        }
        // Exact quantiles take the moments from the stored values at the end.
        block.moments = partials.iter().map(Partials::moments).collect();
        if values.is_none() {
            if self.counted + BLOCK_RUNS > MAX_WORKER_VALUES {
                let empty = vec![LogHistogram::default(); points];
                self.full.push(std::mem::replace(&mut self.histograms, empty));
                self.counted = 0;
            }
            self.counted += len as u64;
        }
        block
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Sets each lane's inputs and random streams for runs `first..first + lanes`; lanes past the
/// end repeat the last run, and their results are dropped.
fn prepare_batch<const L: usize>(
    batch: &mut Batch<'_, L>,
    design: &dyn Inputs,
    constants: &[usize],
    row: &mut [f64],
    first: u64,
    lanes: usize,
    inputs: &mut [f64],
) {
    let factors = constants.len();
    let mut streams = [0u64; L];
    for lane in 0..L {
        let run = first + lane.min(lanes - 1) as u64;
        design.row(run, row);
        for (constant, value) in constants.iter().zip(row.iter()) {
            batch.set(lane, *constant, *value);
        }
        if lane < lanes {
            inputs[lane * factors..(lane + 1) * factors].copy_from_slice(row);
        }
        streams[lane] = design.stream(run);
    }
    batch.set_runs(design.seed(), streams);
}

/// Gives each lane of runs `first..first + lanes` the sweep's settings and its own option's
/// (lanes past the end repeat the last run). A change part-way is one value per lane: for each
/// constant and time that any lane changes, every lane's value from that time on (its own
/// latest setting of the constant up to then, else the value it starts with).
fn set_options<const L: usize>(batch: &mut Batch<'_, L>, sweep: &Sweep<'_>, first: u64, lanes: usize) {
    batch.clear_changes();
    // A lane keeps what the previous batch set: what any option sets goes back to the model's
    // value first.
    for setting in sweep.design.options().iter().flatten() {
        if let Some(constant) = sweep.model.constants().get(setting.constant) {
            batch.set_all(setting.constant, constant.default);
        }
    }
    let own: [&[Setting]; L] = std::array::from_fn(|lane| sweep.design.settings(first + lane.min(lanes - 1) as u64));
    let settings = |lane: usize| sweep.settings.iter().chain(own[lane]);
    for lane in 0..L {
        for setting in settings(lane).filter(|setting| setting.from.is_none()) {
            batch.set(lane, setting.constant, setting.value);
        }
    }
    let mut changes: Vec<(usize, f64)> = Vec::new();
    for lane in 0..L {
        for setting in settings(lane) {
            if let Some(time) = setting.from
                && !changes.iter().any(|&(constant, at)| constant == setting.constant && at == time)
            {
                changes.push((setting.constant, time));
            }
        }
    }
    changes.sort_by(|a, b| a.1.total_cmp(&b.1));
    for (constant, time) in changes {
        let Some(&start) = batch.constant(constant) else { continue };
        let values = std::array::from_fn(|lane| {
            settings(lane)
                .filter(|s| s.constant == constant && s.from.is_some_and(|from| from <= time))
                .max_by(|a, b| a.from.unwrap_or(f64::NEG_INFINITY).total_cmp(&b.from.unwrap_or(f64::NEG_INFINITY)))
                .map_or(start[lane], |s| s.value)
        });
        // Worker::new tried every option's changes, so this cannot fail.
        let _ = batch.set_from(constant, time, values);
    }
}

/// The time settings a model computes during the run, named with their variables.
pub fn computed_settings(model: &CompiledModel) -> String {
    let settings: Vec<String> = model
        .computed_settings()
        .into_iter()
        .map(|(key, variable)| format!("{key} (`{}`)", model.name(variable)))
        .collect();
    settings.join(", ")
}

/// Runs one batch, feeding the outcome accumulators and the band and kept buffers.
fn run_batch<const L: usize>(
    batch: &mut Batch<'_, L>,
    sweep: &Sweep<'_>,
    accumulators: &mut Vec<Accumulator<L>>,
    band_values: &mut [[f64; L]],
    kept_values: &mut [[f64; L]],
) -> [Option<Failure>; L] {
    let axis = sweep.model.axis();
    accumulators.clear();
    accumulators.extend(sweep.outcomes.iter().map(|outcome| {
        let target = match outcome.statistic {
            // The plan checked that the time is within the run; the last step may end short of it.
            Statistic::At(time) => (((time - axis.start) / axis.dt).round().max(0.0) as usize).min(axis.steps),
            _ => 0,
        };
        Accumulator::new(outcome.statistic, target)
    }));
    let mut observer = BatchObserver {
        sweep,
        last_step: axis.steps,
        dt: axis.dt,
        saves: axis.save_count(),
        accumulators,
        band_values,
        kept_values,
    };
    batch.run(&mut observer).clone()
}

/// Feeds one batch's steps to the outcome accumulators and its saved times to the buffers.
struct BatchObserver<'w, const L: usize> {
    sweep: &'w Sweep<'w>,
    last_step: usize,
    dt: f64,
    saves: usize,
    accumulators: &'w mut [Accumulator<L>],
    band_values: &'w mut [[f64; L]],
    kept_values: &'w mut [[f64; L]],
}

impl<const L: usize> Observer<L> for BatchObserver<'_, L> {
    const EVERY_STEP: bool = true;

    fn observe(&mut self, point: &Point<'_, L>) {
        for (outcome, accumulator) in self.sweep.outcomes.iter().zip(self.accumulators.iter_mut()) {
            accumulator.step(
                outcome.statistic,
                point.step,
                self.last_step,
                point.time,
                self.dt,
                point.get(outcome.variable),
            );
        }
        if let Some(save) = point.saved {
            for (index, &variable) in self.sweep.bands.iter().enumerate() {
                self.band_values[index * self.saves + save] = *point.get(variable);
            }
            let keep = self.sweep.keep.len();
            for (index, &variable) in self.sweep.keep.iter().enumerate() {
                self.kept_values[save * keep + index] = *point.get(variable);
            }
        }
    }
}
