//! Leaving out what is not needed (`CompiledModel::keeping`, `CompileOptions::needed`): the
//! variables kept get the same bits as in the whole model, and what they do not depend on is
//! not computed at all.

use fulcrum_model::builder::ModelBuilder;
use fulcrum_model::{GraphKind, Method, Precision, Spread};
use fulcrum_sim::{CompileOptions, CompiledModel, Point, SimError, VarId, compile_with};

use crate::{compiled, equation};

/// Delays, smooths, a sample-and-hold, non-negative stocks sharing flows, randomness, a lookup,
/// and with Euler's method (the only one they take) conveyors with leaks and spread inflows and
/// two queues; each part reads others.
fn busy_model(method: Method, precision: Precision) -> fulcrum_model::Model {
    let model = ModelBuilder::new(0.0, 12.0, 0.25)
        .method(method)
        .precision(precision)
        .non_negative_stock("Stock", "initial_level", &["inflow"], &["outflow", "spill"])
        .non_negative_stock("Other", "50", &["outflow"], &["drain"])
        .flow("inflow", "rate * (1 + STEP(0.5, 5)) + NORMAL(0, noise)")
        .uniflow("outflow", "Stock / residence * effect(SMTH1(Stock, 3) / 100)")
        .flow("spill", "Stock * 0.01")
        // Drains faster than it fills, without reading the stock: the limit binds.
        .flow("drain", "20 * (1 + SIN(TIME))")
        .aux("delayed", "DELAY(outflow, 2)")
        .aux("ratio", "SAFEDIV(delayed, Stock)")
        .aux("held", "SAMPLE_IF_TRUE(inflow > rate, Stock, initial_level)")
        .aux("previous", "PREVIOUS(held, 0) + INIT(ratio)")
        .aux("present value", "NPV(outflow, 0.05, 0, 1)")
        .aux("noisy", "UNIFORM(0, 1) * drain")
        .constant("initial_level", 100.0)
        .constant("rate", 10.0)
        .constant("residence", 8.0)
        .constant("noise", 1.0)
        .graph("effect", GraphKind::Continuous, &[0.0, 1.0, 2.0], &[0.5, 1.0, 2.5]);
    if method != Method::Euler {
        return model.build();
    }
    model
        .stock("Belt", "0", &["loading"], &["unloading", "leaking"])
        .conveyor("2")
        .flow("loading", "spill * 10")
        .spread(Spread::Even)
        .conveyor_outflow("unloading")
        .leak("leaking", "0.1", 0.0, 1.0)
        .stock("Line", "5", &["arriving"], &["served"])
        .queue()
        .flow("arriving", "unloading")
        .flow("served", "MIN(Line, 2)")
        .aux("served share", "served / (arriving + 1)")
        // A second queue, after the first and apart from it, whose batches board a belt and
        // overflow onto another: kept alone, it is the only queue left.
        .stock("Hall", "0", &["entering"], &["boarding", "side boarding"])
        .queue()
        .flow("entering", "IF TIME < 1 THEN 12 ELSE 3")
        .conveyor_outflow("boarding")
        .overflow("side boarding")
        .stock("Ride", "0", &["boarding"], &["alighting", "jumping"])
        .conveyor("2")
        .conveyor_options(inflow_limit("4"))
        .conveyor_outflow("alighting")
        // Placed by source on a later belt: kept alone, the belts before it are left out.
        .leak("jumping", "0.2", 0.0, 0.5)
        .spread(Spread::Source)
        .stock("Side ride", "0", &["side boarding"], &["side alighting"])
        .conveyor("1")
        .conveyor_options(inflow_limit("1"))
        .conveyor_outflow("side alighting")
        .stock("Jumped", "0", &["jumping"], &["landing"])
        .conveyor("1.5")
        .conveyor_outflow("landing")
        .build()
}

fn inflow_limit(limit: &'static str) -> impl Fn(&mut fulcrum_model::Conveyor) {
    move |conveyor| {
        conveyor.inflow_limit = Some(equation(limit));
    }
}

