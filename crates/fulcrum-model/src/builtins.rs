//! The built-in functions of the equation language, with their arities.

use crate::name::CanonicalName;

/// Every built-in function and zero-argument built-in name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Builtin {
    // Mathematical (XMILE 3.5.1 and common vendor additions).
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
    /// `INT(x)`: the largest integer not above x.
    Int,
    /// `ROUND(x)`: nearest integer, halves away from zero.
    Round,
    /// `SIGN(x)`: -1, 0 or 1.
    Sign,
    /// `MIN(a, b, ...)`: the smallest of its arguments, every element of arrays included.
    Min,
    /// `MAX(a, b, ...)`: the largest of its arguments, every element of arrays included.
    Max,
    /// `SUM(array)`
    Sum,
    /// `PROD(array)`
    Prod,
    /// `MEAN(array)`
    Mean,
    /// `STDDEV(array)`: population standard deviation.
    Stddev,
    /// `SIZE(array)`
    Size,
    /// `MODULO(a, b)`: the function form of `a MOD b`.
    Modulo,
    /// `SAFEDIV(a, b[, x])`: a/b, or x (default 0) when b is zero.
    SafeDiv,
    /// `XIDZ(a, b, x)`: a/b, or x when b is zero.
    Xidz,
    /// `ZIDZ(a, b)`: a/b, or 0 when b is zero.
    Zidz,
    /// `IF_THEN_ELSE(c, a, b)`: the function form of `IF c THEN a ELSE b`.
    IfThenElse,
    /// `PI`
    Pi,
    /// `INF`
    Inf,
    // Time (XMILE 3.5.5).
    /// `TIME`
    Time,
    /// `DT`
    Dt,
    /// `STARTTIME`
    StartTime,
    /// `STOPTIME`
    StopTime,
    // Test inputs (XMILE 3.5.4).
    /// `STEP(height, start)`
    Step,
    /// `RAMP(slope, start[, end])`
    Ramp,
    /// `PULSE(magnitude, first[, interval])`
    Pulse,
    // Graphical functions.
    /// `LOOKUP(graph, x)`
    Lookup,
    // Miscellaneous (XMILE 3.5.6).
    /// `INIT(x)`: the value of x at the start.
    Init,
    /// `PREVIOUS(x[, initial])`: the value of x one dt ago.
    Previous,
    // Delays and smooths (XMILE 3.5.3).
    /// `SMTH1(input, averaging time[, initial])`
    Smth1,
    /// `SMTH3(input, averaging time[, initial])`
    Smth3,
    /// `SMTHN(input, averaging time, n[, initial])`
    SmthN,
    /// `DELAY1(input, delay time[, initial])`
    Delay1,
    /// `DELAY3(input, delay time[, initial])`
    Delay3,
    /// `DELAYN(input, delay time, n[, initial])`
    DelayN,
    /// `DELAY(input, delay time[, initial])`: a pipeline (transport) delay.
    Delay,
    /// `TREND(input, averaging time[, initial trend])`
    Trend,
    /// `FORCST(input, averaging time, horizon[, initial trend])`
    Forcst,
    // Statistical (XMILE 3.5.2).
    /// `RANDOM(min, max[, seed])`
    Random,
    /// `NORMAL(mean, sd[, seed, min, max, sample])`
    Normal,
    /// `LOGNORMAL(mean, sd[, seed, min, max, sample])`
    Lognormal,
    /// `EXPRND(mean[, seed, min, max, sample])`
    Exprnd,
    /// `POISSON(mean[, seed, min, max, sample])`
    Poisson,
    // Functions of Vensim's library, named as Vensim names them (spaces as underscores).
    /// `SAMPLE_IF_TRUE(condition, input, initial)`: the input while the condition holds, else
    /// the value last sampled.
    SampleIfTrue,
    /// `ACTIVE_INITIAL(active, initial)`: `initial` while the initial values are computed,
    /// `active` from then on.
    ActiveInitial,
    /// `PULSE_TRAIN(start, width, between, end)`: 1 for `width` from `start` and every `between`
    /// after it, until `end`; else 0.
    PulseTrain,
    /// `QUANTUM(x, q)`: x truncated toward zero to a whole multiple of q; x when q <= 0.
    Quantum,
    /// `LOG(x, base)`
    Log,
    /// `GAMMA_LN(x)`: the natural logarithm of the gamma function.
    GammaLn,
    /// `GET_TIME_VALUE(relative_to, offset, measure)`: the current or initial time plus an offset.
    GetTimeValue,
    /// `NPV(stream, discount_rate[, initial[, factor]])`: net present value of a stream; with four
    /// arguments Vensim's, with two or three Stella's (the stream valued at the end of each period,
    /// as spreadsheets do).
    Npv,
    /// `DELAY_FIXED(input, delay time, initial)`: a pipeline delay, as DELAY.
    DelayFixed,
    /// `LOOKUP_EXTRAPOLATE(graph, x)`: the graph, extrapolated linearly beyond its ends.
    LookupExtrapolate,
    /// `LOOKUP_FORWARD(graph, x)`: the value of the graph's next point at or above x.
    LookupForward,
    /// `LOOKUP_BACKWARD(graph, x)`: the value of the graph's last point at or below x.
    LookupBackward,
    /// `ELMCOUNT(dimension)`: how many elements the dimension has.
    Elmcount,
    /// `VMIN(array)`: the smallest element, as MIN of an array.
    Vmin,
    /// `VMAX(array)`: the largest element, as MAX of an array.
    Vmax,
    /// `VECTOR_SELECT(selection, values, missing, action, error_action)`: the elements of
    /// `values` where `selection` is not zero, summed, multiplied, averaged or their extreme.
    VectorSelect,
    /// `VECTOR_ELM_MAP(array[element], offset)`: the element `offset` places after the one named,
    /// counting through the array in row-major order.
    VectorElmMap,
    /// `VECTOR_REORDER(array[dimension], order[dimension])`: element `i` is the array's element
    /// at the 0-based position `order[i]` along its last dimension.
    VectorReorder,
    /// `VECTOR_SORT_ORDER(array[dimension], direction)`: element `i` is the 0-based position of the
    /// `i`-th smallest (direction > 0) or largest element along the last dimension.
    VectorSortOrder,
    /// `VECTOR_RANK(array[dimension], direction)`: each element's rank from 1, smallest first
    /// (direction > 0) or largest first, along the last dimension.
    VectorRank,
    /// `ALLOCATE_BY_PRIORITY(request[dim], priority[dim], size, width, supply)`: the supply shared
    /// among the requests along the last dimension, higher priorities first; priorities closer
    /// than `width` share.
    AllocateByPriority,
    /// `ALLOCATE_AVAILABLE(request[dim], profile[dim, first], supply)`: the supply shared among
    /// the requests along the last dimension by their priority profiles (type, priority, width,
    /// extra: four elements from the one named).
    AllocateAvailable,
    /// `INVERT_MATRIX(matrix[rows, columns], size)`: the inverse of the square matrix the last two
    /// dimensions of the variable defined span.
    InvertMatrix,
    /// `VECTOR_LOOKUP(array[first], x, xmin, xmax, mode)`: the array's row along its last
    /// dimension as a graphical function over evenly spread points from xmin to xmax, read at x
    /// as a lookup, area, backward, extrapolating, forward, inverse or slope (modes 0 to 9).
    VectorLookup,
    /// `FIND_MARKET_PRICE(demand[first], demand_profile[first, ptype], supply[first],
    /// supply_profile[first, ptype])`: the price at which the demand curves add up to the supply
    /// curves.
    FindMarketPrice,
    /// `DEMAND_AT_PRICE(quantity[dim], profile[dim, ptype], price)`: each demand curve read at the
    /// price, along the last dimension.
    DemandAtPrice,
    /// `ALLOC_P(request, priority, width, market_priority)`: the request's rectangular priority
    /// curve (ALLOCATE_BY_PRIORITY's) read at a market priority, element by element.
    AllocP,
    /// `MARKETP(request[first], priority[first], size, width, supply)`: the market priority at
    /// which ALLOC_P's allocations add up to the supply (ALLOCATE_BY_PRIORITY's threshold).
    Marketp,
    /// `SUPPLY_AT_PRICE(quantity[dim], profile[dim, ptype], price)`: each supply curve read at the
    /// price, along the last dimension.
    SupplyAtPrice,
    /// `RANDOM_NORMAL(min, max, mean, sd[, seed])`: normal, truncated to [min, max].
    RandomNormal,
    /// `RANDOM_EXPONENTIAL(min, max, shift, stretch[, seed])`: shift + stretch × an exponential of
    /// mean 1, truncated to [min, max].
    RandomExponential,
    /// `RANDOM_GAMMA(min, max, order, shift, stretch[, seed])`: shift + stretch × a gamma of that
    /// order (scale 1), truncated to [min, max].
    RandomGamma,
    /// `RANDOM_WEIBULL(min, max, shape, shift, stretch[, seed])`: shift + stretch × a Weibull of
    /// that shape (scale 1), truncated to [min, max].
    RandomWeibull,
    /// `RANDOM_BETA(min, max, alpha, beta, shift, stretch[, seed])`: shift + stretch × a beta,
    /// truncated to [min, max].
    RandomBeta,
    /// `RANDOM_TRIANGULAR(min, max, start, peak, end[, seed])`: triangular from start through peak
    /// to end, truncated to [min, max].
    RandomTriangular,
    /// `RANDOM_POISSON(min, max, mean, shift, stretch[, seed])`: shift + stretch × a Poisson count,
    /// truncated to [min, max].
    RandomPoisson,
    /// `RANDOM_BINOMIAL(min, max, probability, trials, shift, stretch[, seed])`: shift + stretch ×
    /// the successes in that many trials, truncated to [min, max].
    RandomBinomial,
    /// `RANDOM_NEGATIVE_BINOMIAL(min, max, probability, successes, shift, stretch[, seed])`: shift +
    /// stretch × the trials needed for that many successes, truncated to [min, max].
    RandomNegativeBinomial,
    /// `RANDOM_PINK_NOISE(mean, sd, correlation_time[, seed])`: normal noise smoothed over the
    /// correlation time, scaled so that its mean and standard deviation do not depend on dt.
    RandomPinkNoise,
    /// `RANDOM_LOOKUP(graph, min, max, shift, stretch[, seed])`: shift + stretch × a draw whose
    /// probability density is the graph between its first and last points (scaled to a total
    /// of 1), truncated to [min, max].
    RandomLookup,
    /// `NPVE(stream, discount_rate, initial, factor)`: net present value with the stream valued at
    /// the end of each period.
    Npve,
    /// `LOOKUP_INVERT(graph, y)`: the x at which a monotonic graph takes the value y.
    LookupInvert,
    /// `LOOKUP_AREA(graph, x1, x2)`: the area under the graph from x1 to x2.
    LookupArea,
    /// `DELAY_MATERIAL(input, delay_time, initial, missing)`: each step's input leaves after the
    /// delay time of the step it entered; what leaves together adds up; `missing` when nothing
    /// leaves.
    DelayMaterial,
    /// `GET_DATA_AT_TIME(data, time)`: a data variable's value at another time, read as the
    /// variable reads its own points (interpolated, held or looked forward).
    GetDataAtTime,
    /// `GET_DATA_BETWEEN_TIMES(data, time, mode)`: a data variable's value at a time, interpolated
    /// (mode 0), the later point's (1) or the earlier point's (-1); Vensim's `:NA:` outside its
    /// points.
    GetDataBetweenTimes,
    /// `GET_DATA_FIRST_TIME(data)`: the time of a data variable's first point.
    GetDataFirstTime,
    /// `GET_DATA_LAST_TIME(data)`: the time of a data variable's last point.
    GetDataLastTime,
    /// `GET_DATA_TOTAL_POINTS(data)`: how many points a data variable has.
    GetDataTotalPoints,
    /// `GET_DATA_MAX(data, from, to)`: the largest of a data variable's values at points from
    /// `from` to `to`; Vensim's `:NA:` when there are none.
    GetDataMax,
    /// `GET_DATA_MIN(data, from, to)`: the smallest, as GET_DATA_MAX.
    GetDataMin,
    /// `GET_DATA_MEAN(data, from, to)`: the mean of the values at those points, as GET_DATA_MAX.
    GetDataMean,
    // Functions of Stella's library, named as Stella names them.
    /// `COUNTER(start, end)`: counts up from `start` by one per unit of time, back to `start` on
    /// reaching `end`.
    Counter,
    /// `MONTECARLO(probability[, seed])`: 1 in a time step with chance `probability × DT / 100`
    /// (a percentage per unit of time), else 0.
    Montecarlo,
    /// `ALLOCATE(available, last_dimension, requests, priorities, width)`: Stella's allocation by
    /// priority, ALLOCATE_BY_PRIORITY with the arguments in Stella's order.
    Allocate,
    /// `HISTORY(variable, time)`: the value the variable had at an earlier time of the run.
    History,
    /// `DELAY_INFORMATION(input, delay time, initial)`: Vensim's information delay, the value the
    /// input had a delay time ago (which may change: values are skipped when it falls and
    /// repeated when it grows); `initial` until then.
    DelayInformation,
    /// `DERIVN(input, order)`: the order-th time derivative of the input by backward
    /// differences, `(x(t) − x(t − DT)) / DT` applied `order` times; 0 for the first `order`
    /// steps, before the input has that many past values.
    Derivn,
    /// `SINWAVE(amplitude, period)`: `amplitude × sin(2π × TIME / period)`.
    Sinwave,
    /// `COSWAVE(amplitude, period)`: `amplitude × cos(2π × TIME / period)`.
    Coswave,
    /// `TRIANGULAR(lower, mode, upper[, seed, min, max, sample])`: a triangular draw.
    Triangular,
    /// `WEIBULL(shape, scale[, seed, min, max, sample])`: a Weibull draw.
    Weibull,
    /// `GAMMA(shape[, scale, seed, min, max, sample])`: a gamma draw (scale 1 by default).
    Gamma,
    /// `BETA(alpha, beta[, seed, min, max, sample])`: a beta draw.
    Beta,
    /// `BINOMIAL(trials, probability[, seed, min, max, sample])`: the successes in that many trials.
    Binomial,
    /// `COMBINATIONS(n, r)`: the ways to choose r of n things, order aside.
    Combinations,
    /// `PERMUTATIONS(n, r)`: the ways to choose r of n things in order.
    Permutations,
    /// `RANK(array, rank[, tie_break_array])`: the flat index, from 1, of the element with that
    /// rank when the array is sorted in ascending order (XMILE 3.7.1.3).
    Rank,
    /// `FACTORIAL(n)`: n!, for a whole n from 0.
    Factorial,
    /// `UNIFORM(min, max[, seed])`: a uniform draw between min and max, as `RANDOM`.
    Uniform,
    // Stella's financial and statistical functions, named as Stella names them.
    /// `FV(rate, nper, pmt[, pv[, type]])`: the future value of an annuity, as spreadsheets
    /// compute it (money paid out negative).
    Fv,
    /// `PV(rate, nper, pmt[, fv[, type]])`: the present value of an annuity, as spreadsheets
    /// compute it.
    Pv,
    /// `PMT(rate, nper, pv[, fv[, type]])`: the payment per period of an annuity, as spreadsheets
    /// compute it.
    Pmt,
    /// `NORMALCDF(left, right[, mean, sd])`: the probability that a normal variable lies between
    /// left and right (mean 0 and sd 1 by default).
    Normalcdf,
    /// `INVNORM(probability[, mean, sd])`: the value below which a normal variable lies with that
    /// probability (mean 0 and sd 1 by default).
    Invnorm,
    /// `GEOMETRIC(probability[, seed, min, max, sample])`: the failures before the first success.
    Geometric,
    /// `NEGBINOMIAL(successes, probability[, seed, min, max, sample])`: the failures before that many
    /// successes.
    Negbinomial,
    /// `LOGISTIC(mean, scale[, seed, min, max, sample])`: a logistic draw.
    Logistic,
    /// `PARETO(shape, scale[, seed, min, max, sample])`: a Pareto draw, never below the scale.
    Pareto,
    /// `ROOTN(x, n)`: the n-th root of x (negative for a negative x and an odd whole n).
    Rootn,
}

