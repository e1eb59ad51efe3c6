//! Stateful built-ins become hidden variables: SMTH1/3/N and DELAY1/3/N are chains of stocks,
//! TREND and FORCST an averaging stock (XMILE 3.5.3), NPV a discount factor and an accumulation
//! (Vensim's definition). The integrator advances them like any other stock; no special state is
//! needed at run time.

use super::expr::{DelayId, Distribution, Expr, Family, Function, VarId};
use super::lower::Lowering;
use super::{PipelineDelay, ResolvedKind, ResolvedVariable};
use crate::builtins::Builtin;
use crate::model::Dialect;
use crate::syntax::BinaryOp;

impl Lowering<'_, '_> {
    /// SMTH1/3/N, DELAY1/3/N, TREND and FORCST become chains of hidden stocks and flows (XMILE
    /// section 3.5.3), integrated like any other stock.
    pub(super) fn lower_stateful(
        &mut self,
        owner: VarId,
        builtin: Builtin,
        args: Vec<Expr>,
        order: Option<usize>,
    ) -> Option<Expr> {
        let mut args = args.into_iter();
        let mut next = || args.next();
        let input = next().unwrap_or(Expr::Const(0.0));
        let time = next().unwrap_or(Expr::Const(1.0));
        let label = builtin.name();
        let output = match builtin {
            Builtin::Smth1 | Builtin::Smth3 | Builtin::SmthN => {
                let order = order.unwrap_or(if builtin == Builtin::Smth1 { 1 } else { 3 });
                if builtin == Builtin::SmthN {
                    next();
                }
                let input = self.simple(owner, &format!("{label} input"), input);
                let initial = next().unwrap_or_else(|| input.clone());
                let stage_time = self.stage_time(owner, &label, time, order);
                let mut upstream = input;
                for stage in 1..=order {
                    let stock = self.hidden_id(owner, format!("{label} stage {stage}"));
                    let change = Expr::Binary(
                        BinaryOp::Div,
                        Box::new(Expr::Binary(BinaryOp::Sub, Box::new(upstream), Box::new(Expr::Var(stock)))),
                        Box::new(stage_time.clone()),
                    );
                    let flow = self.hidden(
                        owner,
                        format!("{label} stage {stage} change"),
                        ResolvedKind::Flow { equation: change, non_negative: false },
                    );
                    self.set_kind(
                        stock,
                        ResolvedKind::Stock {
                            initial: initial.clone(),
                            inflows: vec![flow],
                            outflows: vec![],
                            non_negative: false,
                        },
                    );
                    upstream = Expr::Var(stock);
                }
                upstream
            }
            Builtin::DelayN if self.model.dialect == Dialect::Vensim => {
                next();
                let initial = next();
                return Some(self.vensim_delay_n(owner, input, time, initial, order.unwrap_or(1)));
            }
            Builtin::Delay1 | Builtin::Delay3 | Builtin::DelayN => {
                let order = order.unwrap_or(if builtin == Builtin::Delay1 { 1 } else { 3 });
                if builtin == Builtin::DelayN {
                    next();
                }
                let input = self.simple(owner, &format!("{label} input"), input);
                let stage_time = self.stage_time(owner, &label, time, order);
                // The optional initial value is the initial outflow; each stage holds that rate
                // times its share of the delay.
                let initial_rate = next().unwrap_or_else(|| input.clone());
                let initial = Expr::Binary(BinaryOp::Mul, Box::new(initial_rate), Box::new(stage_time.clone()));
                let mut inflow = self.hidden(
                    owner,
                    format!("{label} inflow"),
                    ResolvedKind::Flow { equation: input, non_negative: false },
                );
                for stage in 1..=order {
                    let stock = self.hidden_id(owner, format!("{label} stage {stage}"));
                    let outflow_equation =
                        Expr::Binary(BinaryOp::Div, Box::new(Expr::Var(stock)), Box::new(stage_time.clone()));
                    let outflow = self.hidden(
                        owner,
                        format!("{label} stage {stage} outflow"),
                        ResolvedKind::Flow { equation: outflow_equation, non_negative: false },
                    );
                    self.set_kind(
                        stock,
                        ResolvedKind::Stock {
                            initial: initial.clone(),
                            inflows: vec![inflow],
                            outflows: vec![outflow],
                            non_negative: false,
                        },
                    );
                    inflow = outflow;
                }
                Expr::Var(inflow)
            }
            Builtin::Trend | Builtin::Forcst => {
                let horizon = if builtin == Builtin::Forcst { next() } else { None };
                let initial_trend = next().unwrap_or(Expr::Const(0.0));
                let input = self.simple(owner, &format!("{label} input"), input);
                let time = self.simple(owner, &format!("{label} averaging time"), time);
                // The average starts where the initial trend says it would have been.
                let initial = Expr::Binary(
                    BinaryOp::Div,
                    Box::new(input.clone()),
                    Box::new(Expr::Binary(
                        BinaryOp::Add,
                        Box::new(Expr::Const(1.0)),
                        Box::new(Expr::Binary(BinaryOp::Mul, Box::new(time.clone()), Box::new(initial_trend))),
                    )),
                );
                let average = self.hidden_id(owner, format!("{label} average"));
                let gap = Expr::Binary(BinaryOp::Sub, Box::new(input.clone()), Box::new(Expr::Var(average)));
                let change = Expr::Binary(BinaryOp::Div, Box::new(gap.clone()), Box::new(time.clone()));
                let flow = self.hidden(
                    owner,
                    format!("{label} average change"),
                    ResolvedKind::Flow { equation: change, non_negative: false },
                );
                self.set_kind(
                    average,
                    ResolvedKind::Stock { initial, inflows: vec![flow], outflows: vec![], non_negative: false },
                );
                // Fractional change per unit time; zero while the average is zero.
                let scale = Expr::Binary(
                    BinaryOp::Mul,
                    Box::new(time),
                    Box::new(Expr::Apply(Function::Abs, vec![Expr::Var(average)])),
                );
                let trend = Expr::Apply(Function::SafeDiv, vec![gap, scale, Expr::Const(0.0)]);
                match horizon {
                    None => trend,
                    Some(horizon) => Expr::Binary(
                        BinaryOp::Mul,
                        Box::new(input),
                        Box::new(Expr::Binary(
                            BinaryOp::Add,
                            Box::new(Expr::Const(1.0)),
                            Box::new(Expr::Binary(BinaryOp::Mul, Box::new(trend), Box::new(horizon))),
                        )),
                    ),
                }
            }
            Builtin::Npv | Builtin::Npve => {
                // Vensim's definition: a discount factor that starts at 1 and falls at
                // rate / (1 + rate * dt), and the discounted stream accumulated from the initial
                // value; the current period's value is added at its own discount. NPVE values the
                // stream at the end of each period: its factor starts one period lower, at
                // 1 / (1 + rate * dt).
                let rate = time;
                let initial = next().unwrap_or(Expr::Const(0.0));
                let factor = next().unwrap_or(Expr::Const(1.0));
                let stream = self.simple(owner, "NPV stream", input);
                let rate = self.simple(owner, "NPV discount rate", rate);
                let discount = self.hidden_id(owner, "NPV discount factor".to_owned());
                let per_step = Expr::Binary(
                    BinaryOp::Add,
                    Box::new(Expr::Const(1.0)),
                    Box::new(Expr::Binary(BinaryOp::Mul, Box::new(rate.clone()), Box::new(Expr::Dt))),
                );
                let fall = Expr::Binary(
                    BinaryOp::Div,
                    Box::new(Expr::Binary(BinaryOp::Mul, Box::new(Expr::Var(discount)), Box::new(rate))),
                    Box::new(per_step.clone()),
                );
                let fall = self.hidden(
                    owner,
                    "NPV discount factor fall".to_owned(),
                    ResolvedKind::Flow { equation: fall, non_negative: false },
                );
                let first_factor = match builtin {
                    Builtin::Npve => {
                        Expr::Binary(BinaryOp::Div, Box::new(Expr::Const(1.0)), Box::new(per_step.clone()))
                    }
                    _ => Expr::Const(1.0),
                };
                self.set_kind(
                    discount,
                    ResolvedKind::Stock {
                        initial: first_factor,
                        inflows: vec![],
                        outflows: vec![fall],
                        non_negative: false,
                    },
                );
                let discounted = Expr::Binary(BinaryOp::Mul, Box::new(stream.clone()), Box::new(Expr::Var(discount)));
                let discounted = self.hidden(
                    owner,
                    "NPV discounted stream".to_owned(),
                    ResolvedKind::Flow { equation: discounted, non_negative: false },
                );
                let accumulated = self.hidden(
                    owner,
                    "NPV accumulated".to_owned(),
                    ResolvedKind::Stock { initial, inflows: vec![discounted], outflows: vec![], non_negative: false },
                );
                let current = Expr::Binary(BinaryOp::Mul, Box::new(Expr::Var(discounted)), Box::new(Expr::Dt));
                Expr::Binary(
                    BinaryOp::Mul,
                    Box::new(Expr::Var(accumulated).then(BinaryOp::Add, current)),
                    Box::new(factor),
                )
            }
            _ => return self.misrouted(owner, builtin),
        };
        Some(output)
    }

