//! The model IR: what every reader (native TOML, XMILE) produces and the resolver consumes.
//!
//! Equations are kept as text and as parsed [`Expr`]s; a syntax error stays attached to its
//! equation so that every problem in a file is reported in one pass by [`crate::resolve`].

use std::fmt;
use std::str::FromStr;

use crate::calendar::CalendarDate;
use crate::name::CanonicalName;
use crate::syntax::{self, Expr, ExprKind, Span, SyntaxError, UnaryOp};
use crate::units::UnitDefinition;

/// A whole model: simulation specs and variables.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// Display name.
    pub name: Option<String>,
    /// What the model is about.
    pub doc: Option<String>,
    /// Time axis and integration method.
    pub sim: SimSpecs,
    /// Stocks, flows, auxiliaries (constants among them) and graphical functions, in file order.
    pub variables: Vec<Variable>,
    /// Array dimensions.
    pub dimensions: Vec<Dimension>,
    /// Vensim's string constants (`name :IS: 'text'`), in file order. No equation fulcrum
    /// computes reads one; a changes file may set them, as Vensim's may.
    pub strings: Vec<StringConstant>,
    /// Conventions of the tool the model was built in.
    pub dialect: Dialect,
    /// The model's own units and unit aliases (XMILE `<model_units>`, native `[[unit]]`).
    pub unit_definitions: Vec<UnitDefinition>,
}

/// A string constant of a Vensim model (`name :IS: 'text'`).
#[derive(Clone, Debug, PartialEq)]
pub struct StringConstant {
    /// The name as written.
    pub name: String,
    /// The canonical form of the name.
    pub canonical: CanonicalName,
    /// The text, quotes removed.
    pub value: String,
    /// Where the name is written.
    pub span: Option<Span>,
}

impl StringConstant {
    /// A string constant named `name` holding `value`.
    pub fn new(name: &str, value: &str, span: Option<Span>) -> StringConstant {
        StringConstant { name: name.to_owned(), canonical: CanonicalName::new(name), value: value.to_owned(), span }
    }
}

/// The conventions of the tool a model was built in, where tools disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Dialect {
    /// XMILE and Stella: `INT` is the floor and `MOD` is floored (sign of the divisor).
    #[default]
    Xmile,
    /// Vensim: `INT` truncates toward zero and `MOD` (MODULO) keeps the sign of the dividend.
    Vensim,
}

impl Dialect {
    /// The name used in model files.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Xmile => "xmile",
            Dialect::Vensim => "vensim",
        }
    }

    /// Reads a dialect name, case-insensitively.
    pub fn parse(text: &str) -> Option<Dialect> {
        match text.trim().to_ascii_lowercase().as_str() {
            "xmile" | "stella" => Some(Dialect::Xmile),
            "vensim" => Some(Dialect::Vensim),
            _ => None,
        }
    }
}

/// An array dimension: a named, ordered set of elements.
#[derive(Clone, Debug, PartialEq)]
pub struct Dimension {
    /// The name as written.
    pub name: String,
    /// Canonical form.
    pub canonical: CanonicalName,
    /// Element names as written, in order. Numbered dimensions have elements "1", "2", ...
    pub elements: Vec<String>,
    /// Where it is defined.
    pub span: Option<Span>,
}

impl Dimension {
    /// A dimension with these elements.
    pub fn new(name: impl Into<String>, elements: Vec<String>) -> Dimension {
        let name = name.into();
        Dimension { canonical: CanonicalName::new(&name), name, elements, span: None }
    }
}

/// The equation (and table) of one element of a variable that is not apply-to-all.
#[derive(Clone, Debug, PartialEq)]
pub struct ElementDefinition {
    /// One element name per dimension of the variable, as written.
    pub subscript: Vec<String>,
    /// The element's equation.
    pub equation: Option<Equation>,
    /// The element's own graphical function, if it has one.
    pub graph: Option<GraphicalFunction>,
    /// Where it is written.
    pub span: Option<Span>,
}

