//! Modules (XMILE 1.0 sections 3.6 and 4.7): each module instance runs the submodel with its own
//! state, inputs take a connection or else their own equation, and outputs read upward.

use fulcrum_model::Diagnostics;

/// A file with a root model of `root` variables and then `rest` (the submodels, macros).
fn xmile(root: &str, rest: &str) -> String {
    format!(
        "<xmile version=\"1.0\" xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\">\
         <sim_specs><start>0</start><stop>3</stop><dt>1</dt></sim_specs>\
         <model><variables>{root}</variables></model>{rest}</xmile>"
    )
}

/// Reads, resolves and runs a file, returning the series of `names`.
fn run(text: &str, names: &[&str]) -> Vec<Vec<f64>> {
    let (model, diagnostics) = fulcrum_xmile::read(text).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    let resolved = fulcrum_model::resolve(&model).unwrap_or_else(|d| panic!("{d:?}"));
    let results = fulcrum_sim::compile(&resolved).expect("compiles").new_run().run().expect("runs");
    names.iter().map(|name| results.series(name).unwrap_or_else(|| panic!("no series {name}")).to_vec()).collect()
}

/// The errors reading or resolving a file gives.
fn refused(text: &str) -> Diagnostics {
    let diagnostics = match fulcrum_xmile::read(text) {
        Ok((model, diagnostics)) if !diagnostics.has_errors() => {
            fulcrum_model::resolve(&model).err().unwrap_or(diagnostics)
        }
        Ok((_, diagnostics)) | Err(diagnostics) => diagnostics,
    };
    assert!(diagnostics.has_errors(), "accepted: {text}");
    diagnostics
}

/// A submodel: a stock `level` filled by `rate`, an input, each step.
const TANK: &str = "<model name=\"Tank\"><variables>\
    <stock name=\"level\"><eqn>0</eqn><inflow>filling</inflow></stock>\
    <flow name=\"filling\"><eqn>rate</eqn></flow>\
    <aux name=\"rate\" access=\"input\"><eqn>5</eqn></aux>\
    <aux name=\"doubled\" access=\"output\"><eqn>2 * level</eqn></aux>\
    </variables></model>";

#[test]
fn an_unconnected_input_keeps_its_own_equation() {
    let text = xmile("<module name=\"Tank\"/>", TANK);
    // rate = 5 with nothing connected: the level climbs 0, 5, 10, 15.
    let series = run(&text, &["Tank.level", "Tank.rate"]);
    assert_eq!(series[0], [0.0, 5.0, 10.0, 15.0]);
    assert_eq!(series[1], [5.0; 4]);
}

#[test]
fn a_connected_input_takes_the_parents_value_and_an_output_reads_upward() {
    let text = xmile(
        "<module name=\"Tank\"><connect to=\"rate\" from=\".inflow\"/></module>\
         <aux name=\"inflow\"><eqn>3</eqn></aux><aux name=\"seen\"><eqn>Tank.doubled + 1</eqn></aux>",
        TANK,
    );
    // level 0, 3, 6, 9; doubled 0, 6, 12, 18; seen one more.
    let series = run(&text, &["Tank.level", "seen"]);
    assert_eq!(series[0], [0.0, 3.0, 6.0, 9.0]);
    assert_eq!(series[1], [1.0, 7.0, 13.0, 19.0]);
}

#[test]
fn a_submodel_declared_before_the_root_model_is_found() {
    let text = format!(
        "<xmile version=\"1.0\" xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\">\
         <sim_specs><start>0</start><stop>3</stop><dt>1</dt></sim_specs>{TANK}\
         <model><variables><module name=\"Tank\"><connect to=\"rate\" from=\".two\"/></module>\
         <aux name=\"two\"><eqn>2</eqn></aux></variables></model></xmile>"
    );
    assert_eq!(run(&text, &["Tank.level"])[0], [0.0, 2.0, 4.0, 6.0]);
}

#[test]
fn a_connection_upward_sets_a_parent_input_as_the_standards_example_does() {
    let text = xmile(
        "<module name=\"Tank\"><connect to=\"rate\" from=\".inflow\"/>\
         <connect to=\".received\" from=\"Tank.doubled\"/></module>\
         <aux name=\"inflow\"><eqn>1</eqn></aux><aux name=\"received\" access=\"input\"/>",
        TANK,
    );
    // level 0, 1, 2, 3; received = doubled = 0, 2, 4, 6.
    assert_eq!(run(&text, &["received"])[0], [0.0, 2.0, 4.0, 6.0]);
}

