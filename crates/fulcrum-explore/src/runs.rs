//! The runs a sweep or an analysis makes: the rows (an experiment's sample, or a method's rows
//! written out), the settings every run gets, and what each stretch of runs is for.

use fulcrum_sim::{CompiledModel, VarId};

use crate::design::{Design, Inputs, Setting, Table};
use crate::experiment::{InterventionError, Plan};
use crate::outcome::Outcome;
use crate::sweep::Sweep;

/// The rows of a design and what every run gets.
#[derive(Clone, Debug)]
pub struct Runs {
    /// The rows.
    pub inputs: Rows,
    /// Settings every run gets (a table's options add their own).
    pub settings: Vec<Setting>,
    /// What the run ranges are, in order.
    pub parts: Vec<Part>,
    /// A variable whose trajectories an analysis reads (sensitivity over time).
    pub series: Option<VarId>,
}

/// A design's rows: an experiment's sample, or rows written out.
#[derive(Clone, Debug)]
pub enum Rows {
    /// The experiment's sampler (and grid).
    Sample(Design),
    /// A method's rows.
    Table(Table),
}

/// A named range of a design's runs (a comparison's option, leverage's lever pairs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// What the runs are.
    pub name: String,
    /// `[first, end)`.
    pub runs: [u64; 2],
}

impl Runs {
    /// For a design whose runs carry options of their own (a comparison: the baseline, then
    /// each intervention, one part each), the parts that name each run's option; none for any
    /// other design. experiments.csv writes the name in an `option` column.
    pub fn option_parts(&self) -> Option<&[Part]> {
        match &self.inputs {
            Rows::Table(table) if !table.option_of.is_empty() => Some(&self.parts),
            _ => None,
        }
    }

    /// The experiment's own sample, with the levers' baselines and the intervention named (if
    /// any) in every run: the runs of `fulcrum sweep`. The one part is named after the
    /// intervention, or `baseline`.
    pub fn sample(plan: &Plan, intervention: Option<&str>) -> Result<Runs, InterventionError> {
        let (settings, intervention) = plan.settings(intervention)?;
        let sample = plan.design.clone();
        let runs = sample.runs();
        let part = intervention.unwrap_or_else(|| "baseline".to_owned());
        Ok(Runs { inputs: Rows::Sample(sample), settings, parts: Runs::whole(&part, runs), series: None })
    }

    /// The rows as a sweep takes them.
    pub fn inputs(&self) -> &dyn Inputs {
        match &self.inputs {
            Rows::Sample(design) => design,
            Rows::Table(table) => table,
        }
    }

    /// How many runs.
    pub fn count(&self) -> u64 {
        match &self.inputs {
            Rows::Sample(design) => design.runs(),
            Rows::Table(table) => table.runs(),
        }
    }

    /// The constants the rows set, by name: the columns of experiments.csv after `run`.
    pub fn columns<'m>(&self, compiled: &'m CompiledModel) -> Vec<&'m str> {
        let constants = compiled.constants();
        self.inputs().constants().iter().map(|&c| constants.get(c).map_or("", |c| c.name.as_str())).collect()
    }

    /// One part covering every run.
    pub fn whole(name: &str, runs: u64) -> Vec<Part> {
        vec![Part { name: name.to_owned(), runs: [0, runs] }]
    }

    /// A sweep of every run, measuring `outcomes`, with bands of `bands` and the trajectories
    /// of `keep` (the series is not added: pass it in `keep` to have it).
    pub fn sweep<'a>(
        &'a self,
        model: &'a CompiledModel,
        outcomes: &'a [Outcome],
        bands: &'a [VarId],
        keep: &'a [VarId],
    ) -> Sweep<'a> {
        Sweep {
            model,
            design: self.inputs(),
            settings: &self.settings,
            outcomes,
            bands,
            // A design with a grid has bands per grid point, as bands.csv gives them.
            bands_per_grid_point: true,
            keep,
            runs: 0..self.count(),
            quantiles: None,
        }
    }
}
