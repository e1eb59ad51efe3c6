//! Resolved expressions: names replaced by [`VarId`]s, built-ins identified, stateful built-ins
//! already lowered to hidden variables or per-run state.

use crate::calendar::{Calendar, CalendarField};
use crate::syntax::{BinaryOp, UnaryOp};

/// Index of a variable in [`super::ResolvedModel::variables`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct VarId(pub u32);

impl VarId {
    /// As an index.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The id of the variable at this index of `ResolvedModel::variables`.
    pub fn from_index(index: usize) -> VarId {
        VarId(u32::try_from(index).unwrap_or(u32::MAX))
    }
}

/// Index of a graphical function in [`super::ResolvedModel::graphs`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct GraphId(pub u32);

/// Index of a `PREVIOUS` state in [`super::ResolvedModel::previous`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct PreviousId(pub u32);

/// Index of a pipeline delay in [`super::ResolvedModel::delays`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct DelayId(pub u32);

/// Index of a conveyor in [`super::ResolvedModel::conveyors`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ConveyorId(pub u32);

/// Index of a queue in [`super::ResolvedModel::queues`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct QueueId(pub u32);

/// Index of a random draw site in [`super::ResolvedModel::draws`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct DrawId(pub u32);

/// A resolved expression.
#[derive(Clone, PartialEq, Debug)]
pub enum Expr {
    /// A number.
    Const(f64),
    /// The current value of a variable.
    Var(VarId),
    /// Simulation time.
    Time,
    /// The integration step.
    Dt,
    /// Start time.
    StartTime,
    /// Stop time.
    StopTime,
    /// A prefix operator.
    Unary(UnaryOp, Box<Expr>),
    /// An infix operator.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// Operators applied left to right, `((a op₁ b) op₂ c) …`: a long sum kept flat, so that
    /// walking it takes one level of recursion however many terms it has.
    Chain(Box<Expr>, Vec<(BinaryOp, Expr)>),
    /// `IF c THEN a ELSE b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A pure function of its arguments (and of time, for the test inputs).
    Apply(Function, Vec<Expr>),
    /// A graphical function applied to a value.
    Lookup(GraphId, Box<Expr>),
    /// The area under a graphical function from one x to another (`LOOKUP_AREA`), read as
    /// the graph reads (flat beyond its ends); negative when the second x is below the first.
    LookupArea(GraphId, Box<Expr>, Box<Expr>),
    /// Vensim's `RANDOM LOOKUP`: a draw whose probability density is the graph between its first
    /// and last points, stretched, shifted and truncated. The arguments are `[min, max, shift,
    /// stretch, u]`, `u` a uniform number in [0, 1) drawn for the call each step.
    RandomLookup(GraphId, Vec<Expr>),
    /// The value of a variable at the start of the run (`INIT`).
    Init(VarId),
    /// The value of a variable one step ago (`PREVIOUS`).
    Previous(PreviousId),
    /// The output of a pipeline delay (`DELAY`).
    Delayed(DelayId),
    /// The value the variable had at the time computed (Stella's `HISTORY`): its value at the
    /// last step at or before that time, the start's value for a time before the start, and its
    /// current value for the current time or later. Reads the variable as [`Expr::Var`] does.
    History(VarId, Box<Expr>),
    /// What leaves a conveyor during the step, as a rate: output 0 is the material that reaches
    /// the end of the belt, output `k` what leak `k` takes.
    Conveyed(ConveyorId, u32),
    /// What is left of the batch at the front of a queue, from the steps before.
    QueueFront(QueueId),
    /// What a queue offers a conveyor after `after` (a rate, so `after × dt` of material) has
    /// been taken from its front during the step, as a rate. Its batches are those it holds
    /// from the steps before, front first, then one per inflow in `arriving` that brings
    /// something during the step, in order. With no `room`, the first batch not taken (what is
    /// left of it); with a `room` (a rate too), the batches from there on, whole, until the
    /// first that does not fit in it (XMILE 3.7.2's batch integrity with as many batches as
    /// possible).
    QueueBatches {
        /// The queue.
        queue: QueueId,
        /// What the queue's outflows before this one take, as a rate.
        after: Box<Expr>,
        /// What may be taken, as a rate; `None` for the front batch alone.
        room: Option<Box<Expr>>,
        /// The queue's inflows, in the order their batches join it.
        arriving: Vec<Expr>,
    },
    /// A random number, drawn once per time step for this site.
    Random(Distribution, DrawId, Vec<Expr>),
    /// The option at a 0-based position computed during the run (`VECTOR_ELM_MAP`,
    /// `VECTOR_REORDER`): the position is rounded to the nearest whole number, and a position
    /// outside the options gives NaN.
    Choose(Box<Expr>, Vec<Expr>),
    /// Where one element of a vector falls when the vector is sorted (`VECTOR_RANK`,
    /// `VECTOR_SORT_ORDER`).
    Order {
        /// What is asked.
        kind: OrderKind,
        /// Smallest first (else largest first).
        ascending: bool,
        /// Which element (for a rank) or which place in the sorted order (for a sort order).
        position: usize,
        /// The vector.
        vector: Vec<Expr>,
    },
    /// Stella's `RANK(array, rank[, tie_break])`: the position, from 1, of the element that
    /// sorts to place `rank` (rounded) when the vector is sorted in ascending order. Equal values
    /// are ordered by their tie-break values, then by position, so every place has one element.
    /// A place outside 1 to the vector's length, or a NaN in the vector, gives NaN.
    SortedIndex {
        /// The place asked for, from 1 (the smallest).
        rank: Box<Expr>,
        /// The vector, in row-major order.
        vector: Vec<Expr>,
        /// Values that order equal elements of the vector; empty when none are given.
        tie_break: Vec<Expr>,
    },
    /// Vensim's `VECTOR SELECT`: the values whose selection is not zero, combined by the
    /// action: 0 the sum, 1 the product, 2 the minimum, 3 the maximum, 4 the mean of
    /// selection × value; 5 the product of value ^ selection; 6 to 10 the sum, product,
    /// minimum, maximum and mean of the values themselves. With nothing selected, `missing`. The
    /// error action asks for NaN (which stops the run) when nothing is selected (1), when more
    /// than one element is (2), or either (3); 0 for neither. An action or error action that is
    /// not one of these numbers gives NaN too.
    VectorSelect {
        /// The selection of each element.
        selections: Vec<Expr>,
        /// The value of each element, in the same order.
        values: Vec<Expr>,
        /// The result when nothing is selected.
        missing: Box<Expr>,
        /// The action code.
        action: Box<Expr>,
        /// The error action code.
        error_action: Box<Expr>,
    },
    /// Vensim's allocation of a supply among requests: the share of the request at `position`.
    /// With nothing short (supply at least the requests' sum) every request is met; otherwise
    /// each request follows a demand curve that falls from the request to zero as a common
    /// threshold rises past its priority, and the threshold is the one where the curves add up
    /// to the supply. A negative request or supply, a width not above zero or an unknown profile
    /// type gives NaN. The market rules read the same curves at a price: DEMAND AT PRICE and
    /// SUPPLY AT PRICE the quantity of the request at `position` at the price `supply` holds,
    /// FIND MARKET PRICE the price at which the demand curves (the first `demanders` requests)
    /// add up to the supply curves (the rest), found by the same bisection.
    Allocate {
        /// How the priorities are given.
        rule: AllocationRule,
        /// Which request's share this is.
        position: usize,
        /// The requests, in the order of the allocation dimension.
        requests: Vec<Expr>,
        /// By priority: one priority per request. Available: four numbers per request, its
        /// profile's type, priority, width and extra.
        priorities: Vec<Expr>,
        /// By priority: the width every request shares. Available: not read.
        width: Box<Expr>,
        /// What there is to share.
        supply: Box<Expr>,
    },
    /// Vensim's `VECTOR LOOKUP`: the vector's values as a graphical function whose points are
    /// spread evenly from `xmin` to `xmax`, read at `x` the way `mode` says: 0 as a lookup, 1 the
    /// area from `xmin`, 2 backward, 3 extrapolating, 4 forward, 5 inverted, 6 the slope; 7, 8 and
    /// 9 the area, inverse and slope with the end segments extended. Any other mode, or `xmax`
    /// not above `xmin`, gives NaN.
    VectorLookup {
        /// The y values, in order along the vector's last dimension (at least two).
        values: Vec<Expr>,
        /// Where the graph is read.
        x: Box<Expr>,
        /// The x of the first value.
        xmin: Box<Expr>,
        /// The x of the last value.
        xmax: Box<Expr>,
        /// How the graph is read.
        mode: Box<Expr>,
    },
    /// Element `position` (row-major) of the inverse of a square matrix given row by row
    /// (`INVERT_MATRIX`); NaN when the matrix is singular.
    InvertMatrix {
        /// Which element of the inverse this is.
        position: usize,
        /// The matrix, `size × size` elements row by row.
        elements: Vec<Expr>,
    },
    /// One expression while the initial values are computed, another from then on
    /// (`ACTIVE_INITIAL`). Each counts as a dependency only in its own phase, which is what lets
    /// it break a loop among initial values.
    Phased {
        /// Used when the initial values are computed.
        initial: Box<Expr>,
        /// Used at every evaluation after that, the start time's included.
        active: Box<Expr>,
    },
}

