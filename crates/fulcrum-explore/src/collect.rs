//! A sweep kept in memory: every run's inputs, outcomes and failures, the kept trajectories
//! and the bands, for callers that want numbers rather than files (a notebook, a test). The
//! same runs give the same bits as the files a sweep writes.

use fulcrum_sim::Failure;

use crate::bands::{BandRow, QuantileMethod};
use crate::sweep::{Block, Progress, Sink, Sweep, SweepError};

/// What a sweep produced, in run order.
#[derive(Clone, Debug, Default)]
pub struct SweepResults {
    /// The first run's id.
    pub first_run: u64,
    /// How many runs.
    pub runs: u64,
    /// Each run's inputs, one per column of the design: `inputs[run * columns + column]`
    /// (`run` counted from [`SweepResults::first_run`]).
    pub inputs: Vec<f64>,
    /// Each run's outcomes: `outcomes[run * outcomes + outcome]`; NaN for a failed run and
    /// for a threshold never crossed.
    pub outcomes: Vec<f64>,
    /// The runs that produced NaN or infinity, by run id, with what failed.
    pub failures: Vec<(u64, Failure)>,
    /// The kept trajectories: `kept[(run * saves + save) * keep + variable]`; a failed run's
    /// values are those it reached before it stopped.
    pub kept: Vec<f64>,
    /// The bands: one row per band variable and saved time.
    pub bands: Vec<BandRow>,
    /// How the band quantiles were computed; `None` until the sweep has finished.
    pub quantiles: Option<QuantileMethod>,
}

/// A [`Sink`] that keeps every block in memory.
#[derive(Debug, Default)]
pub struct Collect {
    /// What the blocks held so far.
    pub results: SweepResults,
}

impl Sink for Collect {
    fn block(&mut self, block: &Block) -> std::io::Result<()> {
        let results = &mut self.results;
        if results.runs == 0 {
            results.first_run = block.first_run;
        }
        results.runs += block.len as u64;
        results.inputs.extend_from_slice(&block.inputs);
        results.outcomes.extend_from_slice(&block.outcomes);
        results.failures.extend(block.failures.iter().cloned());
        results.kept.extend_from_slice(&block.kept);
        Ok(())
    }
}

/// Two sinks fed the same blocks in turn: a sweep written to files and kept in memory at once
/// (`Tee(writer, Collect::default())`).
#[derive(Debug)]
pub struct Tee<A, B>(pub A, pub B);

impl<A: Sink, B: Sink> Sink for Tee<A, B> {
    fn block(&mut self, block: &Block) -> std::io::Result<()> {
        self.0.block(block)?;
        self.1.block(block)
    }
}

impl Sweep<'_> {
    /// Runs the sweep on the current rayon pool and keeps everything in memory. Mind the size:
    /// the inputs, outcomes and kept trajectories of every run are held at once.
    pub fn collect(&self, progress: &dyn Progress) -> Result<SweepResults, SweepError> {
        let mut sink = Collect::default();
        let summary = self.run(&mut sink, progress)?;
        let mut results = sink.results;
        results.first_run = if results.runs == 0 { self.runs.start } else { results.first_run };
        results.bands = summary.bands;
        results.quantiles = Some(summary.quantiles);
        Ok(results)
    }
}
