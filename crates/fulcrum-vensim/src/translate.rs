//! Parsed definitions → the [`Model`] IR.
//!
//! Subscript ranges become [`Dimension`]s; definitions of one name are gathered into one
//! [`Variable`] (apply-to-all, or one [`ElementDefinition`] per element when the left-hand sides
//! name elements, subranges or `:EXCEPT:`); `INTEG` makes a stock whose rate is split into the
//! flows it adds and subtracts when it is such a sum, or else goes into a flow of its own; the
//! time settings come from the INITIAL TIME, FINAL TIME, TIME STEP and SAVEPER equations.

use std::collections::{HashMap, HashSet};

use fulcrum_model::calendar::CalendarDate;
use fulcrum_model::syntax::{BinaryOp, Expr, ExprKind, Index, NameRef, Span, UnaryOp};
use fulcrum_model::{
    CanonicalName, Code, Conveyor, Diagnostic, Diagnostics, Dialect, Dimension, ElementDefinition, Equation, FlowLink,
    GraphKind, GraphicalFunction, Leak, Model, Origin, SimSpecs, StringConstant, Variable, VariableKind,
};

use crate::data::Files;
use crate::functions::{self, Context};
use crate::lexer::Keyword;
use crate::parser::{self, Definition, Located, OUTPUTS_MARKER, RangeItem, Rhs, Table};
use crate::sections::{Entry, Layout};

/// Functions whose first two arguments are read at every element of the dimensions of the
/// variable defined, not only at the element being computed.
const READ_ALONG_OWN_DIMENSIONS: [&str; 5] =
    ["allocate_by_priority", "allocate_available", "demand_at_price", "supply_at_price", "invert_matrix"];

/// A definition with the text around it.
#[derive(Clone)]
struct Parsed {
    definition: Definition,
    units: Option<String>,
    range: Option<(f64, f64)>,
    doc: Option<String>,
}

/// A variable whose definitions did not parse: it exists (so references to it are not reported
/// again) but has no usable equation.
struct Broken {
    name: Located,
}

/// Translates a file's definitions. Problems go to `diagnostics`.
pub(crate) fn model(text: &str, layout: &Layout, diagnostics: &mut Diagnostics, files: Files) -> Model {
    let mut parsed = Vec::new();
    let mut broken = Vec::new();
    let mut macros: Vec<Macro> = Vec::new();
    for header in &layout.macros {
        match macro_header(text, header.header) {
            Some(mut definition) => {
                definition.span = header.span;
                macros.push(definition);
            }
            None => diagnostics.push(
                Diagnostic::new(Code::MdlMacro, "this macro header is not `:MACRO: NAME(input, ...)`")
                    .at(Some(header.span)),
            ),
        }
    }
    for entry in &layout.entries {
        match parser::definition(text, entry.equation) {
            Ok(definition) => {
                let item = annotate(text, entry, definition);
                match entry.in_macro.and_then(|index| macros.get_mut(index)) {
                    Some(definition) => definition.body.push(item),
                    None if entry.in_macro.is_some() => {}
                    None => parsed.push(item),
                }
            }
            Err(diagnostic) => {
                let diagnostic = *diagnostic;
                let name = first_name(text, entry);
                let diagnostic = match &name {
                    Some(name) => diagnostic.on_variable(name.name.clone()),
                    None => diagnostic,
                };
                diagnostics.push(diagnostic);
                broken.extend(name.map(|name| Broken { name }));
            }
        }
    }
    let mut constants = HashMap::new();
    let mut flat_lookups = HashSet::new();
    let mut lookups = HashMap::new();
    for item in &parsed {
        match &item.definition {
            Definition::Equation { lhs, rhs: Rhs::Expr(expr), .. } if lhs.subscripts.is_empty() => {
                if let Some(value) = number_of(expr) {
                    constants.insert(CanonicalName::new(&lhs.name.name), value);
                }
            }
            Definition::Lookup { lhs, table } if lhs.subscripts.is_empty() => {
                let flat = table.y.first().is_some_and(|&first| first > 0.0 && table.y.iter().all(|&y| y == first));
                if flat && table.x.len() >= 2 {
                    flat_lookups.insert(CanonicalName::new(&lhs.name.name));
                }
                let points = graph(table);
                lookups.insert(CanonicalName::new(&lhs.name.name), (points.x, points.y));
            }
            _ => {}
        }
    }
    let mut translator = Translator {
        constants,
        flat_lookups,
        lookups,
        conveyor_calls: 0,
        batch_calls: 0,
        shifts: Vec::new(),
        shift_calls: 0,
        simultaneous: Vec::new(),
        find_zeros: Vec::new(),
        defining: None,
        data_calls: HashMap::new(),
        ranges: Ranges::default(),
        diagnostics,
        callable: HashSet::new(),
        macros,
        expanding: Vec::new(),
        macro_calls: 0,
        instances: Vec::new(),
        current_dimensions: Vec::new(),
        rates: HashMap::new(),
        shapes: HashMap::new(),
        files,
    };
    translator.ranges(&parsed);
    let mut model = Model {
        name: None,
        doc: None,
        sim: SimSpecs::default(),
        variables: Vec::new(),
        dimensions: translator.ranges.dimensions.clone(),
        strings: parsed
            .iter()
            .filter_map(|item| match &item.definition {
                Definition::Text { lhs, value } => {
                    Some(StringConstant::new(&lhs.name.name, value, Some(lhs.name.span)))
                }
                _ => None,
            })
            .collect(),
        dialect: Dialect::Vensim,
        // Each settings line `22:Person,People,Persons` names one unit: the first name, the
        // others aliases of it.
        unit_definitions: layout
            .unit_equivalences
            .iter()
            .filter_map(|(names, span)| {
                let (name, aliases) = names.split_first()?;
                Some(fulcrum_model::units::UnitDefinition {
                    aliases: aliases.to_vec(),
                    span: Some(*span),
                    ..fulcrum_model::units::UnitDefinition::new(name.clone())
                })
            })
            .collect(),
    };
    translator.variables(&parsed, &broken, &mut model);
    if !model.variables.is_empty() {
        translator.sim_specs(text, layout, &mut model);
    }
    model
}

/// The first name of a definition, for a diagnostic about it.
fn first_name(text: &str, entry: &Entry) -> Option<Located> {
    crate::lexer::tokenize(text, entry.equation.start(), entry.equation.end()).into_iter().find_map(|token| match token
        .kind
    {
        crate::lexer::TokenKind::Name(name) => Some(Located { name, span: token.span }),
        _ => None,
    })
}

/// A macro: its inputs, and the definitions that compute its value (the one named like the
/// macro) and its extra outputs.
#[derive(Clone)]
struct Macro {
    name: String,
    canonical: CanonicalName,
    inputs: Vec<String>,
    outputs: Vec<String>,
    body: Vec<Parsed>,
    span: Span,
    /// Calls expanded so far, for the instances' names.
    calls: usize,
}

/// `NAME(input, ... : output, ...)`.
fn macro_header(text: &str, header: Span) -> Option<Macro> {
    use crate::lexer::{Punct, TokenKind};
    let tokens = crate::lexer::tokenize(text, header.start(), header.end());
    let mut kinds = tokens.into_iter().map(|t| t.kind);
    let TokenKind::Name(name) = kinds.next()? else { return None };
    if kinds.next()? != TokenKind::Punct(Punct::LParen) {
        return None;
    }
    let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
    let mut in_outputs = false;
    loop {
        match kinds.next()? {
            TokenKind::Name(parameter) if in_outputs => outputs.push(parameter),
            TokenKind::Name(parameter) => inputs.push(parameter),
            TokenKind::Punct(Punct::Comma) => {}
            TokenKind::Punct(Punct::Colon) => in_outputs = true,
            TokenKind::Punct(Punct::RParen) => break,
            _ => return None,
        }
    }
    Some(Macro {
        canonical: CanonicalName::new(&name),
        name,
        inputs,
        outputs,
        body: Vec::new(),
        span: Span::default(),
        calls: 0,
    })
}

/// Units, `[min, max]` and documentation of a definition.
fn annotate(text: &str, entry: &Entry, definition: Definition) -> Parsed {
    let slice = |span: Option<Span>| span.and_then(|s| text.get(s.start()..s.end())).unwrap_or("");
    let units_text = slice(entry.units);
    let (units, range) = match units_text.find('[') {
        Some(open) => (units_text.get(..open).unwrap_or(""), documented_range(units_text.get(open..).unwrap_or(""))),
        None => (units_text, None),
    };
    let clean = |part: &str| {
        let folded = part.split_whitespace().collect::<Vec<_>>().join(" ");
        let folded = folded.replace("\\ ", "");
        (!folded.is_empty()).then_some(folded)
    };
    Parsed { definition, units: clean(units), range, doc: clean(slice(entry.doc)) }
}

/// `[min, max]` or `[min, max, step]`, when both bounds are numbers (`?` is an open end).
fn documented_range(text: &str) -> Option<(f64, f64)> {
    let inner = text.strip_prefix('[')?.split(']').next()?;
    let mut parts = inner.split(',').map(str::trim);
    let bound = |part: Option<&str>, open: f64| match part {
        Some("?") | Some("") => Some(open),
        Some(number) => number.parse::<f64>().ok(),
        None => None,
    };
    let min = bound(parts.next(), f64::NEG_INFINITY)?;
    let max = bound(parts.next(), f64::INFINITY)?;
    // An open end (`?`) is no documented bound; the IR's range has two.
    (min.is_finite() && max.is_finite()).then_some((min, max))
}

/// The model's subscript ranges.
#[derive(Default)]
struct Ranges {
    dimensions: Vec<Dimension>,
    by_name: HashMap<CanonicalName, usize>,
    /// Positional mappings `a -> b`, as (a, b).
    mappings: Vec<(CanonicalName, CanonicalName)>,
    /// Mappings `a -> (b: e1, sub2, ...)`: element i of `a` stands for the i-th listed element or
    /// subrange of `b`.
    list_mappings: Vec<(CanonicalName, CanonicalName, Vec<CanonicalName>)>,
}

impl Ranges {
    /// The ranges mapped onto this one or that it maps onto.
    fn mapped_with<'r>(&'r self, range: &'r CanonicalName) -> impl Iterator<Item = &'r CanonicalName> + 'r {
        self.mappings.iter().filter_map(move |(a, b)| {
            if a == range {
                Some(b)
            } else if b == range {
                Some(a)
            } else {
                None
            }
        })
    }

    /// Can fulcrum read a variable whose range is `target` at the element `range` stands at,
    /// by itself: the same range, or one whose elements are all in `target` (a subrange)?
    fn fits(&self, range: &CanonicalName, target: &CanonicalName) -> bool {
        if range == target {
            return true;
        }
        let (Some(range), Some(target)) = (self.get(range.as_str()), self.get(target.as_str())) else { return false };
        let target: HashSet<CanonicalName> = target.elements.iter().map(|e| CanonicalName::new(e)).collect();
        range.elements.iter().all(|e| target.contains(&CanonicalName::new(e)))
    }

    fn get(&self, name: &str) -> Option<&Dimension> {
        self.by_name.get(&CanonicalName::new(name)).and_then(|&i| self.dimensions.get(i))
    }

    /// The position of an element in the largest range that holds it.
    fn family_position(&self, element: &CanonicalName) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        for dimension in &self.dimensions {
            if let Some(position) = dimension.elements.iter().position(|e| CanonicalName::new(e) == *element)
                && best.is_none_or(|(size, _)| dimension.elements.len() > size)
            {
                best = Some((dimension.elements.len(), position));
            }
        }
        best.map(|(_, position)| position)
    }

    /// Through a listed mapping `range -> (target: ...)`: the element of `range` that the
    /// element `element` of `target` belongs to, with its position.
    fn listed_source(&self, range: &CanonicalName, target: &CanonicalName, element: &str) -> Option<(usize, String)> {
        let element = CanonicalName::new(element);
        let (_, _, listed) = self.list_mappings.iter().find(|(from, to, _)| from == range && to == target)?;
        let index = listed.iter().position(|item| {
            *item == element
                || self
                    .get(item.as_str())
                    .is_some_and(|sub| sub.elements.iter().any(|e| CanonicalName::new(e) == element))
        })?;
        Some((index, self.get(range.as_str())?.elements.get(index)?.clone()))
    }

    /// The ranges that hold this element.
    fn holding(&self, element: &CanonicalName) -> Vec<&Dimension> {
        self.dimensions.iter().filter(|d| d.elements.iter().any(|e| CanonicalName::new(e) == *element)).collect()
    }
}

struct Translator<'d> {
    /// The value of each variable defined as a plain number.
    constants: HashMap<CanonicalName, f64>,
    /// The lookups whose values are all the same positive number.
    flat_lookups: HashSet<CanonicalName>,
    /// The points of each lookup defined without subscripts, in order of x.
    lookups: HashMap<CanonicalName, (Vec<f64>, Vec<f64>)>,
    /// DELAY CONVEYOR calls made into conveyors so far, for their names.
    conveyor_calls: usize,
    /// DELAY BATCH calls made into hidden variables so far, for their names.
    batch_calls: usize,
    /// SHIFT IF TRUE calls, each to be made a hidden flow of its level once every level is read.
    shifts: Vec<Shift>,
    /// SHIFT IF TRUE calls made into hidden variables so far, for their names.
    shift_calls: usize,
    /// SIMULTANEOUS calls, each made the iterations of its loop once every variable is read.
    simultaneous: Vec<Simultaneous>,
    /// FIND ZERO calls, each made Newton's steps over its loop once every variable is read.
    find_zeros: Vec<FindZero>,
    /// The variable whose equation is being rewritten, and whether it is arrayed.
    defining: Option<(String, bool)>,
    /// The quoted arguments of each data variable defined by one GET DATA call, for CUMULATE.
    data_calls: HashMap<CanonicalName, Vec<String>>,
    ranges: Ranges,
    diagnostics: &'d mut Diagnostics,
    /// Variables that can be called: lookups.
    callable: HashSet<CanonicalName>,
    macros: Vec<Macro>,
    /// The macros being expanded now, outermost first.
    expanding: Vec<CanonicalName>,
    /// Macro calls expanded so far.
    macro_calls: usize,
    /// The variables that macro calls have made.
    instances: Vec<Variable>,
    /// The ranges of the apply-to-all equation being translated, which a macro called in it is
    /// copied over.
    current_dimensions: Vec<String>,
    /// The ranges of each variable, by position.
    shapes: HashMap<CanonicalName, Vec<CanonicalName>>,
    /// The rate of each level (each element's, for a level defined element by element).
    rates: HashMap<CanonicalName, Vec<ElementRate>>,
    /// The data files GET functions read, next to the model.
    files: Files,
}