/// What [`Expr::Order`] asks of a sorted vector. Equal elements keep their order (the earlier
/// one ranks first), so every answer is determined.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OrderKind {
    /// The rank (from 1) of the element at `position`.
    Rank,
    /// The 0-based position, in the vector, of the element sorted to place `position`.
    SortOrder,
}

/// The largest matrix [`Expr::InvertMatrix`] inverts on the stack, so that a step allocates
/// nothing; the simulator inverts a larger one in a buffer it allocates for the call.
pub const MAX_INVERTED_SIZE: usize = 16;

/// How [`Expr::Allocate`] is given its priorities.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AllocationRule {
    /// `ALLOCATE_BY_PRIORITY`: a priority per request and one width; each demand curve is
    /// rectangular (type 1).
    ByPriority,
    /// `ALLOCATE_AVAILABLE`: a whole profile per request.
    Available,
    /// `DEMAND_AT_PRICE`: a profile per request; `supply` is the price, and the share is the
    /// request's demand curve read there (falling as the price rises).
    DemandAtPrice,
    /// `SUPPLY_AT_PRICE`: a profile per request; `supply` is the price, and the share is the
    /// request's supply curve read there (one minus the demand curve: rising with the price).
    SupplyAtPrice,
    /// `ALLOC_P`: one request and its priority; `supply` is the market priority, and the share is
    /// the request's rectangular curve (ALLOCATE_BY_PRIORITY's) read there.
    AtPriority,
    /// `MARKETP`: a priority per request and one width, as ALLOCATE_BY_PRIORITY; the value is the
    /// threshold at which the rectangular curves add up to the supply, or, when the supply
    /// covers every request, the lowest priority less the width (every curve is full there). `position` is not read.
    ClearingPriority,
    /// `FIND_MARKET_PRICE`: the first `demanders` requests (and profiles) are demands, the rest
    /// supplies; the value is the lowest price at which the demands add up to no more than the
    /// supplies. `position`, `width` and `supply` are not read.
    MarketPrice {
        /// How many of the requests are demands.
        demanders: usize,
    },
}