/// Most arguments an array function takes; more is surely a mistake.
const VARIADIC: usize = 255;

/// Every builtin, for lookups by name.
const ALL: [Builtin; 135] = [
    Builtin::Abs,
    Builtin::Exp,
    Builtin::Ln,
    Builtin::Log10,
    Builtin::Sqrt,
    Builtin::Sin,
    Builtin::Cos,
    Builtin::Tan,
    Builtin::Arcsin,
    Builtin::Arccos,
    Builtin::Arctan,
    Builtin::Sinh,
    Builtin::Cosh,
    Builtin::Tanh,
    Builtin::Int,
    Builtin::Round,
    Builtin::Sign,
    Builtin::Min,
    Builtin::Max,
    Builtin::Sum,
    Builtin::Prod,
    Builtin::Mean,
    Builtin::Stddev,
    Builtin::Size,
    Builtin::Modulo,
    Builtin::SafeDiv,
    Builtin::Xidz,
    Builtin::Zidz,
    Builtin::IfThenElse,
    Builtin::Pi,
    Builtin::Inf,
    Builtin::Time,
    Builtin::Dt,
    Builtin::StartTime,
    Builtin::StopTime,
    Builtin::Step,
    Builtin::Ramp,
    Builtin::Pulse,
    Builtin::Lookup,
    Builtin::Init,
    Builtin::Previous,
    Builtin::Smth1,
    Builtin::Smth3,
    Builtin::SmthN,
    Builtin::Delay1,
    Builtin::Delay3,
    Builtin::DelayN,
    Builtin::Delay,
    Builtin::Trend,
    Builtin::Forcst,
    Builtin::Random,
    Builtin::Normal,
    Builtin::Lognormal,
    Builtin::Exprnd,
    Builtin::Poisson,
    Builtin::SampleIfTrue,
    Builtin::ActiveInitial,
    Builtin::PulseTrain,
    Builtin::Quantum,
    Builtin::Log,
    Builtin::GammaLn,
    Builtin::GetTimeValue,
    Builtin::Npv,
    Builtin::DelayFixed,
    Builtin::LookupExtrapolate,
    Builtin::LookupForward,
    Builtin::LookupBackward,
    Builtin::Elmcount,
    Builtin::Vmin,
    Builtin::Vmax,
    Builtin::VectorSelect,
    Builtin::VectorElmMap,
    Builtin::VectorReorder,
    Builtin::VectorSortOrder,
    Builtin::VectorRank,
    Builtin::AllocateByPriority,
    Builtin::AllocateAvailable,
    Builtin::InvertMatrix,
    Builtin::VectorLookup,
    Builtin::FindMarketPrice,
    Builtin::DemandAtPrice,
    Builtin::SupplyAtPrice,
    Builtin::AllocP,
    Builtin::Marketp,
    Builtin::RandomNormal,
    Builtin::RandomExponential,
    Builtin::RandomGamma,
    Builtin::RandomWeibull,
    Builtin::RandomBeta,
    Builtin::RandomTriangular,
    Builtin::RandomPoisson,
    Builtin::RandomBinomial,
    Builtin::RandomNegativeBinomial,
    Builtin::RandomPinkNoise,
    Builtin::RandomLookup,
    Builtin::Npve,
    Builtin::LookupInvert,
    Builtin::LookupArea,
    Builtin::DelayMaterial,
    Builtin::GetDataAtTime,
    Builtin::GetDataBetweenTimes,
    Builtin::GetDataFirstTime,
    Builtin::GetDataLastTime,
    Builtin::GetDataTotalPoints,
    Builtin::GetDataMax,
    Builtin::GetDataMin,
    Builtin::GetDataMean,
    Builtin::Counter,
    Builtin::Montecarlo,
    Builtin::Allocate,
    Builtin::History,
    Builtin::DelayInformation,
    Builtin::Derivn,
    Builtin::Sinwave,
    Builtin::Coswave,
    Builtin::Triangular,
    Builtin::Weibull,
    Builtin::Gamma,
    Builtin::Beta,
    Builtin::Binomial,
    Builtin::Combinations,
    Builtin::Permutations,
    Builtin::Rank,
    Builtin::Factorial,
    Builtin::Uniform,
    Builtin::Fv,
    Builtin::Pv,
    Builtin::Pmt,
    Builtin::Normalcdf,
    Builtin::Invnorm,
    Builtin::Geometric,
    Builtin::Negbinomial,
    Builtin::Logistic,
    Builtin::Pareto,
    Builtin::Rootn,
];

