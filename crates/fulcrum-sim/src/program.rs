//! The compiled form of a model: a flat program over numbered slots.
//!
//! Slot `s` of lane `l` lives at `values[s][l]`; every instruction is a loop over the lanes.
//! Names are gone: a run never looks up a string or walks a tree.

use fulcrum_model::calendar::{Calendar, CalendarField};
use fulcrum_model::{GraphKind, Method, VarId};

/// Index of a value slot.
pub type Slot = u32;

/// Slots every program has, at fixed places.
pub(crate) mod fixed {
    use super::Slot;
    /// Current time (of the evaluation: a Runge-Kutta stage has its own).
    pub const TIME: Slot = 0;
    /// The integration step.
    pub const DT: Slot = 1;
    /// Start time.
    pub const START: Slot = 2;
    /// Stop time.
    pub const STOP: Slot = 3;
    /// The time of the step being taken: the same in all its Runge-Kutta stages.
    pub const STEP_TIME: Slot = 4;
    /// How many fixed slots there are.
    pub const COUNT: u32 = 5;
}

/// One instruction. Operands are slots; each instruction runs over all lanes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Op {
    Copy {
        dst: Slot,
        src: Slot,
    },
    Unary {
        kind: UnaryKind,
        dst: Slot,
        a: Slot,
    },
    Binary {
        kind: BinaryKind,
        dst: Slot,
        a: Slot,
        b: Slot,
    },
    /// `IF cond THEN a ELSE b`, with both branches already computed.
    Select {
        dst: Slot,
        cond: Slot,
        a: Slot,
        b: Slot,
    },
    /// `a / b`, or `fallback` when `b` is exactly zero.
    SafeDiv {
        dst: Slot,
        a: Slot,
        b: Slot,
        fallback: Slot,
    },
    Step {
        dst: Slot,
        height: Slot,
        start: Slot,
    },
    Ramp {
        dst: Slot,
        slope: Slot,
        start: Slot,
        end: Slot,
    },
    Pulse {
        dst: Slot,
        magnitude: Slot,
        first: Slot,
        interval: Slot,
    },
    /// Vensim's `PULSE TRAIN`: 1 while a pulse is on, else 0.
    PulseTrain {
        dst: Slot,
        start: Slot,
        width: Slot,
        between: Slot,
        end: Slot,
    },
    Lookup {
        dst: Slot,
        graph: u32,
        x: Slot,
    },
    /// Vensim's VECTOR SELECT over two lists of the same length (see
    /// `fulcrum_model::resolve::Expr::VectorSelect`).
    VectorSelect {
        dst: Slot,
        selections: u32,
        values: u32,
        missing: Slot,
        action: Slot,
        error_action: Slot,
    },
    /// The slot at position `index` (rounded) of list `list`; NaN outside it.
    Choose {
        dst: Slot,
        index: Slot,
        list: u32,
    },
    /// The rank (from 1) of the list's element at `position`, or the 0-based position of the
    /// element sorted to place `position`; equal values keep their order.
    Order {
        dst: Slot,
        list: u32,
        position: u32,
        sort_order: bool,
        ascending: bool,
    },
    /// The position, from 1, of the list's element that sorts to place `rank` (rounded) in
    /// ascending order, equal values ordered by the tie-break list (`u32::MAX` for none), then
    /// by position; NaN for a place outside the list or a NaN in it (Stella's `RANK`).
    SortedIndex {
        dst: Slot,
        rank: Slot,
        list: u32,
        tie_break: u32,
    },
    /// What a queue offers after `after` (a rate) is taken from its front, as a rate: the
    /// batches the queue holds, front first, then one per positive rate in the `arriving` list,
    /// times `dt`; the first batch left, or with a `room` (`NO_ROOM` for none) the whole batches
    /// from there that fit in it (see `fulcrum_model::resolve::Expr::QueueBatches`).
    QueueBatches {
        dst: Slot,
        queue: u32,
        after: Slot,
        room: Slot,
        arriving: u32,
    },
    /// The share of the request at `position` (see `fulcrum_model::resolve::Expr::Allocate`).
    Allocate {
        dst: Slot,
        rule: fulcrum_model::resolve::AllocationRule,
        position: u32,
        requests: u32,
        priorities: u32,
        width: Slot,
        supply: Slot,
    },
    /// The value `source` had at the time in slot `time`, from the values recorded step by step
    /// in history `history` (see `fulcrum_model::resolve::Expr::History`).
    History {
        dst: Slot,
        source: Slot,
        history: u32,
        time: Slot,
    },
    /// Vensim's VECTOR LOOKUP of the values in list `values` (see
    /// `fulcrum_model::resolve::Expr::VectorLookup`).
    VectorLookup {
        dst: Slot,
        values: u32,
        x: Slot,
        xmin: Slot,
        xmax: Slot,
        mode: Slot,
    },
    /// Element `position` of the inverse of the square matrix in list `matrix`, row by row.
    InvertMatrix {
        dst: Slot,
        position: u32,
        matrix: u32,
    },
    /// Turns the standard variate in `variate` into a draw with parameters `p` and `q`.
    Random {
        distribution: fulcrum_model::resolve::Distribution,
        dst: Slot,
        variate: Slot,
        p: Slot,
        q: Slot,
    },
    /// One of Vensim's RANDOM functions: the variate in `variate` seeds a draw of `family` with
    /// the arguments in list `args` (`[min, max, shift, stretch, parameters...]`).
    Truncated {
        family: fulcrum_model::resolve::Family,
        dst: Slot,
        variate: Slot,
        args: u32,
    },
    /// Vensim's RANDOM LOOKUP: a draw with the graph as its density, from the arguments in list
    /// `args` (`[min, max, shift, stretch, u]`).
    RandomLookup {
        dst: Slot,
        graph: u32,
        args: u32,
    },
    /// The area under a graphical function from `from` to `to`.
    LookupArea {
        dst: Slot,
        graph: u32,
        from: Slot,
        to: Slot,
    },
    /// Rounds the value to the nearest single-precision number (in single precision only: see
    /// `Compiler::round_to_single`).
    RoundToSingle {
        slot: Slot,
    },
    /// Uniflow: never below zero.
    ClampNonNegative {
        slot: Slot,
    },
    /// Starts a non-negative stock's budget for this evaluation: what it holds, per unit time.
    StartBudget {
        budget: Slot,
        stock: Slot,
    },
    /// Limits a flow so that non-negative stocks never go below zero. The flow drains `source`
    /// when positive and `sink` when negative; `NO_BUDGET` means that side is unconstrained.
    LimitFlow {
        flow: Slot,
        source: Slot,
        sink: Slot,
    },
}

