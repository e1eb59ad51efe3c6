//! Designs: which value each input takes in each run.
//!
//! A design crosses an optional full-factorial grid (explicit values, like `--grid "Hiring
//! Delay=3,6,9"`) with a sample of uncertain futures drawn by one of four samplers. Run `i` is
//! grid point `i / samples` in future `i % samples`, so every grid point meets the same futures
//! (common random numbers), and the in-model random functions of run `i` use ChaCha8 stream
//! `i % samples` too. Row `i` is a pure function of (design, seed, `i`).

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use crate::distribution::Distribution;
use crate::permutation::{Permutation, mix};
use crate::sobol;

/// A constant set to a value in every run, from a time on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Setting {
    /// The constant's position in [`fulcrum_sim::CompiledModel::constants`].
    pub constant: usize,
    /// The value.
    pub value: f64,
    /// From when; from the start when `None`.
    pub from: Option<f64>,
}

/// How the uncertain inputs are sampled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sampler {
    /// Independent draws (plain Monte Carlo).
    Random,
    /// Latin hypercube: each input's range cut into `samples` equally likely strata, one value in
    /// each, the strata of different inputs paired at random.
    LatinHypercube,
    /// Owen-scrambled Sobol points: low-discrepancy, for smoother convergence.
    Sobol,
    /// Every uncertain input at `levels` equally likely points (the midpoints of its quantile
    /// bins), all combinations.
    Grid {
        /// Points per input.
        levels: usize,
    },
}

impl Sampler {
    /// The sampler's name in experiment files.
    pub fn as_str(self) -> &'static str {
        match self {
            Sampler::Random => "random",
            Sampler::LatinHypercube => "lhs",
            Sampler::Sobol => "sobol",
            Sampler::Grid { .. } => "grid",
        }
    }
}

/// A sampler name that is not one (as `--sampler` and bindings give it).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a sampler: random, lhs or sobol (a grid's levels go in the experiment)")]
pub struct UnknownSampler(pub String);

impl std::str::FromStr for Sampler {
    type Err = UnknownSampler;

    /// A sampler by name, as a command line or a binding gives it (any case): `random` (also
    /// `mc`, `monte-carlo`), `lhs` (also `latin-hypercube`) or `sobol`. A grid is not named:
    /// its levels go in the experiment.
    fn from_str(text: &str) -> Result<Sampler, UnknownSampler> {
        match text.trim().to_ascii_lowercase().as_str() {
            "random" | "mc" | "monte-carlo" | "monte_carlo" => Ok(Sampler::Random),
            "lhs" | "latin-hypercube" => Ok(Sampler::LatinHypercube),
            "sobol" => Ok(Sampler::Sobol),
            _ => Err(UnknownSampler(text.to_owned())),
        }
    }
}

/// One input of a design.
#[derive(Clone, Debug, PartialEq)]
pub struct Factor {
    /// The model constant it sets, as named in the experiment.
    pub name: String,
    /// Its position among the compiled model's constants.
    pub constant: usize,
    /// How it varies.
    pub kind: FactorKind,
}

/// How one input varies.
#[derive(Clone, Debug, PartialEq)]
pub enum FactorKind {
    /// Drawn from a distribution by the sampler.
    Uncertain(Distribution),
    /// Each of these values in turn (a grid axis).
    Values(Vec<f64>),
}

/// A complete design.
#[derive(Clone, Debug, PartialEq)]
pub struct Design {
    /// The inputs, grid axes first in the order given, then uncertain ones.
    pub factors: Vec<Factor>,
    /// The sampler for the uncertain inputs.
    pub sampler: Sampler,
    /// Futures per grid point.
    pub samples: u64,
    /// The master seed.
    pub seed: u64,
    /// Factors whose values come together, a whole row at a time, from a table of draws (a
    /// calibration's posterior, `[sampling] from`), in place of their sampler's values.
    pub drawn: Option<Drawn>,
}

/// Joint draws: each future takes one row of `rows` (chosen by a ChaCha8 stream of the seed and
/// the future), and factor `positions[k]` gets the row's value `k`. Constants fitted together
/// keep the correlation of their posterior this way; sampling each alone would lose it.
#[derive(Clone, Debug, PartialEq)]
pub struct Drawn {
    /// Positions in [`Design::factors`], one per column of `rows`.
    pub positions: Vec<usize>,
    /// The rows (the posterior's draws).
    pub rows: std::sync::Arc<Vec<Vec<f64>>>,
}

