//! XMILE macros (section 3.6.1). A macro that is a single expression (`LOG(x, y): LN(x)/LN(y)`)
//! is replaced, at each call, by its expression with the arguments put in for the parameters.
//! A macro built from stocks and flows gets, at each call, its own copy of its variables, named
//! `MACRO.N.variable` for the N-th call, and each parameter becomes a variable of the copy
//! (`MACRO.N.parameter`) holding the argument; the call is replaced by the macro's output
//! expression read in that copy. So two calls keep two independent states, as in Stella. A call
//! in an apply-to-all equation makes the copy over that equation's dimensions. Macros may call
//! macros; a macro that calls itself, directly or through others, is an error.

use std::collections::HashMap;

use fulcrum_model::syntax::{self, Expr, ExprKind, Index, Span};
use fulcrum_model::{CanonicalName, Code, Diagnostic, Equation, Origin, Variable, VariableKind};
use roxmltree::Node;

use crate::reader::{Reader, child, elements, prefix_variable};

/// Macros calling macros deeper than this are refused, so that expansion stays shallow.
const MAX_EXPANSION_DEPTH: usize = 32;

/// Most copies of stock-and-flow macros one file may make: macros that call other macros several
/// times multiply their copies.
const MAX_COPIES: usize = 10_000;

pub(crate) struct Macros {
    macros: Vec<Macro>,
    /// How many copies of each macro's variables have been made, by position in `macros`.
    copies: Vec<usize>,
    /// The variables copies have made.
    added: Vec<Variable>,
}

struct Macro {
    name: String,
    canonical: CanonicalName,
    parameters: Vec<CanonicalName>,
    /// Each parameter's `default` expression, if it has one (XMILE 3.6.1): a call may leave out
    /// the parameters from the first one with a default on.
    defaults: Vec<Option<Expr>>,
    /// The expression; for a macro with variables, its output read in a copy.
    body: Expr,
    /// The stocks, flows and auxiliaries a macro is built from; empty for expression macros.
    variables: Vec<Variable>,
    span: Span,
}

/// Where a call is: the dimensions of the apply-to-all equation it is in (none for a scalar or
/// a per-element equation), and the equation's place in the file.
#[derive(Clone, Copy)]
struct Place<'a> {
    dimensions: &'a [String],
    span: Option<Span>,
}

/// Why a call could not be expanded.
struct Problem {
    code: Code,
    message: String,
    /// The macro concerned, for a note pointing at its definition.
    definition: Option<Span>,
}