impl Context for Translator<'_> {
    fn is_callable_variable(&self, canonical: &str) -> bool {
        self.callable.contains(&CanonicalName::new(canonical))
    }

    fn is_macro(&self, canonical: &str) -> bool {
        let canonical = CanonicalName::new(canonical);
        self.macros.iter().any(|m| m.canonical == canonical)
    }

    fn delay_conveyor(&mut self, args: &[Expr], span: Span) -> Result<Expr, Box<Diagnostic>> {
        let [input, ctime, leak, profile, total, initial_ctime] = args else {
            return Err(Box::new(Diagnostic::new(Code::WrongArity, "DELAY CONVEYOR takes 6 arguments").at(Some(span))));
        };
        let refuse = |at: &Expr, message: &str, help: &str| {
            Box::new(
                Diagnostic::new(Code::MdlUnsupportedFunction, message.to_owned()).at(Some(at.span)).with_help(help),
            )
        };
        // A conveyance time that changes speeds up or slows down everything on the belt, as
        // Vensim's page says ("You can speed up or slow down a conveyor by changing ctime"): the
        // belt then moves `TIME STEP / ctime` of the way each step (`Conveyor::variable_speed`).
        // A constant one gives each batch the whole steps it takes, as every conveyor does.
        let transit = self.constant_of(ctime);
        let variable_speed = transit.is_none();
        // Vensim's leakage is the leak rate times what is ahead on the conveyor (what is on it,
        // with this step's input and without this step's output), so each batch leaks once per
        // step from the step it enters up to the step before it leaves, at the leak rate of
        // that step. fulcrum's conveyor leaks a batch from the step after it enters up to the
        // step it leaves, reading the leak fraction as each step begins, that is at the step
        // before: the same rates, in the same order, so what leaves is the same whether or not
        // the leak changes during the run. The initial contents leak once more in fulcrum (in
        // the first step, at the initial leak rate), which starting the belt at `initial total
        // / (1 - leak × TIME STEP)`, the leak read when the run starts, makes up for exactly.
        let leak_rate = self.constant_of(leak);
        let flat = matches!(&profile.kind, ExprKind::Name(name) if self.flat_lookups.contains(&name.canonical));
        // Initial contents laid out evenly over the conveyance time start on the belt. Others
        // (a shaped profile, or another initial conveyance time) leave beside it, as Vensim's
        // Modeling Guide describes a conveyor's initialization: the profile's domain scaled to
        // the initial conveyance time and its values to the initial total.
        let same_initial = match transit {
            Some(transit) => self.constant_of(initial_ctime) == Some(transit),
            None => initial_ctime.to_string() == ctime.to_string(),
        };
        let beside = if flat && same_initial {
            None
        } else {
            let Some(leak_rate) = leak_rate else {
                return Err(refuse(
                    leak,
                    "DELAY CONVEYOR's leak must be a number or a constant when the initial contents are shaped by a profile or another initial conveyance time",
                    "fulcrum releases such initial contents beside the belt, each part kept by (1 - leak × TIME STEP) for each step it waited, which needs one leak for the whole run; with a flat profile and the initial conveyance time equal to the conveyance time, the leak may change",
                ));
            };
            Some(self.initial_conveyor_release(profile, total, initial_ctime, leak_rate, span)?)
        };
        self.conveyor_calls += 1;
        let prefix = format!("DELAY CONVEYOR.{}", self.conveyor_calls);
        let dimensions = self.current_dimensions.clone();
        let shape: Vec<CanonicalName> = dimensions.iter().map(|d| CanonicalName::new(d)).collect();
        let [entering, leaving, leaking, belt] = ["in", "out", "leak", "belt"].map(|part| format!("{prefix}.{part}"));
        let add = |mut variable: Variable, instances: &mut Vec<Variable>, shapes: &mut HashMap<_, _>| {
            variable.span = Some(span);
            variable.dimensions = dimensions.clone();
            shapes.insert(variable.canonical.clone(), shape.clone());
            instances.push(variable);
        };
        let mut stock = Variable::new(
            belt.clone(),
            VariableKind::stock(&[entering.as_str()], &[leaving.as_str(), leaking.as_str()], false),
        );
        let initial = if beside.is_some() {
            Expr { kind: ExprKind::Number(0.0), span: total.span }
        } else if leak_rate == Some(0.0) {
            total.clone()
        } else {
            let at = |kind: ExprKind| Expr { kind, span: total.span };
            let per_step = Expr::join(leak.clone(), BinaryOp::Mul, at(ExprKind::Name(NameRef::new("DT"))));
            let kept = Expr::join(at(ExprKind::Number(1.0)), BinaryOp::Sub, per_step);
            Expr::join(total.clone(), BinaryOp::Div, kept)
        };
        stock.equation = Some(expression_equation(initial, total.span));
        stock.conveyor = Some(Conveyor {
            transit_time: Some(expression_equation(ctime.clone(), ctime.span)),
            capacity: None,
            inflow_limit: None,
            sample: None,
            arrest: None,
            batch_integrity: false,
            one_at_a_time: true,
            discrete: false,
            exponential_leak: true,
            variable_speed,
            span: Some(span),
        });
        add(stock, &mut self.instances, &mut self.shapes);
        let mut inflow = Variable::new(entering, VariableKind::Flow { non_negative: false });
        inflow.equation = Some(expression_equation(input.clone(), input.span));
        add(inflow, &mut self.instances, &mut self.shapes);
        add(
            Variable::new(leaving.clone(), VariableKind::Flow { non_negative: false }),
            &mut self.instances,
            &mut self.shapes,
        );
        let mut leakage = Variable::new(leaking, VariableKind::Flow { non_negative: false });
        leakage.leak = Some(Leak {
            fraction: Some(expression_equation(leak.clone(), leak.span)),
            zone_start: 0.0,
            zone_end: 1.0,
            integers: false,
            span: Some(leak.span),
        });
        add(leakage, &mut self.instances, &mut self.shapes);
        let out = Expr { kind: ExprKind::Name(NameRef::new(leaving)), span };
        Ok(match beside {
            Some(release) => Expr::join(out, BinaryOp::Add, release),
            None => out,
        })
    }

    /// DELAY PROFILE(profile, input, delay time, init, init grow): each step's input leaves spread
    /// over the steps after it as the profile says. The profile (a lookup, its density zero
    /// outside its first and last points) is scaled to a probability distribution and stretched
    /// from x = 0 so that its mean is the delay time, which Vensim's documentation says the delay
    /// time is; what emerges within a step leaves at the step's end. So the call is
    /// `Σ w_k × DELAY FIXED(input, k × TIME STEP, init)`, `w_k` the share of the distribution
    /// between `(k - 1) × TIME STEP` and `k × TIME STEP`, computed when the model is read: the
    /// delay time, TIME STEP and the initial growth rate must be numbers or constants. With a
    /// growth rate of 0 the pipeline holds `init` as if the input had always been `init`. With a
    /// growth rate g the pipeline holds an input that grew as `e^(g t)` before the start, scaled
    /// so that what leaves at the start is `init` (`init` is the output's first value, which the
    /// documentation asks to adjust down when the input grows): the input that entered k steps
    /// before the start was `A e^(-g k TIME STEP)`, `A = init / Σ w_k e^(-g k TIME STEP)`.
    fn delay_profile(&mut self, args: &[Expr], span: Span) -> Result<Expr, Box<Diagnostic>> {
        let [profile, input, delay, initial, growth] = args else {
            return Err(Box::new(Diagnostic::new(Code::WrongArity, "DELAY PROFILE takes 5 arguments").at(Some(span))));
        };
        let refuse = |at: &Expr, code: Code, message: &str, help: &str| {
            Box::new(Diagnostic::new(code, message.to_owned()).at(Some(at.span)).with_help(help))
        };
        let Some((xs, ys)) = self.profile_points(profile) else {
            return Err(refuse(
                profile,
                Code::MdlUnsupportedFunction,
                "DELAY PROFILE's profile must be the name of a lookup defined without subscripts",
                "fulcrum reads the profile's points when the model is read",
            ));
        };
        // Segment i from xs[i] to xs[i + 1]: its area and its first moment (∫ x p dx).
        let segments: Vec<(f64, f64, f64, f64)> = (0..xs.len() - 1)
            .map(|i| {
                let (a, width, y0, y1) = (xs[i], xs[i + 1] - xs[i], ys[i], ys[i + 1]);
                (a, width, y0, y1)
            })
            .collect();
        let total: f64 = segments.iter().map(|&(_, w, y0, y1)| w * (y0 + y1) / 2.0).sum();
        let moment: f64 =
            segments.iter().map(|&(a, w, y0, y1)| a * w * (y0 + y1) / 2.0 + w * w * (y0 + 2.0 * y1) / 6.0).sum();
        if xs[0] < 0.0 || ys.iter().any(|&y| y.is_nan() || y < 0.0) || total <= 0.0 || moment <= 0.0 {
            return Err(refuse(
                profile,
                Code::InvalidArgument,
                "DELAY PROFILE's profile must be nonnegative, with some positive value after x = 0, and start at x = 0 or later",
                "Vensim's documentation asks for a lookup that is everywhere nonnegative with at least one positive value; its x is the time since the input entered",
            ));
        }
        let Some(delay_time) = self.constant_of(delay).filter(|d| *d > 0.0 && d.is_finite()) else {
            return Err(refuse(
                delay,
                Code::MdlUnsupportedFunction,
                "DELAY PROFILE's delay time must be a positive number or constant",
                "fulcrum spreads the profile over the steps when the model is read; Vensim's documentation does not say how the profile is rescaled when the delay time changes",
            ));
        };
        let Some(growth_rate) = self.constant_of(growth).filter(|g| g.is_finite()) else {
            return Err(refuse(
                growth,
                Code::MdlUnsupportedFunction,
                "DELAY PROFILE's initial growth rate must be a number or constant",
                "the growth rate says what the pipeline holds when the run starts, which fulcrum computes when it reads the model",
            ));
        };
        let time_step = self.constants.get(&CanonicalName::new("TIME STEP")).copied().filter(|dt| *dt > 0.0);
        let Some(time_step) = time_step else {
            return Err(refuse(
                profile,
                Code::MdlUnsupportedFunction,
                "DELAY PROFILE needs TIME STEP to be a number",
                "fulcrum spreads the profile over the time steps when the model is read",
            ));
        };
        // Stretched from 0 so that the mean is the delay time: time τ after entry reads the
        // profile at τ / stretch.
        let stretch = delay_time / (moment / total);
        let area_below = |x: f64| -> f64 {
            segments
                .iter()
                .map(|&(a, w, y0, y1)| {
                    let t = (x - a).clamp(0.0, w);
                    let slope = if w > 0.0 { (y1 - y0) / w } else { 0.0 };
                    y0 * t + slope * t * t / 2.0
                })
                .sum()
        };
        let last = xs[xs.len() - 1];
        let steps = (last * stretch / time_step - 1e-9).ceil().max(1.0);
        if steps > MAX_PROFILE_STEPS {
            return Err(refuse(
                delay,
                Code::MdlUnsupportedFunction,
                &format!("DELAY PROFILE here spreads over more than {MAX_PROFILE_STEPS} time steps"),
                "each step of the profile is a delay line of its own; use a longer TIME STEP or a shorter delay",
            ));
        }
        let at = |kind: ExprKind| Expr { kind, span };
        let number = |value: f64| at(ExprKind::Number(value));
        let global = |written: &str| at(ExprKind::Name(NameRef::new(written)));
        let call = |function: &str, args: Vec<Expr>| {
            at(ExprKind::Call { function: NameRef::new(function), function_span: span, args })
        };
        let shares: Vec<(usize, f64)> = (1..=steps as usize)
            .map(|k| {
                let share = (area_below(k as f64 * time_step / stretch)
                    - area_below((k - 1) as f64 * time_step / stretch))
                    / total;
                (k, share)
            })
            .filter(|&(_, share)| share != 0.0)
            .collect();
        // What entered k steps before the start, relative to what entered at it.
        let grown = |k: usize| (-growth_rate * k as f64 * time_step).exp();
        let leaving_at_start: f64 = shares.iter().map(|&(k, share)| share * grown(k)).sum();
        let mut sum: Option<Expr> = None;
        for (k, share) in shares {
            let lag = k as f64 * time_step;
            let delayed = if growth_rate == 0.0 {
                call("DELAY", vec![input.clone(), number(lag), initial.clone()])
            } else {
                // Before k steps have passed, what leaves entered before the start.
                let elapsed = Expr::join(global("TIME"), BinaryOp::Sub, global("STARTTIME"));
                let before = Expr::join(
                    Expr::join(call("INIT", vec![initial.clone()]), BinaryOp::Div, number(leaving_at_start)),
                    BinaryOp::Mul,
                    call(
                        "EXP",
                        vec![Expr::join(
                            number(growth_rate),
                            BinaryOp::Mul,
                            Expr::join(elapsed.clone(), BinaryOp::Sub, number(lag)),
                        )],
                    ),
                );
                at(ExprKind::If {
                    condition: Box::new(Expr::join(elapsed, BinaryOp::Lt, number(lag - time_step / 2.0))),
                    then_branch: Box::new(before),
                    else_branch: Box::new(call("DELAY", vec![input.clone(), number(lag), number(0.0)])),
                })
            };
            let term = Expr::join(number(share), BinaryOp::Mul, delayed);
            sum = Some(match sum {
                Some(sum) => Expr::join(sum, BinaryOp::Add, term),
                None => term,
            });
        }
        Ok(sum.unwrap_or_else(|| at(ExprKind::Number(0.0))))
    }

    /// DEPRECIATE BY SCHEDULE(stream, schedule[first element], initial depreciation, depreciation
    /// time, fiscal start): DEPRECIATE STRAIGHTLINE with the schedule's shares in place of equal
    /// ones. The schedule's elements along its last range, from the one named, are n shares
    /// (scaled to add to 1) over n fiscal periods of `depreciation time / n`, which start at the
    /// fiscal start plus whole periods. What the stream brings in during a period is depreciated
    /// by share j in the j-th period after it, as a rate (÷ the fiscal period); in its own period
    /// the stream's current value counts as if it held all period, as DEPRECIATE STRAIGHTLINE's
    /// does (which a uniform schedule gives exactly). The initial depreciation, the same range
    /// from the element named or one value for every period, is added in the first n periods of
    /// the run.
    /// SHIFT IF TRUE(level[ranges, first], condition, size, accumulate, value in), as Vensim's
    /// reference page describes it: while the condition holds, `size` elements of the level from
    /// `first` (along its last range) move one element on, the first taking `value in` and the
    /// last the one before it (added to what it holds, with `accumulate`), and the call returns
    /// what left the last element (0 with `accumulate`). The condition, `value in` and
    /// `accumulate` become hidden auxiliaries over the equation's ranges (`SHIFT IF TRUE.n.…`),
    /// and the level, once read, a hidden flow `SHIFT IF TRUE.n.shift` that moves each element
    /// to its shifted value within the step (see [`Translator::apply_shifts`]).
    fn shift_if_true(&mut self, args: &[Expr], span: Span) -> Result<Expr, Box<Diagnostic>> {
        let [level, condition, size, accumulate, value_in] = args else {
            return Err(Box::new(Diagnostic::new(Code::WrongArity, "SHIFT IF TRUE takes 5 arguments").at(Some(span))));
        };
        let refuse = |at: &Expr, message: &str, help: &str| {
            Box::new(
                Diagnostic::new(Code::MdlUnsupportedFunction, message.to_owned()).at(Some(at.span)).with_help(help),
            )
        };
        let shape_help = "write the level as its reference page does: `level[range, ..., first element]`, the ranges those of this equation's left-hand side in order, then the element of the level's last range the shift starts at";
        let ExprKind::Subscript { array, indices, .. } = &level.kind else {
            return Err(refuse(
                level,
                "SHIFT IF TRUE's first argument must be a level at the element the shift starts at",
                shape_help,
            ));
        };
        let names: Option<Vec<&NameRef>> = indices
            .iter()
            .map(|index| match index {
                Index::Expr(Expr { kind: ExprKind::Name(name), .. }) => Some(name),
                _ => None,
            })
            .collect();
        let own: Vec<CanonicalName> = self.current_dimensions.iter().map(|d| CanonicalName::new(d)).collect();
        let split = names.as_ref().and_then(|names| names.split_last());
        // An equation over ranges names them; one written element by element (because it reads
        // an element of another range) names the elements.
        let Some((first, leading)) = split.filter(|(first, leading)| {
            let ranges: Vec<CanonicalName> =
                leading.iter().filter(|n| self.ranges.get(&n.written).is_some()).map(|n| n.canonical.clone()).collect();
            ranges == own && self.ranges.get(&first.written).is_none()
        }) else {
            return Err(refuse(
                level,
                "SHIFT IF TRUE's level must be subscripted by this equation's ranges and then one element",
                shape_help,
            ));
        };
        let count = match &size.kind {
            ExprKind::Call { function, args, .. } if function.canonical.as_str() == "elmcount" => match args.first() {
                Some(Expr { kind: ExprKind::Name(range), .. }) => {
                    self.ranges.get(&range.written).map(|range| range.elements.len() as f64)
                }
                _ => None,
            },
            _ => self.constant_of(size),
        };
        let Some(count) = count.filter(|count| count.fract() == 0.0 && *count >= 1.0 && *count <= 1e6) else {
            return Err(refuse(
                size,
                "SHIFT IF TRUE's size must be a whole number of at least 1: a number, a constant or ELMCOUNT of a range",
                "the size says which elements of the level are shifted, which fulcrum fixes when it reads the model",
            ));
        };
        self.shift_calls += 1;
        let prefix = format!("SHIFT IF TRUE.{}", self.shift_calls);
        let dimensions = self.current_dimensions.clone();
        let shape: Vec<CanonicalName> = own.clone();
        for (part, expr) in [("condition", condition), ("accumulate", accumulate), ("value in", value_in)]
            .into_iter()
            .chain([("removed", level)])
        {
            let mut variable = Variable::new(format!("{prefix}.{part}"), VariableKind::Auxiliary);
            variable.span = Some(span);
            variable.dimensions = dimensions.clone();
            // What leaves the last element is written once the level's ranges are known.
            if part != "removed" {
                variable.equation = Some(expression_equation(expr.clone(), expr.span));
            }
            self.shapes.insert(variable.canonical.clone(), shape.clone());
            self.instances.push(variable);
        }
        self.shifts.push(Shift {
            level: array.clone(),
            leading: leading.iter().map(|n| n.written.clone()).collect(),
            first: first.written.clone(),
            count: count as usize,
            prefix: prefix.clone(),
            span,
        });
        Ok(reference(&format!("{prefix}.removed"), &dimensions, span))
    }

    /// SIMULTANEOUS(expression, initial guess), as Vensim's page on simultaneous equations
    /// describes it: the loop its variable closes is run around until nothing in it changes. The
    /// call is replaced by `SIMULTANEOUS.n.solution`, and once every variable is read the loop
    /// is copied round by round (see [`Translator::apply_simultaneous`]).
    fn simultaneous(&mut self, args: &[Expr], span: Span) -> Result<Expr, Box<Diagnostic>> {
        let [expr, guess] = args else {
            return Err(Box::new(Diagnostic::new(Code::WrongArity, "SIMULTANEOUS takes 2 arguments").at(Some(span))));
        };
        let Some((variable, false)) = self.defining.clone() else {
            return Err(Box::new(
                Diagnostic::new(
                    Code::MdlUnsupportedFunction,
                    "SIMULTANEOUS is supported in an equation of a variable without subscripts",
                )
                .at(Some(span))
                .with_help("fulcrum runs around loops of variables without subscripts only; write the loop's variables without subscripts"),
            ));
        };
        let prefix = format!("SIMULTANEOUS.{}", self.simultaneous.len() + 1);
        self.simultaneous.push(Simultaneous {
            variable,
            expr: expr.clone(),
            guess: guess.clone(),
            prefix: prefix.clone(),
            span,
        });
        Ok(Expr { kind: ExprKind::Name(NameRef::new(format!("{prefix}.solution"))), span })
    }

    /// FIND ZERO(xs, z, zs, xi, n, skip, tol, max iter, method), as Vensim's reference page
    /// describes it: the values of the left-hand side `x`, over its range, that make the vector
    /// `z` (computed from `x` by other equations) zero, from the initial values `xi`, with `xs`
    /// and `zs` the scales of `x` and `z`. The call is replaced by `FIND ZERO.n.solution`; its
    /// arguments over the range become hidden auxiliaries (`FIND ZERO.n.xs`, `.zs`, `.xi`, `.tol`)
    /// and, once every variable is read, Newton's steps are written out (see
    /// [`Translator::apply_find_zeros`]). Supported: one range on the left-hand side, `n` all of
    /// its elements, `skip` 0 and `method` 0, `max iter` a number or constant.
    fn find_zero(&mut self, args: &[Expr], span: Span) -> Result<Expr, Box<Diagnostic>> {
        let refuse = |at: Span, message: &str, help: &str| {
            Box::new(Diagnostic::new(Code::MdlUnsupportedFunction, message.to_owned()).at(Some(at)).with_help(help))
        };
        let (variable, dimension) = match (&self.defining, self.current_dimensions.as_slice()) {
            (Some((variable, true)), [dimension]) if self.ranges.get(dimension).is_some() => {
                (variable.clone(), dimension.clone())
            }
            _ => {
                return Err(refuse(
                    span,
                    "FIND ZERO is supported in an equation of a variable over one subscript range",
                    "FIND ZERO solves for its left-hand side's elements along its subscript; write the left-hand side over one range, `x[range] = FIND ZERO(...)`, as the whole right-hand side",
                ));
            }
        };
        let [xs, z, zs, xi, n, skip, tol, max_iter, method] = args else {
            return Err(Box::new(
                Diagnostic::new(
                    Code::WrongArity,
                    "FIND ZERO takes 9 arguments: xs, z, zs, xi, n, skip, tol, max iter, method",
                )
                .at(Some(span)),
            ));
        };
        let count = self.ranges.get(&dimension).map(|range| range.elements.len()).unwrap_or(0);
        let z_name = match &z.kind {
            ExprKind::Name(name) => Some(name.clone()),
            ExprKind::Subscript { array, indices, .. } => match indices.as_slice() {
                [Index::Expr(Expr { kind: ExprKind::Name(index), .. })]
                    if CanonicalName::new(&dimension) == index.canonical =>
                {
                    Some(array.clone())
                }
                _ => None,
            },
            _ => None,
        };
        let Some(z_name) = z_name else {
            return Err(refuse(
                z.span,
                &format!("FIND ZERO's z must be a variable over the left-hand side's range: `z[{dimension}]`"),
                "z is the vector that the left-hand side's values should make zero, computed from them in another equation (`z = y - f(y)`)",
            ));
        };
        let elements_in = match &n.kind {
            ExprKind::Call { function, args, .. } if function.canonical.as_str() == "elmcount" => match args.first() {
                Some(Expr { kind: ExprKind::Name(range), .. }) => {
                    self.ranges.get(&range.written).map(|range| range.elements.len() as f64)
                }
                _ => None,
            },
            _ => self.constant_of(n),
        };
        if elements_in != Some(count as f64) {
            return Err(refuse(
                n.span,
                &format!(
                    "FIND ZERO here solves for all {count} elements of `{dimension}`: n must be {count} or ELMCOUNT({dimension})"
                ),
                "Vensim's documentation allows a smaller n without saying which elements are then left out; fulcrum solves for every element",
            ));
        }
        if self.constant_of(skip) != Some(0.0) {
            return Err(refuse(
                skip.span,
                "FIND ZERO with skip other than 0 is not supported yet",
                "skip marks a system homogeneous of degree 0; which elements it fixes, and at what, is not known to fulcrum; fix an element with an equation of its own and solve for the others",
            ));
        }
        if self.constant_of(method) != Some(0.0) {
            return Err(refuse(
                method.span,
                "FIND ZERO's method must be 0",
                "fulcrum solves by Newton's method with a finite-difference Jacobian; which method other numbers select is not known to fulcrum",
            ));
        }
        let Some(iterations) = self
            .constant_of(max_iter)
            .filter(|m| m.fract() == 0.0 && *m >= 1.0 && *m <= MAX_FIND_ZERO_ITERATIONS as f64)
        else {
            return Err(refuse(
                max_iter.span,
                &format!("FIND ZERO's max iter must be a whole number from 1 to {MAX_FIND_ZERO_ITERATIONS}"),
                "fulcrum writes out each of Newton's steps when it reads the model, so their number must be a number or constant",
            ));
        };
        let prefix = format!("FIND ZERO.{}", self.find_zeros.len() + 1);
        let own = vec![CanonicalName::new(&dimension)];
        for (part, expr) in [("xs", xs), ("zs", zs), ("xi", xi)] {
            let mut hidden = Variable::new(format!("{prefix}.{part}"), VariableKind::Auxiliary);
            hidden.span = Some(span);
            hidden.dimensions = vec![dimension.clone()];
            hidden.equation = Some(expression_equation(expr.clone(), expr.span));
            self.shapes.insert(hidden.canonical.clone(), own.clone());
            self.instances.push(hidden);
        }
        let mut hidden = Variable::new(format!("{prefix}.tol"), VariableKind::Auxiliary);
        hidden.span = Some(span);
        hidden.equation = Some(expression_equation(tol.clone(), tol.span));
        self.instances.push(hidden);
        self.find_zeros.push(FindZero {
            variable,
            dimension: dimension.clone(),
            z: z_name.written.clone(),
            iterations: iterations as usize,
            prefix: prefix.clone(),
            span,
        });
        Ok(reference(&format!("{prefix}.solution"), &[dimension], span))
    }

    fn depreciate_by_schedule(&mut self, args: &[Expr], span: Span) -> Result<Expr, Box<Diagnostic>> {
        let [stream, schedule, initial, life, fiscal_start] = args else {
            return Err(Box::new(
                Diagnostic::new(Code::WrongArity, "DEPRECIATE BY SCHEDULE takes 5 arguments").at(Some(span)),
            ));
        };
        let Some(shares) = self.along_last_range(schedule) else {
            return Err(Box::new(
                Diagnostic::new(
                    Code::InvalidArgument,
                    "DEPRECIATE BY SCHEDULE's schedule must be a subscripted variable at an element of its last range",
                )
                .at(Some(schedule.span))
                .with_help("write the schedule at the first element of its last range, `schedule[first]`: its elements from there are the shares of the fiscal periods"),
            ));
        };
        let periods = shares.len();
        let initials = match &initial.kind {
            ExprKind::Subscript { .. } => match self.along_last_range(initial) {
                Some(values) if values.len() == periods => values,
                _ => {
                    return Err(Box::new(
                        Diagnostic::new(
                            Code::InvalidArgument,
                            format!(
                                "DEPRECIATE BY SCHEDULE's initial depreciation must have as many elements as the schedule ({periods}) from the element named"
                            ),
                        )
                        .at(Some(initial.span))
                        .with_help("give the initial depreciation of each fiscal period, or one value for all of them"),
                    ));
                }
            },
            _ => vec![initial.clone(); periods],
        };
        let at = |kind: ExprKind| Expr { kind, span };
        let number = |value: f64| at(ExprKind::Number(value));
        let global = |written: &str| at(ExprKind::Name(NameRef::new(written)));
        let call = |function: &str, args: Vec<Expr>| {
            at(ExprKind::Call { function: NameRef::new(function), function_span: span, args })
        };
        let join = Expr::join;
        let if_then_else = |condition: Expr, then_branch: Expr, else_branch: Expr| {
            at(ExprKind::If {
                condition: Box::new(condition),
                then_branch: Box::new(then_branch),
                else_branch: Box::new(else_branch),
            })
        };
        // The fiscal start as it is at the start ("normally Time (or equivalently INITIAL
        // TIME)", Vensim's documentation says).
        let fiscal_start = &call("INIT", vec![fiscal_start.clone()]);
        let fiscal = || join(life.clone(), BinaryOp::Div, number(periods as f64));
        let half_step = || join(global("DT"), BinaryOp::Div, number(2.0));
        // Periods start at the fiscal start plus whole periods; a step starts one when it lies
        // within half a step after that time. Vensim's MODULO and INTEGER keep the sign of what
        // they are given, so times are measured from a period start at or before the run's
        // start: the fiscal start less enough whole periods.
        let origin = join(
            fiscal_start.clone(),
            BinaryOp::Sub,
            join(
                fiscal(),
                BinaryOp::Mul,
                join(
                    number(1.0),
                    BinaryOp::Add,
                    call(
                        "INT",
                        vec![join(
                            call(
                                "MAX",
                                vec![number(0.0), join(fiscal_start.clone(), BinaryOp::Sub, global("STARTTIME"))],
                            ),
                            BinaryOp::Div,
                            fiscal(),
                        )],
                    ),
                ),
            ),
        );
        let since_start = |time: Expr| join(join(time, BinaryOp::Sub, origin.clone()), BinaryOp::Add, half_step());
        let starts_period =
            join(call("MODULO", vec![since_start(global("TIME")), fiscal()]), BinaryOp::Lt, global("DT"));
        let period_of = |time: Expr| call("INT", vec![join(since_start(time), BinaryOp::Div, fiscal())]);
        let period = join(period_of(global("TIME")), BinaryOp::Sub, period_of(global("STARTTIME")));
        // The stream's running total (its steps before this one) at the start of this period.
        let running_total = join(
            call("NPV", vec![stream.clone(), number(0.0), number(0.0), number(1.0)]),
            BinaryOp::Sub,
            join(stream.clone(), BinaryOp::Mul, global("DT")),
        );
        let at_period_start = call("SAMPLE_IF_TRUE", vec![starts_period, running_total, number(0.0)]);
        let periods_ago = |j: usize| {
            if j == 0 {
                at_period_start.clone()
            } else {
                call(
                    "DELAY",
                    vec![at_period_start.clone(), join(number(j as f64), BinaryOp::Mul, fiscal()), number(0.0)],
                )
            }
        };
        let total_share =
            shares.iter().skip(1).fold(shares[0].clone(), |sum, share| join(sum, BinaryOp::Add, share.clone()));
        let share = |j: usize| join(shares[j].clone(), BinaryOp::Div, total_share.clone());
        // The current period: the stream as if it held all period.
        let mut amount = join(share(0), BinaryOp::Mul, join(stream.clone(), BinaryOp::Mul, fiscal()));
        // What came in j periods ago: the difference of the running totals at the starts of
        // the periods j - 1 and j before this one.
        for j in 1..periods {
            let brought = join(periods_ago(j - 1), BinaryOp::Sub, periods_ago(j));
            amount = join(amount, BinaryOp::Add, join(share(j), BinaryOp::Mul, brought));
        }
        let mut result = join(amount, BinaryOp::Div, fiscal());
        for (j, value) in initials.into_iter().enumerate() {
            let in_period = join(period.clone(), BinaryOp::Eq, number(j as f64));
            result = join(result, BinaryOp::Add, if_then_else(in_period, value, number(0.0)));
        }
        Ok(result)
    }

    /// DELAY BATCH as Vensim documents it, in hidden auxiliaries (`DELAY BATCH.n.…`, arrayed like
    /// the equation that calls it) that carry its state from step to step with PREVIOUS:
    /// - `backlog`: the material accumulated and not yet released, `inibacklog` at the start, then
    ///   what was left a step ago plus the input of a step ago times TIME STEP (Euler's sum);
    /// - `busy` and `due`: whether a batch is in process, and when it completes (`was busy` and
    ///   `pending` their values a step ago); the initial batch is in process until `initime` (a
    ///   zero initial batch is no batch);
    /// - `completes`: the batch in process completes at this step (the first step at or after its
    ///   time, to a millionth of a step);
    /// - `starts`: a batch of `bsize` is released when none is in process (or the one in process
    ///   completes now) and the backlog holds at least `bsize`; it completes `btime` later, the
    ///   `btime` of now;
    /// - `value`: what the batch in process returns when it completes: `bsize / TIME STEP`, so
    ///   that the pulse carries the batch, or `inibatch` itself for the initial batch.
    ///
    /// The call returns that value at the step a batch completes and 0 at the others.
    fn delay_batch(&mut self, args: &[Expr], span: Span) -> Result<Expr, Box<Diagnostic>> {
        let [input, size, time, initial_batch, initial_time, initial_backlog] = args else {
            return Err(Box::new(Diagnostic::new(Code::WrongArity, "DELAY BATCH takes 6 arguments").at(Some(span))));
        };
        self.batch_calls += 1;
        let prefix = format!("DELAY BATCH.{}", self.batch_calls);
        let at = |kind: ExprKind| Expr { kind, span };
        let name = |part: &str| at(ExprKind::Name(NameRef::new(format!("{prefix}.{part}"))));
        let global = |written: &str| at(ExprKind::Name(NameRef::new(written)));
        let number = |value: f64| at(ExprKind::Number(value));
        let call = |function: &str, args: Vec<Expr>| {
            at(ExprKind::Call { function: NameRef::new(function), function_span: span, args })
        };
        let if_then_else = |condition: Expr, then_branch: Expr, else_branch: Expr| {
            at(ExprKind::If {
                condition: Box::new(condition),
                then_branch: Box::new(then_branch),
                else_branch: Box::new(else_branch),
            })
        };
        let first_busy =
            if_then_else(Expr::join(initial_batch.clone(), BinaryOp::Eq, number(0.0)), number(0.0), number(1.0));
        let tolerance = Expr::join(global("DT"), BinaryOp::Mul, number(1e-6));
        let parts = [
            ("input", input.clone()),
            (
                "backlog",
                Expr::join(
                    call("PREVIOUS", vec![name("left"), initial_backlog.clone()]),
                    BinaryOp::Add,
                    Expr::join(global("DT"), BinaryOp::Mul, call("PREVIOUS", vec![name("input"), number(0.0)])),
                ),
            ),
            ("was busy", call("PREVIOUS", vec![name("busy"), first_busy])),
            ("pending", call("PREVIOUS", vec![name("due"), initial_time.clone()])),
            (
                "completes",
                Expr::join(
                    Expr::join(name("was busy"), BinaryOp::Ne, number(0.0)),
                    BinaryOp::And,
                    Expr::join(name("pending"), BinaryOp::Le, Expr::join(global("TIME"), BinaryOp::Add, tolerance)),
                ),
            ),
            (
                "starts",
                Expr::join(
                    Expr::join(
                        Expr::join(name("was busy"), BinaryOp::Eq, number(0.0)),
                        BinaryOp::Or,
                        name("completes"),
                    ),
                    BinaryOp::And,
                    Expr::join(name("backlog"), BinaryOp::Ge, size.clone()),
                ),
            ),
            (
                "busy",
                if_then_else(
                    name("starts"),
                    number(1.0),
                    if_then_else(name("completes"), number(0.0), name("was busy")),
                ),
            ),
            (
                "due",
                if_then_else(name("starts"), Expr::join(global("TIME"), BinaryOp::Add, time.clone()), name("pending")),
            ),
            (
                "left",
                Expr::join(name("backlog"), BinaryOp::Sub, if_then_else(name("starts"), size.clone(), number(0.0))),
            ),
            (
                "value",
                if_then_else(
                    name("starts"),
                    Expr::join(size.clone(), BinaryOp::Div, global("DT")),
                    call("PREVIOUS", vec![name("value"), initial_batch.clone()]),
                ),
            ),
        ];
        let dimensions = self.current_dimensions.clone();
        let shape: Vec<CanonicalName> = dimensions.iter().map(|d| CanonicalName::new(d)).collect();
        for (part, equation) in parts {
            let mut variable = Variable::new(format!("{prefix}.{part}"), VariableKind::Auxiliary);
            variable.span = Some(span);
            variable.dimensions = dimensions.clone();
            variable.equation = Some(expression_equation(equation, span));
            self.shapes.insert(variable.canonical.clone(), shape.clone());
            self.instances.push(variable);
        }
        Ok(if_then_else(name("completes"), call("PREVIOUS", vec![name("value"), initial_batch.clone()]), number(0.0)))
    }

    fn expand_macro(&mut self, function: &NameRef, args: &[Expr], span: Span) -> Result<Expr, Box<Diagnostic>> {
        let index = self
            .macros
            .iter()
            .position(|m| m.canonical == function.canonical)
            .ok_or_else(|| Box::new(Diagnostic::new(Code::MdlMacro, "unknown macro").at(Some(span))))?;
        let definition = self
            .macros
            .get(index)
            .cloned()
            .ok_or_else(|| Box::new(Diagnostic::new(Code::MdlMacro, "unknown macro")))?;
        // A macro met again while it is being expanded calls itself; stopping there, rather than
        // at a depth, keeps a macro that calls itself twice from doubling its copies each level.
        if self.expanding.contains(&definition.canonical) || self.expanding.len() >= MAX_MACRO_DEPTH {
            return Err(Box::new(
                Diagnostic::new(
                    Code::MdlMacro,
                    format!("the macro {} calls itself (or macros call each other) without end", definition.name),
                )
                .at(Some(span))
                .with_related(Some(definition.span), "the macro"),
            ));
        }
        if self.macro_calls >= MAX_MACRO_CALLS {
            return Err(Box::new(
                Diagnostic::new(Code::MdlMacro, format!("macros are expanded into more than {MAX_MACRO_CALLS} copies"))
                    .at(Some(span))
                    .with_help("macros that call other macros several times multiply their copies"),
            ));
        }
        self.macro_calls += 1;
        // `MACRO(inputs : outputs)`: the names after the marker receive the extra outputs.
        let marker =
            args.iter().position(|arg| matches!(&arg.kind, ExprKind::Name(name) if name.written == OUTPUTS_MARKER));
        let (args, receivers) = match marker {
            Some(position) => (&args[..position], &args[position + 1..]),
            None => (args, &args[args.len()..]),
        };
        if receivers.len() > definition.outputs.len() {
            return Err(Box::new(
                Diagnostic::new(
                    Code::WrongArity,
                    format!(
                        "the macro {} has {} extra outputs, but the call names {} variables for them",
                        definition.name,
                        definition.outputs.len(),
                        receivers.len()
                    ),
                )
                .at(Some(span))
                .with_related(Some(definition.span), "the macro"),
            ));
        }
        if args.len() != definition.inputs.len() {
            return Err(Box::new(
                Diagnostic::new(
                    Code::WrongArity,
                    format!(
                        "the macro {} takes {} arguments, but is given {}",
                        definition.name,
                        definition.inputs.len(),
                        args.len()
                    ),
                )
                .at(Some(span))
                .with_related(Some(definition.span), "the macro"),
            ));
        }
        if let Some(macro_) = self.macros.get_mut(index) {
            macro_.calls += 1;
        }
        let prefix = format!("{}.{}", definition.name, definition.calls + 1);
        let locals: HashSet<CanonicalName> = definition
            .body
            .iter()
            .filter_map(|p| match &p.definition {
                Definition::Equation { lhs, .. } | Definition::Lookup { lhs, .. } | Definition::Data { lhs, .. } => {
                    Some(CanonicalName::new(&lhs.name.name))
                }
                _ => None,
            })
            .collect();
        let inputs: HashMap<CanonicalName, String> =
            definition.inputs.iter().map(|input| (CanonicalName::new(input), format!("{prefix}.{input}"))).collect();
        // Each input becomes a variable holding the argument, so it is computed once. A call in
        // an arrayed equation makes arrayed copies, each element reading its own arguments.
        let dimensions = self.current_dimensions.clone();
        let shape: Vec<CanonicalName> = dimensions.iter().map(|d| CanonicalName::new(d)).collect();
        for (input, arg) in definition.inputs.iter().zip(args) {
            let mut variable = Variable::new(format!("{prefix}.{input}"), VariableKind::Auxiliary);
            variable.span = Some(arg.span);
            variable.equation = Some(expression_equation(arg.clone(), arg.span));
            variable.dimensions = dimensions.clone();
            self.shapes.insert(variable.canonical.clone(), shape.clone());
            self.instances.push(variable);
        }
        let rename = |name: &NameRef, called: bool| -> Option<String> {
            // Inside a macro, `Time$` and `TIME STEP$` name the model's own variables.
            if let Some(outer) = name.written.strip_suffix('$') {
                return Some(outer.trim_end().to_owned());
            }
            if locals.contains(&name.canonical) && (!called || name.canonical != definition.canonical) {
                Some(format!("{prefix}.{}", name.written))
            } else if !called {
                inputs.get(&name.canonical).cloned()
            } else {
                None
            }
        };
        let mut body = definition.body.clone();
        for item in &mut body {
            rename_definition(&mut item.definition, &rename);
        }
        for item in &body {
            if let Definition::Lookup { lhs, .. } = &item.definition {
                self.callable.insert(CanonicalName::new(&lhs.name.name));
            }
            if let Definition::Equation { lhs, .. } | Definition::Lookup { lhs, .. } | Definition::Data { lhs, .. } =
                &item.definition
            {
                self.shapes.insert(CanonicalName::new(&lhs.name.name), shape.clone());
            }
        }
        self.expanding.push(definition.canonical.clone());
        for item in &body {
            if let Some(mut variable) = self.variable(&[item]) {
                // A macro's units name its inputs' units (`xin`), not units of the model: its
                // copies are left without units, so the units check treats them as unknown.
                variable.units = None;
                if variable.dimensions.is_empty() {
                    variable.dimensions = dimensions.clone();
                }
                self.instances.push(variable);
            }
        }
        self.expanding.pop();
        // Each variable named after `:` is the copy's output in its place.
        for (receiver, output) in receivers.iter().zip(&definition.outputs) {
            let ExprKind::Name(name) = &receiver.kind else { continue };
            let mut variable = Variable::new(name.written.clone(), VariableKind::Auxiliary);
            variable.span = Some(receiver.span);
            let value = Expr { kind: ExprKind::Name(NameRef::new(format!("{prefix}.{output}"))), span: receiver.span };
            variable.equation = Some(expression_equation(value, receiver.span));
            variable.dimensions = dimensions.clone();
            self.shapes.insert(variable.canonical.clone(), shape.clone());
            self.instances.push(variable);
        }
        Ok(Expr { kind: ExprKind::Name(NameRef::new(format!("{prefix}.{}", definition.name))), span })
    }
}