impl Model {
    /// The variable with this name (in any spelling), if there is one.
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        let canonical = CanonicalName::new(name);
        self.variables.iter().find(|variable| variable.canonical == canonical)
    }

    /// Mutable access to the variable with this name.
    pub fn variable_mut(&mut self, name: &str) -> Option<&mut Variable> {
        let canonical = CanonicalName::new(name);
        self.variables.iter_mut().find(|variable| variable.canonical == canonical)
    }
}

/// When and how to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct SimSpecs {
    /// Start time.
    pub start: f64,
    /// Stop time.
    pub stop: f64,
    /// Integration step.
    pub dt: f64,
    /// Interval between saved (reported) time points; `None` saves every step.
    pub save_step: Option<f64>,
    /// Integration method.
    pub method: Method,
    /// The precision values are stored and computed in.
    pub precision: Precision,
    /// Name of the time unit, e.g. "months".
    pub time_units: Option<String>,
    /// The calendar date of the start time, which the calendar measures of `GET_TIME_VALUE`
    /// count from (Vensim's time labeling in Model>Settings>Time Bounds).
    pub start_date: Option<CalendarDate>,
    /// Settings that a variable of the model computes during the run, as Vensim's `FINAL TIME`,
    /// `TIME STEP` and `SAVEPER` may be equations that change; such a setting's number above
    /// is not used.
    pub computed: ComputedSettings,
    /// Where each field was written, for diagnostics.
    pub spans: SimSpans,
}

/// The variables whose values, at each step of a run, give the stop time, the time step and
/// the save interval: a run ends at the first time whose next step would pass its stop time,
/// each step lasts the time step computed at its start, and a time is saved when it reaches
/// the last saved time plus the save interval computed then.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ComputedSettings {
    /// The variable giving the stop time.
    pub stop: Option<String>,
    /// The variable giving the time step.
    pub dt: Option<String>,
    /// The variable giving the save interval.
    pub save_step: Option<String>,
}

impl ComputedSettings {
    /// Whether every setting is a number (the time axis is fixed before the run).
    pub fn is_empty(&self) -> bool {
        self.stop.is_none() && self.dt.is_none() && self.save_step.is_none()
    }

    /// Each computed setting with its name in `[sim]` and the variable that computes it.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [("stop", &self.stop), ("dt", &self.dt), ("save_step", &self.save_step)]
            .into_iter()
            .filter_map(|(key, variable)| variable.as_deref().map(|variable| (key, variable)))
    }
}

impl Default for SimSpecs {
    fn default() -> SimSpecs {
        SimSpecs {
            start: 0.0,
            stop: 100.0,
            dt: 1.0,
            save_step: None,
            method: Method::Euler,
            precision: Precision::Double,
            time_units: None,
            start_date: None,
            computed: ComputedSettings::default(),
            spans: SimSpans::default(),
        }
    }
}

impl SimSpecs {
    /// The save interval actually used: `save_step`, or dt when none is given.
    pub fn effective_save_step(&self) -> f64 {
        self.save_step.unwrap_or(self.dt)
    }
}

/// Source positions of the simulation specs.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SimSpans {
    /// The `start` value.
    pub start: Option<Span>,
    /// The `stop` value.
    pub stop: Option<Span>,
    /// The `dt` value.
    pub dt: Option<Span>,
    /// The `save_step` value.
    pub save_step: Option<Span>,
    /// The `method` value.
    pub method: Option<Span>,
    /// The `precision` value.
    pub precision: Option<Span>,
    /// The `start_date` value.
    pub start_date: Option<Span>,
}

/// Integration methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Method {
    /// Euler's method: `stock(t+dt) = stock(t) + dt * net_flow(t)`, as Vensim and Stella do.
    #[default]
    Euler,
    /// Second-order Runge-Kutta (Heun's method).
    Rk2,
    /// Classic fourth-order Runge-Kutta.
    Rk4,
}