impl Macros {
    pub(crate) fn read(reader: &mut Reader<'_>, root: Node<'_, '_>) -> Macros {
        let mut macros = Vec::new();
        for node in elements(root, "macro") {
            let span = reader.span_of(node);
            let Some(name) = node.attribute("name") else {
                reader.diagnostics.push(Diagnostic::new(Code::MissingKey, "a <macro> has no name").at(Some(span)));
                continue;
            };
            let mut parameters = Vec::new();
            let mut defaults = Vec::new();
            for parm in elements(node, "parm") {
                let Some(text) = parm.text() else { continue };
                parameters.push(CanonicalName::new(text.trim()));
                defaults.push(parm.attribute("default").and_then(|default| match syntax::parse(default) {
                    Ok(expr) => Some(expr),
                    Err(error) => {
                        reader.diagnostics.push(
                            Diagnostic::new(
                                Code::EquationSyntax,
                                format!("syntax error in the default of macro `{name}`'s parameter: {}", error.kind),
                            )
                            .at(Some(reader.span_of(parm))),
                        );
                        None
                    }
                }));
            }
            let mut variables = match child(node, "variables") {
                Some(_) => reader.macro_variables(node),
                None => Vec::new(),
            };
            // Stella also writes each parameter as an input auxiliary of the macro, whose equation
            // is used only when the macro is run on its own; in a call the argument takes its place.
            variables.retain(|v| !(v.kind == VariableKind::Auxiliary && parameters.contains(&v.canonical)));
            let body = match child(node, "eqn") {
                Some(eqn) => {
                    let text: String = eqn.descendants().filter(Node::is_text).filter_map(|t| t.text()).collect();
                    match syntax::parse(&text) {
                        Ok(expr) => expr,
                        // Stella writes the output variable's name as it shows it (`early out`),
                        // spaces and all: that is the variable read.
                        Err(_) if variables.iter().any(|v| v.canonical == CanonicalName::new(text.trim())) => {
                            match syntax::parse(&format!("\"{}\"", text.trim().replace('"', ""))) {
                                Ok(expr) => expr,
                                Err(_) => continue,
                            }
                        }
                        Err(error) => {
                            reader.diagnostics.push(
                                Diagnostic::new(
                                    Code::EquationSyntax,
                                    format!("syntax error in macro `{name}`: {}", error.kind),
                                )
                                .at(Some(reader.span_of(eqn))),
                            );
                            continue;
                        }
                    }
                }
                // Without <eqn>, the output is the macro's variable of the macro's own name.
                None if variables.iter().any(|v| v.canonical == CanonicalName::new(name)) => {
                    match syntax::parse(&format!("\"{}\"", name.replace('"', ""))) {
                        Ok(expr) => expr,
                        Err(_) => continue,
                    }
                }
                None => {
                    reader.diagnostics.push(
                        Diagnostic::new(Code::MissingKey, format!("the macro `{name}` has no <eqn>"))
                            .at(Some(span))
                            .with_help("give the macro's value in <eqn>, or name one of its variables like the macro"),
                    );
                    continue;
                }
            };
            macros.push(Macro {
                name: name.to_owned(),
                canonical: CanonicalName::new(name),
                parameters,
                defaults,
                body,
                variables,
                span,
            });
        }
        let copies = vec![0; macros.len()];
        Macros { macros, copies, added: Vec::new() }
    }

    /// Replaces every macro call in the variables' equations, adding the variables that copies
    /// of stock-and-flow macros make.
    pub(crate) fn expand(mut self, reader: &mut Reader<'_>, variables: &mut Vec<Variable>) {
        if self.macros.is_empty() {
            return;
        }
        for variable in variables.iter_mut() {
            // A call in an apply-to-all equation makes copies over its dimensions, each element
            // with its own state; a call in one element's equation makes a scalar copy.
            let dimensions = variable.dimensions.clone();
            let equations = variable.equation.iter_mut().map(|equation| (equation, dimensions.as_slice())).chain(
                variable.elements.iter_mut().filter_map(|e| e.equation.as_mut()).map(|equation| (equation, &[][..])),
            );
            for (equation, dimensions) in equations {
                let place = Place { dimensions, span: equation.origin.span };
                if let Err(problem) = self.expand_equation(equation, place, &mut Vec::new()) {
                    reader.diagnostics.push(
                        Diagnostic::new(problem.code, problem.message)
                            .at(equation.origin.span)
                            .on_variable(&variable.name)
                            .with_related(problem.definition, "the macro"),
                    );
                }
            }
        }
        variables.append(&mut self.added);
    }

    fn expand_equation(
        &mut self,
        equation: &mut Equation,
        place: Place<'_>,
        stack: &mut Vec<usize>,
    ) -> Result<(), Problem> {
        let Ok(expr) = &mut equation.expr else { return Ok(()) };
        if self.substitute(expr, place, stack)? {
            equation.text = expr.to_string();
            equation.origin.text_offset = None;
        }
        Ok(())
    }