/// What each run of a sweep gets: values for some of the model's constants, and the stream of
/// its in-model random numbers. Both are pure functions of the run id.
pub trait Inputs: Sync {
    /// The constants each row sets, as positions among the compiled model's constants.
    fn constants(&self) -> Vec<usize>;
    /// The values of run `run`, one per constant.
    fn row(&self, run: u64, values: &mut [f64]);
    /// The master seed of the in-model random numbers.
    fn seed(&self) -> u64;
    /// The random stream of run `run`: runs that share a stream see the same random numbers.
    fn stream(&self, run: u64) -> u64;
    /// Settings of run `run` on top of the sweep's (a comparison's option); see
    /// [`Table::options`].
    fn settings(&self, _run: u64) -> &[Setting] {
        &[]
    }
    /// Every set of settings [`Inputs::settings`] returns; empty when runs have none.
    fn options(&self) -> &[Vec<Setting>] {
        &[]
    }
    /// How many grid points the rows step through (1 without a grid).
    fn grid_points(&self) -> usize {
        1
    }
    /// The grid point of run `run`, below [`Inputs::grid_points`].
    fn grid_point(&self, _run: u64) -> usize {
        0
    }
}

impl Inputs for Design {
    fn constants(&self) -> Vec<usize> {
        self.factors.iter().map(|factor| factor.constant).collect()
    }

    fn row(&self, run: u64, values: &mut [f64]) {
        Design::row(self, run, values);
    }

    fn grid_points(&self) -> usize {
        usize::try_from(Design::grid_points(self)).unwrap_or(usize::MAX)
    }

    fn grid_point(&self, run: u64) -> usize {
        // Run `run` is grid point `run / samples` (see the module documentation).
        usize::try_from(run / self.samples.max(1)).unwrap_or(usize::MAX)
    }

    fn seed(&self) -> u64 {
        self.seed
    }

    fn stream(&self, run: u64) -> u64 {
        self.future(run)
    }
}

/// Inputs written out row by row: the designs of sensitivity methods, whose rows are built
/// from one another (Saltelli's matrices, Morris trajectories, paired lever changes).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// The constants each row sets.
    pub constants: Vec<usize>,
    /// The rows: `values[run * constants.len() + column]`.
    pub values: Vec<f64>,
    /// Each run's random stream.
    pub streams: Vec<u64>,
    /// The master seed of the in-model random numbers.
    pub seed: u64,
    /// Settings that differ from run to run (the baseline and each intervention of a
    /// comparison, run as one design): run `r` also gets `options[option_of[r]]`. Empty when
    /// every run has the sweep's settings only.
    pub options: Vec<Vec<Setting>>,
    /// Each run's option; empty without options.
    pub option_of: Vec<u32>,
}

impl Table {
    /// How many runs.
    pub fn runs(&self) -> u64 {
        self.streams.len() as u64
    }
}

impl Inputs for Table {
    fn constants(&self) -> Vec<usize> {
        self.constants.clone()
    }

    fn row(&self, run: u64, values: &mut [f64]) {
        let width = self.constants.len();
        let start = run as usize * width;
        values.copy_from_slice(&self.values[start..start + width]);
    }

    fn seed(&self) -> u64 {
        self.seed
    }

    fn stream(&self, run: u64) -> u64 {
        self.streams[run as usize]
    }

    fn settings(&self, run: u64) -> &[Setting] {
        match self.option_of.get(run as usize) {
            Some(&option) => &self.options[option as usize],
            None => &[],
        }
    }

    fn options(&self) -> &[Vec<Setting>] {
        if self.option_of.is_empty() { &[] } else { &self.options }
    }
}

/// Designs bigger than this are surely a mistake in `runs` or the grid.
pub const MAX_RUNS: u64 = 1 << 40;

impl Design {
    /// Grid points (1 without a grid); `u64::MAX` if there are more than that.
    pub fn grid_points(&self) -> u64 {
        self.factors
            .iter()
            .map(|factor| match &factor.kind {
                FactorKind::Values(values) => values.len() as u64,
                FactorKind::Uncertain(_) => 1,
            })
            .try_fold(1u64, u64::checked_mul)
            .unwrap_or(u64::MAX)
    }

    /// Runs in the design (saturating: a plan refuses designs past [`MAX_RUNS`]).
    pub fn runs(&self) -> u64 {
        self.grid_points().saturating_mul(self.samples)
    }

    /// Which future run `run` lives in: the stream its in-model random functions draw from.
    pub fn future(&self, run: u64) -> u64 {
        run % self.samples.max(1)
    }

