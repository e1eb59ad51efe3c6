//! The reader's tests: each construct of the `.mdl` syntax with the IR it becomes, bad input
//! with its diagnostics, and a property that no input makes the reader panic.

use fulcrum_model::syntax::{BinaryOp, Expr, ExprKind, Index, Span, UnaryOp};
use fulcrum_model::{Diagnostics, GraphKind, Model, Variable, VariableKind};
use proptest::prelude::*;

const CONTROL: &str = "
INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 10 ~ Month ~ |
TIME STEP = 0.5 ~ Month ~ |
SAVEPER = TIME STEP ~ Month ~ |
";

/// Reads `body` with the time settings appended; panics (in the test) on read errors.
fn read(body: &str) -> (Model, Diagnostics) {
    let text = format!("{{UTF-8}}\n{body}\n{CONTROL}");
    match crate::read(&text) {
        Ok(read) => read,
        Err(diagnostics) => panic!("{diagnostics:?}"),
    }
}

/// Reads `body`, asserting that nothing is wrong with it, and checks that it resolves.
fn clean(body: &str) -> Model {
    let (model, diagnostics) = read(body);
    assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
    if let Err(diagnostics) = fulcrum_model::resolve(&model) {
        panic!("does not resolve: {diagnostics:?}");
    }
    model
}

fn variable<'m>(model: &'m Model, name: &str) -> &'m Variable {
    model.variable(name).unwrap_or_else(|| panic!("no variable {name}"))
}

fn text(model: &Model, name: &str) -> String {
    variable(model, name).equation.as_ref().map(|e| e.text.clone()).unwrap_or_default()
}

fn expr<'m>(model: &'m Model, name: &str) -> &'m Expr {
    match variable(model, name).equation.as_ref().map(|e| &e.expr) {
        Some(Ok(expr)) => expr,
        other => panic!("{name}: {other:?}"),
    }
}