/// Other names a builtin goes by: Stella's spellings of functions fulcrum names as Vensim does.
const ALIASES: [(&str, Builtin); 3] =
    [("lookupinv", Builtin::LookupInvert), ("lookuparea", Builtin::LookupArea), ("gammaln", Builtin::GammaLn)];

impl Builtin {
    /// The builtin with this (canonical) name.
    pub fn from_name(name: &CanonicalName) -> Option<Builtin> {
        ALL.into_iter()
            .find(|builtin| builtin.spec().0 == name.as_str())
            .or_else(|| ALIASES.iter().find(|(alias, _)| *alias == name.as_str()).map(|(_, builtin)| *builtin))
    }

    /// Lower-case name, fewest and most arguments, and how it is called. Zero-argument
    /// builtins are used as plain names (`TIME`, `PI`), not called.
    fn spec(self) -> (&'static str, usize, usize, &'static str) {
        match self {
            Builtin::Abs => ("abs", 1, 1, "ABS(x)"),
            Builtin::Exp => ("exp", 1, 1, "EXP(x)"),
            Builtin::Ln => ("ln", 1, 1, "LN(x)"),
            Builtin::Log10 => ("log10", 1, 1, "LOG10(x)"),
            Builtin::Sqrt => ("sqrt", 1, 1, "SQRT(x)"),
            Builtin::Sin => ("sin", 1, 1, "SIN(radians)"),
            Builtin::Cos => ("cos", 1, 1, "COS(radians)"),
            Builtin::Tan => ("tan", 1, 1, "TAN(radians)"),
            Builtin::Arcsin => ("arcsin", 1, 1, "ARCSIN(x)"),
            Builtin::Arccos => ("arccos", 1, 1, "ARCCOS(x)"),
            Builtin::Arctan => ("arctan", 1, 1, "ARCTAN(x)"),
            Builtin::Sinh => ("sinh", 1, 1, "SINH(x)"),
            Builtin::Cosh => ("cosh", 1, 1, "COSH(x)"),
            Builtin::Tanh => ("tanh", 1, 1, "TANH(x)"),
            Builtin::Int => ("int", 1, 1, "INT(x)"),
            Builtin::Round => ("round", 1, 1, "ROUND(x)"),
            Builtin::Sign => ("sign", 1, 1, "SIGN(x)"),
            Builtin::Min => ("min", 1, VARIADIC, "MIN(a, b, ...) or MIN(array)"),
            Builtin::Max => ("max", 1, VARIADIC, "MAX(a, b, ...) or MAX(array)"),
            Builtin::Sum => ("sum", 1, VARIADIC, "SUM(array)"),
            Builtin::Prod => ("prod", 1, VARIADIC, "PROD(array)"),
            Builtin::Mean => ("mean", 1, VARIADIC, "MEAN(array)"),
            Builtin::Stddev => ("stddev", 1, VARIADIC, "STDDEV(array)"),
            Builtin::Size => ("size", 1, VARIADIC, "SIZE(array)"),
            Builtin::Modulo => ("modulo", 2, 2, "MODULO(a, b)"),
            Builtin::SafeDiv => ("safediv", 2, 3, "SAFEDIV(numerator, denominator[, value_if_zero])"),
            Builtin::Xidz => ("xidz", 3, 3, "XIDZ(numerator, denominator, value_if_zero)"),
            Builtin::Zidz => ("zidz", 2, 2, "ZIDZ(numerator, denominator)"),
            Builtin::IfThenElse => ("if_then_else", 3, 3, "IF_THEN_ELSE(condition, value_if_true, value_if_false)"),
            Builtin::Pi => ("pi", 0, 0, "PI"),
            Builtin::Inf => ("inf", 0, 0, "INF"),
            Builtin::Time => ("time", 0, 0, "TIME"),
            Builtin::Dt => ("dt", 0, 0, "DT"),
            Builtin::StartTime => ("starttime", 0, 0, "STARTTIME"),
            Builtin::StopTime => ("stoptime", 0, 0, "STOPTIME"),
            Builtin::Step => ("step", 2, 2, "STEP(height, start_time)"),
            Builtin::Ramp => ("ramp", 2, 3, "RAMP(slope, start_time[, end_time])"),
            Builtin::Pulse => ("pulse", 1, 3, "PULSE(magnitude[, first_time[, interval]])"),
            Builtin::Lookup => ("lookup", 2, 2, "LOOKUP(graphical_function, x)"),
            Builtin::Init => ("init", 1, 1, "INIT(variable)"),
            Builtin::Previous => ("previous", 1, 2, "PREVIOUS(variable[, initial])"),
            Builtin::Smth1 => ("smth1", 2, 3, "SMTH1(input, averaging_time[, initial])"),
            Builtin::Smth3 => ("smth3", 2, 3, "SMTH3(input, averaging_time[, initial])"),
            Builtin::SmthN => ("smthn", 3, 4, "SMTHN(input, averaging_time, order[, initial])"),
            Builtin::Delay1 => ("delay1", 2, 3, "DELAY1(input, delay_time[, initial])"),
            Builtin::Delay3 => ("delay3", 2, 3, "DELAY3(input, delay_time[, initial])"),
            Builtin::DelayN => ("delayn", 3, 4, "DELAYN(input, delay_time, order[, initial])"),
            Builtin::Delay => ("delay", 2, 3, "DELAY(input, delay_time[, initial])"),
            Builtin::Trend => ("trend", 2, 3, "TREND(input, averaging_time[, initial_trend])"),
            Builtin::Forcst => ("forcst", 3, 4, "FORCST(input, averaging_time, horizon[, initial_trend])"),
            Builtin::Random => ("random", 2, 3, "RANDOM(min, max[, seed])"),
            Builtin::Normal => ("normal", 2, 6, "NORMAL(mean, sd[, seed, min, max, sample])"),
            Builtin::Lognormal => ("lognormal", 2, 6, "LOGNORMAL(mean, sd[, seed, min, max, sample])"),
            Builtin::Exprnd => ("exprnd", 1, 5, "EXPRND(mean[, seed, min, max, sample])"),
            Builtin::Poisson => ("poisson", 1, 5, "POISSON(mean[, seed, min, max, sample])"),
            Builtin::SampleIfTrue => ("sample_if_true", 3, 3, "SAMPLE_IF_TRUE(condition, input, initial)"),
            Builtin::ActiveInitial => ("active_initial", 2, 2, "ACTIVE_INITIAL(active_value, initial_value)"),
            Builtin::PulseTrain => ("pulse_train", 4, 4, "PULSE_TRAIN(start, width, time_between, end)"),
            Builtin::Quantum => ("quantum", 2, 2, "QUANTUM(x, quantum)"),
            Builtin::Log => ("log", 2, 2, "LOG(x, base)"),
            Builtin::GammaLn => ("gamma_ln", 1, 1, "GAMMA_LN(x)"),
            Builtin::GetTimeValue => ("get_time_value", 3, 3, "GET_TIME_VALUE(relative_to, offset, measure)"),
            Builtin::Npv => ("npv", 2, 4, "NPV(stream, discount_rate[, initial[, factor]])"),
            Builtin::DelayFixed => ("delay_fixed", 3, 3, "DELAY_FIXED(input, delay_time, initial)"),
            Builtin::LookupExtrapolate => ("lookup_extrapolate", 2, 2, "LOOKUP_EXTRAPOLATE(graphical_function, x)"),
            Builtin::LookupForward => ("lookup_forward", 2, 2, "LOOKUP_FORWARD(graphical_function, x)"),
            Builtin::LookupBackward => ("lookup_backward", 2, 2, "LOOKUP_BACKWARD(graphical_function, x)"),
            Builtin::Elmcount => ("elmcount", 1, 1, "ELMCOUNT(dimension)"),
            Builtin::Vmin => ("vmin", 1, VARIADIC, "VMIN(array)"),
            Builtin::Vmax => ("vmax", 1, VARIADIC, "VMAX(array)"),
            Builtin::VectorSelect => {
                ("vector_select", 5, 5, "VECTOR_SELECT(selection[*], values[*], value_if_none, action, error_action)")
            }
            Builtin::VectorElmMap => ("vector_elm_map", 2, 2, "VECTOR_ELM_MAP(array[first_element], offset)"),
            Builtin::VectorReorder => ("vector_reorder", 2, 2, "VECTOR_REORDER(array[dimension], order[dimension])"),
            Builtin::VectorSortOrder => ("vector_sort_order", 2, 2, "VECTOR_SORT_ORDER(array[dimension], direction)"),
            Builtin::VectorRank => ("vector_rank", 2, 2, "VECTOR_RANK(array[dimension], direction)"),
            Builtin::AllocateByPriority => (
                "allocate_by_priority",
                5,
                5,
                "ALLOCATE_BY_PRIORITY(request[dimension], priority[dimension], size, width, supply)",
            ),
            Builtin::AllocateAvailable => (
                "allocate_available",
                3,
                3,
                "ALLOCATE_AVAILABLE(request[dimension], profile[dimension, ptype], supply)",
            ),
            Builtin::InvertMatrix => ("invert_matrix", 2, 2, "INVERT_MATRIX(matrix[rows, columns], size)"),
            Builtin::VectorLookup => {
                ("vector_lookup", 5, 5, "VECTOR_LOOKUP(array[first_element], x, xmin, xmax, mode)")
            }
            Builtin::FindMarketPrice => (
                "find_market_price",
                4,
                4,
                "FIND_MARKET_PRICE(demand[first], demand_profile[first, ptype], supply[first], supply_profile[first, ptype])",
            ),
            Builtin::DemandAtPrice => {
                ("demand_at_price", 3, 3, "DEMAND_AT_PRICE(quantity[dimension], profile[dimension, ptype], price)")
            }
            Builtin::SupplyAtPrice => {
                ("supply_at_price", 3, 3, "SUPPLY_AT_PRICE(quantity[dimension], profile[dimension, ptype], price)")
            }
            Builtin::AllocP => ("alloc_p", 4, 4, "ALLOC_P(request, priority, width, market_priority)"),
            Builtin::Marketp => ("marketp", 5, 5, "MARKETP(request[first], priority[first], size, width, supply)"),
            Builtin::RandomNormal => ("random_normal", 4, 5, "RANDOM_NORMAL(min, max, mean, sd[, seed])"),
            Builtin::RandomExponential => {
                ("random_exponential", 4, 5, "RANDOM_EXPONENTIAL(min, max, shift, stretch[, seed])")
            }
            Builtin::RandomGamma => ("random_gamma", 5, 6, "RANDOM_GAMMA(min, max, order, shift, stretch[, seed])"),
            Builtin::RandomWeibull => {
                ("random_weibull", 5, 6, "RANDOM_WEIBULL(min, max, shape, shift, stretch[, seed])")
            }
            Builtin::RandomBeta => ("random_beta", 6, 7, "RANDOM_BETA(min, max, alpha, beta, shift, stretch[, seed])"),
            Builtin::RandomTriangular => {
                ("random_triangular", 5, 6, "RANDOM_TRIANGULAR(min, max, start, peak, end[, seed])")
            }
            Builtin::RandomPoisson => {
                ("random_poisson", 5, 6, "RANDOM_POISSON(min, max, mean, shift, stretch[, seed])")
            }
            Builtin::RandomBinomial => {
                ("random_binomial", 6, 7, "RANDOM_BINOMIAL(min, max, probability, trials, shift, stretch[, seed])")
            }
            Builtin::RandomNegativeBinomial => (
                "random_negative_binomial",
                6,
                7,
                "RANDOM_NEGATIVE_BINOMIAL(min, max, probability, successes, shift, stretch[, seed])",
            ),
            Builtin::RandomPinkNoise => {
                ("random_pink_noise", 3, 4, "RANDOM_PINK_NOISE(mean, sd, correlation_time[, seed])")
            }
            Builtin::RandomLookup => {
                ("random_lookup", 5, 6, "RANDOM_LOOKUP(graphical_function, min, max, shift, stretch[, seed])")
            }
            Builtin::Npve => ("npve", 4, 4, "NPVE(stream, discount_rate, initial, factor)"),
            Builtin::LookupInvert => ("lookup_invert", 2, 2, "LOOKUP_INVERT(graphical_function, y)"),
            Builtin::LookupArea => ("lookup_area", 3, 3, "LOOKUP_AREA(graphical_function, x1, x2)"),
            Builtin::DelayMaterial => ("delay_material", 4, 4, "DELAY_MATERIAL(input, delay_time, initial, missing)"),
            Builtin::GetDataAtTime => ("get_data_at_time", 2, 2, "GET_DATA_AT_TIME(data_variable, time)"),
            Builtin::GetDataBetweenTimes => {
                ("get_data_between_times", 3, 3, "GET_DATA_BETWEEN_TIMES(data_variable, time, mode)")
            }
            Builtin::GetDataFirstTime => ("get_data_first_time", 1, 1, "GET_DATA_FIRST_TIME(data_variable)"),
            Builtin::GetDataLastTime => ("get_data_last_time", 1, 1, "GET_DATA_LAST_TIME(data_variable)"),
            Builtin::GetDataTotalPoints => ("get_data_total_points", 1, 1, "GET_DATA_TOTAL_POINTS(data_variable)"),
            Builtin::GetDataMax => ("get_data_max", 3, 3, "GET_DATA_MAX(data_variable, from_time, to_time)"),
            Builtin::GetDataMin => ("get_data_min", 3, 3, "GET_DATA_MIN(data_variable, from_time, to_time)"),
            Builtin::GetDataMean => ("get_data_mean", 3, 3, "GET_DATA_MEAN(data_variable, from_time, to_time)"),
            Builtin::Counter => ("counter", 2, 2, "COUNTER(start, end)"),
            Builtin::History => ("history", 2, 2, "HISTORY(variable, time)"),
            Builtin::DelayInformation => ("delay_information", 3, 3, "DELAY_INFORMATION(input, delay_time, initial)"),
            Builtin::Derivn => ("derivn", 2, 2, "DERIVN(input, order)"),
            Builtin::Sinwave => ("sinwave", 2, 2, "SINWAVE(amplitude, period)"),
            Builtin::Coswave => ("coswave", 2, 2, "COSWAVE(amplitude, period)"),
            Builtin::Triangular => ("triangular", 3, 7, "TRIANGULAR(lower, mode, upper[, seed, min, max, sample])"),
            Builtin::Weibull => ("weibull", 2, 6, "WEIBULL(shape, scale[, seed, min, max, sample])"),
            Builtin::Gamma => ("gamma", 1, 6, "GAMMA(shape[, scale, seed, min, max, sample])"),
            Builtin::Beta => ("beta", 2, 6, "BETA(alpha, beta[, seed, min, max, sample])"),
            Builtin::Binomial => ("binomial", 2, 6, "BINOMIAL(trials, probability[, seed, min, max, sample])"),
            Builtin::Combinations => ("combinations", 2, 2, "COMBINATIONS(n, r)"),
            Builtin::Permutations => ("permutations", 2, 2, "PERMUTATIONS(n, r)"),
            Builtin::Rank => ("rank", 2, 3, "RANK(array, rank[, tie_break_array])"),
            Builtin::Factorial => ("factorial", 1, 1, "FACTORIAL(n)"),
            Builtin::Uniform => ("uniform", 2, 3, "UNIFORM(min, max[, seed])"),
            Builtin::Montecarlo => ("montecarlo", 1, 2, "MONTECARLO(probability_percent_per_time[, seed])"),
            Builtin::Allocate => (
                "allocate",
                5,
                6,
                "ALLOCATE(available, last_dimension, requests[dimension], priorities[dimension], width)",
            ),
            Builtin::Fv => ("fv", 3, 5, "FV(rate, periods, payment[, present_value[, type]])"),
            Builtin::Pv => ("pv", 3, 5, "PV(rate, periods, payment[, future_value[, type]])"),
            Builtin::Pmt => ("pmt", 3, 5, "PMT(rate, periods, present_value[, future_value[, type]])"),
            Builtin::Normalcdf => ("normalcdf", 2, 4, "NORMALCDF(left, right[, mean, sd])"),
            Builtin::Invnorm => ("invnorm", 1, 3, "INVNORM(probability[, mean, sd])"),
            Builtin::Geometric => ("geometric", 1, 5, "GEOMETRIC(probability[, seed, min, max, sample])"),
            Builtin::Negbinomial => {
                ("negbinomial", 2, 6, "NEGBINOMIAL(successes, probability[, seed, min, max, sample])")
            }
            Builtin::Logistic => ("logistic", 2, 6, "LOGISTIC(mean, scale[, seed, min, max, sample])"),
            Builtin::Pareto => ("pareto", 2, 6, "PARETO(shape, scale[, seed, min, max, sample])"),
            Builtin::Rootn => ("rootn", 2, 2, "ROOTN(x, n)"),
        }
    }

