//! Writing a model in the native format: what `fulcrum convert` produces from XMILE, so that an
//! exported model can live in git.

use std::fmt::Write as _;

use crate::model::{
    Conveyor, Dialect, ElementDefinition, Equation, GraphKind, GraphicalFunction, Leak, Method, Model, Precision,
    Spread, Variable, VariableKind,
};
use crate::syntax::format_number;

/// The model as a native TOML file. Reading it back gives the same model.
pub fn write(model: &Model) -> String {
    let mut out = String::new();
    if model.name.is_some() || model.doc.is_some() || model.dialect != Dialect::Xmile {
        out.push_str("[model]\n");
        optional(&mut out, "name", model.name.as_deref());
        optional(&mut out, "doc", model.doc.as_deref());
        if model.dialect != Dialect::Xmile {
            line(&mut out, "dialect", &string(model.dialect.as_str()));
        }
        out.push('\n');
    }
    let sim = &model.sim;
    out.push_str("[sim]\n");
    line(&mut out, "start", &number(sim.start));
    // A setting computed during the run names its variable.
    let setting = |computed: &Option<String>, value: f64| computed.as_deref().map_or_else(|| number(value), string);
    line(&mut out, "stop", &setting(&sim.computed.stop, sim.stop));
    line(&mut out, "dt", &setting(&sim.computed.dt, sim.dt));
    if sim.method != Method::Euler {
        line(&mut out, "method", &string(sim.method.as_str()));
    }
    if sim.precision != Precision::Double {
        line(&mut out, "precision", &string(sim.precision.as_str()));
    }
    optional(&mut out, "time_units", sim.time_units.as_deref());
    if let Some(date) = sim.start_date {
        line(&mut out, "start_date", &string(&date.to_string()));
    }
    if let Some(variable) = &sim.computed.save_step {
        line(&mut out, "save_step", &string(variable));
    } else if let Some(save_step) = sim.save_step {
        line(&mut out, "save_step", &number(save_step));
    }
    for dimension in &model.dimensions {
        out.push_str("\n[[dimension]]\n");
        line(&mut out, "name", &string(&dimension.name));
        line(&mut out, "elements", &list(dimension.elements.iter().map(|e| string(e))));
    }
    for unit in model.unit_definitions.iter().filter(|unit| !unit.disabled) {
        out.push_str("\n[[unit]]\n");
        line(&mut out, "name", &string(&unit.name));
        optional(&mut out, "equation", unit.equation.as_deref());
        if !unit.aliases.is_empty() {
            line(&mut out, "aliases", &list(unit.aliases.iter().map(|a| string(a))));
        }
    }
    for variable in &model.variables {
        out.push('\n');
        write_variable(&mut out, variable);
    }
    out
}

fn write_variable(out: &mut String, variable: &Variable) {
    let section = match &variable.kind {
        VariableKind::Stock { .. } => "stock",
        VariableKind::Flow { .. } => "flow",
        VariableKind::GraphicalFunction => "graphical_function",
        VariableKind::Auxiliary if variable.is_constant() => "constant",
        VariableKind::Auxiliary => "auxiliary",
    };
    let _ = writeln!(out, "[[{section}]]");
    line(out, "name", &string(&variable.name));
    if !variable.dimensions.is_empty() {
        line(out, "dimensions", &list(variable.dimensions.iter().map(|d| string(d))));
    }
    match &variable.kind {
        VariableKind::Stock { inflows, outflows, non_negative } => {
            if let Some(equation) = &variable.equation {
                line(out, "initial", &equation_value(equation));
            }
            if !inflows.is_empty() {
                line(out, "inflows", &list(inflows.iter().map(|l| string(&l.name))));
            }
            if !outflows.is_empty() {
                line(out, "outflows", &list(outflows.iter().map(|l| string(&l.name))));
            }
            if *non_negative {
                line(out, "non_negative", "true");
            }
            if let Some(conveyor) = &variable.conveyor {
                line(out, "conveyor", &conveyor_value(conveyor));
            }
            if variable.queue.is_some() {
                line(out, "queue", "true");
            }
        }
        VariableKind::Flow { non_negative } => {
            equation_and_graph(out, variable);
            if *non_negative {
                line(out, "non_negative", "true");
            }
            if let Some(leak) = &variable.leak {
                line(out, "leak", &leak_value(leak));
            }
            if variable.overflow {
                line(out, "overflow", "true");
            }
            match &variable.spread {
                Spread::Beginning => {}
                Spread::Profile(profile) => line(out, "spread", &format!("{{ profile = {} }}", string(profile))),
                spread => line(out, "spread", &format!("\"{}\"", spread.word())),
            }
            if variable.whole_step {
                line(out, "whole_step", "true");
            }
        }
        VariableKind::Auxiliary if section == "constant" => {
            if let Some(equation) = &variable.equation {
                line(out, "value", &equation_value(equation));
            }
            if let Some((min, max)) = variable.range {
                line(out, "min", &number(min));
                line(out, "max", &number(max));
            }
        }
        VariableKind::Auxiliary => equation_and_graph(out, variable),
        VariableKind::GraphicalFunction => {
            if let Some(graph) = &variable.graph {
                graph_keys(out, graph);
            }
        }
    }
    optional(out, "units", variable.units.as_deref());
    optional(out, "doc", variable.doc.as_deref());
    if !variable.elements.is_empty() {
        let _ = writeln!(out, "[{section}.elements]");
        for element in &variable.elements {
            line(out, &string(&element.subscript.join(", ")), &element_value(element));
        }
    }
}

