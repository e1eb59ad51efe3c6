//! Changes to a model's constants and lookups, as a Vensim changes file (`.cin`) lists them: a
//! constant (or some elements of an arrayed one) set to numbers, a lookup given new points.
//!
//! A list of changes is plain data ([`Change`]); whoever reads it (the Vensim reader reads
//! `.cin` text) gives each change a span in its own file, so that every problem found here is
//! reported there. Two ways to use one:
//!
//! - [`apply`] changes the model itself, for a single run: constants get the new numbers,
//!   lookups the new points.
//! - [`switchable`] keeps the model's values and makes each change something a run can choose
//!   by setting constants: a changed constant is set to its new value, and a changed lookup gets
//!   a copy with the new points and a constant that picks which table every call reads. That is
//!   how one compiled model runs an experiment's options side by side.
//!
//! Either way every change is checked first: a name the model does not have (with the nearest
//! one as a hint), a computed variable, an element that is not one, a list of the wrong length
//! or a table with bad points is an error at the change, and nothing is applied.
//!
//! ```
//! use fulcrum_model::changes::{Change, ChangeValue, apply};
//! let text = "[sim]\nstart = 0\nstop = 1\ndt = 1\n[[constant]]\nname = \"Rate\"\nvalue = 0.05\n";
//! let (mut model, _) = fulcrum_model::native::read(text).unwrap();
//! let change = Change::new("rate", ChangeValue::Number(0.07));
//! apply(&mut model, &[change]).unwrap();
//! assert_eq!(model.variables[0].constant_value(), Some(0.07));
//! ```

use crate::diagnostic::closest_match;
use crate::model::{ElementDefinition, Equation, GraphicalFunction, Model, Origin, Variable, VariableKind};
use crate::name::CanonicalName;
use crate::syntax::{BinaryOp, Expr, ExprKind, NameRef, Span};
use crate::{Code, Diagnostic, Diagnostics};

/// One change: a constant or lookup, which of its elements, and the new value.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// The variable, as written.
    pub name: String,
    /// Element or subscript range names, one per dimension; empty for a whole variable.
    pub subscripts: Vec<String>,
    /// Elements left out of those `subscripts` select (Vensim's `:EXCEPT:`): lists of element
    /// or range names, one per dimension, each leaving out every element it selects.
    pub except: Vec<Vec<String>>,
    /// The new value.
    pub value: ChangeValue,
    /// Where the change is written (its name), in the file that lists it.
    pub span: Option<Span>,
}

impl Change {
    /// A change of a whole variable, written nowhere in particular.
    pub fn new(name: impl Into<String>, value: ChangeValue) -> Change {
        Change { name: name.into(), subscripts: Vec::new(), except: Vec::new(), value, span: None }
    }
}

/// A change's new value.
#[derive(Clone, Debug, PartialEq)]
pub enum ChangeValue {
    /// One number: for a scalar constant, or for every element the subscripts select.
    Number(f64),
    /// One number per element the subscripts select (less those `except` leaves out), in order
    /// (the last subscript fastest).
    List(Vec<f64>),
    /// A string constant's new text (`name :IS: 'text'`).
    Text(String),
    /// A lookup's new points.
    Table {
        /// Increasing x values.
        x: Vec<f64>,
        /// One y per x.
        y: Vec<f64>,
    },
}

/// What a change does, once checked against the model.
enum Target {
    /// Elements of a constant (an empty element list for a scalar) and their new values.
    Constant { variable: usize, values: Vec<(Vec<String>, f64)> },
    /// A lookup's table: the variable's own (`element` `None`) or one element's.
    Lookup { variable: usize, element: Option<Vec<String>>, x: Vec<f64>, y: Vec<f64> },
    /// A string constant (by index in the model's strings) and its new text.
    Text { string: usize, value: String },
    /// A time setting of a Vensim model (`INITIAL TIME`, `FINAL TIME`, `TIME STEP`, `SAVEPER`):
    /// the run's time axis.
    Time { setting: TimeSetting, value: f64 },
}

/// The time settings a Vensim model defines as variables.
#[derive(Clone, Copy)]
enum TimeSetting {
    Start,
    Stop,
    Dt,
    SaveStep,
}

impl TimeSetting {
    fn apply(self, sim: &mut crate::SimSpecs, value: f64) {
        match self {
            TimeSetting::Start => (sim.start, sim.spans.start) = (value, None),
            TimeSetting::Stop => (sim.stop, sim.spans.stop) = (value, None),
            TimeSetting::Dt => (sim.dt, sim.spans.dt) = (value, None),
            TimeSetting::SaveStep => (sim.save_step, sim.spans.save_step) = (Some(value), None),
        }
    }

    /// The experiment key of this setting and its value on the time axis `sim`.
    fn of_sim(self, sim: &crate::SimSpecs) -> (&'static str, f64) {
        match self {
            TimeSetting::Start => ("start", sim.start),
            TimeSetting::Stop => ("stop", sim.stop),
            TimeSetting::Dt => ("dt", sim.dt),
            TimeSetting::SaveStep => ("save_step", sim.save_step.unwrap_or(sim.dt)),
        }
    }

    fn of(name: &CanonicalName) -> Option<TimeSetting> {
        Some(match name.as_str() {
            "initial_time" => TimeSetting::Start,
            "final_time" => TimeSetting::Stop,
            "time_step" => TimeSetting::Dt,
            "saveper" => TimeSetting::SaveStep,
            _ => return None,
        })
    }
}

