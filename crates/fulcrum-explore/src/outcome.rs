//! Outcomes: one number per run, reduced while the run goes.

use std::fmt;
use std::str::FromStr;

use std::sync::Arc;

use fulcrum_model::ResolvedModel;
use fulcrum_sim::{Batch, CompiledModel, SimError, VarId};

/// How an outcome summarises a variable's trajectory. Every time step counts, whatever the
/// save interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Statistic {
    /// The value at the stop time.
    Final,
    /// The average of the values at every time step from start to stop.
    Mean,
    /// The smallest value.
    Min,
    /// The largest value.
    Max,
    /// The sum of value × dt over the steps before the stop time: the area under the curve as
    /// Euler integration accumulates it.
    Integral,
    /// The value at the step nearest this time.
    At(f64),
    /// The first time the value is above this threshold; empty if it never is.
    FirstAbove(f64),
    /// The first time the value is below this threshold; empty if it never is.
    FirstBelow(f64),
    /// A feedback loop's share of the behaviour: the mean of the magnitude of its relative loop
    /// score (Loops That Matter) over the saved times, in [0, 1]. Not a variable's statistic: the
    /// run is analysed again, whole, after the sweep's batch (see [`LoopShare`]).
    LoopShare(LoopId),
    /// The first time the loops that dominate change: the start of the period of dominance
    /// ([`fulcrum_loops::dominance_periods`]) after the first in which some loops dominate;
    /// empty if it never changes. Like a loop's share, from the run's own analysis.
    DominanceShift,
}

/// A loop's id as the baseline run's analysis gives it: `R1`, `B2`, `U3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopId {
    /// `R`, `B` or `U`.
    pub letter: char,
    /// The rank among the baseline's loops of that polarity, from 1.
    pub number: u32,
}

impl fmt::Display for LoopId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.letter, self.number)
    }
}

impl FromStr for LoopId {
    type Err = String;

    fn from_str(text: &str) -> Result<LoopId, String> {
        let text = text.trim();
        let mut chars = text.chars();
        let letter = chars.next().map(|c| c.to_ascii_uppercase());
        match (letter, chars.as_str().parse::<u32>()) {
            (Some(letter @ ('R' | 'B' | 'U')), Ok(number)) if number > 0 => Ok(LoopId { letter, number }),
            _ => Err(format!("`{text}` is not a loop id such as R1, B2 or U1 (as `fulcrum loops` names them)")),
        }
    }
}

/// What a [`Statistic::LoopShare`] outcome needs to analyse a run: the whole model (the
/// sweep's batches compute only what the other outcomes need) and the loop, by its variables
/// in order of influence ([`fulcrum_loops::ScoredLoop::key`]).
#[derive(Clone)]
pub struct LoopShare {
    /// The resolved model the loops are scored on.
    pub resolved: Arc<ResolvedModel>,
    /// The same model compiled whole, with the experiment's changing constants.
    pub compiled: Arc<CompiledModel>,
    /// The loop's key (empty for [`Statistic::DominanceShift`], which measures no one loop).
    pub key: Vec<String>,
}

impl LoopShare {
    /// The analysis of one run, set up by `setup`; `None` when the run cannot be analysed.
    pub fn analyze(
        &self,
        setup: impl FnOnce(&mut Batch<'_, 1>) -> Result<(), SimError>,
    ) -> Option<fulcrum_loops::Analysis> {
        fulcrum_loops::analyze_run(&self.resolved, &self.compiled, setup, &fulcrum_loops::Options::default()).ok()
    }

    /// The outcome in a run. A loop's share: the mean of |relative loop score| over the saved
    /// times, 0 when the run's analysis does not find the loop (the strongest-path search of a
    /// large model may not). The dominance shift: the start of the second period of dominance
    /// counted from the first in which some loops dominate, NaN (an empty cell) if there is none.
    /// NaN when the run could not be analysed.
    pub fn value(&self, statistic: Statistic, analysis: Option<&fulcrum_loops::Analysis>) -> f64 {
        let Some(analysis) = analysis else { return f64::NAN };
        match statistic {
            Statistic::DominanceShift => {
                let periods = fulcrum_loops::dominance_periods(analysis);
                let first = periods.iter().position(|period| !period.loops.is_empty());
                first.and_then(|first| periods.get(first + 1)).map_or(f64::NAN, |period| period.start)
            }
            _ => analysis.loops.iter().find(|scored| scored.key() == self.key).map_or(0.0, |scored| scored.mean_share),
        }
    }
}

impl fmt::Debug for LoopShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopShare").field("key", &self.key).finish_non_exhaustive()
    }
}