#[test]
fn modules_of_one_submodel_keep_their_own_state() {
    let text = xmile(
        "<module name=\"slow\" model_name=\"Tank\"><connect to=\"rate\" from=\".one\"/></module>\
         <module name=\"fast\" model_name=\"Tank\"><connect to=\"rate\" from=\"slow.doubled\"/></module>\
         <module name=\"idle\" model_name=\"Tank\"/>\
         <aux name=\"one\"><eqn>1</eqn></aux>",
        TANK,
    );
    // slow: 0, 1, 2, 3 (doubled 0, 2, 4, 6); fast fills by slow's doubled: 0, 0, 2, 6;
    // idle keeps rate 5: 0, 5, 10, 15.
    let series = run(&text, &["slow.level", "fast.level", "idle.level"]);
    assert_eq!(series[0], [0.0, 1.0, 2.0, 3.0]);
    assert_eq!(series[1], [0.0, 0.0, 2.0, 6.0]);
    assert_eq!(series[2], [0.0, 5.0, 10.0, 15.0]);
}

#[test]
fn a_module_inside_a_module_reads_through_both_names() {
    let outer = "<model name=\"Outer\"><variables>\
        <module name=\"inner\" model_name=\"Tank\"><connect to=\"rate\" from=\".given\"/></module>\
        <aux name=\"given\" access=\"input\"><eqn>4</eqn></aux>\
        <aux name=\"result\" access=\"output\"><eqn>inner.level</eqn></aux></variables></model>";
    let text = xmile(
        "<module name=\"Outer\"><connect to=\"given\" from=\".seven\"/></module><aux name=\"seven\"><eqn>7</eqn></aux>\
         <aux name=\"top\"><eqn>Outer.result</eqn></aux>",
        &format!("{TANK}{outer}"),
    );
    assert_eq!(run(&text, &["top"])[0], [0.0, 7.0, 14.0, 21.0]);
}

#[test]
fn an_input_with_neither_connection_nor_equation_is_located() {
    let bare =
        TANK.replace("<aux name=\"rate\" access=\"input\"><eqn>5</eqn></aux>", "<aux name=\"rate\" access=\"input\"/>");
    let diagnostics = refused(&xmile("<module name=\"Tank\"/>", &bare));
    let text = format!("{diagnostics:?}");
    assert!(text.contains("Tank.rate"), "{text}");
}

#[test]
fn an_upward_connection_to_a_missing_variable_is_located() {
    let text = xmile("<module name=\"Tank\"><connect to=\".nowhere\" from=\"Tank.doubled\"/></module>", TANK);
    let diagnostics = refused(&text);
    let found = diagnostics.0.iter().find(|d| d.message.contains("nowhere")).expect("a diagnostic naming it");
    let span = found.span.expect("located");
    assert!(text[span.start as usize..span.end as usize].starts_with("<connect to=\".nowhere\""), "{found:?}");
}

#[test]
fn modules_that_contain_each_other_are_a_located_error() {
    let a = "<model name=\"A\"><variables><module name=\"B\"/></variables></model>";
    let b = "<model name=\"B\"><variables><module name=\"A\"/></variables></model>";
    let text = xmile("<module name=\"A\"/>", &format!("{a}{b}"));
    let diagnostics = refused(&text);
    let found = diagnostics.0.iter().find(|d| d.message.contains("contain each other")).expect("the cycle");
    assert!(found.message.contains("A → B → A"), "{found:?}");
    assert!(found.span.is_some(), "{found:?}");
}