impl Op {
    /// The slot whose value this instruction computes; `None` for instructions that only move a
    /// value from one slot to another or pick one, whose result is as precise as what they read.
    pub(crate) fn computed(&self) -> Option<Slot> {
        match *self {
            Op::Copy { .. } | Op::Select { .. } | Op::Choose { .. } | Op::RoundToSingle { .. } => None,
            Op::ClampNonNegative { .. } => None,
            Op::Unary { dst, .. }
            | Op::Binary { dst, .. }
            | Op::SafeDiv { dst, .. }
            | Op::Step { dst, .. }
            | Op::Ramp { dst, .. }
            | Op::Pulse { dst, .. }
            | Op::PulseTrain { dst, .. }
            | Op::Lookup { dst, .. }
            | Op::VectorSelect { dst, .. }
            | Op::Order { dst, .. }
            | Op::SortedIndex { dst, .. }
            | Op::QueueBatches { dst, .. }
            | Op::Allocate { dst, .. }
            | Op::History { dst, .. }
            | Op::VectorLookup { dst, .. }
            | Op::InvertMatrix { dst, .. }
            | Op::Random { dst, .. }
            | Op::Truncated { dst, .. }
            | Op::LookupArea { dst, .. }
            | Op::RandomLookup { dst, .. } => Some(dst),
            Op::StartBudget { budget, .. } => Some(budget),
            Op::LimitFlow { flow, .. } => Some(flow),
        }
    }
}