impl Translator<'_> {
    /// The points of the lookup an argument names, if it names one defined without subscripts.
    fn profile_points(&self, profile: &Expr) -> Option<&(Vec<f64>, Vec<f64>)> {
        let ExprKind::Name(name) = &profile.kind else { return None };
        self.lookups.get(&name.canonical).filter(|(xs, ys)| xs.len() >= 2 && xs.len() == ys.len())
    }

    /// `name := CUMULATE(data)` and `CUMULATEF(data)`, Vensim's data functions: the running sums of
    /// the data variable's points ("the first data point, the first data point plus the second,
    /// ... the sum of all the data points"), at the points' times, read as this variable's own
    /// keyword says; CUMULATEF keeps only the last sum, at the last point's time. Only a data
    /// variable that one GET DATA call reads from a file (read again here, element for element
    /// in the order of this variable's elements); otherwise `None`, and the call is refused.
    fn cumulate(&mut self, expr: &Expr, keyword: Option<Keyword>, count: usize) -> Option<Vec<Loaded>> {
        let ExprKind::Call { function, args, .. } = &expr.kind else { return None };
        let last_only = match function.canonical.as_str() {
            "cumulate" => false,
            "cumulatef" => true,
            _ => return None,
        };
        let [source] = args.as_slice() else { return None };
        let name = match &source.kind {
            ExprKind::Name(name) => name,
            ExprKind::Subscript { array, .. } => array,
            _ => return None,
        };
        let texts = self.data_calls.get(&name.canonical)?.clone();
        let text = |i: usize| texts.get(i).map(String::as_str).unwrap_or("");
        let series = self.files.series(text(0), text(1), text(2), text(3), count).ok()?;
        if series.iter().any(|(xs, _)| xs.is_empty()) {
            return None;
        }
        Some(
            series
                .into_iter()
                .map(|(xs, ys)| {
                    let mut points: Vec<(f64, f64)> = xs.into_iter().zip(ys).collect();
                    points.sort_by(|a, b| a.0.total_cmp(&b.0));
                    let mut sum = 0.0;
                    let mut sums: Vec<(f64, f64)> = points
                        .into_iter()
                        .map(|(x, y)| {
                            sum += y;
                            (x, sum)
                        })
                        .collect();
                    if last_only {
                        sums = sums.pop().into_iter().collect();
                    }
                    let (xs, ys) = sums.into_iter().unzip();
                    data_series(xs, ys, keyword, expr.span)
                })
                .collect(),
        )
    }

    /// `x[..., e]`: the elements of `x` along its last range from `e` on, each as `x[..., e_k]`.
    fn along_last_range(&self, expr: &Expr) -> Option<Vec<Expr>> {
        let ExprKind::Subscript { array, array_span, indices } = &expr.kind else { return None };
        let Some(Index::Expr(last)) = indices.last() else { return None };
        let ExprKind::Name(element) = &last.kind else { return None };
        let range = self.shapes.get(&array.canonical)?.get(indices.len() - 1)?;
        let elements = &self.ranges.get(range.as_str())?.elements;
        let first = elements.iter().position(|e| CanonicalName::new(e) == element.canonical)?;
        Some(
            elements[first..]
                .iter()
                .map(|e| {
                    let mut indices = indices.clone();
                    if let Some(last) = indices.last_mut() {
                        *last = Index::Expr(Expr { kind: ExprKind::Name(NameRef::new(e.clone())), span: expr.span });
                    }
                    Expr {
                        kind: ExprKind::Subscript { array: array.clone(), array_span: *array_span, indices },
                        span: expr.span,
                    }
                })
                .collect(),
        )
    }

    /// What a conveyor's initial contents release at each step when they are not laid out evenly
    /// over its conveyance time: the initial profile (a lookup) read as the shape of what comes
    /// out, its domain scaled to the initial conveyance time and its values so that the initial
    /// total comes out in all. The step from Time to Time + TIME STEP releases the profile's share
    /// over that interval, as a rate:
    /// `INITIAL(total) × (A(x0 + w × MIN(1, (t + DT) / c)) - A(x0 + w × MIN(1, t / c))) / (A(xn) × DT)`,
    /// `t` the time since the start, `c` the initial conveyance time, `A` the area under the
    /// profile from its first point x0, `w` its width; with a leak, times what each part has kept
    /// of itself by the step it leaves.
    fn initial_conveyor_release(
        &self,
        profile: &Expr,
        total: &Expr,
        initial_ctime: &Expr,
        leak_rate: f64,
        span: Span,
    ) -> Result<Expr, Box<Diagnostic>> {
        let refuse = |at: &Expr, code: Code, message: &str, help: &str| {
            Box::new(Diagnostic::new(code, message.to_owned()).at(Some(at.span)).with_help(help))
        };
        let Some(initial_time) = self.constant_of(initial_ctime).filter(|c| *c > 0.0 && c.is_finite()) else {
            return Err(refuse(
                initial_ctime,
                Code::MdlUnsupportedFunction,
                "DELAY CONVEYOR's initial conveyance time must be a positive number or constant",
                "fulcrum lays the initial contents out when the run starts",
            ));
        };
        let Some((xs, ys)) = self.profile_points(profile) else {
            return Err(refuse(
                profile,
                Code::MdlUnsupportedFunction,
                "DELAY CONVEYOR's initial profile must be the name of a lookup defined without subscripts",
                "the profile is the shape of what the initial contents release over the initial conveyance time",
            ));
        };
        let area: f64 = xs.windows(2).zip(ys.windows(2)).map(|(x, y)| (x[1] - x[0]) * (y[0] + y[1]) / 2.0).sum();
        if ys.iter().any(|&y| y.is_nan() || y < 0.0) || area <= 0.0 {
            return Err(refuse(
                profile,
                Code::InvalidArgument,
                "DELAY CONVEYOR's initial profile must be nonnegative with some positive value",
                "the profile is scaled so that its area is the initial total",
            ));
        }
        let (first, width) = (xs[0], xs[xs.len() - 1] - xs[0]);
        let at = |kind: ExprKind| Expr { kind, span };
        let number = |value: f64| at(ExprKind::Number(value));
        let global = |written: &str| at(ExprKind::Name(NameRef::new(written)));
        let call = |function: &str, args: Vec<Expr>| {
            at(ExprKind::Call { function: NameRef::new(function), function_span: span, args })
        };
        let elapsed = || Expr::join(global("TIME"), BinaryOp::Sub, global("STARTTIME"));
        let area_to = |time: Expr| {
            let fraction = call("MIN", vec![number(1.0), Expr::join(time, BinaryOp::Div, number(initial_time))]);
            let x = Expr::join(number(first), BinaryOp::Add, Expr::join(number(width), BinaryOp::Mul, fraction));
            call("LOOKUP_AREA", vec![profile.clone(), number(first), x])
        };
        let share =
            Expr::join(area_to(Expr::join(elapsed(), BinaryOp::Add, global("DT"))), BinaryOp::Sub, area_to(elapsed()));
        let per_time = Expr::join(number(area), BinaryOp::Mul, global("DT"));
        let release =
            Expr::join(call("INIT", vec![total.clone()]), BinaryOp::Mul, Expr::join(share, BinaryOp::Div, per_time));
        if leak_rate == 0.0 {
            return Ok(release);
        }
        // Vensim's leakage, the leak rate times the ahead level (the contents less this step's
        // output), takes `leak × TIME STEP` of every part still on the conveyor each step, so
        // the part that leaves k steps after the start has kept (1 - leak × TIME STEP)^k of
        // itself, as on the belt.
        let kept = Expr::join(number(1.0), BinaryOp::Sub, Expr::join(number(leak_rate), BinaryOp::Mul, global("DT")));
        let steps = Expr::join(elapsed(), BinaryOp::Div, global("DT"));
        Ok(Expr::join(release, BinaryOp::Mul, Expr::join(kept, BinaryOp::Pow, steps)))
    }

    /// The value of a number, a negated number or a variable defined as a number.
    fn constant_of(&self, expr: &Expr) -> Option<f64> {
        match &expr.kind {
            ExprKind::Name(name) => self.constants.get(&name.canonical).copied(),
            _ => number_of(expr),
        }
    }
}

