//! What Stella writes, in hand-written XMILE: names as Stella spells and shows them, vendor
//! elements that say where Stella writes files, per-element graphical functions, and conveyors
//! inside macros. Each runs a few steps against hand-computed values.

/// A Stella-like file with these top-level extras and root variables, run from 0 to 3 with dt 1.
fn stella(extras: &str, variables: &str, rest: &str) -> String {
    format!(
        "<xmile version=\"1.0\" xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\" \
         xmlns:isee=\"http://iseesystems.com/XMILE\">\
         <header><vendor>isee systems, inc.</vendor><product version=\"3.0\">Stella Architect</product></header>\
         <sim_specs method=\"Euler\" time_units=\"Months\"><start>0</start><stop>3</stop><dt>1</dt></sim_specs>\
         {extras}<model><variables>{variables}</variables></model>{rest}</xmile>"
    )
}

/// Reads (with no diagnostic at all), resolves and runs a file.
fn run(text: &str) -> fulcrum_sim::Results {
    let (model, diagnostics) = fulcrum_xmile::read(text).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
    let resolved = fulcrum_model::resolve(&model).unwrap_or_else(|d| panic!("{d:?}"));
    fulcrum_sim::compile(&resolved).expect("compiles").new_run().run().expect("runs")
}

fn series(results: &fulcrum_sim::Results, name: &str) -> Vec<f64> {
    results.series(name).unwrap_or_else(|| panic!("no series {name} in {:?}", results.names())).to_vec()
}

#[test]
fn names_with_line_breaks_quotes_and_leading_digits_are_read_and_referenced() {
    let variables = "<aux name=\"birth\\nrate\"><eqn>2</eqn></aux>\
        <aux name=\"2nd_stage\"><eqn>3</eqn></aux>\
        <aux name=\"the &quot;best&quot; guess\"><eqn>5</eqn></aux>\
        <aux name=\"total\"><eqn>birth_rate * 100 + \"2nd stage\" * 10 + \"the \\\"best\\\" guess\"</eqn></aux>\
        <aux name=\"again\"><eqn>\"birth\\nrate\" + \"2nd_stage\"</eqn></aux>";
    let results = run(&stella("", variables, ""));
    // 2 × 100 + 3 × 10 + 5; 2 + 3.
    assert_eq!(series(&results, "total"), [235.0; 4]);
    assert_eq!(series(&results, "again"), [5.0; 4]);
}

#[test]
fn output_columns_carry_the_names_stella_displays() {
    // Stella shows `_` and a written line break as spaces (XMILE 3.2.2), and so do the columns.
    let variables = "<aux name=\"birth\\nrate\"><eqn>2</eqn></aux><aux name=\"death_rate\"><eqn>1</eqn></aux>\
        <module name=\"Sub_Model\"/>";
    let rest = "<model name=\"Sub_Model\"><variables><aux name=\"inner_value\"><eqn>4</eqn></aux></variables></model>";
    let results = run(&stella("", variables, rest));
    let names: Vec<&str> = results.names().iter().map(String::as_str).collect();
    assert_eq!(names, ["birth rate", "death rate", "Sub Model.inner value"]);
}

#[test]
fn stellas_data_export_settings_are_ignored_without_a_word() {
    // Where Stella writes its runs is no part of the model: no diagnostic, the same results.
    let extras = "<data><export frequency=\"every_dt\" precomputed=\"false\" resource=\"r:results.xlsx\" \
        worksheet=\"Sheet1\" isee:format=\"numbers\"><all/></export></data>";
    let variables =
        "<stock name=\"level\"><eqn>1</eqn><inflow>filling</inflow></stock><flow name=\"filling\"><eqn>2</eqn></flow>";
    let with_export = run(&stella(extras, variables, ""));
    let without = run(&stella("", variables, ""));
    assert_eq!(series(&with_export, "level"), [1.0, 3.0, 5.0, 7.0]);
    assert_eq!(series(&with_export, "level"), series(&without, "level"));
}

