//! The interpreter: runs a program over `L` lanes at once.
//!
//! Each instruction reads its operand slots as `[f64; L]` arrays and writes one; the per-lane
//! loops are straight-line code that the compiler vectorizes. Dispatch is paid once per
//! instruction per batch, not once per run.

use crate::functions::{
    MAX_TRUNCATED_ARGS, allocate, approx_eq, floored_mod, gamma_ln, inverse_element, lookup_area, lookup_lanes,
    normal_cdf, normal_quantile, pulse, pulse_train, quantum, queue_batches, ramp, random, random_lookup, rank, sign,
    sorted_index, sorted_position, step, truncated, truth, vector_lookup, vector_select,
};
use crate::program::{BinaryKind, Choice, Instr, NO_BUDGET, NO_ROOM, Op, Operands, Slot, Table, UnaryKind, fixed};
use std::collections::VecDeque;

/// Runs `ops` over all lanes of `values`. `histories` holds, for each variable `HISTORY` reads,
/// its value at every step done so far; `lines`, each queue's batches per lane, front first, as
/// (what is left, what entered).
pub(crate) fn execute<const L: usize>(
    ops: &[Op],
    values: &mut [[f64; L]],
    graphs: &[Table],
    lists: &[Vec<Slot>],
    histories: &[Vec<[f64; L]>],
    lines: &[[VecDeque<(f64, f64)>; L]],
) {
    for op in ops {
        one(op, values, graphs, lists, histories, lines);
    }
}

