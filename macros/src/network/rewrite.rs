//! Graph rewrites that leave every output and gradient bit for bit as written but do less work.
//!
//! `max_pool(relu(x))` becomes `relu(max_pool(x))`. ReLU does not decrease, so over a window
//!
//! ```text
//! max_i relu(x_i) = relu(max_i x_i)
//! ```
//!
//! and the gradient is the same too: when the window's largest value is positive, ReLU leaves
//! it and every value tied with it unchanged and lowers no other value to its level, so the
//! pool picks the same first maximum either way and ReLU passes its gradient; when it is not
//! positive, ReLU's gradient is 0 for every element of the window in both orders. Only the
//! reading of NaN differs: `relu` here maps NaN to 0, so in the rewritten order a window with a
//! NaN yields 0 rather than the largest of its other values. ReLU then runs, forward and
//! backward, on the pooled tensor: a quarter of the elements behind a 2×2 pool (LeNet's two
//! ReLUs each read and wrote 4× more than they now do).
//!
//! The rewrite applies when the ReLU's output is read by the max-pool only (not by a second op,
//! a loop, or as the result); then nothing else can tell the two orders apart.

use super::fields::{FieldKind, NetField};
use super::fuse::use_counts;
use super::ir::{Block, Graph, Stmt, ValueId};
use super::layers::LayerKind;
use super::ops::unary::Unary;
use super::ops::{Callee, Op};
use std::collections::HashMap;

/// Rewrites every `max_pool(relu(x))` of `g` whose ReLU output has no other reader.
pub fn relu_after_max_pool(g: &mut Graph, fields: &[NetField]) {
    let uses = use_counts(g);
    let output = g.output;
    let mut swapped: Vec<(ValueId, ValueId)> = Vec::new();
    visit(&mut g.body, &mut |b| swap_in_block(b, fields, &uses, output, &mut swapped));
    // The ReLU's value now holds the pooled tensor: it takes the pool's shape.
    for (relu_out, pool_out) in swapped {
        g.values[relu_out].shape = g.values[pool_out].shape.clone();
    }
}

/// Calls `f` on `b` and on every block nested in it.
fn visit(b: &mut Block, f: &mut impl FnMut(&mut Block)) {
    f(b);
    for s in &mut b.stmts {
        match s {
            Stmt::Node(_) => {}
            Stmt::While(w) => {
                visit(&mut w.cond, f);
                visit(&mut w.body, f);
            }
            Stmt::For(l) => visit(&mut l.body, f),
        }
    }
}

/// Whether field `f` is a built-in max-pool.
fn is_max_pool(fields: &[NetField], f: usize) -> bool {
    matches!(fields.get(f).map(|f| &f.kind), Some(FieldKind::Layer(l)) if matches!(&l.kind, LayerKind::Pool(p) if p.max))
}

/// Within one block: `r = relu(x); p = pool(r)` becomes `r = pool(x); p = relu(r)`, each node
/// keeping its place (nothing between them reads `r`, whose only reader is the pool).
fn swap_in_block(b: &mut Block, fields: &[NetField], uses: &[usize], output: ValueId, swapped: &mut Vec<(ValueId, ValueId)>) {
    let mut relu_at: HashMap<ValueId, usize> = HashMap::new();
    for i in 0..b.stmts.len() {
        let Stmt::Node(n) = &b.stmts[i] else { continue };
        match n.op {
            Op::Unary(Unary::Relu, _) => {
                relu_at.insert(n.out, i);
            }
            Op::Layer { callee: Callee::Field(f), arg, .. } if is_max_pool(fields, f) && uses[arg] == 1 && arg != output => {
                let Some(&j) = relu_at.get(&arg) else {
                    continue;
                };
                let Stmt::Node(relu) = &b.stmts[j] else {
                    continue;
                };
                let Op::Unary(Unary::Relu, x) = relu.op else {
                    continue;
                };
                let Stmt::Node(pool) = &mut b.stmts[i] else {
                    continue;
                };
                let pool_out = pool.out;
                let mut pool_op = std::mem::replace(&mut pool.op, Op::Unary(Unary::Relu, arg));
                if let Op::Layer { arg: a, .. } = &mut pool_op {
                    *a = x;
                }
                if let Stmt::Node(relu) = &mut b.stmts[j] {
                    relu.op = pool_op;
                }
                relu_at.remove(&arg);
                swapped.push((arg, pool_out));
            }
            _ => {}
        }
    }
}