/// A stock's inflows and outflows, by name.
fn flows(model: &Model, name: &str) -> (Vec<String>, Vec<String>) {
    match &variable(model, name).kind {
        VariableKind::Stock { inflows, outflows, .. } => {
            let names = |links: &[fulcrum_model::FlowLink]| links.iter().map(|l| l.name.clone()).collect();
            (names(inflows), names(outflows))
        }
        other => panic!("{name} is {other:?}"),
    }
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn codes(diagnostics: &Diagnostics) -> Vec<&'static str> {
    diagnostics.0.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn definitions_carry_units_range_and_documentation() {
    let model = clean("Rate = 0.05 ~ 1/Month [0, 0.2, 0.01] ~ Interest per month. |\nOpen = 3 ~ Widget [0,?] ~ |");
    let rate = variable(&model, "rate");
    assert_eq!(rate.units.as_deref(), Some("1/Month"));
    assert_eq!(rate.range, Some((0.0, 0.2)));
    assert_eq!(rate.doc.as_deref(), Some("Interest per month."));
    assert_eq!(variable(&model, "open").range, None);
    assert_eq!(model.dialect, fulcrum_model::Dialect::Vensim);
    // SAVEPER = TIME STEP saves every step; the settings read the run's own start, stop and dt.
    assert_eq!((model.sim.start, model.sim.stop, model.sim.dt, model.sim.save_step), (0.0, 10.0, 0.5, None));
    assert_eq!(
        ["INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER"].map(|name| text(&model, name)),
        ["STARTTIME", "STOPTIME", "DT", "TIME_STEP"]
    );
    assert_eq!(model.sim.time_units.as_deref(), Some("Month"));
}

#[test]
fn names_fold_case_spaces_and_underscores() {
    let model = clean("Birth Rate = 2 ~~|\ny = birth_rate + BIRTH   RATE + \"Birth Rate\" ~~|");
    let ExprKind::Chain { first, rest } = &expr(&model, "y").kind else { panic!("a sum") };
    let names: Vec<_> = std::iter::once(first.as_ref())
        .chain(rest.iter().map(|(_, e)| e))
        .map(|e| match &e.kind {
            ExprKind::Name(name) => name.canonical.as_str().to_owned(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(names, ["birth_rate", "birth_rate", "birth_rate"]);
}

#[test]
fn comments_continuations_and_groups_are_skipped() {
    let body = "********************************************************\n\t.Inputs\n\
        ********************************************************~\n\t\tGroup doc\n\t|\n\
        a = 1 {a comment ~ | inside} + \\\n   2 ~~|\nlong \\\n  name = a * 2 ~~|";
    let model = clean(body);
    assert_eq!(text(&model, "a"), "1 + 2");
    assert_eq!(text(&model, "long name"), "a * 2");
}

#[test]
fn unary_minus_binds_looser_than_power_and_power_groups_right() {
    let model = clean("x = -2^2 ~~|\ny = 2^3^2 ~~|\nz = 2 ^ -1 ~~|");
    let ExprKind::Unary { op: UnaryOp::Negate, operand } = &expr(&model, "x").kind else { panic!("negation") };
    assert!(matches!(operand.kind, ExprKind::Binary { op: BinaryOp::Pow, .. }));
    let ExprKind::Binary { op: BinaryOp::Pow, rhs, .. } = &expr(&model, "y").kind else { panic!("power") };
    assert!(matches!(rhs.kind, ExprKind::Binary { op: BinaryOp::Pow, .. }));
    assert_eq!(text(&model, "x"), "-2 ^ 2");
    assert_eq!(text(&model, "y"), "2 ^ 3 ^ 2");
    assert_eq!(text(&model, "z"), "2 ^ -1");
}

#[test]
fn logical_operators_and_na() {
    let model = clean("a = 1 ~~|\nb = IF THEN ELSE(a > 0 :AND: :NOT: a = 2 :OR: a <> 3, :NA:, 1) ~~|");
    assert_eq!(text(&model, "b"), "IF a > 0 AND NOT (a = 2) OR a <> 3 THEN -1.298074214633707e33 ELSE 1");
}

#[test]
fn spans_point_into_the_file() {
    let body = "alpha = beta + 1 ~~|\nbeta = 2 ~~|";
    let (model, _) = read(body);
    let source = format!("{{UTF-8}}\n{body}\n{CONTROL}");
    let ExprKind::Binary { lhs: first, .. } = &expr(&model, "alpha").kind else { panic!("a sum") };
    assert_eq!(source.get(first.span.start()..first.span.end()), Some("beta"));
    let equation = variable(&model, "alpha").equation.as_ref().and_then(|e| e.origin.span);
    assert_eq!(equation.and_then(|s| source.get(s.start()..s.end())), Some("beta + 1"));
}

#[test]
fn a_rate_that_sums_variables_is_split_into_flows() {
    let model = clean(
        "Stock = INTEG(births - deaths + migration, 100) ~ People ~ |\nbirths = 2 ~~|\ndeaths = Stock/10 ~~|\nmigration = 1 ~~|",
    );
    assert_eq!(flows(&model, "stock"), (strings(&["births", "migration"]), strings(&["deaths"])));
    assert_eq!(text(&model, "stock"), "100");
    assert_eq!(variable(&model, "births").kind, VariableKind::Flow { non_negative: false });
    assert_eq!(variable(&model, "deaths").kind, VariableKind::Flow { non_negative: false });
}

#[test]
fn a_queue_fifo_is_the_level_of_its_inflow_less_its_outflow() {
    // Vensim: QUEUE FIFO(inflow, outflow, profile, initial, age range) defines a level with that
    // inflow, outflow and initial value; the profile and age range shape only the queue's ages.
    let model = clean(
        "Waiting = QUEUE FIFO(arriving, serving, flat, 100, 20) ~ Widget ~ |\n\
         arriving = 3 ~~|\nserving = Waiting / 10 ~~|\nflat((0,1),(1,1)) ~~|",
    );
    assert_eq!(flows(&model, "waiting"), (strings(&["arriving"]), strings(&["serving"])));
    assert_eq!(text(&model, "waiting"), "100");
    let (_, diagnostics) = read("x = 1 ~~|\nflat((0,1),(1,1)) ~~|\ny = 1 + QUEUE FIFO(x, x, flat, 0, 1) ~~|");
    assert_eq!(codes(&diagnostics), ["E0703"]);
    assert!(diagnostics.0[0].message.contains("QUEUE FIFO must be the whole equation"), "{diagnostics:?}");
}

#[test]
fn a_delay_conveyor_becomes_a_conveyor_of_its_own() {
    let model = clean(
        "input = 2 ~~|\nflat((0,1),(1,1)) ~~|\ntime needed = 3 ~~|\n\
         out = 1 + DELAY CONVEYOR(input, time needed, 0.1, flat, 6, time needed) ~~|",
    );
    assert_eq!(text(&model, "out"), "1 + \"DELAY CONVEYOR.1.out\"");
    let belt = variable(&model, "DELAY CONVEYOR.1.belt");
    assert_eq!(
        flows(&model, "DELAY CONVEYOR.1.belt"),
        (strings(&["DELAY CONVEYOR.1.in"]), strings(&["DELAY CONVEYOR.1.out", "DELAY CONVEYOR.1.leak"]))
    );
    // The initial contents, made up for the leak fulcrum's conveyor takes in the step each part
    // leaves (see `Translator::delay_conveyor`).
    assert_eq!(text(&model, "DELAY CONVEYOR.1.belt"), "6 / (1 - 0.1 * DT)");
    let conveyor = belt.conveyor.as_ref().expect("a conveyor");
    assert_eq!(conveyor.transit_time.as_ref().map(|e| e.text.as_str()), Some("time_needed"));
    assert!(conveyor.exponential_leak);
    assert_eq!(text(&model, "DELAY CONVEYOR.1.in"), "input");
    let leak = variable(&model, "DELAY CONVEYOR.1.leak").leak.as_ref().expect("a leak");
    assert_eq!((leak.zone_start, leak.zone_end), (0.0, 1.0));
}

#[test]
fn any_other_rate_gets_a_flow_of_its_own() {
    // A product, a constant, a repeated variable and a level in the sum all need their own flow.
    let model = clean(
        "S = INTEG(k * S, 1) ~~|\nk = 0.1 ~~|\nT = INTEG(k + k, 0) ~~|\nU = INTEG(S - k, 0) ~~|\nS net flow = 3 ~~|",
    );
    assert_eq!(flows(&model, "S"), (strings(&["S net flow 2"]), Vec::new()));
    assert_eq!(text(&model, "S net flow 2"), "k * S");
    assert_eq!(flows(&model, "T"), (strings(&["T net flow"]), Vec::new()));
    assert_eq!(flows(&model, "U"), (strings(&["U net flow"]), Vec::new()));
    assert_eq!(variable(&model, "k").kind, VariableKind::Auxiliary);
}

#[test]
fn lookups_in_all_three_forms_and_with_lookup() {
    let model = clean(
        "new table([(0,0)-(2,10)],(0,1),(1,5),(2,10)) ~~|\nold table((0,1),(1,-2)) ~~|\n\
         listed table(0, 1, 2, 5, 6, 7) ~~|\n\
         y = new table(Time) + old table(0.5) + listed table(1) ~~|\n\
         z = WITH LOOKUP(Time, ([(0,0)-(1,1)],(0,0),(1,1))) ~~|",
    );
    let new = variable(&model, "new table");
    assert_eq!(new.kind, VariableKind::GraphicalFunction);
    let graph = new.graph.as_ref().map(|g| (g.x.clone(), g.y.clone()));
    assert_eq!(graph, Some((vec![0.0, 1.0, 2.0], vec![1.0, 5.0, 10.0])));
    let old = variable(&model, "old table").graph.as_ref().map(|g| g.y.clone());
    assert_eq!(old, Some(vec![1.0, -2.0]));
    let listed = variable(&model, "listed table").graph.as_ref().map(|g| (g.x.clone(), g.y.clone()));
    assert_eq!(listed, Some((vec![0.0, 1.0, 2.0], vec![5.0, 6.0, 7.0])));
    let z = variable(&model, "z");
    assert_eq!(z.kind, VariableKind::Auxiliary);
    assert_eq!(z.graph.as_ref().map(|g| g.y.clone()), Some(vec![0.0, 1.0]));
    assert_eq!(text(&model, "z"), "Time");
}

/// The lookups keep their own interpolation: each call says how it reads the table, so one table
/// can be read both ways.
#[test]
fn lookup_extrapolate_backward_and_forward_read_the_table_their_way() {
    let model = clean(
        "t((0,0),(1,1)) ~~|\ny = LOOKUP EXTRAPOLATE(t, 2) + LOOKUP BACKWARD(t, 0.5) + LOOKUP FORWARD(t, 0.5) + t(3) ~~|",
    );
    assert_eq!(variable(&model, "t").graph.as_ref().map(|g| g.kind), Some(GraphKind::Continuous));
    assert_eq!(text(&model, "y"), "LOOKUP_EXTRAPOLATE(t, 2) + LOOKUP_BACKWARD(t, 0.5) + LOOKUP_FORWARD(t, 0.5) + t(3)");
}

#[test]
fn vensim_functions_become_fulcrum_builtins() {
    let model = clean(
        "x = 1 ~~|\n\
         a = SMOOTH N(x, 2, 0, 3) ~~|\nb = DELAY N(x, 2, 0, 3) ~~|\nc = DELAY FIXED(x, 2, 0) ~~|\n\
         d = SMOOTHI(x, 2, 5) + DELAY3I(x, 2, 1) + SMOOTH3(x, 1) ~~|\ne = INTEGER(x) + LOG(x, 10) + POWER(x, 2) ~~|\n\
         f = PULSE(2, 3) ~~|\ng = INITIAL(x) + ZIDZ(x, 0) + XIDZ(x, 0, 1) + MODULO(x, 2) ~~|\n\
         h = QUANTUM(x, 0.5) ~~|\ni = FORECAST(x, 2, 3) + TREND(x, 2, 0) ~~|",
    );
    assert_eq!(text(&model, "a"), "SMTHN(x, 2, 3, 0)");
    assert_eq!(text(&model, "b"), "DELAYN(x, 2, 3, 0)");
    assert_eq!(text(&model, "c"), "DELAY(x, 2, 0)");
    assert_eq!(text(&model, "d"), "SMTH1(x, 2, 5) + DELAY3(x, 2, 1) + SMTH3(x, 1)");
    assert_eq!(text(&model, "e"), "INT(x) + LOG(x, 10) + x ^ 2");
    assert_eq!(text(&model, "f"), "IF TIME >= 2 AND TIME < 2 + MAX(3, DT) THEN 1 ELSE 0");
    assert_eq!(text(&model, "g"), "INIT(x) + ZIDZ(x, 0) + XIDZ(x, 0, 1) + MODULO(x, 2)");
    assert_eq!(text(&model, "h"), "QUANTUM(x, 0.5)");
    assert_eq!(text(&model, "i"), "FORCST(x, 2, 3) + TREND(x, 2, 0)");
}

#[test]
fn vensim_random_functions_drop_their_stream_argument() {
    let model = clean(
        "x = 1 ~~|\n\
         a = RANDOM NORMAL(-5, 5, x, 2, 7) ~~|\nb = RANDOM EXPONENTIAL(0, 9, 1, 2, 0) ~~|\n\
         c = RANDOM GAMMA(0, 9, 2, 0, 1, 0) + RANDOM WEIBULL(0, 9, 2, 0, 1, 0) ~~|\n\
         d = RANDOM BETA(0, 1, 2, 3, 0, 1, 0) + RANDOM TRIANGULAR(0, 9, 1, 2, 3, 0) ~~|\n\
         e = RANDOM POISSON(0, 9, 3, 0, 1, 0) + RANDOM BINOMIAL(0, 9, 0.5, 4, 0, 1, 0) ~~|\n\
         f = RANDOM NEGATIVE BINOMIAL(0, 99, 0.5, 4, 0, 1, 0) ~~|\n\
         g = RANDOM 0 1() + RANDOM PINK NOISE(x, 1, 2, 0) ~~|\n\
         h = REINITIAL(x) + NPVE(x, 0.1, 0, 1) ~~|\ni = DELAY MATERIAL(x, 2, 0, -1) ~~|",
    );
    assert_eq!(text(&model, "a"), "RANDOM_NORMAL(-5, 5, x, 2)");
    assert_eq!(text(&model, "b"), "RANDOM_EXPONENTIAL(0, 9, 1, 2)");
    assert_eq!(text(&model, "c"), "RANDOM_GAMMA(0, 9, 2, 0, 1) + RANDOM_WEIBULL(0, 9, 2, 0, 1)");
    assert_eq!(text(&model, "d"), "RANDOM_BETA(0, 1, 2, 3, 0, 1) + RANDOM_TRIANGULAR(0, 9, 1, 2, 3)");
    assert_eq!(text(&model, "e"), "RANDOM_POISSON(0, 9, 3, 0, 1) + RANDOM_BINOMIAL(0, 9, 0.5, 4, 0, 1)");
    assert_eq!(text(&model, "f"), "RANDOM_NEGATIVE_BINOMIAL(0, 99, 0.5, 4, 0, 1)");
    assert_eq!(text(&model, "g"), "RANDOM(0, 1) + RANDOM_PINK_NOISE(x, 1, 2)");
    assert_eq!(text(&model, "h"), "INIT(x) + NPVE(x, 0.1, 0, 1)");
    assert_eq!(text(&model, "i"), "DELAY_MATERIAL(x, 2, 0, -1)");
}

#[test]
fn lookup_invert_and_area_read_a_lookup_by_name() {
    let model = clean("g((0, 0), (10, 100)) ~~|\na = LOOKUP INVERT(g, 50) + LOOKUP AREA(g, 0, 10) ~~|");
    assert_eq!(text(&model, "a"), "LOOKUP_INVERT(g, 50) + LOOKUP_AREA(g, 0, 10)");
}

#[test]
fn unsupported_functions_are_reported_by_name_where_called() {
    let body = "x = 1 ~~|\ny = 1 + QUEUE AGE OLDEST(x) ~~|\nz = RANDOM LOGNORMAL(0, 9, 1, 1, 0, 1, 0) ~~|";
    let (_, diagnostics) = read(body);
    assert_eq!(codes(&diagnostics), ["E0702", "E0702"]);
    let source = format!("{{UTF-8}}\n{body}\n{CONTROL}");
    let spans: Vec<&str> =
        diagnostics.0.iter().filter_map(|d| d.span).filter_map(|s| source.get(s.start()..s.end())).collect();
    assert_eq!(spans, ["QUEUE AGE OLDEST", "RANDOM LOGNORMAL"]);
    assert!(diagnostics.0[0].message.contains("QUEUE AGE OLDEST"));
    assert!(diagnostics.0[1].message.contains("RANDOM LOGNORMAL"));
    // RANDOM LOGNORMAL is refused for a reason of its own, and the hint says what to write.
    assert!(diagnostics.0[1].help.as_deref().is_some_and(|h| h.contains("EXP(RANDOM NORMAL")));
    assert_eq!(diagnostics.0[0].variable.as_deref(), Some("y"));
}

/// SHIFT IF TRUE's arguments that fulcrum cannot shift by are errors where they are written: a
/// level not at an element, a size that changes, a size past the last element, and a variable
/// that is not a level.
#[test]
fn shift_if_true_arguments_it_cannot_shift_by_are_located_errors() {
    let body = "age: a0, a1, a2 ~~|\nPop[age] = INTEG(0, 1) ~~|\nnot level[age] = 1 ~~|\n\
                a = SHIFT IF TRUE(Pop, 1, 1, 0, 0) ~~|\n\
                b = SHIFT IF TRUE(Pop[a0], 1, Time, 0, 0) ~~|\n\
                c = SHIFT IF TRUE(Pop[a1], 1, 3, 0, 0) ~~|\n\
                d = SHIFT IF TRUE(not level[a0], 1, 2, 0, 0) ~~|";
    let (_, diagnostics) = read(body);
    let source = format!("{{UTF-8}}\n{body}\n{CONTROL}");
    let located: Vec<(&str, &str, Option<&str>)> = diagnostics
        .0
        .iter()
        .map(|d| {
            (d.code.as_str(), d.span.and_then(|s| source.get(s.start()..s.end())).unwrap_or(""), d.variable.as_deref())
        })
        .collect();
    assert_eq!(
        located,
        [
            ("E0702", "Pop", Some("a")),
            ("E0702", "Time", Some("b")),
            ("E0702", "SHIFT IF TRUE(Pop[a1], 1, 3, 0, 0)", None),
            ("E0702", "SHIFT IF TRUE(not level[a0], 1, 2, 0, 0)", None),
        ],
        "{diagnostics:?}"
    );
    assert!(diagnostics.0.iter().all(|d| d.help.is_some()));
}

#[test]
fn vector_lookup_and_the_market_functions_become_fulcrum_builtins() {
    let model = clean(
        "Point: p1, p2, p3 ~~|\ncurve[Point] = 1, 4, 2 ~~|\n\
         y = VECTOR LOOKUP(curve[p1], Time, 0, 10, 0) ~~|\n\
         demander: d1, d2 ~~|\nsupplier: s1, s2 ~~|\npprofile: ptype, ppriority, pwidth, pextra ~~|\n\
         demand[demander] = 500, 300 ~~|\ncapacity[supplier] = 200, 450 ~~|\n\
         demand curve[d1, pprofile] = 3, 5, 2, 0 ~~|\ndemand curve[d2, pprofile] = 3, 7, 4, 0 ~~|\n\
         supply curve[s1, pprofile] = 3, 1, 2, 0 ~~|\nsupply curve[s2, pprofile] = 3, 3, 4, 0 ~~|\n\
         price = FIND MARKET PRICE(demand[d1], demand curve[d1, ptype], capacity[s1], supply curve[s1, ptype]) ~~|\n\
         bought[demander] = DEMAND AT PRICE(demand[demander], demand curve[demander, ptype], price) ~~|\n\
         sold[supplier] = SUPPLY AT PRICE(capacity[supplier], supply curve[supplier, ptype], price) ~~|",
    );
    assert_eq!(text(&model, "y"), "VECTOR_LOOKUP(curve[p1], Time, 0, 10, 0)");
    assert_eq!(
        text(&model, "price"),
        "FIND_MARKET_PRICE(demand[d1], demand_curve[d1, ptype], capacity[s1], supply_curve[s1, ptype])"
    );
    assert_eq!(text(&model, "bought"), "DEMAND_AT_PRICE(demand[demander], demand_curve[demander, ptype], price)");
    assert_eq!(text(&model, "sold"), "SUPPLY_AT_PRICE(capacity[supplier], supply_curve[supplier, ptype], price)");
}

#[test]
fn market_arguments_that_are_not_element_rows_are_located_errors() {
    let body = "demander: d1, d2 ~~|\ndemand[demander] = 5, 3 ~~|\nx = 1 ~~|\n\
                price = FIND MARKET PRICE(demand[d1], x, demand[d1], x) ~~|\n\
                y = VECTOR LOOKUP(x, 1, 0, 1, 0) ~~|";
    let (model, diagnostics) = read(body);
    assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
    let Err(problems) = fulcrum_model::resolve(&model) else { panic!("resolves") };
    let source = format!("{{UTF-8}}\n{body}\n{CONTROL}");
    let located: Vec<(&str, &str)> = problems
        .0
        .iter()
        .map(|d| (d.code.as_str(), d.span.and_then(|s| source.get(s.start()..s.end())).unwrap_or("")))
        .collect();
    assert_eq!(located, [("E0105", "x"), ("E0105", "x")], "{problems:?}");
    assert!(problems.0.iter().all(|d| d.help.is_some()));
}

#[test]
fn ramp_from_to_goes_from_one_value_to_another() {
    let model = clean("a = RAMP FROM TO(2, 10, 1, 5) ~~|\nb = RAMP FROM TO(2, 10, 1, 5, 0) ~~|");
    assert_eq!(text(&model, "a"), "2 + RAMP((10 - 2) / MAX(5 - 1, DT), 1, 5)");
    assert_eq!(
        text(&model, "b"),
        "IF IF 2 > 0 AND 10 > 0 THEN 0 <> 0 ELSE 1 THEN 2 + RAMP((10 - 2) / MAX(5 - 1, DT), 1, 5) \
         ELSE IF TIME <= 1 THEN 2 ELSE IF TIME > 5 THEN 10 ELSE 2 * EXP(LN(10 / 2) / MAX(5 - 1, DT) * (TIME - 1))"
    );
    let (_, diagnostics) = read("a = RAMP FROM TO(2, 10, 1) ~~|");
    assert_eq!(codes(&diagnostics), ["E0104"]);
}

#[test]
fn subscript_ranges_numbered_ranges_subranges_and_copies() {
    let model = clean(
        "Region: north, south, (r1-r3) ~~|\nSouthern: south, r1 ~~|\nPlace <-> Region ~~|\n\
         pop[Region] = 1, 2, 3, 4, 5 ~~|\nsouth pop[Southern] = pop[Southern] * 2 ~~|\ntotal = SUM(pop[Region!]) ~~|\n\
         count = ELMCOUNT(Region) ~~|\nplace pop[Place] = pop[Place] ~~|",
    );
    let dimensions: Vec<(&str, Vec<&str>)> =
        model.dimensions.iter().map(|d| (d.name.as_str(), d.elements.iter().map(String::as_str).collect())).collect();
    assert_eq!(
        dimensions,
        [
            ("Region", vec!["north", "south", "r1", "r2", "r3"]),
            ("Southern", vec!["south", "r1"]),
            ("Place", vec!["north", "south", "r1", "r2", "r3"]),
        ]
    );
    let pop = variable(&model, "pop");
    assert_eq!(pop.dimensions, ["Region"]);
    let values: Vec<(String, Option<f64>)> = pop
        .elements
        .iter()
        .map(|e| (e.subscript.join(","), e.equation.as_ref().and_then(|q| q.literal_value())))
        .collect();
    assert_eq!(values[4], ("r3".to_owned(), Some(5.0)));
    assert_eq!(variable(&model, "south pop").dimensions, ["Southern"]);
    assert_eq!(text(&model, "total"), "SUM(pop[*:Region])");
    assert_eq!(text(&model, "count"), "ELMCOUNT(Region)");
}

#[test]
fn number_lists_and_tabbed_arrays_fill_two_dimensions_row_by_row() {
    let model = clean(
        "A: a1, a2 ~~|\nB: b1, b2, b3 ~~|\nm[A, B] = 1, 2, 3; 4, 5, 6; ~~|\n\
         t[A, B] = TABBED ARRAY(\n  1 2 3\n  4 5 -6) ~~|",
    );
    for name in ["m", "t"] {
        let cells: Vec<(String, Option<f64>)> = variable(&model, name)
            .elements
            .iter()
            .map(|e| (e.subscript.join(","), e.equation.as_ref().and_then(|q| q.literal_value())))
            .collect();
        assert_eq!(cells[1], ("a1,b2".to_owned(), Some(2.0)), "{name}");
        assert_eq!(cells[3], ("a2,b1".to_owned(), Some(4.0)), "{name}");
    }
    let last = variable(&model, "t").elements.last().and_then(|e| e.equation.as_ref()).and_then(|q| q.literal_value());
    assert_eq!(last, Some(-6.0));
}

#[test]
fn numbers_of_a_list_may_have_either_sign() {
    // As SDEverywhere's `arrays` model writes a list, one number a line.
    let model = clean("A: a1, a2, a3 ~~|\nv[A] =\n\t-1 ,\n\t+2 ,\n\t3\n ~~|");
    let values: Vec<Option<f64>> =
        variable(&model, "v").elements.iter().map(|e| e.equation.as_ref().and_then(|q| q.literal_value())).collect();
    assert_eq!(values, [Some(-1.0), Some(2.0), Some(3.0)]);
}

#[test]
fn per_element_definitions_and_except() {
    let model = clean(
        "D: d1, d2, d3 ~~|\nx[D] :EXCEPT: [d2] = 1 ~~|\nx[d2] = 7 ~~|\ny[d1] = 1 ~~|\ny[d2] = 2 ~~|\ny[d3] = d2 ~~|\n\
         z[D] = IF THEN ELSE(D = d2, 1, 0) ~~|",
    );
    let equations = |name: &str| -> Vec<(String, String)> {
        variable(&model, name)
            .elements
            .iter()
            .map(|e| (e.subscript.join(","), e.equation.as_ref().map(|q| q.text.clone()).unwrap_or_default()))
            .collect()
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    };
    assert_eq!(equations("x"), pairs(&[("d1", "1"), ("d3", "1"), ("d2", "7")]));
    // A range used as a value is the element's position; an element named as a value too.
    assert_eq!(equations("y")[2], ("d3".to_owned(), "2".to_owned()));
    assert_eq!(equations("z")[1], ("d2".to_owned(), "IF 2 = 2 THEN 1 ELSE 0".to_owned()));
}

#[test]
fn mapped_ranges_are_matched_by_position() {
    let model = clean(
        "layers: l1, l2, l3 ~~|\nupper: l1, l2 -> lower ~~|\nlower: l2, l3 ~~|\n\
         depth[layers] = 1, 2, 3 ~~|\nbelow[upper] = depth[lower] ~~|",
    );
    let equations: Vec<String> = variable(&model, "below")
        .elements
        .iter()
        .map(|e| e.equation.as_ref().map(|q| q.text.clone()).unwrap_or_default())
        .collect();
    assert_eq!(equations, ["depth[l2]", "depth[l3]"]);
}

#[test]
fn macros_are_expanded_at_each_call() {
    let model = clean(
        ":MACRO: ACCUMULATE(input, start)\nACCUMULATE = INTEG(input, start) ~ ~ |\n:END OF MACRO:\n\
         a = ACCUMULATE(1, 0) + ACCUMULATE(2, 5) ~~|",
    );
    assert_eq!(text(&model, "a"), "\"ACCUMULATE.1.ACCUMULATE\" + \"ACCUMULATE.2.ACCUMULATE\"");
    assert!(matches!(variable(&model, "ACCUMULATE.2.ACCUMULATE").kind, VariableKind::Stock { .. }));
    assert_eq!(text(&model, "ACCUMULATE.2.start"), "5");
}

#[test]
fn a_macros_extra_outputs_go_to_the_variables_named_after_the_colon() {
    let model = clean(
        ":MACRO: SPAN(a, b : low, high)\nSPAN = high - low ~~|\nlow = MIN(a, b) ~~|\nhigh = MAX(a, b) ~~|\n\
         :END OF MACRO:\n\
         x = SPAN(3, 8 : the min, the max) ~~|\ny = the max + the min ~~|\nz = SPAN(1, 2) ~~|",
    );
    assert_eq!(text(&model, "x"), "\"SPAN.1.SPAN\"");
    assert_eq!(text(&model, "the min"), "\"SPAN.1.low\"");
    assert_eq!(text(&model, "the max"), "\"SPAN.1.high\"");
    assert_eq!(text(&model, "SPAN.1.high"), "MAX(\"SPAN.1.a\", \"SPAN.1.b\")");
    // Without `:`, the extra outputs are computed and not used.
    assert_eq!(text(&model, "z"), "\"SPAN.2.SPAN\"");
    // More receivers than outputs, and `:` in a call of something that is not a macro.
    let (_, diagnostics) = read(
        ":MACRO: SPAN(a, b : low)\nSPAN = a - low ~~|\nlow = MIN(a, b) ~~|\n:END OF MACRO:\n\
         x = SPAN(3, 8 : p, q) ~~|\ny = MAX(3, 8 : r) ~~|",
    );
    assert_eq!(codes(&diagnostics), ["E0104", "E0701"], "{diagnostics:?}");
}

#[test]
fn a_macro_that_calls_itself_is_reported() {
    let (_, diagnostics) = read(":MACRO: LOOP(x)\nLOOP = LOOP(x) + 1 ~ ~ |\n:END OF MACRO:\na = LOOP(1) ~~|");
    assert!(codes(&diagnostics).contains(&"E0706"), "{diagnostics:?}");
    // Called twice in its own body, it is still reported at the first repeat, not after 2^32 copies.
    let (_, diagnostics) =
        read(":MACRO: TWICE(x)\nTWICE = TWICE(x) + TWICE(x) ~ ~ |\n:END OF MACRO:\na = TWICE(1) ~~|");
    assert_eq!(codes(&diagnostics), ["E0706", "E0706"], "{diagnostics:?}");
}

/// Macros that each call the next twice, fourteen deep, would make 2^14 copies: past the cap of
/// 10,000, so refused; thirteen deep (8,191 copies) are expanded.
#[test]
fn macro_copies_are_capped_at_ten_thousand() {
    let chain = |depth: usize| {
        let mut text = String::new();
        for level in 0..depth {
            let next =
                if level + 1 == depth { "x".to_owned() } else { format!("M{}(x) + M{}(x)", level + 1, level + 1) };
            text.push_str(&format!(":MACRO: M{level}(x)\nM{level} = {next} ~ ~ |\n:END OF MACRO:\n"));
        }
        text.push_str("a = M0(1) ~~|");
        text
    };
    let (_, diagnostics) = read(&chain(14));
    assert!(codes(&diagnostics).contains(&"E0706"), "{diagnostics:?}");
    let (model, diagnostics) = read(&chain(13));
    assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
    assert_eq!(model.variables.iter().filter(|v| v.name.ends_with(".x")).count(), (1 << 13) - 1);
}

#[test]
fn the_sketch_is_ignored_and_the_settings_line_is_checked() {
    let text = format!(
        "a = 1 ~~|\n{CONTROL}\\\\\\---/// Sketch information\nV300\n*View 1\n10,1,a,1,1\n///---\\\\\\\n:L<%^E!@\n15:0,0,0,0,0,0\n"
    );
    let (model, diagnostics) = crate::read(&text).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
    assert!(model.variable("a").is_some());
    let text = format!("a = 1 ~~|\n{CONTROL}\\\\\\---///\n///---\\\\\\\n15:0,0,0,1,0,0\n");
    let (_, diagnostics) = crate::read(&text).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(codes(&diagnostics), ["E0703"]);
}

#[test]
fn data_variables_without_a_file_are_reported() {
    // No equation and no run-time data file; a GET function read without the model's directory
    // cannot find its file. One problem per variable, however many elements it has.
    let (_, diagnostics) =
        read("y ~~|\nz[D] :INTERPOLATE: ~~|\nD: d1, d2 ~~|\nw := GET DIRECT DATA('a.csv', ',', 'A', 'B2') ~~|");
    assert_eq!(codes(&diagnostics), ["E0708", "E0708", "E0708"], "{diagnostics:#?}");
    // `name := expression` is an equation.
    let model = clean("x := 1 + 2 ~~|");
    assert_eq!(text(&model, "x"), "1 + 2");
}

/// The folder of a test of the conformance suite, or `None` (the test is skipped) when the
/// suite is not beside the repository and CI does not require it.
#[allow(clippy::print_stderr, reason = "a skipped test says so where cargo test shows it")]
fn suite_folder(test: &str) -> Option<std::path::PathBuf> {
    let suite = match std::env::var_os("FULCRUM_CONFORMANCE_DIR") {
        Some(path) => std::path::PathBuf::from(path),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    };
    let folder = suite.join("test-models/tests").join(test);
    if folder.is_dir() {
        return Some(folder);
    }
    assert!(std::env::var_os("CI").is_none(), "{test} needs the conformance suite at {}", suite.display());
    eprintln!("skipped: the conformance suite is not at {}", suite.display());
    None
}

/// Reads `body` (with the time settings) as a model in `folder`, where its data files are.
fn read_in(folder: &std::path::Path, body: &str) -> (Model, Diagnostics) {
    let text = format!("{{UTF-8}}\n{body}\n{CONTROL}");
    match crate::read_with(&text, &crate::Options::in_directory(folder)) {
        Ok(read) => read,
        Err(diagnostics) => panic!("{diagnostics:?}"),
    }
}

fn clean_in(folder: &std::path::Path, body: &str) -> Model {
    let (model, diagnostics) = read_in(folder, body);
    assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
    if let Err(diagnostics) = fulcrum_model::resolve(&model) {
        panic!("does not resolve: {diagnostics:?}");
    }
    model
}

/// Each element's equation text, in order.
fn element_texts(model: &Model, name: &str) -> Vec<String> {
    variable(model, name)
        .elements
        .iter()
        .map(|e| e.equation.as_ref().map(|e| e.text.clone()).unwrap_or_default())
        .collect()
}

/// Each element's table: (kind, x, y).
fn element_tables(model: &Model, name: &str) -> Vec<(GraphKind, Vec<f64>, Vec<f64>)> {
    variable(model, name)
        .elements
        .iter()
        .map(|e| e.graph.as_ref().map(|g| (g.kind, g.x.clone(), g.y.clone())).unwrap_or_default())
        .collect()
}

fn table_of(model: &Model, name: &str) -> (GraphKind, Vec<f64>, Vec<f64>) {
    variable(model, name).graph.as_ref().map(|g| (g.kind, g.x.clone(), g.y.clone())).unwrap_or_default()
}

#[test]
fn time_base_is_a_start_plus_so_much_per_unit_of_time() {
    let model = clean("year = TIME BASE(2000, 0.25) ~~|");
    assert_eq!(text(&model, "year"), "2000 + 0.25 * TIME");
}

#[test]
fn get_constants_read_across_rows_and_down_columns_with_a_star() {
    // inputs.xls, sheet tab1: B2:D2 = 1 2 3; B5:C7 = 0.1 0.2 / 0.9 0.3 / 0.4 0.4; B11 = 5.
    let Some(folder) = suite_folder("get_constants_incomplete_subscript") else { return };
    let model = clean_in(
        &folder,
        "dim: a, b, c ~~|\nsex: female, male ~~|\nfemales: female ~~|\n\
         var[dim, sex] = GET DIRECT CONSTANTS('inputs.xls', 'tab1', 'B5') ~~|\n\
         row[dim] = GET XLS CONSTANTS('inputs.xls', 'tab1', 'B2') ~~|\n\
         column[sex] = GET DIRECT CONSTANTS('inputs.xls', 'tab1', 'B5*') ~~|\n\
         women[dim, female] = GET DIRECT CONSTANTS('inputs.xls', 'tab1', 'B2') ~~|\n\
         scalar = GET DIRECT CONSTANTS('inputs.xls', '*', 'B11') ~~|",
    );
    assert_eq!(element_texts(&model, "var"), ["0.1", "0.2", "0.9", "0.3", "0.4", "0.4"]);
    assert_eq!(element_texts(&model, "row"), ["1", "2", "3"]);
    assert_eq!(element_texts(&model, "column"), ["0.1", "0.9"]);
    assert_eq!(element_texts(&model, "women"), ["1", "2", "3"]);
    assert_eq!(text(&model, "scalar"), "5");
    // A 2-D block with `*`: the first range runs across the columns.
    let model = clean_in(
        &folder,
        "sex: female, male ~~|\ndim: a, b, c ~~|\n\
         turned[sex, dim] = GET DIRECT CONSTANTS('inputs.xls', 'tab1', 'B5*') ~~|",
    );
    assert_eq!(element_texts(&model, "turned"), ["0.1", "0.9", "0.4", "0.2", "0.3", "0.4"]);
}

#[test]
fn defined_names_stand_for_their_cells() {
    // inputs.xlsx: value1 = Global!B5:G5 (11 ... 61), Time1 = Global!B4:G4 (0 ... 5),
    // valuev = Global!C9:C14 (1 ... 6), Timev = Global!B9:B14 (0 ... 5).
    let Some(folder) = suite_folder("get_xls_cellrange") else { return };
    let model = clean_in(
        &folder,
        "dim: A, B, C, D, E, F ~~|\n\
         across[dim] = GET DIRECT CONSTANTS('inputs.xlsx', 'Global', 'value1') ~~|\n\
         down[dim] = GET DIRECT CONSTANTS('inputs.xlsx', 'Global', 'valuev*') ~~|\n\
         table = GET DIRECT LOOKUPS('inputs.xlsx', 'Global', 'Time1', 'value1') ~~|\n\
         vertical := GET DIRECT DATA('inputs.xlsx', 'Global', 'Timev', 'valuev') ~~|\n\
         call = table(Time) ~~|",
    );
    assert_eq!(element_texts(&model, "across"), ["11", "21", "31", "41", "51", "61"]);
    assert_eq!(element_texts(&model, "down"), ["1", "2", "3", "4", "5", "6"]);
    assert_eq!(variable(&model, "table").kind, VariableKind::GraphicalFunction);
    let steps = vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
    assert_eq!(
        table_of(&model, "table"),
        (GraphKind::Continuous, steps.clone(), vec![11.0, 21.0, 31.0, 41.0, 51.0, 61.0])
    );
    assert_eq!(text(&model, "vertical"), "Time");
    assert_eq!(table_of(&model, "vertical"), (GraphKind::Continuous, steps, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
}

#[test]
fn data_keywords_choose_how_values_between_points_are_taken() {
    // input.xlsx, sheet Hoja1: times in row 1 from C1 (3 ... 11); row 6 from C6 is
    // 3, _, 5, 4, 3, 2, 78, _, _ (empty cells are left out).
    let Some(folder) = suite_folder("get_with_missing_values_xlsx") else { return };
    let call = "GET XLS DATA('input.xlsx', 'Hoja1', '1', 'C6')";
    let model = clean_in(
        &folder,
        &format!(
            "plain := {call} ~~|\ninterpolated :INTERPOLATE: := {call} ~~|\nbackward :HOLD BACKWARD: := {call} ~~|\n\
             raw :RAW: := {call} ~~|\nforward :LOOK FORWARD: := {call} ~~|"
        ),
    );
    let (x, y) = (vec![3.0, 5.0, 6.0, 7.0, 8.0, 9.0], vec![3.0, 5.0, 4.0, 3.0, 2.0, 78.0]);
    // Vensim interpolates data read from a file unless a keyword says otherwise.
    assert_eq!(table_of(&model, "plain"), (GraphKind::Continuous, x.clone(), y.clone()));
    assert_eq!(table_of(&model, "interpolated"), (GraphKind::Continuous, x.clone(), y.clone()));
    assert_eq!(table_of(&model, "backward"), (GraphKind::Discrete, x.clone(), y.clone()));
    // Raw data has a value at its points only (within a billionth of the time, for rounding)
    // and Vensim's :NA: between them and after the last.
    let (kind, raw_x, raw_y) = table_of(&model, "raw");
    assert_eq!((kind, raw_x.len(), raw_y.len()), (GraphKind::Discrete, 2 * x.len(), 2 * x.len()));
    for (index, (&time, &value)) in x.iter().zip(&y).enumerate() {
        let (from, to) = (raw_x[2 * index], raw_x[2 * index + 1]);
        assert!(from < time && time - from <= 1e-8 * time, "{from} starts the point at {time}");
        assert!(to > time && to - time <= 1e-8 * time, "{to} ends the point at {time}");
        assert_eq!((raw_y[2 * index], raw_y[2 * index + 1]), (value, crate::parser::NA));
    }
    for name in ["plain", "interpolated", "backward", "raw"] {
        assert_eq!(text(&model, name), "Time");
    }
    // Look forward: the step table of the mirrored series, read at -Time. At time 4 the next
    // point is (5, 5): -4 falls on the step that starts at -5.
    assert_eq!(text(&model, "forward"), "-Time");
    assert_eq!(
        table_of(&model, "forward"),
        (GraphKind::Discrete, vec![-9.0, -8.0, -7.0, -6.0, -5.0, -3.0], vec![78.0, 2.0, 3.0, 4.0, 5.0, 3.0])
    );
    // A missing time (C8 is empty, C10 is text) leaves its point out: times 1, 2, 4, ..., 9.
    let model = clean_in(&folder, "gaps := GET XLS DATA('input.xlsx', 'Hoja1', '10', 'A9') ~~|");
    let (_, x, y) = table_of(&model, "gaps");
    assert_eq!(x, [1.0, 2.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    assert_eq!(y, [10.0, 11.0, 29.0, 10.0, 18.0, 17.0, 61.0, 61.0]);
}

#[test]
fn data_rows_follow_the_elements_and_lookups_are_callable() {
    // input.xls, Sheet1: times in row 4 from C4 (0, 5, ..., 30); rows 5 to 8 are A Row1,
    // A Row2, B Row1, B Row2.
    let Some(folder) = suite_folder("get_lookups_subscripted_args") else { return };
    let model = clean_in(
        &folder,
        "Rows: Row1, Row2 ~~|\nDim: A, B ~~|\n\
         d[A, Rows] := GET XLS DATA('input.xls', 'Sheet1', '4', 'C5') ~~|\n\
         d[B, Rows] := GET XLS DATA('input.xls', 'Sheet1', '4', 'C7') ~~|\n\
         l[Rows](GET XLS LOOKUPS('input.xls', 'Sheet1', '4', 'C5')) ~~|\n\
         y[Rows] = l[Rows](Time) ~~|",
    );
    let times = vec![0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0];
    let tables = element_tables(&model, "d");
    assert_eq!(tables.len(), 4);
    assert_eq!(tables[1], (GraphKind::Continuous, times.clone(), vec![4.0, 5.0, 5.0, 5.0, 5.0, 5.0, 2.0]));
    assert_eq!(tables[2], (GraphKind::Continuous, times.clone(), vec![-1.0, -3.0, -5.0, 10.0, 4.0, 5.0, 5.0]));
    assert_eq!(variable(&model, "l").kind, VariableKind::GraphicalFunction);
    assert_eq!(
        element_tables(&model, "l")[0],
        (GraphKind::Continuous, times, vec![0.0, -2.0, 10.0, 1.0, -5.0, 0.0, 5.0])
    );
}

#[test]
fn subscript_ranges_are_read_from_a_sheet() {
    // input.xls, Sheet1: B4:B6 = 1, 2, 3 and C3:D3 = 1, 2, with prefixes.
    let Some(folder) = suite_folder("get_subscript_3d_arrays_xls") else { return };
    let model = clean_in(
        &folder,
        "Entries: GET DIRECT SUBSCRIPT('input.xls', 'Sheet1', 'B4', 'B6', 'Entry') ~~|\n\
         Depths: GET XLS SUBSCRIPT('input.xls', 'Sheet1', 'C3', 'D3', 'Depth') ~~|\n\
         c[Entries, Depths] = GET DIRECT CONSTANTS('input.xls', 'Sheet1', 'C4') ~~|",
    );
    let elements = |name: &str| model.dimensions.iter().find(|d| d.name == name).map(|d| d.elements.clone());
    assert_eq!(elements("Entries"), Some(strings(&["Entry1", "Entry2", "Entry3"])));
    assert_eq!(elements("Depths"), Some(strings(&["Depth1", "Depth2"])));
    assert_eq!(element_texts(&model, "c"), ["0.01", "0.02", "0.03", "0.04", "0.05", "0.06"]);
    // A range whose file is missing is reported at its call, and not defined with no elements.
    let (model, diagnostics) = read_in(&folder, "Gone: GET DIRECT SUBSCRIPT('gone.xls', 'Sheet1', 'B4', 'B6', '') ~~|");
    assert_eq!(codes(&diagnostics), ["E0708"], "{diagnostics:#?}");
    assert!(model.dimensions.iter().all(|d| d.name != "Gone"));
}

#[test]
fn subscript_ranges_read_to_the_first_empty_cell_down_a_column_or_across_a_row() {
    // A last cell given as a column's letters or a row's number reads on from the first cell to
    // the first empty one, down or across: Vensim's run of SDEverywhere's `directsubs` model
    // reads `'A2', 'A'` and `'a2', '2'` so (its elements B1-B3 and C1-C3 are in its output).
    let scratch = Scratch::new(
        "subscripts-to-blank",
        &[("down.csv", "Crops\nwheat\nrice\nmaize\n\nnote\n"), ("across.csv", "Soils,,,,\nclay,silt,sand,,loam\n")],
    );
    let model = clean_in(
        &scratch.0,
        "Crop: GET DIRECT SUBSCRIPT('down.csv', ',', 'A2', 'A', '') ~~|\n\
         Soil: GET DIRECT SUBSCRIPT('across.csv', ',', 'a2', '2', '') ~~|",
    );
    let elements = |name: &str| model.dimensions.iter().find(|d| d.name == name).map(|d| d.elements.clone());
    assert_eq!(elements("Crop"), Some(strings(&["wheat", "rice", "maize"])));
    assert_eq!(elements("Soil"), Some(strings(&["clay", "silt", "sand"])));
}

/// A scratch folder for one test, removed at the end.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str, files: &[(&str, &str)]) -> Scratch {
        let folder = std::env::temp_dir().join(format!("fulcrum-vensim-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap_or_else(|e| panic!("{e}"));
        for (file, text) in files {
            std::fs::write(folder.join(file), text).unwrap_or_else(|e| panic!("{e}"));
        }
        Scratch(folder)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn text_tables_with_time_down_a_column() {
    let scratch =
        Scratch::new("columns", &[("data.csv", "time,a,b\n0,1,10\n2,3,30\n4,,50\n"), ("data.tab", "x\t7\t8\n")]);
    let model = clean_in(
        &scratch.0,
        "D: d1, d2 ~~|\n\
         series[D] :HOLD BACKWARD: := GET DIRECT DATA('data.csv', ',', 'A', 'B2') ~~|\n\
         pair[D] = GET DIRECT CONSTANTS('data.tab', '\t', 'B1') ~~|",
    );
    assert_eq!(
        element_tables(&model, "series"),
        [
            (GraphKind::Discrete, vec![0.0, 2.0], vec![1.0, 3.0]),
            (GraphKind::Discrete, vec![0.0, 2.0, 4.0], vec![10.0, 30.0, 50.0])
        ]
    );
    assert_eq!(element_texts(&model, "pair"), ["7", "8"]);
}

/// Vensim's CUMULATE: "the first data point, the first data point plus the second, ... the sum
/// of all the data points", at the points' times; CUMULATEF only the last sum.
#[test]
fn cumulate_sums_a_data_variables_points() {
    let scratch = Scratch::new("cumulate", &[("data.csv", "time,a,b\n0,1,10\n2,3,30\n4,,50\n")]);
    let model = clean_in(
        &scratch.0,
        "D: d1, d2 ~~|\n\
         series[D] := GET DIRECT DATA('data.csv', ',', 'A', 'B2') ~~|\n\
         sums[D] := CUMULATE(series[D]) ~~|\n\
         total[D] :HOLD BACKWARD: := CUMULATEF(series[D]) ~~|",
    );
    assert_eq!(
        element_tables(&model, "sums"),
        [
            (GraphKind::Continuous, vec![0.0, 2.0], vec![1.0, 4.0]),
            (GraphKind::Continuous, vec![0.0, 2.0, 4.0], vec![10.0, 40.0, 90.0])
        ]
    );
    assert_eq!(
        element_tables(&model, "total"),
        [(GraphKind::Discrete, vec![2.0], vec![4.0]), (GraphKind::Discrete, vec![4.0], vec![90.0])]
    );
}

#[test]
fn data_variables_without_an_equation_read_the_run_time_data_files() {
    // As Vensim exports a run: names across the first row, or down the first column.
    let scratch = Scratch::new(
        "run-time",
        &[
            ("run.tab", "Time\tlevel\t\"flow[d1]\"\tflow[d2]\n0\t1\t10\t20\n1\t2\t\t21\n2\t4\t12\t22\n"),
            ("turned.csv", "Time,0,5\nlevel,100,200\nextra[D2],7,8\n"),
        ],
    );
    let options = crate::Options::in_directory(&scratch.0).with_data_files(["run.tab".into(), "turned.csv".into()]);
    let text = format!(
        "{{UTF-8}}\nD: d1, d2 ~~|\nlevel ~~|\nflow[D] :HOLD BACKWARD: ~~|\nextra[D] :LOOK FORWARD: ~~|\n{CONTROL}"
    );
    let (model, diagnostics) = crate::read_with(&text, &options).unwrap_or_else(|d| panic!("{d:?}"));
    // The first file with a column gives it; `extra[d1]` is in none.
    assert_eq!(codes(&diagnostics), ["E0708"], "{diagnostics:#?}");
    assert!(diagnostics.0[0].message.contains("`extra[d1]`"), "{diagnostics:?}");
    // Vensim's documentation: a variable with no equation is exogenous in every element, and
    // values "must" be given for all of them; so a missing element is an error at its
    // definition, with a hint, not a value made up (Vensim documents no :NA: for it).
    let span = diagnostics.0[0].span.expect("located");
    assert_eq!(text.get(span.start()..span.end()).map(str::trim), Some("extra"), "{diagnostics:?}");
    assert!(diagnostics.0[0].help.is_some(), "{diagnostics:?}");
    assert_eq!(table_of(&model, "level"), (GraphKind::Continuous, vec![0.0, 1.0, 2.0], vec![1.0, 2.0, 4.0]));
    assert_eq!(
        element_tables(&model, "flow"),
        [
            (GraphKind::Discrete, vec![0.0, 2.0], vec![10.0, 12.0]),
            (GraphKind::Discrete, vec![0.0, 1.0, 2.0], vec![20.0, 21.0, 22.0])
        ]
    );
    assert_eq!(element_tables(&model, "extra")[1], (GraphKind::Discrete, vec![-5.0, 0.0], vec![8.0, 7.0]));
}

#[test]
fn a_missing_file_sheet_or_cell_is_an_error_at_the_call() {
    let scratch = Scratch::new("missing", &[("data.csv", "time,1,2\nx,10,\n")]);
    let body = "a = GET DIRECT CONSTANTS('nowhere.csv', ',', 'B2') ~~|\n\
                b = GET DIRECT CONSTANTS('data.csv', ',', 'C2') ~~|\n\
                c := GET DIRECT DATA('data.csv', ',', '1', 'B9') ~~|\n\
                d = GET DIRECT CONSTANTS('data.csv', ',', 'B2') ~~|";
    let (model, diagnostics) = read_in(&scratch.0, body);
    assert_eq!(codes(&diagnostics), ["E0708", "E0708", "E0708"], "{diagnostics:#?}");
    let call = |name: &str| {
        let start = body.find(&format!("{name} ")).unwrap_or(0);
        body[start..].find("GET").map(|offset| start + offset)
    };
    for (diagnostic, name) in diagnostics.0.iter().zip(["a", "b", "c"]) {
        let span = diagnostic.span.unwrap_or_else(|| panic!("no span: {diagnostic:?}"));
        // The text starts with `{UTF-8}\n`.
        assert_eq!(Some(span.start() - "{UTF-8}\n".len()), call(name), "{diagnostic:?}");
        assert_eq!(diagnostic.variable.as_deref(), Some(name));
        assert!(diagnostic.help.is_some(), "{diagnostic:?}");
    }
    assert!(diagnostics.0[1].message.contains("C2"), "{:?}", diagnostics.0[1]);
    // Cells far past any sheet, and names that are neither cells nor defined, are errors too.
    let (_, diagnostics) = read_in(
        &scratch.0,
        "f[D] = GET DIRECT CONSTANTS('data.csv', ',', 'B18446744073709551615') ~~|\nD: d1, d2 ~~|\n\
         g := GET DIRECT DATA('data.csv', ',', 'ZZZ18446744073709551615', 'XFD18446744073709551615') ~~|\n\
         h = GET DIRECT CONSTANTS('data.csv', ',', 'no such name') ~~|\n\
         i = GET DIRECT CONSTANTS('?inputs', ',', 'B2') ~~|",
    );
    assert_eq!(codes(&diagnostics), ["E0708", "E0708", "E0708", "E0708"], "{diagnostics:#?}");
    // No made-up value: the variables without data have no usable equation.
    assert!(variable(&model, "a").equation.as_ref().is_some_and(|e| e.expr.is_err()));
    assert_eq!(text(&model, "d"), "10");
    // A workbook without the sheet names the sheets it has.
    let Some(folder) = suite_folder("get_constants_subranges") else { return };
    let (_, diagnostics) = read_in(&folder, "e = GET XLS CONSTANTS('inputs.xlsx', 'Sheet9', 'A1') ~~|");
    assert_eq!(codes(&diagnostics), ["E0708"]);
    assert!(diagnostics.0[0].help.as_deref().is_some_and(|h| h.contains("Sheet1")), "{diagnostics:?}");
}

/// A malformed file gets every problem at once, each with a span and a stable code.
#[test]
fn bad_input_is_reported_all_at_once() {
    let body = "a = (1 + 2 ~~|\nb = 1 +* 2 ~~|\nc[Nowhere] = 1 ~~|\nd = a # 2 ~~|\nt((0,1),(1) ~~|\ne = \"open\n ~~|\n";
    // The unclosed quote ends with its line, so the definitions after it are still read.
    let text = format!("{body}FINAL TIME = 10 ~~|\nTIME STEP = 1 ~~|\nf = 1 ~ no bar");
    let diagnostics = match crate::read(&text) {
        Ok((_, diagnostics)) => diagnostics,
        Err(diagnostics) => diagnostics,
    };
    assert_eq!(
        codes(&diagnostics),
        ["E0707", "E0701", "E0701", "E0704", "E0701", "E0701", "E0701", "E0701"],
        "{diagnostics:#?}"
    );
    for diagnostic in &diagnostics.0 {
        let span = diagnostic.span.unwrap_or_else(|| panic!("no span: {diagnostic:?}"));
        assert!(span.end() <= text.len() && span.start() <= span.end());
    }
}

#[test]
fn a_file_with_no_definitions_is_an_error() {
    let diagnostics = crate::read("{UTF-8}\n\\\\\\---///\n").err().map(|d| codes(&d));
    assert_eq!(diagnostics, Some(vec!["E0701"]));
    assert!(crate::read("").is_err());
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep = format!("x = {}1{} ~~|", "(".repeat(5000), ")".repeat(5000));
    let (_, diagnostics) = read(&deep);
    assert_eq!(codes(&diagnostics), ["E0701"]);
    let powers = format!("y = {}2 ~~|", "2^".repeat(5000));
    let (_, diagnostics) = read(&powers);
    assert_eq!(codes(&diagnostics), ["E0701"]);
}

#[test]
fn subscript_indices_keep_their_spans() {
    let body = "D: d1 ~~|\nx[D] = 1 ~~|\ny = SUM(x[D!]) ~~|";
    let (model, _) = read(body);
    let ExprKind::Call { args, .. } = &expr(&model, "y").kind else { panic!("a call") };
    let Some(ExprKind::Subscript { indices, .. }) = args.first().map(|a| &a.kind) else { panic!("subscript") };
    let Some(Index::Wildcard { span, .. }) = indices.first() else { panic!("wildcard") };
    assert!(*span != Span::default());
}

/// Text that looks like a model in places: fragments of real syntax glued at random.
fn mdl_like() -> impl Strategy<Value = String> {
    let fragments = prop::sample::select(vec![
        "x",
        " = ",
        "~",
        "|",
        "\n",
        "(",
        ")",
        "[",
        "]",
        ",",
        ";",
        "{",
        "}",
        "\"",
        "'",
        ":",
        ":MACRO: ",
        ":END OF MACRO:",
        "INTEG(",
        "D: a, b",
        "(a1-a9)",
        " -> ",
        "<->",
        ":EXCEPT:",
        "!",
        "1e5",
        "-",
        "^",
        "WITH LOOKUP(",
        "\\\n",
        "\\\\\\---///",
        "TABBED ARRAY(",
        ":NA:",
        "SMOOTH N(",
        "é",
        "*",
        "***\n.G\n***",
        "ELMCOUNT(",
        "\t",
    ]);
    prop::collection::vec(fragments, 0..60).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// No input makes the reader panic, and every span it reports lies inside the input.
    #[test]
    fn never_panics_and_spans_stay_inside(text in prop_oneof!["\\PC{0,200}", mdl_like()]) {
        let diagnostics = match crate::read(&text) {
            Ok((model, diagnostics)) => {
                let _ = fulcrum_model::resolve(&model);
                diagnostics
            }
            Err(diagnostics) => diagnostics,
        };
        for diagnostic in &diagnostics.0 {
            if let Some(span) = diagnostic.span {
                prop_assert!(span.start <= span.end && span.end() <= text.len(), "{diagnostic:?} in {text:?}");
                prop_assert!(text.is_char_boundary(span.start()) && text.is_char_boundary(span.end()), "{diagnostic:?}");
            }
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = crate::read(&text);
    }
}

#[test]
fn a_mapping_onto_listed_elements_and_subranges() {
    let model = clean(
        "COP: us, eu, china, india ~~|\nrich: us, eu ~~|\n\
         Groups: developed, developing -> (COP: rich, developing part) ~~|\ndeveloping part: china, india ~~|\n\
         share[Groups] = 1, 2 ~~|\nby country[COP] = share[Groups] ~~|",
    );
    let equations: Vec<String> = variable(&model, "by country")
        .elements
        .iter()
        .map(|e| e.equation.as_ref().map(|q| q.text.clone()).unwrap_or_default())
        .collect();
    assert_eq!(equations, ["share[developed]", "share[developed]", "share[developing]", "share[developing]"]);
}

#[test]
fn macros_see_the_models_time_through_dollar_names_and_follow_arrays() {
    let model = clean(
        ":MACRO: SINCE(start)\nSINCE = MAX(0, Time$ - start) + 0 * TIME STEP$ ~ ~ |\n:END OF MACRO:\n\
         D: d1, d2 ~~|\nstart[D] = 1, 2 ~~|\nelapsed[D] = SINCE(start[D]) ~~|",
    );
    let instance = variable(&model, "SINCE.1.SINCE");
    assert_eq!(instance.dimensions, ["D"]);
    assert_eq!(text(&model, "SINCE.1.SINCE"), "MAX(0, Time - \"SINCE.1.start\") + 0 * TIME_STEP");
    assert_eq!(text(&model, "SINCE.1.start"), "start[D]");
}

#[test]
fn sample_if_true_and_active_initial_are_fulcrum_builtins() {
    let model = clean(
        "D: d1, d2 ~~|\nc = 1 ~~|\ns = SAMPLE IF TRUE(c > 0, Time, 5) ~~|\nt[d1] = SAMPLE IF TRUE(c > 0, 1, 2) ~~|\nt[d2] = 0 ~~|",
    );
    assert_eq!(text(&model, "s"), "SAMPLE_IF_TRUE(c > 0, Time, 5)");
    let first = variable(&model, "t").elements.first().and_then(|e| e.equation.as_ref()).map(|e| e.text.clone());
    assert_eq!(first.as_deref(), Some("SAMPLE_IF_TRUE(c > 0, 1, 2)"));
    let model = clean("x = 1 ~~|\ny = 1 + SAMPLE IF TRUE(x > 0, x, 0) ~~|\nz = ACTIVE INITIAL(x * 2, 1) ~~|");
    assert_eq!(text(&model, "y"), "1 + SAMPLE_IF_TRUE(x > 0, x, 0)");
    assert_eq!(text(&model, "z"), "ACTIVE_INITIAL(x * 2, 1)");
}

#[test]
fn vector_select_with_named_and_numbered_actions() {
    let model = clean(
        "D: a, b ~~|\nsel[D] = 1, 0 ~~|\nx[D] = 3, 4 ~~|\n\
         s = VECTOR SELECT(sel[D!], x[D!], -1, VSSUM, VSERRNONE) ~~|\n\
         m = VECTOR SELECT(sel[D!], x[D!], -1, VSMAX, VSERRATLEASTONE) ~~|",
    );
    assert_eq!(
        text(&model, "s"),
        "IF SUM(IF sel[*:D] <> 0 THEN 1 ELSE 0) = 0 THEN -1 ELSE SUM(IF sel[*:D] <> 0 THEN x[*:D] ELSE 0)"
    );
    assert_eq!(
        text(&model, "m"),
        "IF SUM(IF sel[*:D] <> 0 THEN 1 ELSE 0) = 0 THEN -1 ELSE MAX(IF sel[*:D] <> 0 THEN x[*:D] ELSE -INF)"
    );
    // Actions as numbers (or expressions) are the built-in's codes.
    let model = clean("D: a ~~|\nsel[D] = 1 ~~|\ns = VECTOR SELECT(sel[D!], sel[D!], 0, 5, 0) ~~|");
    assert_eq!(text(&model, "s"), "VECTOR_SELECT(sel[*:D], sel[*:D], 0, 5, 0)");
    let (_, diagnostics) = read("D: a ~~|\nsel[D] = 1 ~~|\ns = VECTOR SELECT(sel[D!], sel[D!], 0, VSMEDIAN, 0) ~~|");
    assert_eq!(codes(&diagnostics), ["E0702"]);
}

#[test]
fn lookup_points_out_of_order_are_sorted() {
    let model = clean("t((2,-3),(1,-7),(0,-1)) ~~|\ny = t(Time) ~~|");
    let graph = variable(&model, "t").graph.as_ref().map(|g| (g.x.clone(), g.y.clone()));
    assert_eq!(graph, Some((vec![0.0, 1.0, 2.0], vec![-1.0, -7.0, -3.0])));
}

/// A call that names other subscripts than the left-hand side's reads that element of the table:
/// it becomes `LOOKUP(table[...], x)`, also inside a sum over the table's dimension.
#[test]
fn lookups_called_at_other_subscripts_name_their_element() {
    let model = clean(
        "D: a, b ~~|\nt[a]((0,0),(1,1)) ~~|\nt[b]((0,5),(1,5)) ~~|\n\
         total = SUM(t[D!](1)) ~~|\nat b[D] = t[b](Time) ~~|\nown[D] = t[D](Time) ~~|",
    );
    assert_eq!(text(&model, "total"), "SUM(LOOKUP(t[*:D], 1))");
    assert_eq!(text(&model, "at b"), "LOOKUP(t[b], Time)");
    assert_eq!(text(&model, "own"), "t(Time)");
}

#[test]
fn get_data_functions_read_the_points_of_data_variables() {
    // Times across row 1, values from B2 (one series per row).
    let scratch = Scratch::new("get-data", &[("values.csv", "time,1,2,4,8\nv,10,30,20,60\nw,1,2,3,4\n")]);
    let body = "D: d1, d2 ~~|\n\
                Values := GET DIRECT DATA('values.csv', ',', '1', 'B2') ~~|\n\
                Ahead :LOOK FORWARD: := GET DIRECT DATA('values.csv', ',', '1', 'B2') ~~|\n\
                Arrayed[D] := GET DIRECT DATA('values.csv', ',', '1', 'B2') ~~|\n\
                Backward = -1 ~~|\n\
                last = GET DATA LAST TIME(Values) ~~|\n\
                count = GET DATA TOTAL POINTS(Arrayed[d2]) ~~|\n\
                between = GET DATA BETWEEN TIMES(Values, Time, Backward) ~~|\n\
                ahead at = GET DATA AT TIME(Ahead, 3) ~~|\n\
                each[D] = GET DATA MAX(Arrayed[D], 0, Time) + GET DATA MIN(Arrayed[D], 0, 10) ~~|\n\
                mean = GET DATA MEAN(Values, INITIAL TIME, FINAL TIME) ~~|";
    let model = clean_in(&scratch.0, body);
    assert_eq!(text(&model, "last"), "GET_DATA_LAST_TIME(Values)");
    assert_eq!(text(&model, "between"), "GET_DATA_BETWEEN_TIMES(Values, Time, Backward)");
    let resolved = fulcrum_model::resolve(&model).unwrap_or_else(|d| panic!("{d:?}"));
    let kind = |name: &str| {
        let id = resolved.lookup(name).unwrap_or_else(|| panic!("{name}"));
        format!("{:?}", resolved.variable(id).kind)
    };
    // The points are known before the run: the last time and the count are numbers.
    assert_eq!(kind("last"), "Auxiliary(Const(8.0))");
    assert_eq!(kind("count"), "Auxiliary(Const(4.0))");
    // A `:LOOK FORWARD:` variable's table is mirrored; GET DATA AT TIME reads it as the variable
    // does, at minus the time.
    assert!(kind("ahead at").contains("Unary(Negate, Const(3.0))"), "{}", kind("ahead at"));
    // A data variable computed by its equation has no points to read.
    let (model, _) = read_in(&scratch.0, "x := Time * 2 ~~|\ny = GET DATA LAST TIME(x) ~~|");
    let refused = fulcrum_model::resolve(&model).expect_err("x has no points");
    assert!(refused.0.iter().any(|d| d.message.contains("computed by its equation")), "{refused:?}");
}

/// A model with a settings section that gives these file references (`30:` lines).
fn with_references(body: &str, references: &[&str]) -> String {
    let lines: Vec<String> = references.iter().map(|reference| format!("30:{reference}\n")).collect();
    format!(
        "{{UTF-8}}\n{body}\n{CONTROL}\n\\\\\\---/// Sketch information - do not modify anything except names\n\
         V300  Do not put anything below this section - it will be ignored\n*View 1\n///---\\\\\\\n:L<%^E!@\n\
         1:Current.vdf\n{}15:0,0,0,0,0,0\n",
        lines.concat()
    )
}

#[test]
fn file_references_are_resolved_through_the_models_settings() {
    let scratch = Scratch::new("references", &[("data.csv", "time,1,2\nx,10,20\n")]);
    let options = crate::Options::in_directory(&scratch.0);
    let body = "a = GET DIRECT CONSTANTS('?Inputs', ',', 'B2') ~~|\n\
                b := GET XLS DATA('?inputs', ',', '1', 'B2') ~~|\n\
                c = GET 123 CONSTANTS('data.csv', ',', 'C2') ~~|";
    let text = with_references(body, &["?inputs=data.csv"]);
    let (model, diagnostics) = crate::read_with(&text, &options).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
    assert_eq!(self::text(&model, "a"), "10");
    assert_eq!(table_of(&model, "b"), (GraphKind::Continuous, vec![1.0, 2.0], vec![10.0, 20.0]));
    assert_eq!(self::text(&model, "c"), "20");
    // A reference the settings lack is an error at the call that names the ones they have.
    let text = with_references("d = GET DIRECT CONSTANTS('?other', ',', 'B2') ~~|", &["?inputs=data.csv"]);
    let (_, diagnostics) = crate::read_with(&text, &options).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(codes(&diagnostics), ["E0708"], "{diagnostics:?}");
    let problem = &diagnostics.0[0];
    assert!(problem.message.contains("`?other`"), "{problem:?}");
    assert!(problem.help.as_deref().is_some_and(|h| h.contains("`?inputs` (`data.csv`)")), "{problem:?}");
    assert!(problem.span.is_some_and(|span| text[span.start()..].starts_with("GET DIRECT")), "{problem:?}");
}

#[test]
fn a_get_function_inside_an_expression_is_refused_as_vensim_refuses_it() {
    let scratch = Scratch::new("nested-get", &[("data.csv", "time,1,2\nx,10,20\n")]);
    let (_, diagnostics) = read_in(&scratch.0, "a = 2 * GET DIRECT CONSTANTS('data.csv', ',', 'B2') ~~|");
    assert_eq!(codes(&diagnostics), ["E0701"], "{diagnostics:?}");
    assert!(diagnostics.0[0].message.contains("whole right-hand side"), "{diagnostics:?}");
    assert!(diagnostics.0[0].help.as_deref().is_some_and(|h| h.contains("GET DIRECT CONSTANTS('file'")));
}

/// FINAL TIME, TIME STEP and SAVEPER written as equations that change during the run keep their
/// equations and become the run's computed settings; INITIAL TIME may be an equation whose value
/// at the start is the start.
#[test]
fn time_settings_that_change_during_the_run_are_computed_by_their_variables() {
    let source = "{UTF-8}\nx = TIME ~~|\n\
                FINAL TIME = IF THEN ELSE(x > 5, TIME, 50) ~ Month ~ |\n\
                INITIAL TIME = IF THEN ELSE(Time < 3, 0, 0.2) ~ Month ~ |\n\
                TIME STEP = IF THEN ELSE(Time < 4, 1, 0.5) ~ Month ~ |\n\
                SAVEPER = IF THEN ELSE(Time < 10, TIME STEP, 5) ~ Month ~ |\n";
    let (model, diagnostics) = crate::read(source).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
    let computed = &model.sim.computed;
    assert_eq!(
        (computed.stop.as_deref(), computed.dt.as_deref(), computed.save_step.as_deref()),
        (Some("FINAL TIME"), Some("TIME STEP"), Some("SAVEPER"))
    );
    assert_eq!(model.sim.start, 0.0);
    // Each keeps its own equation (the numbers are rewritten to read the run's settings).
    assert!(text(&model, "FINAL TIME").contains("50"), "{}", text(&model, "FINAL TIME"));
    assert!(text(&model, "INITIAL TIME").contains("0.2"), "{}", text(&model, "INITIAL TIME"));
    fulcrum_model::resolve(&model).unwrap_or_else(|d| panic!("{d:?}"));
    // `SAVEPER = TIME STEP` saves every step, even when the step is computed.
    let every_step = source.replace("IF THEN ELSE(Time < 10, TIME STEP, 5)", "TIME STEP");
    let (model, _) = crate::read(&every_step).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!((model.sim.computed.save_step.as_deref(), model.sim.save_step), (None, None));
}

#[test]
fn an_initial_time_that_is_not_its_own_value_at_the_start_is_reported() {
    let text = "{UTF-8}\nFINAL TIME = 10 ~~|\nINITIAL TIME = Time + 1 ~~|\nTIME STEP = 1 ~~|\n";
    let diagnostics = match crate::read(text) {
        Ok((_, diagnostics)) => diagnostics,
        Err(diagnostics) => diagnostics,
    };
    assert_eq!(codes(&diagnostics), ["E0707"], "{diagnostics:#?}");
    assert!(diagnostics.0[0].message.contains("INITIAL TIME"), "{diagnostics:?}");
}

/// `name :IS: 'text'` is a string constant of the model, kept for changes files to set; a
/// `:IS:` with anything else is skipped, as a reality check is.
#[test]
fn string_constants_are_kept_with_the_model() {
    let model = clean("title :IS: 'base case' ~~|\nother :IS: 3 ~~|\nc = 2 ~~|");
    let strings: Vec<(&str, &str)> = model.strings.iter().map(|s| (s.name.as_str(), s.value.as_str())).collect();
    assert_eq!(strings, [("title", "base case")]);
}

/// The settings lines `22:Rabbit,Bunnies,Hares` (Vensim's units equivalences) make one unit of
/// several names: a model that writes them interchangeably is consistent, and without the
/// line the same model warns. The same holds for `Person,People`, which the unit checker also
/// knows by itself.
#[test]
fn unit_equivalences_of_the_settings_name_one_unit() {
    let body = "Warren = INTEG(Births - Deaths, 10) ~ Rabbit ~|\n\
                Births = Warren * Birth rate ~ Bunnies/Month ~|\n\
                Deaths = Warren / Lifetime ~ Hares/Month ~|\n\
                Birth rate = 0.1 ~ 1/Month ~|\n\
                Lifetime = 20 ~ Month ~|\n\
                Keepers = 2 ~ People ~|\n\
                Rabbits per keeper = Warren / Keepers ~ Rabbit/Person ~|\n";
    let sketch = "\\\\\\---/// Sketch information\nV300\n*View 1\n///---\\\\\\\n:L<%^E!@\n";
    let settings = "22:Rabbit,Bunnies,Hares\r\n22:Person,People,Persons\n15:0,0,0,0,0,0\n";
    let with = format!("{{UTF-8}}\n{body}\n{CONTROL}{sketch}{settings}");
    let (model, diagnostics) = crate::read(&with).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
    let names: Vec<(&str, Vec<&str>)> = model
        .unit_definitions
        .iter()
        .map(|unit| (unit.name.as_str(), unit.aliases.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(names, [("Rabbit", vec!["Bunnies", "Hares"]), ("Person", vec!["People", "Persons"])]);
    let span = model.unit_definitions[0].span.expect("the line");
    assert_eq!(&with[span.start()..span.end()], "22:Rabbit,Bunnies,Hares");
    let warnings = fulcrum_model::units::check(&model);
    assert!(warnings.0.is_empty(), "{warnings:#?}");

    let without = format!("{{UTF-8}}\n{body}\n{CONTROL}{sketch}15:0,0,0,0,0,0\n");
    let (model, _) = crate::read(&without).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(model.unit_definitions.is_empty());
    let warnings = fulcrum_model::units::check(&model);
    assert!(!warnings.0.is_empty(), "Bunnies and Hares are not Rabbits without the settings");
    assert!(warnings.0.iter().all(|warning| warning.code == fulcrum_model::Code::UnitMismatch), "{warnings:#?}");
}