/// Runs the evaluation program in its fused form ([`Instr`], see `crate::fuse`): the same
/// instructions as [`execute`] in the same order, the commonest of them without the second match
/// on their kind, and the commonest pairs in one dispatch.
pub(crate) fn execute_fused<const L: usize>(
    code: &[Instr],
    values: &mut [[f64; L]],
    graphs: &[Table],
    lists: &[Vec<Slot>],
    histories: &[Vec<[f64; L]>],
    lines: &[[VecDeque<(f64, f64)>; L]],
) {
    use BinaryKind::{Add, Div, Mul, Sub};
    for instr in code {
        match *instr {
            Instr::Copy { dst, src } => values[dst as usize] = values[src as usize],
            Instr::Select(s) => select(values, s),
            Instr::Lookup { dst, graph, x } => {
                values[dst as usize] = lookup_lanes(&graphs[graph as usize], &values[x as usize])
            }
            Instr::Add(x) => binary_of(Add, values, x),
            Instr::Sub(x) => binary_of(Sub, values, x),
            Instr::Mul(x) => binary_of(Mul, values, x),
            Instr::Div(x) => binary_of(Div, values, x),
            Instr::Pow(x) => binary_of(BinaryKind::Pow, values, x),
            Instr::Unary { kind, dst, a } => unary(kind, values, dst, a),
            Instr::SafeDiv { dst, a, b, fallback } => safe_div(values, dst, a, b, fallback),
            Instr::ClampNonNegative { slot } => clamp_non_negative(values, slot),
            Instr::StartBudget { budget, stock } => start_budget(values, budget, stock),
            Instr::LimitFlow { flow, source, sink } => limit_flow(values, flow, source, sink),
            Instr::Min(x) => binary_of(BinaryKind::Min, values, x),
            Instr::Max(x) => binary_of(BinaryKind::Max, values, x),
            Instr::Lt(x) => binary_of(BinaryKind::Lt, values, x),
            Instr::Le(x) => binary_of(BinaryKind::Le, values, x),
            Instr::Gt(x) => binary_of(BinaryKind::Gt, values, x),
            Instr::Ge(x) => binary_of(BinaryKind::Ge, values, x),
            Instr::Eq(x) => binary_of(BinaryKind::Eq, values, x),
            Instr::Ne(x) => binary_of(BinaryKind::Ne, values, x),
            Instr::And(x) => binary_of(BinaryKind::And, values, x),
            Instr::Or(x) => binary_of(BinaryKind::Or, values, x),
            Instr::AddAdd(x, y) => pair(Add, Add, values, x, y),
            Instr::AddSub(x, y) => pair(Add, Sub, values, x, y),
            Instr::AddMul(x, y) => pair(Add, Mul, values, x, y),
            Instr::AddDiv(x, y) => pair(Add, Div, values, x, y),
            Instr::SubAdd(x, y) => pair(Sub, Add, values, x, y),
            Instr::SubSub(x, y) => pair(Sub, Sub, values, x, y),
            Instr::SubMul(x, y) => pair(Sub, Mul, values, x, y),
            Instr::SubDiv(x, y) => pair(Sub, Div, values, x, y),
            Instr::MulAdd(x, y) => pair(Mul, Add, values, x, y),
            Instr::MulSub(x, y) => pair(Mul, Sub, values, x, y),
            Instr::MulMul(x, y) => pair(Mul, Mul, values, x, y),
            Instr::MulDiv(x, y) => pair(Mul, Div, values, x, y),
            Instr::DivAdd(x, y) => pair(Div, Add, values, x, y),
            Instr::DivSub(x, y) => pair(Div, Sub, values, x, y),
            Instr::DivMul(x, y) => pair(Div, Mul, values, x, y),
            Instr::DivDiv(x, y) => pair(Div, Div, values, x, y),
            Instr::AddSelect(x, s) => {
                binary_of(Add, values, x);
                select(values, s);
            }
            Instr::SubSelect(x, s) => {
                binary_of(Sub, values, x);
                select(values, s);
            }
            Instr::MulSelect(x, s) => {
                binary_of(Mul, values, x);
                select(values, s);
            }
            Instr::DivSelect(x, s) => {
                binary_of(Div, values, x);
                select(values, s);
            }
            Instr::SelectSelect(s, t) => {
                select(values, s);
                select(values, t);
            }
            Instr::LtSelect(x, s) => {
                binary_of(BinaryKind::Lt, values, x);
                select(values, s);
            }
            Instr::LeSelect(x, s) => {
                binary_of(BinaryKind::Le, values, x);
                select(values, s);
            }
            Instr::GtSelect(x, s) => {
                binary_of(BinaryKind::Gt, values, x);
                select(values, s);
            }
            Instr::GeSelect(x, s) => {
                binary_of(BinaryKind::Ge, values, x);
                select(values, s);
            }
            Instr::EqSelect(x, s) => {
                binary_of(BinaryKind::Eq, values, x);
                select(values, s);
            }
            Instr::NeSelect(x, s) => {
                binary_of(BinaryKind::Ne, values, x);
                select(values, s);
            }
            Instr::SelectAdd(s, x) => {
                select(values, s);
                binary_of(Add, values, x);
            }
            Instr::SelectSub(s, x) => {
                select(values, s);
                binary_of(Sub, values, x);
            }
            Instr::SelectMul(s, x) => {
                select(values, s);
                binary_of(Mul, values, x);
            }
            Instr::SelectDiv(s, x) => {
                select(values, s);
                binary_of(Div, values, x);
            }
            Instr::SelectCopy(s, dst, src) => {
                select(values, s);
                values[dst as usize] = values[src as usize];
            }
            Instr::CopyCopy(dst, src, second_dst, second_src) => {
                values[dst as usize] = values[src as usize];
                values[second_dst as usize] = values[second_src as usize];
            }
            Instr::CopyAdd(dst, src, x) => {
                values[dst as usize] = values[src as usize];
                binary_of(Add, values, x);
            }
            Instr::CopySub(dst, src, x) => {
                values[dst as usize] = values[src as usize];
                binary_of(Sub, values, x);
            }
            Instr::CopyMul(dst, src, x) => {
                values[dst as usize] = values[src as usize];
                binary_of(Mul, values, x);
            }
            Instr::CopyDiv(dst, src, x) => {
                values[dst as usize] = values[src as usize];
                binary_of(Div, values, x);
            }
            Instr::LookupAdd(dst, graph, argument, x) => {
                values[dst as usize] = lookup_lanes(&graphs[graph as usize], &values[argument as usize]);
                binary_of(Add, values, x);
            }
            Instr::LookupSub(dst, graph, argument, x) => {
                values[dst as usize] = lookup_lanes(&graphs[graph as usize], &values[argument as usize]);
                binary_of(Sub, values, x);
            }
            Instr::LookupMul(dst, graph, argument, x) => {
                values[dst as usize] = lookup_lanes(&graphs[graph as usize], &values[argument as usize]);
                binary_of(Mul, values, x);
            }
            Instr::LookupDiv(dst, graph, argument, x) => {
                values[dst as usize] = lookup_lanes(&graphs[graph as usize], &values[argument as usize]);
                binary_of(Div, values, x);
            }
            Instr::DivLookup(x, dst, graph) => {
                binary_of(Div, values, x);
                values[dst as usize] = lookup_lanes(&graphs[graph as usize], &values[x.dst as usize]);
            }
            Instr::Op(ref op) => one(op, values, graphs, lists, histories, lines),
        }
    }
}