    /// Replaces macro calls inside `expr`; true if anything changed. `stack` holds the macros
    /// being expanded, outermost first.
    fn substitute(&mut self, expr: &mut Expr, place: Place<'_>, stack: &mut Vec<usize>) -> Result<bool, Problem> {
        let mut changed = false;
        match &mut expr.kind {
            ExprKind::Number(_) | ExprKind::Name(_) => {}
            ExprKind::Subscript { indices, .. } => {
                for index in indices {
                    if let Index::Expr(inner) = index {
                        changed |= self.substitute(inner, place, stack)?;
                    }
                }
            }
            ExprKind::Unary { operand, .. } => changed |= self.substitute(operand, place, stack)?,
            ExprKind::Binary { lhs, rhs, .. } => {
                changed |= self.substitute(lhs, place, stack)?;
                changed |= self.substitute(rhs, place, stack)?;
            }
            ExprKind::Chain { first, rest } => {
                changed |= self.substitute(first, place, stack)?;
                for (_, operand) in rest {
                    changed |= self.substitute(operand, place, stack)?;
                }
            }
            ExprKind::If { condition, then_branch, else_branch } => {
                for part in [condition, then_branch, else_branch] {
                    changed |= self.substitute(part, place, stack)?;
                }
            }
            ExprKind::Call { function, args, .. } => {
                for arg in args.iter_mut() {
                    changed |= self.substitute(arg, place, stack)?;
                }
                let Some(index) = self.macros.iter().position(|m| m.canonical == function.canonical) else {
                    return Ok(changed);
                };
                let mut expanded = self.call(index, args, place, stack)?;
                expanded.span = expr.span;
                *expr = expanded;
                changed = true;
            }
        }
        Ok(changed)
    }

    /// The expression that replaces one call of macro `index`.
    fn call(&mut self, index: usize, args: &[Expr], place: Place<'_>, stack: &mut Vec<usize>) -> Result<Expr, Problem> {
        let found = &self.macros[index];
        let definition = Some(found.span);
        if stack.contains(&index) {
            let chain: Vec<&str> =
                stack.iter().chain([&index]).map(|&i| self.macros[i].name.as_str()).collect::<Vec<_>>();
            return Err(Problem {
                code: Code::Unsupported,
                message: format!(
                    "macro `{}` calls itself without end ({}), which cannot be expanded",
                    found.name,
                    chain.join(" → ")
                ),
                definition,
            });
        }
        if stack.len() >= MAX_EXPANSION_DEPTH {
            return Err(Problem {
                code: Code::Unsupported,
                message: format!("macro `{}` expands more than {MAX_EXPANSION_DEPTH} levels deep", found.name),
                definition,
            });
        }
        // The parameters a call may leave out: from the first with a default on, all with one.
        let optional = found.defaults.iter().rev().take_while(|d| d.is_some()).count();
        let required = found.parameters.len() - optional;
        // A default may read the parameters before it, as the call gives them.
        let mut full = args.to_vec();
        for default in found.defaults.iter().skip(args.len()) {
            let Some(mut default) = default.clone() else { break };
            replace_parameters(&mut default, &found.parameters[..full.len()], &full);
            full.push(default);
        }
        if args.len() > found.parameters.len() || full.len() != found.parameters.len() {
            let takes = if optional == 0 {
                found.parameters.len().to_string()
            } else {
                format!("{required} to {}", found.parameters.len())
            };
            return Err(Problem {
                code: Code::WrongArity,
                message: format!("macro `{}` takes {takes} arguments, but is given {}", found.name, args.len()),
                definition,
            });
        }
        let args = full.as_slice();
        stack.push(index);
        let expanded = if found.variables.is_empty() {
            let mut expanded = found.body.clone();
            replace_parameters(&mut expanded, &found.parameters, args);
            self.substitute(&mut expanded, place, stack).map(|_| expanded)
        } else {
            self.instantiate(index, args, place, stack)
        };
        stack.pop();
        expanded
    }