/// A conveyor's options as an inline table: its equations, then the flags that differ from the
/// defaults.
fn conveyor_value(conveyor: &Conveyor) -> String {
    let mut parts = Vec::new();
    for (key, equation) in [
        ("transit_time", &conveyor.transit_time),
        ("capacity", &conveyor.capacity),
        ("inflow_limit", &conveyor.inflow_limit),
        ("sample", &conveyor.sample),
        ("arrest", &conveyor.arrest),
    ] {
        if let Some(equation) = equation {
            parts.push(format!("{key} = {}", equation_value(equation)));
        }
    }
    for (key, set, default) in [
        ("discrete", conveyor.discrete, false),
        ("exponential_leak", conveyor.exponential_leak, false),
        ("variable_speed", conveyor.variable_speed, false),
        ("batch_integrity", conveyor.batch_integrity, false),
        ("one_at_a_time", conveyor.one_at_a_time, true),
    ] {
        if set != default {
            parts.push(format!("{key} = {set}"));
        }
    }
    format!("{{ {} }}", parts.join(", "))
}

/// A leakage flow's options as an inline table.
fn leak_value(leak: &Leak) -> String {
    let mut parts = Vec::new();
    if let Some(fraction) = &leak.fraction {
        parts.push(format!("fraction = {}", equation_value(fraction)));
    }
    if leak.zone_start != 0.0 {
        parts.push(format!("zone_start = {}", number(leak.zone_start)));
    }
    if leak.zone_end != 1.0 {
        parts.push(format!("zone_end = {}", number(leak.zone_end)));
    }
    if leak.integers {
        parts.push("integers = true".to_owned());
    }
    format!("{{ {} }}", parts.join(", "))
}

fn equation_and_graph(out: &mut String, variable: &Variable) {
    if let Some(equation) = &variable.equation {
        line(out, "equation", &equation_value(equation));
    }
    if let Some(graph) = &variable.graph {
        line(out, "graph", &inline_graph(graph));
    }
}

fn element_value(element: &ElementDefinition) -> String {
    let equation = element.equation.as_ref().map(equation_value);
    match (&element.graph, equation) {
        (None, Some(equation)) => equation,
        (graph, equation) => {
            let mut parts = Vec::new();
            if let Some(equation) = equation {
                parts.push(format!("equation = {equation}"));
            }
            if let Some(graph) = graph {
                parts.push(format!("graph = {}", inline_graph(graph)));
            }
            format!("{{ {} }}", parts.join(", "))
        }
    }
}

fn graph_keys(out: &mut String, graph: &GraphicalFunction) {
    line(out, "x", &list(graph.x.iter().map(|x| number(*x))));
    line(out, "y", &list(graph.y.iter().map(|y| number(*y))));
    if graph.kind != GraphKind::Continuous {
        line(out, "type", &string(graph.kind.as_str()));
    }
}

fn inline_graph(graph: &GraphicalFunction) -> String {
    let mut parts = vec![
        format!("x = {}", list(graph.x.iter().map(|x| number(*x)))),
        format!("y = {}", list(graph.y.iter().map(|y| number(*y)))),
    ];
    if graph.kind != GraphKind::Continuous {
        parts.push(format!("type = {}", string(graph.kind.as_str())));
    }
    format!("{{ {} }}", parts.join(", "))
}

/// A plain number is written as a TOML number, anything else as a string.
fn equation_value(equation: &Equation) -> String {
    match equation.literal_value() {
        Some(value) if value.is_finite() => number(value),
        _ => string(equation.text.trim()),
    }
}

