//! Elementwise fusion for the forward: which values never get a buffer of their own.
//!
//! A value made by an elementwise op is *inlined* into the one elementwise op that reads it when
//! nothing else needs it as a tensor: it has exactly one use, that use is in the same block, the
//! backward does not read it, and it is not the result. Its per-element expression then becomes
//! part of the reader's, so a chain such as `relu(x * w + b) - 1.0` is one pass over memory.
//!
//! A built-in `Linear` whose only reader is such a chain, and whose output the backward does not
//! read, is *deferred*: the chain (when the `Linear` output is its only tensor operand) becomes
//! the GEMM's epilogue, applied while the output is in cache.
//!
//! The decisions are made per block from static facts (use counts, what the backward saves);
//! [`Plan`] records them for the code generator.

use super::ir::{Block, Graph, Stmt, ValueId};
use super::ops::{self, Op};
use std::collections::{BTreeSet, HashMap, HashSet};

/// How many places read each value: op operands, loop entries and ends, the loop condition,
/// and the network's result.
pub fn use_counts(g: &Graph) -> Vec<usize> {
    let mut uses = vec![0; g.values.len()];
    count_block(&g.body, &mut uses);
    uses[g.output] += 1;
    uses
}

fn count_block(b: &Block, uses: &mut [usize]) {
    for s in &b.stmts {
        match s {
            Stmt::Node(n) => ops::operands(&n.op).into_iter().for_each(|v| uses[v] += 1),
            Stmt::While(w) => {
                count_block(&w.cond, uses);
                count_block(&w.body, uses);
                uses[w.cond_value] += 1;
                for c in &w.carried {
                    uses[c.outer] += 1;
                    uses[c.next] += 1;
                }
            }
            Stmt::For(f) => {
                count_block(&f.body, uses);
                for c in &f.carried {
                    uses[c.outer] += 1;
                    uses[c.next] += 1;
                }
            }
        }
    }
}

/// The most distinct tensors an inlined value's expression may read. A pass reads at most its
/// two operands' leaves, so at most six tensors: the runtime locks at most eight.
const MAX_LEAVES: usize = 3;

/// The fusion decisions for one block.
#[derive(Default)]
pub struct Plan {
    /// Values folded into their reader's expression.
    pub inline: HashSet<ValueId>,
    /// `Linear` outputs computed with their reader's chain as the epilogue.
    pub deferred: HashSet<ValueId>,
}

/// Decides, for the nodes of `b`, which values are inlined and which `Linear`s deferred.
/// `kept` are the values that must exist as tensors (saved for the backward, or shape-saved).
pub fn plan(b: &Block, uses: &[usize], kept: &BTreeSet<ValueId>, output: ValueId) -> Plan {
    let mut reader: HashMap<ValueId, &Op> = HashMap::new();
    for s in &b.stmts {
        if let Stmt::Node(n) = s {
            for v in ops::operands(&n.op) {
                reader.insert(v, &n.op);
            }
        }
    }
    let mut plan = Plan::default();
    // Leaves (distinct tensors read) of each value's fused expression, for the size cap.
    let mut leaves: HashMap<ValueId, BTreeSet<ValueId>> = HashMap::new();
    for s in &b.stmts {
        let Stmt::Node(n) = s else { continue };
        let free = uses[n.out] == 1 && !kept.contains(&n.out) && n.out != output;
        let read_by_elementwise = reader.get(&n.out).is_some_and(|op| ops::elem_operands(op).is_some());
        if let Some(operands) = ops::elem_operands(&n.op) {
            let mut mine = BTreeSet::new();
            for a in operands {
                match leaves.get(&a) {
                    Some(l) if plan.inline.contains(&a) => mine.extend(l.iter().copied()),
                    _ => {
                        mine.insert(a);
                    }
                }
            }
            if free && read_by_elementwise && mine.len() <= MAX_LEAVES {
                plan.inline.insert(n.out);
            }
            leaves.insert(n.out, mine);
        } else if matches!(n.op, Op::Linear(..)) && free && read_by_elementwise {
            plan.deferred.insert(n.out);
        }
    }
    plan
}
