//! The native model format: TOML that a planner can read and git can diff.
//!
//! ```toml
//! [model]
//! name = "Teacup"
//!
//! [sim]
//! start = 0
//! stop = 30
//! dt = 0.125
//! method = "euler"          # euler | rk2 | rk4
//! precision = "double"      # double | single (Vensim's); optional, default double
//! time_units = "minutes"
//! start_date = "2024-01-01"   # optional: the date of the start time, for GET_TIME_VALUE's calendar
//! save_step = 1             # optional; default dt
//! # stop, dt and save_step may instead name a variable that computes them during the run:
//! # stop = "Final Time"
//!
//! [[unit]]                  # optional: the model's own units (units are checked, see `units`)
//! name = "FTE"
//! equation = "person"       # optional: what it equals
//! aliases = ["full-time equivalent"]
//!
//! [[stock]]
//! name = "Teacup Temperature"
//! initial = 180             # a number or an equation
//! outflows = ["Heat Loss to Room"]
//! non_negative = false      # optional
//! units = "degrees"
//!
//! [[flow]]
//! name = "Heat Loss to Room"
//! equation = "(Teacup_Temperature - Room_Temperature) / Characteristic_Time"
//! whole_step = false        # optional: moves its stock by a whole amount in one step (Euler only)
//!
//! [[constant]]
//! name = "Room Temperature"
//! value = 70
//! min = 60                  # optional documented range
//! max = 80
//!
//! [[auxiliary]]
//! name = "Cooling"
//! equation = "Heat_Loss_to_Room * 2"
//!
//! [[graphical_function]]
//! name = "Effect of Workload"
//! x = [0, 1, 2]             # or x_min/x_max with evenly spaced points
//! y = [1, 1.2, 2]
//! type = "continuous"       # continuous | extrapolate | discrete
//! ```
//!
//! Flows and auxiliaries may also embed a graphical function of their equation:
//! `graph = { x = [...], y = [...] }`. An arrayed graphical function may give each element its
//! own table: `dimensions = [...]` and `[graphical_function.elements]` with
//! `"A, B" = { graph = { x = [...], y = [...] } }`. Every problem in the file is reported in one pass.

use toml::de::{DeTable, DeValue};

use crate::calendar::CalendarDate;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::{
    Conveyor, Dialect, Dimension, ElementDefinition, Equation, FlowLink, GraphKind, GraphicalFunction, Leak, Method,
    Model, Origin, Precision, SimSpecs, Spread, Variable, VariableKind,
};
use crate::syntax::Span;
use crate::toml_walk::{self, Table, Value, Walker as Reader, span_of};
use crate::units::UnitDefinition;

pub use crate::native_write::write;

/// Reads a native model file. `Err` means the file is not valid TOML at all; otherwise the model
/// comes back with every problem found in its structure (the resolver finds the rest).
pub fn read(text: &str) -> Result<(Model, Diagnostics), Diagnostics> {
    let document = toml_walk::parse(text)?;
    let mut reader = Reader::new(text);
    let model = reader.model(document.get_ref(), document.span());
    let mut diagnostics = reader.diagnostics;
    diagnostics.sort();
    Ok((model, diagnostics))
}

/// The sections a model file may have.
const SECTIONS: [&str; 9] =
    ["model", "sim", "dimension", "unit", "stock", "flow", "auxiliary", "constant", "graphical_function"];