#[test]
fn names_with_spaces_connect_in_either_spelling_and_either_direction() {
    let model = TANK.replace("name=\"Tank\"", "name=\"Model 1\"");
    let text = xmile(
        "<module name=\"Module 1\" model_name=\"Model 1\"><connect to=\"Module_1.rate\" from=\"inflow_rate\"/>\
         <connect to=\"twice level\" from=\"Module_1.doubled\"/></module>\
         <aux name=\"inflow rate\"><eqn>3</eqn></aux><aux name=\"twice level\" access=\"input\"/>",
        &model,
    );
    // level 0, 3, 6, 9; twice level = doubled = 0, 6, 12, 18.
    let series = run(&text, &["Module 1.level", "twice level"]);
    assert_eq!(series[0], [0.0, 3.0, 6.0, 9.0]);
    assert_eq!(series[1], [0.0, 6.0, 12.0, 18.0]);
}

#[test]
fn an_output_two_modules_down_and_one_across_are_read_by_their_qualified_names() {
    let outer = "<model name=\"Outer\"><variables>\
        <module name=\"inner\" model_name=\"Tank\"/></variables></model>";
    // `Reader` reads the level of a module beside it, connected to it in the diagram only.
    let reader = "<model name=\"Reader\"><variables>\
        <aux name=\"seen\" access=\"output\"><eqn>Outer.inner.level * 10</eqn></aux></variables></model>";
    let text = xmile(
        "<module name=\"Outer\"/><module name=\"Reader\"/><aux name=\"top\"><eqn>Outer.inner.level</eqn></aux>",
        &format!("{TANK}{outer}{reader}"),
    );
    // The inner tank keeps rate 5: 0, 5, 10, 15.
    let series = run(&text, &["top", "Reader.seen"]);
    assert_eq!(series[0], [0.0, 5.0, 10.0, 15.0]);
    assert_eq!(series[1], [0.0, 50.0, 100.0, 150.0]);
}

#[test]
fn an_alias_in_a_view_only_draws_and_changes_nothing() {
    let root = "<module name=\"Tank\"/>";
    let plain = xmile(root, TANK);
    let drawn = TANK.replace(
        "</variables></model>",
        "</variables><views><view><alias uid=\"1\" x=\"50\" y=\"100\"><of>level</of></alias></view></views></model>",
    );
    let with_alias = xmile(root, &drawn);
    assert_eq!(run(&with_alias, &["Tank.level"]), run(&plain, &["Tank.level"]));
}

#[test]
fn an_arrayed_input_takes_an_arrayed_variable_element_by_element() {
    let tanks = "<model name=\"Tanks\"><variables>\
        <stock name=\"level\"><dimensions><dim name=\"Region\"/></dimensions><eqn>0</eqn><inflow>filling</inflow></stock>\
        <flow name=\"filling\"><dimensions><dim name=\"Region\"/></dimensions><eqn>rate</eqn></flow>\
        <aux name=\"rate\" access=\"input\"><dimensions><dim name=\"Region\"/></dimensions><eqn>0</eqn></aux>\
        </variables></model>";
    let text = format!(
        "<xmile version=\"1.0\" xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\">\
         <sim_specs><start>0</start><stop>3</stop><dt>1</dt></sim_specs>\
         <dimensions><dim name=\"Region\"><elem name=\"North\"/><elem name=\"South\"/></dim></dimensions>\
         <model><variables><module name=\"Tanks\"><connect to=\"rate\" from=\".rates\"/></module>\
         <aux name=\"rates\"><dimensions><dim name=\"Region\"/></dimensions>\
         <element subscript=\"North\"><eqn>1</eqn></element><element subscript=\"South\"><eqn>4</eqn></element></aux>\
         <aux name=\"total\"><eqn>SUM(Tanks.level[*])</eqn></aux>\
         </variables></model>{tanks}</xmile>"
    );
    // North fills by 1 a step, South by 4; the total by 5.
    let series = run(&text, &["Tanks.level[North]", "Tanks.level[South]", "total"]);
    assert_eq!(series[0], [0.0, 1.0, 2.0, 3.0]);
    assert_eq!(series[1], [0.0, 4.0, 8.0, 12.0]);
    assert_eq!(series[2], [0.0, 5.0, 10.0, 15.0]);
}

/// The text a diagnostic's span covers.
fn located<'t>(text: &'t str, diagnostics: &Diagnostics, needle: &str) -> &'t str {
    let found = diagnostics.0.iter().find(|d| d.message.contains(needle)).unwrap_or_else(|| panic!("{diagnostics:?}"));
    let span = found.span.unwrap_or_else(|| panic!("not located: {found:?}"));
    &text[span.start as usize..span.end as usize]
}

