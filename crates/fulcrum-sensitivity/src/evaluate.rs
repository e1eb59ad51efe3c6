//! Running a method's design on the model: every run's outcomes, and optionally one variable
//! at every saved time, collected in run order.

use fulcrum_explore::experiment::Setting;
use fulcrum_explore::sweep::{Block, Progress, Sink, Sweep, SweepError};
use fulcrum_explore::{Inputs, Outcome};
use fulcrum_sim::{CompiledModel, VarId};

/// What the runs of a design produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evaluation {
    /// Each run's outcomes: `outcomes[run * outcome_count + outcome]`; NaN for a failed run and
    /// for a threshold never crossed.
    pub outcomes: Vec<f64>,
    /// With a series variable, its value at each saved time: `series[run * saves + save]`
    /// (NaN for a failed run).
    pub series: Vec<f64>,
    /// Runs that produced NaN or infinity.
    pub failed_runs: u64,
}

impl Evaluation {
    /// The values of outcome `outcome` in run order.
    pub fn outcome(&self, outcome: usize, outcome_count: usize) -> Vec<f64> {
        self.outcomes.iter().skip(outcome).step_by(outcome_count.max(1)).copied().collect()
    }

    /// The values of the series at saved time `save`, in run order.
    pub fn at_save(&self, save: usize, saves: usize) -> Vec<f64> {
        self.series.iter().skip(save).step_by(saves.max(1)).copied().collect()
    }
}

/// Collects blocks in run order.
struct Collect<'a> {
    evaluation: &'a mut Evaluation,
    saves: usize,
}

impl Sink for Collect<'_> {
    fn block(&mut self, block: &Block) -> std::io::Result<()> {
        let evaluation = &mut *self.evaluation;
        evaluation.outcomes.extend_from_slice(&block.outcomes);
        let start = evaluation.series.len();
        evaluation.series.extend_from_slice(&block.kept);
        for (run, _) in &block.failures {
            let offset = start + (run - block.first_run) as usize * self.saves;
            if let Some(values) = evaluation.series.get_mut(offset..offset + self.saves) {
                values.fill(f64::NAN);
            }
        }
        evaluation.failed_runs += block.failures.len() as u64;
        Ok(())
    }
}

/// Runs `runs` rows of `inputs` with `settings` applied to every run, on the current rayon
/// pool; the result is the same bits for any number of threads.
pub fn evaluate(
    model: &CompiledModel,
    inputs: &dyn Inputs,
    runs: u64,
    settings: &[Setting],
    outcomes: &[Outcome],
    series: Option<VarId>,
    progress: &dyn Progress,
) -> Result<Evaluation, SweepError> {
    let keep: Vec<VarId> = series.into_iter().collect();
    let sweep = Sweep {
        model,
        design: inputs,
        settings,
        outcomes,
        bands: &[],
        bands_per_grid_point: false,
        keep: &keep,
        runs: 0..runs,
        quantiles: None,
    };
    let saves = if series.is_some() { model.axis().save_count() } else { 0 };
    let mut evaluation = Evaluation::default();
    sweep.run(&mut Collect { evaluation: &mut evaluation, saves }, progress)?;
    Ok(evaluation)
}
