//! Vensim's functions in terms of fulcrum's built-ins.
//!
//! Most map one to one (`SMOOTH` → `SMTH1`), some with their arguments reordered (`DELAY N`'s
//! initial value comes before its order, fulcrum's after), some become expressions (`PULSE`,
//! `POWER`, `VECTOR SELECT` with Vensim's action keywords). Functions fulcrum cannot compute yet are reported
//! by name at the call, never replaced by something that computes another value.
//!
//! The last argument of the RANDOM functions, Vensim's stream ID, is dropped: every random
//! function draws from the run's own stream (the run's seed and number), as fulcrum's RANDOM
//! does, so that a sweep's runs differ from one another and each is reproducible.

use fulcrum_model::syntax::{BinaryOp, Expr, ExprKind, Index, NameRef, Span, UnaryOp};
use fulcrum_model::{Code, Diagnostic};

use crate::parser::OUTPUTS_MARKER;

/// How one Vensim function becomes fulcrum's.
enum Rule {
    /// The fulcrum built-in with this name, arguments in the order of the given positions.
    Rename(&'static str, &'static [usize]),
    /// Something more than a rename.
    Special(Special),
    /// Not supported yet.
    Unsupported,
    /// Not supported yet, for the reason given (the hint).
    UnsupportedBecause(&'static str),
    /// Refused because no documentation defines it; the text says why and what to write instead.
    Undocumented(&'static str),
}

#[derive(Clone, Copy)]
enum Special {
    IfThenElse,
    Pulse,
    Power,
    Identity,
    TimeBase,
    Integ,
    VectorSelect,
    RandomZeroOne,
    /// A GET function that reads a file, which Vensim reads only as the whole right-hand side
    /// of its equation (the translator reads it there before calls are rewritten).
    WholeEquation,
    RampFromTo,
    DelayConveyor,
    DelayBatch,
    DelayProfile,
    DepreciateBySchedule,
    DepreciateStraightline,
    ShiftIfTrue,
    Simultaneous,
    FindZero,
}

/// Why the functions that read a queue's ages are refused.
const QUEUE_AGES: &str = "fulcrum's QUEUE FIFO is a level of its inflow less its outflow and does not record when what is queued arrived, which this function reads; keep the ages with an aging chain of stocks";

/// Why CUMULATE and CUMULATEF are refused.
const DATA_FROM_DATA: &str = "it sums a data variable's points, without multiplying by the time between them, in a data equation (`name := CUMULATE(data)`); fulcrum knows the points when it reads the model only for a data variable that one GET DATA call reads from a file. For data given with `--data`, read it in the model with GET DIRECT DATA instead; for a series that an equation computes, which has no points of its own, write its running integral `INTEG(series, 0)` (which, unlike CUMULATE, multiplies by TIME STEP)";

/// Why the GET VDF functions are refused.
const VDF: &str = "it reads Vensim's binary run files (.vdf, .vdfx), whose format is not published; export the run as a .tab or .csv file and read it with GET DIRECT DATA or `--data`";

/// Vensim's name (canonical), the fewest and most arguments, its signature, and the rule.
const FUNCTIONS: &[(&str, usize, usize, &str, Rule)] = &[
    (
        "if_then_else",
        3,
        3,
        "IF THEN ELSE(condition, value if true, value if false)",
        Rule::Special(Special::IfThenElse),
    ),
    ("integ", 2, 2, "INTEG(rate, initial value)", Rule::Special(Special::Integ)),
    ("smooth", 2, 2, "SMOOTH(input, delay time)", Rule::Rename("smth1", &[0, 1])),
    ("smoothi", 3, 3, "SMOOTHI(input, delay time, initial value)", Rule::Rename("smth1", &[0, 1, 2])),
    ("smooth3", 2, 2, "SMOOTH3(input, delay time)", Rule::Rename("smth3", &[0, 1])),
    ("smooth3i", 3, 3, "SMOOTH3I(input, delay time, initial value)", Rule::Rename("smth3", &[0, 1, 2])),
    ("smooth_n", 4, 4, "SMOOTH N(input, delay time, initial value, order)", Rule::Rename("smthn", &[0, 1, 3, 2])),
    ("delay1", 2, 2, "DELAY1(input, delay time)", Rule::Rename("delay1", &[0, 1])),
    ("delay1i", 3, 3, "DELAY1I(input, delay time, initial value)", Rule::Rename("delay1", &[0, 1, 2])),
    ("delay3", 2, 2, "DELAY3(input, delay time)", Rule::Rename("delay3", &[0, 1])),
    ("delay3i", 3, 3, "DELAY3I(input, delay time, initial value)", Rule::Rename("delay3", &[0, 1, 2])),
    ("delay_n", 4, 4, "DELAY N(input, delay time, initial value, order)", Rule::Rename("delayn", &[0, 1, 3, 2])),
    ("delay_fixed", 3, 3, "DELAY FIXED(input, delay time, initial value)", Rule::Rename("delay", &[0, 1, 2])),
    ("trend", 3, 3, "TREND(input, average time, initial trend)", Rule::Rename("trend", &[0, 1, 2])),
    ("forecast", 3, 3, "FORECAST(input, average time, horizon)", Rule::Rename("forcst", &[0, 1, 2])),
    ("step", 2, 2, "STEP(height, step time)", Rule::Rename("step", &[0, 1])),
    ("ramp", 3, 3, "RAMP(slope, start time, end time)", Rule::Rename("ramp", &[0, 1, 2])),
    ("pulse", 2, 2, "PULSE(start, width)", Rule::Special(Special::Pulse)),
    ("pulse_train", 4, 4, "PULSE TRAIN(start, width, time between, end)", Rule::Rename("pulse_train", &[0, 1, 2, 3])),
    ("min", 2, 2, "MIN(a, b)", Rule::Rename("min", &[0, 1])),
    ("max", 2, 2, "MAX(a, b)", Rule::Rename("max", &[0, 1])),
    ("vmin", 1, 1, "VMIN(array[range!])", Rule::Rename("min", &[0])),
    ("vmax", 1, 1, "VMAX(array[range!])", Rule::Rename("max", &[0])),
    ("sum", 1, 1, "SUM(array[range!])", Rule::Rename("sum", &[0])),
    ("prod", 1, 1, "PROD(array[range!])", Rule::Rename("prod", &[0])),
    ("elmcount", 1, 1, "ELMCOUNT(range)", Rule::Rename("elmcount", &[0])),
    ("zidz", 2, 2, "ZIDZ(numerator, denominator)", Rule::Rename("zidz", &[0, 1])),
    ("xidz", 3, 3, "XIDZ(numerator, denominator, value if zero)", Rule::Rename("xidz", &[0, 1, 2])),
    ("modulo", 2, 2, "MODULO(a, b)", Rule::Rename("modulo", &[0, 1])),
    ("integer", 1, 1, "INTEGER(x)", Rule::Rename("int", &[0])),
    ("quantum", 2, 2, "QUANTUM(x, q)", Rule::Rename("quantum", &[0, 1])),
    ("abs", 1, 1, "ABS(x)", Rule::Rename("abs", &[0])),
    ("sign", 1, 1, "SIGN(x)", Rule::Rename("sign", &[0])),
    ("exp", 1, 1, "EXP(x)", Rule::Rename("exp", &[0])),
    ("ln", 1, 1, "LN(x)", Rule::Rename("ln", &[0])),
    ("log", 2, 2, "LOG(x, base)", Rule::Rename("log", &[0, 1])),
    ("sqrt", 1, 1, "SQRT(x)", Rule::Rename("sqrt", &[0])),
    ("power", 2, 2, "POWER(base, exponent)", Rule::Special(Special::Power)),
    ("sin", 1, 1, "SIN(x)", Rule::Rename("sin", &[0])),
    ("cos", 1, 1, "COS(x)", Rule::Rename("cos", &[0])),
    ("tan", 1, 1, "TAN(x)", Rule::Rename("tan", &[0])),
    ("arcsin", 1, 1, "ARCSIN(x)", Rule::Rename("arcsin", &[0])),
    ("arccos", 1, 1, "ARCCOS(x)", Rule::Rename("arccos", &[0])),
    ("arctan", 1, 1, "ARCTAN(x)", Rule::Rename("arctan", &[0])),
    ("sinh", 1, 1, "SINH(x)", Rule::Rename("sinh", &[0])),
    ("cosh", 1, 1, "COSH(x)", Rule::Rename("cosh", &[0])),
    ("tanh", 1, 1, "TANH(x)", Rule::Rename("tanh", &[0])),
    ("initial", 1, 1, "INITIAL(x)", Rule::Rename("init", &[0])),
    ("game", 1, 1, "GAME(x)", Rule::Special(Special::Identity)),
    ("time_base", 2, 2, "TIME BASE(time at start, time per unit)", Rule::Special(Special::TimeBase)),
    ("random_uniform", 3, 3, "RANDOM UNIFORM(min, max, seed)", Rule::Rename("random", &[0, 1])),
    ("lookup_extrapolate", 2, 2, "LOOKUP EXTRAPOLATE(lookup, x)", Rule::Rename("lookup_extrapolate", &[0, 1])),
    ("lookup_backward", 2, 2, "LOOKUP BACKWARD(lookup, x)", Rule::Rename("lookup_backward", &[0, 1])),
    ("lookup_forward", 2, 2, "LOOKUP FORWARD(lookup, x)", Rule::Rename("lookup_forward", &[0, 1])),
    // Known to Vensim, not (yet) to fulcrum.
    ("active_initial", 2, 2, "ACTIVE INITIAL(value, initial value)", Rule::Rename("active_initial", &[0, 1])),
    ("reinitial", 1, 1, "REINITIAL(x)", Rule::Rename("init", &[0])),
    (
        "sample_if_true",
        3,
        3,
        "SAMPLE IF TRUE(condition, input, initial value)",
        Rule::Rename("sample_if_true", &[0, 1, 2]),
    ),
    (
        "delay_material",
        4,
        4,
        "DELAY MATERIAL(input, delay time, initial value, missing value)",
        Rule::Rename("delay_material", &[0, 1, 2, 3]),
    ),
    (
        "delay_conveyor",
        6,
        6,
        "DELAY CONVEYOR(input, conveyance time, leak, initial profile, initial total, initial conveyance time)",
        Rule::Special(Special::DelayConveyor),
    ),
    ("npv", 4, 4, "NPV(stream, discount rate, initial value, factor)", Rule::Rename("npv", &[0, 1, 2, 3])),
    ("npve", 4, 4, "NPVE(stream, discount rate, initial value, factor)", Rule::Rename("npve", &[0, 1, 2, 3])),
    (
        "ramp_from_to",
        4,
        5,
        "RAMP FROM TO(from, to, start time, end time[, linear])",
        Rule::Special(Special::RampFromTo),
    ),
    ("gamma_ln", 1, 1, "GAMMA LN(x)", Rule::Rename("gamma_ln", &[0])),
    ("lookup_invert", 2, 2, "LOOKUP INVERT(lookup, y)", Rule::Rename("lookup_invert", &[0, 1])),
    ("lookup_area", 3, 3, "LOOKUP AREA(lookup, x1, x2)", Rule::Rename("lookup_area", &[0, 1, 2])),
    ("random_normal", 5, 5, "RANDOM NORMAL(min, max, mean, sd, stream)", Rule::Rename("random_normal", &[0, 1, 2, 3])),
    (
        "random_poisson",
        6,
        6,
        "RANDOM POISSON(min, max, mean, shift, stretch, stream)",
        Rule::Rename("random_poisson", &[0, 1, 2, 3, 4]),
    ),
    (
        "random_exponential",
        5,
        5,
        "RANDOM EXPONENTIAL(min, max, shift, stretch, stream)",
        Rule::Rename("random_exponential", &[0, 1, 2, 3]),
    ),
    (
        "random_lognormal",
        0,
        255,
        "RANDOM LOGNORMAL",
        Rule::Undocumented(
            "Vensim's documentation of its RANDOM functions does not list RANDOM LOGNORMAL, so its arguments (and whether its mean and standard deviation are those of the variable or of its logarithm) are not known; write EXP(RANDOM NORMAL(min, max, mean, sd, stream)) for a lognormal whose logarithm has that mean and standard deviation",
        ),
    ),
    (
        "random_triangular",
        6,
        6,
        "RANDOM TRIANGULAR(min, max, start, peak, end, stream)",
        Rule::Rename("random_triangular", &[0, 1, 2, 3, 4]),
    ),
    (
        "random_beta",
        7,
        7,
        "RANDOM BETA(min, max, alpha, beta, shift, stretch, stream)",
        Rule::Rename("random_beta", &[0, 1, 2, 3, 4, 5]),
    ),
    (
        "random_gamma",
        6,
        6,
        "RANDOM GAMMA(min, max, order, shift, stretch, stream)",
        Rule::Rename("random_gamma", &[0, 1, 2, 3, 4]),
    ),
    (
        "random_weibull",
        6,
        6,
        "RANDOM WEIBULL(min, max, shape, shift, stretch, stream)",
        Rule::Rename("random_weibull", &[0, 1, 2, 3, 4]),
    ),
    (
        "random_binomial",
        7,
        7,
        "RANDOM BINOMIAL(min, max, probability, trials, shift, stretch, stream)",
        Rule::Rename("random_binomial", &[0, 1, 2, 3, 4, 5]),
    ),
    (
        "random_negative_binomial",
        7,
        7,
        "RANDOM NEGATIVE BINOMIAL(min, max, probability, successes, shift, stretch, stream)",
        Rule::Rename("random_negative_binomial", &[0, 1, 2, 3, 4, 5]),
    ),
    ("random_0_1", 0, 0, "RANDOM 0 1()", Rule::Special(Special::RandomZeroOne)),
    (
        "random_pink_noise",
        4,
        4,
        "RANDOM PINK NOISE(mean, std deviation, correlation time, stream)",
        Rule::Rename("random_pink_noise", &[0, 1, 2]),
    ),
    ("get_data_at_time", 2, 2, "GET DATA AT TIME(data, time)", Rule::Rename("get_data_at_time", &[0, 1])),
    ("get_data_first_time", 1, 1, "GET DATA FIRST TIME(data)", Rule::Rename("get_data_first_time", &[0])),
    ("get_data_last_time", 1, 1, "GET DATA LAST TIME(data)", Rule::Rename("get_data_last_time", &[0])),
    ("get_data_max", 3, 3, "GET DATA MAX(data, start time, end time)", Rule::Rename("get_data_max", &[0, 1, 2])),
    ("get_data_min", 3, 3, "GET DATA MIN(data, start time, end time)", Rule::Rename("get_data_min", &[0, 1, 2])),
    ("get_data_mean", 3, 3, "GET DATA MEAN(data, start time, end time)", Rule::Rename("get_data_mean", &[0, 1, 2])),
    (
        "get_data_between_times",
        3,
        3,
        "GET DATA BETWEEN TIMES(data, time, mode)",
        Rule::Rename("get_data_between_times", &[0, 1, 2]),
    ),
    ("time_base", 2, 2, "TIME BASE(t, dt)", Rule::Unsupported),
    (
        "get_time_value",
        3,
        3,
        "GET TIME VALUE(relative to, offset, measure)",
        Rule::Rename("get_time_value", &[0, 1, 2]),
    ),
    (
        "vector_select",
        5,
        5,
        "VECTOR SELECT(selection[range!], values[range!], value if none, VSSUM|VSPRODUCT|VSMIN|VSMAX, VSERRNONE|VSERRATLEASTONE)",
        Rule::Special(Special::VectorSelect),
    ),
    ("vector_elm_map", 2, 2, "VECTOR ELM MAP(array[first element], offset)", Rule::Rename("vector_elm_map", &[0, 1])),
    (
        "vector_sort_order",
        2,
        2,
        "VECTOR SORT ORDER(array[range], direction)",
        Rule::Rename("vector_sort_order", &[0, 1]),
    ),
    ("vector_reorder", 2, 2, "VECTOR REORDER(array[range], order[range])", Rule::Rename("vector_reorder", &[0, 1])),
    (
        "vector_lookup",
        5,
        5,
        "VECTOR LOOKUP(vec[first element], x, xmin, xmax, mode)",
        Rule::Rename("vector_lookup", &[0, 1, 2, 3, 4]),
    ),
    ("vector_rank", 2, 2, "VECTOR RANK(array[range], direction)", Rule::Rename("vector_rank", &[0, 1])),
    (
        "allocate_by_priority",
        5,
        5,
        "ALLOCATE BY PRIORITY(request[range], priority[range], size, width, supply)",
        Rule::Rename("allocate_by_priority", &[0, 1, 2, 3, 4]),
    ),
    (
        "allocate_available",
        3,
        3,
        "ALLOCATE AVAILABLE(request[range], pp[range, ptype], supply)",
        Rule::Rename("allocate_available", &[0, 1, 2]),
    ),
    (
        "find_market_price",
        4,
        4,
        "FIND MARKET PRICE(demand[first demander], demand profile[first demander, ptype], supply[first supplier], supply profile[first supplier, ptype])",
        Rule::Rename("find_market_price", &[0, 1, 2, 3]),
    ),
    (
        "demand_at_price",
        3,
        3,
        "DEMAND AT PRICE(quantity[demander], profile[demander, ptype], price)",
        Rule::Rename("demand_at_price", &[0, 1, 2]),
    ),
    (
        "supply_at_price",
        3,
        3,
        "SUPPLY AT PRICE(quantity[supplier], profile[supplier, ptype], price)",
        Rule::Rename("supply_at_price", &[0, 1, 2]),
    ),
    ("invert_matrix", 2, 2, "INVERT MATRIX(matrix[rows, columns], size)", Rule::Rename("invert_matrix", &[0, 1])),
    ("queue_fifo", 5, 5, "QUEUE FIFO(inflow, outflow, profile, initial, age range)", Rule::Special(Special::Integ)),
    (
        "depreciate_straightline",
        4,
        4,
        "DEPRECIATE STRAIGHTLINE(stream, depreciation time, fiscal period, initial value)",
        Rule::Special(Special::DepreciateStraightline),
    ),
    (
        "shift_if_true",
        5,
        5,
        "SHIFT IF TRUE(level, condition, size, accumulate, value in)",
        Rule::Special(Special::ShiftIfTrue),
    ),
    // In Vensim's list of functions, not (yet) computed by fulcrum: each is reported where it
    // is called, by name.
    ("queue_age", 0, 255, "QUEUE AGE(...)", Rule::UnsupportedBecause(QUEUE_AGES)),
    ("queue_attrib", 0, 255, "QUEUE ATTRIB(...)", Rule::UnsupportedBecause(QUEUE_AGES)),
    ("queue_cf", 0, 255, "QUEUE CF(...)", Rule::UnsupportedBecause(QUEUE_AGES)),
    ("queue_age_average", 0, 255, "QUEUE AGE AVERAGE(queue, quantity)", Rule::UnsupportedBecause(QUEUE_AGES)),
    ("queue_age_in_range", 0, 255, "QUEUE AGE IN RANGE(queue, min age, max age)", Rule::UnsupportedBecause(QUEUE_AGES)),
    ("queue_age_oldest", 0, 255, "QUEUE AGE OLDEST(queue)", Rule::UnsupportedBecause(QUEUE_AGES)),
    ("queue_attrib_average", 0, 255, "QUEUE ATTRIB AVERAGE(queue, quantity)", Rule::UnsupportedBecause(QUEUE_AGES)),
    ("queue_attrib_quantity", 0, 255, "QUEUE ATTRIB QUANTITY(...)", Rule::UnsupportedBecause(QUEUE_AGES)),
    (
        "queue_fifo_attrib",
        0,
        255,
        "QUEUE FIFO ATTRIB(in, out, inatt, attchg, profile, aprofile, init, initatt, age range)",
        Rule::UnsupportedBecause(QUEUE_AGES),
    ),
    (
        "delay_batch",
        6,
        6,
        "DELAY BATCH(input, batch size, batch time, initial batch, initial output time, initial backlog)",
        Rule::Special(Special::DelayBatch),
    ),
    (
        "delay_information",
        3,
        3,
        "DELAY INFORMATION(input, delay time, initial value)",
        Rule::Rename("delay_information", &[0, 1, 2]),
    ),
    (
        "delay_profile",
        5,
        5,
        "DELAY PROFILE(profile, input, delay time, initial value, initial growth rate)",
        Rule::Special(Special::DelayProfile),
    ),
    (
        "depreciate_by_schedule",
        5,
        5,
        "DEPRECIATE BY SCHEDULE(stream, schedule[first element], initial depreciation, depreciation time, fiscal start)",
        Rule::Special(Special::DepreciateBySchedule),
    ),
    ("find_zero", 0, 255, "FIND ZERO(xs, z, zs, xi, n, skip, tol, max iter, method)", Rule::Special(Special::FindZero)),
    ("alloc_p", 4, 4, "ALLOC P(request, priority, width, market priority)", Rule::Rename("alloc_p", &[0, 1, 2, 3])),
    (
        "marketp",
        5,
        5,
        "MARKETP(request[first element], priority[first element], size, width, supply)",
        Rule::Rename("marketp", &[0, 1, 2, 3, 4]),
    ),
    ("cumulate", 0, 255, "CUMULATE(data)", Rule::UnsupportedBecause(DATA_FROM_DATA)),
    ("cumulatef", 0, 255, "CUMULATEF(data)", Rule::UnsupportedBecause(DATA_FROM_DATA)),
    (
        "random_lookup",
        6,
        6,
        "RANDOM LOOKUP(lookup, min, max, shift, stretch, stream)",
        Rule::Rename("random_lookup", &[0, 1, 2, 3, 4]),
    ),
    ("simultaneous", 0, 255, "SIMULTANEOUS(expression, initial guess)", Rule::Special(Special::Simultaneous)),
    ("get_vdf_data", 0, 255, "GET VDF DATA('file', 'varname', start, slope)", Rule::UnsupportedBecause(VDF)),
    ("get_vdf_constants", 0, 255, "GET VDF CONSTANTS('file', 'varname', attime)", Rule::UnsupportedBecause(VDF)),
    ("get_vdf_lookups", 0, 255, "GET VDF LOOKUPS('file', 'varname', start, slope)", Rule::UnsupportedBecause(VDF)),
    ("with_lookup", 2, 2, "x WITH LOOKUP(...)", Rule::Unsupported),
    (
        "a_function_of",
        0,
        255,
        "A FUNCTION OF(...)",
        Rule::UnsupportedBecause(
            "A FUNCTION OF is Vensim's placeholder for an equation not written yet: it names what the variable depends on but gives no value; write the equation",
        ),
    ),
    (
        "get_xls_data",
        4,
        4,
        "GET XLS DATA('file', 'sheet', 'time row or column', 'first cell')",
        Rule::Special(Special::WholeEquation),
    ),
    (
        "get_direct_data",
        4,
        4,
        "GET DIRECT DATA('file', 'sheet', 'time row or column', 'first cell')",
        Rule::Special(Special::WholeEquation),
    ),
    (
        "get_xls_constants",
        3,
        3,
        "GET XLS CONSTANTS('file', 'sheet', 'first cell')",
        Rule::Special(Special::WholeEquation),
    ),
    (
        "get_direct_constants",
        3,
        3,
        "GET DIRECT CONSTANTS('file', 'sheet', 'first cell')",
        Rule::Special(Special::WholeEquation),
    ),
    (
        "get_xls_lookups",
        4,
        4,
        "GET XLS LOOKUPS('file', 'sheet', 'x row or column', 'first cell')",
        Rule::Special(Special::WholeEquation),
    ),
    (
        "get_direct_lookups",
        4,
        4,
        "GET DIRECT LOOKUPS('file', 'sheet', 'x row or column', 'first cell')",
        Rule::Special(Special::WholeEquation),
    ),
    (
        "get_123_data",
        4,
        4,
        "GET 123 DATA('file', 'sheet', 'time row or column', 'first cell')",
        Rule::Special(Special::WholeEquation),
    ),
    (
        "get_123_constants",
        3,
        3,
        "GET 123 CONSTANTS('file', 'sheet', 'first cell')",
        Rule::Special(Special::WholeEquation),
    ),
    (
        "get_123_lookups",
        4,
        4,
        "GET 123 LOOKUPS('file', 'sheet', 'x row or column', 'first cell')",
        Rule::Special(Special::WholeEquation),
    ),
    ("get_data_total_points", 1, 1, "GET DATA TOTAL POINTS(data)", Rule::Rename("get_data_total_points", &[0])),
    ("tabbed_array", 0, 255, "TABBED ARRAY(...)", Rule::Unsupported),
];

/// What a call rewrite needs to know about the model.
pub(crate) trait Context {
    /// Is this (canonical) name a model variable that can be called (a lookup)?
    fn is_callable_variable(&self, canonical: &str) -> bool;
    /// Is this name a macro defined in the file?
    fn is_macro(&self, canonical: &str) -> bool;
    /// Expands a call of a macro: the expression that stands for its value.
    fn expand_macro(&mut self, function: &NameRef, args: &[Expr], span: Span) -> Result<Expr, Box<Diagnostic>>;
    /// Makes a DELAY CONVEYOR call a conveyor of its own: the expression that stands for what
    /// leaves it.
    fn delay_conveyor(&mut self, args: &[Expr], span: Span) -> Result<Expr, Box<Diagnostic>>;
    /// Makes a DELAY BATCH call hidden variables of its own: the expression that stands for what
    /// it returns.
    fn delay_batch(&mut self, args: &[Expr], span: Span) -> Result<Expr, Box<Diagnostic>>;
    /// Spreads a DELAY PROFILE call's input over the steps after it: the expression that stands
    /// for what leaves.
    fn delay_profile(&mut self, args: &[Expr], span: Span) -> Result<Expr, Box<Diagnostic>>;
    /// DEPRECIATE BY SCHEDULE over the schedule's elements: the expression of the depreciation.
    fn depreciate_by_schedule(&mut self, args: &[Expr], span: Span) -> Result<Expr, Box<Diagnostic>>;
    /// Makes a SHIFT IF TRUE call shift its level's elements through a hidden flow of the level:
    /// the expression of what it returns.
    fn shift_if_true(&mut self, args: &[Expr], span: Span) -> Result<Expr, Box<Diagnostic>>;
    /// Makes a SIMULTANEOUS call the loop it closes run around a fixed number of times within
    /// the step: the expression of its solution.
    fn simultaneous(&mut self, args: &[Expr], span: Span) -> Result<Expr, Box<Diagnostic>>;
    /// Makes a FIND ZERO call a fixed number of Newton steps within the time step, over its
    /// left-hand side's range: the expression of its solution.
    fn find_zero(&mut self, args: &[Expr], span: Span) -> Result<Expr, Box<Diagnostic>>;
}

/// Rewrites every Vensim function call in `expr` into fulcrum's built-ins, reporting the calls
/// that cannot be rewritten.
pub(crate) fn rewrite(expr: &mut Expr, context: &mut dyn Context, problems: &mut Vec<Diagnostic>) {
    match &mut expr.kind {
        ExprKind::Number(_) | ExprKind::Name(_) => {}
        ExprKind::Subscript { indices, .. } => {
            for index in indices {
                if let Index::Expr(inner) = index {
                    rewrite(inner, context, problems);
                }
            }
        }
        ExprKind::Unary { operand, .. } => rewrite(operand, context, problems),
        ExprKind::Binary { lhs, rhs, .. } => {
            rewrite(lhs, context, problems);
            rewrite(rhs, context, problems);
        }
        ExprKind::Chain { first, rest } => {
            rewrite(first, context, problems);
            rest.iter_mut().for_each(|(_, operand)| rewrite(operand, context, problems));
        }
        ExprKind::If { condition, then_branch, else_branch } => {
            rewrite(condition, context, problems);
            rewrite(then_branch, context, problems);
            rewrite(else_branch, context, problems);
        }
        ExprKind::Call { args, .. } => {
            args.iter_mut().for_each(|arg| rewrite(arg, context, problems));
            let before = problems.len();
            match rewrite_call(expr, context, problems) {
                Some(replacement) => *expr = replacement,
                // A problem reported (at the function's name, at an argument, or a wrong number
                // of arguments): the call is replaced, so that the resolver does not report it
                // again, as an unknown function or as a fulcrum built-in of the same name.
                None if problems.len() > before => {
                    *expr = Expr { kind: ExprKind::Number(0.0), span: expr.span };
                }
                None => {}
            }
        }
    }
}

fn rewrite_call(call: &Expr, context: &mut dyn Context, problems: &mut Vec<Diagnostic>) -> Option<Expr> {
    let ExprKind::Call { function, function_span, args } = &call.kind else { return None };
    let canonical = function.canonical.as_str();
    if !context.is_macro(canonical)
        && let Some(marker) =
            args.iter().find(|arg| matches!(&arg.kind, ExprKind::Name(name) if name.written == OUTPUTS_MARKER))
    {
        problems.push(
            Diagnostic::new(
                Code::MdlSyntax,
                format!("only a macro's call names outputs after `:`, and {} is not a macro", function.written),
            )
            .at(Some(marker.span))
            .with_help("`:` in a call separates a macro's inputs from the variables that receive its extra outputs"),
        );
        return None;
    }
    if context.is_callable_variable(canonical) {
        return None;
    }
    if context.is_macro(canonical) {
        return match context.expand_macro(function, args, call.span) {
            Ok(expr) => Some(expr),
            Err(problem) => {
                problems.push(*problem);
                None
            }
        };
    }
    let (_, min, max, signature, rule) = FUNCTIONS.iter().find(|(name, ..)| *name == canonical)?;
    if let Rule::Undocumented(why) = rule {
        problems.push(
            Diagnostic::new(
                Code::MdlUnsupportedFunction,
                format!("the Vensim function {} is not supported", function.written.to_uppercase()),
            )
            .at(Some(*function_span))
            .with_help(*why),
        );
        return None;
    }
    if let Rule::UnsupportedBecause(why) = rule {
        problems.push(
            Diagnostic::new(
                Code::MdlUnsupportedFunction,
                format!("the Vensim function {} is not supported yet", function.written.to_uppercase()),
            )
            .at(Some(*function_span))
            .with_help(format!("{signature}: {why}")),
        );
        return None;
    }
    if let Rule::Unsupported = rule {
        problems.push(
            Diagnostic::new(
                Code::MdlUnsupportedFunction,
                format!("the Vensim function {} is not supported yet", function.written.to_uppercase()),
            )
            .at(Some(*function_span))
            .with_help(format!("{signature}: fulcrum cannot compute it yet, so the model cannot run")),
        );
        return None;
    }
    if args.len() < *min || args.len() > *max {
        let count = if min == max { format!("{min}") } else { format!("{min} to {max}") };
        problems.push(
            Diagnostic::new(
                Code::WrongArity,
                format!("{} takes {count} arguments, but is given {}", function.written.to_uppercase(), args.len()),
            )
            .at(Some(*function_span))
            .with_help(*signature),
        );
        return None;
    }
    let span = call.span;
    let at = |kind: ExprKind| Expr { kind, span };
    let named = |name: &str, args: Vec<Expr>| {
        at(ExprKind::Call { function: NameRef::new(name.to_uppercase()), function_span: *function_span, args })
    };
    let arg = |i: usize| args.get(i).cloned().unwrap_or(Expr { kind: ExprKind::Number(0.0), span });
    let number = |value: f64| at(ExprKind::Number(value));
    let time = || at(ExprKind::Name(NameRef::new("TIME")));
    let dt = || at(ExprKind::Name(NameRef::new("DT")));
    let binary = |op: BinaryOp, lhs: Expr, rhs: Expr| Expr::join(lhs, op, rhs);
    let if_then_else = |condition: Expr, then_branch: Expr, else_branch: Expr| {
        at(ExprKind::If {
            condition: Box::new(condition),
            then_branch: Box::new(then_branch),
            else_branch: Box::new(else_branch),
        })
    };
    match rule {
        Rule::Unsupported | Rule::UnsupportedBecause(_) | Rule::Undocumented(_) => None,
        Rule::Rename(name, order) => Some(named(name, order.iter().map(|&i| arg(i)).collect())),
        Rule::Special(special) => match special {
            Special::Integ => {
                let name = function.written.to_uppercase();
                problems.push(
                    Diagnostic::new(
                        Code::MdlUnsupportedFeature,
                        format!("{name} must be the whole equation of a level"),
                    )
                    .at(Some(*function_span))
                    .with_help(format!("write the {name} in a variable of its own: `level = {signature}`")),
                );
                None
            }
            Special::WholeEquation => {
                problems.push(
                    Diagnostic::new(
                        Code::MdlSyntax,
                        format!("{} must be the whole right-hand side of its equation", function.written.to_uppercase()),
                    )
                    .at(Some(*function_span))
                    .with_help(format!(
                        "Vensim reads a file only directly after `:=` (data) or `=` (constants and lookups): define a variable as `name := {signature}` or `name = ...` and use it here"
                    )),
                );
                None
            }
            // A conveyor of its own (see `Context::delay_conveyor`): material that enters leaves
            // the conveyance time later, having leaked `leak` of itself per unit of time.
            Special::DelayConveyor => match context.delay_conveyor(args, span) {
                Ok(expr) => Some(expr),
                Err(problem) => {
                    problems.push(*problem);
                    None
                }
            },
            // Batches of the accumulated input, each returned as a pulse when its batch time has
            // passed (see `Context::delay_batch`).
            Special::DelayBatch => match context.delay_batch(args, span) {
                Ok(expr) => Some(expr),
                Err(problem) => {
                    problems.push(*problem);
                    None
                }
            },
            // The loop run around until it settles (see `Context::simultaneous`).
            Special::Simultaneous => match context.simultaneous(args, span) {
                Ok(expr) => Some(expr),
                Err(problem) => {
                    problems.push(*problem);
                    None
                }
            },
            // Newton's steps towards the zero (see `Context::find_zero`).
            Special::FindZero => match context.find_zero(args, span) {
                Ok(expr) => Some(expr),
                Err(problem) => {
                    problems.push(*problem);
                    None
                }
            },
            // The level's elements shifted by a hidden flow (see `Context::shift_if_true`).
            Special::ShiftIfTrue => match context.shift_if_true(args, span) {
                Ok(expr) => Some(expr),
                Err(problem) => {
                    problems.push(*problem);
                    None
                }
            },
            // The input spread over the profile (see `Context::delay_profile`).
            Special::DelayProfile => match context.delay_profile(args, span) {
                Ok(expr) => Some(expr),
                Err(problem) => {
                    problems.push(*problem);
                    None
                }
            },
            // DEPRECIATE STRAIGHTLINE with a schedule's shares (see
            // `Context::depreciate_by_schedule`).
            Special::DepreciateBySchedule => match context.depreciate_by_schedule(args, span) {
                Ok(expr) => Some(expr),
                Err(problem) => {
                    problems.push(*problem);
                    None
                }
            },
            Special::IfThenElse => Some(if_then_else(arg(0), arg(1), arg(2))),
            // Vensim's action keywords: the selected values (where the selection is not zero)
            // combined by the action; the value if none is selected when nothing is. The error
            // action only decides Vensim's warnings. Actions given as numbers or expressions (codes
            // that may change during the run) go to the VECTOR_SELECT built-in.
            Special::VectorSelect => {
                let keyword = |index: usize| match &arg(index).kind {
                    ExprKind::Name(name) if name.canonical.as_str().starts_with("vs") => {
                        Some(name.canonical.as_str().to_owned())
                    }
                    _ => None,
                };
                if keyword(3).is_none() && keyword(4).is_none() {
                    return Some(named("vector_select", (0..5).map(arg).collect()));
                }
                let infinity = || at(ExprKind::Name(NameRef::new("INF")));
                let negative_infinity = || at(ExprKind::Unary { op: UnaryOp::Negate, operand: Box::new(infinity()) });
                let (reduction, neutral) = match keyword(3).as_deref() {
                    Some("vssum") => ("sum", number(0.0)),
                    Some("vsproduct") => ("prod", number(1.0)),
                    Some("vsmin") => ("min", infinity()),
                    Some("vsmax") => ("max", negative_infinity()),
                    _ => {
                        problems.push(
                            Diagnostic::new(
                                Code::MdlUnsupportedFunction,
                                "this VECTOR SELECT action is not supported yet",
                            )
                            .at(Some(arg(3).span))
                            .with_help("fulcrum reads the actions VSSUM, VSPRODUCT, VSMIN and VSMAX, or action codes given as numbers"),
                        );
                        return None;
                    }
                };
                if !matches!(keyword(4).as_deref(), Some("vserrnone" | "vserratleastone")) {
                    problems.push(
                        Diagnostic::new(
                            Code::MdlUnsupportedFunction,
                            "this VECTOR SELECT error action is not supported yet",
                        )
                        .at(Some(arg(4).span))
                        .with_help("fulcrum reads the error actions VSERRNONE and VSERRATLEASTONE"),
                    );
                    return None;
                }
                let selected = || binary(BinaryOp::Ne, arg(0), number(0.0));
                let count = named("sum", vec![if_then_else(selected(), number(1.0), number(0.0))]);
                let combined = named(reduction, vec![if_then_else(selected(), arg(1), neutral)]);
                Some(if_then_else(binary(BinaryOp::Eq, count, number(0.0)), arg(2), combined))
            }
            // 1 from `start` for `width` (a width of zero lasts one time step), else 0.
            Special::Pulse => {
                let width = named("max", vec![arg(1), dt()]);
                let started = binary(BinaryOp::Ge, time(), arg(0));
                let not_ended = binary(BinaryOp::Lt, time(), binary(BinaryOp::Add, arg(0), width));
                Some(if_then_else(binary(BinaryOp::And, started, not_ended), number(1.0), number(0.0)))
            }
            Special::Power => Some(binary(BinaryOp::Pow, arg(0), arg(1))),
            Special::Identity => Some(arg(0)),
            // Vensim: the same as RANDOM UNIFORM(0, 1, 0).
            Special::RandomZeroOne => Some(named("random", vec![number(0.0), number(1.0)])),
            // No Vensim documentation of RAMP FROM TO is available; the one public definition is
            // the macro of that name in C-LEARN (Climate Interactive), which this follows: from
            // `from` at the start time to `to` at the end time, linearly unless the fifth
            // argument is 0 and both ends are positive, when it grows exponentially. The
            // interval is at least one time step. A model that defines the macro itself uses its
            // own definition.
            Special::RampFromTo => {
                let (from, to, start, end) = (arg(0), arg(1), arg(2), arg(3));
                let interval = || named("max", vec![binary(BinaryOp::Sub, arg(3), arg(2)), dt()]);
                let slope = binary(BinaryOp::Div, binary(BinaryOp::Sub, arg(1), arg(0)), interval());
                let linear_ramp = binary(BinaryOp::Add, arg(0), named("ramp", vec![slope, arg(2), arg(3)]));
                if args.len() < 5 {
                    return Some(linear_ramp);
                }
                let both_positive = binary(
                    BinaryOp::And,
                    binary(BinaryOp::Gt, arg(0), number(0.0)),
                    binary(BinaryOp::Gt, arg(1), number(0.0)),
                );
                let linear = if_then_else(both_positive, binary(BinaryOp::Ne, arg(4), number(0.0)), number(1.0));
                let rate = binary(BinaryOp::Div, named("ln", vec![binary(BinaryOp::Div, arg(1), arg(0))]), interval());
                let grown = binary(
                    BinaryOp::Mul,
                    from.clone(),
                    named("exp", vec![binary(BinaryOp::Mul, rate, binary(BinaryOp::Sub, time(), start.clone()))]),
                );
                let exponential = if_then_else(
                    binary(BinaryOp::Le, time(), start),
                    from,
                    if_then_else(binary(BinaryOp::Gt, time(), end), to, grown),
                );
                Some(if_then_else(linear, linear_ramp, exponential))
            }
            // Vensim's documentation (Financial and Accounting functions): what the stream
            // brings in during a fiscal period is spent evenly over the depreciation time, that
            // is over n = depreciation time / fiscal period periods (rounded to a whole number,
            // at least 1), starting with the period it comes in; in that period the function
            // counts the stream's current value as if it held all period. `initial value` fills
            // the periods before the start, as if the stream had held it. So, with F the fiscal
            // period and k the periods since the start:
            //   (sum of the n - 1 periods before k of (stream × TIME STEP) + stream × F) / (n F).
            // The sum is a difference of the stream's running total sampled at each period's
            // start (NPV at rate 0 less this step's share), and its value n - 1 periods earlier
            // (DELAY FIXED), with the periods before the start counted as `initial value` × F
            // each. Checked against Vensim's run of SDEverywhere's `depreciate` model.
            Special::DepreciateStraightline => {
                let (stream, fiscal, initial) = (arg(0), arg(2), arg(3));
                let periods =
                    || named("max", vec![number(1.0), named("round", vec![binary(BinaryOp::Div, arg(1), arg(2))])]);
                let start = || at(ExprKind::Name(NameRef::new("STARTTIME")));
                let phase = || binary(BinaryOp::Div, binary(BinaryOp::Sub, time(), start()), arg(2));
                let elapsed = || named("int", vec![binary(BinaryOp::Add, phase(), number(1e-9))]);
                let period_starts = binary(
                    BinaryOp::Lt,
                    binary(BinaryOp::Mul, binary(BinaryOp::Sub, phase(), elapsed()), arg(2)),
                    binary(BinaryOp::Div, dt(), number(2.0)),
                );
                let running_total = binary(
                    BinaryOp::Sub,
                    named("npv", vec![arg(0), number(0.0), number(0.0), number(1.0)]),
                    binary(BinaryOp::Mul, arg(0), dt()),
                );
                let at_period_start = named("sample_if_true", vec![period_starts, running_total, number(0.0)]);
                let before_start = binary(BinaryOp::Mul, binary(BinaryOp::Mul, elapsed(), arg(3)), arg(2));
                let total = binary(BinaryOp::Sub, at_period_start, before_start);
                let earlier_periods = || binary(BinaryOp::Sub, periods(), number(1.0));
                let window_start = named(
                    "delay_fixed",
                    vec![total.clone(), binary(BinaryOp::Mul, earlier_periods(), arg(2)), number(0.0)],
                );
                let window = binary(
                    BinaryOp::Add,
                    binary(BinaryOp::Sub, total, window_start),
                    binary(BinaryOp::Mul, binary(BinaryOp::Mul, earlier_periods(), initial), arg(2)),
                );
                let depreciation = binary(
                    BinaryOp::Div,
                    binary(BinaryOp::Add, window, binary(BinaryOp::Mul, stream.clone(), fiscal.clone())),
                    binary(BinaryOp::Mul, periods(), fiscal),
                );
                Some(if_then_else(binary(BinaryOp::Le, periods(), number(1.0)), stream, depreciation))
            }
            // The model's time measured another way: the start plus so much per unit of Time.
            Special::TimeBase => Some(binary(BinaryOp::Add, arg(0), binary(BinaryOp::Mul, arg(1), time()))),
        },
    }
}

/// Is this a unary minus of something (used when splitting a rate into flows)?
pub(crate) fn negated(expr: &Expr) -> Option<&Expr> {
    match &expr.kind {
        ExprKind::Unary { op: UnaryOp::Negate, operand } => Some(operand),
        _ => None,
    }
}
