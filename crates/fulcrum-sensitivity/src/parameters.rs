//! The parameters a sensitivity analysis varies: the experiment's uncertain constants (over
//! their distributions) and its levers (uniformly over their ranges), optionally grouped.

use fulcrum_explore::experiment::Plan;
use fulcrum_explore::{Distribution, FactorKind};
use fulcrum_sim::CompiledModel;

/// One varied constant.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// Its name, as the experiment writes it.
    pub name: String,
    /// Its position among the compiled model's constants.
    pub constant: usize,
    /// How it is spread: a point `u` of the unit interval maps to `distribution.quantile(u)`.
    pub distribution: Distribution,
    /// Its value when it is not varied: a lever's baseline, else the model's value.
    pub baseline: f64,
    /// Whether it is a lever (something we control) rather than an uncertainty.
    pub lever: bool,
    /// A lever that is a switch (a changes file, applied at 1 and not at 0): it moves between
    /// its two values, not by a percentage, and is drawn as one of them.
    pub switch: bool,
}

impl Parameter {
    /// The low and high ends used one at a time: the support of a bounded distribution, the
    /// 5th and 95th percentiles of an unbounded one (normal, log-normal).
    pub fn range(&self) -> (f64, f64) {
        match &self.distribution {
            Distribution::Uniform { min, max }
            | Distribution::Triangular { min, max, .. }
            | Distribution::LogUniform { min, max }
            | Distribution::Beta { min, max, .. }
            | Distribution::Normal { bounds: Some((min, max)), .. } => (*min, *max),
            Distribution::Discrete { values, .. } => (
                values.iter().copied().fold(f64::INFINITY, f64::min),
                values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ),
            Distribution::Normal { bounds: None, .. } | Distribution::LogNormal { .. } => {
                (self.distribution.quantile(0.05), self.distribution.quantile(0.95))
            }
        }
    }
}

impl Parameter {
    /// Whether the distribution has finite ends (not a normal without bounds or a log-normal).
    pub fn bounded(&self) -> bool {
        !matches!(self.distribution, Distribution::Normal { bounds: None, .. } | Distribution::LogNormal { .. })
    }

    /// The value at point `u` of a grid that includes 0 and 1 (Morris's): the distribution's
    /// quantile for bounded distributions; for unbounded ones the grid spans the 5th to 95th
    /// percentiles, as [`Parameter::range`] does, instead of reaching dozens of standard
    /// deviations out at the ends.
    pub fn grid_value(&self, u: f64) -> f64 {
        if self.bounded() { self.distribution.quantile(u) } else { self.distribution.quantile(0.05 + 0.9 * u) }
    }
}

/// The parameters of a plan: uncertain constants in the experiment's order, then levers.
/// Grid axes are not parameters (a sensitivity method samples its own design).
pub fn parameters(plan: &Plan, model: &CompiledModel) -> Vec<Parameter> {
    let uncertain = plan.design.factors.iter().filter_map(|factor| match &factor.kind {
        FactorKind::Uncertain(distribution) => Some(Parameter {
            name: factor.name.clone(),
            constant: factor.constant,
            distribution: distribution.clone(),
            baseline: model.constants()[factor.constant].default,
            lever: false,
            switch: false,
        }),
        FactorKind::Values(_) => None,
    });
    let levers = plan.levers.iter().map(|lever| Parameter {
        name: lever.name.clone(),
        constant: lever.constant,
        distribution: if lever.switch {
            // Not applied or applied, equally likely.
            Distribution::Discrete { values: vec![lever.min, lever.max], cumulative: vec![0.5, 1.0] }
        } else {
            Distribution::Uniform { min: lever.min, max: lever.max }
        },
        baseline: lever.baseline,
        lever: true,
        switch: lever.switch,
    });
    uncertain.chain(levers).collect()
}

/// Parameters grouped for analysis: each group moves as one.
#[derive(Clone, Debug, PartialEq)]
pub struct Groups {
    /// Each group's name (a parameter's own name when it is alone).
    pub names: Vec<String>,
    /// The group of each parameter.
    pub of: Vec<usize>,
}

impl Groups {
    /// One group per parameter.
    pub fn each(parameters: &[Parameter]) -> Groups {
        Groups { names: parameters.iter().map(|p| p.name.clone()).collect(), of: (0..parameters.len()).collect() }
    }

    /// Named groups of parameters (by name, case and spacing folded); parameters not named
    /// in any group stay on their own. An error names a parameter that does not exist or
    /// is in two groups.
    pub fn named(parameters: &[Parameter], groups: &[(String, Vec<String>)]) -> Result<Groups, String> {
        let fold = |name: &str| fulcrum_model::CanonicalName::new(name);
        let mut assigned: Vec<Option<usize>> = vec![None; parameters.len()];
        for (group, (group_name, members)) in groups.iter().enumerate() {
            for member in members {
                let Some(index) = parameters.iter().position(|p| fold(&p.name) == fold(member)) else {
                    let known: Vec<&str> = parameters.iter().map(|p| p.name.as_str()).collect();
                    return Err(format!(
                        "group `{group_name}`: `{member}` is not an uncertain constant or lever of the experiment ({})",
                        known.join(", ")
                    ));
                };
                if let Some(other) = assigned[index] {
                    return Err(format!("`{member}` is in two groups: `{}` and `{group_name}`", groups[other].0));
                }
                assigned[index] = Some(group);
            }
        }
        for (index, (name, _)) in groups.iter().enumerate() {
            if name.contains(':') {
                return Err(format!("group `{name}`: a group name cannot contain `:` (it separates pairs in S2 rows)"));
            }
            if groups[..index].iter().any(|(other, _)| fold(other) == fold(name)) {
                return Err(format!("two groups are named `{name}`"));
            }
            if let Some(clash) = parameters.iter().position(|p| fold(&p.name) == fold(name))
                && assigned[clash] != Some(index)
            {
                return Err(format!(
                    "group `{name}` has the name of the parameter `{}`, which is not in it",
                    parameters[clash].name
                ));
            }
        }
        // Groups first, in the order given, then the parameters left alone.
        let mut names: Vec<String> = groups.iter().map(|(name, _)| name.clone()).collect();
        let mut of = vec![0; parameters.len()];
        for (index, parameter) in parameters.iter().enumerate() {
            of[index] = match assigned[index] {
                Some(group) => group,
                None => {
                    names.push(parameter.name.clone());
                    names.len() - 1
                }
            };
        }
        Ok(Groups { names, of })
    }

    /// How many groups.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The parameters of group `group`.
    pub fn members(&self, group: usize) -> impl Iterator<Item = usize> + '_ {
        self.of.iter().enumerate().filter(move |(_, g)| **g == group).map(|(index, _)| index)
    }
}