/// `a / b`, or `fallback` when `b` is exactly zero.
#[inline(always)]
fn safe_div<const L: usize>(values: &mut [[f64; L]], dst: Slot, a: Slot, b: Slot, fallback: Slot) {
    let (a, b, fallback) = (values[a as usize], values[b as usize], values[fallback as usize]);
    let mut out = [0.0; L];
    for l in 0..L {
        out[l] = if b[l] == 0.0 { fallback[l] } else { a[l] / b[l] };
    }
    values[dst as usize] = out;
}

/// `IF cond THEN a ELSE b`, with both branches already computed.
#[inline(always)]
fn select<const L: usize>(values: &mut [[f64; L]], s: Choice) {
    let (cond, a, b) = (values[s.cond as usize], values[s.a as usize], values[s.b as usize]);
    // Loops rather than `std::array::from_fn`, whose closure is not always inlined into a large
    // match, and a call per lane costs more than the lane's work.
    let mut out = [0.0; L];
    for l in 0..L {
        out[l] = if cond[l] != 0.0 { a[l] } else { b[l] };
    }
    values[s.dst as usize] = out;
}

/// One binary instruction whose kind the caller names (a constant where it is inlined).
#[inline(always)]
fn binary_of<const L: usize>(kind: BinaryKind, values: &mut [[f64; L]], x: Operands) {
    let (a, b) = (values[x.a as usize], values[x.b as usize]);
    let mut out = [0.0; L];
    for l in 0..L {
        out[l] = binary_value(kind, a[l], b[l]);
    }
    values[x.dst as usize] = out;
}

/// Two binary instructions, one after the other.
#[inline(always)]
fn pair<const L: usize>(first: BinaryKind, second: BinaryKind, values: &mut [[f64; L]], x: Operands, y: Operands) {
    binary_of(first, values, x);
    binary_of(second, values, y);
}