impl Method {
    /// The method's name in model files.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Euler => "euler",
            Method::Rk2 => "rk2",
            Method::Rk4 => "rk4",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Method {
    type Err = UnknownMethod;

    /// Case-insensitive: `euler`, `rk2`, `rk4`.
    fn from_str(text: &str) -> Result<Method, UnknownMethod> {
        match text.trim().to_ascii_lowercase().as_str() {
            "euler" => Ok(Method::Euler),
            "rk2" => Ok(Method::Rk2),
            "rk4" => Ok(Method::Rk4),
            _ => Err(UnknownMethod(text.to_owned())),
        }
    }
}

/// A method name that is not euler, rk2 or rk4.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("unknown integration method `{0}` (expected euler, rk2 or rk4)")]
pub struct UnknownMethod(pub String);

/// The floating-point precision a run stores and computes values in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Precision {
    /// IEEE double precision (`f64`): fulcrum's own arithmetic, and Stella's.
    #[default]
    Double,
    /// IEEE single precision (`f32`), as Vensim stores and computes values (all its editions
    /// but the double-precision build): every stored value and every arithmetic result is
    /// rounded to the nearest `f32`, so that runs match Vensim's to the bit far more often.
    Single,
}

impl Precision {
    /// The precision's name in model files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Double => "double",
            Precision::Single => "single",
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Precision {
    type Err = UnknownPrecision;

    /// Case-insensitive: `double`, `single`.
    fn from_str(text: &str) -> Result<Precision, UnknownPrecision> {
        match text.trim().to_ascii_lowercase().as_str() {
            "double" => Ok(Precision::Double),
            "single" => Ok(Precision::Single),
            _ => Err(UnknownPrecision(text.to_owned())),
        }
    }
}

/// A precision name that is not double or single.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("unknown precision `{0}` (expected double or single)")]
pub struct UnknownPrecision(pub String);

/// One variable of the model.
#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    /// The name as written in the model.
    pub name: String,
    /// The name in canonical form.
    pub canonical: CanonicalName,
    /// Stock, flow, auxiliary or graphical function.
    pub kind: VariableKind,
    /// The equation: a stock's initial value, a flow's or auxiliary's value, or the input of an
    /// embedded graphical function. `None` for a standalone graphical function, and for a stock
    /// whose file gave no initial value (a diagnostic).
    pub equation: Option<Equation>,
    /// A graphical function: embedded (applied to the equation's value) or standalone.
    pub graph: Option<GraphicalFunction>,
    /// Units, as written.
    pub units: Option<String>,
    /// Documentation.
    pub doc: Option<String>,
    /// The documented range of a constant: (min, max).
    pub range: Option<(f64, f64)>,
    /// Where the variable's name is defined in the file.
    pub span: Option<Span>,
    /// The dimensions of an arrayed variable, by name, in order; empty for a scalar.
    pub dimensions: Vec<String>,
    /// Where each of `dimensions` is written, when the reader knows (so a message about one
    /// points at it); may be shorter than `dimensions`.
    pub dimension_spans: Vec<Span>,
    /// Equations for single elements. An element without one takes `equation` (apply-to-all).
    pub elements: Vec<ElementDefinition>,
    /// A stock that behaves as a conveyor (XMILE 3.7.2): its outflows are driven by the belt.
    pub conveyor: Option<Conveyor>,
    /// A flow that is a conveyor's leakage (XMILE 4.3).
    pub leak: Option<Leak>,
    /// A stock that is a queue (XMILE 3.7.3): first in, first out, its outflows driven by what
    /// is downstream. Holds where `<queue/>` is written.
    pub queue: Option<Option<Span>>,
    /// A queue outflow that takes what a blocked higher-priority outflow leaves (`<overflow/>`).
    pub overflow: bool,
    /// Where a conveyor inflow puts what it brings on the belt (Stella's `isee:spreadflow`).
    pub spread: Spread,
    /// A flow that moves its stock by a whole amount within one step (the flow is that amount
    /// over the time step), which only Euler's method computes exactly: Vensim's SHIFT IF TRUE.
    pub whole_step: bool,
}

