//! Building models in code: for tests, benchmarks and programs that generate models.
//!
//! ```
//! use fulcrum_model::builder::ModelBuilder;
//! let model = ModelBuilder::new(0.0, 10.0, 0.25)
//!     .stock("Population", "100", &["Births"], &[])
//!     .flow("Births", "Population * Birth_Rate")
//!     .constant("Birth Rate", 0.03)
//!     .build();
//! assert!(fulcrum_model::resolve(&model).is_ok());
//! ```

use crate::model::{
    Conveyor, Dialect, Dimension, ElementDefinition, Equation, GraphKind, GraphicalFunction, Leak, Method, Model,
    Origin, SimSpecs, Spread, Variable, VariableKind,
};

/// Builds a [`Model`] one variable at a time.
#[derive(Clone, Debug)]
pub struct ModelBuilder {
    model: Model,
}

impl ModelBuilder {
    /// A model running from `start` to `stop` in steps of `dt`, with Euler integration.
    pub fn new(start: f64, stop: f64, dt: f64) -> ModelBuilder {
        let sim = SimSpecs { start, stop, dt, ..SimSpecs::default() };
        ModelBuilder {
            model: Model {
                name: None,
                doc: None,
                sim,
                variables: Vec::new(),
                dimensions: Vec::new(),
                strings: Vec::new(),
                dialect: Dialect::Xmile,
                unit_definitions: Vec::new(),
            },
        }
    }

    /// Sets the integration method.
    pub fn method(mut self, method: Method) -> ModelBuilder {
        self.model.sim.method = method;
        self
    }

    /// Sets the precision runs compute in.
    pub fn precision(mut self, precision: crate::model::Precision) -> ModelBuilder {
        self.model.sim.precision = precision;
        self
    }

    /// Saves every `save_step` instead of every dt.
    pub fn save_step(mut self, save_step: f64) -> ModelBuilder {
        self.model.sim.save_step = Some(save_step);
        self
    }

    /// Adds a stock.
    pub fn stock(self, name: &str, initial: &str, inflows: &[&str], outflows: &[&str]) -> ModelBuilder {
        self.variable(name, VariableKind::stock(inflows, outflows, false), Some(initial))
    }

    /// Adds a stock that never goes below zero.
    pub fn non_negative_stock(self, name: &str, initial: &str, inflows: &[&str], outflows: &[&str]) -> ModelBuilder {
        self.variable(name, VariableKind::stock(inflows, outflows, true), Some(initial))
    }

    /// Adds a flow.
    pub fn flow(self, name: &str, equation: &str) -> ModelBuilder {
        self.variable(name, VariableKind::Flow { non_negative: false }, Some(equation))
    }

    /// Adds a flow clamped at zero (a uniflow).
    pub fn uniflow(self, name: &str, equation: &str) -> ModelBuilder {
        self.variable(name, VariableKind::Flow { non_negative: true }, Some(equation))
    }

    /// Adds an auxiliary.
    pub fn aux(self, name: &str, equation: &str) -> ModelBuilder {
        self.variable(name, VariableKind::Auxiliary, Some(equation))
    }

    /// Adds a constant.
    pub fn constant(mut self, name: &str, value: f64) -> ModelBuilder {
        let mut variable = Variable::new(name, VariableKind::Auxiliary);
        variable.equation = Some(Equation::number(value));
        self.model.variables.push(variable);
        self
    }

    /// Adds a standalone graphical function, called as `name(x)`.
    pub fn graph(mut self, name: &str, kind: GraphKind, x: &[f64], y: &[f64]) -> ModelBuilder {
        let mut variable = Variable::new(name, VariableKind::GraphicalFunction);
        variable.graph = Some(GraphicalFunction { kind, x: x.to_vec(), y: y.to_vec(), span: None });
        self.model.variables.push(variable);
        self
    }

    /// Uses another tool's conventions.
    pub fn dialect(mut self, dialect: Dialect) -> ModelBuilder {
        self.model.dialect = dialect;
        self
    }

