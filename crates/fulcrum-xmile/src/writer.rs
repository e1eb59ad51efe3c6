//! A [`Model`] → XMILE 1.0 text that Stella opens and [`crate::read`] reads back to the same
//! model: the header, `<sim_specs>` (with Stella's save interval), `<dimensions>`, and one
//! `<stock>`, `<flow>`, `<aux>` or `<gf>` per variable with its units, documentation,
//! dimensions, per-element equations and graphical functions. Equations are written as fulcrum
//! holds them, which is XMILE's expression language. A model with Vensim's conventions says so in
//! a vendor element of the header (`<fulcrum:dialect>`), which other tools ignore; so does a model
//! that runs in Vensim's single precision (`<fulcrum:precision>`).

use std::fmt::Write as _;

use fulcrum_model::{
    Code, Conveyor, Diagnostic, Dialect, ElementDefinition, GraphicalFunction, Method, Model, Precision, Spread,
    Variable, VariableKind,
};

const XMILE_NAMESPACE: &str = "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0";
/// Stella's namespace, for its save interval.
const ISEE_NAMESPACE: &str = "http://iseesystems.com/XMILE";
/// fulcrum's own vendor elements.
const FULCRUM_NAMESPACE: &str = "urn:fulcrum:xmile";

/// What XMILE cannot hold of this model, one diagnostic each: time settings computed during
/// the run (XMILE's `<sim_specs>` holds numbers only). [`write`] would write their numbers,
/// which the model does not use; check this first.
pub fn unwritable(model: &Model) -> Vec<Diagnostic> {
    let spans = &model.sim.spans;
    model
        .sim
        .computed
        .iter()
        .map(|(key, variable)| {
            let span = match key {
                "stop" => spans.stop,
                "dt" => spans.dt,
                _ => spans.save_step,
            };
            Diagnostic::new(
                Code::Unsupported,
                format!("{key} is computed during the run by `{variable}`, which XMILE's sim specs cannot express"),
            )
            .at(span)
            .on_variable(variable)
            .with_help("convert to TOML (`-o model.toml`), which keeps it, or give the setting as a number")
        })
        .collect()
}

/// Writes the model as an XMILE document.
pub fn write(model: &Model) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = writeln!(
        out,
        "<xmile version=\"1.0\" xmlns=\"{XMILE_NAMESPACE}\" xmlns:isee=\"{ISEE_NAMESPACE}\" \
         xmlns:fulcrum=\"{FULCRUM_NAMESPACE}\">"
    );
    out.push_str("  <header>\n");
    if let Some(name) = &model.name {
        element(&mut out, 4, "name", name);
    }
    element(&mut out, 4, "vendor", "fulcrum");
    let _ = writeln!(out, "    <product version=\"{}\">fulcrum</product>", env!("CARGO_PKG_VERSION"));
    options(&mut out, model);
    if model.dialect == Dialect::Vensim {
        element(&mut out, 4, "fulcrum:dialect", model.dialect.as_str());
    }
    // XMILE has no word for the arithmetic's precision: a vendor element keeps Vensim's single
    // precision, which other tools ignore (they run in double precision).
    if model.sim.precision != Precision::Double {
        element(&mut out, 4, "fulcrum:precision", model.sim.precision.as_str());
    }
    out.push_str("  </header>\n");
    sim_specs(&mut out, model);
    if !model.unit_definitions.is_empty() {
        out.push_str("  <model_units>\n");
        for unit in &model.unit_definitions {
            let disabled = if unit.disabled { " disabled=\"true\"" } else { "" };
            let _ = writeln!(out, "    <unit name=\"{}\"{disabled}>", escape(&unit.name));
            if let Some(equation) = &unit.equation {
                element(&mut out, 6, "eqn", equation);
            }
            for alias in &unit.aliases {
                element(&mut out, 6, "alias", alias);
            }
            out.push_str("    </unit>\n");
        }
        out.push_str("  </model_units>\n");
    }
    if !model.dimensions.is_empty() {
        out.push_str("  <dimensions>\n");
        for dimension in &model.dimensions {
            let _ = writeln!(out, "    <dim name=\"{}\">", escape(&dimension.name));
            for name in &dimension.elements {
                let _ = writeln!(out, "      <elem name=\"{}\"/>", escape(name));
            }
            out.push_str("    </dim>\n");
        }
        out.push_str("  </dimensions>\n");
    }
    out.push_str("  <model>\n");
    if let Some(doc) = &model.doc {
        element(&mut out, 4, "doc", doc);
    }
    out.push_str("    <variables>\n");
    for variable in &model.variables {
        write_variable(&mut out, variable);
    }
    out.push_str("    </variables>\n  </model>\n</xmile>\n");
    out
}