    /// The inputs of run `run`, one per factor, in factor order.
    pub fn row(&self, run: u64, values: &mut [f64]) {
        let future = self.future(run);
        // Grid axes: the last varies fastest.
        let mut grid_index = run / self.samples.max(1);
        for (position, factor) in self.factors.iter().enumerate().rev() {
            if let FactorKind::Values(options) = &factor.kind {
                let count = options.len() as u64;
                values[position] = options[(grid_index % count) as usize];
                grid_index /= count;
            }
        }
        let uncertain = self.factors.iter().enumerate().filter_map(|(position, factor)| match &factor.kind {
            FactorKind::Uncertain(distribution) => Some((position, distribution)),
            FactorKind::Values(_) => None,
        });
        match self.sampler {
            Sampler::Random => {
                let mut rng = ChaCha8Rng::seed_from_u64(mix(self.seed ^ 0x5a4d_504c_4553));
                rng.set_stream(future);
                for (position, distribution) in uncertain {
                    values[position] = distribution.quantile(rng.random::<f64>());
                }
            }
            Sampler::LatinHypercube => {
                let mut rng = ChaCha8Rng::seed_from_u64(mix(self.seed ^ 0x004c_4853));
                rng.set_stream(future);
                for (dimension, (position, distribution)) in uncertain.enumerate() {
                    let key = mix(self.seed ^ mix(dimension as u64 + 1));
                    let stratum = Permutation::new(self.samples, key).apply(future);
                    let within: f64 = rng.random();
                    values[position] = distribution.quantile((stratum as f64 + within) / self.samples as f64);
                }
            }
            Sampler::Sobol => {
                for (dimension, (position, distribution)) in uncertain.enumerate() {
                    values[position] = distribution.quantile(sobol::scrambled_point(dimension, future, self.seed));
                }
            }
            Sampler::Grid { levels } => {
                // The uncertain inputs form a grid of their own, the last varying fastest.
                let levels = levels.max(1) as u64;
                let mut index = future;
                let positions: Vec<(usize, &Distribution)> = uncertain.collect();
                for (position, distribution) in positions.into_iter().rev() {
                    let level = index % levels;
                    index /= levels;
                    values[position] = distribution.quantile((level as f64 + 0.5) / levels as f64);
                }
            }
        }
        if let Some(drawn) = self.drawn.as_ref().filter(|drawn| !drawn.rows.is_empty()) {
            let mut rng = ChaCha8Rng::seed_from_u64(mix(self.seed ^ 0x0050_4f53_5445_5249));
            rng.set_stream(future);
            let row = &drawn.rows[rng.random_range(0..drawn.rows.len())];
            for (position, value) in drawn.positions.iter().zip(row) {
                if let Some(slot) = values.get_mut(*position) {
                    *slot = *value;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn samplers_are_named_as_the_command_line_names_them() {
        for (name, sampler) in [
            ("random", Sampler::Random),
            (" MC ", Sampler::Random),
            ("monte-carlo", Sampler::Random),
            ("LHS", Sampler::LatinHypercube),
            ("latin-hypercube", Sampler::LatinHypercube),
            ("sobol", Sampler::Sobol),
        ] {
            assert_eq!(name.parse::<Sampler>(), Ok(sampler), "{name}");
        }
        let error = "grid".parse::<Sampler>().expect_err("a grid is not named");
        assert_eq!(
            error.to_string(),
            "`grid` is not a sampler: random, lhs or sobol (a grid's levels go in the experiment)"
        );
    }

    fn design(sampler: Sampler, samples: u64) -> Design {
        Design {
            factors: vec![
                Factor { name: "lever".to_owned(), constant: 0, kind: FactorKind::Values(vec![1.0, 2.0]) },
                Factor {
                    name: "a".to_owned(),
                    constant: 1,
                    kind: FactorKind::Uncertain(Distribution::Uniform { min: 0.0, max: 1.0 }),
                },
                Factor {
                    name: "b".to_owned(),
                    constant: 2,
                    kind: FactorKind::Uncertain(Distribution::Uniform { min: 10.0, max: 20.0 }),
                },
            ],
            sampler,
            samples,
            seed: 7,
            drawn: None,
        }
    }

    #[test]
    fn drawn_factors_take_whole_rows_the_same_for_a_seed() {
        let rows = vec![vec![0.1, 11.0], vec![0.2, 12.0], vec![0.3, 13.0]];
        let drawn = Drawn { positions: vec![1, 2], rows: std::sync::Arc::new(rows.clone()) };
        let design = Design { drawn: Some(drawn), ..design(Sampler::LatinHypercube, 40) };
        let mut seen = std::collections::BTreeSet::new();
        for run in 0..80 {
            let mut values = [0.0; 3];
            design.row(run, &mut values);
            let index = rows.iter().position(|row| row[..] == values[1..]).expect("a whole row");
            seen.insert(index);
            let mut again = [0.0; 3];
            design.row(run, &mut again);
            assert_eq!(values, again);
        }
        assert_eq!(seen.len(), 3, "every row is drawn in 80 runs");
    }

    fn rows(design: &Design) -> Vec<[f64; 3]> {
        (0..design.runs())
            .map(|run| {
                let mut row = [0.0; 3];
                design.row(run, &mut row);
                row
            })
            .collect()
    }

    #[test]
    fn grid_points_share_their_futures() {
        for sampler in [Sampler::Random, Sampler::LatinHypercube, Sampler::Sobol, Sampler::Grid { levels: 3 }] {
            let samples = if let Sampler::Grid { levels } = sampler { (levels * levels) as u64 } else { 8 };
            let design = design(sampler, samples);
            let rows = rows(&design);
            assert_eq!(rows.len() as u64, 2 * samples);
            for future in 0..samples as usize {
                let (first, second) = (rows[future], rows[samples as usize + future]);
                assert_eq!((first[0], second[0]), (1.0, 2.0));
                assert_eq!(first[1..], second[1..], "{sampler:?}");
            }
        }
    }

    #[test]
    fn latin_hypercube_puts_one_value_in_each_stratum() {
        let design = design(Sampler::LatinHypercube, 50);
        let rows = rows(&design);
        for column in [1, 2] {
            let (low, width) = if column == 1 { (0.0, 1.0) } else { (10.0, 10.0) };
            let mut strata: Vec<usize> =
                rows[..50].iter().map(|r| ((r[column] - low) / width * 50.0) as usize).collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..50).collect::<Vec<_>>());
        }
    }

    #[test]
    fn grid_sampling_takes_midpoints_of_equal_probability_bins() {
        let design = design(Sampler::Grid { levels: 2 }, 4);
        let values: Vec<[f64; 2]> = rows(&design)[..4].iter().map(|r| [r[1], r[2]]).collect();
        assert_eq!(values, [[0.25, 12.5], [0.25, 17.5], [0.75, 12.5], [0.75, 17.5]]);
    }

    #[test]
    fn random_rows_differ_with_the_seed() {
        let mut other = design(Sampler::Random, 8);
        other.seed = 8;
        assert_ne!(rows(&design(Sampler::Random, 8)), rows(&other));
    }

    /// The uncertain inputs of `design` alone, renamed and set on other constants: a design
    /// with one grid point, whose run `f` is future `f`.
    fn futures_only(design: &Design) -> Design {
        let factors = design
            .factors
            .iter()
            .filter(|factor| matches!(factor.kind, FactorKind::Uncertain(_)))
            .enumerate()
            .map(|(index, factor)| Factor {
                name: format!("renamed {index}"),
                constant: 40 - index,
                kind: factor.kind.clone(),
            })
            .collect();
        Design { factors, ..design.clone() }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Row `run` is grid point `run / samples` in future `run % samples` (the module's
        /// formula), whatever rows were drawn before it: its lever is the `(run / samples) % 2`-th
        /// grid value, and its uncertain values are those of future `run % samples` in a design
        /// of the uncertain inputs alone (under other names, on other constants), drawn first.
        /// The grid sampler's values are also computed by hand: the midpoints of the quantile
        /// bins, the last input varying fastest.
        #[test]
        fn each_row_depends_only_on_design_seed_and_index(
            run in 0u64..1000,
            sampler in 0usize..4,
            earlier in proptest::collection::vec(0u64..1000, 0..20),
        ) {
            const LEVELS: usize = 7;
            let sampler = [Sampler::Random, Sampler::LatinHypercube, Sampler::Sobol, Sampler::Grid { levels: LEVELS }][sampler];
            let samples = if let Sampler::Grid { .. } = sampler { (LEVELS * LEVELS) as u64 } else { 300 };
            let design = design(sampler, samples);
            let run = run % design.runs();
            let future = run % samples;

            let mut expected = [0.0; 2];
            futures_only(&design).row(future, &mut expected);
            let lever = [1.0, 2.0][(run / samples % 2) as usize];

            let mut scratch = [0.0; 3];
            for other in earlier {
                design.row(other % design.runs(), &mut scratch);
            }
            let mut row = [f64::NAN; 3];
            design.row(run, &mut row);
            prop_assert_eq!(row, [lever, expected[0], expected[1]], "run {} of {:?}", run, sampler);

            if let Sampler::Grid { levels } = sampler {
                let level = |digit: u64| (digit as f64 + 0.5) / levels as f64;
                let (a, b) = (level(future / levels as u64 % levels as u64), level(future % levels as u64));
                prop_assert!((row[1] - a).abs() < 1e-12 && (row[2] - (10.0 + 10.0 * b)).abs() < 1e-12,
                    "run {}: {:?}, by hand {:?}", run, row, [a, 10.0 + 10.0 * b]);
            }
        }
    }
}