/// Applies the changes to the model, in order (a later change of the same value wins). Every
/// problem is reported, each at its change, and then nothing is applied.
pub fn apply(model: &mut Model, changes: &[Change]) -> Result<(), Diagnostics> {
    let targets = check(model, changes)?;
    // A time axis the changes break is reported at the last time setting they change.
    let mut trial = model.sim.clone();
    let mut last_time_change = None;
    for (target, change) in targets.iter().zip(changes) {
        if let Target::Time { setting, value } = target {
            setting.apply(&mut trial, *value);
            last_time_change = Some(change);
        }
    }
    if let Some(change) = last_time_change {
        let mut problems = Diagnostics::default();
        crate::resolve::check_sim_specs(&trial, &mut problems);
        if problems.has_errors() {
            let at_change = problems.0.into_iter().map(|problem| match problem.span {
                Some(_) => problem,
                None => problem.at(change.span).on_variable(&change.name),
            });
            return Err(Diagnostics(at_change.collect()));
        }
    }
    for target in targets {
        match target {
            Target::Constant { variable, values } => {
                let Some(variable) = model.variables.get_mut(variable) else { continue };
                for (element, value) in values {
                    set_constant(variable, &element, value);
                }
            }
            Target::Lookup { variable, element, x, y } => {
                let Some(variable) = model.variables.get_mut(variable) else { continue };
                let graph = match element {
                    None => variable.graph.as_mut(),
                    Some(element) => variable
                        .elements
                        .iter_mut()
                        .find(|definition| same_element(&definition.subscript, &element))
                        .and_then(|definition| definition.graph.as_mut()),
                };
                if let Some(graph) = graph {
                    graph.x = x;
                    graph.y = y;
                }
            }
            Target::Time { setting, value } => setting.apply(&mut model.sim, value),
            Target::Text { string, value } => {
                if let Some(string) = model.strings.get_mut(string) {
                    string.value = value;
                }
            }
        }
    }
    Ok(())
}

/// Makes the changes choosable per run instead of applying them: returns the constants to set
/// (by name as a run names them: `Name`, or `Name[element,...]` for an element) and their
/// values. A changed lookup gets a copy with the new points and a constant that chooses the
/// table every call of the lookup reads (0 for the model's own); several lists of changes may
/// be made switchable in one model, each lookup's copies numbered 1, 2, ... in turn.
///
/// - Changes of several elements of an arrayed lookup make one copy, with every changed
///   element's new points and the other elements' own.
/// - A lookup written inside an equation (`WITH LOOKUP`) first has its table moved to a
///   standalone lookup, `Name option 0`, which the equation calls; the copies switch with it.
/// - A time setting is the time axis all options share (the model's `sim`): a value equal to the
///   axis's is accepted and changes nothing, another value is an error at the change.
///
/// Problems are reported as by [`apply`], and then the model is left as it was.
pub fn switchable(model: &mut Model, changes: &[Change]) -> Result<Vec<(String, f64)>, Diagnostics> {
    let targets = check(model, changes)?;
    check_shared_time(model, &targets, changes)?;
    let tables = group_tables(model, &targets);
    let mut diagnostics = Diagnostics::default();
    let mut settings: Vec<(String, f64)> = Vec::new();
    let set = |settings: &mut Vec<(String, f64)>, name: String, value: f64| {
        let canonical = CanonicalName::new(&name);
        settings.retain(|(other, _)| CanonicalName::new(other) != canonical);
        settings.push((name, value));
    };
    for target in &targets {
        match target {
            Target::Constant { variable, values } => {
                let Some(variable) = model.variables.get(*variable) else { continue };
                for (element, value) in values {
                    let name = if element.is_empty() {
                        variable.name.clone()
                    } else {
                        format!("{}[{}]", variable.name, element.join(","))
                    };
                    set(&mut settings, name, *value);
                }
            }
            Target::Lookup { variable, .. } => {
                let Some(original) = model.variables.get(*variable) else { continue };
                // A placeholder, valued once the copy is made.
                set(&mut settings, selector_name(&original.name), f64::NAN);
            }
            // No equation reads a string constant, so no run can tell its values apart.
            Target::Time { .. } | Target::Text { .. } => {}
        }
    }
    let before = model.clone();
    for (variable, new) in tables {
        match add_table_choice(model, variable, &new, None) {
            Ok((selector, choice)) => {
                let canonical = CanonicalName::new(&selector);
                for (name, value) in &mut settings {
                    if CanonicalName::new(name) == canonical {
                        *value = choice;
                    }
                }
            }
            Err(taken) => diagnostics.push(taken_name(model, changes, variable, &taken)),
        }
    }
    if diagnostics.has_errors() {
        *model = before;
        return Err(diagnostics);
    }
    Ok(settings)
}

/// Makes the changes apply while the constant `switch` (which this adds, at 0) is above 0.5,
/// and not otherwise: a changed constant's value becomes `IF switch > 0.5 THEN new ELSE old`
/// (computed from the switch from then on), and every call of a changed lookup reads a copy
/// with the new points while the switch is on. Time settings are checked as by
/// [`switchable`]; `switch` must not be a variable of the model already (the caller says so
/// where the switch is named). Problems are reported as by [`apply`], and then the model is
/// left as it was.
pub fn switched(model: &mut Model, changes: &[Change], switch: &str) -> Result<(), Diagnostics> {
    let targets = check(model, changes)?;
    check_shared_time(model, &targets, changes)?;
    let tables = group_tables(model, &targets);
    let before = model.clone();
    let mut constant = Variable::new(switch, VariableKind::Auxiliary);
    constant.equation = Some(Equation::number(0.0));
    constant.doc = Some("1 applies a changes file, 0 leaves the model as written".to_owned());
    model.variables.push(constant);
    for target in &targets {
        let Target::Constant { variable, values } = target else { continue };
        let Some(variable) = model.variables.get_mut(*variable) else { continue };
        for (element, value) in values {
            switch_constant(variable, element, *value, switch);
        }
    }
    let mut diagnostics = Diagnostics::default();
    for (variable, new) in tables {
        if let Err(taken) = add_table_choice(model, variable, &new, Some(switch)) {
            diagnostics.push(taken_name(model, changes, variable, &taken));
        }
    }
    if diagnostics.has_errors() {
        *model = before;
        return Err(diagnostics);
    }
    Ok(())
}

/// `IF switch > 0.5 THEN yes ELSE no`, at `span`.
fn switch_expr(switch: &str, yes: Expr, no: Expr, span: Span) -> Expr {
    let selector = Expr { kind: ExprKind::Name(NameRef::new(switch)), span };
    let half = Expr { kind: ExprKind::Number(0.5), span };
    Expr {
        kind: ExprKind::If {
            condition: Box::new(Expr::join(selector, BinaryOp::Gt, half)),
            then_branch: Box::new(yes),
            else_branch: Box::new(no),
        },
        span,
    }
}