/// Runs one instruction. Not inlined: the fused loop keeps only its common instructions inline,
/// so that the compiler inlines their lane loops too.
#[inline(never)]
fn one<const L: usize>(
    op: &Op,
    values: &mut [[f64; L]],
    graphs: &[Table],
    lists: &[Vec<Slot>],
    histories: &[Vec<[f64; L]>],
    lines: &[[VecDeque<(f64, f64)>; L]],
) {
    match *op {
        Op::Copy { dst, src } => values[dst as usize] = values[src as usize],
        Op::RoundToSingle { slot } => values[slot as usize] = values[slot as usize].map(to_single),
        Op::Unary { kind, dst, a } => unary(kind, values, dst, a),
        Op::Binary { kind, dst, a, b } => binary(kind, values, dst, a, b),
        Op::Select { dst, cond, a, b } => select(values, Choice { dst, cond, a, b }),
        Op::SafeDiv { dst, a, b, fallback } => safe_div(values, dst, a, b, fallback),
        Op::Step { dst, height, start } => {
            let (time, dt) = clock(values);
            let (height, start) = (values[height as usize], values[start as usize]);
            values[dst as usize] = std::array::from_fn(|l| step(time[l], dt[l], height[l], start[l]));
        }
        Op::Ramp { dst, slope, start, end } => {
            let (time, _) = clock(values);
            let (slope, start, end) = (values[slope as usize], values[start as usize], values[end as usize]);
            values[dst as usize] = std::array::from_fn(|l| ramp(time[l], slope[l], start[l], end[l]));
        }
        Op::Pulse { dst, magnitude, first, interval } => {
            let (time, dt) = clock(values);
            let (magnitude, first, interval) =
                (values[magnitude as usize], values[first as usize], values[interval as usize]);
            values[dst as usize] = std::array::from_fn(|l| pulse(time[l], dt[l], magnitude[l], first[l], interval[l]));
        }
        Op::PulseTrain { dst, start, width, between, end } => {
            // Vensim's PULSE TRAIN changes only from step to step, whatever the integration
            // method: every Runge-Kutta stage of a step sees the step's value.
            let (time, dt) = (values[fixed::STEP_TIME as usize], values[fixed::DT as usize]);
            let (start, width, between, end) =
                (values[start as usize], values[width as usize], values[between as usize], values[end as usize]);
            values[dst as usize] =
                std::array::from_fn(|l| pulse_train(time[l], dt[l], start[l], width[l], between[l], end[l]));
        }
        Op::Lookup { dst, graph, x } => {
            let table = &graphs[graph as usize];
            values[dst as usize] = lookup_lanes(table, &values[x as usize]);
        }
        Op::VectorSelect { dst, selections, values: value_list, missing, action, error_action } => {
            let (selections, value_list) = (&lists[selections as usize], &lists[value_list as usize]);
            let (missing, action, error_action) =
                (values[missing as usize], values[action as usize], values[error_action as usize]);
            let selected: [f64; L] = std::array::from_fn(|l| {
                vector_select(
                    selections.len(),
                    |i| values[selections[i] as usize][l],
                    |i| values[value_list[i] as usize][l],
                    missing[l],
                    action[l],
                    error_action[l],
                )
            });
            values[dst as usize] = selected;
        }
        Op::Choose { dst, index, list } => {
            let (index, list) = (values[index as usize], &lists[list as usize]);
            let chosen: [f64; L] = std::array::from_fn(|l| {
                let position = index[l].round();
                if position >= 0.0 && position < list.len() as f64 {
                    values[list[position as usize] as usize][l]
                } else {
                    f64::NAN
                }
            });
            values[dst as usize] = chosen;
        }
        Op::Order { dst, list, position, sort_order, ascending } => {
            let list = &lists[list as usize];
            let answer: [f64; L] = std::array::from_fn(|l| {
                let value = |i: usize| values[list[i] as usize][l];
                if sort_order {
                    sorted_position(list.len(), position as usize, ascending, value)
                } else {
                    rank(list.len(), position as usize, ascending, value)
                }
            });
            values[dst as usize] = answer;
        }
        Op::QueueBatches { dst, queue, after, room, arriving } => {
            let (after, dt, arriving) = (values[after as usize], values[fixed::DT as usize], &lists[arriving as usize]);
            let room = (room != NO_ROOM).then(|| values[room as usize]);
            let line = lines.get(queue as usize);
            let offered: [f64; L] = std::array::from_fn(|l| {
                let held = line.into_iter().flat_map(|line| line[l].iter().map(|batch| batch.0));
                let brought = arriving.iter().map(|&inflow| values[inflow as usize][l] * dt[l]).filter(|&b| b > 0.0);
                let room = room.map(|room| room[l] * dt[l]);
                queue_batches(held.chain(brought), after[l] * dt[l], room) / dt[l]
            });
            values[dst as usize] = offered;
        }
        Op::SortedIndex { dst, rank, list, tie_break } => {
            let (rank, list) = (values[rank as usize], &lists[list as usize]);
            let tie_break = lists.get(tie_break as usize);
            let answer: [f64; L] = std::array::from_fn(|l| {
                let value = |i: usize| values[list[i] as usize][l];
                let tie = |i: usize| tie_break.map_or(0.0, |tie_break| values[tie_break[i] as usize][l]);
                sorted_index(list.len(), rank[l], value, tie)
            });
            values[dst as usize] = answer;
        }
        Op::Allocate { dst, rule, position, requests, priorities, width, supply } => {
            let (requests, priorities) = (&lists[requests as usize], &lists[priorities as usize]);
            let (width, supply) = (values[width as usize], values[supply as usize]);
            let share: [f64; L] = std::array::from_fn(|l| {
                let request = |i: usize| values[requests[i] as usize][l];
                let priority = |i: usize| priorities.get(i).map_or(f64::NAN, |&slot| values[slot as usize][l]);
                allocate(rule, requests.len(), request, priority, width[l], supply[l], position as usize)
            });
            values[dst as usize] = share;
        }
        Op::History { dst, source, history, time } => {
            let (start, dt) = (values[fixed::START as usize], values[fixed::DT as usize]);
            let (time, current) = (values[time as usize], values[source as usize]);
            let recorded = histories.get(history as usize).map_or(&[][..], Vec::as_slice);
            values[dst as usize] = std::array::from_fn(|l| {
                if time[l].is_nan() {
                    return f64::NAN;
                }
                // The last step at or before the time, allowing for rounding in the time.
                let step = ((time[l] - start[l]) / dt[l] + 1e-9).floor().max(0.0);
                match recorded.get(step as usize) {
                    Some(values) if step < recorded.len() as f64 => values[l],
                    _ => current[l],
                }
            });
        }
        Op::VectorLookup { dst, values: list, x, xmin, xmax, mode } => {
            let list = &lists[list as usize];
            let [x, xmin, xmax, mode] = [x, xmin, xmax, mode].map(|slot| values[slot as usize]);
            let answer: [f64; L] = std::array::from_fn(|l| {
                vector_lookup(list.len(), |i| values[list[i] as usize][l], x[l], xmin[l], xmax[l], mode[l])
            });
            values[dst as usize] = answer;
        }
        Op::InvertMatrix { dst, position, matrix } => {
            let matrix = &lists[matrix as usize];
            let size = matrix.len().isqrt();
            let element: [f64; L] =
                std::array::from_fn(|l| inverse_element(size, |k| values[matrix[k] as usize][l], position as usize));
            values[dst as usize] = element;
        }
        Op::Truncated { family, dst, variate, args } => {
            let args = &lists[args as usize];
            let variate = values[variate as usize];
            values[dst as usize] = std::array::from_fn(|l| {
                let mut lane_args = [0.0; MAX_TRUNCATED_ARGS];
                for (value, slot) in lane_args.iter_mut().zip(args.iter()) {
                    *value = values[*slot as usize][l];
                }
                truncated(family, variate[l], &lane_args[..args.len().min(MAX_TRUNCATED_ARGS)])
            });
        }
        Op::RandomLookup { dst, graph, args } => {
            let table = &graphs[graph as usize];
            let arg = |k: usize| lists[args as usize].get(k).map_or([f64::NAN; L], |&slot| values[slot as usize]);
            let (min, max, shift, stretch, u) = (arg(0), arg(1), arg(2), arg(3), arg(4));
            values[dst as usize] =
                std::array::from_fn(|l| random_lookup(table, u[l], min[l], max[l], shift[l], stretch[l]));
        }
        Op::LookupArea { dst, graph, from, to } => {
            let table = &graphs[graph as usize];
            let (from, to) = (values[from as usize], values[to as usize]);
            values[dst as usize] = std::array::from_fn(|l| lookup_area(table, from[l], to[l]));
        }
        Op::Random { distribution, dst, variate, p, q } => {
            let (variate, p, q) = (values[variate as usize], values[p as usize], values[q as usize]);
            values[dst as usize] = std::array::from_fn(|l| random(distribution, variate[l], p[l], q[l]));
        }
        Op::ClampNonNegative { slot } => clamp_non_negative(values, slot),
        Op::StartBudget { budget, stock } => start_budget(values, budget, stock),
        Op::LimitFlow { flow, source, sink } => limit_flow(values, flow, source, sink),
    }
}