impl Reader<'_> {
    fn model(&mut self, document: &DeTable<'_>, span: std::ops::Range<usize>) -> Model {
        let mut root = Table::new(document, Span::new(span.start, span.end), "the file");
        let mut model = Model {
            name: None,
            doc: None,
            sim: SimSpecs::default(),
            variables: Vec::new(),
            dimensions: Vec::new(),
            strings: Vec::new(),
            dialect: Dialect::Xmile,
            unit_definitions: Vec::new(),
        };

        if let Some(table) = self.table_value(&mut root, "model") {
            let mut table = Table::new(table.0, table.1, "[model]");
            model.name = self.string(&mut table, "name");
            model.doc = self.string(&mut table, "doc");
            if let Some(value) = table.get("dialect") {
                match value.get_ref().as_str().and_then(Dialect::parse) {
                    Some(dialect) => model.dialect = dialect,
                    None => self.report(
                        Diagnostic::new(Code::InvalidValue, "[model]: `dialect` must be \"xmile\" or \"vensim\"")
                            .at(Some(span_of(value))),
                    ),
                }
            }
            self.unknown_keys(&table, &["name", "doc", "dialect"]);
        }
        match self.table_value(&mut root, "sim") {
            Some(table) => model.sim = self.sim(Table::new(table.0, table.1, "[sim]")),
            None if !document.contains_key("sim") => self.report(
                // Pointed at the file's start, where a [sim] section can go.
                Diagnostic::new(Code::MissingKey, "the model has no [sim] section")
                    .at(Some(Span::new(0, 0)))
                    .with_help("add [sim] with start, stop and dt"),
            ),
            None => {}
        }
        for (table, table_span) in self.array_of_tables(&mut root, "dimension") {
            if let Some(dimension) = self.dimension(Table::new(table, table_span, "[[dimension]]")) {
                model.dimensions.push(dimension);
            }
        }
        for (table, table_span) in self.array_of_tables(&mut root, "unit") {
            if let Some(unit) = self.unit_definition(Table::new(table, table_span, "[[unit]]")) {
                model.unit_definitions.push(unit);
            }
        }
        for (section, kind) in [
            ("stock", Section::Stock),
            ("flow", Section::Flow),
            ("auxiliary", Section::Auxiliary),
            ("constant", Section::Constant),
            ("graphical_function", Section::GraphicalFunction),
        ] {
            for (table, table_span) in self.array_of_tables(&mut root, section) {
                if let Some(variable) = self.variable(Table::new(table, table_span, format!("[[{section}]]")), kind) {
                    model.variables.push(variable);
                }
            }
        }
        self.unknown_keys(&root, &SECTIONS);
        // Sections were read one kind at a time; variables keep the order of the file.
        model.variables.sort_by_key(|variable| variable.span.map_or(u32::MAX, |span| span.start));
        model
    }

    fn sim(&mut self, mut table: Table<'_, '_>) -> SimSpecs {
        let mut sim = SimSpecs::default();
        // `stop`, `dt` and `save_step` may name a variable that computes them during the run.
        for (key, span, computed) in [
            ("stop", &mut sim.spans.stop, &mut sim.computed.stop),
            ("dt", &mut sim.spans.dt, &mut sim.computed.dt),
            ("save_step", &mut sim.spans.save_step, &mut sim.computed.save_step),
        ] {
            if let Some(value) = table.table.get(key)
                && let Some(name) = value.get_ref().as_str()
            {
                table.get(key);
                *computed = Some(name.to_owned());
                *span = Some(span_of(value));
            }
        }
        for (key, target, span) in [
            ("start", &mut sim.start, &mut sim.spans.start),
            ("stop", &mut sim.stop, &mut sim.spans.stop),
            ("dt", &mut sim.dt, &mut sim.spans.dt),
        ] {
            if (key == "stop" && sim.computed.stop.is_some()) || (key == "dt" && sim.computed.dt.is_some()) {
                continue;
            }
            match self.number(&mut table, key) {
                Some((value, value_span)) => {
                    *target = value;
                    *span = Some(value_span);
                }
                None if !table.table.contains_key(key) => {
                    self.report(Diagnostic::new(Code::MissingKey, format!("[sim] has no `{key}`")).at(Some(table.span)))
                }
                None => {}
            }
        }
        if sim.computed.save_step.is_none()
            && let Some((value, span)) = self.number(&mut table, "save_step")
        {
            sim.save_step = Some(value);
            sim.spans.save_step = Some(span);
        }
        if let Some(value) = table.get("method") {
            let span = span_of(value);
            sim.spans.method = Some(span);
            match value.get_ref().as_str().map(str::parse::<Method>) {
                Some(Ok(method)) => sim.method = method,
                Some(Err(error)) => self.report(Diagnostic::new(Code::UnknownMethod, error.to_string()).at(Some(span))),
                None => self.wrong_type(&table.context, "method", "a string", span),
            }
        }
        if let Some(value) = table.get("precision") {
            let span = span_of(value);
            sim.spans.precision = Some(span);
            match value.get_ref().as_str().map(str::parse::<Precision>) {
                Some(Ok(precision)) => sim.precision = precision,
                Some(Err(error)) => {
                    let hint = "Vensim computes in single precision; leave `precision` out for double";
                    self.report(
                        Diagnostic::new(Code::UnknownPrecision, error.to_string()).at(Some(span)).with_help(hint),
                    )
                }
                None => self.wrong_type(&table.context, "precision", "a string", span),
            }
        }
        sim.time_units = self.string(&mut table, "time_units");
        if let Some(value) = table.get("start_date") {
            let span = span_of(value);
            sim.spans.start_date = Some(span);
            match value.get_ref().as_str() {
                Some(text) => match CalendarDate::parse(text) {
                    Some(date) => sim.start_date = Some(date),
                    None => self.report(
                        Diagnostic::new(Code::InvalidValue, format!("`start_date` {text:?} is not a date"))
                            .at(Some(span))
                            .with_help("write the date of the start time as \"YYYY-MM-DD\", e.g. \"2024-01-31\""),
                    ),
                },
                None => self.wrong_type(&table.context, "start_date", "a string", span),
            }
        }
        self.unknown_keys(
            &table,
            &["start", "stop", "dt", "save_step", "method", "precision", "time_units", "start_date"],
        );
        sim
    }

    fn dimension(&mut self, mut table: Table<'_, '_>) -> Option<Dimension> {
        let name = self.string(&mut table, "name");
        let elements = match (table.get("elements"), table.get("size")) {
            (Some(value), None) => match value.get_ref().as_array() {
                Some(array) => array.iter().filter_map(|item| item.get_ref().as_str().map(str::to_owned)).collect(),
                None => {
                    self.wrong_type(&table.context, "elements", "a list of element names", span_of(value));
                    Vec::new()
                }
            },
            (None, Some(value)) => match value.get_ref().as_integer().and_then(|i| i.as_str().parse::<usize>().ok()) {
                Some(size) if size > 0 => (1..=size).map(|i| i.to_string()).collect(),
                _ => {
                    self.wrong_type(&table.context, "size", "a whole number above zero", span_of(value));
                    Vec::new()
                }
            },
            _ => {
                self.report(
                    Diagnostic::new(Code::MissingKey, "a [[dimension]] needs either `elements` or `size`")
                        .at(Some(table.span)),
                );
                Vec::new()
            }
        };
        self.unknown_keys(&table, &["name", "elements", "size"]);
        let Some(name) = name else {
            self.report(Diagnostic::new(Code::MissingKey, "a [[dimension]] has no `name`").at(Some(table.span)));
            return None;
        };
        let mut dimension = Dimension::new(name, elements);
        dimension.span = Some(table.span);
        Some(dimension)
    }

    /// `[[unit]]`: a unit of the model with `name`, optionally the `equation` it equals and its
    /// `aliases`.
    fn unit_definition(&mut self, mut table: Table<'_, '_>) -> Option<UnitDefinition> {
        let name = self.string(&mut table, "name");
        let equation = self.string(&mut table, "equation");
        let aliases = self.names(&mut table, "aliases").into_iter().map(|(alias, _)| alias).collect();
        self.unknown_keys(&table, &["name", "equation", "aliases"]);
        let Some(name) = name else {
            self.report(
                Diagnostic::new(Code::MissingKey, "a [[unit]] has no `name`")
                    .at(Some(table.span))
                    .with_help("a unit is `name`, and optionally `equation` (what it equals) and `aliases`"),
            );
            return None;
        };
        Some(UnitDefinition { name, equation, aliases, disabled: false, span: Some(table.span) })
    }

    fn variable(&mut self, mut table: Table<'_, '_>, section: Section) -> Option<Variable> {
        let name_value = table.get("name");
        let Some(name_value) = name_value else {
            self.report(
                Diagnostic::new(Code::MissingKey, format!("a {} has no `name`", table.context)).at(Some(table.span)),
            );
            return None;
        };
        let name_span = span_of(name_value);
        let Some(name) = name_value.get_ref().as_str().map(str::to_owned) else {
            self.wrong_type(&table.context, "name", "a string", name_span);
            return None;
        };
        table.context = format!("{} `{name}`", table.context);
        let first_new_diagnostic = self.diagnostics.0.len();
        let mut variable = Variable::new(name, VariableKind::Auxiliary);
        variable.span = Some(name_span);
        variable.units = self.string(&mut table, "units");
        variable.doc = self.string(&mut table, "doc");
        (variable.dimensions, variable.dimension_spans) = self.names(&mut table, "dimensions").into_iter().unzip();
        variable.elements = self.element_definitions(&mut table);
        let allowed: &[&str] = match section {
            Section::Stock => {
                variable.equation = self.equation(&mut table, "initial");
                let inflows = self.flow_links(&mut table, "inflows");
                let outflows = self.flow_links(&mut table, "outflows");
                let non_negative = self.boolean(&mut table, "non_negative").unwrap_or(false);
                variable.kind = VariableKind::Stock { inflows, outflows, non_negative };
                variable.conveyor = self.conveyor(&mut table);
                if let Some(value) = table.get("queue") {
                    match value.get_ref().as_bool() {
                        Some(true) => variable.queue = Some(Some(span_of(value))),
                        Some(false) => {}
                        None => self.wrong_type(&table.context, "queue", "true or false", span_of(value)),
                    }
                }
                &[
                    "name",
                    "units",
                    "doc",
                    "dimensions",
                    "elements",
                    "initial",
                    "inflows",
                    "outflows",
                    "non_negative",
                    "conveyor",
                    "queue",
                ]
            }
            Section::Flow => {
                variable.equation = self.equation(&mut table, "equation");
                variable.graph = self.embedded_graph(&mut table);
                let non_negative = self.boolean(&mut table, "non_negative").unwrap_or(false);
                variable.kind = VariableKind::Flow { non_negative };
                variable.leak = self.leak(&mut table);
                variable.overflow = self.boolean(&mut table, "overflow").unwrap_or(false);
                variable.whole_step = self.boolean(&mut table, "whole_step").unwrap_or(false);
                if let Some(value) = table.get("spread") {
                    match value.get_ref().as_str().and_then(Spread::from_word) {
                        Some(spread) => variable.spread = spread,
                        None => match value.get_ref().as_table().and_then(|spread| spread.get("profile")) {
                            // `spread = { profile = "name" }`: by the graphical function `name`.
                            Some(profile) if value.get_ref().as_table().is_some_and(|spread| spread.len() == 1) => {
                                match profile.get_ref().as_str().map(str::trim).filter(|name| !name.is_empty()) {
                                    Some(name) => variable.spread = Spread::Profile(name.to_owned()),
                                    None => self.report(
                                        Diagnostic::new(
                                            Code::InvalidValue,
                                            format!("{}: `spread.profile` must name a graphical function", table.context),
                                        )
                                        .at(Some(span_of(profile)))
                                        .with_help("e.g. spread = { profile = \"arrival profile\" }"),
                                    ),
                                }
                            }
                            _ => self.report(
                                Diagnostic::new(
                                    Code::InvalidValue,
                                    format!(
                                        "{}: `spread` must be \"beginning\", \"even\", \"dest\", \"source\" or {{ profile = \"name\" }}",
                                        table.context
                                    ),
                                )
                                .at(Some(span_of(value)))
                                .with_help("where a conveyor inflow puts what it brings on the belt"),
                            ),
                        },
                    }
                }
                &[
                    "name",
                    "units",
                    "doc",
                    "dimensions",
                    "elements",
                    "equation",
                    "graph",
                    "non_negative",
                    "leak",
                    "overflow",
                    "spread",
                    "whole_step",
                ]
            }
            Section::Auxiliary => {
                variable.equation = self.equation(&mut table, "equation");
                variable.graph = self.embedded_graph(&mut table);
                &["name", "units", "doc", "dimensions", "elements", "equation", "graph"]
            }
            Section::Constant => {
                // An arrayed constant may give every element its own value instead.
                if !table.table.contains_key("elements") || table.table.contains_key("value") {
                    variable.equation = self.constant_value(&mut table);
                }
                variable.range = self.documented_range(&mut table);
                &["name", "units", "doc", "dimensions", "elements", "value", "min", "max"]
            }
            Section::GraphicalFunction => {
                variable.kind = VariableKind::GraphicalFunction;
                let span = table.span;
                // An arrayed graphical function may give every element its own table instead
                // (`elements`, each `{ graph = { x = [...], y = [...] } }`).
                let has_points = ["x", "x_min", "x_max", "y"].iter().any(|key| table.table.contains_key(*key));
                if variable.elements.is_empty() || has_points {
                    variable.graph = Some(self.graph(&mut table, span));
                }
                &["name", "units", "doc", "dimensions", "elements", "x", "x_min", "x_max", "y", "type"]
            }
        };
        self.unknown_keys(&table, allowed);
        // Tag what was found here with the variable, so later stages can tell it was reported.
        for diagnostic in &mut self.diagnostics.0[first_new_diagnostic..] {
            diagnostic.variable.get_or_insert_with(|| variable.name.clone());
        }
        Some(variable)
    }

    /// An equation: a string, or a number that stands for itself. An absent equation is left
    /// for the resolver to report; a value of the wrong type is reported here.
    fn equation(&mut self, table: &mut Table<'_, '_>, key: &'static str) -> Option<Equation> {
        let value = table.get(key)?;
        let span = span_of(value);
        let origin = Origin { span: Some(span), text_offset: None };
        match value.get_ref() {
            DeValue::String(text) => {
                let text_offset = self.verbatim_offset(span, text);
                Some(Equation::new(text.as_ref(), Origin { text_offset, ..origin }))
            }
            DeValue::Integer(_) | DeValue::Float(_) => {
                let Some(number) = self.number_value(value, &table.context, key) else {
                    return Some(Equation::unreadable(origin));
                };
                let mut equation = Equation::number(number);
                let raw = self.text.get(span.start()..span.end());
                equation.origin =
                    Origin { text_offset: (raw == Some(equation.text.as_str())).then_some(span.start()), ..origin };
                Some(equation)
            }
            _ => {
                self.wrong_type(&table.context, key, "an equation (a string) or a number", span);
                Some(Equation::unreadable(origin))
            }
        }
    }

    fn names(&mut self, table: &mut Table<'_, '_>, key: &'static str) -> Vec<(String, Span)> {
        let Some(value) = table.get(key) else {
            return Vec::new();
        };
        let Some(array) = value.get_ref().as_array() else {
            self.wrong_type(&table.context, key, "a list of names", span_of(value));
            return Vec::new();
        };
        let mut names = Vec::new();
        for item in array.iter() {
            match item.get_ref().as_str() {
                Some(name) => names.push((name.to_owned(), span_of(item))),
                None => self.wrong_type(&table.context, key, "a list of names", span_of(item)),
            }
        }
        names
    }

    /// `elements`: one entry per element with its own equation, keyed by its subscript
    /// (`"North"`, or `"North, Pizza"` for two dimensions). An entry is an equation or a number,
    /// or a table with `equation` and `graph`.
    fn element_definitions(&mut self, table: &mut Table<'_, '_>) -> Vec<ElementDefinition> {
        let Some(value) = table.get("elements") else {
            return Vec::new();
        };
        let Some(entries) = value.get_ref().as_table() else {
            self.wrong_type(&table.context, "elements", "a table of element equations", span_of(value));
            return Vec::new();
        };
        let mut definitions = Vec::new();
        for (key, entry) in entries.iter() {
            let subscript: Vec<String> = key.get_ref().split(',').map(|part| part.trim().to_owned()).collect();
            let span = span_of(key);
            let context = format!("{} element `{}`", table.context, key.get_ref());
            let (equation, graph) = match entry.get_ref().as_table() {
                Some(inner) => {
                    let mut inner = Table::new(inner, span_of(entry), context);
                    let equation = self.equation(&mut inner, "equation");
                    let graph = self.embedded_graph(&mut inner);
                    self.unknown_keys(&inner, &["equation", "graph"]);
                    (equation, graph)
                }
                None => (self.element_equation(entry, &context, "equation"), None),
            };
            definitions.push(ElementDefinition { subscript, equation, graph, span: Some(span) });
        }
        definitions
    }

    /// One element's equation given directly (a string or a number).
    fn element_equation(&mut self, value: &Value<'_>, context: &str, key: &str) -> Option<Equation> {
        let span = span_of(value);
        let origin = Origin { span: Some(span), text_offset: None };
        match value.get_ref() {
            DeValue::String(text) => {
                let text_offset = self.verbatim_offset(span, text);
                Some(Equation::new(text.as_ref(), Origin { text_offset, ..origin }))
            }
            DeValue::Integer(_) | DeValue::Float(_) => match self.number_value(value, context, key) {
                Some(number) => Some(Equation { origin, ..Equation::number(number) }),
                None => Some(Equation::unreadable(origin)),
            },
            _ => {
                self.wrong_type(context, key, "an equation (a string) or a number", span);
                Some(Equation::unreadable(origin))
            }
        }
    }

    /// A constant's `value`: a finite number.
    fn constant_value(&mut self, table: &mut Table<'_, '_>) -> Option<Equation> {
        let Some(value) = table.table.get("value") else {
            self.report(
                Diagnostic::new(Code::MissingKey, format!("{} has no `value`", table.context)).at(Some(table.span)),
            );
            return Some(Equation::unreadable(Origin::default()));
        };
        let origin = Origin { span: Some(span_of(value)), text_offset: None };
        let Some((number, _)) = self.number(table, "value") else {
            return Some(Equation::unreadable(origin));
        };
        let mut equation = Equation::number(number);
        equation.origin = origin;
        Some(equation)
    }

    fn documented_range(&mut self, table: &mut Table<'_, '_>) -> Option<(f64, f64)> {
        let min = self.number(table, "min");
        let max = self.number(table, "max");
        match (min, max) {
            (Some((min, _)), Some((max, span))) => {
                if min > max {
                    self.report(
                        Diagnostic::new(
                            Code::InvalidValue,
                            format!("{}: `min` ({min}) is above `max` ({max})", table.context),
                        )
                        .at(Some(span)),
                    );
                    return None;
                }
                Some((min, max))
            }
            (Some((_, span)), None) | (None, Some((_, span))) => {
                self.report(
                    Diagnostic::new(Code::MissingKey, format!("{} gives only one end of its range", table.context))
                        .at(Some(span))
                        .with_help("give both `min` and `max`"),
                );
                None
            }
            (None, None) => None,
        }
    }

    /// A stock's `conveyor = { transit_time = ..., ... }` (XMILE 3.7.2's conveyor options).
    fn conveyor(&mut self, table: &mut Table<'_, '_>) -> Option<Conveyor> {
        let value = table.get("conveyor")?;
        let span = span_of(value);
        let Some(inner) = value.get_ref().as_table() else {
            self.wrong_type(&table.context, "conveyor", "a table such as { transit_time = 4 }", span);
            return None;
        };
        let mut inner = Table::new(inner, span, format!("{} conveyor", table.context));
        let transit_time = self.equation(&mut inner, "transit_time");
        if transit_time.is_none() {
            self.report(
                Diagnostic::new(Code::MissingKey, format!("{} has no `transit_time`", inner.context))
                    .at(Some(span))
                    .with_help("give the time material spends on the belt: conveyor = { transit_time = 4 }"),
            );
        }
        let conveyor = Conveyor {
            transit_time,
            capacity: self.equation(&mut inner, "capacity"),
            inflow_limit: self.equation(&mut inner, "inflow_limit"),
            sample: self.equation(&mut inner, "sample"),
            arrest: self.equation(&mut inner, "arrest"),
            batch_integrity: self.boolean(&mut inner, "batch_integrity").unwrap_or(false),
            one_at_a_time: self.boolean(&mut inner, "one_at_a_time").unwrap_or(true),
            discrete: self.boolean(&mut inner, "discrete").unwrap_or(false),
            exponential_leak: self.boolean(&mut inner, "exponential_leak").unwrap_or(false),
            variable_speed: self.boolean(&mut inner, "variable_speed").unwrap_or(false),
            span: Some(span),
        };
        self.unknown_keys(&inner, &[]);
        Some(conveyor)
    }

    /// A flow's `leak = { fraction = ..., zone_start = 0, zone_end = 1, integers = false }`: it
    /// leaks from the conveyor it flows out of (XMILE 4.3).
    fn leak(&mut self, table: &mut Table<'_, '_>) -> Option<Leak> {
        let value = table.get("leak")?;
        let span = span_of(value);
        let Some(inner) = value.get_ref().as_table() else {
            self.wrong_type(&table.context, "leak", "a table such as { fraction = 0.1 }", span);
            return None;
        };
        let mut inner = Table::new(inner, span, format!("{} leak", table.context));
        let fraction = self.equation(&mut inner, "fraction");
        let mut zone = |reader: &mut Self, key: &'static str, default: f64| match reader.number(&mut inner, key) {
            Some((value, _)) if (0.0..=1.0).contains(&value) => value,
            Some((value, value_span)) => {
                reader.report(
                    Diagnostic::new(Code::InvalidValue, format!("`{key}` {value} is not a number from 0 to 1"))
                        .at(Some(value_span))
                        .with_help("the leak zone is given as fractions of the belt from its inflowing end"),
                );
                default
            }
            None => default,
        };
        let zone_start = zone(self, "zone_start", 0.0);
        let mut zone_end = zone(self, "zone_end", 1.0);
        if zone_start > zone_end {
            self.report(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("the leak zone starts at {zone_start}, after it ends at {zone_end}"),
                )
                .at(Some(span)),
            );
            zone_end = zone_start;
        }
        let integers = self.boolean(&mut inner, "integers").unwrap_or(false);
        self.unknown_keys(&inner, &[]);
        Some(Leak { fraction, zone_start, zone_end, integers, span: Some(span) })
    }

    fn embedded_graph(&mut self, table: &mut Table<'_, '_>) -> Option<GraphicalFunction> {
        let value = table.get("graph")?;
        let span = span_of(value);
        let Some(inner) = value.get_ref().as_table() else {
            self.wrong_type(&table.context, "graph", "a table such as { x = [...], y = [...] }", span);
            return None;
        };
        let mut inner = Table::new(inner, span, format!("{} graph", table.context));
        let graph = self.graph(&mut inner, span);
        self.unknown_keys(&inner, &["x", "x_min", "x_max", "y", "type"]);
        Some(graph)
    }

    fn graph(&mut self, table: &mut Table<'_, '_>, span: Span) -> GraphicalFunction {
        let kind = match table.get("type") {
            None => GraphKind::Continuous,
            Some(value) => match value.get_ref().as_str().and_then(GraphKind::parse) {
                Some(kind) => kind,
                None => {
                    self.report(
                        Diagnostic::new(
                            Code::InvalidValue,
                            format!(
                                "{}: `type` must be \"continuous\", \"extrapolate\" or \"discrete\"",
                                table.context
                            ),
                        )
                        .at(Some(span_of(value))),
                    );
                    GraphKind::Continuous
                }
            },
        };
        let y = self.numbers(table, "y").unwrap_or_default();
        let points_span = ["x", "x_min", "y"].into_iter().find_map(|key| table.table.get(key)).map(span_of);
        let x = self.numbers(table, "x");
        let x_min = self.number(table, "x_min");
        let x_max = self.number(table, "x_max");
        let mut graph = match (x, x_min, x_max) {
            (Some(x), None, None) => GraphicalFunction { kind, x, y, span: None },
            (None, Some((min, _)), Some((max, _))) => GraphicalFunction::from_scale(kind, min, max, y),
            _ => {
                self.report(
                    Diagnostic::new(
                        Code::MissingKey,
                        format!("{} needs either `x` or both `x_min` and `x_max`", table.context),
                    )
                    .at(Some(span)),
                );
                GraphicalFunction { kind, x: Vec::new(), y, span: None }
            }
        };
        graph.span = Some(points_span.unwrap_or(span));
        graph
    }

    fn flow_links(&mut self, table: &mut Table<'_, '_>, key: &'static str) -> Vec<FlowLink> {
        let Some(value) = table.get(key) else {
            return Vec::new();
        };
        let Some(array) = value.get_ref().as_array() else {
            self.wrong_type(&table.context, key, "a list of flow names", span_of(value));
            return Vec::new();
        };
        let mut links = Vec::new();
        for item in array.iter() {
            match item.get_ref().as_str() {
                Some(name) => {
                    let mut link = FlowLink::new(name);
                    link.span = Some(span_of(item));
                    links.push(link);
                }
                None => self.wrong_type(&table.context, key, "a list of flow names", span_of(item)),
            }
        }
        links
    }
}