    /// Vensim's RANDOM PINK NOISE (Ed Anderson's structure): a stock that starts at a normal draw
    /// of the mean and standard deviation and moves toward white noise over the correlation
    /// time. The white noise is widened by sqrt((2 - dt/τ) τ/dt), which makes the stock's
    /// stationary standard deviation exactly `sd` under Euler integration, whatever dt and τ.
    /// Both normal draws are truncated at ±6 standard deviations, as Vensim's are.
    pub(super) fn lower_pink_noise(&mut self, owner: VarId, args: Vec<Expr>, seed: Option<u64>) -> Option<Expr> {
        let mut args = args.into_iter();
        let mean = self.simple(owner, "pink noise mean", args.next()?);
        let sd = self.simple(owner, "pink noise sd", args.next()?);
        let time = self.simple(owner, "pink noise correlation time", args.next()?);
        let standard_normal = |lowering: &mut Self| {
            let bounds = [-6.0, 6.0, 0.0, 1.0].map(Expr::Const).to_vec();
            lowering.draw(Distribution::Truncated(Family::Normal), bounds, seed)
        };
        let binary = |op: BinaryOp, a: Expr, b: Expr| Expr::Binary(op, Box::new(a), Box::new(b));
        let start = binary(BinaryOp::Add, mean.clone(), binary(BinaryOp::Mul, sd.clone(), standard_normal(self)));
        let steps_per_time = binary(BinaryOp::Div, Expr::Dt, time.clone());
        let widening = Expr::Apply(
            Function::Sqrt,
            vec![binary(
                BinaryOp::Div,
                binary(BinaryOp::Sub, Expr::Const(2.0), steps_per_time.clone()),
                steps_per_time,
            )],
        );
        let white = binary(
            BinaryOp::Add,
            mean,
            binary(BinaryOp::Mul, binary(BinaryOp::Mul, standard_normal(self), sd), widening),
        );
        let white = self.simple(owner, "pink noise white noise", white);
        let noise = self.hidden_id(owner, "pink noise".to_owned());
        let change = binary(BinaryOp::Div, binary(BinaryOp::Sub, white, Expr::Var(noise)), time);
        let change = self.hidden(
            owner,
            "pink noise change".to_owned(),
            ResolvedKind::Flow { equation: change, non_negative: false },
        );
        self.set_kind(
            noise,
            ResolvedKind::Stock { initial: start, inflows: vec![change], outflows: vec![], non_negative: false },
        );
        Some(Expr::Var(noise))
    }

