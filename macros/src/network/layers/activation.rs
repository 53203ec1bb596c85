//! The parameter-free elementwise layers `ReLU`, `Sigmoid`, `Tanh` and `Identity`: a call is
//! inlined as the op of the same name.

use crate::network::ops::Unary;

#[derive(Clone, Copy, Debug)]
pub enum Activation {
    Relu,
    Sigmoid,
    Tanh,
    Identity,
}

pub fn by_name(name: &str) -> Option<Activation> {
    Some(match name {
        "ReLU" => Activation::Relu,
        "Sigmoid" => Activation::Sigmoid,
        "Tanh" => Activation::Tanh,
        "Identity" => Activation::Identity,
        _ => return None,
    })
}

/// The op a call lowers to; `None` for `Identity` (the call is its argument).
pub fn op(a: Activation) -> Option<Unary> {
    match a {
        Activation::Relu => Some(Unary::Relu),
        Activation::Sigmoid => Some(Unary::Sigmoid),
        Activation::Tanh => Some(Unary::Tanh),
        Activation::Identity => None,
    }
}

/// The activation layers called through `Layer` (shape kept): `GELU`, `LeakyReLU`, `ELU`,
/// `SiLU`, and `Softmax`/`LogSoftmax` whose `new(dim)` must name a dim of the input.
pub fn kept(name: &str, init: Option<&syn::Expr>, field: &str, ty_span: proc_macro2::Span) -> Option<Result<super::LayerKind, (proc_macro2::Span, String)>> {
    match name {
        "GELU" | "LeakyReLU" | "ELU" | "SiLU" => Some(Ok(super::LayerKind::Kept { dim: None })),
        "Softmax" | "LogSoftmax" => Some(match init {
            None => Err((ty_span, format!("`{name}` needs its dim: write `{}{name} = {name}::new(1)`", super::ctor::decl(field)))),
            Some(e) => {
                let ch = super::ctor::chain(e);
                match ch.as_ref().map(|c| (c.base.name.as_str(), c.base.args.as_slice(), c.methods.len())) {
                    Some(("new", [d], 0)) => match super::ctor::isize_lit(d) {
                        Some(d) => Ok(super::LayerKind::Kept { dim: Some(d) }),
                        None => Err(super::ctor::not_understood(e, None, field, &format!("`{name}::new(dim)` with an integer literal"))),
                    },
                    _ => Err(super::ctor::not_understood(e, None, field, &format!("`{name}::new(dim)` with an integer literal"))),
                }
            }
        }),
        _ => None,
    }
}