/// The functions whose value at a step does not follow from their inputs at that step (they
/// keep a state, or read earlier steps), so that a loop through them is not simultaneous.
const KEEPS_STATE: [&str; 17] = [
    "smth1",
    "smth3",
    "smthn",
    "delay1",
    "delay3",
    "delayn",
    "delay",
    "delay_fixed",
    "delay_material",
    "delay_information",
    "trend",
    "forcst",
    "npv",
    "npve",
    "sample_if_true",
    "init",
    "previous",
];

/// The variables `expr` reads at the same step: every name but those inside a call of a function
/// that keeps a state.
fn instant_reads(expr: &Expr, names: &mut Vec<CanonicalName>) {
    match &expr.kind {
        ExprKind::Number(_) => {}
        ExprKind::Name(name) => names.push(name.canonical.clone()),
        ExprKind::Subscript { array, indices, .. } => {
            names.push(array.canonical.clone());
            for index in indices {
                if let Index::Expr(inner) = index
                    && !matches!(inner.kind, ExprKind::Name(_))
                {
                    instant_reads(inner, names);
                }
            }
        }
        ExprKind::Call { function, args, .. } => {
            names.push(function.canonical.clone());
            if !KEEPS_STATE.contains(&function.canonical.as_str()) {
                args.iter().for_each(|arg| instant_reads(arg, names));
            }
        }
        ExprKind::Unary { operand, .. } => instant_reads(operand, names),
        ExprKind::Binary { lhs, rhs, .. } => {
            instant_reads(lhs, names);
            instant_reads(rhs, names);
        }
        ExprKind::Chain { first, rest } => {
            instant_reads(first, names);
            rest.iter().for_each(|(_, operand)| instant_reads(operand, names));
        }
        ExprKind::If { condition, then_branch, else_branch } => {
            instant_reads(condition, names);
            instant_reads(then_branch, names);
            instant_reads(else_branch, names);
        }
    }
}

/// `name[subscripts]`, or `name` without subscripts.
fn reference(name: &str, subscripts: &[String], span: Span) -> Expr {
    if subscripts.is_empty() {
        return Expr { kind: ExprKind::Name(NameRef::new(name)), span };
    }
    let indices =
        subscripts.iter().map(|s| Index::Expr(Expr { kind: ExprKind::Name(NameRef::new(s.as_str())), span })).collect();
    Expr { kind: ExprKind::Subscript { array: NameRef::new(name), array_span: span, indices }, span }
}

/// The value of a number or a negated number.
fn number_of(expr: &Expr) -> Option<f64> {
    match &expr.kind {
        ExprKind::Number(value) => Some(*value),
        ExprKind::Unary { op: UnaryOp::Negate, operand } => number_of(operand).map(|v| -v),
        _ => None,
    }
}

/// Macros calling macros deeper than this are taken to call themselves without end.
const MAX_MACRO_DEPTH: usize = 32;

/// The most macro calls a model may expand, all together (as many as XMILE module instances).
const MAX_MACRO_CALLS: usize = 10_000;

/// Renames the variables a macro's definition names, for one call's copy of it.
fn rename_definition(definition: &mut Definition, rename: &impl Fn(&NameRef, bool) -> Option<String>) {
    let rename_lhs = |lhs: &mut parser::Lhs| {
        if let Some(new) = rename(&NameRef::new(lhs.name.name.clone()), false) {
            lhs.name.name = new;
        }
    };
    let mut adapter = |name: &NameRef, called: bool| rename(name, called);
    match definition {
        Definition::Equation { lhs, rhs, .. } => {
            rename_lhs(lhs);
            match rhs {
                Rhs::Expr(expr) | Rhs::WithLookup(expr, _) => expr.rename_variables(&mut adapter),
                Rhs::Numbers(..) => {}
            }
        }
        Definition::Data { lhs, rhs, .. } => {
            rename_lhs(lhs);
            if let Some((expr, _)) = rhs {
                expr.rename_variables(&mut adapter);
            }
        }
        Definition::Lookup { lhs, .. } => rename_lhs(lhs),
        _ => {}
    }
}

/// A level's rate: for one element (by its subscript), or for all.
type ElementRate = (Option<Vec<String>>, Expr);

/// How many times a SIMULTANEOUS loop is run around within a step.
const SIMULTANEOUS_ROUNDS: usize = 100;

/// A SIMULTANEOUS call, read when it is rewritten and made its loop's rounds once every variable
/// is read (see [`Translator::apply_simultaneous`]).
struct Simultaneous {
    /// The variable it defines.
    variable: String,
    /// What the variable should equal.
    expr: Expr,
    /// Its first guess.
    guess: Expr,
    /// The names of its hidden variables start so.
    prefix: String,
    /// The call.
    span: Span,
}

/// Most Newton steps a FIND ZERO call is written out with.
const MAX_FIND_ZERO_ITERATIONS: usize = 100;

/// Most hidden variables the Newton steps of one FIND ZERO call may take.
const MAX_FIND_ZERO_VARIABLES: usize = 200_000;

/// A FIND ZERO call, read when it is rewritten and made Newton's steps once every variable is
/// read (see [`Translator::apply_find_zeros`]).
struct FindZero {
    /// The variable it defines (`x`).
    variable: String,
    /// Its range.
    dimension: String,
    /// The variable to be made zero.
    z: String,
    /// How many Newton steps.
    iterations: usize,
    /// The names of its hidden variables start so.
    prefix: String,
    /// The call.
    span: Span,
}

/// A SHIFT IF TRUE call, read when it is rewritten and made a flow of its level once every level
/// is read (see [`Translator::apply_shifts`]).
struct Shift {
    /// The level it shifts.
    level: NameRef,
    /// The level's subscripts before the shifted one: the ranges of the equation it is called
    /// in, or elements.
    leading: Vec<String>,
    /// The element of the level's last range the shift starts at.
    first: String,
    /// How many elements it shifts.
    count: usize,
    /// The names of its hidden variables start so.
    prefix: String,
    /// The call.
    span: Span,
}

/// A range of the left-hand side and the element it stands at in one element's equation.
struct Standing {
    range: CanonicalName,
    /// The range is the variable's own at that position, so fulcrum binds it by itself.
    own: bool,
    /// The element's position in the range.
    index: usize,
    element: String,
}

/// One definition of a variable, ready to become apply-to-all or per-element.
struct Piece<'p> {
    lhs: &'p parser::Lhs,
    body: Body<'p>,
}

