//! Walking the XML into the model IR.

use std::collections::HashMap;

use fulcrum_model::name::equation_form;
use fulcrum_model::syntax::{self, ExprKind, Span};
use fulcrum_model::{
    CanonicalName, Code, Conveyor, Diagnostic, Diagnostics, Dialect, Dimension, ElementDefinition, Equation, FlowLink,
    GraphKind, GraphicalFunction, Leak, Method, Model, Origin, Precision, SimSpecs, Spread, Variable, VariableKind,
};
use roxmltree::Node;

use crate::document::Prepared;
use crate::macros::Macros;

/// Modules nested deeper than this are refused.
const MAX_MODULE_DEPTH: usize = 32;

/// Module instances a file may flatten into: models holding several modules of models that hold
/// several more multiply, and past this the file is refused rather than read for ever.
const MAX_MODULE_INSTANCES: usize = 10_000;

pub(crate) struct Reader<'p> {
    prepared: &'p Prepared,
    pub(crate) diagnostics: Diagnostics,
    /// `<behavior>` defaults: are stocks, and flows, non-negative unless they say otherwise?
    stocks_non_negative: bool,
    flows_non_negative: bool,
    /// Dimension name → its element names, for equations given by position.
    dimension_elements: HashMap<CanonicalName, Vec<String>>,
    /// The models whose modules are being read, outermost first (a model inside itself is a cycle).
    model_path: Vec<(CanonicalName, String)>,
    /// Module instances flattened so far.
    module_instances: usize,
    /// The whole model's simulation specs, which every submodel runs with.
    whole_sim: SimSpecs,
    /// Submodels whose own `<sim_specs>` have been compared with the whole model's.
    specs_checked: Vec<CanonicalName>,
    /// Names are shown as Stella shows them, `_` as a space; not in fulcrum's own files, which
    /// hold names exactly as they were.
    display_names: bool,
    /// Modules whose model is in another file.
    pub(crate) resources: Resources,
    /// Flows of the models being read that say they may flow both ways
    /// (`<non_negative>false</non_negative>`), with where they say it.
    biflows: Vec<(CanonicalName, Span)>,
}

/// What became of the modules whose model is in another file (`resource=`).
#[derive(Default)]
pub(crate) struct Resources {
    /// Modules (canonical names) whose model was read from its file, under the module's name.
    pub loaded: Vec<CanonicalName>,
    /// Modules whose file was asked for, read or not (a failure is already reported).
    pub handled: Vec<CanonicalName>,
    /// Could other files be read at all?
    pub readable: bool,
}

