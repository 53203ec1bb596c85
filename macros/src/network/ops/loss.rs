//! Losses: `cross_entropy`, `nll_loss` (logits/log-probabilities `[B, C, d…]` against class
//! indices `[B, d…]` of an `as i64` input), `mse_loss`, `l1_loss`, `binary_cross_entropy` and
//! `binary_cross_entropy_with_logits` (two float tensors of one shape), each with a reduction
//! (`"mean"` by default, `"sum"`, `"none"`). Forward and backward call the runtime helpers of
//! `fusenet_runtime::graph::loss`, which write the loss, the log-probabilities and the gradients
//! into buffers from [`Gen::slot`]; `cross_entropy` saves the log-probabilities its forward
//! computed.

use super::{BwGen, Gen};
use crate::network::ir::ValueId;
use crate::network::shape::{Dims, Shape};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossKind {
    CrossEntropy,
    Nll,
    Mse,
    L1,
    Bce,
    BceWithLogits,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Red {
    Mean,
    Sum,
    None,
}

impl LossKind {
    pub fn by_name(name: &str) -> Option<LossKind> {
        Some(match name {
            "cross_entropy" => LossKind::CrossEntropy,
            "nll_loss" => LossKind::Nll,
            "mse_loss" => LossKind::Mse,
            "l1_loss" => LossKind::L1,
            "binary_cross_entropy" => LossKind::Bce,
            "binary_cross_entropy_with_logits" => LossKind::BceWithLogits,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            LossKind::CrossEntropy => "cross_entropy",
            LossKind::Nll => "nll_loss",
            LossKind::Mse => "mse_loss",
            LossKind::L1 => "l1_loss",
            LossKind::Bce => "binary_cross_entropy",
            LossKind::BceWithLogits => "binary_cross_entropy_with_logits",
        }
    }

    /// Whether the target is class indices (an `as i64` input).
    pub fn class(self) -> bool {
        matches!(self, LossKind::CrossEntropy | LossKind::Nll)
    }

    /// Whether the forward can fail on its data (a class out of range, a probability outside [0, 1]).
    pub fn fallible(self) -> bool {
        matches!(self, LossKind::CrossEntropy | LossKind::Nll | LossKind::Bce)
    }
}

impl Red {
    pub fn by_name(s: &str) -> Option<Red> {
        Some(match s {
            "mean" => Red::Mean,
            "sum" => Red::Sum,
            "none" => Red::None,
            _ => return None,
        })
    }

    fn tokens(self, p: &TokenStream) -> TokenStream {
        match self {
            Red::Mean => quote!(#p::ops::Reduction::Mean),
            Red::Sum => quote!(#p::ops::Reduction::Sum),
            Red::None => quote!(#p::ops::Reduction::None),
        }
    }
}

/// The shape rule: class losses take `[B, C, d…]` against `[B, d…]`, the others two equal shapes;
/// the result is `[]`, or the target's (class) / input's shape for `"none"`.
pub fn shape(dims: &mut Dims, kind: LossKind, red: Red, x: &Shape, t: &Shape) -> Result<Shape, String> {
    let unreduced = if kind.class() {
        if x.rest.is_some() || t.rest.is_some() {
            return Err(format!("`{}` needs inputs of known rank (input [B, C, d…], target [B, d…]), got {} and {}", kind.name(), dims.text(x), dims.text(t)));
        }
        if x.dims.len() < 2 {
            return Err(format!("`{}` expects an input [B, C] or [B, C, d…] of scores per class, got {}", kind.name(), dims.text(x)));
        }
        let mut want = x.clone();
        want.dims.remove(1);
        if !dims.unify_shapes(&want, t) {
            return Err(format!(
                "`{}`: the target {} does not fit the input {}; expected a target of class indices of shape {}",
                kind.name(),
                dims.text(t),
                dims.text(x),
                dims.text(&want)
            ));
        }
        want
    } else {
        if !dims.unify_shapes(x, t) {
            return Err(format!("`{}`: the target {} must have the same shape as the input {}", kind.name(), dims.text(t), dims.text(x)));
        }
        x.clone()
    };
    Ok(match red {
        Red::None => unreduced,
        Red::Mean | Red::Sum => Shape::scalar(),
    })
}

/// The forward: an expression of type `Tensor`, or `(Tensor, Tensor)` (loss, log-probabilities)
/// for `cross_entropy` when `aux` is asked; fallible losses end in `?`. Results go to buffers
/// from `g.slot()` (the log-probabilities of `cross_entropy` to a second one).
pub fn forward(kind: LossKind, red: Red, a: &Ident, b: &Ident, g: &mut dyn Gen, aux: bool) -> TokenStream {
    let p = g.p().clone();
    let r = red.tokens(&p);
    let f = format_ident!("{}", kind.name());
    let out = g.slot();
    match kind {
        LossKind::CrossEntropy => {
            let lp = g.slot();
            let call = quote!(#p::ops::cross_entropy(#out, #lp, &#a, &#b, #r)?);
            if aux { call } else { quote!(#call.0) }
        }
        k if k.fallible() => quote!(#p::ops::#f(#out, &#a, &#b, #r)?),
        _ => quote!(#p::ops::#f(#out, &#a, &#b, #r)),
    }
}

/// `let __go = …;`: the loss's gradient, contiguous. With `"none"` it is shaped like the loss and
/// may be a strided view (a broadcast from a later `sum`): then it is copied into a buffer, else
/// it is `__g` itself (0-d).
fn grad_out(red: Red, bw: &mut dyn BwGen) -> TokenStream {
    let p = bw.p().clone();
    match red {
        Red::None => {
            let slot = bw.slot();
            quote!(let __go = #p::ops::into::reshape(#slot, &__g, __g.shape());)
        }
        Red::Mean | Red::Sum => quote!(let __go = __g.shallow_clone();),
    }
}

/// `Some(slot)` when `v` needs a gradient (under its runtime condition), else `None`.
fn grad_slot(bw: &mut dyn BwGen, need: &Option<TokenStream>) -> TokenStream {
    match need {
        Some(cond) => {
            let s = bw.slot();
            quote!(if #cond { ::core::option::Option::Some(#s) } else { ::core::option::Option::None })
        }
        None => quote!(::core::option::Option::None),
    }
}

/// The backward, with `__g` the gradient of the loss.
pub fn backward(kind: LossKind, red: Red, a: ValueId, b: ValueId, aux: Option<ValueId>, bw: &mut dyn BwGen) -> TokenStream {
    let p = bw.p().clone();
    let r = red.tokens(&p);
    let (na, nb) = (bw.need(a), if kind.class() { None } else { bw.need(b) });
    if na.is_none() && nb.is_none() {
        return TokenStream::new();
    }
    let go = grad_out(red, bw);
    match kind {
        LossKind::CrossEntropy | LossKind::Nll => {
            let t = bw.saved(b);
            let slot = bw.slot();
            let g = match (kind, aux) {
                (LossKind::CrossEntropy, Some(lp)) => {
                    let lp = bw.saved(lp);
                    quote!(#p::ops::cross_entropy_backward(#slot, #lp, #t, #r, &__go))
                }
                _ => {
                    let s = bw.saved_shape(a);
                    quote!(#p::ops::nll_loss_backward(#slot, #s, #t, #r, &__go))
                }
            };
            let acc = bw.acc_fresh(a, quote!(__gx));
            quote! {
                #go
                let __gx = #g;
                #acc
            }
        }
        _ => {
            let f = format_ident!("{}_backward", kind.name());
            let (xa, xb) = (bw.saved(a), bw.saved(b));
            let (sa, sb) = (grad_slot(bw, &na), grad_slot(bw, &nb));
            let acc_a = bw.acc_fresh(a, quote!(__ga));
            let acc_b = if nb.is_some() { bw.acc_fresh(b, quote!(__gb)) } else { TokenStream::new() };
            quote! {
                #go
                let (__ga, __gb) = #p::ops::#f(#xa, #xb, #r, &__go, #sa, #sb);
                if let ::core::option::Option::Some(__ga) = __ga { #acc_a }
                if let ::core::option::Option::Some(__gb) = __gb { #acc_b }
            }
        }
    }
}