fn line(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(out, "{key} = {value}");
}

fn optional(out: &mut String, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        line(out, key, &string(value));
    }
}

fn list(items: impl Iterator<Item = String>) -> String {
    format!("[{}]", items.collect::<Vec<_>>().join(", "))
}

/// A number as TOML writes it: an integer when it is one, else the shortest exact decimal.
/// Negative zero is written `-0.0`, since the integer `-0` reads back as zero.
fn number(value: f64) -> String {
    if value == 0.0 && value.is_sign_negative() {
        "-0.0".to_owned()
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format_number(value)
    }
}

/// A TOML string: a literal one ('...') when the text allows, so equations stay readable;
/// otherwise a basic one with escapes.
fn string(text: &str) -> String {
    let literal_ok = !text.contains('\'') && !text.chars().any(|c| c.is_control() && c != '\t');
    if literal_ok && text.contains(['"', '\\']) {
        return format!("'{text}'");
    }
    toml::Value::String(text.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::ModelBuilder;
    use crate::diagnostic::Code;

    #[test]
    fn unit_definitions_are_written_and_read_back() {
        let text = "[sim]\nstart = 0\nstop = 1\ndt = 1\n\n[[unit]]\nname = \"FTE\"\nequation = \"person\"\n\
                    aliases = [\"full-time equivalent\"]\n\n[[unit]]\nname = \"widget\"\n";
        let (model, diagnostics) = crate::native::read(text).unwrap();
        assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
        let (again, diagnostics) = crate::native::read(&write(&model)).unwrap();
        assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
        let shape = |model: &Model| -> Vec<(String, Option<String>, Vec<String>)> {
            model.unit_definitions.iter().map(|u| (u.name.clone(), u.equation.clone(), u.aliases.clone())).collect()
        };
        assert_eq!(
            shape(&model),
            [
                ("FTE".to_owned(), Some("person".to_owned()), vec!["full-time equivalent".to_owned()]),
                ("widget".to_owned(), None, vec![])
            ]
        );
        assert_eq!(shape(&again), shape(&model));
    }

    fn without_spans(kind: &VariableKind) -> VariableKind {
        let mut kind = kind.clone();
        if let VariableKind::Stock { inflows, outflows, .. } = &mut kind {
            inflows.iter_mut().chain(outflows.iter_mut()).for_each(|link| link.span = None);
        }
        kind
    }

    #[test]
    fn writing_then_reading_gives_the_same_model() {
        let mut model = ModelBuilder::new(0.0, 12.0, 0.25)
            .method(Method::Rk4)
            .dialect(Dialect::Vensim)
            .dimension("Region", &["North", "South"])
            .stock("Staff", "Target * 2", &["Hiring"], &[])
            .over(&["Region"])
            .flow("Hiring", "MAX(0, \"Target\" - Staff) / 3")
            .over(&["Region"])
            .aux("Target", "0")
            .over(&["Region"])
            .element(&["North"], "10")
            .element(&["South"], "20")
            .constant("Rate", 0.125)
            .aux("Quoted", "IF Staff[North] > 1 THEN 'x' ELSE 2")
            .graph("Effect", GraphKind::Discrete, &[0.0, 1.0], &[1.0, 1.0])
            .build();
        model.name = Some("Line\nbreak \"and quotes\"".to_owned());
        model.sim.save_step = Some(1.0);
        model.sim.precision = Precision::Single;
        model.variables[3].range = Some((0.0, 1.0));
        let text = write(&model);
        let (read, diagnostics) = crate::native::read(&text).unwrap_or_else(|d| panic!("{d:?}\n{text}"));
        // The writer's text reads back without a single finding, and the model it gives resolves
        // to the same findings as the one written: here, that `Quoted`, whose `'x'` is not an
        // expression, does not parse (its text is written as it was, quotes and all).
        assert_eq!(diagnostics.0, [], "{text}");
        let findings = |model: &Model| -> Vec<(Code, String)> {
            match crate::resolve(model) {
                Ok(resolved) => resolved.warnings.0,
                Err(diagnostics) => diagnostics.0,
            }
            .into_iter()
            .map(|d| (d.code, d.message))
            .collect()
        };
        let expected = vec![(Code::EquationSyntax, "syntax error in the equation of `Quoted`".to_owned())];
        assert_eq!(findings(&model), expected);
        assert_eq!(findings(&read), expected, "{text}");
        assert_eq!(read.name, model.name);
        assert_eq!(read.sim.method, model.sim.method);
        assert_eq!(read.sim.precision, Precision::Single);
        assert_eq!(read.sim.save_step, model.sim.save_step);
        assert_eq!(read.dialect, model.dialect);
        assert_eq!(
            read.dimensions.iter().map(|d| &d.elements).collect::<Vec<_>>(),
            [&vec!["North".to_owned(), "South".to_owned()]]
        );
        assert_eq!(read.variables.len(), model.variables.len());
        for (before, after) in model.variables.iter().zip(&read.variables) {
            assert_eq!(before.name, after.name);
            assert_eq!(without_spans(&before.kind), without_spans(&after.kind));
            assert_eq!(before.dimensions, after.dimensions);
            assert_eq!(before.range, after.range);
            assert_eq!(
                before.graph.as_ref().map(|g| (&g.x, &g.y, g.kind)),
                after.graph.as_ref().map(|g| (&g.x, &g.y, g.kind))
            );
            let text = |e: &Option<Equation>| e.as_ref().map(|e| e.text.clone());
            assert_eq!(
                text(&before.equation).map(|t| t.replace(".0", "")),
                text(&after.equation).map(|t| t.replace(".0", ""))
            );
            assert_eq!(before.elements.len(), after.elements.len());
        }
    }

    #[test]
    fn settings_computed_during_the_run_are_written_as_their_variables_and_read_back() {
        let mut model = ModelBuilder::new(0.0, 10.0, 1.0)
            .aux("Final Time", "IF TIME < 5 THEN 10 ELSE 50")
            .aux("Time Step", "IF TIME < 4 THEN 1 ELSE 0.5")
            .aux("Saveper", "Time_Step")
            .build();
        model.sim.computed.stop = Some("Final Time".to_owned());
        model.sim.computed.dt = Some("Time Step".to_owned());
        model.sim.computed.save_step = Some("Saveper".to_owned());
        let text = write(&model);
        assert!(text.contains("stop = \"Final Time\"\ndt = \"Time Step\"\n"), "{text}");
        assert!(text.contains("save_step = \"Saveper\"\n"), "{text}");
        let (read, diagnostics) = crate::native::read(&text).unwrap_or_else(|d| panic!("{d:?}\n{text}"));
        assert_eq!(diagnostics.0, [], "{text}");
        assert_eq!(read.sim.computed, model.sim.computed);
        assert_eq!((read.sim.start, read.sim.method, read.sim.save_step), (0.0, Method::Euler, None));
        crate::resolve(&read).unwrap_or_else(|d| panic!("{d:?}"));
    }

    #[test]
    fn a_graphical_function_with_a_table_per_element_round_trips() {
        let mut model = ModelBuilder::new(0.0, 1.0, 1.0)
            .dimension("Region", &["North", "South"])
            .graph("Effect", GraphKind::Continuous, &[0.0, 1.0], &[0.0, 1.0])
            .build();
        let tables =
            [(GraphKind::Discrete, vec![0.0, 1.0], vec![3.0, 4.0]), (GraphKind::Continuous, vec![-1.0], vec![-0.0])];
        if let Some(effect) = model.variables.first_mut() {
            effect.graph = None;
            effect.dimensions = vec!["Region".to_owned()];
            effect.elements = ["North", "South"]
                .iter()
                .zip(&tables)
                .map(|(element, (kind, x, y))| ElementDefinition {
                    subscript: vec![(*element).to_owned()],
                    equation: None,
                    graph: Some(GraphicalFunction { kind: *kind, x: x.clone(), y: y.clone(), span: None }),
                    span: None,
                })
                .collect();
        }
        let text = write(&model);
        let (read, diagnostics) = crate::native::read(&text).unwrap_or_else(|d| panic!("{d:?}\n{text}"));
        assert_eq!(diagnostics.0, [], "{text}");
        let effect = read.variable("Effect").unwrap_or_else(|| panic!("{text}"));
        assert_eq!(effect.kind, VariableKind::GraphicalFunction);
        assert!(effect.graph.is_none(), "{text}");
        assert_eq!(effect.dimensions, ["Region"]);
        let read_tables: Vec<_> = effect
            .elements
            .iter()
            .filter_map(|e| e.graph.as_ref().map(|g| (g.kind, g.x.clone(), g.y.clone())))
            .collect();
        assert_eq!(read_tables, tables, "{text}");
        // Negative zero keeps its sign.
        assert!(read_tables[1].2[0].is_sign_negative(), "{text}");
    }
}
