//! XMILE macros (section 3.6.1) that are a single expression: `LOG(x, y): LN(x)/LN(y)`. A call
//! is replaced by the macro's expression with the arguments put in for the parameters.

use fulcrum_model::syntax::{self, Expr, ExprKind, Index, Span};
use fulcrum_model::{CanonicalName, Code, Diagnostic, Equation, Variable};
use roxmltree::Node;

use crate::reader::{Reader, child, elements};

/// Macros calling macros deeper than this are taken to recurse without end.
const MAX_EXPANSION_DEPTH: usize = 32;

pub(crate) struct Macros {
    macros: Vec<Macro>,
}

struct Macro {
    name: String,
    canonical: CanonicalName,
    parameters: Vec<CanonicalName>,
    /// The expression; `None` for macros built from stocks and flows, which are not supported.
    body: Option<Expr>,
    span: Span,
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
            let parameters =
                elements(node, "parm").filter_map(|p| p.text()).map(|p| CanonicalName::new(p.trim())).collect();
            let body = match (child(node, "eqn"), child(node, "variables")) {
                (Some(eqn), None) => {
                    let text: String = eqn.descendants().filter(Node::is_text).filter_map(|t| t.text()).collect();
                    match syntax::parse(&text) {
                        Ok(expr) => Some(expr),
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
                _ => None,
            };
            macros.push(Macro { name: name.to_owned(), canonical: CanonicalName::new(name), parameters, body, span });
        }
        Macros { macros }
    }

    /// Replaces every macro call in the variables' equations.
    pub(crate) fn expand(&self, reader: &mut Reader<'_>, variables: &mut [Variable]) {
        if self.macros.is_empty() {
            return;
        }
        for variable in variables {
            let equations =
                variable.equation.iter_mut().chain(variable.elements.iter_mut().filter_map(|e| e.equation.as_mut()));
            for equation in equations {
                if let Err(problem) = self.expand_equation(equation) {
                    reader.diagnostics.push(
                        Diagnostic::new(Code::Unsupported, problem)
                            .at(equation.origin.span)
                            .on_variable(&variable.name),
                    );
                }
            }
        }
    }

    fn expand_equation(&self, equation: &mut Equation) -> Result<(), String> {
        let Ok(expr) = &mut equation.expr else { return Ok(()) };
        if self.substitute(expr, 0)? {
            equation.text = expr.to_string();
            equation.origin.text_offset = None;
        }
        Ok(())
    }

    /// Replaces macro calls inside `expr`; true if anything changed.
    fn substitute(&self, expr: &mut Expr, depth: usize) -> Result<bool, String> {
        let mut changed = false;
        match &mut expr.kind {
            ExprKind::Number(_) | ExprKind::Name(_) => {}
            ExprKind::Subscript { indices, .. } => {
                for index in indices {
                    if let Index::Expr(inner) = index {
                        changed |= self.substitute(inner, depth)?;
                    }
                }
            }
            ExprKind::Unary { operand, .. } => changed |= self.substitute(operand, depth)?,
            ExprKind::Binary { lhs, rhs, .. } => {
                changed |= self.substitute(lhs, depth)?;
                changed |= self.substitute(rhs, depth)?;
            }
            ExprKind::Chain { first, rest } => {
                changed |= self.substitute(first, depth)?;
                for (_, operand) in rest {
                    changed |= self.substitute(operand, depth)?;
                }
            }
            ExprKind::If { condition, then_branch, else_branch } => {
                for part in [condition, then_branch, else_branch] {
                    changed |= self.substitute(part, depth)?;
                }
            }
            ExprKind::Call { function, args, .. } => {
                for arg in args.iter_mut() {
                    changed |= self.substitute(arg, depth)?;
                }
                let Some(found) = self.macros.iter().find(|m| m.canonical == function.canonical) else {
                    return Ok(changed);
                };
                if depth >= MAX_EXPANSION_DEPTH {
                    return Err(format!("macro `{}` expands more than {MAX_EXPANSION_DEPTH} levels deep", found.name));
                }
                let Some(body) = &found.body else {
                    return Err(format!(
                        "macro `{}` is built from stocks and flows, which fulcrum does not support yet",
                        found.name
                    ));
                };
                if args.len() != found.parameters.len() {
                    return Err(format!(
                        "macro `{}` takes {} arguments, but is given {}",
                        found.name,
                        found.parameters.len(),
                        args.len()
                    ));
                }
                let mut expanded = body.clone();
                replace_parameters(&mut expanded, &found.parameters, args);
                self.substitute(&mut expanded, depth + 1)?;
                expanded.span = expr.span;
                *expr = expanded;
                changed = true;
                let _ = found.span;
            }
        }
        Ok(changed)
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