    /// Adds a dimension.
    pub fn dimension(mut self, name: &str, elements: &[&str]) -> ModelBuilder {
        self.model.dimensions.push(Dimension::new(name, elements.iter().map(|e| (*e).to_owned()).collect()));
        self
    }

    /// Makes the last variable added an array over these dimensions.
    pub fn over(mut self, dimensions: &[&str]) -> ModelBuilder {
        if let Some(variable) = self.model.variables.last_mut() {
            variable.dimensions = dimensions.iter().map(|d| (*d).to_owned()).collect();
        }
        self
    }

    /// Gives one element of the last variable added its own equation.
    pub fn element(mut self, subscript: &[&str], equation: &str) -> ModelBuilder {
        if let Some(variable) = self.model.variables.last_mut() {
            variable.elements.push(ElementDefinition {
                subscript: subscript.iter().map(|e| (*e).to_owned()).collect(),
                equation: Some(Equation::new(equation, Origin::default())),
                graph: None,
                span: None,
            });
        }
        self
    }

    /// Makes the last variable added (a stock) a conveyor with this transit time; its outflows
    /// need no equations.
    pub fn conveyor(mut self, transit_time: &str) -> ModelBuilder {
        if let Some(variable) = self.model.variables.last_mut() {
            variable.conveyor = Some(Conveyor {
                transit_time: Some(Equation::new(transit_time, Origin::default())),
                capacity: None,
                inflow_limit: None,
                arrest: None,
                sample: None,
                batch_integrity: false,
                one_at_a_time: true,
                discrete: false,
                exponential_leak: false,
                variable_speed: false,
                span: None,
            });
        }
        self
    }

    /// Changes the options of the last variable added's conveyor.
    pub fn conveyor_options(mut self, change: impl FnOnce(&mut Conveyor)) -> ModelBuilder {
        if let Some(conveyor) = self.model.variables.last_mut().and_then(|v| v.conveyor.as_mut()) {
            change(conveyor);
        }
        self
    }

    /// Adds a conveyor leakage flow with this fraction over the zone `[start, end]`.
    pub fn leak(mut self, name: &str, fraction: &str, zone_start: f64, zone_end: f64) -> ModelBuilder {
        let mut variable = Variable::new(name, VariableKind::Flow { non_negative: false });
        variable.leak = Some(Leak {
            fraction: Some(Equation::new(fraction, Origin::default())),
            zone_start,
            zone_end,
            integers: false,
            span: None,
        });
        self.model.variables.push(variable);
        self
    }

    /// Sets where the last variable added (a conveyor inflow) puts what it brings on the belt.
    pub fn spread(mut self, spread: Spread) -> ModelBuilder {
        if let Some(variable) = self.model.variables.last_mut() {
            variable.spread = spread;
        }
        self
    }

    /// Makes the last variable added (a stock) a queue; its outflows need no equations.
    pub fn queue(mut self) -> ModelBuilder {
        if let Some(variable) = self.model.variables.last_mut() {
            variable.queue = Some(None);
        }
        self
    }

    /// Adds a queue's overflow: it takes what a blocked higher-priority outflow leaves.
    pub fn overflow(mut self, name: &str) -> ModelBuilder {
        let mut variable = Variable::new(name, VariableKind::Flow { non_negative: false });
        variable.overflow = true;
        self.model.variables.push(variable);
        self
    }

    /// Adds a conveyor's outflow: what reaches the end of the belt.
    pub fn conveyor_outflow(mut self, name: &str) -> ModelBuilder {
        self.model.variables.push(Variable::new(name, VariableKind::Flow { non_negative: false }));
        self
    }

    /// The model.
    pub fn build(self) -> Model {
        self.model
    }

    fn variable(mut self, name: &str, kind: VariableKind, equation: Option<&str>) -> ModelBuilder {
        let mut variable = Variable::new(name, kind);
        variable.equation = equation.map(|text| Equation::new(text, Origin::default()));
        self.model.variables.push(variable);
        self
    }
}