#[test]
fn a_siblings_output_reaches_a_module_three_levels_down_as_the_standards_d_e_f_example() {
    // Section 4.7.3: modules A and D side by side, E inside D, F inside E; A's explicit output
    // reaches F. The connection is made where A and F have their lowest common ancestor, the
    // root, naming F's input through D and E (4.7.1).
    let a = "<model name=\"A\"><variables>\
        <stock name=\"s\"><eqn>1</eqn><inflow>grow</inflow></stock><flow name=\"grow\"><eqn>2</eqn></flow>\
        <aux name=\"out\" access=\"output\"><eqn>s * 10</eqn></aux></variables></model>";
    let d = "<model name=\"D\"><variables><module name=\"E\"/></variables></model>";
    let e = "<model name=\"E\"><variables><module name=\"F\"/></variables></model>";
    let f = "<model name=\"F\"><variables><aux name=\"x\" access=\"input\"><eqn>0</eqn></aux>\
        <aux name=\"y\"><eqn>x + 1</eqn></aux></variables></model>";
    let text = xmile(
        "<module name=\"A\"/><module name=\"D\"><connect to=\"E.F.x\" from=\"A.out\"/></module>",
        &format!("{a}{d}{e}{f}"),
    );
    // s = 1, 3, 5, 7; out = 10, 30, 50, 70; F's y one more.
    let series = run(&text, &["D.E.F.x", "D.E.F.y"]);
    assert_eq!(series[0], [10.0, 30.0, 50.0, 70.0]);
    assert_eq!(series[1], [11.0, 31.0, 51.0, 71.0]);
    // The same, passed down a level at a time through inputs of D and E.
    let d = "<model name=\"D\"><variables><aux name=\"from_a\" access=\"input\"/>\
        <module name=\"E\"><connect to=\"passed\" from=\".from_a\"/></module></variables></model>";
    let e = "<model name=\"E\"><variables><aux name=\"passed\" access=\"input\"/>\
        <module name=\"F\"><connect to=\"x\" from=\".passed\"/></module></variables></model>";
    let text = xmile(
        "<module name=\"A\"/><module name=\"D\"><connect to=\"from_a\" from=\"A.out\"/></module>",
        &format!("{a}{d}{e}{f}"),
    );
    assert_eq!(run(&text, &["D.E.F.y"])[0], [11.0, 31.0, 51.0, 71.0]);
}

#[test]
fn a_model_in_another_file_is_refused_at_its_resource() {
    // Section 4.7.1's second form: the module's model in "module.xml".
    let text = xmile("<module name=\"Tank\" resource=\"module.xml\"/>", "");
    let diagnostics = refused(&text);
    assert_eq!(located(&text, &diagnostics, "another file"), "module.xml");
    assert!(diagnostics.0.iter().all(|d| d.code.as_str() == "E0501"), "{diagnostics:?}");
    // A <model> may name its file too.
    let text = xmile("<module name=\"Tank\"/>", "<model name=\"Tank\" resource=\"tank.xmile\"/>");
    assert_eq!(located(&text, &refused(&text), "another file"), "tank.xmile");
}

#[test]
fn a_submodels_sim_specs_must_agree_with_the_whole_models() {
    // Repeating the whole model's specs changes nothing.
    let same = TANK.replace(
        "<model name=\"Tank\">",
        "<model name=\"Tank\"><sim_specs method=\"euler\"><start>0</start><stop>3</stop><dt>1</dt></sim_specs>",
    );
    assert_eq!(run(&xmile("<module name=\"Tank\"/>", &same), &["Tank.level"])[0], [0.0, 5.0, 10.0, 15.0]);
    // A dt of its own (the standard's "normal" mode) or another method is refused where written.
    let finer = TANK.replace(
        "<model name=\"Tank\">",
        "<model name=\"Tank\"><sim_specs method=\"rk4\"><start>0</start><stop>3</stop><dt>0.25</dt></sim_specs>",
    );
    let text = xmile("<module name=\"Tank\"/>", &finer);
    let diagnostics = refused(&text);
    assert_eq!(located(&text, &diagnostics, "own dt 0.25"), "<dt>0.25</dt>");
    assert_eq!(located(&text, &diagnostics, "own method rk4"), "rk4");
}

