//! PRIM scenario discovery (the patient rule induction method of Friedman and Fisher, in the form
//! Bryant and Lempert use for scenario discovery and EMA Workbench implements).
//!
//! The input is plain numbers: named numeric columns of equal length (one row per run of a sweep)
//! and one boolean per row saying whether that run is a case of interest (the plan failed, the
//! backlog grew past a limit). [`discover`] grows a trajectory of nested boxes over the inputs:
//!
//! - **peeling** removes, one step at a time, the slice of `peel_alpha` of the box's rows at the
//!   low or the high end of one input, whichever raises the share of cases of interest most per
//!   row removed (EMA Workbench's default "lenient 1" objective), while the box keeps at least
//!   `mass_min` of all rows;
//! - **pasting** then widens a restricted limit again by `paste_alpha` of the rows just outside it
//!   while that raises the share further.
//!
//! Each box on the [`Trajectory`] carries its coverage (share of all cases of interest inside),
//! density (share of the box's rows that are cases of interest), mass (share of all rows inside) and
//! number of restricted inputs. The selected box is the last one whose density is at or above the
//! threshold. Every accepted peel and paste raises the density, so that is the final box whenever
//! any box reaches the threshold, as in EMA Workbench (which takes the final box, and reports no
//! box when it falls short). [`Discovery::quasi_p`] tests each restriction of a box (a one-sided binomial test of
//! the box's cases of interest against the density the box would have without that limit) and
//! [`Discovery::ranking`] orders the inputs by how differently they are distributed in the cases of
//! interest and in the other rows (regional sensitivity analysis: the Kolmogorov–Smirnov distance).
//!
//! Every input is treated as a real number: an integer-valued input gets limits that may fall
//! between two integers (halfway between the two values either side of a cut). Categorical inputs
//! are not supported. The computation is sequential and a pure function of its inputs.
//!
//! ```text
//! let inputs = Inputs::new(names, columns)?;
//! let found = discover(&inputs, &cases, &Options::default())?;
//! let chosen = found.selected();          // index into found.trajectory
//! let limits = &found.trajectory[chosen.unwrap()].limits;
//! ```

pub mod condition;
mod quasi_p;

use thiserror::Error;

/// What went wrong before or during a discovery; each variant names the column, row or option.
#[derive(Clone, Debug, PartialEq, Error)]
#[non_exhaustive]
pub enum PrimError {
    /// There are no input columns to restrict.
    #[error("no input columns: scenario discovery needs at least one uncertain input")]
    NoInputs,
    /// There are no rows.
    #[error("no rows: scenario discovery needs at least one run")]
    NoRows,
    /// Two input names are the same.
    #[error("input `{name}` is named twice")]
    DuplicateInput {
        /// The repeated name.
        name: String,
    },
    /// A column's length differs from the first column's or from the number of cases.
    #[error("input `{name}` has {len} values, expected {expected} (one per row)")]
    Length {
        /// The column.
        name: String,
        /// Its length.
        len: usize,
        /// The number of rows.
        expected: usize,
    },
    /// An input value is NaN or infinite.
    #[error("input `{name}` is not a finite number in row {row}: {value}")]
    NotFinite {
        /// The column.
        name: String,
        /// The row, counted from 0.
        row: usize,
        /// The value.
        value: f64,
    },
    /// No row is a case of interest.
    #[error("no row is a case of interest ({rows} rows): there is nothing to explain")]
    NoCases {
        /// How many rows there are.
        rows: usize,
    },
    /// Every row is a case of interest.
    #[error("every row ({rows}) is a case of interest: there is nothing to tell apart")]
    AllCases {
        /// How many rows there are.
        rows: usize,
    },
    /// An option is outside its range.
    #[error("{name} is {value}, it must be {range}")]
    Option {
        /// The option (`peel_alpha`, `paste_alpha`, `mass_min`, `threshold`).
        name: &'static str,
        /// The value given.
        value: f64,
        /// The allowed range in words.
        range: &'static str,
    },
}

/// The inputs: named numeric columns of equal length, checked once.
#[derive(Clone, Debug)]
pub struct Inputs {
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
    rows: usize,
}