#[derive(Clone, Copy)]
enum Section {
    Stock,
    Flow,
    Auxiliary,
    Constant,
    GraphicalFunction,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<(&'static str, String)> {
        let diagnostics = match read(text) {
            Ok((_, diagnostics)) => diagnostics,
            Err(diagnostics) => diagnostics,
        };
        diagnostics
            .0
            .iter()
            .map(|d| {
                let spanned = d.span.map_or(String::new(), |s| text[s.start()..s.end()].to_owned());
                (d.code.as_str(), spanned)
            })
            .collect()
    }

    const SIM: &str = "[sim]\nstart = 0\nstop = 10\ndt = 0.5\n";

    #[test]
    fn conveyor_and_leak_problems_are_located() {
        let text = format!(
            "{SIM}[[stock]]\nname = \"Belt\"\ninitial = 0\noutflows = [\"out\", \"spill\"]\n\
             conveyor = {{ capacity = 4, lenght = 2 }}\nqueue = \"yes\"\n\
             [[flow]]\nname = \"out\"\n\
             [[flow]]\nname = \"spill\"\nleak = {{ fraction = 0.1, zone_start = 1.5 }}\n"
        );
        assert_eq!(
            codes(&text),
            [
                ("E0004", "{ capacity = 4, lenght = 2 }".to_owned()),
                ("E0002", "lenght".to_owned()),
                ("E0003", "\"yes\"".to_owned()),
                ("E0003", "1.5".to_owned()),
            ]
        );
    }

