//! The evaluation program in the form the interpreter runs ([`Instr`]).
//!
//! A run spends most of its time dispatching instructions when it has few lanes (one run is one
//! lane): C-LEARN's evaluation program is 10,793 instructions, run 1,001 times. Two things cut
//! the dispatches without changing what is computed. The commonest binary instructions get a
//! variant each, so they are found by one jump instead of two (the instruction, then its kind);
//! and the commonest consecutive pairs become one instruction that runs the first and then the
//! second. Nothing is reordered, merged or left out: every slot is written as the two
//! instructions would write it, in the same order, with the same operations
//! (`vm::binary_value` is the one definition of each), so the bits cannot change; a property test
//! runs random programs both ways.

use crate::program::{BinaryKind, Choice, Instr, Op, Operands};

/// The fused form of `ops`: pairs are taken greedily from the front.
pub(crate) fn fuse(ops: &[Op]) -> Vec<Instr> {
    let mut code = Vec::with_capacity(ops.len());
    let mut rest = ops;
    while let Some((first, after)) = rest.split_first() {
        if let Some(pair) = after.first().and_then(|second| fuse_pair(first, second)) {
            code.push(pair);
            rest = &after[1..];
        } else {
            code.push(single(first));
            rest = after;
        }
    }
    code
}

fn single(op: &Op) -> Instr {
    match *op {
        Op::Copy { dst, src } => Instr::Copy { dst, src },
        Op::Select { dst, cond, a, b } => Instr::Select(Choice { dst, cond, a, b }),
        Op::Lookup { dst, graph, x } => Instr::Lookup { dst, graph, x },
        Op::Unary { kind, dst, a } => Instr::Unary { kind, dst, a },
        Op::SafeDiv { dst, a, b, fallback } => Instr::SafeDiv { dst, a, b, fallback },
        Op::ClampNonNegative { slot } => Instr::ClampNonNegative { slot },
        Op::StartBudget { budget, stock } => Instr::StartBudget { budget, stock },
        Op::LimitFlow { flow, source, sink } => Instr::LimitFlow { flow, source, sink },
        Op::Binary { kind, dst, a, b } => {
            let x = Operands { dst, a, b };
            match kind {
                BinaryKind::Add => Instr::Add(x),
                BinaryKind::Sub => Instr::Sub(x),
                BinaryKind::Mul => Instr::Mul(x),
                BinaryKind::Div => Instr::Div(x),
                BinaryKind::Pow => Instr::Pow(x),
                BinaryKind::Min => Instr::Min(x),
                BinaryKind::Max => Instr::Max(x),
                BinaryKind::Lt => Instr::Lt(x),
                BinaryKind::Le => Instr::Le(x),
                BinaryKind::Gt => Instr::Gt(x),
                BinaryKind::Ge => Instr::Ge(x),
                BinaryKind::Eq => Instr::Eq(x),
                BinaryKind::Ne => Instr::Ne(x),
                BinaryKind::And => Instr::And(x),
                BinaryKind::Or => Instr::Or(x),
                BinaryKind::Mod | BinaryKind::Remainder | BinaryKind::Quantum => Instr::Op(*op),
            }
        }
        _ => Instr::Op(*op),
    }
}

/// `+ − × ÷`, the binary kinds that pair.
#[derive(Clone, Copy)]
enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

fn arith(op: &Op) -> Option<(Arith, Operands)> {
    let Op::Binary { kind, dst, a, b } = *op else { return None };
    let kind = match kind {
        BinaryKind::Add => Arith::Add,
        BinaryKind::Sub => Arith::Sub,
        BinaryKind::Mul => Arith::Mul,
        BinaryKind::Div => Arith::Div,
        _ => return None,
    };
    Some((kind, Operands { dst, a, b }))
}

fn choice(op: &Op) -> Option<Choice> {
    let Op::Select { dst, cond, a, b } = *op else { return None };
    Some(Choice { dst, cond, a, b })
}