enum Body<'p> {
    Rhs(&'p Rhs, Span),
    Table(&'p Table),
    /// `name :KEYWORD: := expression`.
    Data(Option<Keyword>, &'p Expr, Span),
    /// A data variable with no equation: its values come from a data file given at run time.
    External(Option<Keyword>, Span),
}

/// What a GET function at the top of a definition reads.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Get {
    Data,
    Constants,
    Lookups,
}

/// The GET function a definition's expression is, with its arguments.
fn get_call(expr: &Expr) -> Option<(Get, &NameRef, &[Expr])> {
    let ExprKind::Call { function, args, .. } = &expr.kind else { return None };
    let kind = match function.canonical.as_str() {
        // GET 123 functions are the GET XLS ones under their older name (Lotus 1-2-3 files).
        "get_xls_data" | "get_direct_data" | "get_123_data" => Get::Data,
        "get_xls_constants" | "get_direct_constants" | "get_123_constants" => Get::Constants,
        "get_xls_lookups" | "get_direct_lookups" | "get_123_lookups" => Get::Lookups,
        _ => return None,
    };
    Some((kind, function, args))
}

/// Does a definition take its values from a file?
fn reads_file(body: &Body<'_>) -> bool {
    match body {
        Body::Data(..) | Body::External(..) => true,
        Body::Rhs(Rhs::Expr(expr), _) => get_call(expr).is_some(),
        _ => false,
    }
}

/// Is a definition a lookup read from a file (`GET XLS LOOKUPS`)?
fn reads_lookup(body: &Body<'_>) -> bool {
    matches!(body, Body::Rhs(Rhs::Expr(expr), _) if get_call(expr).is_some_and(|(kind, ..)| kind == Get::Lookups))
}

/// The values of one element: its equation and table.
type Loaded = (Option<Equation>, Option<GraphicalFunction>);

impl Translator<'_> {
    fn ranges(&mut self, parsed: &[Parsed]) {
        // Raw items first, so that a range may list a range defined after it.
        let mut raw: Vec<(&Located, &[RangeItem])> = Vec::new();
        let mut copies = Vec::new();
        for definition in parsed.iter().map(|p| &p.definition) {
            match definition {
                Definition::Range { name, items, .. } => raw.push((name, items)),
                Definition::RangeCopy { name, source } => copies.push((name, source)),
                _ => {}
            }
        }
        let index: HashMap<CanonicalName, usize> =
            raw.iter().enumerate().map(|(i, (name, _))| (CanonicalName::new(&name.name), i)).collect();
        for (name, items) in &raw {
            let mut elements = Vec::new();
            let mut visiting = vec![CanonicalName::new(&name.name)];
            self.expand_range(items, &raw, &index, &mut visiting, &mut elements);
            // A range whose elements could not be read from its file (reported there) is left
            // out, rather than defined with no elements.
            let from_file = items.iter().any(|item| matches!(item, RangeItem::FromFile(..)));
            if !(from_file && elements.is_empty()) {
                self.add_range(name, elements);
            }
        }
        for (name, source) in copies {
            match self.ranges.get(&source.name).map(|d| d.elements.clone()) {
                Some(elements) => self.add_range(name, elements),
                None => self.diagnostics.push(
                    Diagnostic::new(Code::MdlSubscript, format!("`{}` is not a subscript range", source.name))
                        .at(Some(source.span)),
                ),
            }
        }
        for definition in parsed.iter().map(|p| &p.definition) {
            if let Definition::Range { name, mappings, .. } = definition {
                for mapping in mappings {
                    self.check_mapping(name, mapping);
                }
            }
        }
    }

    fn expand_range(
        &mut self,
        items: &[RangeItem],
        raw: &[(&Located, &[RangeItem])],
        index: &HashMap<CanonicalName, usize>,
        visiting: &mut Vec<CanonicalName>,
        elements: &mut Vec<String>,
    ) {
        for item in items {
            match item {
                RangeItem::Numbered(names, _) => elements.extend(names.iter().cloned()),
                RangeItem::FromFile(args, span) => {
                    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
                    match self.files.names(arg(0), arg(1), arg(2), arg(3)) {
                        Ok(names) => elements.extend(names.into_iter().map(|name| format!("{}{name}", arg(4)))),
                        Err(error) => {
                            let message =
                                format!("the elements of this subscript range cannot be read: {}", error.message);
                            let mut diagnostic = Diagnostic::new(Code::MdlData, message).at(Some(*span));
                            if let Some(help) = error.help {
                                diagnostic = diagnostic.with_help(help);
                            }
                            self.diagnostics.push(diagnostic);
                        }
                    }
                }
                RangeItem::Name(located) => {
                    let canonical = CanonicalName::new(&located.name);
                    match index.get(&canonical).and_then(|&i| raw.get(i)) {
                        Some((_, inner)) if !visiting.contains(&canonical) => {
                            visiting.push(canonical);
                            self.expand_range(inner, raw, index, visiting, elements);
                            visiting.pop();
                        }
                        Some(_) => self.diagnostics.push(
                            Diagnostic::new(
                                Code::MdlSubscript,
                                format!("the subscript range `{}` contains itself", located.name),
                            )
                            .at(Some(located.span)),
                        ),
                        None => elements.push(located.name.clone()),
                    }
                }
            }
        }
    }

    fn add_range(&mut self, name: &Located, elements: Vec<String>) {
        let canonical = CanonicalName::new(&name.name);
        if self.ranges.by_name.contains_key(&canonical) {
            self.diagnostics.push(
                Diagnostic::new(Code::DuplicateName, format!("the subscript range `{}` is defined twice", name.name))
                    .at(Some(name.span)),
            );
            return;
        }
        let mut dimension = Dimension::new(name.name.clone(), elements);
        dimension.span = Some(name.span);
        self.ranges.by_name.insert(canonical, self.ranges.dimensions.len());
        self.ranges.dimensions.push(dimension);
    }

    /// fulcrum maps one range onto another by element name, then by position; a Vensim mapping
    /// is positional. The two agree when no element of the source has a namesake elsewhere in the
    /// target, and the sizes match.
    fn check_mapping(&mut self, source: &Located, mapping: &parser::Mapping) {
        let (Some(from), Some(to)) = (self.ranges.get(&source.name), self.ranges.get(&mapping.target.name)) else {
            self.diagnostics.push(
                Diagnostic::new(Code::MdlSubscript, format!("`{}` is not a subscript range", mapping.target.name))
                    .at(Some(mapping.target.span)),
            );
            return;
        };
        let canonical = |names: &[String]| names.iter().map(|e| CanonicalName::new(e)).collect::<Vec<_>>();
        let (from_elements, to_elements) = (canonical(&from.elements), canonical(&to.elements));
        let listed_in_order = mapping
            .elements
            .as_ref()
            .is_none_or(|listed| listed.iter().map(|l| CanonicalName::new(&l.name)).collect::<Vec<_>>() == to_elements);
        // `from -> (to: t1, t2, ...)`: element i of `from` stands for the listed element or the
        // elements of the listed subrange of `to`.
        let listed: Option<Vec<CanonicalName>> =
            mapping.elements.as_ref().map(|listed| listed.iter().map(|l| CanonicalName::new(&l.name)).collect());
        let listed_fits = listed.as_ref().is_some_and(|listed| {
            listed.len() == from_elements.len()
                && listed.iter().all(|item| to_elements.contains(item) || self.ranges.fits(item, &to.canonical))
        });
        if listed_in_order && from_elements.len() == to_elements.len() {
            self.ranges.mappings.push((from.canonical.clone(), to.canonical.clone()));
        } else if let (Some(listed), true) = (listed, listed_fits) {
            self.ranges.list_mappings.push((from.canonical.clone(), to.canonical.clone(), listed));
        } else {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::MdlUnsupportedFeature,
                    format!(
                        "the mapping of `{}` onto `{}` is not supported yet: fulcrum maps ranges of equal size, element by element in order",
                        source.name, mapping.target.name
                    ),
                )
                .at(Some(mapping.target.span)),
            );
        }
    }

    fn variables(&mut self, parsed: &[Parsed], broken: &[Broken], model: &mut Model) {
        // Group definitions by name, in order of first appearance.
        let mut order: Vec<CanonicalName> = Vec::new();
        let mut groups: HashMap<CanonicalName, Vec<&Parsed>> = HashMap::new();
        for item in parsed {
            let lhs = match &item.definition {
                Definition::Equation { lhs, .. } | Definition::Lookup { lhs, .. } | Definition::Data { lhs, .. } => lhs,
                _ => continue,
            };
            let canonical = CanonicalName::new(&lhs.name.name);
            if !groups.contains_key(&canonical) {
                order.push(canonical.clone());
            }
            groups.entry(canonical).or_default().push(item);
            let file_lookup = matches!(&item.definition, Definition::Equation { rhs: Rhs::Expr(expr), .. }
                if get_call(expr).is_some_and(|(kind, ..)| kind == Get::Lookups));
            if matches!(item.definition, Definition::Lookup { .. }) || file_lookup {
                self.callable.insert(CanonicalName::new(&lhs.name.name));
            }
        }
        // The data variables that one GET DATA call defines, which CUMULATE can read again.
        for (canonical, definitions) in &groups {
            let [item] = definitions.as_slice() else { continue };
            let expr = match &item.definition {
                Definition::Data { rhs: Some((expr, _)), .. } | Definition::Equation { rhs: Rhs::Expr(expr), .. } => {
                    expr
                }
                _ => continue,
            };
            if let Some((Get::Data, _, args)) = get_call(expr)
                && let Some(texts) = args.iter().map(parser::text_argument).collect::<Option<Vec<String>>>()
                && texts.len() == 4
            {
                self.data_calls.insert(canonical.clone(), texts);
            }
        }
        // Every variable's ranges first: an element's equation refers to other variables'
        // elements by their own ranges.
        for canonical in &order {
            let Some(definitions) = groups.get(canonical) else { continue };
            let pieces = pieces_of(definitions);
            let shape = match pieces.as_slice() {
                [piece] if piece.lhs.subscripts.iter().all(|s| self.ranges.get(&s.name).is_some()) => {
                    piece.lhs.subscripts.iter().map(|s| CanonicalName::new(&s.name)).collect()
                }
                _ => self
                    .shape(&pieces, canonical.as_str())
                    .map(|dimensions| dimensions.into_iter().map(|d| d.canonical).collect())
                    .unwrap_or_default(),
            };
            self.shapes.insert(canonical.clone(), shape);
        }
        for canonical in &order {
            let Some(definitions) = groups.get(canonical) else { continue };
            if let Some(variable) = self.variable(definitions) {
                model.variables.push(variable);
            }
        }
        model.variables.append(&mut self.instances);
        for item in broken {
            let canonical = CanonicalName::new(&item.name.name);
            if !groups.contains_key(&canonical) && model.variable(&item.name.name).is_none() {
                let mut variable = Variable::new(item.name.name.clone(), VariableKind::Auxiliary);
                variable.span = Some(item.name.span);
                variable.equation =
                    Some(Equation::unreadable(Origin { span: Some(item.name.span), text_offset: None }));
                model.variables.push(variable);
            }
        }
        self.apply_simultaneous(model);
        self.apply_find_zeros(model);
        self.apply_shifts(model);
        self.split_stock_rates(model);
    }

    fn variable(&mut self, definitions: &[&Parsed]) -> Option<Variable> {
        let first = definitions.first()?;
        let first_lhs = match &first.definition {
            Definition::Equation { lhs, .. } | Definition::Lookup { lhs, .. } | Definition::Data { lhs, .. } => lhs,
            _ => return None,
        };
        let mut variable = Variable::new(first_lhs.name.name.clone(), VariableKind::Auxiliary);
        variable.span = Some(first_lhs.name.span);
        variable.units = definitions.iter().find_map(|d| d.units.clone());
        variable.doc = definitions.iter().find_map(|d| d.doc.clone());
        variable.range = definitions.iter().find_map(|d| d.range);
        let pieces = pieces_of(definitions);
        let is_lookup = pieces.iter().all(|p| matches!(p.body, Body::Table(_)) || reads_lookup(&p.body));
        let integs = pieces.iter().filter(|p| integ_of(p).is_some()).count();
        if integs > 0 && integs < pieces.len() {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::MdlUnsupportedFeature,
                    format!("`{}` is a level for some elements and not for others", variable.name),
                )
                .at(variable.span)
                .on_variable(variable.name.clone()),
            );
            variable.equation = Some(Equation::unreadable(Origin { span: variable.span, text_offset: None }));
            return Some(variable);
        }
        let is_stock = integs > 0;
        if is_lookup {
            variable.kind = VariableKind::GraphicalFunction;
        }
        // Apply-to-all: one definition whose subscripts are all ranges, without :EXCEPT:.
        let apply_to_all = match pieces.as_slice() {
            [piece] => {
                let own: Vec<CanonicalName> =
                    piece.lhs.subscripts.iter().map(|s| CanonicalName::new(&s.name)).collect();
                let foreign = match &piece.body {
                    Body::Rhs(Rhs::Expr(expr) | Rhs::WithLookup(expr, _), _) => self.needs_elements(expr, &own),
                    _ => false,
                };
                piece.lhs.except.is_empty()
                    && piece.lhs.subscripts.iter().all(|s| self.ranges.get(&s.name).is_some())
                    && !matches!(piece.body, Body::Rhs(Rhs::Numbers(..), _))
                    && !reads_file(&piece.body)
                    && !foreign
            }
            _ => false,
        };
        if apply_to_all {
            let piece = pieces.first()?;
            variable.dimensions =
                piece.lhs.subscripts.iter().filter_map(|s| self.ranges.get(&s.name)).map(|d| d.name.clone()).collect();
            // Macros called here are copied over the same ranges.
            let outer = std::mem::replace(&mut self.current_dimensions, variable.dimensions.clone());
            let (equation, graph) = self.body(&piece.body, &variable.name, &[], None);
            self.current_dimensions = outer;
            variable.equation = equation;
            variable.graph = graph;
            if is_stock {
                variable.kind = VariableKind::Stock { inflows: Vec::new(), outflows: Vec::new(), non_negative: false };
            }
            return Some(variable);
        }
        if pieces.len() > 1 && pieces.iter().any(|p| p.lhs.subscripts.is_empty()) {
            let second = pieces.get(1).map(|p| p.lhs.name.span);
            self.diagnostics.push(
                Diagnostic::new(Code::DuplicateName, format!("`{}` is defined more than once", variable.name))
                    .at(second)
                    .with_related(variable.span, "first defined here")
                    .on_variable(variable.name.clone()),
            );
        }
        if pieces.iter().all(|p| p.lhs.subscripts.is_empty()) {
            let piece = pieces.first()?;
            if let Body::Rhs(Rhs::Numbers(_, span), _) = piece.body {
                self.diagnostics.push(
                    Diagnostic::new(Code::MdlSyntax, "a list of numbers needs a subscripted variable")
                        .at(Some(*span))
                        .on_variable(variable.name.clone()),
                );
                return Some(variable);
            }
            let (equation, graph) = self.body(&piece.body, &variable.name, &[], None);
            variable.equation = equation;
            variable.graph = graph;
            if is_stock {
                variable.kind = VariableKind::Stock { inflows: Vec::new(), outflows: Vec::new(), non_negative: false };
            }
            return Some(variable);
        }
        self.per_element(&mut variable, &pieces);
        if is_stock {
            variable.kind = VariableKind::Stock { inflows: Vec::new(), outflows: Vec::new(), non_negative: false };
        }
        Some(variable)
    }

    /// The ranges of a variable defined element by element: at each position the range every
    /// definition names there, else the smallest range holding every element used there (the
    /// first defined among equals).
    fn shape(&self, pieces: &[Piece<'_>], variable: &str) -> Result<Vec<Dimension>, Box<Diagnostic>> {
        let positions = pieces.iter().map(|p| p.lhs.subscripts.len()).max().unwrap_or(0);
        if pieces.iter().any(|p| p.lhs.subscripts.len() != positions) {
            return Err(Box::new(
                Diagnostic::new(
                    Code::MdlSubscript,
                    format!("`{variable}` is defined with different numbers of subscripts"),
                )
                .at(pieces.first().map(|p| p.lhs.name.span))
                .on_variable(variable),
            ));
        }
        // Each position's range: the one every definition names there, else the smallest range
        // holding every element used there (the first defined among equals).
        let mut dimensions: Vec<Dimension> = Vec::new();
        for position in 0..positions {
            let mut used: Vec<CanonicalName> = Vec::new();
            let mut named: Vec<Option<CanonicalName>> = Vec::new();
            for piece in pieces {
                let Some(located) = piece.lhs.subscripts.get(position) else { continue };
                match self.ranges.get(&located.name) {
                    Some(range) => {
                        used.extend(range.elements.iter().map(|e| CanonicalName::new(e)));
                        named.push(Some(range.canonical.clone()));
                    }
                    None => {
                        used.push(CanonicalName::new(&located.name));
                        named.push(None);
                    }
                }
            }
            let common = match named.first() {
                Some(Some(first)) if named.iter().all(|n| n.as_ref() == Some(first)) => self.ranges.get(first.as_str()),
                _ => None,
            };
            let candidates = self.ranges.dimensions.iter().filter(|d| {
                let elements: Vec<CanonicalName> = d.elements.iter().map(|e| CanonicalName::new(e)).collect();
                used.iter().all(|u| elements.contains(u))
            });
            let mut best: Option<&Dimension> = common;
            if best.is_none() {
                for candidate in candidates {
                    if best.is_none_or(|b| candidate.elements.len() < b.elements.len()) {
                        best = Some(candidate);
                    }
                }
            }
            match best {
                Some(dimension) => dimensions.push(dimension.clone()),
                None => {
                    let written = pieces.iter().filter_map(|p| p.lhs.subscripts.get(position));
                    let unknown = written.clone().find(|s| {
                        self.ranges.get(&s.name).is_none()
                            && self.ranges.holding(&CanonicalName::new(&s.name)).is_empty()
                    });
                    let span = unknown.or_else(|| written.clone().next()).map(|s| s.span);
                    let message = match unknown {
                        Some(element) => {
                            format!("`{}` is neither a subscript range nor an element of one", element.name)
                        }
                        None => format!("no subscript range holds every element `{variable}` is defined for"),
                    };
                    return Err(Box::new(Diagnostic::new(Code::MdlSubscript, message).at(span).on_variable(variable)));
                }
            }
        }
        Ok(dimensions)
    }

    /// Does an apply-to-all equation need writing out element by element? When it subscripts
    /// with a range that is not on its left-hand side (one mapped onto it), or subscripts a
    /// variable with a range that is neither that variable's range nor part of it (fulcrum would
    /// match the elements by name, Vensim matches a mapping by position).
    fn needs_elements(&self, expr: &Expr, own: &[CanonicalName]) -> bool {
        let mut needs = false;
        // The walk sees a subscript before its indices; their spans tell the indices apart from
        // ranges used as values.
        let mut index_spans: HashSet<Span> = HashSet::new();
        expr.walk(&mut |inner| {
            // ELMCOUNT(range) counts the range's elements, the same for every element.
            if let ExprKind::Call { function, args, .. } = &inner.kind
                && function.canonical.as_str() == "elmcount"
            {
                index_spans.extend(args.iter().map(|arg| arg.span));
            }
            // A range used as a value: the position of the element being computed.
            if let ExprKind::Name(name) = &inner.kind
                && !index_spans.contains(&inner.span)
                && self.ranges.get(name.canonical.as_str()).is_some()
            {
                needs = true;
            }
            let ExprKind::Subscript { array, indices, .. } = &inner.kind else { return };
            index_spans.extend(indices.iter().filter_map(|index| match index {
                Index::Expr(index) => Some(index.span),
                // The `.mdl` parser makes neither XMILE's `@n` nor its ranges.
                Index::Wildcard { .. } | Index::DimensionPosition { .. } | Index::Range { .. } => None,
            }));
            let shape = self.shapes.get(&array.canonical);
            for (position, index) in indices.iter().enumerate() {
                let Index::Expr(Expr { kind: ExprKind::Name(name), .. }) = index else { continue };
                if self.ranges.get(name.canonical.as_str()).is_none() {
                    continue;
                }
                if !own.contains(&name.canonical) {
                    needs = true;
                }
                if let Some(target) = shape.and_then(|s| s.get(position))
                    && !self.ranges.fits(&name.canonical, target)
                {
                    needs = true;
                }
            }
        });
        needs
    }

    /// Writes the element each range stands at into the subscripts of one element's equation:
    /// the element itself where the referenced variable has it, else the element at the same
    /// position of the variable's range when the two ranges are mapped.
    fn substitute(&self, expr: &mut Expr, standing: &[Standing]) {
        match &mut expr.kind {
            ExprKind::Number(_) => {}
            // A range used as a value is the (1-based) position of the element it stands at, in
            // the largest range holding that element (its family: a subrange's elements count
            // from the start of the range they are taken from).
            ExprKind::Name(name) => {
                let element = standing.iter().find_map(|s| {
                    if s.range == name.canonical {
                        Some(s.element.clone())
                    } else if self.ranges.mapped_with(&s.range).any(|m| *m == name.canonical) {
                        self.ranges.get(name.canonical.as_str())?.elements.get(s.index).cloned()
                    } else {
                        None
                    }
                });
                // An element named as a value (not a variable) is its position, too.
                let element = element
                    .map(|e| CanonicalName::new(&e))
                    .or_else(|| (!self.shapes.contains_key(&name.canonical)).then(|| name.canonical.clone()));
                if let Some(position) = element.and_then(|e| self.ranges.family_position(&e)) {
                    expr.kind = ExprKind::Number((position + 1) as f64);
                }
            }
            ExprKind::Subscript { array, indices, .. } => {
                let shape = self.shapes.get(&array.canonical).cloned();
                for (position, index) in indices.iter_mut().enumerate() {
                    let Index::Expr(inner) = index else { continue };
                    let ExprKind::Name(name) = &inner.kind else {
                        self.substitute(inner, standing);
                        continue;
                    };
                    let target = shape.as_ref().and_then(|s| s.get(position));
                    if let Some(element) = self.element_for(&name.canonical, target, standing) {
                        inner.kind = ExprKind::Name(NameRef::new(element));
                    }
                }
            }
            // The allocations, the market functions and INVERT MATRIX read their first arguments along the element's
            // own dimensions, which the resolver binds: those keep their range names.
            ExprKind::Call { function, args, .. }
                if READ_ALONG_OWN_DIMENSIONS.contains(&function.canonical.as_str()) =>
            {
                args.iter_mut().skip(2).for_each(|a| self.substitute(a, standing));
            }
            // ELMCOUNT counts the range it names, whatever element the equation stands at.
            ExprKind::Call { function, .. } if function.canonical.as_str() == "elmcount" => {}
            ExprKind::Call { args, .. } => args.iter_mut().for_each(|a| self.substitute(a, standing)),
            ExprKind::Unary { operand, .. } => self.substitute(operand, standing),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.substitute(lhs, standing);
                self.substitute(rhs, standing);
            }
            ExprKind::Chain { first, rest } => {
                self.substitute(first, standing);
                rest.iter_mut().for_each(|(_, e)| self.substitute(e, standing));
            }
            ExprKind::If { condition, then_branch, else_branch } => {
                self.substitute(condition, standing);
                self.substitute(then_branch, standing);
                self.substitute(else_branch, standing);
            }
        }
    }

    /// The element to write for range `range` used at a position whose range is `target`, or
    /// `None` to leave the range name (fulcrum binds it). Elements are written out even where
    /// fulcrum would bind them, so that a macro called in the equation gets plain arguments.
    fn element_for(
        &self,
        range: &CanonicalName,
        target: Option<&CanonicalName>,
        standing: &[Standing],
    ) -> Option<String> {
        let (index, element, own) = standing.iter().find_map(|s| {
            if s.range == *range {
                Some((s.index, s.element.clone(), s.own))
            } else if self.ranges.mapped_with(&s.range).any(|m| m == range) {
                let element = self.ranges.get(range.as_str())?.elements.get(s.index)?.clone();
                Some((s.index, element, false))
            } else {
                let (index, element) = self.ranges.listed_source(range, &s.range, &s.element)?;
                Some((index, element, false))
            }
        })?;
        let Some(target) = target else { return (!own).then_some(element) };
        let target_range = self.ranges.get(target.as_str())?;
        if target_range.elements.iter().any(|e| CanonicalName::new(e) == CanonicalName::new(&element)) {
            return Some(element);
        }
        if self.ranges.mapped_with(range).any(|m| m == target) {
            return target_range.elements.get(index).cloned();
        }
        Some(element)
    }

    /// Gives each element covered by the definitions its own equation.
    fn per_element(&mut self, variable: &mut Variable, pieces: &[Piece<'_>]) {
        let dimensions = match self.shape(pieces, &variable.name) {
            Ok(dimensions) => dimensions,
            Err(diagnostic) => {
                self.diagnostics.push(*diagnostic);
                return;
            }
        };
        variable.dimensions = dimensions.iter().map(|d| d.name.clone()).collect();
        let mut defined: HashSet<Vec<CanonicalName>> = HashSet::new();
        for piece in pieces {
            // The elements each position stands for, with the range it was named by (if any).
            let mut choices: Vec<Vec<String>> = Vec::new();
            let mut named_ranges: Vec<Option<(CanonicalName, bool)>> = Vec::new();
            for (position, located) in piece.lhs.subscripts.iter().enumerate() {
                match self.ranges.get(&located.name) {
                    Some(range) => {
                        choices.push(range.elements.clone());
                        let own = dimensions.get(position).is_some_and(|d| d.canonical == range.canonical);
                        named_ranges.push(Some((range.canonical.clone(), own)));
                    }
                    None => {
                        choices.push(vec![located.name.clone()]);
                        named_ranges.push(None);
                    }
                }
            }
            let excluded: Vec<Vec<Vec<CanonicalName>>> = piece
                .lhs
                .except
                .iter()
                .map(|list| {
                    list.iter()
                        .map(|l| match self.ranges.get(&l.name) {
                            Some(range) => range.elements.iter().map(|e| CanonicalName::new(e)).collect(),
                            None => vec![CanonicalName::new(&l.name)],
                        })
                        .collect()
                })
                .collect();
            let numbers: Option<Vec<f64>> = match &piece.body {
                Body::Rhs(Rhs::Numbers(rows, _), _) => Some(rows.iter().flatten().copied().collect()),
                _ => None,
            };
            let sizes: Vec<usize> = choices.iter().map(Vec::len).collect();
            let total: usize = sizes.iter().product();
            // A file is read for the positions named by ranges, in order.
            let varying: Vec<usize> =
                named_ranges.iter().zip(&sizes).filter(|(named, _)| named.is_some()).map(|(_, &size)| size).collect();
            let subscripts: Vec<Vec<String>> = combinations(&sizes)
                .map(|combination| {
                    combination.iter().zip(&choices).filter_map(|(&i, choice)| choice.get(i).cloned()).collect()
                })
                .collect();
            let loaded = self.load(&piece.body, &variable.name, &varying, &subscripts);
            if let (Some(numbers), Body::Rhs(Rhs::Numbers(_, span), _)) = (&numbers, &piece.body)
                && numbers.len() != total
            {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::MdlSyntax,
                        format!("{} numbers are given for {total} elements", numbers.len()),
                    )
                    .at(Some(*span))
                    .on_variable(variable.name.clone()),
                );
                continue;
            }
            for (offset, combination) in combinations(&sizes).enumerate() {
                let subscript: Vec<String> =
                    combination.iter().zip(&choices).filter_map(|(&i, choice)| choice.get(i).cloned()).collect();
                let canonical: Vec<CanonicalName> = subscript.iter().map(|s| CanonicalName::new(s)).collect();
                let is_excluded = excluded.iter().any(|list| {
                    list.len() == canonical.len() && list.iter().zip(&canonical).all(|(set, e)| set.contains(e))
                });
                if is_excluded {
                    continue;
                }
                let element_span = piece.lhs.subscripts.first().map(|s| s.span);
                if !defined.insert(canonical.clone()) {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::DuplicateName,
                            format!("`{}[{}]` is defined more than once", variable.name, subscript.join(", ")),
                        )
                        .at(element_span)
                        .on_variable(variable.name.clone()),
                    );
                    continue;
                }
                let (equation, graph) = match (&numbers, &loaded) {
                    (Some(values), _) => {
                        let value = values.get(offset).copied().unwrap_or(0.0);
                        (Some(number_equation(value, piece_span(piece))), None)
                    }
                    (None, Some(loaded)) => loaded.get(offset).cloned().unwrap_or((None, None)),
                    (None, None) => {
                        let substitutions: Vec<Standing> = named_ranges
                            .iter()
                            .zip(&subscript)
                            .zip(&combination)
                            .filter_map(|((named, element), &index)| {
                                let (range, own) = named.as_ref()?;
                                Some(Standing { range: range.clone(), own: *own, index, element: element.clone() })
                            })
                            .collect();
                        self.body(&piece.body, &variable.name, &substitutions, Some(&subscript))
                    }
                };
                variable.elements.push(ElementDefinition { subscript, equation, graph, span: element_span });
            }
        }
    }

    /// The equation (and table) of one definition, with range names replaced by elements where
    /// a definition for a subrange is spread over the elements of a larger range.
    fn body(
        &mut self,
        body: &Body<'_>,
        variable: &str,
        substitutions: &[Standing],
        element: Option<&[String]>,
    ) -> (Option<Equation>, Option<GraphicalFunction>) {
        if let Some(mut loaded) = self.load(body, variable, &[], &[Vec::new()]) {
            return loaded.pop().unwrap_or((None, None));
        }
        match body {
            Body::Table(table) => (None, Some(graph(table))),
            Body::Data(_, expr, span) => (Some(self.equation(expr, *span, variable, substitutions, element)), None),
            Body::External(_, span) => {
                (Some(Equation::unreadable(Origin { span: Some(*span), text_offset: None })), None)
            }
            Body::Rhs(Rhs::Numbers(rows, span), _) => {
                let value = rows.iter().flatten().next().copied().unwrap_or(0.0);
                (Some(number_equation(value, *span)), None)
            }
            Body::Rhs(Rhs::Expr(expr), span) => {
                (Some(self.equation(expr, *span, variable, substitutions, element)), None)
            }
            Body::Rhs(Rhs::WithLookup(input, table), span) => {
                (Some(self.equation(input, *span, variable, substitutions, element)), Some(graph(table)))
            }
        }
    }

    /// The values of a definition that reads a file, one per combination of the positions its
    /// left-hand side names by ranges (`varying`, their sizes; the last fastest); `None` when the
    /// definition reads no file. A problem is reported at the GET call and leaves each element
    /// without a usable equation, never with a made-up value.
    fn load(
        &mut self,
        body: &Body<'_>,
        variable: &str,
        varying: &[usize],
        subscripts: &[Vec<String>],
    ) -> Option<Vec<Loaded>> {
        let count: usize = varying.iter().product();
        let unreadable = |span: Span| -> Vec<Loaded> {
            vec![(Some(Equation::unreadable(Origin { span: Some(span), text_offset: None })), None); count]
        };
        let (keyword, expr) = match body {
            Body::Data(keyword, expr, _) => (*keyword, *expr),
            Body::Rhs(Rhs::Expr(expr), _) if get_call(expr).is_some() => (None, expr),
            Body::External(keyword, span) => return Some(self.run_time_data(*keyword, *span, variable, subscripts)),
            _ => return None,
        };
        let Some((kind, function, args)) = get_call(expr) else {
            // CUMULATE of a data variable read from a file: its points summed.
            if matches!(body, Body::Data(..))
                && let Some(loaded) = self.cumulate(expr, keyword, count)
            {
                return Some(loaded);
            }
            // `name := expression` computes a data variable; it is an equation like any other.
            return None;
        };
        let span = expr.span;
        let wanted = if kind == Get::Constants { 3 } else { 4 };
        let texts: Option<Vec<String>> = args.iter().map(parser::text_argument).collect();
        let texts = match texts {
            Some(texts) if texts.len() == wanted => texts,
            _ => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::WrongArity,
                        format!("{} takes {wanted} quoted arguments", function.written.to_uppercase()),
                    )
                    .at(Some(span))
                    .on_variable(variable)
                    .with_help(if kind == Get::Constants {
                        "GET DIRECT CONSTANTS('file', 'sheet', 'first cell')"
                    } else {
                        "GET DIRECT DATA('file', 'sheet', 'time row or column', 'first cell')"
                    }),
                );
                return Some(unreadable(span));
            }
        };
        let text = |i: usize| texts.get(i).map(String::as_str).unwrap_or("");
        // A GET DATA function makes a data variable whether written with `:=` or `=` (Vensim
        // runs SDEverywhere's `directdata` model, which writes `x = GET DIRECT DATA(...)`).
        if kind != Get::Data && matches!(body, Body::Data(..)) {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::MdlSyntax,
                    format!("{} is not a data equation: write `name = ...`", function.written.to_uppercase()),
                )
                .at(Some(span))
                .on_variable(variable),
            );
            return Some(unreadable(span));
        }
        let result = match kind {
            Get::Constants => {
                let (rows, columns) = match varying.split_last() {
                    Some((&last, rest)) => (rest.iter().product(), last),
                    None => (1, 1),
                };
                self.files
                    .constants(text(0), text(1), text(2), rows, columns)
                    .map(|values| values.into_iter().map(|value| (Some(number_equation(value, span)), None)).collect())
            }
            Get::Lookups | Get::Data => self.files.series(text(0), text(1), text(2), text(3), count).map(|series| {
                series
                    .into_iter()
                    .map(|(xs, ys)| match kind {
                        Get::Lookups => (None, Some(series_graph(xs, ys, GraphKind::Continuous, false, span))),
                        _ => data_series(xs, ys, keyword, span),
                    })
                    .collect()
            }),
        };
        match result {
            Ok(loaded) => Some(loaded),
            Err(error) => {
                let mut diagnostic =
                    Diagnostic::new(Code::MdlData, format!("`{variable}` cannot be read: {}", error.message))
                        .at(Some(span))
                        .on_variable(variable);
                if let Some(help) = error.help {
                    diagnostic = diagnostic.with_help(help);
                }
                self.diagnostics.push(diagnostic);
                Some(unreadable(span))
            }
        }
    }

    /// A data variable without an equation: each element's series from the run-time data files.
    fn run_time_data(
        &mut self,
        keyword: Option<Keyword>,
        span: Span,
        variable: &str,
        subscripts: &[Vec<String>],
    ) -> Vec<Loaded> {
        let unreadable = || (Some(Equation::unreadable(Origin { span: Some(span), text_offset: None })), None);
        let mut problem: Option<Diagnostic> = None;
        let mut missing = Vec::new();
        let mut loaded = Vec::with_capacity(subscripts.len());
        if !self.files.has_run_time_data() {
            problem = Some(
                Diagnostic::new(
                    Code::MdlData,
                    format!("`{variable}` is a data variable without an equation, and no data file is given"),
                )
                .with_help("name the file its values come from, as Vensim does when a run starts: `fulcrum run MODEL --data FILE.tab`"),
            );
        }
        for subscript in subscripts {
            if problem.is_some() {
                loaded.push(unreadable());
                continue;
            }
            let key = crate::data::column_key(variable, subscript);
            match self.files.run_time_series(&key) {
                Ok(Some((xs, ys))) => loaded.push(data_series(xs, ys, keyword, span)),
                Ok(None) => {
                    missing.push(if subscript.is_empty() {
                        format!("`{variable}`")
                    } else {
                        format!("`{variable}[{}]`", subscript.join(","))
                    });
                    loaded.push(unreadable());
                }
                Err(error) => {
                    let mut diagnostic = Diagnostic::new(
                        Code::MdlData,
                        format!("`{variable}` is a data variable without an equation: {}", error.message),
                    );
                    if let Some(help) = error.help {
                        diagnostic = diagnostic.with_help(help);
                    }
                    problem = Some(diagnostic);
                    loaded.push(unreadable());
                }
            }
        }
        if problem.is_none() && !missing.is_empty() {
            let shown = if missing.len() > 3 {
                format!("{} and {} more", missing[..3].join(", "), missing.len() - 3)
            } else {
                missing.join(", ")
            };
            problem = Some(
                Diagnostic::new(Code::MdlData, format!("no data file has a column for {shown}"))
                    .with_help(format!("the data files are {}", self.files.run_time_files())),
            );
        }
        if let Some(problem) = problem {
            self.diagnostics.push(problem.at(Some(span)).on_variable(variable));
        }
        loaded
    }

    fn equation(
        &mut self,
        expr: &Expr,
        span: Span,
        variable: &str,
        substitutions: &[Standing],
        element: Option<&[String]>,
    ) -> Equation {
        let mut expr = expr.clone();
        self.substitute(&mut expr, substitutions);
        // A level's equation is its initial value; the rate is kept for the flows. QUEUE
        // FIFO(inflow, outflow, profile, initial, age range) is the level of inflow - outflow
        // from `initial`: the profile and the age range only shape the ages of what is queued,
        // which only the QUEUE AGE functions read.
        let level = match &expr.kind {
            ExprKind::Call { function, args, .. } if function.canonical.as_str() == "integ" && args.len() == 2 => {
                Some((args[0].clone(), args[1].clone()))
            }
            ExprKind::Call { function, args, .. } if function.canonical.as_str() == "queue_fifo" && args.len() == 5 => {
                Some((Expr::join(args[0].clone(), BinaryOp::Sub, args[1].clone()), args[3].clone()))
            }
            _ => None,
        };
        if let Some((mut rate, mut initial)) = level {
            let mut problems = Vec::new();
            functions::rewrite(&mut rate, self, &mut problems);
            functions::rewrite(&mut initial, self, &mut problems);
            self.report(problems, variable);
            self.rates.entry(CanonicalName::new(variable)).or_default().push((element.map(<[String]>::to_vec), rate));
            return expression_equation(initial, span);
        }
        let mut problems = Vec::new();
        self.defining = Some((variable.to_owned(), element.is_some() || !self.current_dimensions.is_empty()));
        functions::rewrite(&mut expr, self, &mut problems);
        self.defining = None;
        self.report(problems, variable);
        expression_equation(expr, span)
    }

    fn report(&mut self, problems: Vec<Diagnostic>, variable: &str) {
        for problem in problems {
            self.diagnostics.push(problem.on_variable(variable));
        }
    }

    /// Makes each SIMULTANEOUS call's loop run around [`SIMULTANEOUS_ROUNDS`] times within the
    /// step, in hidden auxiliaries: round 0 is the guess; in round k every variable of the loop
    /// (those the expression reads, through auxiliaries, that read the variable defined) is
    /// computed from round k's values of the others and the variable's value of round k - 1, and
    /// the variable's value of round k is the expression read so. The solution is the last
    /// round's value when it differs from the one before by at most 1e-9 of its size (at least
    /// 1), else NaN, which stops the run at it: the loop did not settle. The same rounds every
    /// time, so the answer is a function of the inputs alone.
    fn apply_simultaneous(&mut self, model: &mut Model) {
        let reads = |expr: &Expr| -> Vec<CanonicalName> {
            let mut names = Vec::new();
            instant_reads(expr, &mut names);
            names
        };
        // What each auxiliary without subscripts reads; levels and arrays end a loop here.
        let mut graph: HashMap<CanonicalName, Vec<CanonicalName>> = HashMap::new();
        for variable in &model.variables {
            let computed = matches!(variable.kind, VariableKind::Auxiliary | VariableKind::Flow { .. });
            if let (true, true, Some(Ok(expr))) =
                (computed, variable.dimensions.is_empty(), variable.equation.as_ref().map(|e| &e.expr))
            {
                graph.insert(variable.canonical.clone(), reads(expr));
            }
        }
        let reaches = |from: &[CanonicalName]| -> HashSet<CanonicalName> {
            let mut seen: HashSet<CanonicalName> = HashSet::new();
            let mut stack: Vec<CanonicalName> = from.to_vec();
            while let Some(name) = stack.pop() {
                if seen.insert(name.clone()) {
                    stack.extend(graph.get(&name).into_iter().flatten().cloned());
                }
            }
            seen
        };
        for call in std::mem::take(&mut self.simultaneous) {
            let solved = CanonicalName::new(&call.variable);
            let solution = format!("{}.solution", call.prefix);
            let whole = model.variable(&call.variable).and_then(|v| v.equation.as_ref()).and_then(|e| e.expr.as_ref().ok()).is_some_and(
                |expr| matches!(&expr.kind, ExprKind::Name(name) if name.canonical == CanonicalName::new(&solution)),
            );
            if !whole {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::MdlUnsupportedFunction,
                        "SIMULTANEOUS must be the whole right-hand side of its equation",
                    )
                    .at(Some(call.span))
                    .on_variable(call.variable.clone())
                    .with_help("Vensim requires SIMULTANEOUS first on the right-hand side, as the defining function"),
                );
                continue;
            }
            let forward = reaches(&reads(&call.expr));
            let members: Vec<&Variable> = model
                .variables
                .iter()
                .filter(|v| v.canonical != solved && forward.contains(&v.canonical))
                .filter(|v| {
                    graph.contains_key(&v.canonical) && reaches(std::slice::from_ref(&v.canonical)).contains(&solved)
                })
                .collect();
            let member_names: HashMap<CanonicalName, String> =
                members.iter().map(|m| (m.canonical.clone(), m.name.clone())).collect();
            let round_name = |k: usize| format!("{}.{k}", call.prefix);
            let member_name = |k: usize, member: &str| format!("{}.{k}.{member}", call.prefix);
            let span = call.span;
            let mut added = Vec::new();
            let mut push = |name: String, expr: Expr| {
                let mut variable = Variable::new(name, VariableKind::Auxiliary);
                variable.span = Some(span);
                variable.equation = Some(expression_equation(expr, span));
                added.push(variable);
            };
            push(round_name(0), call.guess.clone());
            for k in 1..=SIMULTANEOUS_ROUNDS {
                let mut rename = |name: &NameRef, _: bool| {
                    if name.canonical == solved {
                        Some(round_name(k - 1))
                    } else {
                        member_names.get(&name.canonical).map(|member| member_name(k, member))
                    }
                };
                for member in &members {
                    let Some(Ok(mut expr)) = member.equation.as_ref().map(|e| e.expr.clone()) else { continue };
                    expr.rename_variables(&mut rename);
                    push(member_name(k, &member.name), expr);
                }
                let mut expr = call.expr.clone();
                expr.rename_variables(&mut rename);
                push(round_name(k), expr);
            }
            let at = |kind: ExprKind| Expr { kind, span };
            let name = |written: String| at(ExprKind::Name(NameRef::new(written)));
            let call_of = |function: &str, args: Vec<Expr>| {
                at(ExprKind::Call { function: NameRef::new(function), function_span: span, args })
            };
            let last = || name(round_name(SIMULTANEOUS_ROUNDS));
            let change =
                call_of("ABS", vec![Expr::join(last(), BinaryOp::Sub, name(round_name(SIMULTANEOUS_ROUNDS - 1)))]);
            let size = call_of("MAX", vec![at(ExprKind::Number(1.0)), call_of("ABS", vec![last()])]);
            let settled = Expr::join(change, BinaryOp::Le, Expr::join(at(ExprKind::Number(1e-9)), BinaryOp::Mul, size));
            push(
                solution,
                at(ExprKind::If {
                    condition: Box::new(settled),
                    then_branch: Box::new(last()),
                    else_branch: Box::new(name("NAN".to_owned())),
                }),
            );
            model.variables.extend(added);
        }
    }

    /// Writes out each FIND ZERO call's Newton steps in hidden auxiliaries. The loop is the
    /// auxiliaries (and flows) that `z` reads, through others, and that read `x`. Step k starts
    /// from the values `FIND ZERO.n.k.x.i` (step 0 from `xi`) and computes the loop n + 1 times,
    /// in copies `FIND ZERO.n.k.e.<name>`: at the values (e = 0), and with element j moved by
    /// `h_j = 1e-7 × max(|x_j|, 1 / |xs_j|)` (e = j; `xs` is the scale of x, so `1 / |xs_j|` is
    /// x_j's size; 1 where xs_j is 0). The differences make the Jacobian, and Gaussian
    /// elimination with partial pivoting solves `J d = -z` for the step; once `max |z_i × zs_i|`
    /// is within `tol` the values stay. The solution is the values after the last step where
    /// they make `z` zero within `tol`, else NaN, which stops the run at it. The same steps
    /// every time, so the answer is a function of the inputs alone.
    fn apply_find_zeros(&mut self, model: &mut Model) {
        let equations = |variable: &Variable| -> Vec<Expr> {
            variable
                .equation
                .iter()
                .chain(variable.elements.iter().filter_map(|element| element.equation.as_ref()))
                .filter_map(|equation| equation.expr.as_ref().ok().cloned())
                .collect()
        };
        for call in std::mem::take(&mut self.find_zeros) {
            let fail = |message: String, help: &str| {
                Diagnostic::new(Code::MdlUnsupportedFunction, message)
                    .at(Some(call.span))
                    .on_variable(call.variable.clone())
                    .with_help(help)
            };
            let solution = format!("{}.solution", call.prefix);
            let whole = model.variable(&call.variable).and_then(|v| v.equation.as_ref()).and_then(|e| e.expr.as_ref().ok()).is_some_and(
                |expr| matches!(&expr.kind, ExprKind::Subscript { array, .. } if array.canonical == CanonicalName::new(&solution)),
            );
            if !whole {
                self.diagnostics.push(fail(
                    "FIND ZERO must be the whole right-hand side of its equation".to_owned(),
                    "Vensim's FIND ZERO takes over the loop over the left-hand side's last subscript, so it is the whole equation",
                ));
                continue;
            }
            let computed = |v: &Variable| matches!(v.kind, VariableKind::Auxiliary | VariableKind::Flow { .. });
            let z_ok = model.variable(&call.z).is_some_and(|v| {
                computed(v)
                    && v.dimensions.len() == 1
                    && CanonicalName::new(&v.dimensions[0]) == CanonicalName::new(&call.dimension)
            });
            if !z_ok {
                self.diagnostics.push(fail(
                    format!("FIND ZERO's z, `{}`, must be an auxiliary over `{}`", call.z, call.dimension),
                    "z is computed from the left-hand side in other equations, one value for each of its elements",
                ));
                continue;
            }
            let mut graph: HashMap<CanonicalName, Vec<CanonicalName>> = HashMap::new();
            for variable in model.variables.iter().filter(|v| computed(v)) {
                let mut names = Vec::new();
                for expr in equations(variable) {
                    instant_reads(&expr, &mut names);
                }
                graph.insert(variable.canonical.clone(), names);
            }
            let reaches = |from: &CanonicalName| -> HashSet<CanonicalName> {
                let mut seen: HashSet<CanonicalName> = HashSet::new();
                let mut stack = vec![from.clone()];
                while let Some(name) = stack.pop() {
                    if seen.insert(name.clone()) {
                        stack.extend(graph.get(&name).into_iter().flatten().cloned());
                    }
                }
                seen
            };
            let solved = CanonicalName::new(&call.variable);
            let z_canonical = CanonicalName::new(&call.z);
            let upstream = reaches(&z_canonical);
            if !upstream.contains(&solved) {
                self.diagnostics.push(fail(
                    format!("FIND ZERO's z, `{}`, does not depend on `{}`", call.z, call.variable),
                    "z must be computed from the left-hand side, as `z = y - f(y)` is from y",
                ));
                continue;
            }
            let members: Vec<Variable> = model
                .variables
                .iter()
                .filter(|v| {
                    v.canonical != solved && upstream.contains(&v.canonical) && graph.contains_key(&v.canonical)
                })
                .filter(|v| reaches(&v.canonical).contains(&solved))
                .cloned()
                .collect();
            let elements = self.ranges.get(&call.dimension).map(|r| r.elements.clone()).unwrap_or_default();
            let n = elements.len();
            let size = call.iterations * ((n + 1) * (members.len() + 1) + 2 * n * n * n + 4 * n + 2);
            if size > MAX_FIND_ZERO_VARIABLES {
                self.diagnostics.push(fail(
                    format!("FIND ZERO here would take about {size} hidden variables, more than {MAX_FIND_ZERO_VARIABLES}"),
                    "each of Newton's steps copies the loop once for each element; use fewer iterations (max iter) or a shorter loop",
                ));
                continue;
            }
            let member_names: HashMap<CanonicalName, String> =
                members.iter().map(|m| (m.canonical.clone(), m.name.clone())).collect();
            let span = call.span;
            let p = call.prefix.clone();
            let at = |kind: ExprKind| Expr { kind, span };
            let number = |value: f64| at(ExprKind::Number(value));
            let name = |written: &str| at(ExprKind::Name(NameRef::new(written)));
            let element = |array: &str, element: &str| reference(array, &[element.to_owned()], span);
            let call_of = |function: &str, args: Vec<Expr>| {
                at(ExprKind::Call { function: NameRef::new(function), function_span: span, args })
            };
            let abs = |expr: Expr| call_of("ABS", vec![expr]);
            let if_then_else = |condition: Expr, then: Expr, otherwise: Expr| {
                at(ExprKind::If {
                    condition: Box::new(condition),
                    then_branch: Box::new(then),
                    else_branch: Box::new(otherwise),
                })
            };
            let mut added: Vec<Variable> = Vec::new();
            let mut scalar = |written: String, expr: Expr| -> Expr {
                let mut variable = Variable::new(written.clone(), VariableKind::Auxiliary);
                variable.span = Some(span);
                variable.equation = Some(expression_equation(expr, span));
                added.push(variable);
                name(&written)
            };
            let xs: Vec<Expr> = elements.iter().map(|e| element(&format!("{p}.xs"), e)).collect();
            let zs: Vec<Expr> = elements.iter().map(|e| element(&format!("{p}.zs"), e)).collect();
            let tol = name(&format!("{p}.tol"));
            let mut x: Vec<Expr> = elements.iter().map(|e| element(&format!("{p}.xi"), e)).collect();
            let mut arrays: Vec<Variable> = Vec::new();
            for k in 0..=call.iterations {
                let last = k == call.iterations;
                let h: Vec<Expr> = if last {
                    Vec::new()
                } else {
                    (0..n)
                        .map(|j| {
                            let size = call_of(
                                "MAX",
                                vec![
                                    abs(x[j].clone()),
                                    call_of("XIDZ", vec![number(1.0), abs(xs[j].clone()), number(1.0)]),
                                ],
                            );
                            scalar(format!("{p}.{k}.h.{}", j + 1), Expr::join(number(1e-7), BinaryOp::Mul, size))
                        })
                        .collect()
                };
                // z at each point: e = 0 the values, e = j + 1 element j moved by h_j.
                let points = if last { 1 } else { n + 1 };
                let mut z: Vec<Vec<Expr>> = Vec::with_capacity(points);
                for e in 0..points {
                    let point = format!("{p}.{k}.{e}");
                    let x_name = format!("{point}.{}", call.variable);
                    let mut values = Variable::new(x_name.clone(), VariableKind::Auxiliary);
                    values.span = Some(span);
                    values.dimensions = vec![call.dimension.clone()];
                    values.elements = elements
                        .iter()
                        .enumerate()
                        .map(|(i, written)| {
                            let value = if e == i + 1 {
                                Expr::join(x[i].clone(), BinaryOp::Add, h[i].clone())
                            } else {
                                x[i].clone()
                            };
                            ElementDefinition {
                                subscript: vec![written.clone()],
                                equation: Some(expression_equation(value, span)),
                                graph: None,
                                span: Some(span),
                            }
                        })
                        .collect();
                    arrays.push(values);
                    let mut rename = |reference: &NameRef, _: bool| {
                        if reference.canonical == solved {
                            Some(x_name.clone())
                        } else {
                            member_names.get(&reference.canonical).map(|member| format!("{point}.{member}"))
                        }
                    };
                    for member in &members {
                        let mut copy = member.clone();
                        copy.name = format!("{point}.{}", member.name);
                        copy.canonical = CanonicalName::new(&copy.name);
                        for equation in
                            copy.equation.iter_mut().chain(copy.elements.iter_mut().filter_map(|e| e.equation.as_mut()))
                        {
                            // Written again from the renamed expression, so that the text
                            // (which `fulcrum convert` writes) reads the copies too.
                            if let Ok(expr) = &equation.expr {
                                let mut expr = expr.clone();
                                expr.rename_variables(&mut rename);
                                *equation = expression_equation(expr, span);
                            }
                        }
                        arrays.push(copy);
                    }
                    let z_copy = format!(
                        "{point}.{}",
                        member_names.get(&z_canonical).cloned().unwrap_or_else(|| call.z.clone())
                    );
                    z.push(elements.iter().map(|e| element(&z_copy, e)).collect());
                }
                let residual = z[0]
                    .iter()
                    .zip(&zs)
                    .map(|(z, zs)| abs(Expr::join(z.clone(), BinaryOp::Mul, zs.clone())))
                    .reduce(|a, b| call_of("MAX", vec![a, b]))
                    .unwrap_or_else(|| number(0.0));
                let residual = scalar(format!("{p}.{k}.residual"), residual);
                let settled = || Expr::join(residual.clone(), BinaryOp::Le, tol.clone());
                if last {
                    let mut values = Variable::new(solution.clone(), VariableKind::Auxiliary);
                    values.span = Some(span);
                    values.dimensions = vec![call.dimension.clone()];
                    values.elements = elements
                        .iter()
                        .zip(&x)
                        .map(|(written, value)| ElementDefinition {
                            subscript: vec![written.clone()],
                            equation: Some(expression_equation(
                                if_then_else(settled(), value.clone(), name("NAN")),
                                span,
                            )),
                            graph: None,
                            span: Some(span),
                        })
                        .collect();
                    arrays.push(values);
                    break;
                }
                // The Jacobian by differences, then J d = -z by elimination.
                let mut rows: Vec<Vec<Expr>> = (0..n)
                    .map(|i| {
                        let mut row: Vec<Expr> = (0..n)
                            .map(|j| {
                                let difference = Expr::join(z[j + 1][i].clone(), BinaryOp::Sub, z[0][i].clone());
                                scalar(
                                    format!("{p}.{k}.jacobian.{}.{}", i + 1, j + 1),
                                    Expr::join(difference, BinaryOp::Div, h[j].clone()),
                                )
                            })
                            .collect();
                        row.push(at(ExprKind::Unary { op: UnaryOp::Negate, operand: Box::new(z[0][i].clone()) }));
                        row
                    })
                    .collect();
                for c in 0..n {
                    // The row with the largest pivot moves up to row c, one comparison at a time.
                    for r in c + 1..n {
                        let (pivot_row, other_row) = (rows[c].clone(), rows[r].clone());
                        let larger = || Expr::join(abs(other_row[c].clone()), BinaryOp::Gt, abs(pivot_row[c].clone()));
                        for (j, (a, b)) in pivot_row.iter().zip(&other_row).enumerate().skip(c) {
                            rows[c][j] = scalar(
                                format!("{p}.{k}.swap.{c}.{r}.{j}.upper"),
                                if_then_else(larger(), b.clone(), a.clone()),
                            );
                            rows[r][j] = scalar(
                                format!("{p}.{k}.swap.{c}.{r}.{j}.lower"),
                                if_then_else(larger(), a.clone(), b.clone()),
                            );
                        }
                    }
                    let pivot_row = rows[c].clone();
                    for (r, row) in rows.iter_mut().enumerate().skip(c + 1) {
                        let factor = scalar(
                            format!("{p}.{k}.factor.{c}.{r}"),
                            Expr::join(row[c].clone(), BinaryOp::Div, pivot_row[c].clone()),
                        );
                        for (j, (value, pivot)) in row.iter_mut().zip(&pivot_row).enumerate().skip(c + 1) {
                            let reduced = Expr::join(
                                value.clone(),
                                BinaryOp::Sub,
                                Expr::join(factor.clone(), BinaryOp::Mul, pivot.clone()),
                            );
                            *value = scalar(format!("{p}.{k}.reduced.{c}.{r}.{j}"), reduced);
                        }
                    }
                }
                let mut step: Vec<Expr> = vec![number(0.0); n];
                for i in (0..n).rev() {
                    let rest = (i + 1..n).fold(rows[i][n].clone(), |sum, j| {
                        Expr::join(sum, BinaryOp::Sub, Expr::join(rows[i][j].clone(), BinaryOp::Mul, step[j].clone()))
                    });
                    step[i] =
                        scalar(format!("{p}.{k}.step.{}", i + 1), Expr::join(rest, BinaryOp::Div, rows[i][i].clone()));
                }
                x = (0..n)
                    .map(|i| {
                        let moved = Expr::join(x[i].clone(), BinaryOp::Add, step[i].clone());
                        scalar(format!("{p}.{}.x.{}", k + 1, i + 1), if_then_else(settled(), x[i].clone(), moved))
                    })
                    .collect();
            }
            model.variables.extend(added);
            model.variables.extend(arrays);
        }
    }

    /// Makes each SHIFT IF TRUE call a hidden flow of its level, `SHIFT IF TRUE.n.shift`, over
    /// the level's ranges: at an element the call shifts, while the condition holds,
    /// `(shifted - level) / TIME STEP`, where `shifted` is `value in` at the first element, the
    /// element before it elsewhere, plus its own value at the last with `accumulate`; 0
    /// otherwise. With Euler's method (the one Vensim's models are read with) the level at the
    /// next step is then its shifted values plus what its other flows bring over the step,
    /// those computed from the values before the shift: the shift happens at the end of the
    /// step in which the condition holds, and shows at the next saved time. What the call
    /// returns, `SHIFT IF TRUE.n.removed`, is the last element's value while the condition
    /// holds without `accumulate`, and 0 otherwise.
    fn apply_shifts(&mut self, model: &mut Model) {
        for shift in std::mem::take(&mut self.shifts) {
            let fail = |message: String, help: &str| {
                Diagnostic::new(Code::MdlUnsupportedFunction, message).at(Some(shift.span)).with_help(help)
            };
            let Some(rates) = self.rates.get_mut(&shift.level.canonical) else {
                self.diagnostics.push(fail(
                    format!("SHIFT IF TRUE shifts a level (an INTEG), and `{}` is not one", shift.level.written),
                    "name a level defined with INTEG",
                ));
                continue;
            };
            let Some(stock) = model.variable(&shift.level.written) else { continue };
            let dimensions = stock.dimensions.clone();
            // Each subscript before the shifted one is the level's range there, or an element of
            // it (which the flow then shifts alone: `Some(position)`).
            let fixed: Option<Vec<Option<usize>>> = dimensions
                .iter()
                .zip(&shift.leading)
                .map(|(own, given)| {
                    if CanonicalName::new(own) == CanonicalName::new(given) {
                        return Some(None);
                    }
                    let range = self.ranges.get(own)?;
                    range.elements.iter().position(|e| CanonicalName::new(e) == CanonicalName::new(given)).map(Some)
                })
                .collect();
            let leading_ok = dimensions.len() == shift.leading.len() + 1 && fixed.is_some();
            let fixed = fixed.unwrap_or_default();
            let ranges_named: Vec<String> = shift
                .leading
                .iter()
                .zip(&fixed)
                .filter(|(_, fixed)| fixed.is_none())
                .map(|(name, _)| name.clone())
                .collect();
            let last = dimensions.last().and_then(|d| self.ranges.get(d));
            let position = last.and_then(|range| {
                range.elements.iter().position(|e| CanonicalName::new(e) == CanonicalName::new(&shift.first))
            });
            let (Some(range), Some(position), true) = (last, position, leading_ok) else {
                self.diagnostics.push(fail(
                    format!(
                        "SHIFT IF TRUE needs `{}` subscripted by its own ranges, [{}], the last at an element of its last range",
                        shift.level.written,
                        dimensions.join(", ")
                    ),
                    "the ranges of the equation calling SHIFT IF TRUE must be the level's ranges but its last",
                ));
                continue;
            };
            if position + shift.count > range.elements.len() {
                self.diagnostics.push(fail(
                    format!(
                        "SHIFT IF TRUE shifts {} elements of `{}` from `{}`, past the end of `{}`",
                        shift.count, shift.level.written, shift.first, range.name
                    ),
                    "give a size no larger than the number of elements from the first one shifted to the last",
                ));
                continue;
            }
            let last_element = range.elements[position + shift.count - 1].clone();
            let last_dimension = range.name.clone();
            let span = shift.span;
            let at = |kind: ExprKind| Expr { kind, span };
            let number = |value: f64| at(ExprKind::Number(value));
            let if_then_else = |condition: Expr, then_branch: Expr, else_branch: Expr| {
                at(ExprKind::If {
                    condition: Box::new(condition),
                    then_branch: Box::new(then_branch),
                    else_branch: Box::new(else_branch),
                })
            };
            let part = |name: &str| reference(&format!("{}.{name}", shift.prefix), &ranges_named, span);
            // The level at this element of the flow's ranges (`over` the level's own) or of the
            // call's subscripts, and `index` along the last.
            let level_at = |over: &[String], index: Expr| {
                let mut indices: Vec<Index> =
                    over.iter().map(|d| Index::Expr(at(ExprKind::Name(NameRef::new(d.as_str()))))).collect();
                indices.push(Index::Expr(index));
                at(ExprKind::Subscript { array: shift.level.clone(), array_span: span, indices })
            };
            let own_leading = &dimensions[..dimensions.len() - 1];
            // The position (from 1) of the element of the last range this element stands at.
            let here_position = || at(ExprKind::Name(NameRef::new(last_dimension.as_str())));
            let (first_position, last_position) = ((position + 1) as f64, (position + shift.count) as f64);
            let holds = |name: &str| Expr::join(part(name), BinaryOp::Ne, number(0.0));
            let here = level_at(own_leading, here_position());
            let before = level_at(own_leading, Expr::join(here_position(), BinaryOp::Sub, number(1.0)));
            let moved_in = if_then_else(
                Expr::join(here_position(), BinaryOp::Eq, number(first_position)),
                part("value in"),
                before,
            );
            let kept = if_then_else(
                Expr::join(
                    Expr::join(here_position(), BinaryOp::Eq, number(last_position)),
                    BinaryOp::And,
                    holds("accumulate"),
                ),
                here.clone(),
                number(0.0),
            );
            let shifted = Expr::join(moved_in, BinaryOp::Add, kept);
            let mut inside = Expr::join(
                Expr::join(here_position(), BinaryOp::Ge, number(first_position)),
                BinaryOp::And,
                Expr::join(here_position(), BinaryOp::Le, number(last_position)),
            );
            for (dimension, fixed) in own_leading.iter().zip(&fixed) {
                if let Some(element) = fixed {
                    let position = at(ExprKind::Name(NameRef::new(dimension.as_str())));
                    let this = Expr::join(position, BinaryOp::Eq, number((element + 1) as f64));
                    inside = Expr::join(inside, BinaryOp::And, this);
                }
            }
            let rate = if_then_else(
                Expr::join(holds("condition"), BinaryOp::And, inside),
                Expr::join(
                    Expr::join(shifted, BinaryOp::Sub, here),
                    BinaryOp::Div,
                    at(ExprKind::Name(NameRef::new("DT"))),
                ),
                number(0.0),
            );
            let flow_name = format!("{}.shift", shift.prefix);
            let mut flow = Variable::new(flow_name.clone(), VariableKind::Auxiliary);
            flow.span = Some(span);
            flow.dimensions = dimensions.clone();
            flow.equation = Some(expression_equation(rate, span));
            flow.whole_step = true;
            self.shapes.insert(flow.canonical.clone(), dimensions.iter().map(|d| CanonicalName::new(d)).collect());
            for (element, rate) in rates.iter_mut() {
                let subscripts = element.as_deref().unwrap_or(&dimensions);
                let term = reference(&flow_name, subscripts, span);
                let old = std::mem::replace(rate, number(0.0));
                *rate = Expr::join(old, BinaryOp::Add, term);
            }
            model.variables.push(flow);
            let removed = if_then_else(
                holds("condition"),
                if_then_else(
                    holds("accumulate"),
                    number(0.0),
                    level_at(&shift.leading, at(ExprKind::Name(NameRef::new(last_element)))),
                ),
                number(0.0),
            );
            let removed_name = CanonicalName::new(&format!("{}.removed", shift.prefix));
            if let Some(variable) = model.variables.iter_mut().find(|v| v.canonical == removed_name) {
                variable.equation = Some(expression_equation(removed, span));
            }
        }
    }

    /// Turns each level's rate (kept after its initial value, see [`Translator::equation`]) into
    /// flows: the variables it adds and subtracts, when it is such a sum of distinct
    /// variables of the level's shape, else a new flow named `<level> net flow`.
    fn split_stock_rates(&mut self, model: &mut Model) {
        let names: HashSet<CanonicalName> = model.variables.iter().map(|v| v.canonical.clone()).collect();
        let mut new_flows = Vec::new();
        let mut become_flows: HashSet<CanonicalName> = HashSet::new();
        let count = model.variables.len();
        for index in 0..count {
            let Some(variable) = model.variables.get(index) else { continue };
            // A conveyor made for DELAY CONVEYOR has its flows already.
            if !matches!(variable.kind, VariableKind::Stock { .. }) || variable.conveyor.is_some() {
                continue;
            }
            // Take the rates back out of the equations.
            let mut variable = variable.clone();
            let rates = self.rates.remove(&variable.canonical).unwrap_or_default();
            let rate = rates.iter().find(|(element, _)| element.is_none()).map(|(_, rate)| rate.clone());
            let element_rates: Vec<Option<Expr>> = variable
                .elements
                .iter()
                .map(|element| {
                    rates.iter().find(|(e, _)| e.as_ref() == Some(&element.subscript)).map(|(_, rate)| rate.clone())
                })
                .collect();
            let split = match &rate {
                Some(rate) if variable.elements.is_empty() => self.flows_of(rate, &variable, model),
                _ => None,
            };
            let (inflows, outflows) = match split {
                Some((inflows, outflows)) => {
                    become_flows.extend(inflows.iter().chain(&outflows).map(|l: &FlowLink| l.canonical.clone()));
                    (inflows, outflows)
                }
                None => {
                    let mut name = format!("{} net flow", variable.name);
                    let mut suffix = 2;
                    while names.contains(&CanonicalName::new(&name))
                        || new_flows.iter().any(|f: &Variable| f.canonical == CanonicalName::new(&name))
                    {
                        name = format!("{} net flow {suffix}", variable.name);
                        suffix += 1;
                    }
                    let mut flow = Variable::new(name.clone(), VariableKind::Flow { non_negative: false });
                    flow.span = variable.span;
                    flow.dimensions = variable.dimensions.clone();
                    flow.units = None;
                    flow.equation = rate.map(|r| {
                        let span = r.span;
                        expression_equation(r, span)
                    });
                    flow.elements = variable
                        .elements
                        .iter()
                        .zip(element_rates)
                        .map(|(element, rate)| ElementDefinition {
                            subscript: element.subscript.clone(),
                            equation: rate.map(|r| {
                                let span = r.span;
                                expression_equation(r, span)
                            }),
                            graph: None,
                            span: element.span,
                        })
                        .collect();
                    new_flows.push(flow);
                    let mut link = FlowLink::new(name);
                    link.span = variable.span;
                    (vec![link], Vec::new())
                }
            };
            variable.kind = VariableKind::Stock { inflows, outflows, non_negative: false };
            if let Some(slot) = model.variables.get_mut(index) {
                *slot = variable;
            }
        }
        for variable in &mut model.variables {
            if become_flows.contains(&variable.canonical) && variable.kind == VariableKind::Auxiliary {
                variable.kind = VariableKind::Flow { non_negative: false };
            }
        }
        model.variables.extend(new_flows);
    }

    /// The inflows and outflows of a rate that is a signed sum of distinct flow-shaped variables.
    fn flows_of(&self, rate: &Expr, stock: &Variable, model: &Model) -> Option<(Vec<FlowLink>, Vec<FlowLink>)> {
        let mut terms: Vec<(bool, &Expr)> = Vec::new();
        signed_terms(rate, true, &mut terms)?;
        let (mut inflows, mut outflows) = (Vec::new(), Vec::new());
        let mut seen = HashSet::new();
        let stock_dimensions: Vec<CanonicalName> = stock.dimensions.iter().map(|d| CanonicalName::new(d)).collect();
        for (positive, term) in terms {
            let (name, span) = match &term.kind {
                ExprKind::Name(name) if stock_dimensions.is_empty() => (name, term.span),
                ExprKind::Subscript { array, indices, array_span } => {
                    let same: Vec<CanonicalName> = indices
                        .iter()
                        .filter_map(|i| match i {
                            Index::Expr(Expr { kind: ExprKind::Name(n), .. }) => Some(n.canonical.clone()),
                            _ => None,
                        })
                        .collect();
                    if same != stock_dimensions {
                        return None;
                    }
                    (array, *array_span)
                }
                _ => return None,
            };
            let flow = model.variables.iter().find(|v| v.canonical == name.canonical)?;
            let flow_dimensions: Vec<CanonicalName> = flow.dimensions.iter().map(|d| CanonicalName::new(d)).collect();
            let usable = matches!(flow.kind, VariableKind::Auxiliary | VariableKind::Flow { .. })
                && flow.graph.is_none()
                && flow_dimensions == stock_dimensions
                && flow.canonical != stock.canonical;
            if !usable || !seen.insert(name.canonical.clone()) {
                return None;
            }
            let mut link = FlowLink::new(flow.name.clone());
            link.span = Some(span);
            if positive { inflows.push(link) } else { outflows.push(link) }
        }
        Some((inflows, outflows))
    }

    /// The date of the start time from the settings' time label (`35:Date`, then the year,
    /// month and day in `37:` to `39:`), for GET TIME VALUE's calendar measures. A date label
    /// whose fields do not make a date is an error at its line.
    fn read_start_date(&mut self, model: &mut Model, layout: &Layout) {
        let field = |key: u32| layout.time_label.iter().find(|(k, _, _)| *k == key);
        if !field(35).is_some_and(|(_, kind, _)| kind.eq_ignore_ascii_case("date")) {
            return;
        }
        let number = |key: u32| field(key).and_then(|(_, value, _)| value.parse::<i64>().ok());
        let date = match (number(37), number(38), number(39)) {
            (Some(year), Some(month), Some(day)) => i32::try_from(year)
                .ok()
                .zip(u32::try_from(month).ok().zip(u32::try_from(day).ok()))
                .and_then(|(year, (month, day))| CalendarDate::new(year, month, day)),
            _ => None,
        };
        match date {
            Some(date) => model.sim.start_date = Some(date),
            None => {
                let lines = layout.time_label.iter().map(|(_, _, span)| *span);
                let span = lines.clone().reduce(|first, last| Span::new(first.start(), last.end()));
                self.diagnostics.push(
                    Diagnostic::new(Code::InvalidValue, "the settings' date time label is not a date")
                        .at(span)
                        .with_help("lines `37:`, `38:` and `39:` give the year, month and day of the initial time, e.g. 37:2000, 38:1, 39:31"),
                );
            }
        }
    }

    fn sim_specs(&mut self, text: &str, layout: &Layout, model: &mut Model) {
        /// What a time setting's equation gives: a number, or a variable computed during the run.
        enum Setting {
            Number(f64, Option<Span>),
            Computed(String, Option<Span>),
        }
        let setting = |name: &str, required: bool, diagnostics: &mut Diagnostics| -> Option<Setting> {
            let Some(variable) = model.variable(name) else {
                if required {
                    diagnostics.push(
                        // Pointed at the start of the file, where Vensim puts the time settings' group.
                        Diagnostic::new(Code::MdlTimeSetting, format!("the model does not define {name}"))
                            .at(Some(Span::new(0, 0)))
                            .with_help(format!("add `{name} = <number> ~ <time unit> ~ |`")),
                    );
                }
                return None;
            };
            let span = variable.equation.as_ref().and_then(|e| e.origin.span).or(variable.span);
            if let Some(value) = constant_value(model, &variable.canonical, None, 0) {
                return Some(Setting::Number(value, span));
            }
            if variable.equation.as_ref().is_none_or(|e| e.expr.is_err()) {
                return None;
            }
            let scalar_auxiliary =
                variable.dimensions.is_empty() && variable.kind == VariableKind::Auxiliary && variable.graph.is_none();
            if name == "INITIAL TIME" || !scalar_auxiliary {
                // The start time is where the time axis begins: an equation for it must give a
                // number at the start, worked out as the time it gives (Vensim computes INITIAL
                // TIME again at every step, which the variable still does).
                let at = |time: f64| constant_value(model, &variable.canonical, Some(time), 0);
                if scalar_auxiliary
                    && let Some(start) = at(0.0)
                    && start.is_finite()
                    && at(start).is_some_and(|again| again.to_bits() == start.to_bits())
                {
                    return Some(Setting::Number(start, span));
                }
                diagnostics.push(
                    Diagnostic::new(
                        Code::MdlTimeSetting,
                        format!("{name} must be a number, or an equation whose value at the start is the start time"),
                    )
                    .at(span)
                    .on_variable(variable.name.clone()),
                );
                return None;
            }
            Some(Setting::Computed(variable.name.clone(), span))
        };
        let start = setting("INITIAL TIME", true, self.diagnostics);
        let stop = setting("FINAL TIME", true, self.diagnostics);
        let dt = setting("TIME STEP", true, self.diagnostics);
        // `SAVEPER = TIME STEP` saves every step, whatever dt a run is given or computes.
        let saves_every_step = model.variable("SAVEPER").and_then(|v| v.equation.as_ref()).is_some_and(|e| {
            matches!(&e.expr, Ok(Expr { kind: ExprKind::Name(name), .. }) if name.canonical.as_str() == "time_step")
        });
        let save = if saves_every_step { None } else { setting("SAVEPER", false, self.diagnostics) };
        if let Some(Setting::Number(start, span)) = start {
            model.sim.start = start;
            model.sim.spans.start = span;
        }
        let sim = &mut model.sim;
        for (setting, value, field, computed) in [
            (&stop, Some(&mut sim.stop), &mut sim.spans.stop, &mut sim.computed.stop),
            (&dt, Some(&mut sim.dt), &mut sim.spans.dt, &mut sim.computed.dt),
            (&save, None, &mut sim.spans.save_step, &mut sim.computed.save_step),
        ] {
            match setting {
                Some(Setting::Number(number, span)) => {
                    match value {
                        Some(value) => *value = *number,
                        None => sim.save_step = Some(*number),
                    }
                    *field = *span;
                }
                Some(Setting::Computed(name, span)) => {
                    *computed = Some(name.clone());
                    *field = *span;
                }
                None => {}
            }
        }
        // The settings that are numbers are variables too; they now read the run's own
        // settings, so that a run with another dt or stop time sees them change, and setting one
        // as if it were a constant is refused rather than silently ignored by the time axis. A
        // computed one keeps its equation: the run reads the variable.
        for (name, builtin, setting) in
            [("INITIAL TIME", "STARTTIME", &start), ("FINAL TIME", "STOPTIME", &stop), ("TIME STEP", "DT", &dt)]
        {
            let is_number = matches!(setting, Some(Setting::Number(..)));
            let reads_time = name == "INITIAL TIME"
                && model.variable(name).is_some_and(|v| constant_value(model, &v.canonical, None, 0).is_none());
            if let (true, false, Some(variable)) = (is_number, reads_time, model.variable_mut(name))
                && let Some(span) = variable.equation.as_ref().and_then(|e| e.origin.span)
            {
                let reference = Expr { kind: ExprKind::Name(NameRef::new(builtin)), span };
                variable.equation = Some(expression_equation(reference, span));
            }
        }
        model.sim.time_units = ["TIME STEP", "FINAL TIME", "INITIAL TIME"]
            .iter()
            .find_map(|name| model.variable(name).and_then(|v| v.units.clone()));
        self.read_start_date(model, layout);
        if let Some(span) = layout.settings_line {
            let line = text.get(span.start()..span.end()).unwrap_or("");
            let fields = line.trim_start_matches("15:");
            if fields.split(',').any(|field| field.trim().parse::<f64>().is_ok_and(|v| v != 0.0)) {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::MdlUnsupportedFeature,
                        "this simulation settings line asks for something fulcrum does not read yet",
                    )
                    .at(Some(span))
                    .with_help("fulcrum reads only the settings `15:0,0,0,0,0,0` (Euler integration)"),
                );
            }
        }
    }
}

