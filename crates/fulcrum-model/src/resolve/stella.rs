//! Stella's financial and statistical functions, and the optional trailing arguments of its
//! random functions (`seed`, `min`, `max`, `sample`), lowered onto the resolved expressions the
//! simulator already runs: closed forms for FV, PV and PMT, the normal distribution function and
//! its inverse, Vensim's NPVE for Stella's NPV, and the truncated families of Vensim's RANDOM
//! functions for the draws.

use super::expr::{Distribution, Expr, Family, Function, PreviousId};
use super::lower::{Lowering, Site};
use super::{Handover, PreviousState, ResolvedKind};
use crate::builtins::Builtin;
use crate::syntax::{self, BinaryOp, UnaryOp};

fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    Expr::Binary(op, Box::new(lhs), Box::new(rhs))
}

fn add(lhs: Expr, rhs: Expr) -> Expr {
    binary(BinaryOp::Add, lhs, rhs)
}

fn sub(lhs: Expr, rhs: Expr) -> Expr {
    binary(BinaryOp::Sub, lhs, rhs)
}

fn mul(lhs: Expr, rhs: Expr) -> Expr {
    binary(BinaryOp::Mul, lhs, rhs)
}

fn div(lhs: Expr, rhs: Expr) -> Expr {
    binary(BinaryOp::Div, lhs, rhs)
}

fn neg(operand: Expr) -> Expr {
    Expr::Unary(UnaryOp::Negate, Box::new(operand))
}

/// `x` where it is a number, else `fallback`: Stella's NAN for an argument left out.
fn unless_nan(x: Expr, fallback: f64) -> Expr {
    let is_number = binary(BinaryOp::Eq, x.clone(), x.clone());
    Expr::If(Box::new(is_number), Box::new(x), Box::new(Expr::Const(fallback)))
}

/// How many parameters each of Stella's draws takes before its optional `seed, min, max, sample`.
fn draw_parameters(builtin: Builtin) -> Option<usize> {
    Some(match builtin {
        Builtin::Exprnd | Builtin::Poisson | Builtin::Geometric => 1,
        Builtin::Normal
        | Builtin::Lognormal
        | Builtin::Weibull
        | Builtin::Gamma
        | Builtin::Beta
        | Builtin::Binomial
        | Builtin::Negbinomial
        | Builtin::Logistic
        | Builtin::Pareto => 2,
        Builtin::Triangular => 3,
        _ => return None,
    })
}

impl Lowering<'_, '_> {
    /// Is this one of the draws [`Lowering::lower_stella_draw`] lowers?
    pub(super) fn is_stella_draw(builtin: Builtin) -> bool {
        draw_parameters(builtin).is_some()
    }

    /// A draw of Stella's with its optional trailing arguments, as Stella's statistical builtins
    /// page lists them for every random function but RANDOM: `seed` (a whole number, or NAN for
    /// none), `min` and `max` (a draw outside them is drawn again: the distribution truncated;
    /// NAN for no bound), and `sample` (the draw changes only when the time reaches a multiple
    /// of it, and holds in between; NAN for every DT). A call without `min`,
    /// `max` and `sample` draws exactly as before they were read.
    pub(super) fn lower_stella_draw(
        &mut self,
        site: Site<'_>,
        builtin: Builtin,
        args: &[syntax::Expr],
    ) -> Option<Expr> {
        let parameters = draw_parameters(builtin)?;
        // GAMMA's scale is optional: its trailing arguments start after two parameters all the same.
        let seed = match args.get(parameters) {
            Some(seed) => self.stella_seed(site, seed)?,
            None => None,
        };
        let lowered = self.lower_args(site, args)?;
        let mut rest = lowered.iter().skip(parameters + 1).cloned();
        let (min, max, sample) = (rest.next(), rest.next(), rest.next());
        let mut values: Vec<Expr> = lowered.into_iter().take(parameters).collect();
        let is_new = matches!(builtin, Builtin::Geometric | Builtin::Negbinomial | Builtin::Logistic | Builtin::Pareto);
        if min.is_none() && max.is_none() && !is_new {
            // The draw as it always was: NORMAL, GAMMA and the others without bounds.
            let draw = self.lower_builtin(site.owner, builtin, values, seed)?;
            return Some(match sample {
                Some(sample) => self.held_draw(site, draw, sample),
                None => draw,
            });
        }
        let lower = min.map_or(Expr::Const(f64::NEG_INFINITY), |min| unless_nan(min, f64::NEG_INFINITY));
        let upper = max.map_or(Expr::Const(f64::INFINITY), |max| unless_nan(max, f64::INFINITY));
        let mut next = || if values.is_empty() { None } else { Some(values.remove(0)) };
        let zero = || Expr::Const(0.0);
        let one = || Expr::Const(1.0);
        // The truncated draw reads [min, max, shift, stretch, the family's parameters...].
        let (family, shift, stretch, family_parameters) = match builtin {
            Builtin::Normal => {
                let (mean, sd) = (next()?, next()?);
                (Family::Normal, mean, sd, vec![])
            }
            Builtin::Lognormal => {
                let (mean, sd) = (next()?, next()?);
                (Family::LogNormal, zero(), one(), vec![mean, sd])
            }
            Builtin::Exprnd => (Family::Exponential, zero(), next()?, vec![]),
            Builtin::Poisson => (Family::Poisson, zero(), one(), vec![next()?]),
            Builtin::Triangular => {
                let (low, mode, high) = (next()?, next()?, next()?);
                (Family::Triangular, zero(), one(), vec![low, mode, high])
            }
            Builtin::Weibull => {
                let (shape, scale) = (next()?, next()?);
                (Family::Weibull, zero(), scale, vec![shape])
            }
            Builtin::Gamma => {
                let shape = next()?;
                (Family::Gamma, zero(), next().unwrap_or_else(one), vec![shape])
            }
            Builtin::Beta => {
                let (alpha, beta) = (next()?, next()?);
                (Family::Beta, zero(), one(), vec![alpha, beta])
            }
            Builtin::Binomial => {
                let (trials, probability) = (next()?, next()?);
                (Family::Binomial, zero(), one(), vec![probability, trials])
            }
            Builtin::Geometric => (Family::Geometric, zero(), one(), vec![next()?]),
            Builtin::Negbinomial => {
                // The family counts trials; the failures are the trials less the successes.
                let (successes, probability) = (next()?, next()?);
                (Family::NegativeBinomial, neg(successes.clone()), one(), vec![probability, successes])
            }
            Builtin::Logistic => {
                let (mean, scale) = (next()?, next()?);
                (Family::Logistic, mean, scale, vec![])
            }
            _ => {
                let (shape, scale) = (next()?, next()?);
                (Family::Pareto, zero(), scale, vec![shape])
            }
        };
        let ordered: Vec<Expr> = [lower, upper, shift, stretch].into_iter().chain(family_parameters).collect();
        let draw = self.draw(Distribution::Truncated(family), ordered, seed);
        Some(match sample {
            Some(sample) => self.held_draw(site, draw, sample),
            None => draw,
        })
    }