    /// Vensim's DELAY N carries the delay time with the material: stage k drains with the
    /// delay time of k - 1 steps ago, and the output divides the last stage by the delay time
    /// of one step ago (as PySD reproduces it). With a constant delay time this is the XMILE
    /// DELAYN exactly.
    fn vensim_delay_n(&mut self, owner: VarId, input: Expr, time: Expr, initial: Option<Expr>, order: usize) -> Expr {
        let input = self.simple(owner, "DELAYN input", input);
        let time = self.as_variable(owner, "DELAYN time", time);
        let initial_rate = initial.unwrap_or_else(|| input.clone());
        let order_value = Expr::Const(order as f64);
        // The delay time as it was `steps` steps ago; its initial value before the start.
        let time_ago = |lowering: &mut Self, steps: usize| -> Expr {
            if steps == 0 {
                return Expr::Var(time);
            }
            let delay_time = Expr::Binary(BinaryOp::Mul, Box::new(Expr::Const(steps as f64)), Box::new(Expr::Dt));
            let id = DelayId(lowering.out.delays.len() as u32);
            lowering.out.delays.push(PipelineDelay {
                input: time,
                delay_time,
                initial: Expr::Init(time),
                material: None,
            });
            Expr::Delayed(id)
        };
        // Each stage holds its outflow rate times its share of the delay.
        let stage_share = Expr::Binary(BinaryOp::Div, Box::new(Expr::Init(time)), Box::new(order_value.clone()));
        let initial_level = Expr::Binary(BinaryOp::Mul, Box::new(initial_rate), Box::new(stage_share));
        let mut inflow =
            self.hidden(owner, "DELAYN inflow".to_owned(), ResolvedKind::Flow { equation: input, non_negative: false });
        let mut last_stock = None;
        for stage in 1..=order {
            let stock = self.hidden_id(owner, format!("DELAYN stage {stage}"));
            let stage_time = time_ago(self, stage - 1);
            let rate = Expr::Binary(BinaryOp::Div, Box::new(order_value.clone()), Box::new(stage_time));
            let outflow_equation = Expr::Binary(BinaryOp::Mul, Box::new(Expr::Var(stock)), Box::new(rate));
            let outflow = self.hidden(
                owner,
                format!("DELAYN stage {stage} outflow"),
                ResolvedKind::Flow { equation: outflow_equation, non_negative: false },
            );
            let kind = ResolvedKind::Stock {
                initial: initial_level.clone(),
                inflows: vec![inflow],
                outflows: vec![outflow],
                non_negative: false,
            };
            self.set_kind(stock, kind);
            inflow = outflow;
            last_stock = Some(stock);
        }
        let Some(last_stock) = last_stock else { return Expr::Const(f64::NAN) };
        let output_time = time_ago(self, 1);
        let rate = Expr::Binary(BinaryOp::Div, Box::new(order_value), Box::new(output_time));
        Expr::Binary(BinaryOp::Mul, Box::new(Expr::Var(last_stock)), Box::new(rate))
    }