/// A binary instruction's slots: `dst = a ∘ b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Operands {
    pub dst: Slot,
    pub a: Slot,
    pub b: Slot,
}

/// A select's slots: `dst = if cond != 0 { a } else { b }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Choice {
    pub dst: Slot,
    pub cond: Slot,
    pub a: Slot,
    pub b: Slot,
}

/// The evaluation program as the interpreter runs it (`crate::fuse` makes it from the `Op`s):
/// the commonest instructions each have a variant of their own, so one dispatch finds both what
/// they are and their kind, and the commonest consecutive pairs are one instruction that does
/// the first and then the second, exactly as the two would, writing every slot they write: two
/// of `+ − × ÷`; one of them and a select, either way round; a comparison then a select; two
/// selects; a select then a copy; a copy then a copy or one of `+ − × ÷`; a lookup then one of
/// `+ − × ÷`; a division then a lookup of its quotient. Slots in a pair's fields are in the order
/// of the instructions' own fields (`dst` first). Everything else is the `Op` itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Instr {
    Copy {
        dst: Slot,
        src: Slot,
    },
    Select(Choice),
    Lookup {
        dst: Slot,
        graph: u32,
        x: Slot,
    },
    Add(Operands),
    Sub(Operands),
    Mul(Operands),
    Div(Operands),
    Pow(Operands),
    Unary {
        kind: UnaryKind,
        dst: Slot,
        a: Slot,
    },
    SafeDiv {
        dst: Slot,
        a: Slot,
        b: Slot,
        fallback: Slot,
    },
    ClampNonNegative {
        slot: Slot,
    },
    StartBudget {
        budget: Slot,
        stock: Slot,
    },
    LimitFlow {
        flow: Slot,
        source: Slot,
        sink: Slot,
    },
    Min(Operands),
    Max(Operands),
    Lt(Operands),
    Le(Operands),
    Gt(Operands),
    Ge(Operands),
    Eq(Operands),
    Ne(Operands),
    And(Operands),
    Or(Operands),
    AddAdd(Operands, Operands),
    AddSub(Operands, Operands),
    AddMul(Operands, Operands),
    AddDiv(Operands, Operands),
    SubAdd(Operands, Operands),
    SubSub(Operands, Operands),
    SubMul(Operands, Operands),
    SubDiv(Operands, Operands),
    MulAdd(Operands, Operands),
    MulSub(Operands, Operands),
    MulMul(Operands, Operands),
    MulDiv(Operands, Operands),
    DivAdd(Operands, Operands),
    DivSub(Operands, Operands),
    DivMul(Operands, Operands),
    DivDiv(Operands, Operands),
    AddSelect(Operands, Choice),
    SubSelect(Operands, Choice),
    MulSelect(Operands, Choice),
    DivSelect(Operands, Choice),
    SelectSelect(Choice, Choice),
    LtSelect(Operands, Choice),
    LeSelect(Operands, Choice),
    GtSelect(Operands, Choice),
    GeSelect(Operands, Choice),
    EqSelect(Operands, Choice),
    NeSelect(Operands, Choice),
    SelectAdd(Choice, Operands),
    SelectSub(Choice, Operands),
    SelectMul(Choice, Operands),
    SelectDiv(Choice, Operands),
    SelectCopy(Choice, Slot, Slot),
    /// A copy of `.1` into `.0`, then one of `.3` into `.2`.
    CopyCopy(Slot, Slot, Slot, Slot),
    CopyAdd(Slot, Slot, Operands),
    CopySub(Slot, Slot, Operands),
    CopyMul(Slot, Slot, Operands),
    CopyDiv(Slot, Slot, Operands),
    LookupAdd(Slot, u32, Slot, Operands),
    LookupSub(Slot, u32, Slot, Operands),
    LookupMul(Slot, u32, Slot, Operands),
    LookupDiv(Slot, u32, Slot, Operands),
    /// `a / b` into `dst`, then the lookup of graph `.2` at that quotient into slot `.1`.
    DivLookup(Operands, Slot, u32),
    Op(Op),
}