impl<'p> Reader<'p> {
    pub(crate) fn new(prepared: &'p Prepared) -> Reader<'p> {
        Reader {
            prepared,
            diagnostics: Diagnostics::default(),
            stocks_non_negative: false,
            flows_non_negative: false,
            dimension_elements: HashMap::new(),
            model_path: Vec::new(),
            module_instances: 0,
            whole_sim: SimSpecs::default(),
            specs_checked: Vec::new(),
            display_names: true,
            resources: Resources::default(),
            biflows: Vec::new(),
        }
    }

    fn span(&self, node: Node<'_, '_>) -> Span {
        self.prepared.span(node.range())
    }

    /// Where a node is in the file.
    pub(crate) fn span_of(&self, node: Node<'_, '_>) -> Span {
        self.span(node)
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub(crate) fn document(&mut self, root: Node<'_, '_>) -> Model {
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
        if root.tag_name().name() != "xmile" {
            self.report(
                Diagnostic::new(
                    Code::FileSyntax,
                    format!("not an XMILE file: the root element is <{}>, not <xmile>", root.tag_name().name()),
                )
                .at(Some(self.span(root))),
            );
            return model;
        }
        if let Some(header) = child(root, "header") {
            model.name = child_text(header, "name");
            let vendor = [child_text(header, "vendor"), child_text(header, "product")].into_iter().flatten();
            if vendor
                .map(|text| text.to_ascii_lowercase())
                .any(|text| text.contains("vensim") || text.contains("ventana"))
            {
                model.dialect = Dialect::Vensim;
            }
            // fulcrum's own files keep every name as it was written.
            if child_text(header, "vendor").is_some_and(|vendor| vendor.trim() == "fulcrum") {
                self.display_names = false;
            }
            // fulcrum's own files name the conventions they were written with.
            if let Some(dialect) = child_text(header, "dialect").as_deref().and_then(Dialect::parse) {
                model.dialect = dialect;
            }
        }
        // The specs sit under <xmile>, or (the standard allows either) in the root model.
        let root_model = elements(root, "model").find(|m| m.attribute("name").is_none());
        match child(root, "sim_specs").or_else(|| root_model.and_then(|m| child(m, "sim_specs"))) {
            Some(specs) => model.sim = self.sim_specs(specs),
            None => self.report(
                Diagnostic::new(Code::MissingKey, "the file has no <sim_specs>")
                    .at(Some(self.span(root)))
                    .with_help("XMILE requires <sim_specs> with <start> and <stop>"),
            ),
        }
        // The model's own units (XMILE 2.4): a name, optionally the unit expression it equals,
        // aliases, and `disabled` for a definition kept but not used.
        for units in elements(root, "model_units") {
            for unit in elements(units, "unit") {
                let Some(name) = attribute(unit, "name").map(|name| unescape_name(name, true)) else { continue };
                let equation = child_text(unit, "eqn").map(|e| e.trim().to_owned()).filter(|e| !e.is_empty());
                let aliases = elements(unit, "alias")
                    .filter_map(|alias| alias.text().map(|text| unescape_name(text.trim(), true)))
                    .filter(|alias| !alias.is_empty())
                    .collect();
                let disabled = attribute(unit, "disabled").is_some_and(|value| value.trim() == "true");
                model.unit_definitions.push(fulcrum_model::units::UnitDefinition {
                    name,
                    equation,
                    aliases,
                    disabled,
                    span: Some(self.span(unit)),
                });
            }
        }
        // fulcrum's own files name the precision their runs compute in, for which XMILE has no word.
        if let Some(precision) = child(root, "header").and_then(|header| child(header, "precision")) {
            let text: String = precision.descendants().filter(Node::is_text).filter_map(|t| t.text()).collect();
            match text.parse::<Precision>() {
                Ok(value) => model.sim.precision = value,
                Err(error) => self.report(
                    Diagnostic::new(Code::UnknownPrecision, error.to_string())
                        .at(Some(self.span(precision)))
                        .with_help("write single (Vensim's arithmetic) or double"),
                ),
            }
        }
        if let Some(behavior) = child(root, "behavior") {
            self.behavior(behavior);
        }
        if let Some(dimensions) = child(root, "dimensions") {
            model.dimensions = self.dimensions(dimensions);
            self.dimension_elements =
                model.dimensions.iter().map(|d| (d.canonical.clone(), d.elements.clone())).collect();
        }
        // `<data>` says where Stella writes runs (`<export>`, ignored: no number depends on it) and
        // where it reads values from (`<import>`, which would change the model's numbers).
        for data in elements(root, "data") {
            for import in elements(data, "import") {
                let resource = import.attribute("resource").unwrap_or_default();
                let span = self.attribute_with_span(import, "resource").map_or(self.span(import), |(_, span)| span);
                self.report(
                    Diagnostic::new(
                        Code::Unsupported,
                        format!("the model imports data from `{resource}` when it runs, which fulcrum does not read"),
                    )
                    .at(Some(span))
                    .with_help("put the imported values into the variables' equations or graphical functions, and drop the <import>"),
                );
            }
        }
        let macros = Macros::read(self, root);
        let models: Vec<Node<'_, '_>> = elements(root, "model").collect();
        let Some(main) =
            models.iter().copied().find(|m| m.attribute("name").is_none()).or_else(|| models.first().copied())
        else {
            self.report(Diagnostic::new(Code::MissingKey, "the file has no <model>").at(Some(self.span(root))));
            return model;
        };
        self.whole_sim = model.sim.clone();
        // Specs in the root model as well as under <xmile> may only repeat them.
        if child(root, "sim_specs").is_some()
            && let Some(specs) = root_model.and_then(|m| child(m, "sim_specs"))
        {
            self.submodel_specs(specs, "the root model");
        }
        for resourced in models.iter().filter(|m| m.attribute("resource").is_some()) {
            self.refuse_resource(*resourced, "model", resourced.attribute("name").unwrap_or("(root)"));
        }
        let submodels: HashMap<CanonicalName, Node<'_, '_>> =
            models.iter().filter_map(|m| Some((CanonicalName::new(m.attribute("name")?), *m))).collect();
        model.doc = child_text(main, "doc").map(|doc| doc.trim().to_owned()).filter(|doc| !doc.is_empty());
        model.variables = self.model(main, "", &submodels, 0);
        promote_listed_flows(&mut model.variables);
        macros.expand(self, &mut model.variables);
        model
    }

    /// The variables a stock-and-flow `<macro>` is built from, named as in the macro.
    pub(crate) fn macro_variables(&mut self, node: Node<'_, '_>) -> Vec<Variable> {
        let mut variables = self.model(node, "", &HashMap::new(), 0);
        promote_listed_flows(&mut variables);
        variables
    }

    fn sim_specs(&mut self, specs: Node<'_, '_>) -> SimSpecs {
        let mut sim = SimSpecs::default();
        for (name, target, span) in
            [("start", &mut sim.start, &mut sim.spans.start), ("stop", &mut sim.stop, &mut sim.spans.stop)]
        {
            match child(specs, name) {
                Some(node) => {
                    *span = Some(self.span(node));
                    if let Some(value) = self.number(node, &format!("<sim_specs> <{name}>")) {
                        *target = value;
                    }
                }
                None => self.report(
                    Diagnostic::new(Code::MissingKey, format!("<sim_specs> has no <{name}>"))
                        .at(Some(self.span(specs))),
                ),
            }
        }
        if let Some(node) = child(specs, "dt") {
            sim.spans.dt = Some(self.span(node));
            if let Some(value) = self.number(node, "<sim_specs> <dt>") {
                let reciprocal = node.attribute("reciprocal").is_some_and(|r| r.trim().eq_ignore_ascii_case("true"));
                if !reciprocal {
                    sim.dt = value;
                } else if value > 0.0 && (1.0 / value).is_finite() {
                    sim.dt = 1.0 / value;
                } else {
                    // Said here, with the number the file gives: 1/0 would be reported later as a
                    // dt of infinity, which the file does not say.
                    self.report(
                        Diagnostic::new(
                            Code::InvalidTimeStep,
                            format!(
                                "a reciprocal dt must be a positive number of steps per time unit, not {}",
                                node.text().unwrap_or_default().trim()
                            ),
                        )
                        .at(Some(self.span(node)))
                        .with_help("reciprocal=\"true\" makes dt = 1/value: 4 means dt = 0.25"),
                    );
                }
            }
        }
        if let Some((method, span)) = self.attribute_with_span(specs, "method") {
            sim.spans.method = Some(span);
            match choose_method(method) {
                Some(chosen) => sim.method = chosen,
                None => self.report(
                    Diagnostic::new(Code::UnknownMethod, format!("unknown integration method `{method}`"))
                        .at(Some(span))
                        .with_help("fulcrum integrates with euler, rk2 or rk4"),
                ),
            }
        }
        sim.time_units = attribute(specs, "time_units").map(str::to_owned);
        // Stella writes the save interval as an attribute in its own namespace.
        if let Some((save, span)) = self.attribute_with_span(specs, "save_interval") {
            sim.spans.save_step = Some(span);
            match save.trim().parse::<f64>() {
                Ok(value) if value.is_finite() && value > 0.0 => sim.save_step = Some(value),
                _ => self.report(
                    Diagnostic::new(Code::InvalidValue, format!("save interval `{save}` is not a positive number"))
                        .at(Some(span)),
                ),
            }
        }
        sim
    }

    /// An attribute by local name, whatever its namespace, with where its value is.
    fn attribute_with_span<'a>(&self, node: Node<'a, '_>, name: &str) -> Option<(&'a str, Span)> {
        let found = node.attributes().find(|a| a.name() == name)?;
        Some((found.value(), self.prepared.span(found.range_value())))
    }

    /// `<behavior>`: `<non_negative/>` directly inside sets stocks and flows, inside `<stock>`
    /// or `<flow>` only that kind.
    fn behavior(&mut self, behavior: Node<'_, '_>) {
        for node in behavior.children().filter(Node::is_element) {
            match node.tag_name().name() {
                "non_negative" => {
                    let on = self.flag(node);
                    self.stocks_non_negative = on;
                    self.flows_non_negative = on;
                }
                "stock" => self.stocks_non_negative = child(node, "non_negative").is_some_and(|n| self.flag(n)),
                "flow" => self.flows_non_negative = child(node, "non_negative").is_some_and(|n| self.flag(n)),
                _ => {}
            }
        }
    }

    fn dimensions(&mut self, node: Node<'_, '_>) -> Vec<Dimension> {
        let mut dimensions = Vec::new();
        for dim in elements(node, "dim") {
            let Some(name) = dim.attribute("name") else {
                self.report(Diagnostic::new(Code::MissingKey, "a <dim> has no name").at(Some(self.span(dim))));
                continue;
            };
            let mut elements: Vec<String> =
                elements(dim, "elem").filter_map(|e| e.attribute("name")).map(str::to_owned).collect();
            if elements.is_empty()
                && let Some(size) = dim.attribute("size")
            {
                match size.trim().parse::<usize>() {
                    Ok(size) if size > 0 => elements = (1..=size).map(|i| i.to_string()).collect(),
                    _ => self.report(
                        Diagnostic::new(Code::InvalidValue, format!("dimension `{name}` has size `{size}`"))
                            .at(Some(self.span(dim))),
                    ),
                }
            }
            let mut dimension = Dimension::new(name, elements);
            dimension.span = Some(self.span(dim));
            dimensions.push(dimension);
        }
        dimensions
    }

    /// The variables of one model, with the modules in it flattened: a module `m`'s variables
    /// become `m.name`, and each connection replaces a module input by a reference.
    fn model(
        &mut self,
        model: Node<'_, '_>,
        prefix: &str,
        submodels: &HashMap<CanonicalName, Node<'_, '_>>,
        depth: usize,
    ) -> Vec<Variable> {
        // Variables sit in <variables>, or directly in <model> in older files.
        let container = child(model, "variables").unwrap_or(model);
        let mut variables = Vec::new();
        let mut modules: Vec<String> = Vec::new();
        let mut flattened = Vec::new();
        let mut upward = Vec::new();
        let first_biflow = self.biflows.len();
        for node in container.children().filter(Node::is_element) {
            let kind = match node.tag_name().name() {
                "stock" => VariableKind::stock(&[], &[], false),
                "flow" => VariableKind::Flow { non_negative: false },
                "aux" => VariableKind::Auxiliary,
                "gf" => VariableKind::GraphicalFunction,
                "module" => {
                    if let Some(module) = self.module(node, prefix, submodels, depth) {
                        modules.push(module.name);
                        flattened.extend(module.variables);
                        upward.extend(module.upward);
                    }
                    continue;
                }
                _ => continue,
            };
            if let Some(variable) = self.variable(node, kind) {
                variables.push(variable);
            }
        }
        mark_unmarked_leaks(&mut variables);
        self.check_queue_flows(&variables, first_biflow);
        for connection in upward {
            self.connect_upward(&mut variables, &mut flattened, prefix, connection);
        }
        if !prefix.is_empty() {
            qualify(&mut variables, prefix, &modules);
        }
        variables.extend(flattened);
        variables
    }

    /// Gives a variable of the model holding a module the value a `<connect to=".x">` assigns it
    /// from the module (the standard's `Sub_Model.Output`), as a reference the model's own
    /// renaming then qualifies.
    ///
    /// Stella also writes a connection between two sibling modules on the module it comes from
    /// (`<connect to="lynxes.hare_density" from="hares.hare_density"/>` on `hares`, as well as
    /// on `lynxes`): a `to` in another module (among the `flattened` variables, under `prefix`)
    /// is that module's input, set as its own `<connect>` sets it.
    fn connect_upward(
        &mut self,
        variables: &mut [Variable],
        flattened: &mut [Variable],
        prefix: &str,
        connection: Upward,
    ) {
        let target = CanonicalName::new(&connection.to);
        let sibling_input = CanonicalName::new(&format!("{prefix}{}", connection.to));
        let found = match variables.iter_mut().find(|v| v.canonical == target) {
            Some(beside) => Some((beside, connection.from.clone())),
            None => flattened
                .iter_mut()
                .find(|v| v.canonical == sibling_input)
                .map(|input| (input, format!("{prefix}{}", connection.from))),
        };
        match found {
            Some((input, from)) => {
                input.kind = VariableKind::Auxiliary;
                input.graph = None;
                input.equation =
                    Some(Equation::new(equation_form(&from), Origin { span: Some(connection.span), text_offset: None }));
            }
            None => self.report(
                Diagnostic::new(
                    Code::UnknownName,
                    format!(
                        "module `{}` connects `{}` to `.{}`, which the model holding the module does not define",
                        connection.module, connection.from, connection.to
                    ),
                )
                .at(Some(connection.span))
                .with_help("a `to` with a leading dot, or fed from the module's own output, names a variable beside the module"),
            ),
        }
    }

    /// Reads a `<module>`: its model's variables under `prefix + name + "."`, with inputs
    /// connected, and the connections that assign its outputs to variables beside it.
    fn module(
        &mut self,
        node: Node<'_, '_>,
        prefix: &str,
        submodels: &HashMap<CanonicalName, Node<'_, '_>>,
        depth: usize,
    ) -> Option<Module> {
        let span = self.span(node);
        let Some(name) = node.attribute("name") else {
            self.report(Diagnostic::new(Code::MissingKey, "a <module> has no name").at(Some(span)));
            return None;
        };
        let model_name = node.attribute("model_name").unwrap_or(name);
        let mut model_name = model_name;
        if node.attribute("resource").is_some() {
            let key = CanonicalName::new(name);
            if self.resources.loaded.contains(&key) {
                // Read from its file under the module's own name.
                model_name = name;
            } else {
                if !self.resources.handled.contains(&key) {
                    self.refuse_resource(node, "module", name);
                }
                return None;
            }
        }
        let Some(submodel) = submodels.get(&CanonicalName::new(model_name)) else {
            self.report(
                Diagnostic::new(
                    Code::UnknownName,
                    format!("module `{name}` uses a model `{model_name}` that the file does not define"),
                )
                .at(Some(span)),
            );
            return None;
        };
        let model_key = CanonicalName::new(model_name);
        if let Some(start) = self.model_path.iter().position(|(outer, _)| *outer == model_key) {
            let cycle: Vec<&str> =
                self.model_path[start..].iter().map(|(_, written)| written.as_str()).chain([model_name]).collect();
            self.report(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("module `{name}` makes the models contain each other: {}", cycle.join(" → ")),
                )
                .at(Some(span)),
            );
            return None;
        }
        self.module_instances += 1;
        if depth >= MAX_MODULE_DEPTH || self.module_instances > MAX_MODULE_INSTANCES {
            // One report for the file, not one per instance refused.
            if self.module_instances <= MAX_MODULE_INSTANCES + 1 {
                self.report(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!(
                            "modules nest more than {MAX_MODULE_DEPTH} deep or flatten into more than \
                             {MAX_MODULE_INSTANCES} instances at `{name}`"
                        ),
                    )
                    .at(Some(span)),
                );
            }
            self.module_instances = MAX_MODULE_INSTANCES + 2;
            return None;
        }
        if !self.specs_checked.contains(&model_key) {
            self.specs_checked.push(model_key.clone());
            if let Some(specs) = child(*submodel, "sim_specs") {
                self.submodel_specs(specs, &format!("submodel `{model_name}`"));
            }
        }
        let inner_prefix = format!("{prefix}{}.", unescape_name(name, self.display_names));
        self.model_path.push((model_key, model_name.to_owned()));
        let mut variables = self.model(*submodel, &inner_prefix, submodels, depth + 1);
        self.model_path.pop();
        let mut upward = Vec::new();
        for connect in elements(node, "connect") {
            let (Some(to), Some(from)) = (connect.attribute("to"), connect.attribute("from")) else {
                self.report(
                    Diagnostic::new(Code::MissingKey, "a <connect> needs `to` and `from`").at(Some(self.span(connect))),
                );
                continue;
            };
            let (to, from) = (unquote_path(to), unquote_path(from));
            let (to, from) = (to.as_str(), from.as_str());
            // A `to` with a leading dot names a variable beside the module, set from the module's
            // output (section 4.7.1's `<connect to=".Root_Model_Input" from="Sub_Model.Output"/>`);
            // so does a bare `to` fed from this module's own output.
            let upward_to = to.strip_prefix('.').or_else(|| {
                let qualified_from = qualified_by(from, name);
                (qualified_from && !qualified_by(to, name)).then_some(to)
            });
            if let Some(outside) = upward_to {
                let from_local = strip_prefix(from, name);
                upward.push(Upward {
                    module: name.to_owned(),
                    to: outside.to_owned(),
                    from: format!("{name}.{from_local}"),
                    span: self.span(connect),
                });
                continue;
            }
            // Otherwise `to` names a variable of the module, with or without the module's name in
            // front; `from` is relative to the model holding the module, a leading dot marking it.
            let to_local = strip_prefix(to, name);
            let target = CanonicalName::new(&format!("{inner_prefix}{to_local}"));
            let source = format!("{prefix}{}", from.strip_prefix('.').unwrap_or(from));
            match variables.iter_mut().find(|v| v.canonical == target) {
                Some(input) => {
                    input.kind = VariableKind::Auxiliary;
                    input.graph = None;
                    input.equation = Some(Equation::new(
                        equation_form(&source),
                        Origin { span: Some(self.span(connect)), text_offset: None },
                    ));
                }
                None => self.report(
                    Diagnostic::new(Code::UnknownName, format!("module `{name}` has no variable `{to}` to connect"))
                        .at(Some(self.span(connect))),
                ),
            }
        }
        Some(Module { name: name.to_owned(), variables, upward })
    }

    /// A `<module>` or `<model>` whose model is in another file (`resource="..."`, XMILE 4.7.1):
    /// the reader takes one file's text and reads nothing else, so it is refused where it is.
    fn refuse_resource(&mut self, node: Node<'_, '_>, what: &str, name: &str) {
        let (resource, span) = self.attribute_with_span(node, "resource").unwrap_or(("", self.span(node)));
        self.report(
            Diagnostic::new(
                Code::Unsupported,
                if self.resources.readable {
                    format!(
                        "{what} `{name}` takes its model from another file (`resource=\"{resource}\"`), which fulcrum \
                         reads only for the modules of the file it is given"
                    )
                } else {
                    format!(
                        "{what} `{name}` takes its model from another file (`resource=\"{resource}\"`), which fulcrum \
                         does not read here"
                    )
                },
            )
            .at(Some(span))
            .with_help(format!(
                "copy that file's <model> into this file as <model name=\"{name}\"> and drop the resource attribute"
            )),
        );
    }

    /// A submodel's own `<sim_specs>` (XMILE 3.7.4: a different dt, or a run of its own at every
    /// step, for a submodel). Stella runs every module with the model's run specs and fulcrum has
    /// one clock per run, so specs that agree with the whole model's are accepted and any that
    /// differ are refused at the setting that differs, rather than run on another clock.
    fn submodel_specs(&mut self, specs: Node<'_, '_>, model_name: &str) {
        // `model_name` says which model: "submodel `Tank`", "the root model".
        let whole = self.whole_sim.clone();
        for (setting, value) in [("start", whole.start), ("stop", whole.stop), ("dt", whole.dt)] {
            let Some(node) = child(specs, setting) else { continue };
            let Some(mut own) = self.number(node, &format!("<sim_specs> <{setting}>")) else { continue };
            if setting == "dt" && node.attribute("reciprocal").is_some_and(|r| r.trim().eq_ignore_ascii_case("true")) {
                own = 1.0 / own;
            }
            if own != value {
                self.refuse_submodel_specs(
                    self.span(node),
                    model_name,
                    &format!("{setting} {own}"),
                    &format!("{value}"),
                );
            }
        }
        if let Some((method, span)) = self.attribute_with_span(specs, "method")
            && choose_method(method) != Some(whole.method)
        {
            self.refuse_submodel_specs(span, model_name, &format!("method {method}"), whole.method.as_str());
        }
    }

    fn refuse_submodel_specs(&mut self, span: Span, model_name: &str, own: &str, whole: &str) {
        self.report(
            Diagnostic::new(
                Code::Unsupported,
                format!("{model_name} has its own {own}, but the whole model's is {whole}: fulcrum runs every model of a file on one clock"),
            )
            .at(Some(span))
            .with_help("Stella runs modules with the model's run specs: delete the submodel's <sim_specs>, or make them agree"),
        );
    }

    fn variable(&mut self, node: Node<'_, '_>, mut kind: VariableKind) -> Option<Variable> {
        let Some(name_attribute) = node.attribute_node("name") else {
            self.report(
                Diagnostic::new(Code::MissingKey, format!("a <{}> has no name", node.tag_name().name()))
                    .at(Some(self.span(node))),
            );
            return None;
        };
        let name = unescape_name(name_attribute.value(), self.display_names);
        let first_diagnostic = self.diagnostics.0.len();
        let name_span = self.prepared.span(name_attribute.range_value());
        let mut variable = Variable::new(name, VariableKind::Auxiliary);
        variable.span = Some(name_span);
        // A variable written inside another would otherwise vanish without a word.
        for inner in node.children().filter(|c| matches!(c.tag_name().name(), "stock" | "flow" | "aux" | "module")) {
            let message = format!(
                "<{}> `{}` is written inside <{}> `{}`; variables sit side by side in <variables>",
                inner.tag_name().name(),
                inner.attribute("name").unwrap_or_default(),
                node.tag_name().name(),
                variable.name
            );
            self.report(Diagnostic::new(Code::InvalidValue, message).at(Some(self.span(inner))));
        }
        variable.doc = child_text(node, "doc").map(|doc| doc.trim().to_owned()).filter(|doc| !doc.is_empty());
        variable.units = child_text(node, "units").map(|units| units.trim().to_owned()).filter(|u| !u.is_empty());
        if let Some(dimensions) = child(node, "dimensions") {
            (variable.dimensions, variable.dimension_spans) = elements(dimensions, "dim")
                .filter_map(|d| Some((d.attribute("name")?.to_owned(), self.span(d))))
                .unzip();
        }
        let equations: Vec<Node<'_, '_>> = elements(node, "eqn").collect();
        match equations.as_slice() {
            [] => {}
            [single] => variable.equation = Some(self.equation(*single)),
            // Vensim's export writes one bare <eqn> per element of an array, in element order.
            several => {
                for (position, equation) in several.iter().enumerate() {
                    variable.elements.push(ElementDefinition {
                        subscript: vec![format!("#{}", position + 1)],
                        equation: Some(self.equation(*equation)),
                        graph: None,
                        span: Some(self.span(*equation)),
                    });
                }
            }
        }
        if let Some(equation) = variable.equation.take() {
            variable.equation = Some(self.with_initial(node, equation, &kind));
        }
        for element in elements(node, "element") {
            let subscript = element.attribute("subscript").unwrap_or_default();
            let equation = child(element, "eqn").map(|eqn| self.equation(eqn));
            variable.elements.push(ElementDefinition {
                subscript: subscript.split(',').map(|part| part.trim().to_owned()).collect(),
                equation: equation.map(|equation| self.with_initial(element, equation, &kind)),
                graph: child(element, "gf").map(|gf| self.graph(gf)),
                span: Some(self.span(element)),
            });
        }
        variable.graph = child(node, "gf").map(|gf| self.graph(gf));
        // A standalone table arrayed with a table per element has no points of its own.
        let own_points = ["xpts", "xscale", "ypts"].iter().any(|tag| child(node, tag).is_some());
        if kind == VariableKind::GraphicalFunction && (own_points || variable.elements.is_empty()) {
            variable.graph = Some(self.graph(node));
        }
        let explicit = child(node, "non_negative").map(|n| self.flag(n));
        match &mut kind {
            VariableKind::Stock { inflows, outflows, non_negative } => {
                *inflows = elements(node, "inflow").map(|n| self.flow_link(n)).collect();
                *outflows = elements(node, "outflow").map(|n| self.flow_link(n)).collect();
                *non_negative = explicit.unwrap_or(self.stocks_non_negative);
                if let Some(found) = child(node, "queue") {
                    variable.queue = Some(Some(self.span(found)));
                    self.queue_options(found, &variable.name);
                }
                if let Some(found) = child(node, "conveyor") {
                    variable.conveyor = Some(self.conveyor(found, &variable.name));
                }
            }
            VariableKind::Flow { non_negative } => {
                *non_negative = explicit.unwrap_or(self.flows_non_negative);
                if explicit == Some(false)
                    && let Some(found) = child(node, "non_negative")
                {
                    self.biflows.push((variable.canonical.clone(), self.span(found)));
                }
                variable.leak = child(node, "leak").map(|leak| self.leak(node, leak));
                // Stella writes a leak's fraction as the flow's <eqn> and marks it with an empty
                // <leak/>; a leak's flow has no equation of its own (XMILE 4.3).
                if let Some(leak) = variable.leak.as_mut().filter(|leak| leak.fraction.is_none()) {
                    leak.fraction = variable.equation.take();
                }
                variable.overflow = child(node, "overflow").is_some_and(|overflow| self.flag(overflow));
                variable.whole_step = child(node, "whole_step").is_some();
                // Stella's spread inflows place what enters along a conveyor rather than at its
                // start; a profile (`dist`) names its graphical function in <isee:distrib_eq>.
                if let Some((spread, span)) = self.attribute_with_span(node, "spreadflow") {
                    variable.spread = self.spread(node, spread, span, &variable.name);
                }
            }
            VariableKind::Auxiliary | VariableKind::GraphicalFunction => {}
        }
        variable.kind = kind;
        self.expand_literal_list(&mut variable);
        self.number_bare_elements(&mut variable);
        for diagnostic in &mut self.diagnostics.0[first_diagnostic..] {
            diagnostic.variable.get_or_insert_with(|| variable.name.clone());
        }
        Some(variable)
    }

    /// A queue's inflows must be non-negative and its outflows are so by definition (XMILE 4.3):
    /// a flow of a queue said to flow both ways is refused where it says so. Forgets the biflows
    /// of this model (from `first`) once checked.
    fn check_queue_flows(&mut self, variables: &[Variable], first: usize) {
        let biflows = self.biflows.split_off(first.min(self.biflows.len()));
        for stock in variables.iter().filter(|v| v.queue.is_some()) {
            let VariableKind::Stock { inflows, outflows, .. } = &stock.kind else { continue };
            for link in inflows.iter().chain(outflows) {
                let Some((_, span)) = biflows.iter().find(|(name, _)| *name == link.canonical) else { continue };
                self.report(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!(
                            "`{}` is said to flow both ways, but it is a flow of queue `{}`, which XMILE requires to be non-negative",
                            link.name, stock.name
                        ),
                    )
                    .at(Some(*span))
                    .with_help("drop <non_negative>false</non_negative>: a queue's flows never run backwards"),
                );
            }
        }
    }

    /// Where a conveyor inflow puts what it brings, from its `isee:spreadflow` word: a profile
    /// (`dist`) takes the graphical function its `<isee:distrib_eq>` names. A word fulcrum does
    /// not know, or a profile without its function, is reported where it is written.
    fn spread(&mut self, node: Node<'_, '_>, word: &str, span: Span, flow: &str) -> Spread {
        if let Some(found) = Spread::from_word(word) {
            return found;
        }
        if word.trim().eq_ignore_ascii_case("dist") {
            let profile = child_text(node, "distrib_eq").map(|text| text.trim().to_owned()).unwrap_or_default();
            if profile.is_empty() {
                self.report(
                    Diagnostic::new(
                        Code::MissingKey,
                        format!("`{flow}` spreads what it brings by a profile (`spreadflow=\"dist\"`), but names no profile"),
                    )
                    .at(Some(span))
                    .with_help("name the graphical function of the profile inside the flow, e.g. <isee:distrib_eq>profile</isee:distrib_eq>"),
                );
                return Spread::Beginning;
            }
            return Spread::Profile(unescape_name(&profile, self.display_names));
        }
        self.report(
            Diagnostic::new(
                Code::Unsupported,
                format!("`{flow}` spreads what it brings over its conveyor by `spreadflow=\"{word}\"`, which fulcrum does not simulate"),
            )
            .at(Some(span))
            .with_help("fulcrum places a conveyor inflow at the beginning, evenly (`even`), in proportion to the belt's contents (`dest`), by its source (`source`) or by a profile (`dist`)"),
        );
        Spread::Beginning
    }

    /// A stock's `<conveyor>` options (XMILE 4.2.1).
    fn conveyor(&mut self, node: Node<'_, '_>, name: &str) -> Conveyor {
        let span = Some(self.span(node));
        let transit_time = child(node, "len").map(|len| self.equation(len));
        if transit_time.is_none() {
            self.report(
                Diagnostic::new(Code::MissingKey, format!("conveyor `{name}` has no transit time"))
                    .at(span)
                    .with_help("write the time material spends on the belt inside <conveyor>, e.g. <len>4</len>"),
            );
        }
        let attribute_flag =
            |attribute: &str| node.attribute(attribute).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let discrete = attribute_flag("discrete");
        let one_at_a_time = !node.attribute("one_at_a_time").is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
        self.conveyor_options(node, name);
        Conveyor {
            transit_time,
            capacity: child(node, "capacity").map(|capacity| self.equation(capacity)),
            inflow_limit: child(node, "in_limit").map(|limit| self.equation(limit)),
            arrest: child(node, "arrest").map(|arrest| self.equation(arrest)),
            sample: child(node, "sample").map(|sample| self.equation(sample)),
            discrete,
            exponential_leak: attribute_flag("exponential_leak"),
            variable_speed: attribute_flag("variable_speed"),
            batch_integrity: attribute_flag("batch_integrity"),
            one_at_a_time,
            span,
        }
    }

    /// Every attribute and element on a `<conveyor>` other than those fulcrum simulates is
    /// refused where it is written, rather than dropped. Stella's `force_leak_fraction` is let
    /// through: its help does not describe it, and the one real model at hand that sets it
    /// (a straight-line depreciation, a leak fraction of 1 over the whole belt) gives Vensim's
    /// results for the same model with the leak fraction applied as written.
    fn conveyor_options(&mut self, node: Node<'_, '_>, name: &str) {
        const ATTRIBUTES: [&str; 6] = [
            "discrete",
            "exponential_leak",
            "variable_speed",
            "batch_integrity",
            "one_at_a_time",
            "force_leak_fraction",
        ];
        const ELEMENTS: [&str; 5] = ["len", "capacity", "in_limit", "arrest", "sample"];
        let mut options: Vec<(String, Span)> = node
            .attributes()
            .filter(|attribute| !ATTRIBUTES.contains(&attribute.name()))
            .map(|attribute| (attribute.name().to_owned(), self.prepared.span(attribute.range())))
            .collect();
        options.extend(
            node.children()
                .filter(|option| option.is_element() && !ELEMENTS.contains(&option.tag_name().name()))
                .map(|option| (option.tag_name().name().to_owned(), self.span(option))),
        );
        for (option, span) in options {
            self.report(
                Diagnostic::new(
                    Code::Unsupported,
                    format!("conveyor `{name}` has the option `{option}`, which fulcrum does not simulate"),
                )
                .at(Some(span))
                .on_variable(name)
                .with_help(
                    "fulcrum simulates a conveyor's len, capacity, in_limit, arrest and sample, and its discrete, \
                     exponential_leak, variable_speed, batch_integrity and one_at_a_time attributes (XMILE 4.2.1)",
                ),
            );
        }
    }

    /// XMILE's queues have no options (4.2), so anything written on or in a `<queue>` (Stella's
    /// inflow priority by batch attribute, say) is a vendor option fulcrum would ignore: each is
    /// refused where it is written rather than dropped.
    fn queue_options(&mut self, node: Node<'_, '_>, name: &str) {
        let mut options: Vec<(String, Span)> = node
            .attributes()
            .map(|attribute| (attribute.name().to_owned(), self.prepared.span(attribute.range())))
            .collect();
        options.extend(
            node.children()
                .filter(Node::is_element)
                .map(|option| (option.tag_name().name().to_owned(), self.span(option))),
        );
        for (option, span) in options {
            self.report(
                Diagnostic::new(
                    Code::Unsupported,
                    format!("queue `{name}` has the option `{option}`, which fulcrum does not simulate"),
                )
                .at(Some(span))
                .on_variable(name)
                .with_help(
                    "XMILE queues have no options (4.2): fulcrum keeps batches first in, first out, in inflow order, \
                     and tracks no batch attributes to order them by; delete the option to run the queue so",
                ),
            );
        }
    }

    /// A flow's `<leak>` (XMILE 4.3): its fraction, if written, and the zone in the flow's
    /// `leak_start` and `leak_end` attributes.
    fn leak(&mut self, flow: Node<'_, '_>, node: Node<'_, '_>) -> Leak {
        let has_text = node.descendants().filter(Node::is_text).any(|t| t.text().is_some_and(|t| !t.trim().is_empty()));
        let fraction = has_text.then(|| self.equation(node));
        let mut zone = |attribute: &str, default: f64| -> f64 {
            let Some(text) = flow.attribute(attribute) else { return default };
            match text.trim().parse::<f64>() {
                Ok(value) if (0.0..=1.0).contains(&value) => value,
                _ => {
                    let span = flow.attribute_node(attribute).map(|a| self.prepared.span(a.range_value()));
                    self.report(
                        Diagnostic::new(
                            Code::InvalidValue,
                            format!("{attribute} `{text}` is not a number from 0 to 1"),
                        )
                        .at(span.or(Some(self.span(flow))))
                        .with_help("the leak zone is given as fractions of the belt from its inflowing end"),
                    );
                    default
                }
            }
        };
        let (zone_start, mut zone_end) = (zone("leak_start", 0.0), zone("leak_end", 1.0));
        if zone_start > zone_end {
            self.report(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("the leak zone starts at {zone_start}, after it ends at {zone_end}"),
                )
                .at(Some(self.span(flow)))
                .with_help("leak_start is where the zone begins and leak_end where it ends, from the inflowing end"),
            );
            zone_end = zone_start;
        }
        let integers = child(flow, "leak_integers").map(|n| self.flag(n)).unwrap_or(false);
        Leak { fraction, zone_start, zone_end, integers, span: Some(self.span(node)) }
    }

    /// An `<eqn>`: its text, parsed, and where it sits in the file (exactly, when the XML holds
    /// the text verbatim).
    /// Stella's `<init_eqn>` beside an auxiliary's or a flow's `<eqn>` gives the value used while
    /// the initial values are computed (what Vensim's ACTIVE INITIAL says, and how Stella writes
    /// it): the equation becomes `ACTIVE_INITIAL(eqn, init_eqn)`. A stock's initial value is its
    /// `<eqn>`, so one there is refused where it is written.
    fn with_initial(&mut self, node: Node<'_, '_>, equation: Equation, kind: &VariableKind) -> Equation {
        let Some(initial) = child(node, "init_eqn") else { return equation };
        if matches!(kind, VariableKind::Stock { .. }) {
            self.report(
                Diagnostic::new(
                    Code::Unsupported,
                    "a stock's <init_eqn> is not simulated: a stock starts at its <eqn>",
                )
                .at(Some(self.span(initial)))
                .with_help("write the stock's initial value as its <eqn>"),
            );
            return equation;
        }
        let initial = self.equation(initial);
        let text = format!("ACTIVE_INITIAL(({}), ({}))", equation.text.trim(), initial.text.trim());
        Equation::new(text, Origin { span: equation.origin.span, text_offset: None })
    }

    fn equation(&mut self, node: Node<'_, '_>) -> Equation {
        let text: String = node.descendants().filter(Node::is_text).filter_map(|t| t.text()).collect();
        let span = self.span(node);
        let text_node = node.first_child().filter(Node::is_text);
        let text_offset = text_node
            .filter(|t| node.children().count() == 1 && self.prepared.text.get(t.range()) == Some(text.as_str()))
            .filter(|t| !self.prepared.is_spliced(t.range()))
            .map(|t| self.prepared.span(t.range()).start());
        Equation::new(text, Origin { span: Some(span), text_offset })
    }

    /// Vensim's `1, 2, 3` (and `1, 2; 3, 4;` for two dimensions) gives each element of an array
    /// its own number, in row-major order.
    fn expand_literal_list(&mut self, variable: &mut Variable) {
        if variable.dimensions.is_empty() || !variable.elements.is_empty() {
            return;
        }
        let Some(equation) = &variable.equation else { return };
        let parts: Vec<&str> = equation.text.split([',', ';']).map(str::trim).filter(|part| !part.is_empty()).collect();
        if parts.len() < 2 {
            return;
        }
        let Ok(values) = parts.iter().map(|part| part.parse::<f64>()).collect::<Result<Vec<f64>, _>>() else {
            return;
        };
        let Some(count) = self.element_count(variable) else { return };
        if values.len() != count {
            self.report(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("`{}` lists {} numbers for its {count} elements", variable.name, values.len()),
                )
                .at(equation.origin.span),
            );
            return;
        }
        let origin = equation.origin;
        variable.elements = values
            .into_iter()
            .enumerate()
            .map(|(position, value)| ElementDefinition {
                subscript: vec![format!("#{}", position + 1)],
                equation: Some(Equation { origin, ..Equation::number(value) }),
                graph: None,
                span: origin.span,
            })
            .collect();
        variable.equation = None;
    }

    /// How many elements an arrayed variable has, if its dimensions are known.
    fn element_count(&self, variable: &Variable) -> Option<usize> {
        variable
            .dimensions
            .iter()
            .map(|d| self.dimension_elements.get(&CanonicalName::new(d)).map(Vec::len))
            .product::<Option<usize>>()
    }

    /// Elements given by position (`#n`, from bare `<eqn>` lists and number lists) get their
    /// element names, in row-major order.
    fn number_bare_elements(&mut self, variable: &mut Variable) {
        if !variable.elements.iter().any(|e| e.subscript.first().is_some_and(|s| s.starts_with('#'))) {
            return;
        }
        let dimensions: Option<Vec<&Vec<String>>> =
            variable.dimensions.iter().map(|d| self.dimension_elements.get(&CanonicalName::new(d))).collect();
        let count: usize = dimensions.as_ref().map_or(0, |d| d.iter().map(|e| e.len()).product());
        let Some(dimensions) = dimensions.filter(|_| variable.elements.len() == count) else {
            let message = format!("`{}` has {} equations for {count} elements", variable.name, variable.elements.len());
            self.report(Diagnostic::new(Code::InvalidValue, message).at(variable.span));
            variable.elements.clear();
            return;
        };
        for (position, element) in variable.elements.iter_mut().enumerate() {
            let mut rest = position;
            let mut names = vec![String::new(); dimensions.len()];
            for (name, elements) in names.iter_mut().zip(&dimensions).rev() {
                *name = elements[rest % elements.len()].clone();
                rest /= elements.len();
            }
            element.subscript = names;
        }
    }

    fn graph(&mut self, node: Node<'_, '_>) -> GraphicalFunction {
        let mut kind = node.attribute("type").and_then(GraphKind::parse).unwrap_or_default();
        if node.attribute("discrete").is_some_and(|d| d.trim().eq_ignore_ascii_case("true")) {
            kind = GraphKind::Discrete;
        }
        let y = child(node, "ypts").map(|n| self.points(n)).unwrap_or_default();
        let x = match (child(node, "xpts"), child(node, "xscale")) {
            (Some(points), _) => self.points(points),
            (None, Some(scale)) => {
                let bound = |name: &str| {
                    let text = scale.attribute(name).unwrap_or_default().trim();
                    (text, text.parse::<f64>().ok())
                };
                match (bound("min"), bound("max")) {
                    ((_, Some(min)), (_, Some(max))) if min.is_finite() && max.is_finite() => {
                        GraphicalFunction::from_scale(kind, min, max, y.clone()).x
                    }
                    ((min_text, Some(min)), (max_text, Some(_))) => {
                        let (name, text) = if min.is_finite() { ("max", max_text) } else { ("min", min_text) };
                        let message = format!("<xscale> `{name}` must be a finite number, not `{text}`");
                        self.report(Diagnostic::new(Code::NonFiniteNumber, message).at(Some(self.span(scale))));
                        Vec::new()
                    }
                    _ => {
                        self.report(
                            Diagnostic::new(Code::InvalidValue, "<xscale> needs numeric `min` and `max`")
                                .at(Some(self.span(scale))),
                        );
                        Vec::new()
                    }
                }
            }
            (None, None) => Vec::new(),
        };
        GraphicalFunction { kind, x, y, span: Some(self.span(node)) }
    }

    /// `<xpts>` or `<ypts>`: numbers separated by `sep` (a comma unless it says otherwise).
    fn points(&mut self, node: Node<'_, '_>) -> Vec<f64> {
        let separator = node.attribute("sep").filter(|s| !s.is_empty()).unwrap_or(",");
        let text = node.text().unwrap_or_default();
        let mut points = Vec::new();
        for part in text.split(separator).map(str::trim).filter(|p| !p.is_empty()) {
            match part.parse::<f64>() {
                Ok(value) if value.is_finite() => points.push(value),
                Ok(value) => {
                    self.report(
                        Diagnostic::new(
                            Code::NonFiniteNumber,
                            format!("`{part}` in a graphical function is not a finite number"),
                        )
                        .at(Some(self.span(node))),
                    );
                    points.push(value);
                }
                Err(_) => {
                    self.report(
                        Diagnostic::new(
                            Code::InvalidValue,
                            format!("`{part}` in a graphical function is not a number"),
                        )
                        .at(Some(self.span(node))),
                    );
                    points.push(f64::NAN);
                }
            }
        }
        points
    }

    fn flow_link(&mut self, node: Node<'_, '_>) -> FlowLink {
        let written = node.text().unwrap_or_default().trim();
        let name = unescape_name(&unquote(written), self.display_names);
        let mut link = FlowLink::new(name);
        link.span = Some(self.span(node));
        link
    }

    /// A boolean element: present and empty means true; otherwise its text, case-insensitively.
    fn flag(&mut self, node: Node<'_, '_>) -> bool {
        match node.text().map(str::trim).filter(|t| !t.is_empty()) {
            None => true,
            Some(text) if text.eq_ignore_ascii_case("true") => true,
            Some(text) if text.eq_ignore_ascii_case("false") => false,
            Some(text) => {
                self.report(
                    Diagnostic::new(Code::InvalidValue, format!("`{text}` is not true or false"))
                        .at(Some(self.span(node))),
                );
                false
            }
        }
    }

    fn number(&mut self, node: Node<'_, '_>, what: &str) -> Option<f64> {
        let text = node.text().unwrap_or_default().trim();
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => Some(value),
            Ok(_) => {
                self.report(
                    Diagnostic::new(Code::NonFiniteNumber, format!("{what} must be a finite number"))
                        .at(Some(self.span(node))),
                );
                None
            }
            Err(_) => {
                self.report(
                    Diagnostic::new(Code::InvalidValue, format!("{what} must be a number, not `{text}`"))
                        .at(Some(self.span(node))),
                );
                None
            }
        }
    }
}