    #[test]
    fn precision_is_double_unless_the_file_says_single() {
        let (model, _) = read(SIM).expect("valid TOML");
        assert_eq!(model.sim.precision, Precision::Double);
        let (model, diagnostics) = read(&format!("{SIM}precision = \"Single\"\n")).expect("valid TOML");
        assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
        assert_eq!(model.sim.precision, Precision::Single);
        assert_eq!(codes(&format!("{SIM}precision = \"half\"\n")), [("E0306", "\"half\"".to_owned())]);
        assert_eq!(codes(&format!("{SIM}precision = 32\n")), [("E0003", "32".to_owned())]);
    }

    #[test]
    fn the_start_date_is_a_real_date_and_is_written_back() {
        let (model, diagnostics) = read(&format!("{SIM}start_date = \"2024-02-29\"\n")).expect("valid TOML");
        assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
        assert_eq!(model.sim.start_date, CalendarDate::new(2024, 2, 29));
        assert!(crate::native_write::write(&model).contains("start_date = \"2024-02-29\""));
        assert_eq!(codes(&format!("{SIM}start_date = \"2023-02-29\"\n")), [("E0003", "\"2023-02-29\"".to_owned())]);
        assert_eq!(codes(&format!("{SIM}start_date = 2024\n")), [("E0003", "2024".to_owned())]);
    }