impl Inputs {
    /// Checks that the names are distinct, the columns equally long and every value finite.
    pub fn new(names: Vec<String>, columns: Vec<Vec<f64>>) -> Result<Inputs, PrimError> {
        if names.is_empty() || columns.is_empty() {
            return Err(PrimError::NoInputs);
        }
        let rows = columns[0].len();
        for (index, name) in names.iter().enumerate() {
            if names[..index].contains(name) {
                return Err(PrimError::DuplicateInput { name: name.clone() });
            }
        }
        for (index, column) in columns.iter().enumerate() {
            let name = names.get(index).cloned().unwrap_or_else(|| format!("column {}", index + 1));
            if column.len() != rows || names.len() != columns.len() {
                return Err(PrimError::Length { name, len: column.len(), expected: rows });
            }
            if let Some((row, &value)) = column.iter().enumerate().find(|(_, value)| !value.is_finite()) {
                return Err(PrimError::NotFinite { name, row, value });
            }
        }
        if rows == 0 {
            return Err(PrimError::NoRows);
        }
        Ok(Inputs { names, columns, rows })
    }

    /// The input names, in column order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// One input's values, one per row.
    pub fn column(&self, index: usize) -> &[f64] {
        &self.columns[index]
    }

    /// How many rows there are.
    pub fn rows(&self) -> usize {
        self.rows
    }
}

/// The knobs of PRIM, with EMA Workbench's defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// Share of a box's rows removed by one peel (default 0.05).
    pub peel_alpha: f64,
    /// Share of the rows just outside a limit added back by one paste (default 0.05).
    pub paste_alpha: f64,
    /// The smallest share of all rows a box may hold (default 0.05).
    pub mass_min: f64,
    /// The density a box must reach to be selected (default 0.8).
    pub threshold: f64,
}

impl Default for Options {
    fn default() -> Options {
        Options { peel_alpha: 0.05, paste_alpha: 0.05, mass_min: 0.05, threshold: 0.8 }
    }
}

impl Options {
    /// Checks every option's range.
    pub fn check(&self) -> Result<(), PrimError> {
        let open = |name, value: f64| {
            if value > 0.0 && value < 0.5 {
                Ok(())
            } else {
                Err(PrimError::Option { name, value, range: "above 0 and below 0.5" })
            }
        };
        open("peel_alpha", self.peel_alpha)?;
        open("paste_alpha", self.paste_alpha)?;
        if !(self.mass_min > 0.0 && self.mass_min < 1.0) {
            return Err(PrimError::Option { name: "mass_min", value: self.mass_min, range: "above 0 and below 1" });
        }
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(PrimError::Option { name: "threshold", value: self.threshold, range: "above 0 and at most 1" });
        }
        Ok(())
    }
}

/// One input's limits in a box: the rows inside have `low <= value <= high`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limit {
    /// The lower limit.
    pub low: f64,
    /// The upper limit.
    pub high: f64,
}

/// One box of the trajectory and its statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct BoxStats {
    /// Share of all cases of interest that fall inside the box.
    pub coverage: f64,
    /// Share of the box's rows that are cases of interest.
    pub density: f64,
    /// Share of all rows that fall inside the box.
    pub mass: f64,
    /// How many inputs the box restricts (limits differ from the data's range).
    pub restricted: usize,
    /// Rows inside the box.
    pub rows: usize,
    /// Cases of interest inside the box.
    pub cases: usize,
    /// Each input's limits, in input order.
    pub limits: Vec<Limit>,
}

impl BoxStats {
    /// Whether input `index` is restricted in this box, given the data's range.
    pub fn is_restricted(&self, index: usize, range: &[Limit]) -> bool {
        self.limits[index] != range[index]
    }
}

/// The quasi-p-values of one restricted input: one per restricted side (`None` where the side
/// keeps the data's range).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuasiP {
    /// The input's index.
    pub input: usize,
    /// The test of the lower limit.
    pub low: Option<f64>,
    /// The test of the upper limit.
    pub high: Option<f64>,
}

/// One input's place in the feature ranking.
#[derive(Clone, Debug, PartialEq)]
pub struct Feature {
    /// The input's index.
    pub input: usize,
    /// The Kolmogorov–Smirnov distance between the input's values in the cases of interest and in
    /// the other rows (0: same distribution, 1: fully separated).
    pub score: f64,
}

/// The peeling and pasting trajectory of one discovery.
pub type Trajectory = Vec<BoxStats>;

/// The result of [`discover`]: the trajectory, the data's range and what is needed to test boxes.
#[derive(Clone, Debug)]
pub struct Discovery {
    /// The boxes in the order PRIM made them: the whole data first, then each peel, then each paste.
    pub trajectory: Trajectory,
    /// How many of the boxes came from peeling (the rest, after them, from pasting), counting the
    /// first box.
    pub peeled: usize,
    /// The data's range per input (the first box's limits).
    pub range: Vec<Limit>,
    /// The options used.
    pub options: Options,
    inputs: Inputs,
    cases: Vec<bool>,
}