/// Vensim's export declares flows as `<aux>` and lists them as stocks' inflows and outflows;
/// whatever a stock lists is a flow.
fn promote_listed_flows(variables: &mut [Variable]) {
    let listed: Vec<CanonicalName> = variables
        .iter()
        .filter_map(|v| match &v.kind {
            VariableKind::Stock { inflows, outflows, .. } => {
                Some(inflows.iter().chain(outflows).map(|l| l.canonical.clone()))
            }
            _ => None,
        })
        .flatten()
        .collect();
    for variable in variables.iter_mut() {
        if variable.kind == VariableKind::Auxiliary && listed.contains(&variable.canonical) {
            variable.kind = VariableKind::Flow { non_negative: false };
        }
    }
}

/// The first integration method in a comma-separated list that fulcrum has. XMILE makes RK4
/// the fallback for the optional methods (RK45, Gear).
fn choose_method(text: &str) -> Option<Method> {
    let mut fallback = None;
    for method in text.split(',').map(str::trim) {
        match method.to_ascii_lowercase().as_str() {
            "rk45" | "gear" => fallback = Some(Method::Rk4),
            other => {
                if let Ok(method) = other.parse::<Method>() {
                    return Some(method);
                }
            }
        }
    }
    fallback
}

/// A `<module>` read and flattened.
struct Module {
    name: String,
    /// The submodel's variables, named `prefix + name + "." + variable`.
    variables: Vec<Variable>,
    /// Variables of the model holding the module that the module's outputs set.
    upward: Vec<Upward>,
}