/// Uniflow: never below zero.
#[inline(always)]
fn clamp_non_negative<const L: usize>(values: &mut [[f64; L]], slot: Slot) {
    let value = &mut values[slot as usize];
    for lane in value.iter_mut() {
        *lane = lane.max(0.0);
    }
}

/// A non-negative stock's budget for this evaluation: what it holds, per unit time.
#[inline(always)]
fn start_budget<const L: usize>(values: &mut [[f64; L]], budget: Slot, stock: Slot) {
    let (stock, dt) = (values[stock as usize], values[fixed::DT as usize]);
    let mut out = [0.0; L];
    for l in 0..L {
        out[l] = stock[l].max(0.0) / dt[l];
    }
    values[budget as usize] = out;
}

/// The nearest single-precision number, as a double: how a single-precision run stores every
/// value. The instructions compute in double precision and their results are rounded after them.
/// For `+ − × ÷` and `√` of single-precision operands this is exactly single-precision arithmetic:
/// a double holds more than twice a single's digits plus two, so rounding the double result to
/// single gives the correctly rounded single result (the second rounding is innocuous). Other
/// functions (`exp`, `ln`, `^`, the trigonometric ones, lookups) are the double-precision result
/// correctly or nearly correctly rounded to single, which may differ by one unit in the last place
/// from what a C library's single-precision functions (Vensim's) return.
#[inline(always)]
pub(crate) fn to_single(value: f64) -> f64 {
    value as f32 as f64
}