/// Every saved value of `variables` in each of four lanes with their own constants and streams.
fn saved_bits(model: &CompiledModel, variables: &[VarId]) -> Vec<u64> {
    let mut batch = model.batch::<4>();
    for lane in 0..4 {
        batch.set(lane, 0, 80.0 + 10.0 * lane as f64);
        batch.set(lane, 1, 5.0 + lane as f64);
    }
    batch.set_runs(7, [3, 1, 4, 1]);
    let mut bits = Vec::new();
    batch.run(&mut |point: &Point<'_, 4>| {
        for &variable in variables {
            bits.extend(point.get(variable).iter().map(|value| value.to_bits()));
        }
    });
    bits
}

#[test]
fn each_variable_computed_alone_gets_the_bits_of_the_whole_model() {
    for method in [Method::Euler, Method::Rk4] {
        for precision in [Precision::Double, Precision::Single] {
            let whole = compiled(&busy_model(method, precision));
            let (_, all) = whole.instruction_counts();
            for variable in whole.output_variables() {
                let alone = whole.keeping(&[variable]);
                let name = whole.name(variable);
                assert_eq!(saved_bits(&alone, &[variable]), saved_bits(&whole, &[variable]), "{name} ({method:?})");
                let (_, kept) = alone.instruction_counts();
                assert!(kept <= all, "{name}: {kept} of {all}");
            }
        }
    }
}

#[test]
fn a_part_that_fails_is_not_computed_when_nothing_needed_reads_it() {
    let sound = ModelBuilder::new(0.0, 10.0, 1.0)
        .stock("Savings", "100", &["Interest"], &[])
        .flow("Interest", "Savings * Rate")
        .constant("Rate", 0.1);
    let broken = sound.clone().aux("Broken", "1 / (TIME - 5)").aux("Worse", "Broken * 2").build();
    let resolved = fulcrum_model::resolve(&broken).expect("valid");
    let whole = fulcrum_sim::compile(&resolved).expect("compiles");
    let failure = whole.new_run().run().expect_err("the whole model divides by zero at 5");
    assert!(matches!(failure, SimError::NonFinite(_)), "{failure:?}");
    let savings = resolved.lookup("Savings").expect("a stock");
    let options = CompileOptions { needed: Some(vec![savings]), ..CompileOptions::default() };
    let pruned = compile_with(&resolved, &options).expect("compiles");
    let results = pruned.new_run().run_keeping(&[savings]).expect("nothing that is computed fails");
    let expected = crate::run(&sound.build());
    let bits = |values: &[f64]| values.iter().map(|v| v.to_bits()).collect::<Vec<u64>>();
    assert_eq!(bits(results.series("Savings").expect("kept")), bits(expected.series("Savings").expect("a stock")));
}

#[test]
fn keeping_one_of_two_separate_halves_runs_the_instructions_of_that_half_alone() {
    let half = |builder: ModelBuilder, prefix: &str| {
        builder
            .non_negative_stock(
                &format!("{prefix} stock"),
                "10",
                &[&format!("{prefix} in")],
                &[&format!("{prefix} out")],
            )
            .flow(&format!("{prefix} in"), &format!("SMTH1({prefix}_stock, 2) * 0.1 + SIN(TIME)"))
            .flow(&format!("{prefix} out"), &format!("{prefix}_stock / 3 * {prefix}_scale"))
            .aux(&format!("{prefix} scale"), "1 + TIME / 10")
    };
    let both = half(half(ModelBuilder::new(0.0, 10.0, 0.5), "a"), "b").build();
    let only_a = half(ModelBuilder::new(0.0, 10.0, 0.5), "a").build();
    let whole = compiled(&both);
    let a_stock = whole.lookup("a stock").expect("a stock");
    let kept = whole.keeping(&[a_stock]).instruction_counts();
    assert_eq!(kept, compiled(&only_a).instruction_counts());
    assert!(kept.1 < whole.instruction_counts().1);
}