/// The value of a scalar variable computed from numbers and other such variables only, and
/// from `Time` when a time is given.
fn constant_value(model: &Model, name: &CanonicalName, time: Option<f64>, depth: usize) -> Option<f64> {
    if depth > 50 {
        return None;
    }
    if name.as_str() == "time"
        && let Some(time) = time
    {
        return Some(time);
    }
    let variable = model.variables.iter().find(|v| v.canonical == *name)?;
    if !variable.dimensions.is_empty() || variable.kind != VariableKind::Auxiliary || variable.graph.is_some() {
        return None;
    }
    evaluate(variable.equation.as_ref()?.expr.as_ref().ok()?, model, time, depth)
}

fn evaluate(expr: &Expr, model: &Model, time: Option<f64>, depth: usize) -> Option<f64> {
    let at = |expr: &Expr| evaluate(expr, model, time, depth);
    match &expr.kind {
        ExprKind::Number(value) => Some(*value),
        ExprKind::Name(name) => constant_value(model, &name.canonical, time, depth + 1),
        ExprKind::Unary { op: UnaryOp::Negate, operand } => Some(-at(operand)?),
        ExprKind::Unary { op: UnaryOp::Plus, operand } => at(operand),
        ExprKind::Binary { op, lhs, rhs } => arithmetic(*op, at(lhs)?, at(rhs)?),
        ExprKind::Chain { first, rest } => {
            let mut value = at(first)?;
            for (op, operand) in rest {
                value = arithmetic(*op, value, at(operand)?)?;
            }
            Some(value)
        }
        // Only when a time is given: a start time may be chosen by a condition on it.
        ExprKind::If { condition, then_branch, else_branch } if time.is_some() => {
            if at(condition)? != 0.0 {
                at(then_branch)
            } else {
                at(else_branch)
            }
        }
        _ => None,
    }
}

