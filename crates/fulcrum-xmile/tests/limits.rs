//! The limits the reader states, reached from both sides: modules nested 32 deep and files
//! flattening into 10,000 module instances are read, one more is refused with its diagnostic;
//! macros expanding 32 levels deep are expanded, one more is refused.

// Test helpers stop at the first surprise, like the tests themselves.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use fulcrum_model::{Code, Diagnostics, Model, Severity};

const SPECS: &str = "<sim_specs><start>0</start><stop>1</stop><dt>1</dt></sim_specs>";

fn xmile(body: &str) -> String {
    format!("<xmile version=\"1.0\" xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\">{SPECS}{body}</xmile>")
}

/// The model read, if the reader returns one, and the diagnostics either way.
fn read(text: &str) -> (Option<Model>, Diagnostics) {
    match fulcrum_xmile::read(text) {
        Ok((model, diagnostics)) => (Some(model), diagnostics),
        Err(diagnostics) => (None, diagnostics),
    }
}

/// The errors of a read, as (code, message).
fn errors(diagnostics: &Diagnostics) -> Vec<(Code, String)> {
    diagnostics.0.iter().filter(|d| d.code.severity() == Severity::Error).map(|d| (d.code, d.message.clone())).collect()
}

/// A main model holding one module of `m1`, which holds one of `m2`, and so on: modules
/// nested `depth` deep, the innermost model holding the variable `leaf`.
fn nested_modules(depth: usize) -> String {
    let mut body = String::from("<model><variables>");
    if depth > 0 {
        body.push_str("<module name=\"level1\" model_name=\"m1\"/>");
    }
    body.push_str("</variables></model>");
    for level in 1..=depth {
        body.push_str(&format!("<model name=\"m{level}\"><variables>"));
        if level < depth {
            body.push_str(&format!("<module name=\"level{}\" model_name=\"m{}\"/>", level + 1, level + 1));
        } else {
            body.push_str("<aux name=\"leaf\"><eqn>7</eqn></aux>");
        }
        body.push_str("</variables></model>");
    }
    xmile(&body)
}

#[test]
fn modules_nested_32_deep_are_read_and_33_are_refused() {
    let (model, diagnostics) = read(&nested_modules(32));
    assert_eq!(errors(&diagnostics), [], "32 levels are within the limit");
    let model = model.expect("a model");
    let deepest: String = (1..=32).map(|level| format!("level{level}.")).collect::<String>() + "leaf";
    assert!(model.variable(&deepest).is_some(), "the innermost variable is flattened as {deepest}");

    let (_, diagnostics) = read(&nested_modules(33));
    let errors = errors(&diagnostics);
    assert_eq!(errors.len(), 1, "one report for the file: {errors:?}");
    assert_eq!(errors[0].0, Code::InvalidValue);
    assert_eq!(errors[0].1, "modules nest more than 32 deep or flatten into more than 10000 instances at `level33`");
    let span = diagnostics.0[0].span.expect("the refusal points into the file");
    let text = nested_modules(33);
    let pointed = &text[span.start as usize..span.end as usize];
    assert!(pointed.contains("level33"), "{pointed:?}");
}

/// A main model holding `outer` modules of `middle` (each holding `inner` modules of `leaf`),
/// and `extra` modules of `leaf` itself: `outer × (1 + inner) + extra` instances.
fn many_modules(outer: usize, inner: usize, extra: usize) -> String {
    let mut body = String::from("<model><variables>");
    for i in 0..outer {
        body.push_str(&format!("<module name=\"o{i}\" model_name=\"middle\"/>"));
    }
    for i in 0..extra {
        body.push_str(&format!("<module name=\"x{i}\" model_name=\"leaf\"/>"));
    }
    body.push_str("</variables></model><model name=\"middle\"><variables>");
    for i in 0..inner {
        body.push_str(&format!("<module name=\"i{i}\" model_name=\"leaf\"/>"));
    }
    body.push_str("</variables></model><model name=\"leaf\"><variables><aux name=\"v\"><eqn>1</eqn></aux>");
    body.push_str("</variables></model>");
    xmile(&body)
}

#[test]
fn ten_thousand_module_instances_are_read_and_one_more_is_refused() {
    // 100 × (1 + 99) = 10,000 instances: 9,900 leaves inside the middles.
    let (model, diagnostics) = read(&many_modules(100, 99, 0));
    assert_eq!(errors(&diagnostics), [], "10,000 instances are within the limit");
    let model = model.expect("a model");
    assert_eq!(model.variables.len(), 100 * 99);
    assert!(model.variable("o99.i98.v").is_some());

    let (model, diagnostics) = read(&many_modules(100, 99, 1));
    let errors = errors(&diagnostics);
    assert_eq!(errors.len(), 1, "one report for the file, not one per instance refused: {errors:?}");
    assert_eq!(errors[0].0, Code::InvalidValue);
    assert_eq!(errors[0].1, "modules nest more than 32 deep or flatten into more than 10000 instances at `x0`");
    assert!(model.is_none_or(|model| model.variable("x0.v").is_none()), "the instance past the limit is not flattened");
}

/// `F0(x)` calls `F1(x) + 1`, which calls `F2(x) + 1`, ... down to `F{depth}(x) = x`: one
/// variable using `F0` expands `depth + 1` macros, one inside the other.
fn nested_macros(depth: usize) -> String {
    let mut body = String::new();
    for level in 0..depth {
        body.push_str(&format!("<macro name=\"F{level}\"><parm>x</parm><eqn>F{}(x) + 1</eqn></macro>", level + 1));
    }
    body.push_str(&format!("<macro name=\"F{depth}\"><parm>x</parm><eqn>x</eqn></macro>"));
    body.push_str("<model><variables><aux name=\"a\"><eqn>F0(5)</eqn></aux></variables></model>");
    xmile(&body)
}

#[test]
fn macros_expand_32_levels_deep_and_33_are_refused() {
    let (model, diagnostics) = read(&nested_macros(31));
    assert_eq!(errors(&diagnostics), [], "32 macros inside each other are within the limit");
    let model = model.expect("a model");
    // Each level adds one: the expansion is the argument and 31 ones.
    let equation = model.variable("a").and_then(|v| v.equation.as_ref()).expect("equation");
    assert_eq!(equation.text.matches("+ 1").count(), 31, "{}", equation.text);
    assert!(fulcrum_model::resolve(&model).is_ok(), "the expansion resolves");

    let (_, diagnostics) = read(&nested_macros(32));
    let errors = errors(&diagnostics);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].1.ends_with("expands more than 32 levels deep"), "{}", errors[0].1);
}