    /// Makes a copy of a stock-and-flow macro's variables for one call; the call's value is the
    /// macro's expression read in the copy.
    fn instantiate(
        &mut self,
        index: usize,
        args: &[Expr],
        place: Place<'_>,
        stack: &mut Vec<usize>,
    ) -> Result<Expr, Problem> {
        let found = &self.macros[index];
        let definition = Some(found.span);
        if !place.dimensions.is_empty() && found.variables.iter().any(|v| !v.dimensions.is_empty()) {
            return Err(Problem {
                code: Code::Unsupported,
                message: format!(
                    "macro `{}` has arrayed variables and is called in an arrayed equation, which fulcrum does not support yet",
                    found.name
                ),
                definition,
            });
        }
        let made: usize = self.copies.iter().sum();
        if made >= MAX_COPIES {
            return Err(Problem {
                code: Code::Unsupported,
                message: format!("macros are expanded into more than {MAX_COPIES} copies"),
                definition,
            });
        }
        self.copies[index] += 1;
        let prefix = format!("{}.{}.", found.name, self.copies[index]);
        let locals: Vec<CanonicalName> = found.variables.iter().map(|v| v.canonical.clone()).collect();
        let graphs: Vec<CanonicalName> =
            found.variables.iter().filter(|v| v.graph.is_some()).map(|v| v.canonical.clone()).collect();
        let parameters: HashMap<CanonicalName, String> =
            found.parameters.iter().map(|p| (p.clone(), format!("{prefix}{}", p.as_str()))).collect();
        let mut rename = |name: &syntax::NameRef, called: bool| -> Option<String> {
            if called {
                return graphs.contains(&name.canonical).then(|| format!("{prefix}{}", name.written));
            }
            if let Some(parameter) = parameters.get(&name.canonical) {
                return Some(parameter.clone());
            }
            locals.contains(&name.canonical).then(|| format!("{prefix}{}", name.written))
        };
        let mut copies = Vec::with_capacity(found.parameters.len() + found.variables.len());
        // Each parameter is a variable holding its argument, so the argument is computed once.
        for (parameter, arg) in found.parameters.iter().zip(args) {
            let mut variable = Variable::new(format!("{prefix}{}", parameter.as_str()), VariableKind::Auxiliary);
            variable.dimensions = place.dimensions.to_vec();
            variable.equation = Some(Equation {
                text: arg.to_string(),
                expr: Ok(arg.clone()),
                // Problems in the argument are shown at the call.
                origin: Origin { span: place.span, text_offset: None },
            });
            copies.push(variable);
        }
        for original in &found.variables {
            let mut variable = original.clone();
            if !place.dimensions.is_empty() {
                variable.dimensions = place.dimensions.to_vec();
            }
            prefix_variable(&mut variable, &prefix, &locals, &mut rename);
            copies.push(variable);
        }
        let mut output = found.body.clone();
        output.rename_variables(&mut |name, called| rename(name, called));
        // Calls inside the copy (macros calling macros) get copies of their own.
        for variable in &mut copies {
            let dimensions = variable.dimensions.clone();
            let equations = variable.equation.iter_mut().map(|equation| (equation, dimensions.as_slice())).chain(
                variable.elements.iter_mut().filter_map(|e| e.equation.as_mut()).map(|equation| (equation, &[][..])),
            );
            for (equation, dimensions) in equations {
                self.expand_equation(equation, Place { dimensions, span: equation.origin.span }, stack)?;
            }
        }
        self.substitute(&mut output, place, stack)?;
        self.added.append(&mut copies);
        Ok(output)
    }
}

/// Puts the arguments in for the parameters. Parameters are local to the macro, so they
/// shadow model variables of the same name.
fn replace_parameters(expr: &mut Expr, parameters: &[CanonicalName], args: &[Expr]) {
    if let ExprKind::Name(name) = &expr.kind
        && let Some(position) = parameters.iter().position(|p| *p == name.canonical)
    {
        *expr = args[position].clone();
        return;
    }
    match &mut expr.kind {
        ExprKind::Number(_) | ExprKind::Name(_) => {}
        ExprKind::Subscript { indices, .. } => {
            for index in indices {
                if let Index::Expr(inner) = index {
                    replace_parameters(inner, parameters, args);
                }
            }
        }
        ExprKind::Call { args: call_args, .. } => {
            call_args.iter_mut().for_each(|a| replace_parameters(a, parameters, args))
        }
        ExprKind::Unary { operand, .. } => replace_parameters(operand, parameters, args),
        ExprKind::Binary { lhs, rhs, .. } => {
            replace_parameters(lhs, parameters, args);
            replace_parameters(rhs, parameters, args);
        }
        ExprKind::Chain { first, rest } => {
            replace_parameters(first, parameters, args);
            rest.iter_mut().for_each(|(_, operand)| replace_parameters(operand, parameters, args));
        }
        ExprKind::If { condition, then_branch, else_branch } => {
            for part in [condition, then_branch, else_branch] {
                replace_parameters(part, parameters, args);
            }
        }
    }
}