fn arithmetic(op: BinaryOp, a: f64, b: f64) -> Option<f64> {
    match op {
        BinaryOp::Add => Some(a + b),
        BinaryOp::Sub => Some(a - b),
        BinaryOp::Mul => Some(a * b),
        BinaryOp::Div => Some(a / b),
        BinaryOp::Pow => Some(a.powf(b)),
        BinaryOp::Lt => Some(f64::from(u8::from(a < b))),
        BinaryOp::Le => Some(f64::from(u8::from(a <= b))),
        BinaryOp::Gt => Some(f64::from(u8::from(a > b))),
        BinaryOp::Ge => Some(f64::from(u8::from(a >= b))),
        _ => None,
    }
}

/// Splits `+a - b + c` into signed terms; `None` if it is anything else.
fn signed_terms<'e>(expr: &'e Expr, positive: bool, terms: &mut Vec<(bool, &'e Expr)>) -> Option<()> {
    match &expr.kind {
        ExprKind::Chain { first, rest } => {
            signed_terms(first, positive, terms)?;
            for (op, operand) in rest {
                match op {
                    BinaryOp::Add => signed_terms(operand, positive, terms)?,
                    BinaryOp::Sub => signed_terms(operand, !positive, terms)?,
                    _ => return None,
                }
            }
            Some(())
        }
        ExprKind::Binary { op: BinaryOp::Add, lhs, rhs } => {
            signed_terms(lhs, positive, terms)?;
            signed_terms(rhs, positive, terms)
        }
        ExprKind::Binary { op: BinaryOp::Sub, lhs, rhs } => {
            signed_terms(lhs, positive, terms)?;
            signed_terms(rhs, !positive, terms)
        }
        ExprKind::Unary { op: UnaryOp::Plus, operand } => signed_terms(operand, positive, terms),
        _ if functions::negated(expr).is_some() => signed_terms(functions::negated(expr)?, !positive, terms),
        ExprKind::Name(_) | ExprKind::Subscript { .. } => {
            terms.push((positive, expr));
            Some(())
        }
        _ => None,
    }
}