/// `x^0.5` as `pow` answers it, from the square root: adding +0 turns the root's -0 at -0 into
/// +0 and changes nothing else, and at -∞ `pow` answers +∞ where the root is NaN.
#[inline(always)]
pub(crate) fn pow_half(x: f64) -> f64 {
    if x == f64::NEG_INFINITY { f64::INFINITY } else { x.sqrt() + 0.0 }
}

fn clock<const L: usize>(values: &[[f64; L]]) -> ([f64; L], [f64; L]) {
    (values[fixed::TIME as usize], values[fixed::DT as usize])
}

#[inline(always)]
fn map1<const L: usize>(values: &mut [[f64; L]], dst: Slot, a: Slot, f: impl Fn(f64) -> f64) {
    let a = values[a as usize];
    let mut out = [0.0; L];
    for l in 0..L {
        out[l] = f(a[l]);
    }
    values[dst as usize] = out;
}

#[inline(always)]
fn unary<const L: usize>(kind: UnaryKind, values: &mut [[f64; L]], dst: Slot, a: Slot) {
    match kind {
        UnaryKind::Neg => map1(values, dst, a, |x| -x),
        UnaryKind::Not => map1(values, dst, a, |x| truth(x == 0.0)),
        UnaryKind::Abs => map1(values, dst, a, f64::abs),
        UnaryKind::Exp => map1(values, dst, a, f64::exp),
        UnaryKind::Ln => map1(values, dst, a, f64::ln),
        UnaryKind::Log10 => map1(values, dst, a, f64::log10),
        UnaryKind::Sqrt => map1(values, dst, a, f64::sqrt),
        UnaryKind::Sin => map1(values, dst, a, f64::sin),
        UnaryKind::Cos => map1(values, dst, a, f64::cos),
        UnaryKind::Tan => map1(values, dst, a, f64::tan),
        UnaryKind::Asin => map1(values, dst, a, f64::asin),
        UnaryKind::Acos => map1(values, dst, a, f64::acos),
        UnaryKind::Atan => map1(values, dst, a, f64::atan),
        UnaryKind::Sinh => map1(values, dst, a, f64::sinh),
        UnaryKind::Cosh => map1(values, dst, a, f64::cosh),
        UnaryKind::Tanh => map1(values, dst, a, f64::tanh),
        UnaryKind::Floor => map1(values, dst, a, f64::floor),
        UnaryKind::Truncate => map1(values, dst, a, f64::trunc),
        UnaryKind::Round => map1(values, dst, a, f64::round),
        UnaryKind::Sign => map1(values, dst, a, sign),
        UnaryKind::GammaLn => map1(values, dst, a, gamma_ln),
        UnaryKind::NormalCdf => map1(values, dst, a, normal_cdf),
        UnaryKind::NormalQuantile => map1(values, dst, a, normal_quantile),
        UnaryKind::Calendar(calendar, field) => {
            map1(values, dst, a, |day| fulcrum_model::calendar::field(calendar, field, day))
        }
        UnaryKind::Reciprocal => map1(values, dst, a, |x| 1.0 / x),
        UnaryKind::PowHalf => map1(values, dst, a, pow_half),
    }
}