/// One element of a constant (the whole constant for an empty element) made
/// `IF switch > 0.5 THEN value ELSE` what it was.
fn switch_constant(variable: &mut Variable, element: &[String], value: f64, switch: &str) {
    let switched = |old: &Equation| -> Equation {
        let mut new = old.clone();
        if let Ok(expr) = &mut new.expr {
            let span = expr.span;
            let otherwise = std::mem::replace(expr, Expr { kind: ExprKind::Number(0.0), span });
            *expr = switch_expr(switch, Expr { kind: ExprKind::Number(value), span }, otherwise, span);
            new.text = expr.to_string();
            new.origin.text_offset = None;
        }
        new
    };
    if element.is_empty() {
        variable.equation = variable.equation.as_ref().map(switched);
        return;
    }
    match variable.elements.iter_mut().find(|definition| same_element(&definition.subscript, element)) {
        Some(definition) => definition.equation = definition.equation.as_ref().map(switched),
        None => {
            let equation = variable.equation.as_ref().map(switched);
            variable.elements.push(ElementDefinition {
                subscript: element.to_vec(),
                equation,
                graph: None,
                span: None,
            });
        }
    }
}

/// Each changed lookup (by index) with its new tables: one copy of its tables per lookup, with
/// every change of it made, in the order the lookups are first changed.
fn group_tables(model: &Model, targets: &[Target]) -> Vec<(usize, Variable)> {
    let mut tables: Vec<(usize, Variable)> = Vec::new();
    for target in targets {
        let Target::Lookup { variable, element, x, y } = target else { continue };
        let Some(original) = model.variables.get(*variable) else { continue };
        let position = match tables.iter().position(|(index, _)| index == variable) {
            Some(position) => position,
            None => {
                tables.push((*variable, tables_of(model, original).clone()));
                tables.len() - 1
            }
        };
        let new = &mut tables[position].1;
        let graph = match element {
            None => new.graph.as_mut(),
            Some(element) => new
                .elements
                .iter_mut()
                .find(|definition| same_element(&definition.subscript, element))
                .and_then(|definition| definition.graph.as_mut()),
        };
        if let Some(graph) = graph {
            (graph.x, graph.y) = (x.clone(), y.clone());
        }
    }
    tables
}

/// The problem of a changed lookup whose copy or selector would take a name the model uses.
fn taken_name(model: &Model, changes: &[Change], variable: usize, taken: &str) -> Diagnostic {
    Diagnostic::new(
        Code::Unsupported,
        format!("the model already has a variable `{taken}`, the name a changed lookup's table takes"),
    )
    .at(changes
        .iter()
        .find(|c| model.variables.get(variable).is_some_and(|v| CanonicalName::new(&c.name) == v.canonical))
        .and_then(|c| c.span))
    .with_help("rename that variable in the model")
}

/// The time settings among the changes must equal the time axis every option shares.
fn check_shared_time(model: &Model, targets: &[Target], changes: &[Change]) -> Result<(), Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    for (target, change) in targets.iter().zip(changes) {
        if let Target::Time { setting, value } = target {
            let (key, shared) = setting.of_sim(&model.sim);
            if value.to_bits() != shared.to_bits() {
                diagnostics.push(
                    Diagnostic::new(
                        Code::Unsupported,
                        format!(
                            "`{}` = {value} differs from the time axis every option shares ({key} = {shared}); an \
                             option cannot have a time axis of its own",
                            change.name
                        ),
                    )
                    .at(change.span)
                    .on_variable(&change.name)
                    .with_help(format!(
                        "set `{key} = {value}` in the experiment's [sim] section to run every option so, or remove the line from the changes file"
                    )),
                );
            }
        }
    }
    if diagnostics.has_errors() { Err(diagnostics) } else { Ok(()) }
}

/// The name of the constant that chooses among a lookup's tables.
fn selector_name(lookup: &str) -> String {
    format!("{lookup} choice")
}

/// The name of a lookup's `k`th table: 0 the model's own when it moved out of an equation
/// (`WITH LOOKUP`), 1, 2, ... the copies from changes files.
fn table_name(lookup: &str, k: usize) -> String {
    format!("{lookup} option {k}")
}

fn own_table_doc(lookup: &str) -> String {
    format!("the table `{lookup}` is written with, moved out of its equation so that changes files can switch it")
}

/// The variable that holds `variable`'s tables: itself, or for a lookup inside an equation
/// (`WITH LOOKUP`) already made switchable, the standalone lookup its tables moved to.
fn tables_of<'a>(model: &'a Model, variable: &'a Variable) -> &'a Variable {
    if variable.kind == VariableKind::GraphicalFunction
        || variable.graph.is_some()
        || variable.elements.iter().any(|e| e.graph.is_some())
    {
        return variable;
    }
    match model.variable(&table_name(&variable.name, 0)) {
        Some(own) if own.doc.as_deref() == Some(own_table_doc(&variable.name).as_str()) => own,
        _ => variable,
    }
}

/// Whether two variables hold the same points, whole and element by element.
fn same_tables(a: &Variable, b: &Variable) -> bool {
    let points = |graph: Option<&GraphicalFunction>| graph.map(|g| (g.x.clone(), g.y.clone()));
    let elements = |v: &Variable| -> Vec<_> {
        v.elements
            .iter()
            .filter(|e| e.graph.is_some())
            .map(|e| (e.subscript.clone(), points(e.graph.as_ref())))
            .collect()
    };
    points(a.graph.as_ref()) == points(b.graph.as_ref())
        && elements(a).len() == elements(b).len()
        && elements(a).iter().zip(elements(b)).all(|((sa, ga), (sb, gb))| same_element(sa, &sb) && *ga == gb)
}

/// Moves the tables of a lookup inside an equation (`WITH LOOKUP`) to a standalone lookup
/// `Name option 0`, which the equation then calls: the same values, and a lookup that calls can
/// be switched away from. Returns that lookup's index, or the name it needs when the model
/// already uses it for something else.
fn move_own_table(model: &mut Model, variable: usize) -> Result<usize, String> {
    let Some(original) = model.variables.get(variable) else { return Err(String::new()) };
    let name = table_name(&original.name, 0);
    let doc = own_table_doc(&original.name);
    if let Some(index) = model.variables.iter().position(|v| v.canonical == CanonicalName::new(&name)) {
        return if model.variables[index].doc.as_ref() == Some(&doc) { Ok(index) } else { Err(name) };
    }
    let mut own = Variable::new(&name, VariableKind::GraphicalFunction);
    own.doc = Some(doc);
    own.units.clone_from(&original.units);
    own.graph.clone_from(&original.graph);
    let element_graphs: Vec<ElementDefinition> = original
        .elements
        .iter()
        .filter(|e| e.graph.is_some())
        .map(|e| ElementDefinition { equation: None, ..e.clone() })
        .collect();
    if !element_graphs.is_empty() {
        own.dimensions.clone_from(&original.dimensions);
        own.elements = element_graphs;
    }
    let call = |equation: &mut Equation| {
        if let Ok(expr) = &mut equation.expr {
            let span = expr.span;
            let input = std::mem::replace(expr, Expr { kind: ExprKind::Number(0.0), span });
            *expr = Expr {
                kind: ExprKind::Call { function: NameRef::new(&name), function_span: span, args: vec![input] },
                span,
            };
            equation.text = expr.to_string();
            equation.origin.text_offset = None;
        }
    };
    let variable = &mut model.variables[variable];
    if variable.graph.take().is_some()
        && let Some(equation) = variable.equation.as_mut()
    {
        call(equation);
    }
    for element in &mut variable.elements {
        if element.graph.take().is_some()
            && let Some(equation) = element.equation.as_mut()
        {
            call(equation);
        }
    }
    model.variables.push(own);
    Ok(model.variables.len() - 1)
}

