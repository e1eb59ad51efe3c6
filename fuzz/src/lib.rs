//! What each fuzz target does with its input, and the checks every reader's diagnostics must
//! pass. The targets in fuzz_targets/ only hand their bytes here; `tests/fuzz_regressions.rs` in
//! the main workspace includes this file and replays the saved crashes and the seed corpus
//! through the same calls, byte for byte.

use std::borrow::Cow;
use std::sync::OnceLock;

use fulcrum_model::syntax::{Span, parse};
use fulcrum_model::{Diagnostics, Model};
use fulcrum_sim::{CompileOptions, compile_with};

/// The longest run the `run` target simulates, in steps, so that each input stays fast.
pub const MAX_STEPS: f64 = 200.0;

/// A fuzz target: the name of its binary in `Cargo.toml` and of its folders under `corpus/` and
/// `regressions/`, and what it does with the bytes libFuzzer hands it.
pub type Target = (&'static str, fn(&[u8]));

/// Every target.
pub const TARGETS: [Target; 8] = [
    ("equation", equation),
    ("native", native),
    ("xmile", xmile),
    ("mdl", mdl),
    ("cin", cin),
    ("experiment", experiment),
    ("expected_output", expected_output),
    ("run", run),
];

/// The text a reader of text is given: the bytes as UTF-8, each invalid sequence replaced by
/// U+FFFD. `fulcrum` itself refuses a file that is not UTF-8 before any reader sees it, so the
/// readers only ever get valid text; replacing rather than refusing still reads all of such an
/// input, and puts a three-byte character where a span could cut one in half.
pub fn text(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// The `equation` target: [`parse_equation`] on [`text`].
pub fn equation(bytes: &[u8]) {
    parse_equation(&text(bytes));
}

/// The `native` target: [`read_native`] on [`text`].
pub fn native(bytes: &[u8]) {
    read_native(&text(bytes));
}

/// The `xmile` target: [`read_xmile`] on [`text`].
pub fn xmile(bytes: &[u8]) {
    read_xmile(&text(bytes));
}

/// The `mdl` target: [`read_mdl`] on the bytes decoded as `fulcrum` decodes a `.mdl` file
/// (UTF-8, else Windows-1252).
pub fn mdl(bytes: &[u8]) {
    read_mdl(&fulcrum_vensim::decode(bytes.to_vec()));
}

/// The `cin` target: [`apply_changes`] on the bytes decoded as `fulcrum` decodes a changes file
/// (UTF-8, else Windows-1252, as a `.mdl`).
pub fn cin(bytes: &[u8]) {
    apply_changes(&fulcrum_vensim::decode(bytes.to_vec()));
}

/// The `experiment` target: [`plan_experiment`] on [`text`].
pub fn experiment(bytes: &[u8]) {
    plan_experiment(&text(bytes));
}

/// The `run` target: [`read_and_run`] on [`text`].
pub fn run(bytes: &[u8]) {
    read_and_run(&text(bytes));
}

/// The equation parser: a syntax error points into the text, and what parses prints as text that
/// parses again and prints the same (what `fulcrum convert` relies on).
pub fn parse_equation(text: &str) {
    match parse(text) {
        Ok(expr) => {
            let printed = expr.to_string();
            let again = parse(&printed).unwrap_or_else(|error| panic!("{printed:?} does not parse: {error:?}"));
            assert_eq!(again.to_string(), printed, "printing is not stable");
        }
        Err(error) => check_span(text, error.span, "syntax error"),
    }
}

/// The native (TOML) model reader: any text reads or gives located diagnostics.
pub fn read_native(text: &str) {
    match fulcrum_model::native::read(text) {
        Ok((_, diagnostics)) | Err(diagnostics) => check_spans(text, &diagnostics),
    }
}

/// The XMILE reader: any text reads or gives located diagnostics.
pub fn read_xmile(text: &str) {
    match fulcrum_xmile::read(text) {
        Ok((_, diagnostics)) | Err(diagnostics) => check_spans(text, &diagnostics),
    }
}

/// The Vensim reader: any text reads or gives located diagnostics; what reads resolves with
/// located diagnostics too (its spans are file spans), and every equation's text, which
/// `fulcrum convert` writes, parses again.
pub fn read_mdl(text: &str) {
    match fulcrum_vensim::read(text) {
        Ok((model, diagnostics)) => {
            check_spans(text, &diagnostics);
            for variable in &model.variables {
                let equations =
                    variable.equation.iter().chain(variable.elements.iter().filter_map(|e| e.equation.as_ref()));
                for equation in equations.filter(|e| e.expr.is_ok()) {
                    if let Err(error) = parse(&equation.text) {
                        panic!("{:?} does not parse: {error:?}", equation.text);
                    }
                }
            }
            if let Err(diagnostics) = fulcrum_model::resolve(&model) {
                check_spans(text, &diagnostics);
            }
        }
        Err(diagnostics) => check_spans(text, &diagnostics),
    }
}

/// The reader of other tools' outputs, from raw bytes as the conformance harness reads them:
/// what reads has one value, and one last printed place, per time in every column.
pub fn expected_output(bytes: &[u8]) {
    use fulcrum_report::expected;
    if let Ok(read) = expected::read(&expected::decode(bytes.to_vec())) {
        let times = read.times.len();
        assert!(read.columns.iter().all(|column| column.values.len() == times && column.last_places.len() == times));
    }
}

/// The changes file reader; what reads is applied to the workforce model, for one run and as an
/// experiment's switchable option, and the changed models are resolved.
pub fn apply_changes(text: &str) {
    let changes = match fulcrum_vensim::read_changes(text) {
        Ok(changes) => changes,
        Err(diagnostics) => return check_spans(text, &diagnostics),
    };
    for change in &changes {
        if let Some(span) = change.span {
            check_span(text, span, &change.name);
        }
    }
    let mut applied = workforce().clone();
    match fulcrum_model::changes::apply(&mut applied, &changes) {
        Ok(()) => {
            let _ = fulcrum_model::resolve(&applied);
        }
        Err(diagnostics) => check_spans(text, &diagnostics),
    }
    let mut switchable = workforce().clone();
    match fulcrum_model::changes::switchable(&mut switchable, &changes) {
        Ok(_) => {
            let _ = fulcrum_model::resolve(&switchable);
        }
        Err(diagnostics) => check_spans(text, &diagnostics),
    }
}

/// The model the seed experiments name.
const WORKFORCE: &str = include_str!("../../models/workforce/model.toml");

fn workforce() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| match fulcrum_model::native::read(WORKFORCE) {
        Ok((model, diagnostics)) if !diagnostics.has_errors() => model,
        _ => panic!("the workforce model reads"),
    })
}

