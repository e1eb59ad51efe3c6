//! Constants that change part-way through a run (interventions with a start time).

use fulcrum_model::builder::ModelBuilder;
use fulcrum_sim::{CompileOptions, Point, SimError, compile_with};

use super::series;

fn model() -> fulcrum_model::Model {
    ModelBuilder::new(0.0, 10.0, 0.5)
        .stock("Total", "Rate * 10", &["Inflow"], &[])
        .flow("Inflow", "Doubled")
        .aux("Doubled", "Rate * 2")
        .aux("Initial Rate", "INIT(Rate)")
        .constant("Rate", 1.0)
        .build()
}

fn compiled(changing: bool) -> fulcrum_sim::CompiledModel {
    let resolved = fulcrum_model::resolve(&model()).expect("valid");
    let rate = resolved.lookup("Rate").expect("Rate");
    let options = CompileOptions { changing_constants: if changing { vec![rate] } else { vec![] }, needed: None };
    compile_with(&resolved, &options).expect("compiles")
}

#[test]
fn a_change_applies_from_its_step_and_reaches_what_reads_the_constant() {
    let model = compiled(true);
    let mut run = model.new_run();
    run.set_from("Rate", 4.0, 3.0).expect("changing");
    let results = run.run().expect("runs");
    let times = results.times().to_vec();
    let doubled = series(&results, "Doubled");
    for (time, value) in times.iter().zip(&doubled) {
        assert_eq!(*value, if *time < 4.0 { 2.0 } else { 6.0 }, "at {time}");
    }
    // The stock started from the old value and INIT still sees it.
    assert_eq!(series(&results, "Total")[0], 10.0);
    assert!(series(&results, "Initial Rate").iter().all(|v| *v == 1.0));
    // 8 steps of 0.5 at 2 per time unit, then 12 steps at 6.
    assert_eq!(*series(&results, "Total").last().expect("values"), 10.0 + 8.0 + 36.0);
}

#[test]
fn a_change_at_the_start_is_an_ordinary_setting() {
    for changing in [false, true] {
        let model = compiled(changing);
        let mut run = model.new_run();
        run.set_from("Rate", -5.0, 3.0).expect("from the start any constant may change");
        let results = run.run().expect("runs");
        assert_eq!(series(&results, "Total")[0], 30.0);
        assert_eq!(series(&results, "Initial Rate")[0], 3.0);
    }
}

#[test]
fn only_changing_constants_may_change_part_way() {
    let model = compiled(false);
    let mut run = model.new_run();
    assert_eq!(run.set_from("Rate", 4.0, 3.0), Err(SimError::NotChanging("Rate".to_owned())));
}

#[test]
fn the_change_lands_on_the_step_nearest_its_time() {
    // 0.1 steps do not add up exactly; the change at 0.3 still lands on the step at 0.3.
    let model = ModelBuilder::new(0.0, 1.0, 0.1).aux("Seen", "Level").constant("Level", 0.0).build();
    let resolved = fulcrum_model::resolve(&model).expect("valid");
    let level = resolved.lookup("Level").expect("Level");
    let compiled =
        compile_with(&resolved, &CompileOptions { changing_constants: vec![level], needed: None }).expect("compiles");
    let mut batch = compiled.batch::<2>();
    batch.set_from(0, 0.3, [1.0, 2.0]).expect("changing");
    let seen = compiled.lookup("Seen").expect("Seen");
    let mut first_change = [None; 2];
    let mut observe = |point: &Point<'_, 2>| {
        for (value, first) in point.get(seen).iter().zip(first_change.iter_mut()) {
            if *value != 0.0 && first.is_none() {
                *first = Some(point.step);
            }
        }
    };
    batch.run(&mut observe);
    assert_eq!(first_change, [Some(3), Some(3)]);
}