    /// The name as written in equations (upper case).
    pub fn name(self) -> String {
        self.spec().0.to_ascii_uppercase()
    }

    /// Fewest and most arguments.
    pub fn arity(self) -> (usize, usize) {
        let (_, min, max, _) = self.spec();
        (min, max)
    }

    /// How it is called, with its parameters: `SMTH1(input, averaging_time[, initial])`.
    pub fn signature(self) -> &'static str {
        self.spec().3
    }

    /// The XMILE built-in that does what a function of another tool (Vensim, mostly) does, for
    /// hints when a model uses the other tool's name.
    pub fn equivalent_of(foreign: &CanonicalName) -> Option<&'static str> {
        const EQUIVALENTS: [(&str, &str); 9] = [
            ("smooth", "SMTH1"),
            ("smoothi", "SMTH1 with its third argument"),
            ("smooth3", "SMTH3"),
            ("smooth3i", "SMTH3 with its third argument"),
            ("smooth_n", "SMTHN"),
            ("delay_n", "DELAYN"),
            ("forecast", "FORCST"),
            ("integer", "INT"),
            ("random_uniform", "RANDOM"),
        ];
        EQUIVALENTS.iter().find(|(name, _)| *name == foreign.as_str()).map(|(_, equivalent)| *equivalent)
    }

    /// Does this reduce arrays (SUM, MEAN, MIN, VECTOR_SELECT, ...)?
    pub fn is_array_function(self) -> bool {
        matches!(
            self,
            Builtin::Min
                | Builtin::Max
                | Builtin::Vmin
                | Builtin::Vmax
                | Builtin::VectorSelect
                | Builtin::Sum
                | Builtin::Prod
                | Builtin::Mean
                | Builtin::Stddev
                | Builtin::Size
        )
    }

    /// Is this one of Stella's functions that Vensim lacks (HISTORY, GAMMA, ...)? In a model from
    /// Vensim these names are not built-ins, and in any model a graphical function of the same
    /// name (a lookup called `gamma`, say) is called instead.
    pub fn is_stella_library(self) -> bool {
        matches!(
            self,
            Builtin::Counter
                | Builtin::Montecarlo
                | Builtin::Allocate
                | Builtin::History
                | Builtin::Derivn
                | Builtin::Sinwave
                | Builtin::Coswave
                | Builtin::Triangular
                | Builtin::Weibull
                | Builtin::Gamma
                | Builtin::Beta
                | Builtin::Binomial
                | Builtin::Combinations
                | Builtin::Permutations
                | Builtin::Rank
                | Builtin::Factorial
                | Builtin::Uniform
                | Builtin::Fv
                | Builtin::Pv
                | Builtin::Pmt
                | Builtin::Normalcdf
                | Builtin::Invnorm
                | Builtin::Geometric
                | Builtin::Negbinomial
                | Builtin::Logistic
                | Builtin::Pareto
                | Builtin::Rootn
        )
    }

    /// Is this used as a plain name (`TIME`, `PI`) rather than called?
    pub fn is_nullary(self) -> bool {
        self.arity().1 == 0
    }

    /// The names of functions that take arguments, for suggestions.
    pub fn function_names() -> impl Iterator<Item = &'static str> {
        ALL.into_iter().filter(|builtin| !builtin.is_nullary()).map(|builtin| builtin.spec().0)
    }

    /// The names used without arguments (`time`, `pi`, ...).
    pub fn nullary_names() -> impl Iterator<Item = &'static str> {
        ALL.into_iter().filter(|builtin| builtin.is_nullary()).map(|builtin| builtin.spec().0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_is_found_by_its_name() {
        for builtin in ALL {
            let name = builtin.name();
            assert_eq!(Builtin::from_name(&CanonicalName::new(&name)), Some(builtin), "{name}");
        }
        assert_eq!(Builtin::from_name(&CanonicalName::new("Smth1")), Some(Builtin::Smth1));
        assert_eq!(Builtin::from_name(&CanonicalName::new("IF THEN ELSE")), Some(Builtin::IfThenElse));
        assert_eq!(Builtin::from_name(&CanonicalName::new("smooth")), None);
        // Vensim's names, as its files write them.
        assert_eq!(Builtin::from_name(&CanonicalName::new("SAMPLE IF TRUE")), Some(Builtin::SampleIfTrue));
        assert_eq!(Builtin::from_name(&CanonicalName::new("Active Initial")), Some(Builtin::ActiveInitial));
        assert_eq!(Builtin::from_name(&CanonicalName::new("GAMMA LN")), Some(Builtin::GammaLn));
        // Stella's names for the same functions.
        assert_eq!(Builtin::from_name(&CanonicalName::new("LOOKUPINV")), Some(Builtin::LookupInvert));
        assert_eq!(Builtin::from_name(&CanonicalName::new("LookupArea")), Some(Builtin::LookupArea));
        assert_eq!(Builtin::from_name(&CanonicalName::new("GAMMALN")), Some(Builtin::GammaLn));
    }
}