/// Marks an [`Op::QueueBatches`] that takes the front batch alone.
pub(crate) const NO_ROOM: Slot = Slot::MAX;

/// Marks a side of [`Op::LimitFlow`] that has no non-negative stock.
pub(crate) const NO_BUDGET: Slot = Slot::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UnaryKind {
    Neg,
    Not,
    Abs,
    Exp,
    Ln,
    Log10,
    Sqrt,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Floor,
    Truncate,
    Round,
    Sign,
    GammaLn,
    NormalCdf,
    NormalQuantile,
    /// A field of the date of a day number (`GET_TIME_VALUE`'s calendar measures).
    Calendar(Calendar, CalendarField),
    /// `1 / x`: `x^-1` without `pow`.
    Reciprocal,
    /// `x^0.5` without `pow`: the square root, but +0 at -0 and +∞ at -∞, as `pow` answers.
    PowHalf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinaryKind {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Mod,
    Remainder,
    Quantum,
    Min,
    Max,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

/// A graphical function table ready for lookups.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Table {
    pub kind: GraphKind,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// Slope of each segment: `slopes[i]` runs from point `i` to point `i + 1`.
    pub slopes: Vec<f64>,
    /// How a lookup finds the segment that holds its argument.
    pub search: Search,
    /// Whether each point's own segment, extended back to it, gives the point's value to the
    /// bit: the points are finite and strictly increasing, every slope is finite and no value
    /// is -0 (`y + (x - x) * slope` is then `y`, since `x - x` is a zero and `y + ±0` is `y`
    /// unless `y` is -0). A `Search::Count` sweep then need not look for a point equal to the
    /// argument (see `functions::lookup_lanes`).
    pub exact_at_points: bool,
    /// `Search::Direct`'s segments, one per guess `g` (so `x.len() - 1` of them): the start
    /// point, value and slope of segments `g - 1`, `g` and `g + 1`, in that order (see
    /// `Table::neighbours`). Empty for every other search.
    pub neighbours: Vec<[f64; 9]>,
}

/// How a lookup finds how many of a table's points lie below its argument. Every way gives the
/// same count; they differ only in cost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Search {
    /// Longer, evenly spaced tables: each lane's segment is guessed as `floor((x - start) * scale)` and corrected
    /// by comparing with its two ends. `Table::new` chooses this only after checking, at every
    /// point, that the guess there is the point's own segment or the one before it; since the
    /// guess never decreases as `x` grows, it is then at most one segment away for every `x`,
    /// and the correction makes it exact.
    Even { start: f64, scale: f64 },
    /// Evenly spaced tables (as for `Even`) that are exact at their points: the guess picks a
    /// record of three neighbouring segments (`Table::neighbours`) and two compares with the
    /// guessed segment's ends pick one of them, the segment whose start is the last point at or
    /// below the argument. One bounds-checked read per lane; no search. Chosen at
    /// `DIRECT_POINTS` points and more (and, with lanes to share a sweep, used from
    /// `SWEPT_DIRECT_POINTS`), where it costs less than the sweep or the per-lane count.
    Direct { start: f64, scale: f64 },
    /// Short tables: a sweep over the points that compares each with every lane's argument and
    /// keeps, with selects, the last point below it; it vectorizes across lanes, so it costs
    /// fewer instructions per lane than finding each lane's segment up to `COUNTED_POINTS`.
    Count,
    /// Long, unevenly spaced tables: a binary search.
    Bisect,
    /// Points not in increasing order (or NaN), which models refuse: each lane searches on its
    /// own, as `functions::lookup` does.
    Unordered,
}

