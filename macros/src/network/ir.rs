//! The graph IR: SSA values with static shapes, nodes with ops and spans, and structured
//! control flow (`while`, `for`) whose loop-carried values are explicit.

use super::ops::Op;
use super::shape::Shape;
use proc_macro2::Span;

/// Index of a value in [`Graph::values`].
pub type ValueId = usize;

pub struct Value {
    pub shape: Shape,
    /// The source text that produced it, for messages.
    pub text: String,
    pub span: Span,
}

pub struct Node {
    pub out: ValueId,
    pub op: Op,
    /// Where the op was written (for the diagnostics of later passes).
    #[allow(dead_code)]
    pub span: Span,
}

/// A value carried around a loop: `outer` enters, `param` is its value at the top of an
/// iteration, `next` its value at the end of the body, `result` its value after the loop.
pub struct Carried {
    pub outer: ValueId,
    pub param: ValueId,
    pub next: ValueId,
    pub result: ValueId,
}

pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

pub struct While {
    pub id: usize,
    pub carried: Vec<Carried>,
    /// Computes `cond_value` (0-d) from the carried params; never differentiated.
    pub cond: Block,
    pub cond_value: ValueId,
    pub cmp: Cmp,
    pub literal: f64,
    pub body: Block,
}

pub struct For {
    pub id: usize,
    /// The field iterated (`blocks` in `for b in blocks`).
    pub field: usize,
    pub carried: Vec<Carried>,
    pub body: Block,
}

pub enum Stmt {
    Node(Node),
    While(While),
    For(For),
}

#[derive(Default)]
pub struct Block {
    pub stmts: Vec<Stmt>,
}

/// One side of a compile-time dim check between composed layers.
pub enum Side {
    Known(usize),
    /// `<T as Layer>::IN_DIMS`.
    LayerIn(syn::Type),
    /// `<T as Layer>::OUT_DIMS`.
    LayerOut(syn::Type),
}

/// A dim check left to the type checker: dim `back` from the end of `given` must equal `want`'s.
pub struct ShapeCheck {
    pub span: Span,
    pub back: usize,
    pub given: Side,
    pub want: Side,
}

pub struct Graph {
    pub values: Vec<Value>,
    pub body: Block,
    pub input: ValueId,
    pub output: ValueId,
    pub loops: usize,
    pub checks: Vec<ShapeCheck>,
}