/// Which computation an expression is read in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    /// Computing the initial values.
    Initial,
    /// Every evaluation of a step (and of each Runge-Kutta stage).
    Active,
}

/// Pure functions, with their argument counts fixed by lowering.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Function {
    /// `ABS(x)`
    Abs,
    /// `EXP(x)`
    Exp,
    /// `LN(x)`
    Ln,
    /// `LOG10(x)`
    Log10,
    /// `SQRT(x)`
    Sqrt,
    /// `SIN(x)`
    Sin,
    /// `COS(x)`
    Cos,
    /// `TAN(x)`
    Tan,
    /// `ARCSIN(x)`
    Arcsin,
    /// `ARCCOS(x)`
    Arccos,
    /// `ARCTAN(x)`
    Arctan,
    /// `SINH(x)`
    Sinh,
    /// `COSH(x)`
    Cosh,
    /// `TANH(x)`
    Tanh,
    /// `INT(x)`: floor.
    Int,
    /// Vensim's `INT(x)`: toward zero.
    Truncate,
    /// `ROUND(x)`: nearest integer, halves away from zero.
    Round,
    /// `SIGN(x)`
    Sign,
    /// Vensim's `MOD`: `a - b * trunc(a / b)`, with the sign of the dividend.
    Remainder,
    /// `MIN(a, b)`
    Min,
    /// `MAX(a, b)`
    Max,
    /// `SAFEDIV(a, b, x)`, `XIDZ(a, b, x)`, `ZIDZ(a, b, 0)`: a/b, or x when b is exactly zero.
    SafeDiv,
    /// `STEP(height, start)`
    Step,
    /// `RAMP(slope, start, end)` with `end` = +infinity when not given.
    Ramp,
    /// `PULSE(magnitude, first, interval)` with `interval` = 0 for a single pulse.
    Pulse,
    /// `PULSE_TRAIN(start, width, between, end)`
    PulseTrain,
    /// `QUANTUM(x, q)`
    Quantum,
    /// `GAMMA_LN(x)`
    GammaLn,
    /// The standard normal distribution function Φ(x): Stella's `NORMALCDF` is built on it.
    NormalCdf,
    /// The standard normal quantile Φ⁻¹(p): Stella's `INVNORM`. NaN outside [0, 1].
    NormalQuantile,
    /// A field of the date of a day number (days since January 1 of year 0) on a calendar:
    /// `GET_TIME_VALUE`'s calendar measures.
    Calendar(Calendar, CalendarField),
}