fn fuse_pair(first: &Op, second: &Op) -> Option<Instr> {
    use Arith::{Add, Div, Mul, Sub};
    if let (Some((k, x)), Some((l, y))) = (arith(first), arith(second)) {
        return Some(match (k, l) {
            (Add, Add) => Instr::AddAdd(x, y),
            (Add, Sub) => Instr::AddSub(x, y),
            (Add, Mul) => Instr::AddMul(x, y),
            (Add, Div) => Instr::AddDiv(x, y),
            (Sub, Add) => Instr::SubAdd(x, y),
            (Sub, Sub) => Instr::SubSub(x, y),
            (Sub, Mul) => Instr::SubMul(x, y),
            (Sub, Div) => Instr::SubDiv(x, y),
            (Mul, Add) => Instr::MulAdd(x, y),
            (Mul, Sub) => Instr::MulSub(x, y),
            (Mul, Mul) => Instr::MulMul(x, y),
            (Mul, Div) => Instr::MulDiv(x, y),
            (Div, Add) => Instr::DivAdd(x, y),
            (Div, Sub) => Instr::DivSub(x, y),
            (Div, Mul) => Instr::DivMul(x, y),
            (Div, Div) => Instr::DivDiv(x, y),
        });
    }
    if let (Some((k, x)), Some(s)) = (arith(first), choice(second)) {
        return Some(match k {
            Add => Instr::AddSelect(x, s),
            Sub => Instr::SubSelect(x, s),
            Mul => Instr::MulSelect(x, s),
            Div => Instr::DivSelect(x, s),
        });
    }
    if let (Some(s), Some(t)) = (choice(first), choice(second)) {
        return Some(Instr::SelectSelect(s, t));
    }
    if let (Some(s), Some((l, y))) = (choice(first), arith(second)) {
        return Some(match l {
            Add => Instr::SelectAdd(s, y),
            Sub => Instr::SelectSub(s, y),
            Mul => Instr::SelectMul(s, y),
            Div => Instr::SelectDiv(s, y),
        });
    }
    if let (Some(s), Op::Copy { dst, src }) = (choice(first), *second) {
        return Some(Instr::SelectCopy(s, dst, src));
    }
    if let Op::Copy { dst, src } = *first {
        if let Op::Copy { dst: second_dst, src: second_src } = *second {
            return Some(Instr::CopyCopy(dst, src, second_dst, second_src));
        }
        return arith(second).map(|(l, y)| match l {
            Add => Instr::CopyAdd(dst, src, y),
            Sub => Instr::CopySub(dst, src, y),
            Mul => Instr::CopyMul(dst, src, y),
            Div => Instr::CopyDiv(dst, src, y),
        });
    }
    if let (Op::Lookup { dst, graph, x: argument }, Some((l, y))) = (*first, arith(second)) {
        return Some(match l {
            Add => Instr::LookupAdd(dst, graph, argument, y),
            Sub => Instr::LookupSub(dst, graph, argument, y),
            Mul => Instr::LookupMul(dst, graph, argument, y),
            Div => Instr::LookupDiv(dst, graph, argument, y),
        });
    }
    if let (Op::Binary { kind, dst, a, b }, Some(s)) = (*first, choice(second)) {
        let x = Operands { dst, a, b };
        return match kind {
            BinaryKind::Lt => Some(Instr::LtSelect(x, s)),
            BinaryKind::Le => Some(Instr::LeSelect(x, s)),
            BinaryKind::Gt => Some(Instr::GtSelect(x, s)),
            BinaryKind::Ge => Some(Instr::GeSelect(x, s)),
            BinaryKind::Eq => Some(Instr::EqSelect(x, s)),
            BinaryKind::Ne => Some(Instr::NeSelect(x, s)),
            _ => None,
        };
    }
    if let (Some((Div, x)), Op::Lookup { dst, graph, x: argument }) = (arith(first), *second) {
        return (argument == x.dst).then_some(Instr::DivLookup(x, dst, graph));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::fuse;
    use crate::program::{BinaryKind, Instr, NO_BUDGET, Op, Slot, Table, UnaryKind};
    use crate::vm::{execute, execute_fused};
    use fulcrum_model::GraphKind;
    use proptest::prelude::*;

    /// Slots the random programs read and write.
    const SLOTS: u32 = 10;

    const BINARY: [BinaryKind; 18] = [
        BinaryKind::Add,
        BinaryKind::Sub,
        BinaryKind::Mul,
        BinaryKind::Div,
        BinaryKind::Pow,
        BinaryKind::Mod,
        BinaryKind::Remainder,
        BinaryKind::Quantum,
        BinaryKind::Min,
        BinaryKind::Max,
        BinaryKind::Lt,
        BinaryKind::Le,
        BinaryKind::Gt,
        BinaryKind::Ge,
        BinaryKind::Eq,
        BinaryKind::Ne,
        BinaryKind::And,
        BinaryKind::Or,
    ];

    /// Graphs the lookups read: evenly spaced, short and uneven, and discrete.
    fn graphs() -> Vec<Table> {
        let even: Vec<f64> = (0..40).map(f64::from).collect();
        let wave: Vec<f64> = even.iter().map(|x| (x * 0.7).sin()).collect();
        vec![
            Table::new(GraphKind::Continuous, even, wave),
            Table::new(GraphKind::Extrapolate, vec![-1.0, 0.0, 0.5, 3.0], vec![2.0, -1.0, 0.25, 8.0]),
            Table::new(GraphKind::Discrete, vec![0.0, 1.0, 2.0], vec![5.0, 6.0, 7.0]),
        ]
    }

    /// One instruction from five random numbers; the arithmetic kinds and selects, which pair,
    /// come up most often, and a lookup often reads the slot just written.
    fn op(choice: u8, kind: usize, dst: Slot, a: Slot, b: Slot, c: Slot) -> Op {
        let arithmetic = [BinaryKind::Add, BinaryKind::Sub, BinaryKind::Mul, BinaryKind::Div];
        match choice % 10 {
            0..=3 => Op::Binary { kind: arithmetic[kind % 4], dst, a, b },
            4 => Op::Binary { kind: BINARY[kind % BINARY.len()], dst, a, b },
            5 | 6 => Op::Select { dst, cond: a, b, a: c },
            7 => Op::Copy { dst, src: a },
            8 => Op::Lookup { dst, graph: (kind % 3) as u32, x: if c.is_multiple_of(2) { a } else { b } },
            _ if kind.is_multiple_of(4) => Op::SafeDiv { dst, a, b, fallback: c },
            _ if kind % 4 == 1 => Op::LimitFlow { flow: dst, source: a, sink: if c == b { NO_BUDGET } else { b } },
            _ if kind % 4 == 2 && c.is_multiple_of(3) => Op::ClampNonNegative { slot: dst },
            _ if kind % 4 == 2 => Op::StartBudget { budget: dst, stock: a },
            _ => Op::Unary { kind: [UnaryKind::Neg, UnaryKind::Sqrt, UnaryKind::Exp][kind % 3], dst, a },
        }
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => -50.0f64..50.0,
            1 => prop::sample::select(vec![0.0, -0.0, 1.0, 2.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 1e-300]),
            1 => any::<f64>(),
        ]
    }

    /// Runs `ops` plainly and fused over the same `L` lanes, and returns both slot arrays.
    fn both<const L: usize>(ops: &[Op], start: &[f64]) -> (Vec<[f64; L]>, Vec<[f64; L]>) {
        let values: Vec<[f64; L]> = (0..SLOTS as usize)
            .map(|slot| std::array::from_fn(|lane| start[(slot * L + lane) % start.len()]))
            .collect();
        let graphs = graphs();
        let (mut plain, mut fused) = (values.clone(), values);
        execute(ops, &mut plain, &graphs, &[], &[], &[]);
        execute_fused(&fuse(ops), &mut fused, &graphs, &[], &[], &[]);
        (plain, fused)
    }

    fn bits<const L: usize>(values: &[[f64; L]]) -> Vec<u64> {
        values.iter().flatten().map(|value| value.to_bits()).collect()
    }

    proptest! {
        /// A random program and random values (NaN, infinities and signed zeros among them):
        /// the fused program leaves every slot with the same bits as the plain one, in one lane
        /// and in four, whatever the pairs read and write (a pair's second instruction may read
        /// what its first wrote, or overwrite the first's operands).
        #[test]
        fn fused_programs_give_the_same_bits(
            program in prop::collection::vec(
                (any::<u8>(), any::<usize>(), 0..SLOTS, 0..SLOTS, 0..SLOTS, 0..SLOTS), 1..60),
            start in prop::collection::vec(value(), 1..40),
        ) {
            let ops: Vec<Op> =
                program.iter().map(|&(choice, kind, dst, a, b, c)| op(choice, kind, dst, a, b, c)).collect();
            let (plain, fused) = both::<1>(&ops, &start);
            prop_assert_eq!(bits(&plain), bits(&fused));
            let (plain, fused) = both::<4>(&ops, &start);
            prop_assert_eq!(bits(&plain), bits(&fused));
        }
    }

    #[test]
    fn pairs_are_fused_and_other_instructions_kept_as_they_are() {
        let add = Op::Binary { kind: BinaryKind::Add, dst: 3, a: 1, b: 2 };
        let div = Op::Binary { kind: BinaryKind::Div, dst: 4, a: 3, b: 2 };
        let lookup = Op::Lookup { dst: 5, graph: 0, x: 4 };
        let pow = Op::Binary { kind: BinaryKind::Pow, dst: 6, a: 5, b: 1 };
        let select = Op::Select { dst: 7, cond: 6, a: 5, b: 4 };
        let remainder = Op::Binary { kind: BinaryKind::Remainder, dst: 6, a: 5, b: 1 };
        let code = fuse(&[add, div, lookup, pow, select, pow, div, lookup, remainder]);
        assert!(matches!(code[0], Instr::AddDiv(..)), "{code:?}");
        assert!(matches!(code[1], Instr::Lookup { dst: 5, graph: 0, x: 4 }), "{code:?}");
        assert!(matches!(code[2], Instr::Pow(_)), "{code:?}");
        assert!(matches!(code[3], Instr::Select(..)), "{code:?}");
        assert!(matches!(code[4], Instr::Pow(_)), "{code:?}");
        assert!(matches!(code[5], Instr::DivLookup(_, 5, 0)), "{code:?}");
        assert_eq!(code[6], Instr::Op(remainder));
        assert_eq!(code.len(), 7);
        let compare = Op::Binary { kind: BinaryKind::Ge, dst: 6, a: 5, b: 1 };
        let copy = Op::Copy { dst: 8, src: 7 };
        let code = fuse(&[compare, select, copy, copy, lookup, add, select, add]);
        assert!(
            matches!(
                code[..],
                [Instr::GeSelect(..), Instr::CopyCopy(8, 7, 8, 7), Instr::LookupAdd(5, 0, 4, _), Instr::SelectAdd(..)]
            ),
            "{code:?}"
        );
        // A lookup of something other than the quotient is not fused with the division.
        let elsewhere = Op::Lookup { dst: 5, graph: 0, x: 3 };
        assert!(matches!(fuse(&[div, elsewhere])[..], [Instr::Div(_), Instr::Lookup { .. }]));
    }
}