/// Reads with other files given by name, resolves and runs, returning the series of `names`.
fn run_with(text: &str, files: &[(&str, &str)], names: &[&str]) -> Vec<Vec<f64>> {
    let load = |resource: &str| {
        files
            .iter()
            .find(|(name, _)| *name == resource)
            .map(|(_, text)| (*text).to_owned())
            .ok_or("no such file".to_owned())
    };
    let (model, diagnostics) = fulcrum_xmile::read_with(text, &load).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    let resolved = fulcrum_model::resolve(&model).unwrap_or_else(|d| panic!("{d:?}"));
    let results = fulcrum_sim::compile(&resolved).expect("compiles").new_run().run().expect("runs");
    names.iter().map(|name| results.series(name).unwrap_or_else(|| panic!("no series {name}")).to_vec()).collect()
}

/// Section 4.7.1's second form: the submodel alone in "module.xml", as its unnamed root model.
const MODULE_FILE: &str = "<xmile version=\"1.0\" xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\">\
    <sim_specs><start>0</start><stop>3</stop><dt>1</dt></sim_specs>\
    <model><variables><aux name=\"Input\" access=\"input\"><eqn>0</eqn></aux>\
    <stock name=\"kept\"><eqn>0</eqn><inflow>keeping</inflow></stock><flow name=\"keeping\"><eqn>Input</eqn></flow>\
    <aux name=\"Output\" access=\"output\"><eqn>kept * 2</eqn></aux></variables></model></xmile>";

#[test]
fn a_modules_model_in_another_file_is_read_from_it() {
    let text = xmile(
        "<module name=\"Sub_Model\" resource=\"module.xml\"><connect to=\"Input\" from=\".Root_Model_Output\"/>\
         <connect to=\".Root_Model_Input\" from=\"Sub_Model.Output\"/></module>\
         <aux name=\"Root_Model_Output\"><eqn>3</eqn></aux><aux name=\"Root_Model_Input\" access=\"input\"/>",
        "",
    );
    // kept grows by 3 a step: 0, 3, 6, 9; Output doubles it and comes back up.
    let series = run_with(&text, &[("module.xml", MODULE_FILE)], &["Sub Model.kept", "Root Model Input"]);
    assert_eq!(series[0], [0.0, 3.0, 6.0, 9.0]);
    assert_eq!(series[1], [0.0, 6.0, 12.0, 18.0]);
    // A file holding several models gives the one named as the module, not its root model.
    let several = MODULE_FILE.replace(
        "</xmile>",
        "<model name=\"Sub_Model\"><variables><aux name=\"Input\" access=\"input\"/>\
         <aux name=\"Output\" access=\"output\"><eqn>Input + 100</eqn></aux></variables></model></xmile>",
    );
    let series = run_with(&text, &[("module.xml", several.as_str())], &["Root Model Input"]);
    assert_eq!(series[0], [103.0; 4]);
}

/// A submodel in its own file whose module `Inner` takes its model from `inner`, a path relative
/// to this file's folder; `Inner.Output` is 10 times its input, and comes back out as `Output`.
fn middle_file(inner: &str) -> String {
    format!(
        "<xmile version=\"1.0\" xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\">\
         <sim_specs><start>0</start><stop>3</stop><dt>1</dt></sim_specs>\
         <model><variables><aux name=\"Input\" access=\"input\"><eqn>0</eqn></aux>\
         <module name=\"Inner\" resource=\"{inner}\"><connect to=\"Input\" from=\".Input\"/></module>\
         <aux name=\"Output\" access=\"output\"><eqn>Inner.Output + 1</eqn></aux></variables></model></xmile>"
    )
}