/// `<connect to=".x" from="m.y"/>`: the module's `y` sets `x` of the model holding it.
struct Upward {
    module: String,
    /// The variable beside the module, without the dot.
    to: String,
    /// The module's output, `module.variable`.
    from: String,
    span: Span,
}

/// Prefixes references to this model's own variables (and to its modules' variables) with the
/// module path, so that the names stay unique once flattened.
fn qualify(variables: &mut [Variable], prefix: &str, modules: &[String]) {
    let local: Vec<CanonicalName> = variables.iter().map(|v| v.canonical.clone()).collect();
    let module_roots: Vec<CanonicalName> = modules.iter().map(|m| CanonicalName::new(m)).collect();
    let graphs: Vec<CanonicalName> =
        variables.iter().filter(|v| v.graph.is_some()).map(|v| v.canonical.clone()).collect();
    let mut rename = |name: &syntax::NameRef, called: bool| {
        let is_local = if called { graphs.contains(&name.canonical) } else { local.contains(&name.canonical) };
        let in_module = name
            .canonical
            .as_str()
            .split_once('.')
            .is_some_and(|(root, _)| module_roots.contains(&CanonicalName::new(root)));
        (is_local || in_module).then(|| format!("{prefix}{}", name.written))
    };
    for variable in variables.iter_mut() {
        prefix_variable(variable, prefix, &local, &mut rename);
    }
}

