use super::*;
use crate::builder::ModelBuilder;
use crate::model::Method;

fn codes(model: &Model) -> Vec<&'static str> {
    match resolve(model) {
        Ok(resolved) => resolved.warnings.0.iter().map(|d| d.code.as_str()).collect(),
        Err(diagnostics) => diagnostics.0.iter().map(|d| d.code.as_str()).collect(),
    }
}

fn messages(model: &Model) -> Vec<String> {
    match resolve(model) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics.0.iter().map(|d| d.message.clone()).collect(),
    }
}

fn names(resolved: &ResolvedModel, ids: &[VarId]) -> Vec<String> {
    ids.iter().map(|id| resolved.variable(*id).name.clone()).collect()
}

#[test]
fn orders_follow_dependencies_then_ids() {
    let model = ModelBuilder::new(0.0, 10.0, 1.0)
        .aux("c", "b + a")
        .aux("b", "a * 2")
        .aux("a", "S / 2")
        .stock("S", "5", &["f"], &[])
        .flow("f", "c")
        .build();
    let resolved = resolve(&model).expect("valid");
    assert_eq!(names(&resolved, &resolved.step_order), ["a", "b", "c", "f"]);
    assert_eq!(names(&resolved, &resolved.initial_order), ["S", "a", "b", "c", "f"]);
}

#[test]
fn stock_initial_values_can_read_auxiliaries_that_read_other_stocks() {
    let model = ModelBuilder::new(0.0, 10.0, 1.0)
        .stock("A", "10", &[], &[])
        .aux("Twice A", "A * 2")
        .stock("B", "Twice_A + 1", &[], &[])
        .build();
    let resolved = resolve(&model).expect("valid");
    assert_eq!(names(&resolved, &resolved.initial_order), ["A", "Twice A", "B"]);
}

#[test]
fn algebraic_loops_name_every_variable() {
    let model =
        ModelBuilder::new(0.0, 10.0, 1.0).aux("a", "b + 1").aux("b", "c * 2").aux("c", "a").aux("d", "d").build();
    assert_eq!(codes(&model), ["E0201", "E0201"]);
    assert_eq!(messages(&model), ["algebraic loop: `a` → `c` → `b` → `a`", "algebraic loop: `d` → `d`"]);
}

#[test]
fn loops_through_stocks_smooths_and_delays_are_fine() {
    let model = ModelBuilder::new(0.0, 10.0, 1.0)
        .stock("S", "1", &["f"], &[])
        .flow("f", "g * S")
        .aux("g", "SMTH1(f, 3, 0) + DELAY(f, 2, 0) + PREVIOUS(SELF, 0) + DELAY3(g, 4, 1)")
        .build();
    assert_eq!(codes(&model), Vec::<&str>::new());
}

#[test]
fn a_smooth_starts_at_its_input_so_a_loop_through_it_needs_an_initial_value() {
    let model = ModelBuilder::new(0.0, 10.0, 1.0).aux("g", "SMTH1(g + 1, 3)").build();
    assert_eq!(messages(&model), ["initial values depend on each other: `g` → `g`"]);
    let model = ModelBuilder::new(0.0, 10.0, 1.0).aux("g", "SMTH1(g + 1, 3, 0)").build();
    assert_eq!(messages(&model), Vec::<String>::new());
}

#[test]
fn trend_reads_its_input_now_so_a_loop_through_it_is_algebraic() {
    let model = ModelBuilder::new(0.0, 10.0, 1.0).aux("x", "TREND(x, 3)").build();
    assert_eq!(messages(&model), ["algebraic loop: `x` → `x`"]);
}

#[test]
fn initial_value_loops_are_reported() {
    let model = ModelBuilder::new(0.0, 10.0, 1.0)
        .stock("A", "B", &[], &[])
        .stock("B", "A", &[], &[])
        .stock("C", "C", &[], &[])
        .build();
    assert_eq!(codes(&model), ["E0202", "E0202"]);
    assert_eq!(
        messages(&model),
        ["initial values depend on each other: `A` → `B` → `A`", "initial values depend on each other: `C` → `C`"]
    );
}