#[test]
fn a_modules_file_may_name_a_third_file_relative_to_its_own_folder() {
    // The root's Middle comes from parts/middle.xmile, whose Inner comes from module.xml beside
    // it (parts/module.xml). Inner keeps its input, 3 a step: 0, 3, 6, 9, and doubles it; Middle
    // adds 1; the root reads Middle.Output.
    let text = xmile(
        "<module name=\"Middle\" resource=\"parts/middle.xmile\"><connect to=\"Input\" from=\".three\"/></module>\
         <aux name=\"three\"><eqn>3</eqn></aux><aux name=\"out\"><eqn>Middle.Output</eqn></aux>",
        "",
    );
    let middle = middle_file("module.xml");
    let files = [("parts/middle.xmile", middle.as_str()), ("parts/module.xml", MODULE_FILE)];
    let series = run_with(&text, &files, &["Middle.Inner.kept", "out"]);
    assert_eq!(series[0], [0.0, 3.0, 6.0, 9.0]);
    assert_eq!(series[1], [1.0, 7.0, 13.0, 19.0]);
}

#[test]
fn a_chain_of_module_files_back_to_one_being_read_is_refused_at_the_resource() {
    // a.xmile's Inner comes from b.xmile, whose Inner2 comes from a.xmile again.
    let text = xmile("<module name=\"Middle\" resource=\"a.xmile\"/>", "");
    let a = middle_file("b.xmile");
    let b = middle_file("a.xmile").replace("\"Inner\"", "\"Inner2\"").replace("Inner.Output", "Inner2.Output");
    let load = |file: &str| match file {
        "a.xmile" => Ok(a.clone()),
        "b.xmile" => Ok(b.clone()),
        _ => Err("no such file".to_owned()),
    };
    let diagnostics = match fulcrum_xmile::read_with(&text, &load) {
        Ok((_, diagnostics)) | Err(diagnostics) => diagnostics,
    };
    let cycle = "module `Inner2` names `a.xmile`, a file already being read: a.xmile → b.xmile → a.xmile";
    assert_eq!(located(&text, &diagnostics, cycle), "a.xmile");
    assert!(diagnostics.0.iter().any(|d| d.code.as_str() == "E0501"), "{diagnostics:?}");
}

#[test]
fn two_modules_of_one_name_from_different_files_are_refused() {
    // Modules take their models under their own names, so one name cannot stand for two files.
    let text = xmile(
        "<module name=\"Sub\" resource=\"module.xml\"/><module name=\"Other\"/>",
        "<model name=\"Other\"><variables><module name=\"Sub\" resource=\"elsewhere.xml\"/></variables></model>",
    );
    let load = |_: &str| Ok(MODULE_FILE.to_owned());
    let diagnostics = match fulcrum_xmile::read_with(&text, &load) {
        Ok((_, diagnostics)) | Err(diagnostics) => diagnostics,
    };
    let message = "two modules named `Sub` take their models from different files, `module.xml` and `elsewhere.xml`";
    assert_eq!(located(&text, &diagnostics, message), "elsewhere.xml");
}

#[test]
fn problems_in_another_file_are_located_where_the_file_is_named() {
    let text = xmile("<module name=\"Sub_Model\" resource=\"module.xml\"/>", "");
    let load_none = |_: &str| Err("no such file".to_owned());
    // With nothing else in the file, the reader's answer is the error itself.
    let diagnostics = match fulcrum_xmile::read_with(&text, &load_none) {
        Ok((_, diagnostics)) | Err(diagnostics) => diagnostics,
    };
    assert_eq!(located(&text, &diagnostics, "cannot be read: no such file"), "module.xml");
    // An unknown name in the other file's equation is reported at the resource attribute.
    let broken = MODULE_FILE.replace("kept * 2", "kept * missing");
    let load = |_: &str| Ok(broken.clone());
    let (model, diagnostics) = fulcrum_xmile::read_with(&text, &load).expect("reads");
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    let diagnostics = fulcrum_model::resolve(&model).expect_err("missing is unknown");
    assert_eq!(located(&text, &diagnostics, "missing"), "module.xml");
    // A file without the model is located too.
    let other = |_: &str| Ok(MODULE_FILE.replace("<model>", "<model name=\"Other\">"));
    let diagnostics = match fulcrum_xmile::read_with(&text, &other) {
        Ok((_, diagnostics)) | Err(diagnostics) => diagnostics,
    };
    assert_eq!(located(&text, &diagnostics, "has neither a model"), "module.xml");
}