impl PartialEq for LoopShare {
    fn eq(&self, other: &LoopShare) -> bool {
        self.key == other.key && Arc::ptr_eq(&self.compiled, &other.compiled)
    }
}

impl Statistic {
    /// Whether the outcome is the time a threshold is first crossed, which is undefined (an
    /// empty cell) in a run that never crosses it.
    pub fn is_threshold(&self) -> bool {
        matches!(self, Statistic::FirstAbove(_) | Statistic::FirstBelow(_) | Statistic::DominanceShift)
    }

    /// Whether the outcome comes from the run's Loops That Matter analysis, not a variable.
    pub fn needs_loops(&self) -> bool {
        matches!(self, Statistic::LoopShare(_) | Statistic::DominanceShift)
    }
}

impl FromStr for Statistic {
    type Err = String;

    fn from_str(text: &str) -> Result<Statistic, String> {
        let text = text.trim();
        let number = |rest: &str| {
            rest.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| format!("`{rest}` is not a number"))
        };
        if let Some((name, rest)) = text.split_once(':') {
            return match name.trim().to_ascii_lowercase().as_str() {
                "at" => Ok(Statistic::At(number(rest)?)),
                "first_above" => Ok(Statistic::FirstAbove(number(rest)?)),
                "first_below" => Ok(Statistic::FirstBelow(number(rest)?)),
                "loop_share" => Ok(Statistic::LoopShare(rest.parse()?)),
                other => {
                    Err(format!("unknown statistic `{other}:`; use at:, first_above:, first_below: or loop_share:"))
                }
            };
        }
        match text.to_ascii_lowercase().as_str() {
            "final" => Ok(Statistic::Final),
            "mean" => Ok(Statistic::Mean),
            "min" => Ok(Statistic::Min),
            "max" => Ok(Statistic::Max),
            "integral" => Ok(Statistic::Integral),
            "dominance_shift" => Ok(Statistic::DominanceShift),
            _ => Err(format!(
                "unknown statistic `{text}`; use final, mean, min, max, integral, at:T, first_above:X, first_below:X, loop_share:ID or dominance_shift"
            )),
        }
    }
}

impl fmt::Display for Statistic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statistic::Final => f.write_str("final"),
            Statistic::Mean => f.write_str("mean"),
            Statistic::Min => f.write_str("min"),
            Statistic::Max => f.write_str("max"),
            Statistic::Integral => f.write_str("integral"),
            Statistic::At(time) => write!(f, "at:{time}"),
            Statistic::FirstAbove(threshold) => write!(f, "first_above:{threshold}"),
            Statistic::FirstBelow(threshold) => write!(f, "first_below:{threshold}"),
            Statistic::LoopShare(id) => write!(f, "loop_share:{id}"),
            Statistic::DominanceShift => f.write_str("dominance_shift"),
        }
    }
}

/// Which direction of an outcome is good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// More is better.
    Higher,
    /// Less is better.
    Lower,
}

impl FromStr for Better {
    type Err = String;

    fn from_str(text: &str) -> Result<Better, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "higher" => Ok(Better::Higher),
            "lower" => Ok(Better::Lower),
            _ => Err(format!("`{text}` is neither higher nor lower")),
        }
    }
}

/// An outcome bound to a model variable.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Its name, the column header in outcomes.csv.
    pub name: String,
    /// The variable it summarises.
    pub variable: VarId,
    /// How.
    pub statistic: Statistic,
    /// Which direction is good, if said.
    pub better: Option<Better>,
    /// For [`Statistic::LoopShare`], the loop and the model to find it in, bound by
    /// [`crate::Plan::bind_loop_shares`]; `variable` is then a variable on the loop.
    pub loop_share: Option<LoopShare>,
}

/// The running value of one outcome in every lane of a batch.
#[derive(Clone, Debug)]
pub(crate) struct Accumulator<const L: usize> {
    value: [f64; L],
    /// For `at:`, the step whose value is taken.
    target_step: usize,
}