/// Adds a copy of lookup `variable` with the tables of `new` (or finds one with these tables),
/// and the constant that chooses it; returns the constant's name and the copy's number, or the
/// name one of them needs when the model already uses it for something else. With `switch`,
/// every call reads the copy while that constant is above 0.5 instead, and no choosing constant
/// is added.
fn add_table_choice(
    model: &mut Model,
    variable: usize,
    new: &Variable,
    switch: Option<&str>,
) -> Result<(String, f64), String> {
    let Some(original) = model.variables.get(variable).cloned() else { return Err(String::new()) };
    // What every call reads: the lookup itself, or for a lookup inside an equation its own table.
    let called = if original.kind == VariableKind::GraphicalFunction {
        original.clone()
    } else {
        let own = move_own_table(model, variable)?;
        model.variables[own].clone()
    };
    let selector = selector_name(&original.name);
    let selector_doc = format!("which table `{}` reads: 0 for the model's own", original.name);
    let copy_doc = format!("a table for `{}` from a changes file", original.name);
    let mut k = 1;
    let mut exists = false;
    while let Some(copy) = model.variable(&table_name(&original.name, k)) {
        if copy.doc.as_ref() != Some(&copy_doc) {
            return Err(table_name(&original.name, k));
        }
        if same_tables(copy, new) {
            exists = true;
            break;
        }
        k += 1;
    }
    let name = table_name(&original.name, k);
    if let Some(switch) = switch {
        if !exists {
            push_copy(model, &name, copy_doc, &called, new);
        }
        let call = SwitchedCall { lookup: called.canonical.clone(), copy: name, test: Test::Above(switch.to_owned()) };
        rewrite_calls(model, &call);
        return Ok((switch.to_owned(), k as f64));
    }
    if exists {
        return Ok((selector, k as f64));
    }
    match model.variable(&selector) {
        Some(existing) if existing.doc.as_ref() != Some(&selector_doc) => return Err(selector),
        Some(_) => {}
        None => {
            let mut constant = Variable::new(&selector, VariableKind::Auxiliary);
            constant.equation = Some(Equation::number(0.0));
            constant.doc = Some(selector_doc);
            model.variables.push(constant);
        }
    }
    push_copy(model, &name, copy_doc, &called, new);
    let choice =
        SwitchedCall { lookup: called.canonical.clone(), copy: name, test: Test::Equals(selector.clone(), k as f64) };
    rewrite_calls(model, &choice);
    Ok((selector, k as f64))
}

/// Adds the lookup `name`, a copy of `called` with the tables of `new`.
fn push_copy(model: &mut Model, name: &str, doc: String, called: &Variable, new: &Variable) {
    let mut copy = Variable::new(name, VariableKind::GraphicalFunction);
    copy.doc = Some(doc);
    copy.graph = new.graph.as_ref().map(|graph| GraphicalFunction { span: None, ..graph.clone() });
    copy.units = called.units.clone();
    copy.dimensions = called.dimensions.clone();
    copy.elements = new
        .elements
        .iter()
        .filter(|e| e.graph.is_some())
        .map(|e| ElementDefinition {
            subscript: e.subscript.clone(),
            equation: None,
            graph: e.graph.as_ref().map(|graph| GraphicalFunction { span: None, ..graph.clone() }),
            span: None,
        })
        .collect();
    model.variables.push(copy);
}

/// Rewrites every call of the lookup `call` switches, in every equation of the model.
fn rewrite_calls(model: &mut Model, choice: &SwitchedCall) {
    for variable in &mut model.variables {
        let equations =
            variable.equation.iter_mut().chain(variable.elements.iter_mut().filter_map(|e| e.equation.as_mut()));
        for equation in equations {
            if let Ok(expr) = &mut equation.expr
                && choice.rewrite(expr)
            {
                equation.text = expr.to_string();
                // The text is no longer the file's, so spans inside it no longer point into the file.
                equation.origin.text_offset = None;
            }
        }
    }
}

/// Rewrites every call of a lookup into "the copy if the test holds, else the lookup".
struct SwitchedCall {
    lookup: CanonicalName,
    copy: String,
    test: Test,
}

/// When a switched call reads the copy.
enum Test {
    /// A choosing constant equals this number.
    Equals(String, f64),
    /// A switch is above 0.5.
    Above(String),
}