/// Runs PRIM's peeling and pasting over `inputs` for the rows where `cases` is true.
pub fn discover(inputs: &Inputs, cases: &[bool], options: &Options) -> Result<Discovery, PrimError> {
    options.check()?;
    if cases.len() != inputs.rows {
        return Err(PrimError::Length { name: "case of interest".into(), len: cases.len(), expected: inputs.rows });
    }
    let total_cases = cases.iter().filter(|&&case| case).count();
    if total_cases == 0 {
        return Err(PrimError::NoCases { rows: inputs.rows });
    }
    if total_cases == inputs.rows {
        return Err(PrimError::AllCases { rows: inputs.rows });
    }
    let range: Vec<Limit> = inputs
        .columns
        .iter()
        .map(|column| {
            let low = column.iter().copied().fold(f64::INFINITY, f64::min);
            let high = column.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            Limit { low, high }
        })
        .collect();
    let mut search = Search { inputs, cases, options, range: &range, total_cases, trajectory: Vec::new() };
    let all: Vec<usize> = (0..inputs.rows).collect();
    search.push(range.clone(), &all);
    let peeled_rows = search.peel(all);
    let peeled = search.trajectory.len();
    search.paste(peeled_rows);
    let trajectory = search.trajectory;
    Ok(Discovery { trajectory, peeled, range, options: *options, inputs: inputs.clone(), cases: cases.to_vec() })
}

impl Discovery {
    /// The selected box: the last one on the trajectory whose density is at or above the threshold,
    /// `None` when no box reaches it.
    pub fn selected(&self) -> Option<usize> {
        self.trajectory.iter().rposition(|stats| stats.density >= self.options.threshold)
    }

    /// The input names, in column order.
    pub fn names(&self) -> &[String] {
        &self.inputs.names
    }

    /// Whether input `index` is restricted in box `box_index`.
    pub fn is_restricted(&self, box_index: usize, index: usize) -> bool {
        self.trajectory[box_index].is_restricted(index, &self.range)
    }

    /// The quasi-p-values of each input restricted in box `box_index` (Bryant and Lempert 2010): for
    /// each restricted side, the probability of seeing at least the box's cases of interest among
    /// its rows if cases occurred at the density of the box with that side's limit removed (a
    /// one-sided binomial test). Small values mean the limit matters.
    pub fn quasi_p(&self, box_index: usize) -> Vec<QuasiP> {
        let stats = &self.trajectory[box_index];
        let restricted: Vec<usize> =
            (0..self.range.len()).filter(|&index| self.is_restricted(box_index, index)).collect();
        let table = quasi_p::LogFactorials::new(stats.rows);
        let side = |input: usize, lower: bool| {
            let mut limits = stats.limits.clone();
            if lower {
                if limits[input].low == self.range[input].low {
                    return None;
                }
                limits[input].low = self.range[input].low;
            } else {
                if limits[input].high == self.range[input].high {
                    return None;
                }
                limits[input].high = self.range[input].high;
            }
            let (rows, cases) = self.count_inside(&limits, &restricted);
            let share = cases as f64 / rows as f64;
            Some(table.upper_tail(stats.cases, stats.rows, share))
        };
        restricted.iter().map(|&input| QuasiP { input, low: side(input, true), high: side(input, false) }).collect()
    }

    /// The inputs ordered by their Kolmogorov–Smirnov distance between the cases of interest and the
    /// other rows, largest first (ties in input order).
    pub fn ranking(&self) -> Vec<Feature> {
        let mut features: Vec<Feature> = (0..self.range.len())
            .map(|input| Feature { input, score: ks_distance(&self.inputs.columns[input], &self.cases) })
            .collect();
        features.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.input.cmp(&b.input)));
        features
    }

    /// Box `box_index`'s restrictions in words, input by input in column order: `x1 > 0.711`,
    /// `0.2 < x3 < 0.5`, `x2 < 0.277` (limits to three significant digits); empty when the box
    /// restricts nothing.
    pub fn restrictions(&self, box_index: usize) -> Vec<String> {
        let stats = &self.trajectory[box_index];
        let mut words = Vec::new();
        for (input, name) in self.inputs.names.iter().enumerate() {
            let limit = stats.limits[input];
            let range = self.range[input];
            let low = limit.low != range.low;
            let high = limit.high != range.high;
            match (low, high) {
                (true, true) => {
                    words.push(format!("{} < {name} < {}", significant(limit.low), significant(limit.high)))
                }
                (true, false) => words.push(format!("{name} > {}", significant(limit.low))),
                (false, true) => words.push(format!("{name} < {}", significant(limit.high))),
                (false, false) => {}
            }
        }
        words
    }

    fn count_inside(&self, limits: &[Limit], inputs: &[usize]) -> (usize, usize) {
        let mut rows = 0;
        let mut cases = 0;
        for row in 0..self.inputs.rows {
            if inside(&self.inputs.columns, limits, inputs, row) {
                rows += 1;
                cases += usize::from(self.cases[row]);
            }
        }
        (rows, cases)
    }
}