/// The header's `<options>`: XMILE 2.2.1 requires a file to list the optional features it uses
/// (of those fulcrum writes: conveyors, with arrest and leaks; queues, with overflows; arrays,
/// with the most dimensions of any variable).
fn options(out: &mut String, model: &Model) {
    let variables = &model.variables;
    let conveyors: Vec<&Conveyor> = variables.iter().filter_map(|v| v.conveyor.as_ref()).collect();
    let queues = variables.iter().any(|v| v.queue.is_some());
    let dimensions = variables.iter().map(|v| v.dimensions.len()).max().unwrap_or(0);
    if conveyors.is_empty() && !queues && dimensions == 0 {
        return;
    }
    out.push_str("    <options>\n");
    if !conveyors.is_empty() {
        let arrest = conveyors.iter().any(|c| c.arrest.is_some());
        let leak = variables.iter().any(|v| v.leak.is_some());
        let _ = writeln!(out, "      <uses_conveyor arrest=\"{arrest}\" leak=\"{leak}\"/>");
    }
    if queues {
        let overflow = variables.iter().any(|v| v.overflow);
        let _ = writeln!(out, "      <uses_queue overflow=\"{overflow}\"/>");
    }
    if dimensions > 0 {
        let _ = writeln!(out, "      <uses_arrays maximum_dimensions=\"{dimensions}\"/>");
    }
    out.push_str("    </options>\n");
}

fn sim_specs(out: &mut String, model: &Model) {
    let sim = &model.sim;
    let method = match sim.method {
        Method::Euler => "Euler",
        Method::Rk2 => "RK2",
        Method::Rk4 => "RK4",
    };
    let _ = write!(out, "  <sim_specs method=\"{method}\"");
    if let Some(units) = &sim.time_units {
        let _ = write!(out, " time_units=\"{}\"", escape(units));
    }
    if let Some(save) = sim.save_step {
        let _ = write!(out, " isee:save_interval=\"{}\"", number(save));
    }
    out.push_str(">\n");
    element(out, 4, "start", &number(sim.start));
    element(out, 4, "stop", &number(sim.stop));
    element(out, 4, "dt", &number(sim.dt));
    out.push_str("  </sim_specs>\n");
}

