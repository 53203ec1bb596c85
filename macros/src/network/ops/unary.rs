//! Elementwise unary ops: `relu`, `sigmoid`, `tanh`, `gelu`, `exp`, `log`, `sqrt`, `abs`, `-x`,
//! `leaky_relu(x, slope)`, `pow(x, p)`. Shape: unchanged.

use super::BwGen;
use crate::network::ir::ValueId;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

#[derive(Clone, Copy, Debug)]
pub enum Unary {
    Relu,
    Sigmoid,
    Tanh,
    Exp,
    Log,
    Sqrt,
    Abs,
    Neg,
    LeakyRelu(f32),
    Pow(f32),
    /// Exact GELU, `x Φ(x)`.
    Gelu,
}

pub fn by_name(name: &str) -> Option<Unary> {
    Some(match name {
        "relu" => Unary::Relu,
        "sigmoid" => Unary::Sigmoid,
        "tanh" => Unary::Tanh,
        "exp" => Unary::Exp,
        "log" => Unary::Log,
        "sqrt" => Unary::Sqrt,
        "abs" => Unary::Abs,
        "neg" => Unary::Neg,
        "gelu" => Unary::Gelu,
        _ => return None,
    })
}

pub fn forward(u: &Unary, a: &Ident, p: &TokenStream) -> TokenStream {
    match u {
        Unary::Relu => quote!(#a.relu()),
        Unary::Sigmoid => quote!(#a.sigmoid()),
        Unary::Tanh => quote!(#a.tanh()),
        Unary::Exp => quote!(#a.exp()),
        Unary::Log => quote!(#a.log()),
        Unary::Sqrt => quote!(#a.sqrt()),
        Unary::Abs => quote!(#a.abs()),
        Unary::Neg => quote!(#a.neg()),
        Unary::LeakyRelu(s) => quote!(#p::ops::leaky_relu(&#a, #s)),
        Unary::Gelu => quote!(#p::ops::gelu(&#a)),
        Unary::Pow(e) => quote!(#a.pow(#e)),
    }
}

/// `∂L/∂x` from `__g = ∂L/∂y`, through the runtime's backward helpers (`__private::ops`),
/// reading `x` (the operand) or `y` (the output) as each formula needs.
pub fn backward(u: &Unary, x: ValueId, y: ValueId, bw: &mut dyn BwGen) -> TokenStream {
    if bw.need(x).is_none() {
        return TokenStream::new();
    }
    let p = bw.p().clone();
    let o = quote!(#p::ops);
    let expr = match u {
        // relu'(x) = [y > 0]
        Unary::Relu => {
            let y = bw.saved(y);
            quote!(#o::relu_backward(#y, &__g))
        }
        // σ' = y (1 − y)
        Unary::Sigmoid => {
            let y = bw.saved(y);
            quote!(#o::sigmoid_backward(#y, &__g))
        }
        // tanh' = 1 − y²
        Unary::Tanh => {
            let y = bw.saved(y);
            quote!(#o::tanh_backward(#y, &__g))
        }
        // exp' = y
        Unary::Exp => {
            let y = bw.saved(y);
            quote!(#o::exp_backward(#y, &__g))
        }
        // log' = 1 / x
        Unary::Log => {
            let x = bw.saved(x);
            quote!(#o::log_backward(#x, &__g))
        }
        // sqrt' = 1 / (2 y)
        Unary::Sqrt => {
            let y = bw.saved(y);
            quote!(#o::sqrt_backward(#y, &__g))
        }
        // |x|' = sign(x) (0 at 0, as PyTorch)
        Unary::Abs => {
            let x = bw.saved(x);
            quote!(#o::abs_backward(#x, &__g))
        }
        Unary::Neg => quote!(__g.neg()),
        // leaky_relu' = 1 for x > 0, else slope
        Unary::LeakyRelu(s) => {
            let x = bw.saved(x);
            quote!(#o::leaky_relu_backward(#x, &__g, #s))
        }
        // (x^p)' = p x^(p−1)
        Unary::Pow(e) => {
            let x = bw.saved(x);
            quote!(#o::pow_backward(#x, &__g, #e))
        }
        // gelu'(x) = Φ(x) + x φ(x)
        Unary::Gelu => {
            let x = bw.saved(x);
            quote!(#o::gelu_backward(#x, &__g))
        }
    };
    bw.acc(x, expr)
}
