//! The ops of the IR. Each family (one file) holds its shape rule, its forward code and its
//! gradient rule; [`Op`] dispatches.

pub mod arith;
pub mod layer;
pub mod loss;
pub mod matmul;
pub mod reduce;
pub mod shape_ops;
pub mod unary;

use super::ir::ValueId;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

pub use arith::Bin;
pub use reduce::Reduce;
pub use unary::Unary;

/// Which layer a call reaches: a field, or the element of a `for` loop over a field.
#[derive(Clone, Copy)]
pub enum Callee {
    Field(usize),
    LoopElem(usize),
}

pub enum Op {
    /// The forward's argument.
    Input,
    /// The forward's `k`-th argument after the first (`k >= 1`): a target, never differentiated.
    Arg(usize),
    /// A loss of `a` against the target `b`; `aux` holds `cross_entropy`'s log-probabilities.
    Loss { kind: loss::LossKind, red: loss::Red, a: ValueId, b: ValueId, aux: Option<ValueId> },
    /// The value of a `Param` field.
    Param(usize),
    /// The value of a constant or buffer field (never differentiated).
    Tensor(usize),
    Unary(Unary, ValueId),
    Binary(Bin, ValueId, ValueId),
    /// `a ∘ c` with a number `c`.
    ScalarRhs(Bin, ValueId, f64),
    /// `c ∘ b` with a number `c`.
    ScalarLhs(Bin, f64, ValueId),
    MatMul(ValueId, ValueId),
    Reduce(Reduce, ValueId),
    /// `softmax(x, dim)` (`log = false`) or `log_softmax(x, dim)`.
    Softmax { log: bool, arg: ValueId, dim: isize },
    Transpose(ValueId, isize, isize),
    /// `max(x)` (`dim = None`) or `max(x, dim, keepdim)` (the values).
    Max { dim: Option<(isize, bool)>, arg: ValueId },
    /// `reshape(x, [..])` / `view(x, [..])`.
    Reshape { arg: ValueId, spec: Vec<shape_ops::Target>, view: bool },
    Permute(ValueId, Vec<isize>),
    Unsqueeze(ValueId, isize),
    /// `squeeze(x)` (every size-1 dim) or `squeeze(x, dim)`.
    Squeeze(ValueId, Option<isize>),
    /// `cat([a, b, ..], dim)` (`stack = false`) or `stack([a, b, ..], dim)`.
    Join { parts: Vec<ValueId>, dim: isize, stack: bool },
    /// The built-in `Linear` (`x Wᵀ + b`), inlined.
    Linear(Callee, ValueId),
    /// The built-in `Flatten` (dims `start..=end` into one).
    Flatten(ValueId, isize, isize),
    /// Any other layer, through `Layer::{forward, forward_train, backward}`; `site` names its
    /// context; `params`: whether it may hold parameters (else it needs a backward only when its
    /// input does).
    Layer { site: usize, callee: Callee, arg: ValueId, params: bool },
}

/// What the code generators need from their surroundings.
pub trait Gen {
    /// The path of the runtime (`::fusenet::__private`).
    fn p(&self) -> &TokenStream;
    /// `&self.field` or the loop element, as an expression of reference type.
    fn callee(&self, c: Callee) -> TokenStream;
    /// The member of a field (`self.#member`).
    fn field(&self, f: usize) -> TokenStream;
    /// Whether field `f` is a buffer (read with `.value()`) rather than a constant tensor.
    fn is_buffer(&self, f: usize) -> bool;
    /// A buffer for one op's result (an expression of type `&mut Slot`): kept in the context
    /// in the training forward and the backward, so a steady-state step allocates nothing.
    fn slot(&mut self) -> TokenStream;
}

/// The operands of an elementwise op (the ops [`elem`] writes per-element code for).
pub fn elem_operands(op: &Op) -> Option<Vec<ValueId>> {
    match op {
        Op::Unary(_, a) | Op::ScalarRhs(_, a, _) | Op::ScalarLhs(_, _, a) => Some(vec![*a]),
        Op::Binary(_, a, b) => Some(vec![*a, *b]),
        _ => None,
    }
}