#[test]
fn fulcrum_run_reads_a_modules_file_beside_the_model() {
    let output = crate::fulcrum(&["run", "tests/xmile/hares_with_module_file.xmile"]);
    assert!(output.status.success(), "{}", crate::stderr(&output));
    let text = crate::stdout(&output);
    let header = text.lines().next().unwrap_or_default();
    assert!(header.contains("hare count"), "{header}");
    // 100 hares growing by half a year: 100, 150, 225, 337.5.
    let column = header.split(',').position(|name| name == "hare count").expect("the column");
    let values: Vec<&str> = text.lines().skip(1).map(|line| line.split(',').nth(column).unwrap_or_default()).collect();
    assert_eq!(values, ["100", "150", "225", "337.5"]);
}

#[test]
fn a_connection_between_siblings_written_on_both_modules_is_made_once() {
    // Newer Stella files list a connection between two modules on each of them: on `Second`
    // (its input from `First`'s output) and on `First` too, where the `to` names `Second`.
    // `First` also lists its own input fed from `Second`, which `Second` repeats.
    let root = "<module name=\"First\">\
        <connect to=\"First.rate\" from=\"Second.doubled\"/><connect2 to=\"First.rate\" from=\"Second.doubled\"/>\
        <connect to=\"Second.rate\" from=\"First.doubled\"/><connect2 to=\"Second.rate\" from=\"First.doubled\"/>\
        </module>\
        <module name=\"Second\" model_name=\"Tank\">\
        <connect to=\"Second.rate\" from=\"First.doubled\"/><connect to=\"First.rate\" from=\"Second.doubled\"/>\
        </module>";
    let first = TANK.replace("<model name=\"Tank\">", "<model name=\"First\">").replace("<eqn>0</eqn>", "<eqn>1</eqn>");
    let text = xmile(root, &format!("{first}{TANK}"));
    // First starts at 1, Second at 0; each fills by twice the other's level:
    // t=1: First 1 + 0 = 1, Second 0 + 2 = 2; t=2: 1 + 4 = 5, 2 + 2 = 4; t=3: 5 + 8 = 13, 4 + 10 = 14.
    let series = run(&text, &["First.level", "Second.level"]);
    assert_eq!(series[0], [1.0, 1.0, 5.0, 13.0]);
    assert_eq!(series[1], [0.0, 2.0, 4.0, 14.0]);
}

#[test]
fn quoted_names_in_a_connection_are_read_part_by_part() {
    // Stella quotes a name with a slash in it after the module's name: `b."rate/in"`.
    let root = "<module name=\"a\"><connect to='b.\"rate/in\"' from='a.\"level/out\"'/></module>\
        <module name=\"b\"><connect to='b.\"rate/in\"' from='a.\"level/out\"'/></module>";
    let source = "<model name=\"a\"><variables><aux name=\"level/out\" access=\"output\"><eqn>TIME * 2</eqn></aux>\
        </variables></model>";
    let sink = "<model name=\"b\"><variables><aux name=\"rate/in\" access=\"input\"><eqn>0</eqn></aux>\
        <stock name=\"total\"><eqn>0</eqn><inflow>adding</inflow></stock><flow name=\"adding\"><eqn>\"rate/in\"</eqn></flow>\
        </variables></model>";
    let series = run(&xmile(root, &format!("{source}{sink}")), &["b.rate/in", "b.total"]);
    assert_eq!(series[0], [0.0, 2.0, 4.0, 6.0]);
    assert_eq!(series[1], [0.0, 0.0, 2.0, 6.0]);
}

#[test]
fn a_ghost_of_a_module_draws_it_again_and_adds_no_instance() {
    // Stella draws a module a second time as an <alias> in a view (a ghost): still one module.
    let root = "<module name=\"Tank\"/>";
    let plain = xmile(root, TANK);
    let ghosted = plain.replace(
        "</variables></model><model name=\"Tank\">",
        "</variables><views><view><module name=\"Tank\" x=\"10\" y=\"10\"/>\
         <alias uid=\"7\" x=\"90\" y=\"10\"><of>Tank</of></alias></view></views></model><model name=\"Tank\">",
    );
    assert_ne!(ghosted, plain);
    let (model, _) = fulcrum_xmile::read(&ghosted).expect("reads");
    assert_eq!(model.variables.iter().filter(|v| v.name.ends_with(".level")).count(), 1);
    assert_eq!(run(&ghosted, &["Tank.level"]), run(&plain, &["Tank.level"]));
}