    /// Averaging or delay time per stage of an n-stage chain.
    fn stage_time(&mut self, owner: VarId, label: &str, time: Expr, order: usize) -> Expr {
        let time = self.simple(owner, &format!("{label} time"), time);
        if order == 1 {
            return time;
        }
        let per_stage = Expr::Binary(BinaryOp::Div, Box::new(time), Box::new(Expr::Const(order as f64)));
        self.simple(owner, &format!("{label} stage time"), per_stage)
    }

    /// A variable or constant stays as it is; anything else becomes a hidden auxiliary so that
    /// it is computed once per evaluation however often it is read.
    pub(super) fn simple(&mut self, owner: VarId, label: &str, expr: Expr) -> Expr {
        match expr {
            Expr::Var(_) | Expr::Const(_) | Expr::Time | Expr::Dt => expr,
            other => Expr::Var(self.hidden(owner, label.to_owned(), ResolvedKind::Auxiliary(other))),
        }
    }

    pub(super) fn as_variable(&mut self, owner: VarId, label: &str, expr: Expr) -> VarId {
        match expr {
            Expr::Var(id) => id,
            other => self.hidden(owner, label.to_owned(), ResolvedKind::Auxiliary(other)),
        }
    }

    fn hidden(&mut self, owner: VarId, role: String, kind: ResolvedKind) -> VarId {
        let id = self.hidden_id(owner, role);
        self.set_kind(id, kind);
        id
    }

    /// A new hidden variable whose kind is set later (stocks need their own id in their flows).
    pub(super) fn hidden_id(&mut self, owner: VarId, role: String) -> VarId {
        let id = VarId::from_index(self.out.variables.len());
        let owner_variable = &self.out.variables[owner.index()];
        let name = format!("{} [{role}]", owner_variable.name);
        let definition = owner_variable.definition;
        self.out.variables.push(ResolvedVariable {
            name,
            owner: Some(owner),
            definition,
            kind: ResolvedKind::Constant(f64::NAN),
        });
        id
    }

    pub(super) fn set_kind(&mut self, id: VarId, kind: ResolvedKind) {
        self.out.variables[id.index()].kind = kind;
    }
}