/// Up to this many points, a table is searched by comparing every point (`Search::Count`).
pub(crate) const COUNTED_POINTS: usize = 32;

/// From this many points, an evenly spaced table that is exact at its points takes
/// `Search::Direct`; below it, the sweep or (in one lane) the per-lane count. Measured on
/// WORLD3-03's tables (all evenly spaced, 2 to 26 points) under callgrind: one lane's count
/// costs less than the direct read up to 6 points.
pub(crate) const DIRECT_POINTS: usize = 7;

/// With lanes to share the sweep (`functions::lookup_lanes`), a `Search::Direct` table of fewer
/// points than this is swept instead: at 16 lanes the sweep costs less up to 9 points.
pub(crate) const SWEPT_DIRECT_POINTS: usize = 10;

impl Table {
    pub fn new(kind: GraphKind, x: Vec<f64>, y: Vec<f64>) -> Table {
        let slopes: Vec<f64> = x.windows(2).zip(y.windows(2)).map(|(x, y)| (y[1] - y[0]) / (x[1] - x[0])).collect();
        let ordered = x.iter().all(|point| !point.is_nan()) && x.windows(2).all(|pair| pair[0] <= pair[1]);
        let exact_at_points = x.iter().all(|point| point.is_finite())
            && x.windows(2).all(|pair| pair[0] < pair[1])
            && slopes.iter().all(|slope| slope.is_finite())
            && y.iter().all(|value| value.to_bits() != (-0.0f64).to_bits());
        let even = if ordered { even_search(&x) } else { None };
        let search = match even {
            _ if !ordered => Search::Unordered,
            Some((start, scale)) if exact_at_points && x.len() >= DIRECT_POINTS => Search::Direct { start, scale },
            _ if x.len() <= COUNTED_POINTS => Search::Count,
            Some((start, scale)) => Search::Even { start, scale },
            None => Search::Bisect,
        };
        let neighbours =
            if matches!(search, Search::Direct { .. }) { Table::neighbours(&x, &y, &slopes) } else { Vec::new() };
        Table { kind, x, y, slopes, search, exact_at_points, neighbours }
    }

    /// For each segment `g`, the start point, value and slope of segments `g - 1`, `g` and
    /// `g + 1`. Where `g - 1` or `g + 1` is not a segment, the record holds what the lookup
    /// needs there: for `g + 1` past the last segment, the last point (the guessed segment's
    /// upper end, which the lookup compares with), and otherwise a copy of segment `g`. A lookup
    /// picks those only for arguments outside the table, whose values the ends give.
    fn neighbours(x: &[f64], y: &[f64], slopes: &[f64]) -> Vec<[f64; 9]> {
        let segments = slopes.len();
        let segment = |k: usize| {
            if k < segments { [x[k], y[k], slopes[k]] } else { [x[segments], y[segments], slopes[segments - 1]] }
        };
        (0..segments)
            .map(|g| {
                let ([lx, ly, ls], [gx, gy, gs], [ax, ay, as_]) =
                    (segment(g.saturating_sub(1)), segment(g), segment(g + 1));
                [lx, ly, ls, gx, gy, gs, ax, ay, as_]
            })
            .collect()
    }

    /// The segment `Search::Even` guesses for `x`: `floor((x - start) * scale)`, clamped to the
    /// segments `0 ..= last - 1` (NaN to 0). Never smaller for a larger `x`: every step rounds
    /// monotonically. Straight-line code, so that a loop over lanes can vectorize it.
    #[inline(always)]
    pub fn guess_segment(start: f64, scale: f64, last: usize, x: f64) -> usize {
        /// 2^52: added to a whole number below it, leaves that number in the low mantissa bits.
        const WHOLE: f64 = 4_503_599_627_370_496.0;
        let guess = ((x - start) * scale).floor();
        let guess = if guess > 0.0 { guess } else { 0.0 };
        let top = (last - 1) as f64;
        let guess = if guess < top { guess } else { top };
        ((guess + WHOLE).to_bits() - WHOLE.to_bits()) as usize
    }
}