    #[test]
    fn reads_every_section() {
        let text = format!(
            "{SIM}method = \"RK4\"\nsave_step = 1\ntime_units = \"months\"\n\
             [model]\nname = \"M\"\n\
             [[stock]]\nname = \"Staff\"\ninitial = 10\ninflows = [\"Hiring\"]\nnon_negative = true\nunits = \"people\"\n\
             [[flow]]\nname = \"Hiring\"\nequation = 'Target - Staff'\n\
             [[constant]]\nname = \"Target\"\nvalue = 12\nmin = 5\nmax = 20\n\
             [[auxiliary]]\nname = \"Effect\"\nequation = \"Staff\"\ngraph = {{ x_min = 0, x_max = 10, y = [0, 1, 4] }}\n\
             [[graphical_function]]\nname = \"G\"\nx = [0, 1]\ny = [2, 3]\ntype = \"discrete\"\n"
        );
        let (model, diagnostics) = read(&text).expect("valid TOML");
        assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
        assert_eq!(model.name.as_deref(), Some("M"));
        assert_eq!(model.sim.method, Method::Rk4);
        assert_eq!(model.sim.save_step, Some(1.0));
        assert_eq!(model.variables.len(), 5);
        let staff = model.variable("staff").expect("staff");
        assert_eq!(staff.equation.as_ref().and_then(Equation::literal_value), Some(10.0));
        assert!(matches!(&staff.kind, VariableKind::Stock { non_negative: true, inflows, .. } if inflows.len() == 1));
        let target = model.variable("target").expect("target");
        assert_eq!(target.constant_value(), Some(12.0));
        assert_eq!(target.range, Some((5.0, 20.0)));
        let effect = model.variable("effect").expect("effect");
        assert_eq!(effect.graph.as_ref().map(|g| g.x.clone()), Some(vec![0.0, 5.0, 10.0]));
        assert_eq!(model.variable("g").and_then(|g| g.graph.as_ref()).map(|g| g.kind), Some(GraphKind::Discrete));
    }