/// Gives a variable moved into a copy (a module's, a macro call's) the copy's prefix: its name,
/// the names its equations `rename`s, and its links to flows among `local`.
pub(crate) fn prefix_variable(
    variable: &mut Variable,
    prefix: &str,
    local: &[CanonicalName],
    rename: &mut impl FnMut(&syntax::NameRef, bool) -> Option<String>,
) {
    variable.name = format!("{prefix}{}", variable.name);
    variable.canonical = CanonicalName::new(&variable.name);
    // A conveyor's options and a leak's fraction are equations of the variable too.
    let conveyor = variable.conveyor.iter_mut().flat_map(|c| {
        [&mut c.transit_time, &mut c.capacity, &mut c.inflow_limit, &mut c.sample, &mut c.arrest]
            .into_iter()
            .filter_map(Option::as_mut)
    });
    let leak = variable.leak.iter_mut().filter_map(|leak| leak.fraction.as_mut());
    let equations = variable
        .equation
        .iter_mut()
        .chain(variable.elements.iter_mut().filter_map(|e| e.equation.as_mut()))
        .chain(conveyor)
        .chain(leak);
    for equation in equations {
        rewrite(equation, rename);
    }
    // A profile spread names a graphical function of the same copy.
    if let Spread::Profile(profile) = &mut variable.spread
        && local.contains(&CanonicalName::new(profile))
    {
        *profile = format!("{prefix}{profile}");
    }
    if let VariableKind::Stock { inflows, outflows, .. } = &mut variable.kind {
        for link in inflows.iter_mut().chain(outflows.iter_mut()) {
            if local.contains(&link.canonical) {
                let span = link.span;
                *link = FlowLink::new(format!("{prefix}{}", link.name));
                link.span = span;
            }
        }
    }
}