/// A number to three significant digits, without trailing zeros.
pub fn significant(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let digits = 2 - value.abs().log10().floor() as i32;
    let text = if digits > 0 { format!("{value:.*}", digits as usize) } else { format!("{:.0}", value) };
    let text = if digits > 0 && text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    };
    if digits < 0 {
        let scale = 10f64.powi(-digits);
        return format!("{}", (value / scale).round() * scale);
    }
    text
}

fn inside(columns: &[Vec<f64>], limits: &[Limit], inputs: &[usize], row: usize) -> bool {
    inputs.iter().all(|&input| {
        let value = columns[input][row];
        limits[input].low <= value && value <= limits[input].high
    })
}

/// The largest gap between the empirical distribution functions of `values` in the rows where
/// `cases` is true and in the others.
fn ks_distance(values: &[f64], cases: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let total_cases = cases.iter().filter(|&&case| case).count() as f64;
    let total_others = values.len() as f64 - total_cases;
    let (mut seen_cases, mut seen_others, mut distance) = (0.0_f64, 0.0_f64, 0.0_f64);
    for (position, &row) in order.iter().enumerate() {
        if cases[row] {
            seen_cases += 1.0;
        } else {
            seen_others += 1.0;
        }
        // Compare the distribution functions only between distinct values.
        let next_differs = order.get(position + 1).is_none_or(|&next| values[next] != values[row]);
        if next_differs {
            distance = distance.max((seen_cases / total_cases - seen_others / total_others).abs());
        }
    }
    distance
}

/// The quantile of PRIM's peels and pastes (as in sdtoolkit and EMA Workbench): the midpoint of the
/// two sorted values around position `(n - 1) q`, moved outwards past ties so that the cut falls
/// between two distinct values where there are any.
fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    sorted_quantile(values, q)
}

/// [`quantile`] of values already sorted.
fn sorted_quantile(values: &[f64], q: f64) -> f64 {
    let last = values.len() - 1;
    let position = last as f64 * q;
    let mut lower = position.floor() as usize;
    let mut higher = position.ceil() as usize;
    if q > 0.5 {
        while values[lower] == values[higher] && lower > 0 {
            lower -= 1;
        }
    } else {
        while values[lower] == values[higher] && higher < last {
            higher += 1;
        }
    }
    (values[lower] + values[higher]) / 2.0
}

struct Search<'a> {
    inputs: &'a Inputs,
    cases: &'a [bool],
    options: &'a Options,
    range: &'a [Limit],
    total_cases: usize,
    trajectory: Trajectory,
}

/// A candidate box: its limits and the rows inside.
struct Candidate {
    objective: f64,
    unrestricted: usize,
    limits: Vec<Limit>,
    rows: Vec<usize>,
}