    #[test]
    fn equation_spans_map_into_the_file() {
        let text = format!(
            "{SIM}[[auxiliary]]\nname = \"a\"\nequation = \"b + c\"\n[[auxiliary]]\nname = \"b\"\nequation = '''\nc * 2'''\n"
        );
        let (model, _) = read(&text).expect("valid TOML");
        for (name, inner, expected) in [("a", Span::new(4, 5), "c"), ("b", Span::new(0, 1), "c")] {
            let equation = model.variable(name).and_then(|v| v.equation.as_ref()).expect("equation");
            let span = equation.locate(inner).expect("located");
            assert_eq!(&text[span.start()..span.end()], expected);
        }
    }

    #[test]
    fn escaped_strings_point_at_the_whole_value() {
        let text = format!("{SIM}[[auxiliary]]\nname = \"a\"\nequation = \"\\\"b c\\\" + 1\"\n");
        let (model, _) = read(&text).expect("valid TOML");
        let equation = model.variable("a").and_then(|v| v.equation.as_ref()).expect("equation");
        assert_eq!(equation.text, "\"b c\" + 1");
        let span = equation.locate(Span::new(0, 5)).expect("located");
        assert_eq!(&text[span.start()..span.end()], "\"\\\"b c\\\" + 1\"");
    }