/// `Search::Even`'s start and scale, when its guess is never more than one segment off for these
/// points: finite, in increasing order, and at each point `k` guessing segment `k − 1` or `k`
/// (the segments that end or start at it). Decided exactly, at the points themselves, so whether
/// the points count as evenly spaced never changes a lookup's result, only its cost.
fn even_search(x: &[f64]) -> Option<(f64, f64)> {
    let last = x.len().checked_sub(1).filter(|&last| last >= 1)?;
    let (start, end) = (x[0], x[last]);
    if !x.iter().all(|point| point.is_finite()) || x.windows(2).any(|pair| pair[1] < pair[0]) || end <= start {
        return None;
    }
    let scale = last as f64 / (end - start);
    if !scale.is_finite() {
        return None;
    }
    let fits = x.iter().enumerate().all(|(k, &point)| {
        let guess = Table::guess_segment(start, scale, last, point);
        guess + 1 >= k && guess <= k
    });
    fits.then_some((start, scale))
}

/// Where each kind of state lives.
#[derive(Clone, Debug, Default)]
pub(crate) struct Layout {
    /// Total slots.
    pub slot_count: usize,
    /// Numbers that appear in equations: filled once per batch.
    pub literals: Vec<(Slot, f64)>,
    /// Stocks occupy `first_stock .. first_stock + stock_count`, and their net rates of change
    /// the same number of slots from `first_rate`, in the same order.
    pub first_stock: Slot,
    pub first_rate: Slot,
    pub stock_count: usize,
    /// `PREVIOUS`: the value read, and where the next value waits until the step is done.
    pub previous: Vec<PreviousSlots>,
    /// Pipeline delays.
    pub delays: Vec<DelaySlots>,
    /// Variables whose every step is recorded for `HISTORY`: the slot recorded.
    pub histories: Vec<Slot>,
    /// Conveyors' belts.
    pub conveyors: Vec<ConveyorSlots>,
    /// How many leaks are recorded for an inflow placed by its source.
    pub spills: usize,
    /// Queues' batches.
    pub queues: Vec<QueueSlots>,
    /// Random draw sites: the slot holding this step's standard variate.
    pub draws: Vec<DrawSlot>,
    /// Variables checked for NaN and infinity at every saved time.
    pub checked: Vec<(Slot, VarId)>,
    /// The checked variables that are not stocks, in the same order: what a saved time after
    /// the start checks, since the stocks have been checked at the end of every step already.
    pub checked_after_start: Vec<(Slot, VarId)>,
}

/// A conveyor: what its belt reads and writes.
#[derive(Clone, Debug)]
pub(crate) struct ConveyorSlots {
    /// The stock, whose initial value is spread over the belt.
    pub stock: Slot,
    /// The inflows, read when the step is done.
    pub inflows: Vec<Slot>,
    /// Where each of `inflows` puts what it brings on the belt.
    pub placements: Vec<Placement>,
    /// The transit time, read with the inflows.
    pub transit_time: Slot,
    /// What leaves during the step as a rate: the end of the belt, then each leak.
    pub outputs: Vec<Slot>,
    /// The leaks, in the order of `outputs[1..]`.
    pub leaks: Vec<LeakSlots>,
    /// Non-zero at `t`: the belt stands still during the step.
    pub arrest: Option<Slot>,
    pub discrete: bool,
    pub exponential_leak: bool,
    /// The belt moves `dt / transit time` of the way each step (Vensim's DELAY CONVEYOR).
    pub variable_speed: bool,
}