/// Renames the variables an equation refers to, keeping its text in step with its tree.
fn rewrite(equation: &mut Equation, rename: &mut impl FnMut(&syntax::NameRef, bool) -> Option<String>) {
    let Ok(expr) = &mut equation.expr else { return };
    let mut changed = false;
    expr.rename_variables(&mut |name, called| {
        let renamed = rename(name, called);
        changed |= renamed.is_some();
        renamed
    });
    if changed {
        equation.text = expr.to_string();
        // Positions inside the rewritten text no longer match the file.
        equation.origin.text_offset = None;
    }
}

/// Whether `name` is `module.x`.
fn qualified_by(name: &str, module: &str) -> bool {
    name.split_once('.').is_some_and(|(root, _)| CanonicalName::new(root) == CanonicalName::new(module))
}

/// `m.x` → `x` when `m` is the module's name.
fn strip_prefix<'a>(name: &'a str, module: &str) -> &'a str {
    match name.split_once('.') {
        Some((root, rest)) if CanonicalName::new(root) == CanonicalName::new(module) => rest,
        _ => name.strip_prefix('.').unwrap_or(name),
    }
}

/// A dotted path whose parts may be quoted (Stella writes `b."ghost_of_module/output"`), each
/// part unquoted: `b.ghost_of_module/output`. A dot inside quotes stays in its part.
fn unquote_path(text: &str) -> String {
    if !text.contains('"') {
        return text.to_owned();
    }
    let mut parts = Vec::new();
    let (mut part, mut quoted, mut escaped) = (String::new(), false, false);
    for c in text.chars() {
        match c {
            '.' if !quoted => parts.push(unquote(&std::mem::take(&mut part))),
            _ => {
                part.push(c);
                if escaped {
                    escaped = false;
                } else if c == '\\' && quoted {
                    escaped = true;
                } else if c == '"' {
                    quoted = !quoted;
                }
            }
        }
    }
    parts.push(unquote(&part));
    parts.join(".")
}