#[test]
fn names_arity_and_functions_are_checked_together() {
    let model = ModelBuilder::new(0.0, 10.0, 1.0)
        .constant("Hiring Rate", 2.0)
        .aux("a", "hireing_rate + MAX(1) + SMOTH1(a, 2) + TIME(1)") // MAX of one value is fine
        .aux("b", "Hiring_Rate(3) + LOOKUP(a, 1) + DELAYN(a, 2, 2.5)")
        .stock("S", "1", &["a", "nope"], &[])
        .build();
    assert_eq!(codes(&model), ["E0102", "E0103", "E0104", "E0105", "E0105", "E0105", "E0204", "E0102"]);
}

#[test]
fn missing_equations_and_bad_specs_are_reported() {
    let mut model = ModelBuilder::new(10.0, 5.0, 0.0).stock("S", "1", &[], &[]).aux("a", "1").build();
    model.variables[0].equation = None;
    model.variables[1].equation = None;
    // A bad dt does not hide the stop before the start.
    assert_eq!(codes(&model), ["E0301", "E0302", "E0203", "E0206"]);

    let model = ModelBuilder::new(10.0, 5.0, 1.0).build();
    assert_eq!(codes(&model), ["E0302"]);
    let model = ModelBuilder::new(0.0, 5.0, 0.25).save_step(0.3).build();
    assert_eq!(codes(&model), ["E0304"]);
    let model = ModelBuilder::new(0.0, 5.0, 0.25).save_step(1.0).build();
    assert_eq!(codes(&model), Vec::<&str>::new());
}

#[test]
fn duplicate_and_reserved_names_are_reported() {
    let model = ModelBuilder::new(0.0, 5.0, 1.0).constant("Staff", 1.0).aux("STAFF", "2").aux("Time", "3").build();
    assert_eq!(codes(&model), ["E0005", "E0006"]);
}

#[test]
fn constants_are_literal_auxiliaries_and_ranges_warn() {
    let mut model = ModelBuilder::new(0.0, 5.0, 1.0).aux("a", "-3").aux("b", "2 * 3").build();
    model.variables[0].range = Some((0.0, 1.0));
    let resolved = resolve(&model).expect("warnings only");
    assert_eq!(resolved.variables[0].kind, ResolvedKind::Constant(-3.0));
    assert!(matches!(resolved.variables[1].kind, ResolvedKind::Auxiliary(_)));
    assert_eq!(resolved.warnings.0.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(), ["W0001"]);
}

#[test]
fn stateful_builtins_become_hidden_stocks() {
    let model = ModelBuilder::new(0.0, 5.0, 1.0)
        .method(Method::Rk4)
        .constant("x", 1.0)
        .aux("s", "SMTH3(x, 6)")
        .aux("d", "DELAYN(x, 6, 4)")
        .aux("t", "FORCST(x * 2, 3, 5)")
        .build();
    let resolved = resolve(&model).expect("valid");
    let hidden_stocks: Vec<String> = resolved
        .stocks()
        .filter(|id| !resolved.variable(*id).is_user())
        .map(|id| resolved.variable(id).name.clone())
        .collect();
    assert_eq!(
        hidden_stocks,
        [
            "s [SMTH3 stage 1]",
            "s [SMTH3 stage 2]",
            "s [SMTH3 stage 3]",
            "d [DELAYN stage 1]",
            "d [DELAYN stage 2]",
            "d [DELAYN stage 3]",
            "d [DELAYN stage 4]",
            "t [FORCST average]"
        ]
    );
}

#[test]
fn non_negative_stocks_order_inflows_before_outflows_when_they_can() {
    let model = ModelBuilder::new(0.0, 5.0, 1.0)
        .non_negative_stock("A", "1", &["back"], &["out2", "out1"])
        .non_negative_stock("B", "1", &["out2"], &["back"])
        .flow("out1", "1")
        .flow("out2", "1")
        .flow("back", "1")
        .build();
    let resolved = resolve(&model).expect("valid");
    // `back` before A's outflows; A's outflows in priority order; B's inflow `out2` can then not
    // also precede `back` (that would be a cycle), so that preference is dropped.
    assert_eq!(names(&resolved, &resolved.step_order), ["back", "out2", "out1"]);
}