/// Where a conveyor inflow puts what it brings during a step (Stella's "spreading conveyor
/// inputs"). Position `k` of a belt `d` steps long is the material that leaves `k` steps later.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Spread {
    /// All of it at the start of the belt, to leave after the whole transit time (the default).
    #[default]
    Beginning,
    /// The same share at every position, `1/d` of it leaving at each of the next `d` steps.
    Even,
    /// At each position in proportion to what is there already; at the start when the belt is
    /// empty.
    Existing,
    /// For a leak of another conveyor: each leaked amount at the position that keeps the part of
    /// its journey still ahead of it (scaled when the belts' lengths differ).
    Source,
    /// By a profile, the graphical function of this name (Stella's `dist` with its
    /// `<isee:distrib_eq>`): position `k` takes a share in proportion to the function read at
    /// `k/d`, the part of the journey still ahead there (negative values count as 0); at the
    /// start when every weight is 0.
    Profile(String),
}

impl Spread {
    /// The `isee:spreadflow` word for it.
    pub fn word(&self) -> &'static str {
        match self {
            Spread::Beginning => "beginning",
            Spread::Even => "even",
            Spread::Existing => "dest",
            Spread::Source => "source",
            Spread::Profile(_) => "dist",
        }
    }

    /// The placement an `isee:spreadflow` word names, if fulcrum simulates it and it needs
    /// nothing more (`dist` needs its profile: see [`Spread::Profile`]).
    pub fn from_word(word: &str) -> Option<Spread> {
        [Spread::Beginning, Spread::Even, Spread::Existing, Spread::Source]
            .into_iter()
            .find(|spread| spread.word().eq_ignore_ascii_case(word.trim()))
    }
}

/// A conveyor's options (XMILE 4.2.1). Material entering at `t` leaves the transit time read at
/// `t` later; the stock's value is what is on the belt.
#[derive(Clone, Debug, PartialEq)]
pub struct Conveyor {
    /// The transit time (`<len>`), read when material enters. `None` when the file gave none
    /// (reported).
    pub transit_time: Option<Equation>,
    /// Most material on the belt (`<capacity>`); unlimited when absent.
    pub capacity: Option<Equation>,
    /// Most material entering per time unit (`<in_limit>`); unlimited when absent.
    pub inflow_limit: Option<Equation>,
    /// The transit time changes only at steps where this is true (`<sample>`); every step when
    /// absent.
    pub sample: Option<Equation>,
    /// While this is true (non-zero) the belt stands still and nothing enters or leaves
    /// (`<arrest>`).
    pub arrest: Option<Equation>,
    /// Only whole batches are taken from an upstream queue (`batch_integrity`).
    pub batch_integrity: bool,
    /// Only the front batch of an upstream queue is taken each step (`one_at_a_time`, the
    /// default), rather than as many as fit.
    pub one_at_a_time: bool,
    /// Batches rather than a stream: the initial contents sit at the start of each time unit.
    pub discrete: bool,
    /// Leakage is an exponential decay (the fraction leaks per time unit) rather than linear
    /// (the fraction of what entered leaks across the leak zone).
    pub exponential_leak: bool,
    /// The belt's speed follows the transit time read at each step (Vensim's DELAY CONVEYOR):
    /// everything on it moves `dt / transit time` of the way in the step, so a transit time that
    /// changes speeds up or slows down what is already on the belt. Otherwise (XMILE) material
    /// keeps the transit time it entered with.
    pub variable_speed: bool,
    /// Where the `<conveyor>` element is written.
    pub span: Option<Span>,
}

/// A conveyor leakage flow's options (XMILE 4.3).
#[derive(Clone, Debug, PartialEq)]
pub struct Leak {
    /// The leakage fraction; `None` for a flow marked `<leak/>` without one (reported).
    pub fraction: Option<Equation>,
    /// Start of the leak zone, as a fraction of the belt from the inflowing end.
    pub zone_start: f64,
    /// End of the leak zone, likewise.
    pub zone_end: f64,
    /// Leak whole numbers only.
    pub integers: bool,
    /// Where the `<leak>` element is written.
    pub span: Option<Span>,
}