    #[test]
    fn reports_all_structural_problems_at_once() {
        // (`dt = "fast"` would name a variable that computes dt: a string is not a wrong type.)
        let text = "[sim]\nstart = 0\nstop = 10\ndt = true\nmethd = \"rk4\"\n\
                    [[stock]]\nname = \"S\"\noutflows = \"f\"\n\
                    [[stocks]]\nname = \"T\"\n\
                    [[constant]]\nname = \"s\"\nvalue = nan\n\
                    [[flow]]\nequation = \"1\"\n";
        assert_eq!(
            codes(text),
            vec![
                ("E0003", "true".to_owned()),
                ("E0002", "methd".to_owned()),
                ("E0003", "\"f\"".to_owned()),
                ("E0002", "stocks".to_owned()),
                ("E0303", "nan".to_owned()),
                ("E0004", "[[flow]]".to_owned()),
            ]
        );
    }

    #[test]
    fn broken_toml_is_one_syntax_error() {
        let found = codes("[sim\nstart = 0\n");
        assert_eq!(found.first().map(|(code, _)| *code), Some("E0001"));
    }

    #[test]
    fn missing_sim_section_is_reported() {
        assert_eq!(codes("[[constant]]\nname = \"a\"\nvalue = 1\n"), vec![("E0004", String::new())]);
    }
}