fn write_variable(out: &mut String, variable: &Variable) {
    let tag = match variable.kind {
        VariableKind::Stock { .. } => "stock",
        VariableKind::Flow { .. } => "flow",
        VariableKind::Auxiliary => "aux",
        VariableKind::GraphicalFunction => "gf",
    };
    // A standalone table is the <gf> itself, with its type; an embedded one is a <gf> inside.
    let standalone = variable.graph.as_ref().filter(|_| variable.kind == VariableKind::GraphicalFunction);
    let mut kind = standalone.map(|graph| format!(" type=\"{}\"", graph.kind.as_str())).unwrap_or_default();
    // A leak's zone is written on its flow (XMILE 4.3).
    if let Some(leak) = &variable.leak {
        if leak.zone_start != 0.0 {
            let _ = write!(kind, " leak_start=\"{}\"", number(leak.zone_start));
        }
        if leak.zone_end != 1.0 {
            let _ = write!(kind, " leak_end=\"{}\"", number(leak.zone_end));
        }
    }
    // Stella's placement of a conveyor inflow, in its own namespace.
    if variable.spread != Spread::Beginning {
        let _ = write!(kind, " isee:spreadflow=\"{}\"", variable.spread.word());
    }
    let _ = writeln!(out, "      <{tag} name=\"{}\"{kind}>", escape(&name(&variable.name)));
    if !variable.dimensions.is_empty() {
        out.push_str("        <dimensions>\n");
        for dimension in &variable.dimensions {
            let _ = writeln!(out, "          <dim name=\"{}\"/>", escape(dimension));
        }
        out.push_str("        </dimensions>\n");
    }
    if let Some(equation) = &variable.equation {
        element(out, 8, "eqn", &equation.text);
    }
    for definition in &variable.elements {
        write_element(out, definition);
    }
    match &variable.kind {
        VariableKind::Stock { inflows, outflows, non_negative } => {
            for inflow in inflows {
                element(out, 8, "inflow", &name(&inflow.name));
            }
            for outflow in outflows {
                element(out, 8, "outflow", &name(&outflow.name));
            }
            non_negative_flag(out, *non_negative);
            if let Some(conveyor) = &variable.conveyor {
                write_conveyor(out, conveyor);
            }
            if variable.queue.is_some() {
                out.push_str("        <queue/>\n");
            }
        }
        VariableKind::Flow { non_negative } => {
            non_negative_flag(out, *non_negative);
            if let Some(leak) = &variable.leak {
                match &leak.fraction {
                    Some(fraction) => element(out, 8, "leak", &fraction.text),
                    None => out.push_str("        <leak/>\n"),
                }
                if leak.integers {
                    out.push_str("        <leak_integers/>\n");
                }
            }
            if variable.overflow {
                out.push_str("        <overflow/>\n");
            }
            // A profile spread names its graphical function as Stella writes it.
            if let Spread::Profile(profile) = &variable.spread {
                element(out, 8, "isee:distrib_eq", &name(profile));
            }
            // A vendor element: a whole-step move (Vensim's SHIFT IF TRUE) stays refused under
            // Runge-Kutta when the model is read back.
            if variable.whole_step {
                out.push_str("        <fulcrum:whole_step/>\n");
            }
        }
        VariableKind::Auxiliary | VariableKind::GraphicalFunction => {}
    }
    match (standalone, &variable.graph) {
        (Some(graph), _) => graph_points(out, 8, graph),
        (None, Some(graph)) => write_graph(out, 8, graph),
        (None, None) => {}
    }
    if let Some(units) = &variable.units {
        element(out, 8, "units", units);
    }
    if let Some(doc) = &variable.doc {
        element(out, 8, "doc", doc);
    }
    let _ = writeln!(out, "      </{tag}>");
}

/// A conveyor's `<conveyor>` (XMILE 4.2.1): its options as attributes, its equations inside.
fn write_conveyor(out: &mut String, conveyor: &Conveyor) {
    out.push_str("        <conveyor");
    for (attribute, set, default) in [
        ("discrete", conveyor.discrete, false),
        ("exponential_leak", conveyor.exponential_leak, false),
        ("variable_speed", conveyor.variable_speed, false),
        ("batch_integrity", conveyor.batch_integrity, false),
        ("one_at_a_time", conveyor.one_at_a_time, true),
    ] {
        if set != default {
            let _ = write!(out, " {attribute}=\"{set}\"");
        }
    }
    out.push_str(">\n");
    for (tag, equation) in [
        ("len", &conveyor.transit_time),
        ("capacity", &conveyor.capacity),
        ("in_limit", &conveyor.inflow_limit),
        ("sample", &conveyor.sample),
        ("arrest", &conveyor.arrest),
    ] {
        if let Some(equation) = equation {
            element(out, 10, tag, &equation.text);
        }
    }
    out.push_str("        </conveyor>\n");
}