#[test]
fn feedback_loops_are_found_through_stocks_and_smooths() {
    let model = ModelBuilder::new(0.0, 5.0, 1.0)
        .stock("Staff", "10", &["Hiring"], &["Quits"])
        .flow("Hiring", "Gap / 3")
        .aux("Gap", "Target - Staff")
        .constant("Target", 12.0)
        .flow("Quits", "Staff * Pressure")
        .aux("Pressure", "SMTH1(Gap, 4)")
        .build();
    let resolved = resolve(&model).expect("valid");
    let found = feedback_loops(&resolved, 100);
    assert!(found.complete);
    let listed: Vec<(&[String], LoopPolarity)> =
        found.loops.iter().map(|feedback| (feedback.variables.as_slice(), feedback.polarity)).collect();
    let named = |names: &[&str]| names.iter().map(|name| (*name).to_owned()).collect::<Vec<String>>();
    let (quits, hiring, pressure) =
        (named(&["Staff", "Quits"]), named(&["Staff", "Gap", "Hiring"]), named(&["Staff", "Gap", "Pressure", "Quits"]));
    // Staff → Quits drains Staff: balancing. Staff lowers the gap, which drives hiring: balancing.
    // Staff lowers the gap, the smoothed gap is the pressure, which drives quits, which lower
    // Staff: two negative links, reinforcing (fewer staff, less pressure, fewer quits).
    assert_eq!(
        listed,
        [
            (quits.as_slice(), LoopPolarity::Balancing),
            (hiring.as_slice(), LoopPolarity::Balancing),
            (pressure.as_slice(), LoopPolarity::Reinforcing)
        ]
    );
}

#[test]
fn a_computed_time_setting_must_name_a_scalar_variable() {
    let mut model = ModelBuilder::new(0.0, 10.0, 1.0)
        .dimension("Region", &["North", "South"])
        .aux("steps", "1")
        .over(&["Region"])
        .build();
    model.sim.computed.stop = Some("finish".to_owned());
    model.sim.computed.dt = Some("steps".to_owned());
    assert_eq!(codes(&model), ["E0102", "E0102"]);
    let messages = messages(&model);
    assert!(
        messages.iter().any(|m| m.contains("`finish`, which should compute stop, is not a variable")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.contains("`steps`, which computes dt, is an array")), "{messages:?}");
}

#[test]
fn a_computed_time_step_is_refused_beside_what_counts_time_in_fixed_steps() {
    // A pipeline delay holds one value per step of one length; HISTORY keeps one per step.
    let mut model = ModelBuilder::new(0.0, 10.0, 1.0)
        .aux("step", "IF TIME < 5 THEN 1 ELSE 0.5")
        .aux("late", "DELAY(TIME, 2)")
        .build();
    model.sim.computed.dt = Some("step".to_owned());
    assert_eq!(codes(&model), ["E0501"]);
    assert!(messages(&model)[0].contains("dt is computed during the run by `step`"), "{:?}", messages(&model));
    // Without the delay, the same model resolves; a stop time or a dt that is a computed
    // variable skips the checks of numbers it does not use.
    let mut model = ModelBuilder::new(0.0, -1.0, 0.0).aux("step", "IF TIME < 5 THEN 1 ELSE 0.5").build();
    model.sim.computed.dt = Some("step".to_owned());
    model.sim.computed.stop = Some("step".to_owned());
    assert_eq!(codes(&model), Vec::<&str>::new());
}

#[test]
fn a_conveyor_option_that_does_not_parse_is_a_syntax_error() {
    let belt = |transit: &str, leak: &str| {
        ModelBuilder::new(0.0, 4.0, 1.0)
            .stock("Belt", "0", &["in"], &["out", "lost"])
            .conveyor(transit)
            .flow("in", "1")
            .conveyor_outflow("out")
            .leak("lost", leak, 0.0, 1.0)
            .build()
    };
    assert_eq!(codes(&belt("2", "0.1")), Vec::<&str>::new());
    assert_eq!(codes(&belt("side time", "0.1")), ["E0101"]);
    assert_eq!(codes(&belt("2", "0.1 +")), ["E0101"]);
}

#[test]
fn a_spread_inflow_onto_a_belt_of_variable_speed_is_refused() {
    let belt = |variable_speed: bool| {
        ModelBuilder::new(0.0, 4.0, 1.0)
            .stock("Belt", "0", &["in"], &["out"])
            .conveyor("2")
            .conveyor_options(|conveyor| conveyor.variable_speed = variable_speed)
            .flow("in", "1")
            .spread(crate::model::Spread::Even)
            .conveyor_outflow("out")
            .build()
    };
    assert_eq!(codes(&belt(false)), Vec::<&str>::new());
    assert_eq!(codes(&belt(true)), ["E0501"]);
}
