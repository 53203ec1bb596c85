//! Elementwise unary ops: `relu`, `sigmoid`, `tanh`, `exp`, `log`, `sqrt`, `abs`, `-x`,
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
        Unary::LeakyRelu(s) => quote!(#p::Tensor::where_cond(&#a.gt(0.0f32), &#a, #a.mul(#s))),
        Unary::Pow(e) => quote!(#a.pow(#e)),
    }
}

/// `∂L/∂x` from `__g = ∂L/∂y`, reading `x` (the operand) or `y` (the output) as each formula needs.
pub fn backward(u: &Unary, x: ValueId, y: ValueId, bw: &mut dyn BwGen) -> TokenStream {
    if bw.need(x).is_none() {
        return TokenStream::new();
    }
    let p = bw.p().clone();
    let expr = match u {
        // relu'(x) = [y > 0]
        Unary::Relu => {
            let y = bw.saved(y);
            quote!(#p::Tensor::where_cond(&#y.gt(0.0f32), &__g, 0.0f32))
        }
        // σ' = y (1 − y)
        Unary::Sigmoid => {
            let y = bw.saved(y);
            quote!(__g.mul(&#y.mul(&#y.neg().add(1.0f32))))
        }
        // tanh' = 1 − y²
        Unary::Tanh => {
            let y = bw.saved(y);
            quote!(__g.mul(&#y.mul(#y).neg().add(1.0f32)))
        }
        // exp' = y
        Unary::Exp => {
            let y = bw.saved(y);
            quote!(__g.mul(#y))
        }
        // log' = 1 / x
        Unary::Log => {
            let x = bw.saved(x);
            quote!(__g.div(#x))
        }
        // sqrt' = 1 / (2 y)
        Unary::Sqrt => {
            let y = bw.saved(y);
            quote!(__g.div(&#y.mul(2.0f32)))
        }
        // |x|' = sign(x) (0 at 0, as PyTorch)
        Unary::Abs => {
            let x = bw.saved(x);
            quote!(__g.mul(&#x.sign()))
        }
        Unary::Neg => quote!(__g.neg()),
        // leaky_relu' = 1 for x > 0, else slope
        Unary::LeakyRelu(s) => {
            let x = bw.saved(x);
            quote!(#p::Tensor::where_cond(&#x.gt(0.0f32), &__g, __g.mul(#s)))
        }
        // (x^p)' = p x^(p−1)
        Unary::Pow(e) => {
            let x = bw.saved(x);
            let e1 = *e - 1.0;
            quote!(__g.mul(&#x.pow(#e1).mul(#e)))
        }
    };
    bw.acc(x, expr)
}