#[test]
fn each_element_may_have_its_own_graphical_function() {
    // The equation is shared (TIME); North's table doubles it, South's is 10 less 3 × it.
    let extras = "<dimensions><dim name=\"Region\"><elem name=\"North\"/><elem name=\"South\"/></dim></dimensions>";
    let variables = "<aux name=\"effect\"><dimensions><dim name=\"Region\"/></dimensions><eqn>TIME</eqn>\
        <element subscript=\"North\"><gf><xscale min=\"0\" max=\"3\"/><ypts>0,2,4,6</ypts></gf></element>\
        <element subscript=\"South\"><gf><xpts>0,3</xpts><ypts>10,1</ypts></gf></element></aux>";
    let results = run(&stella(extras, variables, ""));
    assert_eq!(series(&results, "effect[North]"), [0.0, 2.0, 4.0, 6.0]);
    assert_eq!(series(&results, "effect[South]"), [10.0, 7.0, 4.0, 1.0]);
}

#[test]
fn a_conveyor_inside_a_macro_runs_a_belt_per_call() {
    // LAG(x): x enters a belt of transit time 2 and what leaves is the macro's value.
    let rest = "<macro name=\"LAG\"><parm>x</parm><eqn>leaving</eqn><variables>\
        <stock name=\"belt\"><eqn>0</eqn><inflow>entering</inflow><outflow>leaving</outflow>\
        <conveyor><len>2</len></conveyor></stock>\
        <flow name=\"entering\"><eqn>x</eqn></flow><flow name=\"leaving\"/></variables></macro>";
    let variables = "<aux name=\"small\"><eqn>LAG(TIME + 1)</eqn></aux><aux name=\"large\"><eqn>LAG(100)</eqn></aux>";
    let results = run(&stella("", variables, rest));
    // Inflows 1, 2, 3, 4 enter at times 0..3 and leave two steps later: 0, 0, 1, 2.
    assert_eq!(series(&results, "small"), [0.0, 0.0, 1.0, 2.0]);
    assert_eq!(series(&results, "large"), [0.0, 0.0, 100.0, 100.0]);
}

#[test]
fn a_data_import_is_refused_where_it_is_written() {
    // Imported values would replace the model's own: fulcrum does not read them, and says so.
    let text = stella(
        "<data><import resource=\"r:inputs.csv\" frequency=\"on_demand\"/></data>",
        "<aux name=\"price\"><eqn>3</eqn></aux>",
        "",
    );
    let (_, diagnostics) = fulcrum_xmile::read(&text).expect("reads");
    let found = diagnostics.0.iter().find(|d| d.message.contains("imports data")).expect("refused");
    assert_eq!(found.code.as_str(), "E0501");
    let span = found.span.expect("located");
    assert_eq!(&text[span.start as usize..span.end as usize], "r:inputs.csv");
}

#[test]
fn stellas_builtins_without_a_settled_definition_are_refused_where_they_are_called() {
    // The README lists these as not computed yet: each is an unknown function (E0103) at its
    // call, and Stella's two-argument NPV is NPV with too few arguments (E0104), never a number.
    let calls = [
        ("FV(0.05, 10, -100, 0)", "E0103"),
        ("PV(0.05, 10, -100, 0)", "E0103"),
        ("PMT(0.05, 10, 1000, 0)", "E0103"),
        ("IRR(flow)", "E0103"),
        ("GEOMETRIC(0.5)", "E0103"),
        ("INVNORM(0.5)", "E0103"),
        ("LOGISTIC(0, 1)", "E0103"),
        ("NEGBINOMIAL(3, 0.5)", "E0103"),
        ("NORMALCDF(-1, 1)", "E0103"),
        ("PARETO(2, 1)", "E0103"),
        ("NPV(flow, 0.1)", "E0104"),
    ];
    for (call, code) in calls {
        let variables = format!("<aux name=\"flow\"><eqn>TIME</eqn></aux><aux name=\"x\"><eqn>{call}</eqn></aux>");
        let text = stella("", &variables, "");
        let (model, diagnostics) = fulcrum_xmile::read(&text).expect("reads");
        assert!(diagnostics.0.is_empty(), "{call}: {diagnostics:?}");
        let errors = fulcrum_model::resolve(&model).expect_err(call);
        let error = errors.0.first().unwrap_or_else(|| panic!("{call}: no error"));
        assert_eq!(error.code.as_str(), code, "{call}: {error:?}");
        let span = error.span.unwrap_or_else(|| panic!("{call}: not located"));
        assert!(text[span.start as usize..span.end as usize].starts_with(&call[..2]), "{call}: {span:?}");
    }
}