impl Variable {
    /// A variable with nothing but a name and a kind.
    pub fn new(name: impl Into<String>, kind: VariableKind) -> Variable {
        let name = name.into();
        Variable {
            canonical: CanonicalName::new(&name),
            name,
            kind,
            equation: None,
            graph: None,
            units: None,
            doc: None,
            range: None,
            span: None,
            dimensions: Vec::new(),
            dimension_spans: Vec::new(),
            elements: Vec::new(),
            conveyor: None,
            leak: None,
            queue: None,
            overflow: false,
            spread: Spread::Beginning,
            whole_step: false,
        }
    }

    /// If this is a scalar constant (an auxiliary whose equation is a plain number), its value.
    pub fn constant_value(&self) -> Option<f64> {
        if self.kind != VariableKind::Auxiliary || self.graph.is_some() || !self.dimensions.is_empty() {
            return None;
        }
        self.equation.as_ref().and_then(Equation::literal_value)
    }

    /// Is this a constant: an auxiliary whose equation (every element's, for an array) is a plain
    /// number?
    pub fn is_constant(&self) -> bool {
        if self.kind != VariableKind::Auxiliary || self.graph.is_some() {
            return false;
        }
        let literal = |equation: &Option<Equation>| equation.as_ref().and_then(Equation::literal_value).is_some();
        if self.dimensions.is_empty() {
            return literal(&self.equation);
        }
        let elements_literal =
            self.elements.iter().all(|element| element.graph.is_none() && literal(&element.equation));
        elements_literal && (self.equation.is_none() && !self.elements.is_empty() || literal(&self.equation))
    }
}

/// What kind of variable.
#[derive(Clone, Debug, PartialEq)]
pub enum VariableKind {
    /// Accumulates its inflows minus its outflows.
    Stock {
        /// Flows into the stock.
        inflows: Vec<FlowLink>,
        /// Flows out of the stock, in priority order.
        outflows: Vec<FlowLink>,
        /// Outflows are limited so the stock never goes below zero.
        non_negative: bool,
    },
    /// A rate of change of stocks.
    Flow {
        /// A uniflow: never negative.
        non_negative: bool,
    },
    /// Any other computed value; a constant is an auxiliary whose equation is a number.
    Auxiliary,
    /// A standalone graphical function, called like a function: `name(x)`.
    GraphicalFunction,
}

impl VariableKind {
    /// A stock with these flows.
    pub fn stock(inflows: &[&str], outflows: &[&str], non_negative: bool) -> VariableKind {
        let links = |names: &[&str]| names.iter().map(|name| FlowLink::new(*name)).collect();
        VariableKind::Stock { inflows: links(inflows), outflows: links(outflows), non_negative }
    }
}

/// A stock's reference to one of its flows.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowLink {
    /// The flow's name as written.
    pub name: String,
    /// Canonical form.
    pub canonical: CanonicalName,
    /// Where the reference is written.
    pub span: Option<Span>,
}

impl FlowLink {
    /// A link to the flow with this name.
    pub fn new(name: impl Into<String>) -> FlowLink {
        let name = name.into();
        FlowLink { canonical: CanonicalName::new(&name), name, span: None }
    }
}

/// An equation's text, its parse, and where it sits in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Equation {
    /// The text as written.
    pub text: String,
    /// The parsed expression, or why it did not parse.
    pub expr: Result<Expr, SyntaxError>,
    /// Where the equation is in the file.
    pub origin: Origin,
}

/// How an equation's own byte offsets map onto the file.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Origin {
    /// The whole value in the file (quotes included), if known.
    pub span: Option<Span>,
    /// The file offset of the equation's first byte, when the file holds the text verbatim (no
    /// escapes), so positions inside the equation map exactly.
    pub text_offset: Option<usize>,
}