/// The per-element expression of an elementwise op (an `f32`), given its operands' expressions.
pub fn elem(op: &Op, args: &[TokenStream], p: &TokenStream) -> Option<TokenStream> {
    Some(match op {
        Op::Unary(u, _) => unary::elem(u, &args[0], p),
        Op::Binary(b, ..) => arith::elem(*b, &args[0], &args[1]),
        Op::ScalarRhs(b, _, c) => {
            let c = *c as f32;
            arith::elem(*b, &args[0], &quote!(#c))
        }
        Op::ScalarLhs(b, c, _) => {
            let c = *c as f32;
            arith::elem(*b, &quote!(#c), &args[0])
        }
        _ => return None,
    })
}

/// `ops::map(slot, [inputs], |[params]| body)`: one fused elementwise pass into `slot`.
pub fn map_call(p: &TokenStream, slot: TokenStream, inputs: &[TokenStream], params: &[Ident], body: TokenStream) -> TokenStream {
    let n = inputs.len();
    quote!(#p::ops::map(#slot, [#(#inputs),*], |[#(#params),*]: [f32; #n]| #body))
}

pub fn v(id: ValueId) -> Ident {
    format_ident!("__v{}", id)
}

/// Forward code of one node: an expression of type `Tensor`. In the training path `site_ctx`
/// is the place of the layer's context.
pub fn forward(op: &Op, g: &mut dyn Gen, site_ctx: Option<TokenStream>) -> TokenStream {
    let p = g.p().clone();
    let p = &p;
    if let Some(operands) = elem_operands(op) {
        let params: Vec<Ident> = (0..operands.len()).map(|k| format_ident!("__a{}", k)).collect();
        let args: Vec<TokenStream> = params.iter().map(|x| quote!(#x)).collect();
        let body = elem(op, &args, p).unwrap_or_default();
        let inputs: Vec<TokenStream> = operands.iter().map(|&x| {
            let x = v(x);
            quote!(&#x)
        }).collect();
        let slot = g.slot();
        return map_call(p, slot, &inputs, &params, body);
    }
    match op {
        Op::Input => quote!(#p::Tensor::shallow_clone(__x)),
        Op::Arg(k) => {
            let x = format_ident!("__x{}", k);
            quote!(#p::Tensor::shallow_clone(#x))
        }
        Op::Loss { kind, red, a, b, .. } => loss::forward(*kind, *red, &v(*a), &v(*b), g, false),
        Op::Param(f) => {
            let m = g.field(*f);
            quote!(#m.value())
        }
        Op::Tensor(f) => {
            let m = g.field(*f);
            if g.is_buffer(*f) { quote!(#m.value()) } else { quote!(#m.shallow_clone()) }
        }
        Op::Unary(..) | Op::Binary(..) | Op::ScalarRhs(..) | Op::ScalarLhs(..) => TokenStream::new(),
        Op::MatMul(a, b) => {
            let (a, b, slot) = (v(*a), v(*b), g.slot());
            quote!(#p::ops::into::matmul(#slot, &#a, &#b))
        }
        Op::Reduce(r, a) => {
            let slot = g.slot();
            reduce::forward(r, &v(*a), p, slot)
        }
        Op::Softmax { log, arg, dim } => {
            let (a, slot) = (v(*arg), g.slot());
            quote!(#p::ops::into::softmax(#slot, &#a, #dim, #log))
        }
        Op::Transpose(a, d0, d1) => {
            let a = v(*a);
            quote!(#a.transpose(#d0, #d1))
        }
        Op::Max { dim, arg } => {
            let slot = g.slot();
            reduce::forward_max(*dim, &v(*arg), p, slot)
        }
        Op::Reshape { arg, spec, view } => shape_ops::forward_reshape(&v(*arg), spec, *view),
        Op::Permute(a, dims) => shape_ops::forward_permute(&v(*a), dims),
        Op::Unsqueeze(a, d) => {
            let a = v(*a);
            quote!(#a.unsqueeze(#d))
        }
        Op::Squeeze(a, d) => shape_ops::forward_squeeze(&v(*a), *d),
        Op::Join { parts, dim, stack } => {
            let slot = g.slot();
            shape_ops::forward_join(p, parts, *dim, *stack, slot)
        }
        Op::Linear(c, a) => {
            let (callee, slot) = (g.callee(*c), g.slot());
            layer::forward_linear(p, &callee, &v(*a), slot, None)
        }
        Op::Flatten(a, s, e) => {
            let a = v(*a);
            quote!(#a.flatten(#s, #e))
        }
        Op::Layer { callee, arg, .. } => {
            let c = g.callee(*callee);
            let a = v(*arg);
            match site_ctx {
                Some(ctx) => quote!(#p::Layer::forward_train(#c, &#a, &mut #ctx)),
                None => quote!(#p::Layer::forward(#c, &#a)),
            }
        }
    }
}

/// The values an op reads (its operands).
pub fn operands(op: &Op) -> Vec<ValueId> {
    match op {
        Op::Input | Op::Arg(_) | Op::Param(_) | Op::Tensor(_) => Vec::new(),
        Op::Loss { a, b, .. } => vec![*a, *b],
        Op::Unary(_, a)
        | Op::ScalarRhs(_, a, _)
        | Op::ScalarLhs(_, _, a)
        | Op::Reduce(_, a)
        | Op::Softmax { arg: a, .. }
        | Op::Transpose(a, _, _)
        | Op::Max { arg: a, .. }
        | Op::Reshape { arg: a, .. }
        | Op::Permute(a, _)
        | Op::Unsqueeze(a, _)
        | Op::Squeeze(a, _)
        | Op::Linear(_, a)
        | Op::Flatten(a, ..)
        | Op::Layer { arg: a, .. } => vec![*a],
        Op::Binary(_, a, b) | Op::MatMul(a, b) => vec![*a, *b],
        Op::Join { parts, .. } => parts.clone(),
    }
}

/// The backward side of code generation, implemented by the autodiff pass: saved values,
/// gradient needs and accumulation into gradient slots.
pub trait BwGen: Gen {
    /// A saved value of the forward, as an expression of type `&Tensor` (records the save).
    fn saved(&mut self, v: ValueId) -> TokenStream;
    /// The saved shape of a value, as an expression of type `&[usize]` (records the save).
    fn saved_shape(&mut self, v: ValueId) -> TokenStream;
    /// The runtime condition under which `v` needs a gradient, `None` when it never does.
    fn need(&self, v: ValueId) -> Option<TokenStream>;
    /// `if need(v) { acc(g_v, expr) }`; nothing when `v` never needs a gradient. `expr` may be
    /// a view of the incoming gradient `__g` (a reshape, a pass-through).
    fn acc(&mut self, v: ValueId, expr: TokenStream) -> TokenStream;
    /// [`BwGen::acc`] for an `expr` that is a new result written into buffers taken from
    /// [`Gen::slot`] in this node's backward (never a view of `__g`), so that the buffers behind
    /// `__g` can be reused once it is consumed.
    fn acc_fresh(&mut self, v: ValueId, expr: TokenStream) -> TokenStream;
    /// Statically the same shape (no broadcast reduction needed).
    fn same_shape(&self, a: ValueId, b: ValueId) -> bool;
    /// The context place of a layer call site (for `Layer::backward`).
    fn site_ctx(&self, site: usize) -> TokenStream;
    /// When `x` is the output of a built-in `Linear` read only here, its bias as an expression
    /// of type `Option<&Param>` and the update that may be fused for it (see
    /// [`BwGen::fused_update`]): the caller accumulates the bias gradient in its own pass, and
    /// the `Linear`'s backward then skips it.
    fn fuse_bias(&mut self, x: ValueId) -> Option<(TokenStream, TokenStream)>;
    /// Whether the bias gradient of the `Linear` that computed `z` was taken by [`BwGen::fuse_bias`].
    fn bias_fused(&self, z: ValueId) -> bool;
    /// The optimiser update the backward of a layer call may apply in place of storing its
    /// parameters' gradients (`__upd`, an `Option<&dyn FusedUpdate>`), or `None` (tokens) when
    /// the call is not the only reader of its layer's parameters: the field is called elsewhere
    /// too, or the call sits in a loop.
    fn fused_update(&self, c: Callee) -> TokenStream;
}

/// `expr` (shaped like `out`) summed down to the shape of `target` where broadcasting grew it.
pub fn reduce_to(bw: &mut dyn BwGen, target: ValueId, out: ValueId, expr: TokenStream) -> TokenStream {
    if bw.same_shape(target, out) {
        expr
    } else {
        let s = bw.saved_shape(target);
        let p = bw.p().clone();
        let slot = bw.slot();
        quote!(#p::ops::into::sum_to(#slot, &#expr, #s))
    }
}

/// Backward code of one node, run with `__g: Tensor` bound to the gradient of its output.
pub fn backward(op: &Op, out: ValueId, bw: &mut dyn BwGen) -> TokenStream {
    match op {
        Op::Input | Op::Arg(_) | Op::Tensor(_) => TokenStream::new(),
        Op::Loss { kind, red, a, b, aux } => loss::backward(*kind, *red, *a, *b, *aux, bw),
        Op::Param(f) => {
            let m = bw.field(*f);
            quote!(if #m.requires_grad() { #m.accumulate_grad(&__g); })
        }
        Op::Unary(u, a) => unary::backward(u, *a, out, bw),
        Op::Binary(b, x, y) => arith::backward_binary(*b, *x, *y, out, bw),
        Op::ScalarRhs(b, x, c) => arith::backward_rhs(*b, *x, *c, bw),
        Op::ScalarLhs(b, c, y) => arith::backward_lhs(*b, *c, *y, bw),
        Op::MatMul(a, b) => matmul::backward(*a, *b, bw),
        Op::Reduce(r, a) => reduce::backward(r, *a, bw),
        Op::Softmax { log, arg, dim } => reduce::backward_softmax(*log, *arg, *dim, out, bw),
        Op::Transpose(a, d0, d1) => {
            let p = bw.p().clone();
            bw.acc(*a, quote!(#p::ops::transpose_backward(&__g, #d0, #d1)))
        }
        Op::Max { dim, arg } => reduce::backward_max(*dim, *arg, out, bw),
        Op::Reshape { arg, .. } | Op::Unsqueeze(arg, _) | Op::Squeeze(arg, _) => shape_ops::backward_reshape(*arg, bw),
        Op::Permute(a, dims) => shape_ops::backward_permute(*a, dims, bw),
        Op::Join { parts, dim, stack } => shape_ops::backward_join(parts, *dim, *stack, bw),
        Op::Linear(c, a) => layer::backward_linear(*c, *a, out, bw),
        Op::Flatten(a, ..) => shape_ops::backward_reshape(*a, bw),
        Op::Layer { site, callee, arg, .. } => layer::backward_layer(*site, *callee, *arg, bw),
    }
}