impl<const L: usize> Accumulator<L> {
    pub(crate) fn new(statistic: Statistic, target_step: usize) -> Accumulator<L> {
        let start = match statistic {
            Statistic::Min => f64::INFINITY,
            Statistic::Max => f64::NEG_INFINITY,
            Statistic::FirstAbove(_)
            | Statistic::FirstBelow(_)
            | Statistic::At(_)
            | Statistic::Final
            | Statistic::LoopShare(_)
            | Statistic::DominanceShift => f64::NAN,
            Statistic::Mean | Statistic::Integral => 0.0,
        };
        Accumulator { value: [start; L], target_step }
    }

    /// Takes in the values at one time step.
    #[inline]
    pub(crate) fn step(
        &mut self,
        statistic: Statistic,
        step: usize,
        last_step: usize,
        time: f64,
        dt: f64,
        values: &[f64; L],
    ) {
        match statistic {
            Statistic::Final => {
                if step == last_step {
                    self.value = *values;
                }
            }
            Statistic::Mean => {
                for lane in 0..L {
                    self.value[lane] += values[lane];
                }
                if step == last_step {
                    let count = (last_step + 1) as f64;
                    for lane in 0..L {
                        self.value[lane] /= count;
                    }
                }
            }
            Statistic::Min => {
                for lane in 0..L {
                    self.value[lane] = self.value[lane].min(values[lane]);
                }
            }
            Statistic::Max => {
                for lane in 0..L {
                    self.value[lane] = self.value[lane].max(values[lane]);
                }
            }
            Statistic::Integral => {
                if step < last_step {
                    for lane in 0..L {
                        self.value[lane] += values[lane] * dt;
                    }
                }
            }
            Statistic::At(_) => {
                if step == self.target_step {
                    self.value = *values;
                }
            }
            Statistic::FirstAbove(threshold) => {
                for lane in 0..L {
                    if self.value[lane].is_nan() && values[lane] > threshold {
                        self.value[lane] = time;
                    }
                }
            }
            Statistic::FirstBelow(threshold) => {
                for lane in 0..L {
                    if self.value[lane].is_nan() && values[lane] < threshold {
                        self.value[lane] = time;
                    }
                }
            }
            // Computed per run from the run's own analysis, after the batch.
            Statistic::LoopShare(_) | Statistic::DominanceShift => {}
        }
    }

    pub(crate) fn value(&self, lane: usize) -> f64 {
        self.value[lane]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_read_and_print() {
        for text in [
            "final",
            "mean",
            "min",
            "max",
            "integral",
            "at:12",
            "first_above:100",
            "first_below:-0.5",
            "loop_share:R1",
            "loop_share:B12",
            "dominance_shift",
        ] {
            let statistic: Statistic = text.parse().expect("valid");
            assert_eq!(statistic.to_string(), text);
        }
        assert_eq!("AT: 3".parse::<Statistic>(), Ok(Statistic::At(3.0)));
        assert!("median".parse::<Statistic>().is_err());
        assert!("at:soon".parse::<Statistic>().is_err());
        assert!("above:3".parse::<Statistic>().is_err());
        assert_eq!("loop_share: b2".parse::<Statistic>(), Ok(Statistic::LoopShare(LoopId { letter: 'B', number: 2 })));
        for bad in ["loop_share:", "loop_share:X1", "loop_share:R0", "loop_share:R", "loop_share:1"] {
            assert!(bad.parse::<Statistic>().is_err(), "{bad}");
        }
    }

    #[test]
    fn accumulators_reduce_a_trajectory() {
        let trajectory = [3.0, 1.0, 4.0, 1.0, 5.0];
        let dt = 0.5;
        let result = |statistic: Statistic, target: usize| {
            let mut accumulator = Accumulator::<1>::new(statistic, target);
            for (step, value) in trajectory.iter().enumerate() {
                accumulator.step(statistic, step, 4, step as f64 * dt, dt, &[*value]);
            }
            accumulator.value(0)
        };
        assert_eq!(result(Statistic::Final, 0), 5.0);
        assert_eq!(result(Statistic::Mean, 0), 14.0 / 5.0);
        assert_eq!(result(Statistic::Min, 0), 1.0);
        assert_eq!(result(Statistic::Max, 0), 5.0);
        assert_eq!(result(Statistic::Integral, 0), (3.0 + 1.0 + 4.0 + 1.0) * dt);
        assert_eq!(result(Statistic::At(1.0), 2), 4.0);
        assert_eq!(result(Statistic::FirstAbove(3.5), 0), 1.0);
        assert_eq!(result(Statistic::FirstBelow(2.0), 0), 0.5);
        assert!(result(Statistic::FirstAbove(9.0), 0).is_nan());
    }
}