/// Where a conveyor inflow puts what it brings during a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    Beginning,
    Even,
    Existing,
    /// Where another conveyor's leak took it from: the leak's record in `Batch`'s spills.
    Source(u32),
    /// In proportion to a graphical function (its index among the model's tables) read at the
    /// part of the journey still ahead at each position.
    Profile(u32),
}

/// A queue: what its batches read and write.
#[derive(Clone, Debug)]
pub(crate) struct QueueSlots {
    /// The stock, whose initial value is the first batch.
    pub stock: Slot,
    /// Each inflow brings one batch per step, in this order.
    pub inflows: Vec<Slot>,
    /// What the outflows take comes off the front.
    pub outflows: Vec<Slot>,
    /// What is left of the front batch, written between steps.
    pub front: Slot,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct LeakSlots {
    pub fraction: Slot,
    pub zone_start: f64,
    pub zone_end: f64,
    pub integers: bool,
    /// Where what this leak takes is recorded, slat by slat, for an inflow that places it by
    /// its source.
    pub spill: Option<u32>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct PreviousSlots {
    pub source: Slot,
    pub value: Slot,
    pub pending: Slot,
    /// The value at `t` is read from the first Runge-Kutta stage of the step on (SAMPLE IF
    /// TRUE's hold), rather than once the step is done (PREVIOUS).
    pub before_step: bool,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct DelaySlots {
    pub input: Slot,
    pub output: Slot,
    /// Delay time and initial output, computed by the initial program.
    pub delay_time: Slot,
    pub initial: Slot,
    /// `DELAY MATERIAL`: the delay time read at every step, and the output when nothing
    /// leaves (computed by the initial program).
    pub material: Option<MaterialSlots>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct MaterialSlots {
    pub delay_time: Slot,
    pub missing: Slot,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct DrawSlot {
    pub slot: Slot,
    /// A standard normal variate (else uniform on [0, 1)).
    pub normal: bool,
    /// A fixed seed: the same sequence in every run.
    pub seed: Option<u64>,
}

/// Time settings computed during the run: the slots (and variables) that hold them, each read
/// after every evaluation. A setting that is a number keeps its value in [`TimeAxis`].
#[derive(Clone, Debug)]
pub(crate) struct ComputedAxis {
    pub stop: Option<(Slot, VarId)>,
    pub dt: Option<(Slot, VarId)>,
    pub save: Option<(Slot, VarId)>,
    /// The save interval when it is a number; `None` saves every step.
    pub save_step: Option<f64>,
}

/// The time axis of a run, fixed at compile time. For a model whose time settings are computed
/// during the run ([`crate::CompiledModel::time_is_computed`]), only `start` and `method` hold,
/// and `stop` and `dt` where they are numbers; each run finds its own steps and saved times.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeAxis {
    /// Start time.
    pub start: f64,
    /// Stop time as given.
    pub stop: f64,
    /// Integration step.
    pub dt: f64,
    /// Number of steps: time runs over `start + n * dt` for `n` in `0..=steps`.
    pub steps: usize,
    /// Save every this many steps (and always the last step).
    pub save_every: usize,
    /// Integration method.
    pub method: Method,
}

impl TimeAxis {
    /// The time at step `n`, computed by multiplication so it never drifts.
    pub fn time_at(&self, step: usize) -> f64 {
        self.start + step as f64 * self.dt
    }

    /// Is step `n` a saved time?
    pub fn is_saved(&self, step: usize) -> bool {
        step.is_multiple_of(self.save_every) || step == self.steps
    }

    /// The saved times, in order.
    pub fn save_times(&self) -> Vec<f64> {
        (0..=self.steps).filter(|&step| self.is_saved(step)).map(|step| self.time_at(step)).collect()
    }

    /// How many times are saved.
    pub fn save_count(&self) -> usize {
        self.steps / self.save_every + 1 + usize::from(!self.steps.is_multiple_of(self.save_every))
    }
}