/// The distributions of the in-model random functions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Distribution {
    /// `RANDOM(min, max)`: uniform.
    Uniform,
    /// `NORMAL(mean, sd)`.
    Normal,
    /// `LOGNORMAL(mean, sd)`: mean and standard deviation of the variable itself.
    LogNormal,
    /// `EXPRND(mean)`: exponential.
    Exponential,
    /// `POISSON(mean)`.
    Poisson,
    /// Vensim's RANDOM functions: a draw of the family, stretched, shifted and truncated. The
    /// arguments are `[min, max, shift, stretch, parameters of the family...]`.
    Truncated(Family),
}

/// The families of Vensim's RANDOM functions. A draw `X` of the family becomes
/// `shift + stretch * X`, kept only when it lies in `[min, max]` (else drawn again).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Family {
    /// Standard normal: mean 0, standard deviation 1.
    Normal,
    /// Exponential with mean 1.
    Exponential,
    /// Gamma of the given order (shape), scale 1: the exponential when the order is 1.
    Gamma,
    /// Weibull of the given shape, scale 1.
    Weibull,
    /// Beta with parameters alpha and beta, on [0, 1].
    Beta,
    /// Triangular from a start through a peak to an end (shift 0, stretch 1).
    Triangular,
    /// Poisson with the given mean: whole numbers.
    Poisson,
    /// Binomial: successes in N trials (N rounded to the nearest whole number) of probability P.
    Binomial,
    /// Negative binomial: trials needed for N successes of probability P, so N or more.
    NegativeBinomial,
    /// Lognormal with the given mean and standard deviation of the variable itself (Stella's
    /// `LOGNORMAL` with bounds).
    LogNormal,
    /// Geometric: the failures before the first success of probability P, so 0 or more.
    Geometric,
    /// Standard logistic: `ln(u / (1 - u))` for a uniform u, mean 0 and scale 1.
    Logistic,
    /// Pareto of the given shape with scale 1: 1 or more.
    Pareto,
}

impl Family {
    /// How many parameters the family takes after `[min, max, shift, stretch]`.
    pub fn parameter_count(self) -> usize {
        match self {
            Family::Normal | Family::Exponential | Family::Logistic => 0,
            Family::Gamma | Family::Weibull | Family::Poisson | Family::Geometric | Family::Pareto => 1,
            Family::Beta | Family::Binomial | Family::NegativeBinomial | Family::LogNormal => 2,
            Family::Triangular => 3,
        }
    }
}

impl Distribution {
    /// Does a draw for this distribution use a standard normal variate (else a uniform one)?
    pub fn uses_normal_variate(self) -> bool {
        matches!(self, Distribution::Normal | Distribution::LogNormal)
    }
}

impl Expr {
    /// `self op rhs`, as one more link when `self` is a chain.
    pub fn then(self, op: BinaryOp, rhs: Expr) -> Expr {
        match self {
            Expr::Chain(first, mut rest) => {
                rest.push((op, rhs));
                Expr::Chain(first, rest)
            }
            first => Expr::Chain(Box::new(first), vec![(op, rhs)]),
        }
    }

    /// Calls `visit` on this expression and every expression inside it.
    pub fn walk(&self, visit: &mut impl FnMut(&Expr)) {
        self.walk_phase(None, visit);
    }

    /// Like [`Expr::walk`], but inside `ACTIVE_INITIAL` only the part read in `phase`.
    pub fn walk_in(&self, phase: Phase, visit: &mut impl FnMut(&Expr)) {
        self.walk_phase(Some(phase), visit);
    }

