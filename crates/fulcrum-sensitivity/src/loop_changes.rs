//! Which feedback loops an intervention or a lever strengthens or weakens, over futures: Loops
//! That Matter ([`fulcrum_loops`]) on the baseline and on each option in the same futures, with
//! the same random numbers, and the difference of each loop's mean share of the behaviour.
//!
//! A loop's share in one run is the mean of |relative loop score| over the saved times
//! ([`fulcrum_loops::ScoredLoop::mean_share`]); a loop a run's analysis does not find has a
//! share of 0 there. Over futures, the baseline's share, the option's share and their change
//! are the means over the futures in which both runs could be analysed. Loops are matched
//! across runs by their variables in order of influence ([`fulcrum_loops::ScoredLoop::key`]) and
//! named as the analysis of the nominal run names them (the baseline's settings without any
//! future's values: what `fulcrum loops --experiment` analyses), so R1 here is R1 there; a loop
//! the nominal run does not have takes the next free number of its polarity.
//!
//! Each analysis runs the whole model and scores every link at every step, about fifty plain
//! runs' work, so [`LoopDesign`] holds only the first few futures of an analysis
//! ([`DEFAULT_FUTURES`] unless the caller asks for more).

use std::collections::HashMap;

use fulcrum_explore::Setting;
use fulcrum_loops::{Analysis, LoopChange, LoopsError, Options, ScoredLoop, analyze_run};
use fulcrum_model::ResolvedModel;
use fulcrum_sim::{Batch, CompiledModel, SimError};
use rayon::prelude::*;

use crate::table::{Column, ResultTable};

/// The futures averaged over unless the caller asks otherwise: enough for a mean that does
/// not hang on one future, few enough that the analyses take about as long as the analysis
/// they accompany.
pub const DEFAULT_FUTURES: u64 = 10;

/// The runs a loop comparison analyses: each future once under the baseline and once under
/// each option.
#[derive(Clone, Debug, PartialEq)]
pub struct LoopDesign {
    /// The constants each future sets (positions among the compiled model's constants).
    pub constants: Vec<usize>,
    /// The futures' values: `constants.len()` per future, in future order.
    pub rows: Vec<f64>,
    /// Each future's random stream.
    pub streams: Vec<u64>,
    /// The master seed of the in-model random numbers.
    pub seed: u64,
    /// What the baseline sets on top of each future's values.
    pub baseline: Vec<Setting>,
    /// Each option's name and what it sets on top of each future's values, in place of the
    /// baseline's settings.
    pub options: Vec<(String, Vec<Setting>)>,
}

impl LoopDesign {
    /// How many futures.
    pub fn futures(&self) -> usize {
        self.streams.len()
    }

    /// The analyses this design makes: the nominal run, then every future under the baseline
    /// and under each option.
    pub fn analyses(&self) -> usize {
        1 + self.futures() * (1 + self.options.len())
    }

    /// Prepares a run: future `future`'s values and random stream (none for the nominal run),
    /// then `settings`.
    fn setup<'a>(
        &'a self,
        future: Option<usize>,
        settings: &'a [Setting],
    ) -> impl FnOnce(&mut Batch<'_, 1>) -> Result<(), SimError> + 'a {
        move |batch| {
            if let Some(future) = future {
                let width = self.constants.len();
                let row = self.rows.get(future * width..(future + 1) * width).unwrap_or(&[]);
                for (&constant, &value) in self.constants.iter().zip(row) {
                    batch.set(0, constant, value);
                }
                batch.set_runs(self.seed, [self.streams[future]]);
            }
            for setting in settings {
                match setting.from {
                    Some(time) => batch.set_from(setting.constant, time, [setting.value])?,
                    None => batch.set(0, setting.constant, setting.value),
                }
            }
            Ok(())
        }
    }
}

/// One option's loop changes from the baseline.
#[derive(Clone, Debug)]
pub struct OptionLoopChanges {
    /// The option (an intervention, a lever).
    pub option: String,
    /// Every loop of any run, the most strengthened first: the means over futures of the
    /// baseline's share and the option's.
    pub changes: Vec<LoopChange>,
    /// The futures averaged over: those in which both runs could be analysed.
    pub futures: usize,
}

/// The loop changes of every option.
#[derive(Clone, Debug)]
pub struct LoopChanges {
    /// One per option, in the design's order.
    pub options: Vec<OptionLoopChanges>,
    /// The futures asked for.
    pub futures: usize,
}

