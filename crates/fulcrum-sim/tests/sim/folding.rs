//! What cannot change during a run is computed once, in the initial program: whole variables
//! (static ones) and, inside equations that do change, the subexpressions that read only
//! constants. Compiling every constant as one that may change part-way folds nothing, which
//! gives the programs to compare with.

use fulcrum_model::builder::ModelBuilder;
use fulcrum_model::{Method, Precision};
use fulcrum_sim::{CompileOptions, CompiledModel, Point, compile, compile_with};

/// The model compiled as usual, and with nothing folded.
fn folded_and_not(model: &fulcrum_model::Model) -> (CompiledModel, CompiledModel) {
    let resolved = fulcrum_model::resolve(model).expect("valid");
    let options = CompileOptions { changing_constants: resolved.constants().collect(), needed: None };
    (compile(&resolved).expect("compiles"), compile_with(&resolved, &options).expect("compiles"))
}

/// Every saved value of every variable, in four lanes with their own first constant.
fn saved_bits(model: &CompiledModel) -> Vec<u64> {
    let variables = model.output_variables();
    let mut batch = model.batch::<4>();
    for lane in 0..4 {
        batch.set(lane, 0, 0.3 + 0.1 * lane as f64);
    }
    let mut bits = Vec::new();
    batch.run(&mut |point: &Point<'_, 4>| {
        for &variable in &variables {
            bits.extend(point.get(variable).iter().map(|value| value.to_bits()));
        }
    });
    bits
}

fn model(method: Method, precision: Precision) -> fulcrum_model::Model {
    ModelBuilder::new(0.0, 5.0, 0.25)
        .method(method)
        .precision(precision)
        .constant("a", 0.3)
        .constant("b", 0.7)
        .constant("c", 3.0)
        .stock("Level", "1", &["growth"], &[])
        // `a * b` and `LN(c) / a` are computed once; `* Level` and the sum at every step.
        .flow("growth", "a * b * Level + LN(c) / a")
        // A lookup of a constant, and a condition on constants, inside a changing equation.
        .aux("shaped", "effect(b * 2) * Level + IF a > b THEN 1 ELSE Level")
        .graph("effect", fulcrum_model::GraphKind::Continuous, &[0.0, 1.0, 2.0], &[0.5, 1.0, 2.5])
        .build()
}

#[test]
fn constant_subexpressions_are_computed_once_with_the_same_bits() {
    for method in [Method::Euler, Method::Rk4] {
        for precision in [Precision::Double, Precision::Single] {
            let (folded, unfolded) = folded_and_not(&model(method, precision));
            assert_eq!(saved_bits(&folded), saved_bits(&unfolded), "{method:?} {precision:?}");
            let (per_step, unfolded_per_step) = (folded.instruction_counts().1, unfolded.instruction_counts().1);
            // growth: `a * b`, `LN(c)`, `/ a` leave; shaped: `b * 2`, the lookup, `a > b`.
            // In single precision each computed value is rounded, and constants that may change
            // part-way are rounded at the start of every evaluation.
            let extra = match precision {
                Precision::Double => 6,
                Precision::Single => 6 * 2 + 3,
            };
            assert_eq!(per_step + extra, unfolded_per_step, "{method:?} {precision:?}");
        }
    }
}

#[test]
fn a_chain_is_folded_only_from_its_start() {
    // `Level * a * b` is `(Level * a) * b`: folding `a * b` would change the rounding.
    let model = ModelBuilder::new(0.0, 3.0, 1.0)
        .constant("a", 0.1)
        .constant("b", 0.7)
        .stock("Level", "1", &["growth"], &[])
        .flow("growth", "Level * a * b")
        .build();
    let (folded, unfolded) = folded_and_not(&model);
    assert_eq!(folded.instruction_counts().1, unfolded.instruction_counts().1);
    assert_eq!(saved_bits(&folded), saved_bits(&unfolded));
}