    /// A seed of Stella's: a whole number from 0, or NAN for none.
    pub(super) fn stella_seed(&mut self, site: Site<'_>, expr: &syntax::Expr) -> Option<Option<u64>> {
        let is_nan = matches!(&expr.kind, syntax::ExprKind::Name(name) if name.canonical.as_str() == "nan");
        if is_nan || self.value_at_start(site.bindings, expr, 0).is_some_and(f64::is_nan) {
            return Some(None);
        }
        self.constant_seed(site, expr).map(Some)
    }

    /// The draw held between multiples of `sample`: a hidden variable that is the draw at the
    /// first step and at each step whose time reaches the next multiple of `sample` (within a
    /// billionth of it; "at time 1, 2, 3 and so on" for a sample of 1, as Stella's page puts it),
    /// and its own previous value at the others. A `sample` that is NAN, zero or negative changes
    /// it every step.
    fn held_draw(&mut self, site: Site<'_>, draw: Expr, sample: Expr) -> Expr {
        let owner = site.owner;
        let held = self.hidden_id(owner, "sampled draw".to_owned());
        let id = PreviousId(self.out.previous.len() as u32);
        self.out.previous.push(PreviousState {
            source: held,
            initial: Expr::Const(f64::NAN),
            handover: Handover::BeforeStep,
        });
        let sample = self.simple(owner, "draw sample interval", sample);
        let intervals = |time: Expr| {
            let count = add(div(time, sample.clone()), Expr::Const(1e-9));
            Expr::Apply(Function::Int, vec![count])
        };
        let first = binary(BinaryOp::Le, Expr::Time, Expr::StartTime);
        let every_step = Expr::Unary(UnaryOp::Not, Box::new(binary(BinaryOp::Gt, sample.clone(), Expr::Const(0.0))));
        let crossed = binary(BinaryOp::Gt, intervals(Expr::Time), intervals(sub(Expr::Time, Expr::Dt)));
        let change = binary(BinaryOp::Or, binary(BinaryOp::Or, first, every_step), crossed);
        let value = Expr::If(Box::new(change), Box::new(draw), Box::new(Expr::Previous(id)));
        self.set_kind(held, ResolvedKind::Auxiliary(value));
        Expr::Var(held)
    }