/// XMILE's default for stocks and flows is non-negative when a file's `<behavior>` says so and
/// not otherwise; this file has no `<behavior>`, so each says what it is.
fn non_negative_flag(out: &mut String, non_negative: bool) {
    if non_negative {
        out.push_str("        <non_negative/>\n");
    }
}

fn write_element(out: &mut String, definition: &ElementDefinition) {
    let _ = writeln!(out, "        <element subscript=\"{}\">", escape(&definition.subscript.join(", ")));
    if let Some(equation) = &definition.equation {
        element(out, 10, "eqn", &equation.text);
    }
    if let Some(graph) = &definition.graph {
        write_graph(out, 10, graph);
    }
    out.push_str("        </element>\n");
}

fn write_graph(out: &mut String, indent: usize, graph: &GraphicalFunction) {
    let pad = " ".repeat(indent);
    let _ = writeln!(out, "{pad}<gf type=\"{}\">", graph.kind.as_str());
    graph_points(out, indent + 2, graph);
    let _ = writeln!(out, "{pad}</gf>");
}

fn graph_points(out: &mut String, indent: usize, graph: &GraphicalFunction) {
    let list = |values: &[f64]| values.iter().map(|v| number(*v)).collect::<Vec<_>>().join(",");
    element(out, indent, "xpts", &list(&graph.x));
    element(out, indent, "ypts", &list(&graph.y));
}

fn element(out: &mut String, indent: usize, tag: &str, text: &str) {
    let close = tag.split_whitespace().next().unwrap_or(tag);
    let _ = writeln!(out, "{}<{tag}>{}</{close}>", " ".repeat(indent), escape(text));
}

/// The shortest text that reads back as the same number (an exponent for very large or small
/// magnitudes, where plain digits would run long).
fn number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-5..1e16).contains(&magnitude) {
        format!("{value:e}")
    } else if value == 0.0 && value.is_sign_negative() {
        "-0.0".to_owned()
    } else {
        format!("{value}")
    }
}

