//! One run at a time: the simple API, and the table of results it returns.

use fulcrum_model::VarId;

use crate::batch::{Batch, Point};
use crate::{CompiledModel, SimError};

/// Results bigger than this are refused before the run starts (4 GiB).
const MAX_RESULT_BYTES: f64 = 4.0 * 1024.0 * 1024.0 * 1024.0;

/// A single run of a compiled model: set constants, run, read the results.
pub struct Run<'m> {
    batch: Batch<'m, 1>,
}

impl<'m> Run<'m> {
    pub(crate) fn new(model: &'m CompiledModel) -> Run<'m> {
        Run { batch: Batch::new(model) }
    }

    /// Sets a constant by name (any spelling).
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), SimError> {
        let index = self.batch.model().constant_index(name)?;
        if !value.is_finite() {
            return Err(SimError::NotFinite { name: name.to_owned(), value });
        }
        self.batch.set_all(index, value);
        Ok(())
    }

    /// From `time` on, the constant `name` takes `value` (see [`Batch::set_from`]).
    pub fn set_from(&mut self, name: &str, time: f64, value: f64) -> Result<(), SimError> {
        let index = self.batch.model().constant_index(name)?;
        if !value.is_finite() {
            return Err(SimError::NotFinite { name: name.to_owned(), value });
        }
        self.batch.set_from(index, time, [value])
    }

    /// Seeds the random functions: this run draws from ChaCha8 stream `run_id` of `seed`.
    pub fn set_seed(&mut self, seed: u64, run_id: u64) {
        self.batch.set_runs(seed, [run_id]);
    }

    /// Runs the model and keeps every model variable.
    pub fn run(&mut self) -> Result<Results, SimError> {
        let variables = self.batch.model().output_variables();
        self.run_keeping(&variables)
    }

    /// Runs the model and keeps the given variables, in that order.
    pub fn run_keeping(&mut self, variables: &[VarId]) -> Result<Results, SimError> {
        let model = self.batch.model();
        if model.time_is_computed() {
            return self.run_keeping_computed(variables);
        }
        let count = model.axis().save_count();
        let bytes = count as f64 * (variables.len() + 1) as f64 * 8.0;
        if bytes > MAX_RESULT_BYTES {
            return Err(SimError::ResultsTooLarge {
                rows: count,
                columns: variables.len(),
                gib: bytes / 1024f64.powi(3),
            });
        }
        let mut results = Results {
            times: Vec::with_capacity(count),
            names: variables.iter().map(|&id| model.name(id).to_owned()).collect(),
            variables: variables.to_vec(),
            values: vec![0.0; count * variables.len()],
        };
        let mut keep = |point: &Point<'_, 1>| {
            let index = point.saved.unwrap_or(0);
            results.times.push(point.time);
            for (column, &variable) in variables.iter().enumerate() {
                if let Some(value) = results.values.get_mut(column * count + index) {
                    *value = point.get(variable)[0];
                }
            }
        };
        self.batch.run(&mut keep);
        match self.batch.lane_error(0) {
            Some(error) => Err(error),
            None => Ok(results),
        }
    }
}

impl Run<'_> {
    /// A run whose saved times are found as it goes: rows are kept as they come, then turned
    /// into columns.
    fn run_keeping_computed(&mut self, variables: &[VarId]) -> Result<Results, SimError> {
        let model = self.batch.model();
        let mut times = Vec::new();
        let mut rows = Vec::new();
        let mut too_large = false;
        let mut keep = |point: &Point<'_, 1>| {
            if point.lane_saved(0).is_none() || too_large {
                return;
            }
            times.push(point.lane_time(0));
            rows.extend(variables.iter().map(|&variable| point.get(variable)[0]));
            too_large = rows.len() as f64 * 8.0 > MAX_RESULT_BYTES;
        };
        self.batch.run(&mut keep);
        if let Some(error) = self.batch.lane_error(0) {
            return Err(error);
        }
        if too_large {
            return Err(SimError::ResultsTooLarge {
                rows: times.len(),
                columns: variables.len(),
                gib: rows.len() as f64 * 8.0 / 1024f64.powi(3),
            });
        }
        let count = times.len();
        let mut values = vec![0.0; count * variables.len()];
        for (row, chunk) in rows.chunks_exact(variables.len().max(1)).enumerate() {
            for (column, &value) in chunk.iter().enumerate() {
                values[column * count + row] = value;
            }
        }
        Ok(Results {
            times,
            names: variables.iter().map(|&id| model.name(id).to_owned()).collect(),
            variables: variables.to_vec(),
            values,
        })
    }
}

/// The saved values of one run: one column per variable, one row per saved time.
#[derive(Clone, Debug, PartialEq)]
pub struct Results {
    times: Vec<f64>,
    variables: Vec<VarId>,
    names: Vec<String>,
    /// Column-major: variable `v`'s series is `values[v * rows .. (v + 1) * rows]`.
    values: Vec<f64>,
}

impl Results {
    /// The saved times.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// The variables kept, in column order.
    pub fn variables(&self) -> &[VarId] {
        &self.variables
    }

    /// Their names as written in the model.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The series of column `column`.
    pub fn column(&self, column: usize) -> &[f64] {
        let rows = self.times.len();
        self.values.get(column * rows..(column + 1) * rows).unwrap_or(&[])
    }

    /// The series of the variable with this name (any spelling), if it was kept.
    pub fn series(&self, name: &str) -> Option<&[f64]> {
        let wanted = fulcrum_model::CanonicalName::new(name);
        let column = self.names.iter().position(|n| fulcrum_model::CanonicalName::new(n) == wanted)?;
        Some(self.column(column))
    }
}