impl Search<'_> {
    fn count_cases(&self, rows: &[usize]) -> usize {
        rows.iter().filter(|&&row| self.cases[row]).count()
    }

    fn mean(&self, rows: &[usize]) -> f64 {
        if rows.is_empty() { 0.0 } else { self.count_cases(rows) as f64 / rows.len() as f64 }
    }

    fn restricted(&self, limits: &[Limit]) -> usize {
        limits.iter().zip(self.range).filter(|(limit, range)| limit != range).count()
    }

    fn push(&mut self, limits: Vec<Limit>, rows: &[usize]) {
        let cases = self.count_cases(rows);
        let total = self.inputs.rows as f64;
        self.trajectory.push(BoxStats {
            coverage: cases as f64 / self.total_cases as f64,
            density: cases as f64 / rows.len() as f64,
            mass: rows.len() as f64 / total,
            restricted: self.restricted(&limits),
            rows: rows.len(),
            cases,
            limits,
        });
    }

    /// The gain in the share of cases of interest per row removed or added (EMA Workbench's
    /// "lenient 1" objective); 0 when the share does not change.
    fn objective(&self, old: &[usize], new: &[usize]) -> f64 {
        let mean_old = self.mean(old);
        let mean_new = self.mean(new);
        if mean_old == mean_new || old.len() == new.len() {
            return 0.0;
        }
        (mean_new - mean_old) / old.len().abs_diff(new.len()) as f64
    }

    fn candidate(&self, old: &[usize], limits: Vec<Limit>, rows: Vec<usize>) -> Candidate {
        let objective = self.objective(old, &rows);
        let unrestricted = self.range.len() - self.restricted(&limits);
        Candidate { objective, unrestricted, limits, rows }
    }

    /// The best candidate: the largest objective, then the most unrestricted inputs, then the first
    /// made.
    fn best(candidates: Vec<Candidate>) -> Option<Candidate> {
        let mut best: Option<Candidate> = None;
        for candidate in candidates {
            let better = match &best {
                None => true,
                Some(current) => {
                    candidate.objective > current.objective
                        || (candidate.objective == current.objective && candidate.unrestricted > current.unrestricted)
                }
            };
            if better {
                best = Some(candidate);
            }
        }
        best
    }

    /// Peels until no peel raises the density or the box would fall below `mass_min`; returns the
    /// rows of the last box.
    fn peel(&mut self, mut rows: Vec<usize>) -> Vec<usize> {
        let total = self.inputs.rows as f64;
        loop {
            let Some(current) = self.trajectory.last() else { return rows };
            let limits = current.limits.clone();
            let mut candidates = Vec::with_capacity(2 * self.range.len());
            let mut values = Vec::with_capacity(rows.len());
            for (input, column) in self.inputs.columns.iter().enumerate() {
                values.clear();
                values.extend(rows.iter().map(|&row| column[row]));
                values.sort_by(f64::total_cmp);
                for upper in [true, false] {
                    let alpha = if upper { 1.0 - self.options.peel_alpha } else { self.options.peel_alpha };
                    let cut = sorted_quantile(&values, alpha);
                    let kept: Vec<usize> = rows
                        .iter()
                        .copied()
                        .filter(|&row| if upper { column[row] <= cut } else { column[row] >= cut })
                        .collect();
                    let mut new_limits = limits.clone();
                    if upper {
                        new_limits[input].high = cut;
                    } else {
                        new_limits[input].low = cut;
                    }
                    candidates.push(self.candidate(&rows, new_limits, kept));
                }
            }
            let Some(best) = Self::best(candidates) else { return rows };
            let mass_old = rows.len() as f64 / total;
            let mass_new = best.rows.len() as f64 / total;
            if !(mass_new >= self.options.mass_min && mass_new < mass_old && best.objective > 0.0) {
                return rows;
            }
            self.push(best.limits, &best.rows);
            rows = best.rows;
        }
    }

    /// Pastes while widening one restricted limit raises the density and keeps the box above
    /// `mass_min`.
    fn paste(&mut self, mut rows: Vec<usize>) {
        let total = self.inputs.rows as f64;
        let columns = &self.inputs.columns;
        loop {
            let Some(current) = self.trajectory.last() else { return };
            let limits = current.limits.clone();
            let restricted: Vec<usize> =
                (0..self.range.len()).filter(|&input| limits[input] != self.range[input]).collect();
            let mut candidates = Vec::new();
            for &input in &restricted {
                for lower in [true, false] {
                    // The slab between the data's edge and the box's limit on this side.
                    let mut slab = limits.clone();
                    if lower {
                        slab[input] = Limit { low: self.range[input].low, high: limits[input].low };
                    } else {
                        slab[input] = Limit { low: limits[input].high, high: self.range[input].high };
                    }
                    let mut values: Vec<f64> = (0..self.inputs.rows)
                        .filter(|&row| inside(columns, &slab, &restricted, row))
                        .map(|row| columns[input][row])
                        .collect();
                    let mut new_limits = limits.clone();
                    if lower {
                        new_limits[input].low = if values.is_empty() {
                            self.range[input].low
                        } else {
                            quantile(&mut values, 1.0 - self.options.paste_alpha)
                        };
                    } else {
                        new_limits[input].high = if values.is_empty() {
                            self.range[input].high
                        } else {
                            quantile(&mut values, self.options.paste_alpha)
                        };
                    }
                    let inside_rows: Vec<usize> =
                        (0..self.inputs.rows).filter(|&row| inside(columns, &new_limits, &restricted, row)).collect();
                    candidates.push(self.candidate(&rows, new_limits, inside_rows));
                }
            }
            let Some(best) = Self::best(candidates) else { return };
            let mass_old = rows.len() as f64 / total;
            let mass_new = best.rows.len() as f64 / total;
            let accepted = mass_new >= self.options.mass_min
                && mass_new > mass_old
                && best.objective > 0.0
                && self.mean(&best.rows) > self.mean(&rows);
            if !accepted {
                return;
            }
            self.push(best.limits, &best.rows);
            rows = best.rows;
        }
    }
}

#[cfg(test)]
mod tests;