/// A variable's name as the reader takes it back: a backslash doubled, since `\n` in a name
/// stands for a line break.
fn name(name: &str) -> String {
    name.replace('\\', "\\\\")
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\n' => escaped.push_str("&#10;"),
            '\r' => escaped.push_str("&#13;"),
            '\t' => escaped.push_str("&#9;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use fulcrum_model::{Dialect, native};

    /// A model with every part the writer knows: arrays with per-element equations and tables,
    /// standalone and embedded tables of each kind, non-negative stocks and flows, units and
    /// documentation with characters XML escapes, a save interval, RK4 and Vensim's conventions.
    const MODEL: &str = r#"
[model]
name = "Shop <& Co>"
doc = "Orders \"in\" and out"
dialect = "vensim"
[sim]
start = 0
stop = 12
dt = 0.25
save_step = 0.5
method = "rk4"
precision = "single"
time_units = "months"
[[dimension]]
name = "Region"
elements = ["North", "South"]
[[stock]]
name = "Backlog"
dimensions = ["Region"]
initial = 10
inflows = ["Orders"]
outflows = ["Shipments"]
non_negative = true
units = "widgets"
[[flow]]
name = "Orders"
dimensions = ["Region"]
equation = "Demand(TIME)"
[flow.elements]
"South" = "2 * Demand(TIME)"
[[flow]]
name = "Shipments"
dimensions = ["Region"]
equation = "Backlog / Delay"
non_negative = true
[[constant]]
name = "Delay"
value = 1.5e-7
min = 0
max = 1
[[auxiliary]]
name = "Effect"
equation = "TIME / 12"
graph = { x = [0, 0.5, 1], y = [1, 0.8, -0.0], type = "extrapolate" }
[[graphical_function]]
name = "Demand"
dimensions = ["Region"]
[graphical_function.elements]
"North" = { graph = { x = [0, 12], y = [3, 4], type = "discrete" } }
"South" = { graph = { x = [0, 12], y = [1e20, 2] } }
"#;

    #[test]
    fn written_xmile_reads_back_to_the_same_model() {
        let (model, diagnostics) = native::read(MODEL).expect("reads");
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        assert_eq!(model.dialect, Dialect::Vensim);
        assert_eq!(model.sim.precision, fulcrum_model::Precision::Single);
        let xmile = super::write(&model);
        assert!(xmile.contains("<fulcrum:precision>single</fulcrum:precision>"), "{xmile}");
        let (again, diagnostics) = crate::read(&xmile).unwrap_or_else(|d| panic!("{d:?}\n{xmile}"));
        assert!(diagnostics.0.is_empty(), "{diagnostics:?}\n{xmile}");
        // The native format holds every field a model has; the same text means the same model.
        let (mut before, mut after) = (native::write(&model), native::write(&again));
        // The documented range of a constant has no place in XMILE's equations.
        before = before.replace("min = 0\nmax = 1\n", "");
        after = after.replace("min = 0\nmax = 1\n", "");
        assert_eq!(after, before, "{xmile}");
    }

    /// Conveyors with every option, leaks with zones and whole numbers, a spread inflow, a queue
    /// and its overflow, as the TOML format writes them.
    const BELTS: &str = r#"
[sim]
start = 0
stop = 8
dt = 0.5
[[stock]]
name = "Waiting"
initial = 3
inflows = ["arriving"]
outflows = ["boarding", "turned away"]
queue = true
[[stock]]
name = "Belt"
initial = 4
inflows = ["boarding"]
outflows = ["leaving", "spilling", "dropping"]
conveyor = { transit_time = "2 + TIME / 10", capacity = 12, inflow_limit = "3 * 2", sample = "TIME < 4", arrest = "TIME = 6", discrete = true, exponential_leak = true, batch_integrity = true, one_at_a_time = false }
[[flow]]
name = "arriving"
equation = 2
[[flow]]
name = "boarding"
spread = "even"
[[flow]]
name = "turned away"
overflow = true
[[flow]]
name = "leaving"
[[flow]]
name = "spilling"
leak = { fraction = "0.1 * 2", zone_start = 0.25, zone_end = 0.75, integers = true }
[[flow]]
name = "dropping"
leak = { fraction = 0.05 }
"#;

    #[test]
    fn conveyors_and_queues_are_written_and_read_back_whole() {
        let (model, diagnostics) = native::read(BELTS).expect("reads");
        assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
        let xmile = super::write(&model);
        let (again, diagnostics) = crate::read(&xmile).unwrap_or_else(|d| panic!("{d:?}\n{xmile}"));
        assert!(diagnostics.0.is_empty(), "{diagnostics:?}\n{xmile}");
        // Every option survives: the TOML written from either model is the same text, and it
        // holds what the file above gave.
        let text = native::write(&again);
        assert_eq!(text, native::write(&model), "{xmile}");
        for expected in [
            "queue = true",
            "overflow = true",
            "conveyor = { transit_time = \"2 + TIME / 10\", capacity = 12, inflow_limit = \"3 * 2\", \
             sample = \"TIME < 4\", arrest = \"TIME = 6\", discrete = true, exponential_leak = true, \
             batch_integrity = true, one_at_a_time = false }",
            "leak = { fraction = \"0.1 * 2\", zone_start = 0.25, zone_end = 0.75, integers = true }",
            "leak = { fraction = 0.05 }",
            "spread = \"even\"",
        ] {
            assert!(text.contains(expected), "{expected}\n{text}");
        }
    }

    #[test]
    fn written_xmile_lists_the_optional_features_it_uses() {
        let options = |toml: &str| -> Vec<String> {
            let (model, _) = native::read(toml).expect("reads");
            let xmile = super::write(&model);
            let document = roxmltree::Document::parse(&xmile).expect("well-formed XML");
            let header = document.root_element().children().find(|c| c.has_tag_name("header")).expect("a header");
            let Some(options) = header.children().find(|c| c.has_tag_name("options")) else { return Vec::new() };
            options
                .children()
                .filter(roxmltree::Node::is_element)
                .map(|c| {
                    let attributes: Vec<String> =
                        c.attributes().map(|a| format!(" {}={}", a.name(), a.value())).collect();
                    format!("{}{}", c.tag_name().name(), attributes.concat())
                })
                .collect()
        };
        assert_eq!(options(BELTS), ["uses_conveyor arrest=true leak=true", "uses_queue overflow=true"]);
        assert_eq!(options(MODEL), ["uses_arrays maximum_dimensions=1"]);
        let plain = "[sim]\nstart = 0\nstop = 1\ndt = 1\n[[constant]]\nname = \"x\"\nvalue = 1\n";
        assert!(options(plain).is_empty());
    }

    /// The document follows XMILE 1.0's structure: the root in the standard's namespace with
    /// version 1.0; a header with vendor and product; sim_specs with start, stop and dt; every
    /// variable a stock, flow, aux or gf with a name, inside model/variables.
    #[test]
    fn written_xmile_has_the_standards_structure() {
        let (model, _) = native::read(MODEL).expect("reads");
        let xmile = super::write(&model);
        let document = roxmltree::Document::parse(&xmile).expect("well-formed XML");
        let root = document.root_element();
        assert_eq!(root.tag_name().namespace(), Some(super::XMILE_NAMESPACE));
        assert_eq!((root.tag_name().name(), root.attribute("version")), ("xmile", Some("1.0")));
        let tags = |node: roxmltree::Node<'_, '_>| -> Vec<String> {
            node.children().filter(roxmltree::Node::is_element).map(|c| c.tag_name().name().to_owned()).collect()
        };
        assert_eq!(tags(root), ["header", "sim_specs", "dimensions", "model"]);
        fn child<'a, 'input>(node: roxmltree::Node<'a, 'input>, name: &str) -> roxmltree::Node<'a, 'input> {
            node.children().find(|c| c.tag_name().name() == name).unwrap_or_else(|| panic!("no <{name}>"))
        }
        let header = child(root, "header");
        assert!(["vendor", "product"].iter().all(|tag| tags(header).iter().any(|t| t == tag)));
        assert_eq!(tags(child(root, "sim_specs")), ["start", "stop", "dt"]);
        let variables = child(child(root, "model"), "variables");
        for variable in variables.children().filter(roxmltree::Node::is_element) {
            assert!(["stock", "flow", "aux", "gf"].contains(&variable.tag_name().name()), "{variable:?}");
            assert!(variable.attribute("name").is_some());
            assert!(variable.tag_name().namespace() == Some(super::XMILE_NAMESPACE));
        }
        assert_eq!(tags(variables), ["stock", "flow", "flow", "aux", "aux", "gf"]);
    }

    #[test]
    fn time_settings_computed_during_the_run_are_named_as_unwritable() {
        let mut model = fulcrum_model::builder::ModelBuilder::new(0.0, 10.0, 1.0)
            .aux("FINAL TIME", "IF TIME < 5 THEN 10 ELSE 50")
            .aux("TIME STEP", "IF TIME < 4 THEN 1 ELSE 0.5")
            .build();
        assert!(super::unwritable(&model).is_empty());
        model.sim.computed.stop = Some("FINAL TIME".to_owned());
        model.sim.computed.dt = Some("TIME STEP".to_owned());
        let messages: Vec<String> = super::unwritable(&model).into_iter().map(|d| d.message).collect();
        assert_eq!(
            messages,
            [
                "stop is computed during the run by `FINAL TIME`, which XMILE's sim specs cannot express",
                "dt is computed during the run by `TIME STEP`, which XMILE's sim specs cannot express",
            ]
        );
    }
}