impl SwitchedCall {
    /// Rewrites `expr` in place; says whether anything changed.
    fn rewrite(&self, expr: &mut Expr) -> bool {
        let mut changed = false;
        match &mut expr.kind {
            ExprKind::Number(_) | ExprKind::Name(_) => {}
            ExprKind::Call { args, .. } => {
                for arg in args.iter_mut() {
                    changed |= self.rewrite(arg);
                }
            }
            ExprKind::Subscript { indices, .. } => {
                for index in indices {
                    if let crate::syntax::Index::Expr(inner) = index {
                        changed |= self.rewrite(inner);
                    }
                }
            }
            ExprKind::Unary { operand, .. } => changed |= self.rewrite(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                changed |= self.rewrite(lhs);
                changed |= self.rewrite(rhs);
            }
            ExprKind::Chain { first, rest } => {
                changed |= self.rewrite(first);
                for (_, operand) in rest {
                    changed |= self.rewrite(operand);
                }
            }
            ExprKind::If { condition, then_branch, else_branch } => {
                changed |= self.rewrite(condition);
                changed |= self.rewrite(then_branch);
                changed |= self.rewrite(else_branch);
            }
        }
        // `lookup(x)`, or a function given the lookup by name: `LOOKUP_FORWARD(lookup, x)`.
        let ExprKind::Call { function, args, .. } = &expr.kind else { return changed };
        let names_lookup = |name: &NameRef| name.canonical == self.lookup;
        // An argument that is the lookup, whole or at some elements: `LOOKUP(table[south], x)`.
        let is_lookup = |arg: &Expr| match &arg.kind {
            ExprKind::Name(name) | ExprKind::Subscript { array: name, .. } => names_lookup(name),
            _ => false,
        };
        let calls = names_lookup(function) || args.iter().any(is_lookup);
        if !calls {
            return changed;
        }
        let mut copy = expr.clone();
        if let ExprKind::Call { function, args, .. } = &mut copy.kind {
            if names_lookup(function) {
                *function = NameRef::new(&self.copy);
            }
            for arg in args {
                if let ExprKind::Name(name) | ExprKind::Subscript { array: name, .. } = &mut arg.kind
                    && names_lookup(name)
                {
                    *name = NameRef::new(&self.copy);
                }
            }
        }
        let span = expr.span;
        let original = std::mem::replace(expr, Expr { kind: ExprKind::Number(0.0), span });
        *expr = match &self.test {
            Test::Above(switch) => switch_expr(switch, copy, original, span),
            Test::Equals(selector, k) => {
                let selector = Expr { kind: ExprKind::Name(NameRef::new(selector)), span };
                let k = Expr { kind: ExprKind::Number(*k), span };
                Expr {
                    kind: ExprKind::If {
                        condition: Box::new(Expr::join(selector, BinaryOp::Eq, k)),
                        then_branch: Box::new(copy),
                        else_branch: Box::new(original),
                    },
                    span,
                }
            }
        };
        true
    }
}

/// Sets one element of a constant (the whole constant for an empty element).
fn set_constant(variable: &mut Variable, element: &[String], value: f64) {
    let equation = |old: Option<&Equation>| {
        let mut new = Equation::number(value);
        new.origin = Origin { span: old.and_then(|e| e.origin.span), text_offset: None };
        new
    };
    if element.is_empty() {
        variable.equation = Some(equation(variable.equation.as_ref()));
        return;
    }
    match variable.elements.iter_mut().find(|definition| same_element(&definition.subscript, element)) {
        Some(definition) => definition.equation = Some(equation(definition.equation.as_ref())),
        None => variable.elements.push(ElementDefinition {
            subscript: element.to_vec(),
            equation: Some(equation(None)),
            graph: None,
            span: None,
        }),
    }
}

fn same_element(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| CanonicalName::new(a) == CanonicalName::new(b))
}

/// Checks every change against the model; all problems at once.
fn check(model: &Model, changes: &[Change]) -> Result<Vec<Target>, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let mut targets = Vec::new();
    for change in changes {
        match target(model, change) {
            Ok(target) => targets.push(target),
            Err(diagnostic) => diagnostics.push(*diagnostic),
        }
    }
    if diagnostics.has_errors() { Err(diagnostics) } else { Ok(targets) }
}