    fn walk_phase(&self, phase: Option<Phase>, visit: &mut dyn FnMut(&Expr)) {
        visit(self);
        match self {
            Expr::Unary(_, operand) | Expr::Lookup(_, operand) => operand.walk_phase(phase, visit),
            Expr::History(source, time) => {
                // The current value is read when the time asked for is now.
                visit(&Expr::Var(*source));
                time.walk_phase(phase, visit);
            }
            Expr::Binary(_, lhs, rhs) | Expr::LookupArea(_, lhs, rhs) => {
                lhs.walk_phase(phase, visit);
                rhs.walk_phase(phase, visit);
            }
            Expr::Chain(first, rest) => {
                first.walk_phase(phase, visit);
                rest.iter().for_each(|(_, operand)| operand.walk_phase(phase, visit));
            }
            Expr::If(condition, then_branch, else_branch) => {
                condition.walk_phase(phase, visit);
                then_branch.walk_phase(phase, visit);
                else_branch.walk_phase(phase, visit);
            }
            Expr::Apply(_, args)
            | Expr::Random(_, _, args)
            | Expr::RandomLookup(_, args)
            | Expr::Order { vector: args, .. }
            | Expr::InvertMatrix { elements: args, .. } => {
                args.iter().for_each(|arg| arg.walk_phase(phase, visit));
            }
            Expr::Choose(index, options) => {
                index.walk_phase(phase, visit);
                options.iter().for_each(|option| option.walk_phase(phase, visit));
            }
            Expr::QueueBatches { after, room, arriving, .. } => {
                after.walk_phase(phase, visit);
                room.iter().for_each(|room| room.walk_phase(phase, visit));
                arriving.iter().for_each(|inflow| inflow.walk_phase(phase, visit));
            }
            Expr::SortedIndex { rank, vector, tie_break } => {
                rank.walk_phase(phase, visit);
                vector.iter().chain(tie_break).for_each(|element| element.walk_phase(phase, visit));
            }
            Expr::VectorSelect { selections, values, missing, action, error_action } => {
                selections.iter().chain(values).for_each(|element| element.walk_phase(phase, visit));
                for part in [missing, action, error_action] {
                    part.walk_phase(phase, visit);
                }
            }
            Expr::Allocate { requests, priorities, width, supply, .. } => {
                requests.iter().chain(priorities).for_each(|element| element.walk_phase(phase, visit));
                width.walk_phase(phase, visit);
                supply.walk_phase(phase, visit);
            }
            Expr::VectorLookup { values, x, xmin, xmax, mode } => {
                values.iter().for_each(|element| element.walk_phase(phase, visit));
                for part in [x, xmin, xmax, mode] {
                    part.walk_phase(phase, visit);
                }
            }
            Expr::Phased { initial, active } => {
                if phase != Some(Phase::Active) {
                    initial.walk_phase(phase, visit);
                }
                if phase != Some(Phase::Initial) {
                    active.walk_phase(phase, visit);
                }
            }
            Expr::Const(_)
            | Expr::Var(_)
            | Expr::Time
            | Expr::Dt
            | Expr::StartTime
            | Expr::StopTime
            | Expr::Init(_)
            | Expr::Previous(_)
            | Expr::Delayed(_)
            | Expr::Conveyed(..)
            | Expr::QueueFront(_) => {}
        }
    }

    /// Does the value change during a run even when every variable it reads stays the same?
    /// True for time, test inputs, randomness and per-step state.
    pub fn reads_clock_or_state(&self) -> bool {
        let mut found = false;
        self.walk(&mut |expr| found |= expr.is_clock_or_state());
        found
    }

    /// Is this node itself (not its operands) time, a test input, a random draw or per-step
    /// state, whose value changes during a run whatever it reads?
    pub fn is_clock_or_state(&self) -> bool {
        matches!(
            self,
            Expr::Time
                | Expr::Apply(Function::Step | Function::Ramp | Function::Pulse | Function::PulseTrain, _)
                | Expr::Previous(_)
                | Expr::Delayed(_)
                | Expr::History(..)
                | Expr::Conveyed(..)
                | Expr::QueueFront(_)
                | Expr::QueueBatches { .. }
                | Expr::Random(..)
                // Its value at the start is not its value from then on.
                | Expr::Phased { .. }
        )
    }
}