fn pieces_of<'p>(definitions: &[&'p Parsed]) -> Vec<Piece<'p>> {
    definitions
        .iter()
        .filter_map(|d| match &d.definition {
            Definition::Equation { lhs, rhs, rhs_span } => Some(Piece { lhs, body: Body::Rhs(rhs, *rhs_span) }),
            Definition::Lookup { lhs, table } => Some(Piece { lhs, body: Body::Table(table) }),
            Definition::Data { lhs, keyword, rhs: Some((expr, span)) } => {
                Some(Piece { lhs, body: Body::Data(*keyword, expr, *span) })
            }
            Definition::Data { lhs, keyword, rhs: None } => {
                Some(Piece { lhs, body: Body::External(*keyword, lhs.name.span) })
            }
            _ => None,
        })
        .collect()
}

/// The functions that make a level when they are the whole equation: INTEG, and QUEUE FIFO,
/// which Vensim documents as a level of its inflow less its outflow from its initial value.
const LEVELS: [&str; 2] = ["integ", "queue_fifo"];

/// Which INTEG (or QUEUE FIFO) a definition is, if it is one.
fn integ_of<'p>(piece: &'p Piece<'_>) -> Option<&'p Expr> {
    match &piece.body {
        Body::Rhs(Rhs::Expr(expr), _) => match &expr.kind {
            ExprKind::Call { function, .. } if LEVELS.contains(&function.canonical.as_str()) => Some(expr),
            _ => None,
        },
        _ => None,
    }
}

fn piece_span(piece: &Piece<'_>) -> Span {
    match &piece.body {
        Body::Rhs(_, span) => *span,
        Body::Table(table) => table.span,
        Body::Data(_, _, span) | Body::External(_, span) => *span,
    }
}

/// Most time steps a DELAY PROFILE spreads its input over (each is a delay line of its own).
const MAX_PROFILE_STEPS: f64 = 1000.0;

/// An equation built from a tree whose spans are file offsets: the text is the tree printed in
/// fulcrum's equation language (what `fulcrum convert` writes), and `text_offset` 0 makes the
/// resolver's spans file spans as they are.
fn expression_equation(expr: Expr, span: Span) -> Equation {
    Equation { text: expr.to_string(), expr: Ok(expr), origin: Origin { span: Some(span), text_offset: Some(0) } }
}

fn number_equation(value: f64, span: Span) -> Equation {
    let number = Expr { kind: ExprKind::Number(value.abs()), span };
    let expr = if value.is_sign_negative() {
        Expr { kind: ExprKind::Unary { op: UnaryOp::Negate, operand: Box::new(number) }, span }
    } else {
        number
    };
    expression_equation(expr, span)
}

/// A lookup's points, in order of x: Vensim reads a table written out of order as if sorted.
fn graph(table: &Table) -> GraphicalFunction {
    let mut points: Vec<(f64, f64)> = table.x.iter().copied().zip(table.y.iter().copied()).collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (x, y) =
        if table.x.len() == table.y.len() { points.into_iter().unzip() } else { (table.x.clone(), table.y.clone()) };
    GraphicalFunction { kind: GraphKind::Continuous, x, y, span: Some(table.span) }
}

/// A series read from a file as a table, its points in order of x. `reversed` mirrors it
/// (x becomes -x), for a table read at -Time.
fn series_graph(xs: Vec<f64>, ys: Vec<f64>, kind: GraphKind, reversed: bool, span: Span) -> GraphicalFunction {
    let mut points: Vec<(f64, f64)> =
        xs.into_iter().zip(ys).map(|(x, y)| if reversed { (-x, y) } else { (x, y) }).collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (x, y) = points.into_iter().unzip();
    GraphicalFunction { kind, x, y, span: Some(span) }
}

/// A data variable as a table of Time, with the keyword's way between the points:
/// `:INTERPOLATE:` (Vensim's default for data read from a file) is linear; `:HOLD BACKWARD:`
/// keeps the last point's value (a step table); `:LOOK FORWARD:` takes the next point's value,
/// which is the step table of the mirrored series read at -Time; `:RAW:` has a value at the
/// points only and `:NA:` between them and after the last, as Vensim's list of keywords says
/// ("marks data as raw so :NA: is reported for missing values") and its output shows (the
/// suite's `data_from_other_model`: a raw series given every 1 reads blank, Vensim's `:NA:`, at
/// every half step). Beyond the points, the first and last values hold.
fn data_series(xs: Vec<f64>, ys: Vec<f64>, keyword: Option<Keyword>, span: Span) -> Loaded {
    let time = Expr { kind: ExprKind::Name(NameRef::new("Time")), span };
    let (xs, ys) = if keyword == Some(Keyword::Raw) { raw_points(xs, ys) } else { (xs, ys) };
    let (kind, reversed) = match keyword {
        Some(Keyword::HoldBackward | Keyword::Raw) => (GraphKind::Discrete, false),
        Some(Keyword::LookForward) => (GraphKind::Discrete, true),
        _ => (GraphKind::Continuous, false),
    };
    let input = if reversed {
        Expr { kind: ExprKind::Unary { op: UnaryOp::Negate, operand: Box::new(time) }, span }
    } else {
        time
    };
    (Some(expression_equation(input, span)), Some(series_graph(xs, ys, kind, reversed, span)))
}

/// A raw series as a step table: each point's value holds from a hair before its time to a hair
/// after it (so that a time computed with rounding still finds it), and `:NA:` from there to the
/// next point. The hair is a billionth of the time (at least of 1), and at most a quarter of the
/// gap to the next point.
fn raw_points(xs: Vec<f64>, ys: Vec<f64>) -> (Vec<f64>, Vec<f64>) {
    let mut points: Vec<(f64, f64)> = xs.into_iter().zip(ys).collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut stepped = Vec::with_capacity(points.len() * 2);
    for (index, &(x, y)) in points.iter().enumerate() {
        let mut hair = 1e-9 * x.abs().max(1.0);
        if let Some(&(next, _)) = points.get(index + 1) {
            hair = hair.min((next - x) / 4.0);
        }
        if let Some(&(previous, _)) = index.checked_sub(1).and_then(|before| points.get(before)) {
            hair = hair.min((x - previous) / 4.0);
        }
        stepped.push((x - hair, y));
        stepped.push((x + hair, crate::parser::NA));
    }
    stepped.into_iter().unzip()
}

/// All combinations of positions, the last fastest.
fn combinations(sizes: &[usize]) -> impl Iterator<Item = Vec<usize>> + '_ {
    let total: usize = sizes.iter().product();
    (0..total).map(move |mut index| {
        let mut combination = vec![0; sizes.len()];
        for (slot, size) in combination.iter_mut().zip(sizes).rev() {
            *slot = index % size.max(&1);
            index /= size.max(&1);
        }
        combination
    })
}