/// The experiment reader; what reads is planned against the workforce model, as `fulcrum sweep`
/// does, and a few rows of its design are drawn.
pub fn plan_experiment(text: &str) {
    let (experiment, diagnostics) = match fulcrum_explore::experiment::read(text) {
        Ok(read) => read,
        Err(diagnostics) => return check_spans(text, &diagnostics),
    };
    check_spans(text, &diagnostics);
    if diagnostics.has_errors() {
        return;
    }
    let mut model = workforce().clone();
    model.sim = match experiment.sim_specs(&model.sim) {
        Ok(sim) => sim,
        Err(diagnostics) => return check_spans(text, &diagnostics),
    };
    let Ok(resolved) = fulcrum_model::resolve(&model) else { return };
    let changing =
        experiment.changing_constants(model.sim.start).into_iter().filter_map(|name| resolved.lookup(name)).collect();
    let Ok(compiled) = compile_with(&resolved, &CompileOptions { changing_constants: changing, needed: None }) else {
        return;
    };
    let (plan, warnings) = match experiment.plan(&compiled) {
        Ok(planned) => planned,
        Err(diagnostics) => return check_spans(text, &diagnostics),
    };
    check_spans(text, &warnings);
    let design = &plan.design;
    let mut values = vec![0.0; design.factors.len()];
    let runs = design.runs();
    for run in [0, 1, runs / 2, runs.saturating_sub(1)] {
        if run < runs {
            design.row(run, &mut values);
        }
    }
}

/// Every diagnostic points into the text it was reported for, on character boundaries, so that
/// rendering it with a caret under the span cannot fail.
pub fn check_spans(text: &str, diagnostics: &Diagnostics) {
    for diagnostic in &diagnostics.0 {
        let spans = diagnostic.span.iter().chain(diagnostic.related.iter().map(|(span, _)| span));
        for &span in spans {
            check_span(text, span, &diagnostic.message);
        }
    }
}

/// One span lies within `text` and starts and ends on character boundaries.
pub fn check_span(text: &str, span: Span, message: &str) {
    assert!(
        span.start() <= span.end() && text.get(span.start()..span.end()).is_some(),
        "span {}..{} is not within the {}-byte text on character boundaries: {message}",
        span.start(),
        span.end(),
        text.len(),
    );
}

/// Shortens the time axis to at most [`MAX_STEPS`] steps; an axis the compiler would reject is
/// left for it to reject.
pub fn clamp_time(model: &mut Model) {
    let sim = &mut model.sim;
    if (sim.stop - sim.start) / sim.dt > MAX_STEPS {
        sim.stop = sim.start + MAX_STEPS * sim.dt;
    }
}

/// Reads a model as XMILE if it looks like XML, else as a native model; then, like `fulcrum run`,
/// resolves it, and compiles and runs it (on a short time axis) if nothing was wrong.
pub fn read_and_run(text: &str) {
    let xml = text.trim_start().starts_with('<');
    let read = if xml { fulcrum_xmile::read(text) } else { fulcrum_model::native::read(text) };
    let (mut model, diagnostics) = match read {
        Ok(read) => read,
        Err(diagnostics) => return check_spans(text, &diagnostics),
    };
    check_spans(text, &diagnostics);
    clamp_time(&mut model);
    let resolved = match fulcrum_model::resolve(&model) {
        Ok(resolved) => resolved,
        Err(diagnostics) => return check_spans(text, &diagnostics),
    };
    check_spans(text, &resolved.warnings);
    if diagnostics.has_errors() {
        return;
    }
    if let Ok(compiled) = fulcrum_sim::compile(&resolved) {
        // A run that fails (NaN, results too large) reports it as a value; only panics matter.
        let _ = compiled.new_run().run();
    }
}