fn binary<const L: usize>(kind: BinaryKind, values: &mut [[f64; L]], dst: Slot, a: Slot, b: Slot) {
    match kind {
        BinaryKind::Add => binary_of(BinaryKind::Add, values, Operands { dst, a, b }),
        BinaryKind::Sub => binary_of(BinaryKind::Sub, values, Operands { dst, a, b }),
        BinaryKind::Mul => binary_of(BinaryKind::Mul, values, Operands { dst, a, b }),
        BinaryKind::Div => binary_of(BinaryKind::Div, values, Operands { dst, a, b }),
        BinaryKind::Pow => binary_of(BinaryKind::Pow, values, Operands { dst, a, b }),
        BinaryKind::Mod => binary_of(BinaryKind::Mod, values, Operands { dst, a, b }),
        BinaryKind::Remainder => binary_of(BinaryKind::Remainder, values, Operands { dst, a, b }),
        BinaryKind::Quantum => binary_of(BinaryKind::Quantum, values, Operands { dst, a, b }),
        BinaryKind::Min => binary_of(BinaryKind::Min, values, Operands { dst, a, b }),
        BinaryKind::Max => binary_of(BinaryKind::Max, values, Operands { dst, a, b }),
        BinaryKind::Lt => binary_of(BinaryKind::Lt, values, Operands { dst, a, b }),
        BinaryKind::Le => binary_of(BinaryKind::Le, values, Operands { dst, a, b }),
        BinaryKind::Gt => binary_of(BinaryKind::Gt, values, Operands { dst, a, b }),
        BinaryKind::Ge => binary_of(BinaryKind::Ge, values, Operands { dst, a, b }),
        BinaryKind::Eq => binary_of(BinaryKind::Eq, values, Operands { dst, a, b }),
        BinaryKind::Ne => binary_of(BinaryKind::Ne, values, Operands { dst, a, b }),
        BinaryKind::And => binary_of(BinaryKind::And, values, Operands { dst, a, b }),
        BinaryKind::Or => binary_of(BinaryKind::Or, values, Operands { dst, a, b }),
    }
}

/// What a binary instruction of `kind` computes from one lane's operands: the one definition
/// that the plain and the fused instructions share, so that they give the same bits.
#[inline(always)]
fn binary_value(kind: BinaryKind, x: f64, y: f64) -> f64 {
    match kind {
        BinaryKind::Add => x + y,
        BinaryKind::Sub => x - y,
        BinaryKind::Mul => x * y,
        BinaryKind::Div => x / y,
        BinaryKind::Pow => x.powf(y),
        BinaryKind::Mod => floored_mod(x, y),
        BinaryKind::Remainder => x % y,
        BinaryKind::Quantum => quantum(x, y),
        BinaryKind::Min => {
            if y < x {
                y
            } else {
                x
            }
        }
        BinaryKind::Max => {
            if y > x {
                y
            } else {
                x
            }
        }
        BinaryKind::Lt => truth(x < y),
        BinaryKind::Le => truth(x <= y),
        BinaryKind::Gt => truth(x > y),
        BinaryKind::Ge => truth(x >= y),
        BinaryKind::Eq => truth(approx_eq(x, y)),
        BinaryKind::Ne => truth(!approx_eq(x, y)),
        BinaryKind::And => truth(x != 0.0 && y != 0.0),
        BinaryKind::Or => truth(x != 0.0 || y != 0.0),
    }
}