    /// FV, PV and PMT by the spreadsheet conventions: `rate` per period, `periods` of them,
    /// `payment` each period, at its end (`type` 0, the default) or beginning (`type` 1), money
    /// received positive and paid out negative, so that `PV + PMT·annuity + FV·discount = 0`.
    /// NORMALCDF and INVNORM through the standard normal distribution function and its inverse;
    /// ROOTN as a power.
    pub(super) fn lower_stella_formula(
        &mut self,
        site: Site<'_>,
        builtin: Builtin,
        args: &[syntax::Expr],
    ) -> Option<Expr> {
        let lowered = self.lower_args(site, args)?;
        let mut args = lowered.into_iter();
        let mut next = || args.next();
        Some(match builtin {
            Builtin::Normalcdf => {
                let (left, right) = (next()?, next()?);
                let mean = next().unwrap_or(Expr::Const(0.0));
                let sd = next().unwrap_or(Expr::Const(1.0));
                let cdf = |x: Expr| {
                    let standard = div(sub(x, mean.clone()), sd.clone());
                    Expr::Apply(Function::NormalCdf, vec![standard])
                };
                sub(cdf(right), cdf(left))
            }
            Builtin::Invnorm => {
                let probability = next()?;
                let mean = next().unwrap_or(Expr::Const(0.0));
                let sd = next().unwrap_or(Expr::Const(1.0));
                add(mean, mul(sd, Expr::Apply(Function::NormalQuantile, vec![probability])))
            }
            Builtin::Rootn => {
                // x^(1/n); for a negative x and an odd whole n, the negative root -(-x)^(1/n).
                let (x, n) = (next()?, next()?);
                let x = self.simple(site.owner, "ROOTN input", x);
                let n = self.simple(site.owner, "ROOTN order", n);
                let power = |base: Expr| binary(BinaryOp::Pow, base, div(Expr::Const(1.0), n.clone()));
                let odd = binary(BinaryOp::Eq, binary(BinaryOp::Mod, n.clone(), Expr::Const(2.0)), Expr::Const(1.0));
                let negative = binary(BinaryOp::Lt, x.clone(), Expr::Const(0.0));
                let negative_root = neg(power(neg(x.clone())));
                Expr::If(Box::new(binary(BinaryOp::And, negative, odd)), Box::new(negative_root), Box::new(power(x)))
            }
            _ => {
                let (rate, periods, third) = (next()?, next()?, next()?);
                let fourth = next().unwrap_or(Expr::Const(0.0));
                let timing = next().unwrap_or(Expr::Const(0.0));
                let rate = self.simple(site.owner, &format!("{} rate", builtin.name()), rate);
                // (1 + rate)^periods, the annuity factor ((1 + rate)^periods - 1) / rate, and the
                // payment's timing factor 1 + rate·type; at a rate of 0 the annuity factor is the
                // number of periods.
                let growth = binary(BinaryOp::Pow, add(Expr::Const(1.0), rate.clone()), periods.clone());
                let is_zero = binary(BinaryOp::Eq, rate.clone(), Expr::Const(0.0));
                let annuity = Expr::If(
                    Box::new(is_zero),
                    Box::new(periods),
                    Box::new(div(sub(growth.clone(), Expr::Const(1.0)), rate.clone())),
                );
                let due = add(Expr::Const(1.0), mul(rate, timing));
                let annuity = mul(due, annuity);
                match builtin {
                    // FV = -(pv·growth + pmt·annuity)
                    Builtin::Fv => neg(add(mul(fourth, growth), mul(third, annuity))),
                    // PV = -(fv + pmt·annuity) / growth
                    Builtin::Pv => neg(div(add(fourth, mul(third, annuity)), growth)),
                    // PMT = -(pv·growth + fv) / annuity
                    _ => neg(div(add(mul(third, growth), fourth), annuity)),
                }
            }
        })
    }

    /// Stella's `NPV(stream, rate[, initial])`: the stream valued at the end of each period, as
    /// spreadsheets value it, which is Vensim's NPVE with a factor of 1.
    pub(super) fn lower_stella_npv(&mut self, site: Site<'_>, args: &[syntax::Expr]) -> Option<Expr> {
        let mut lowered = self.lower_args(site, args)?;
        if lowered.len() == 2 {
            lowered.push(Expr::Const(0.0));
        }
        lowered.push(Expr::Const(1.0));
        self.lower_stateful(site.owner, Builtin::Npve, lowered, None)
    }
}

/// Stella's builtins that fulcrum does not compute, with why: each is refused where it is called
/// (`E0501`) rather than reported as an unknown function.
pub(super) fn unsupported_stella_builtin(name: &str) -> Option<&'static str> {
    Some(match name {
        "irr" => {
            "Stella's IRR is not computed yet: which arguments it takes and how it discounts within \
             a period are not in the documentation fulcrum follows; NPV(stream, rate[, initial]) is"
        }
        "ctmean" | "ctmax" | "ctmin" | "ctstddev" | "ctflow" | "cycletime" | "throughput" | "proctime" | "rework" => {
            "Stella's cycle-time functions measure how long material spends in conveyors, queues and \
             ovens, which fulcrum does not track"
        }
        "attrcount" | "attrmax" | "attrmean" | "attrmin" | "attrstddev" => {
            "Stella's attribute functions read the attributes of queued batches, which fulcrum does not track"
        }
        "capacity" | "ostate" => "ovens, and the state and capacity Stella reports for them, are not simulated",
        "runcount" | "sensiruncount" | "endval" => {
            "fulcrum runs are independent of each other: no run reads another's count or end values \
             (use an experiment to vary runs)"
        }
        "clocktime" => "a run must not depend on the computer's clock: the same model gives the same bits",
        "cgrowth" | "percent" | "lookupmean" | "interpolate" => {
            "what Stella computes for this builtin is not in the documentation fulcrum follows, so it \
             is not guessed"
        }
        "mlpann" => "Stella's neural network function is not simulated",
        _ => return None,
    })
}