fn target(model: &Model, change: &Change) -> Result<Target, Box<Diagnostic>> {
    let fail = |code: Code, message: String, help: String| {
        Box::new(Diagnostic::new(code, message).at(change.span).on_variable(&change.name).with_help(help))
    };
    let canonical = CanonicalName::new(&change.name);
    if let ChangeValue::Text(value) = &change.value {
        let Some(string) = model.strings.iter().position(|string| string.canonical == canonical) else {
            let number = model.variables.iter().find(|variable| variable.canonical == canonical);
            let help = match (number, closest_match(&change.name, model.strings.iter().map(|s| s.name.as_str()))) {
                (Some(number), _) => format!("`{}` holds numbers: `{} = value`", number.name, number.name),
                (None, Some(near)) => format!("did you mean `{near}`?"),
                (None, None) => "`:IS:` sets a string constant the model defines with `name :IS: 'text'`".to_owned(),
            };
            return Err(fail(Code::UnknownName, format!("the model has no string constant `{}`", change.name), help));
        };
        if !change.subscripts.is_empty() || !change.except.is_empty() {
            return Err(fail(
                Code::Unsupported,
                format!("`{}` is given subscripts; fulcrum reads string constants without them", change.name),
                format!("write `{} :IS: 'text'`", change.name),
            ));
        }
        return Ok(Target::Text { string, value: value.clone() });
    }
    let Some(index) = model.variables.iter().position(|variable| variable.canonical == canonical) else {
        let changeable = model.variables.iter().filter(|v| changeable(v)).map(|v| v.name.as_str());
        let help = match closest_match(&change.name, changeable) {
            Some(near) => format!("did you mean `{near}`?"),
            None => "a changes file sets the model's constants and lookups; `fulcrum check` lists the model".to_owned(),
        };
        return Err(fail(Code::UnknownName, format!("the model has no constant or lookup `{}`", change.name), help));
    };
    let variable = &model.variables[index];
    // Vensim's time settings are variables that read the run's time axis; changing one changes
    // the axis (and the variable with it).
    if let (Some(setting), ChangeValue::Number(value), true) =
        (TimeSetting::of(&canonical), &change.value, change.subscripts.is_empty())
    {
        // A setting the model computes during the run keeps its equation, which a number would
        // have to replace in the variable as well as in the time axis.
        let computed = match setting {
            TimeSetting::Start => &None,
            TimeSetting::Stop => &model.sim.computed.stop,
            TimeSetting::Dt => &model.sim.computed.dt,
            TimeSetting::SaveStep => &model.sim.computed.save_step,
        };
        if let Some(computing) = computed {
            return Err(fail(
                Code::Unsupported,
                format!(
                    "`{}` is computed during the run by `{computing}`; a changes file cannot set it yet",
                    change.name
                ),
                format!("change the equation of `{computing}` in the model"),
            ));
        }
        return Ok(Target::Time { setting, value: *value });
    }
    let elements = selected_elements(model, variable, change)?;
    match &change.value {
        ChangeValue::Table { x, y } => {
            // A lookup inside an equation that an earlier list of changes made switchable keeps
            // its tables in a standalone lookup.
            let variable = tables_of(model, variable);
            let per_element = variable.graph.is_none() && variable.elements.iter().any(|e| e.graph.is_some());
            if per_element && elements.len() != 1 {
                return Err(fail(
                    Code::InvalidValue,
                    format!("`{}` has a table for each element; a change gives one of them", change.name),
                    format!("name one element: `{}[{}](...)`", change.name, variable.dimensions.join(",")),
                ));
            }
            let graph = if change.subscripts.is_empty() {
                variable.graph.as_ref()
            } else {
                let element = elements.first().filter(|_| elements.len() == 1);
                element.and_then(|element| {
                    variable
                        .elements
                        .iter()
                        .find(|d| same_element(&d.subscript, element))
                        .and_then(|d| d.graph.as_ref())
                })
            };
            let Some(graph) = graph else {
                return Err(fail(
                    Code::NotAConstant,
                    format!("`{}` is not a lookup, so it cannot be given points", change.name),
                    "points `((x,y), ...)` change a lookup; a constant takes `name = number`".to_owned(),
                ));
            };
            let new = GraphicalFunction { x: x.clone(), y: y.clone(), ..graph.clone() };
            if let Some(problem) = new.problem() {
                return Err(fail(
                    Code::InvalidGraphicalFunction,
                    format!("the new points of `{}` are not a lookup: {problem}", change.name),
                    "a lookup needs at least one point, with x increasing".to_owned(),
                ));
            }
            let element = (!change.subscripts.is_empty()).then(|| elements.into_iter().next().unwrap_or_default());
            Ok(Target::Lookup { variable: index, element, x: x.clone(), y: y.clone() })
        }
        ChangeValue::Number(_) | ChangeValue::List(_) | ChangeValue::Text(_) => {
            if !variable.is_constant() {
                let what = match variable.kind {
                    VariableKind::Stock { .. } => "a stock",
                    VariableKind::Flow { .. } => "a flow",
                    VariableKind::GraphicalFunction => "a lookup",
                    VariableKind::Auxiliary if variable.graph.is_some() => "a lookup",
                    VariableKind::Auxiliary => "computed by the model",
                };
                let help = if what == "a lookup" {
                    "a lookup takes points: `name((x1,y1),(x2,y2),...)`"
                } else {
                    "a changes file sets constants (variables whose equation is a number) and lookups"
                };
                return Err(fail(
                    Code::NotAConstant,
                    format!("`{}` is {what}, not a constant, so it cannot be set", change.name),
                    help.to_owned(),
                ));
            }
            let values = match &change.value {
                ChangeValue::Number(value) => elements.into_iter().map(|element| (element, *value)).collect(),
                ChangeValue::List(list) => {
                    if list.len() != elements.len() {
                        return Err(fail(
                            Code::InvalidValue,
                            format!(
                                "`{}` is given {} numbers for {} element{}",
                                change.name,
                                list.len(),
                                elements.len(),
                                if elements.len() == 1 { "" } else { "s" }
                            ),
                            "give one number for every element the subscripts select, or one number for all".to_owned(),
                        ));
                    }
                    elements.into_iter().zip(list.iter().copied()).collect()
                }
                ChangeValue::Table { .. } | ChangeValue::Text(_) => Vec::new(),
            };
            Ok(Target::Constant { variable: index, values })
        }
    }
}

/// The variables a changes file may change.
fn changeable(variable: &Variable) -> bool {
    variable.is_constant() || variable.graph.is_some()
}

/// The elements a change's subscripts select, each as its element names in dimension order,
/// less those its `:EXCEPT:` lists name; one empty element for a scalar variable.
fn selected_elements(model: &Model, variable: &Variable, change: &Change) -> Result<Vec<Vec<String>>, Box<Diagnostic>> {
    let fail = |message: String, help: String| {
        Box::new(Diagnostic::new(Code::UnknownName, message).at(change.span).on_variable(&change.name).with_help(help))
    };
    if variable.dimensions.is_empty() {
        if let Some(given) = [&change.subscripts].into_iter().chain(&change.except).find(|given| !given.is_empty()) {
            return Err(fail(
                format!("`{}` has no subscripts, but the change gives {}", change.name, given.len()),
                format!("write `{} = value`", variable.name),
            ));
        }
        return Ok(vec![Vec::new()]);
    }
    let Some(selected) = combinations(model, variable, change, &change.subscripts)? else { return Ok(Vec::new()) };
    let mut excepted: Vec<Vec<String>> = Vec::new();
    for list in &change.except {
        if list.len() != variable.dimensions.len() {
            return Err(fail(
                format!(
                    "`{}` has {} dimension{}, but an :EXCEPT: list gives {} subscript{}",
                    change.name,
                    variable.dimensions.len(),
                    if variable.dimensions.len() == 1 { "" } else { "s" },
                    list.len(),
                    if list.len() == 1 { "" } else { "s" }
                ),
                format!("give one element or range for each of its dimensions: {}", variable.dimensions.join(", ")),
            ));
        }
        excepted.extend(combinations(model, variable, change, list)?.unwrap_or_default());
    }
    let kept: Vec<Vec<String>> =
        selected.into_iter().filter(|element| !excepted.iter().any(|other| same_element(element, other))).collect();
    if kept.is_empty() {
        return Err(fail(
            format!("the :EXCEPT: lists of this change of `{}` leave out every element it names", change.name),
            "remove the line, or name fewer elements after :EXCEPT:".to_owned(),
        ));
    }
    Ok(kept)
}