/// A quoted name's content with XMILE's escapes resolved; other text as it is.
fn unquote(text: &str) -> String {
    match syntax::parse(text) {
        Ok(syntax::Expr { kind: ExprKind::Name(name), .. }) if text.starts_with('"') => name.written,
        _ => text.to_owned(),
    }
}

/// Child elements with this local name (any namespace).
pub(crate) fn elements<'a, 'input>(
    node: Node<'a, 'input>,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children().filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// A conveyor none of whose outflows is marked `<leak>` leaks through all but its first
/// (XMILE 3.7.2); a leak so found has no fraction until one is written.
fn mark_unmarked_leaks(variables: &mut [Variable]) {
    let unmarked: Vec<CanonicalName> = variables
        .iter()
        .filter(|stock| stock.conveyor.is_some())
        .filter_map(|stock| match &stock.kind {
            VariableKind::Stock { outflows, .. } => Some(outflows),
            _ => None,
        })
        .filter(|outflows| {
            !outflows.iter().any(|link| variables.iter().any(|v| v.canonical == link.canonical && v.leak.is_some()))
        })
        .flat_map(|outflows| outflows.iter().skip(1).map(|link| link.canonical.clone()))
        .collect();
    for flow in variables.iter_mut().filter(|v| unmarked.contains(&v.canonical)) {
        // Its <eqn>, if it has one, is the fraction that leaks, as with a marked leak.
        let fraction = flow.equation.take();
        flow.leak = Some(Leak { fraction, zone_start: 0.0, zone_end: 1.0, integers: false, span: flow.span });
    }
}

pub(crate) fn child<'a, 'input>(node: Node<'a, 'input>, name: &'static str) -> Option<Node<'a, 'input>> {
    elements(node, name).next()
}

fn child_text(node: Node<'_, '_>, name: &'static str) -> Option<String> {
    child(node, name).map(|c| c.descendants().filter(Node::is_text).filter_map(|t| t.text()).collect())
}

/// A name as Stella displays it (and writes it in its output's columns): exports write a line
/// break in a name as the two characters `\n` and a space as `_` (XMILE 3.2.2: `birth_rate`
/// appears in the diagram as `birth rate`), both read as a space (the `_` only with `display`);
/// `\\` is a backslash (as fulcrum writes one), and any other backslash stays as it is. The
/// canonical name is the same either way.
fn unescape_name(written: &str, display: bool) -> String {
    let mut name = String::with_capacity(written.len());
    let mut chars = written.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some('n')) => {
                chars.next();
                name.push(' ');
            }
            ('\\', Some('\\')) => {
                chars.next();
                name.push('\\');
            }
            ('_', _) if display => name.push(' '),
            _ => name.push(c),
        }
    }
    name
}

/// An attribute by local name, whatever its namespace.
fn attribute<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes().find(|a| a.name() == name).map(|a| a.value())
}

#[cfg(test)]
mod tests {
    use super::unescape_name;
    use fulcrum_model::name::CanonicalName;

    #[test]
    fn names_are_shown_as_stella_shows_them() {
        assert_eq!(unescape_name("birth_rate", true), "birth rate");
        assert_eq!(unescape_name("size of one\\ntime_harvest", true), "size of one time harvest");
        assert_eq!(unescape_name("back\\\\slash_x", true), "back\\slash x");
        // fulcrum's own files keep underscores.
        assert_eq!(unescape_name("birth_rate", false), "birth_rate");
    }

    proptest::proptest! {
        /// Showing a name as Stella does never changes which variable it names.
        #[test]
        fn a_shown_name_is_the_same_name(written in "[A-Za-z0-9_ ]{1,8}(\\\\n[A-Za-z0-9_ ]{1,8})?") {
            for display in [true, false] {
                let shown = unescape_name(&written, display);
                proptest::prop_assert_eq!(CanonicalName::new(&shown), CanonicalName::new(&written));
            }
        }
    }
}