/// Limits a flow so that the non-negative stocks it drains keep what they hold: a positive flow
/// drains its source's budget, a negative one its sink's, and each fills the other side.
#[inline(always)]
fn limit_flow<const L: usize>(values: &mut [[f64; L]], flow: Slot, source: Slot, sink: Slot) {
    let budget =
        |values: &[[f64; L]], slot: Slot| if slot == NO_BUDGET { [f64::INFINITY; L] } else { values[slot as usize] };
    let mut flow_values = values[flow as usize];
    let mut source_budget = budget(values, source);
    let mut sink_budget = budget(values, sink);
    for lane in 0..L {
        let mut value = flow_values[lane];
        if value >= 0.0 {
            value = value.min(source_budget[lane]);
        } else {
            value = value.max(-sink_budget[lane]);
        }
        source_budget[lane] -= value;
        sink_budget[lane] += value;
        flow_values[lane] = value;
    }
    values[flow as usize] = flow_values;
    if source != NO_BUDGET {
        values[source as usize] = source_budget;
    }
    if sink != NO_BUDGET {
        values[sink as usize] = sink_budget;
    }
}

#[cfg(test)]
mod tests {
    use super::pow_half;

    /// How many representable numbers lie from `a` to `b` (both finite, of one sign).
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    proptest::proptest! {
        /// The powers the compiler computes without `pow` (`ReducedPower`) against libm's `pow`
        /// over random arguments of every magnitude: `x` is `x^1` to the bit; `x * x`, `1 / x`
        /// and the square root are correctly rounded, so within one unit in the last place of
        /// `pow` (itself within 0.52), and where they differ the reduced form is the nearer to
        /// the exact square (its error is exact, by a fused multiply-add).
        #[test]
        fn reduced_powers_match_pow(mantissa in 1.0f64..2.0, exponent in -300i32..300, negative in proptest::bool::ANY) {
            let x = if negative { -1.0 } else { 1.0 } * mantissa * 2f64.powi(exponent);
            let pow = |y: f64| std::hint::black_box(x).powf(std::hint::black_box(y));
            proptest::prop_assert_eq!(pow(1.0).to_bits(), x.to_bits());
            let square = x * x;
            proptest::prop_assert!(ulps(square, pow(2.0)) <= 1, "{x}^2");
            if square != pow(2.0) {
                // Both errors against the exact square x² = square + residual.
                let residual = x.mul_add(x, -square);
                proptest::prop_assert!(residual.abs() <= (pow(2.0) - square - residual).abs(), "{x}^2");
            }
            proptest::prop_assert!(ulps(1.0 / x, pow(-1.0)) <= 1, "{x}^-1");
            if x > 0.0 {
                proptest::prop_assert!(ulps(pow_half(x), pow(0.5)) <= 1, "{x}^0.5");
            } else {
                proptest::prop_assert!(pow_half(x).is_nan() && pow(0.5).is_nan());
            }
        }
    }

    #[test]
    fn reduced_powers_at_the_edges_answer_as_pow_does() {
        let pow = |x: f64, y: f64| std::hint::black_box(x).powf(std::hint::black_box(y));
        for x in [0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::MIN_POSITIVE, 5e-324, f64::MAX] {
            assert_eq!(pow_half(x).to_bits(), pow(x, 0.5).to_bits(), "{x}^0.5");
            assert_eq!((1.0 / x).to_bits(), pow(x, -1.0).to_bits(), "{x}^-1");
            assert_eq!((x * x).to_bits(), pow(x, 2.0).to_bits(), "{x}^2");
            assert_eq!(x.to_bits(), pow(x, 1.0).to_bits(), "{x}^1");
        }
        assert!(pow_half(f64::NAN).is_nan() && (1.0 / f64::NAN).is_nan());
        // x^1 at every power of two, where the number below is half a unit away: the normal
        // ones (exponent field 1 to 2046) and the subnormal ones (one mantissa bit).
        let normal = (1u64..2047).map(|field| f64::from_bits(field << 52));
        let subnormal = (0..52).map(|bit| f64::from_bits(1u64 << bit));
        for x in normal.chain(subnormal) {
            assert_eq!(pow(x, 1.0).to_bits(), x.to_bits(), "{x:e}^1");
        }
    }
}