/// Every element `subscripts` select (each an element or a range, one per dimension; none for
/// the whole variable), the last dimension fastest; `None` when the model lacks a dimension of
/// the variable (reported where the model is checked).
fn combinations(
    model: &Model,
    variable: &Variable,
    change: &Change,
    subscripts: &[String],
) -> Result<Option<Vec<Vec<String>>>, Box<Diagnostic>> {
    let fail = |message: String, help: String| {
        Box::new(Diagnostic::new(Code::UnknownName, message).at(change.span).on_variable(&change.name).with_help(help))
    };
    let dimension = |name: &str| {
        let canonical = CanonicalName::new(name);
        model.dimensions.iter().find(|d| d.canonical == canonical)
    };
    let mut axes: Vec<Vec<String>> = Vec::new();
    for (position, dimension_name) in variable.dimensions.iter().enumerate() {
        let Some(own) = dimension(dimension_name) else { return Ok(None) };
        let Some(subscript) = subscripts.get(position) else {
            if subscripts.is_empty() {
                axes.push(own.elements.clone());
                continue;
            }
            return Err(fail(
                format!(
                    "`{}` has {} dimensions, but the change gives {} subscripts",
                    change.name,
                    variable.dimensions.len(),
                    subscripts.len()
                ),
                format!("its dimensions: {}", variable.dimensions.join(", ")),
            ));
        };
        let canonical = CanonicalName::new(subscript);
        let member = |name: &String| CanonicalName::new(name) == canonical;
        if let Some(element) = own.elements.iter().find(|e| member(e)) {
            axes.push(vec![element.clone()]);
        } else if let Some(range) = dimension(subscript) {
            // A range: the dimension itself or a subrange of it.
            let elements: Vec<String> = range
                .elements
                .iter()
                .filter_map(|e| own.elements.iter().find(|o| CanonicalName::new(o) == CanonicalName::new(e)))
                .cloned()
                .collect();
            if elements.len() != range.elements.len() {
                return Err(fail(
                    format!(
                        "`{subscript}` is not a subrange of `{}`, the dimension of `{}` there",
                        own.name, change.name
                    ),
                    format!("{} has the elements {}", own.name, own.elements.join(", ")),
                ));
            }
            axes.push(elements);
        } else {
            return Err(fail(
                format!("`{subscript}` is neither an element of `{}` nor a subscript range", own.name),
                format!("{} has the elements {}", own.name, own.elements.join(", ")),
            ));
        }
    }
    if subscripts.len() > variable.dimensions.len() {
        return Err(fail(
            format!(
                "`{}` has {} dimension{}, but the change gives {} subscripts",
                change.name,
                variable.dimensions.len(),
                if variable.dimensions.len() == 1 { "" } else { "s" },
                subscripts.len()
            ),
            format!("its dimensions: {}", variable.dimensions.join(", ")),
        ));
    }
    // Every combination, the last dimension fastest.
    let mut combinations: Vec<Vec<String>> = vec![Vec::new()];
    for axis in axes {
        combinations = combinations
            .into_iter()
            .flat_map(|prefix| axis.iter().map(move |e| [prefix.clone(), vec![e.clone()]].concat()))
            .collect();
    }
    Ok(Some(combinations))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = r#"
[sim]
start = 0
stop = 2
dt = 1
[[dimension]]
name = "Region"
elements = ["North", "South"]
[[constant]]
name = "Rate"
value = 0.05
[[constant]]
name = "Demand"
dimensions = ["Region"]
value = 10
[[graphical_function]]
name = "Effect"
x = [0, 1]
y = [0, 1]
[[auxiliary]]
name = "Use"
equation = "Effect(Rate) + LOOKUP(Effect, 0.5)"
"#;

    fn model() -> Model {
        crate::native::read(MODEL).expect("the test model reads").0
    }

    #[test]
    fn a_switch_computes_the_changed_constants_and_chooses_the_lookups_copy() {
        let mut model = model();
        let table = ChangeValue::Table { x: vec![0.0, 1.0], y: vec![4.0, 4.0] };
        let changes = [Change::new("Rate", ChangeValue::Number(0.3)), Change::new("Effect", table)];
        assert!(switched(&mut model, &changes, "Scenario").is_ok());
        assert_eq!(model.variable("Scenario").and_then(Variable::constant_value), Some(0.0));
        let text = |name: &str| model.variable(name).and_then(|v| v.equation.as_ref()).map(|e| e.text.clone());
        assert_eq!(text("Rate").as_deref(), Some("IF Scenario > 0.5 THEN 0.3 ELSE 0.05"));
        let uses = text("Use").unwrap_or_default();
        // A call, and a function given the lookup by name: each reads the copy while switched on.
        assert_eq!((uses.matches("Effect_option_1").count(), uses.matches("Scenario > 0.5").count()), (2, 2), "{uses}");
        assert!(crate::resolve(&model).is_ok());
        // The switch's name is the caller's to check; a name taken by the copies is an error.
        let mut clash = self::model();
        clash.variables.push(Variable::new("Effect option 1", VariableKind::Auxiliary));
        let before = clash.clone();
        assert!(switched(&mut clash, &changes, "Scenario").is_err());
        assert_eq!(clash, before, "nothing is applied");
    }

    #[test]
    fn constants_elements_and_lookups_are_changed_in_place() {
        let mut model = model();
        let mut element = Change::new("demand", ChangeValue::Number(12.0));
        element.subscripts = vec!["south".to_owned()];
        let changes = [
            Change::new("Rate", ChangeValue::Number(0.1)),
            element,
            Change::new("Effect", ChangeValue::Table { x: vec![0.0, 2.0], y: vec![1.0, 3.0] }),
            Change::new("Rate", ChangeValue::Number(0.2)),
        ];
        assert!(apply(&mut model, &changes).is_ok());
        assert_eq!(model.variable("Rate").and_then(Variable::constant_value), Some(0.2));
        let demand = model.variable("Demand").map(|v| v.elements.clone()).unwrap_or_default();
        assert_eq!(demand.len(), 1);
        assert_eq!(demand[0].subscript, ["South"]);
        assert_eq!(demand[0].equation.as_ref().and_then(Equation::literal_value), Some(12.0));
        let effect = model.variable("Effect").and_then(|v| v.graph.clone());
        assert_eq!(effect.map(|g| (g.x, g.y)), Some((vec![0.0, 2.0], vec![1.0, 3.0])));
    }

    /// Vensim's changes files take subscript ranges "just as in the modeling language", so
    /// `:EXCEPT:` too: `demand[Region] :EXCEPT: [North] = 7` sets South only, a list gives one
    /// number per element left, and an :EXCEPT: that leaves nothing, names an element the
    /// dimension lacks or gives the wrong number of subscripts is an error at the change.
    #[test]
    fn except_lists_leave_elements_out_of_a_change() {
        let mut model = model();
        let mut one = Change::new("demand", ChangeValue::Number(7.0));
        one.except = vec![vec!["north".to_owned()]];
        assert!(apply(&mut model, &[one]).is_ok());
        let demand = model.variable("Demand").map(|v| v.elements.clone()).unwrap_or_default();
        let values: Vec<_> = demand
            .iter()
            .map(|e| (e.subscript.clone(), e.equation.as_ref().and_then(Equation::literal_value)))
            .collect();
        assert_eq!(values, [(vec!["South".to_owned()], Some(7.0))]);
        let mut list = Change::new("demand", ChangeValue::List(vec![3.0]));
        list.subscripts = vec!["Region".to_owned()];
        list.except = vec![vec!["South".to_owned()]];
        assert!(apply(&mut model, &[list]).is_ok());
        let north =
            model.variable("Demand").and_then(|v| v.elements.iter().find(|e| e.subscript == ["North"]).cloned());
        assert_eq!(north.and_then(|e| e.equation.and_then(|e| e.literal_value())), Some(3.0));
        let at = |except: Vec<Vec<&str>>, start: usize| Change {
            except: except.into_iter().map(|l| l.into_iter().map(str::to_owned).collect()).collect(),
            span: Some(Span::new(start, start + 1)),
            ..Change::new("demand", ChangeValue::Number(1.0))
        };
        let before = model.clone();
        let wrong =
            [at(vec![vec!["North"], vec!["South"]], 0), at(vec![vec!["East"]], 10), at(vec![vec!["North", "x"]], 20)];
        let Err(diagnostics) = apply(&mut model, &wrong) else { panic!("the changes are wrong") };
        let found: Vec<_> = diagnostics.0.iter().map(|d| (d.code, d.span.map(Span::start))).collect();
        assert_eq!(found, [(Code::UnknownName, Some(0)), (Code::UnknownName, Some(10)), (Code::UnknownName, Some(20))]);
        assert!(diagnostics.0[0].message.contains("every element"), "{:?}", diagnostics.0[0]);
        assert_eq!(model, before, "nothing is applied when a change is wrong");
    }

    /// A Vensim string constant takes a changes file's `:IS:` text; a name the model has no
    /// string constant of (a number's name among them) is an error at the change, with the
    /// nearest string constant as a hint.
    #[test]
    fn string_constants_take_new_text() {
        let mut model = model();
        model.strings.push(crate::StringConstant::new("Scenario name", "base", None));
        let text = |value: &str| ChangeValue::Text(value.to_owned());
        assert!(apply(&mut model, &[Change::new("scenario_name", text("high growth"))]).is_ok());
        assert_eq!(model.strings[0].value, "high growth");
        let before = model.clone();
        let Err(diagnostics) =
            apply(&mut model, &[Change::new("Scenario nam", text("x")), Change::new("Rate", text("x"))])
        else {
            panic!("neither is a string constant")
        };
        let found: Vec<_> = diagnostics.0.iter().map(|d| (d.code, d.help.clone())).collect();
        assert_eq!(
            found,
            [
                (Code::UnknownName, Some("did you mean `Scenario name`?".to_owned())),
                (Code::UnknownName, Some("`Rate` holds numbers: `Rate = value`".to_owned())),
            ]
        );
        assert_eq!(model, before);
        // An option of an experiment that sets a string constant changes no run.
        assert_eq!(switchable(&mut model, &[Change::new("scenario name", text("y"))]).ok(), Some(Vec::new()));
    }

    #[test]
    fn a_time_setting_the_model_computes_during_the_run_is_not_changed() {
        let mut model =
            crate::builder::ModelBuilder::new(0.0, 10.0, 1.0).aux("FINAL TIME", "IF TIME < 5 THEN 10 ELSE 50").build();
        model.sim.computed.stop = Some("FINAL TIME".to_owned());
        let before = model.clone();
        let result = apply(&mut model, &[Change::new("final time", ChangeValue::Number(20.0))]);
        let codes: Vec<Code> = result.err().map(|d| d.0.iter().map(|d| d.code).collect()).unwrap_or_default();
        assert_eq!(codes, [Code::Unsupported]);
        assert_eq!(model, before);
    }

    #[test]
    fn unknown_names_computed_variables_and_bad_lists_are_reported_each_at_its_change() {
        let mut model = model();
        let at = |name: &str, value: ChangeValue, start: usize| Change {
            span: Some(Span::new(start, start + 1)),
            ..Change::new(name, value)
        };
        let changes = [
            at("Rat", ChangeValue::Number(1.0), 0),
            at("Use", ChangeValue::Number(1.0), 10),
            at("Demand", ChangeValue::List(vec![1.0, 2.0, 3.0]), 20),
            at("Rate", ChangeValue::Table { x: vec![0.0, 1.0], y: vec![0.0, 0.0] }, 30),
            at("Effect", ChangeValue::Table { x: vec![1.0, 0.0], y: vec![0.0, 0.0] }, 40),
        ];
        let Err(diagnostics) = apply(&mut model, &changes) else { panic!("the changes are wrong") };
        let found: Vec<_> = diagnostics.0.iter().map(|d| (d.code, d.span.map(Span::start))).collect();
        assert_eq!(
            found,
            [
                (Code::UnknownName, Some(0)),
                (Code::NotAConstant, Some(10)),
                (Code::InvalidValue, Some(20)),
                (Code::NotAConstant, Some(30)),
                (Code::InvalidGraphicalFunction, Some(40)),
            ]
        );
        assert_eq!(diagnostics.0[0].help.as_deref(), Some("did you mean `Rate`?"));
        assert_eq!(model, self::model(), "nothing is applied when a change is wrong");
    }

    #[test]
    fn switchable_lookups_are_chosen_by_a_constant_and_copies_are_shared() {
        let mut model = model();
        let table = |y: f64| ChangeValue::Table { x: vec![0.0, 1.0], y: vec![y, y] };
        let first =
            switchable(&mut model, &[Change::new("Effect", table(5.0)), Change::new("Rate", ChangeValue::Number(0.3))]);
        let second = switchable(&mut model, &[Change::new("effect", table(7.0))]);
        let again = switchable(&mut model, &[Change::new("Effect", table(5.0))]);
        let pair = |name: &str, value: f64| vec![(name.to_owned(), value)];
        assert_eq!(first.ok(), Some([pair("Effect choice", 1.0), pair("Rate", 0.3)].concat()));
        assert_eq!(second.ok(), Some(pair("Effect choice", 2.0)));
        assert_eq!(again.ok(), Some(pair("Effect choice", 1.0)));
        let text = model.variable("Use").and_then(|v| v.equation.as_ref()).map(|e| e.text.clone()).unwrap_or_default();
        assert_eq!(text.matches("Effect_choice").count(), 4, "{text}");
        assert!(crate::resolve(&model).is_ok());
    }
}