/// Analyses the design's runs (in parallel on the current rayon pool) and averages each
/// loop's share over the futures. `compiled` must be compiled from `model` whole.
///
/// An error analysing the nominal run is the result's (a model without loops, loops that
/// cannot be scored). A run that fails afterwards leaves its future out of its option's
/// means, and out of the baseline's means for that option.
pub fn loop_changes(
    model: &ResolvedModel,
    compiled: &CompiledModel,
    design: &LoopDesign,
) -> Result<LoopChanges, LoopsError> {
    let options = Options::default();
    let nominal = analyze_run(model, compiled, design.setup(None, &design.baseline), &options)?;
    // Every run but the nominal one, future by future: the baseline, then each option.
    let per_future = 1 + design.options.len();
    let runs: Vec<Option<Analysis>> = (0..design.futures() * per_future)
        .into_par_iter()
        .map(|run| {
            let (future, which) = (run / per_future, run % per_future);
            let settings = if which == 0 { &design.baseline } else { &design.options[which - 1].1 };
            match analyze_run(model, compiled, design.setup(Some(future), settings), &options) {
                Ok(analysis) => Ok(Some(analysis)),
                // A run that fails, or that has no loop active at all, is one future left out.
                Err(LoopsError::Simulation(_) | LoopsError::NoLoops) => Ok(None),
                Err(other) => Err(other),
            }
        })
        .collect::<Result<_, _>>()?;
    let options = design
        .options
        .iter()
        .enumerate()
        .map(|(index, (name, _))| {
            let pairs = (0..design.futures()).filter_map(|future| {
                let base = runs[future * per_future].as_ref()?;
                let other = runs[future * per_future + 1 + index].as_ref()?;
                Some((base, other))
            });
            let (changes, futures) = average(pairs, &nominal);
            OptionLoopChanges { option: name.clone(), changes, futures }
        })
        .collect();
    Ok(LoopChanges { options, futures: design.futures() })
}

/// The mean share of every loop in each side of the pairs, with the nominal analysis's ids,
/// the most strengthened first; and how many pairs.
fn average<'a>(
    pairs: impl Iterator<Item = (&'a Analysis, &'a Analysis)>,
    nominal: &Analysis,
) -> (Vec<LoopChange>, usize) {
    // Loops by key in the order first met, so that the result never depends on a hash order.
    let mut order: Vec<Vec<String>> = Vec::new();
    let mut sums: HashMap<Vec<String>, (ScoredLoop, f64, f64)> = HashMap::new();
    let mut count = 0usize;
    for (base, other) in pairs {
        count += 1;
        for (side, analysis) in [(0, base), (1, other)] {
            for scored in &analysis.loops {
                let key = scored.key();
                let entry = sums.entry(key.clone()).or_insert_with(|| {
                    order.push(key);
                    (scored.clone(), 0.0, 0.0)
                });
                if side == 0 {
                    entry.1 += scored.mean_share;
                } else {
                    entry.2 += scored.mean_share;
                }
            }
        }
    }
    let divisor = count.max(1) as f64;
    let mut averaged: Vec<(ScoredLoop, f64, f64)> = order
        .iter()
        .filter_map(|key| sums.remove(key))
        .map(|(scored, base, other)| (scored, base / divisor, other / divisor))
        .collect();
    // Ids as the nominal run gives them; loops it lacks numbered by their baseline share.
    averaged.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| b.2.total_cmp(&a.2)));
    let mut named = Analysis {
        times: Vec::new(),
        loops: averaged.iter().map(|(scored, _, _)| scored.clone()).collect(),
        discovery: nominal.discovery,
    };
    named.align_ids(nominal);
    let mut changes: Vec<LoopChange> = named
        .loops
        .into_iter()
        .zip(&averaged)
        .map(|(scored, &(_, baseline_share, share))| LoopChange { scored, baseline_share, share })
        .collect();
    changes.sort_by(|a, b| b.change().total_cmp(&a.change()));
    (changes, count)
}

impl LoopChanges {
    /// The columns of loop_changes.csv after the option's, which is named `option_column`
    /// (`intervention`, `lever`).
    pub const HEADER: [&'static str; 7] =
        ["loop", "polarity", "baseline_share", "share", "change", "futures", "variables"];

    /// loop_changes.csv: one row per option and loop, the options in order and each one's
    /// most strengthened loop first.
    pub fn table(&self, option_column: &'static str) -> ResultTable {
        let rows: Vec<(&OptionLoopChanges, &LoopChange)> =
            self.options.iter().flat_map(|option| option.changes.iter().map(move |change| (option, change))).collect();
        let [id, polarity, baseline_share, share, change, futures, variables] = LoopChanges::HEADER;
        ResultTable {
            columns: vec![
                Column::text(option_column, rows.iter().map(|(option, _)| option.option.clone())),
                Column::text(id, rows.iter().map(|(_, change)| change.scored.id.clone())),
                Column::text(polarity, rows.iter().map(|(_, change)| change.scored.polarity.word().to_owned())),
                Column::number(baseline_share, rows.iter().map(|(_, change)| change.baseline_share)),
                Column::number(share, rows.iter().map(|(_, change)| change.share)),
                Column::number(change, rows.iter().map(|(_, change)| change.change())),
                Column::count(futures, rows.iter().map(|(option, _)| Some(option.futures))),
                Column::text(variables, rows.iter().map(|(_, change)| change.scored.variables.join(" -> "))),
            ],
        }
    }
}