impl Equation {
    /// Parses `text`; `origin` says where it came from.
    pub fn new(text: impl Into<String>, origin: Origin) -> Equation {
        let text = text.into();
        let expr = syntax::parse(&text);
        Equation { text, expr, origin }
    }

    /// Stands in for a value the reader could not read as an equation (and has reported), so
    /// that later stages neither use it nor report it again.
    pub fn unreadable(origin: Origin) -> Equation {
        let expr = Err(SyntaxError { kind: syntax::SyntaxErrorKind::Unreadable, span: Span::default() });
        Equation { text: String::new(), expr, origin }
    }

    /// An equation that is just a number.
    pub fn number(value: f64) -> Equation {
        Equation::new(syntax::format_number(value), Origin::default())
    }

    /// The file span of a span inside the equation: exact when the text is verbatim in the
    /// file, else the whole value.
    pub fn locate(&self, inner: Span) -> Option<Span> {
        match self.origin.text_offset {
            Some(offset) => Some(inner.shifted(offset)),
            None => self.origin.span,
        }
    }

    /// If the equation is a plain number (optionally negated), its value.
    pub fn literal_value(&self) -> Option<f64> {
        let expr = self.expr.as_ref().ok()?;
        match &expr.kind {
            ExprKind::Number(value) => Some(*value),
            ExprKind::Unary { op: UnaryOp::Negate, operand } => match operand.kind {
                ExprKind::Number(value) => Some(-value),
                _ => None,
            },
            _ => None,
        }
    }
}

/// A lookup table: y as a function of x.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphicalFunction {
    /// How to read between and beyond the points.
    pub kind: GraphKind,
    /// Strictly increasing x values.
    pub x: Vec<f64>,
    /// One y per x.
    pub y: Vec<f64>,
    /// Where the table is written.
    pub span: Option<Span>,
}

impl GraphicalFunction {
    /// Evenly spaced x from `x_min` to `x_max`, one per y value (XMILE's `xscale`).
    pub fn from_scale(kind: GraphKind, x_min: f64, x_max: f64, y: Vec<f64>) -> GraphicalFunction {
        let count = y.len();
        let x = match count {
            0 => Vec::new(),
            1 => vec![x_min],
            _ => {
                let step = (x_max - x_min) / (count - 1) as f64;
                (0..count).map(|i| if i + 1 == count { x_max } else { x_min + step * i as f64 }).collect()
            }
        };
        GraphicalFunction { kind, x, y, span: None }
    }

    /// What is wrong with the points, if anything.
    pub fn problem(&self) -> Option<String> {
        if self.x.is_empty() {
            return Some("there are no points".to_owned());
        }
        if self.x.len() != self.y.len() {
            return Some(format!("there are {} x values but {} y values", self.x.len(), self.y.len()));
        }
        if let Some(value) = self.x.iter().chain(&self.y).find(|v| !v.is_finite()) {
            return Some(format!("{value} is not a finite number"));
        }
        if let Some(pair) = self.x.windows(2).find(|pair| pair[0] >= pair[1]) {
            return Some(format!("x values must increase, but {} is followed by {}", pair[0], pair[1]));
        }
        None
    }
}

/// How a graphical function reads between and beyond its points (XMILE section 3.1.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum GraphKind {
    /// Linear between points; the end values beyond them.
    #[default]
    Continuous,
    /// Linear between points; linear extrapolation from the last two points beyond them.
    Extrapolate,
    /// A step function: the value at the next lower x; the end values beyond them.
    Discrete,
}

impl GraphKind {
    /// The name used in model files.
    pub fn as_str(self) -> &'static str {
        match self {
            GraphKind::Continuous => "continuous",
            GraphKind::Extrapolate => "extrapolate",
            GraphKind::Discrete => "discrete",
        }
    }

    /// Reads a kind name, case-insensitively.
    pub fn parse(text: &str) -> Option<GraphKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "continuous" => Some(GraphKind::Continuous),
            "extrapolate" => Some(GraphKind::Extrapolate),
            "discrete" => Some(GraphKind::Discrete),
            _ => None,
        }
    }
}
