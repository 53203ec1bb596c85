//! Elementwise unary ops: `relu`, `sigmoid`, `tanh`, `gelu`, `exp`, `log`, `sqrt`, `abs`, `-x`,
//! `leaky_relu(x, slope)`, `pow(x, p)`. Shape: unchanged.

use super::BwGen;
use crate::network::ir::ValueId;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

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

/// The per-element forward of `u` on the `f32` expression `a` (the formulas of
/// `fusenet_runtime::graph::elem`, shared with the eager helpers).
pub fn elem(u: &Unary, a: &TokenStream, p: &TokenStream) -> TokenStream {
    let e = quote!(#p::ops::elem);
    match u {
        Unary::Relu => quote!(#e::relu(#a)),
        Unary::Sigmoid => quote!(#e::sigmoid(#a)),
        Unary::Tanh => quote!((#a).tanh()),
        Unary::Exp => quote!((#a).exp()),
        Unary::Log => quote!((#a).ln()),
        Unary::Sqrt => quote!((#a).sqrt()),
        Unary::Abs => quote!((#a).abs()),
        Unary::Neg => quote!((-(#a))),
        Unary::LeakyRelu(s) => quote!(#e::leaky_relu(#a, #s)),
        Unary::Gelu => quote!(#e::gelu(#a)),
        Unary::Pow(k) => quote!((#a).powf(#k)),
    }
}

/// Whether the derivative reads the output `y` (else the input `x`).
fn reads_output(u: &Unary) -> bool {
    matches!(u, Unary::Relu | Unary::Sigmoid | Unary::Tanh | Unary::Exp | Unary::Sqrt)
}

/// The per-element gradient `∂L/∂x` from `g` and `s` (the saved `y` or `x`, see [`reads_output`]).
pub fn grad_elem(u: &Unary, s: &TokenStream, g: &TokenStream, p: &TokenStream) -> Option<TokenStream> {
    let e = quote!(#p::ops::elem);
    Some(match u {
        // relu'(x) = [y > 0]
        Unary::Relu => quote!(#e::relu_grad(#s, #g)),
        // σ' = y (1 − y)
        Unary::Sigmoid => quote!(#e::sigmoid_grad(#s, #g)),
        // tanh' = 1 − y²
        Unary::Tanh => quote!(#e::tanh_grad(#s, #g)),
        // exp' = y
        Unary::Exp => quote!((#g * #s)),
        // log' = 1 / x
        Unary::Log => quote!((#g / #s)),
        // sqrt' = 1 / (2 y)
        Unary::Sqrt => quote!(#e::sqrt_grad(#s, #g)),
        // |x|' = sign(x) (0 at 0, as PyTorch)
        Unary::Abs => quote!(#e::abs_grad(#s, #g)),
        Unary::Neg => return None,
        // leaky_relu' = 1 for x > 0, else slope
        Unary::LeakyRelu(k) => quote!(#e::leaky_relu_grad(#s, #g, #k)),
        // (x^p)' = p x^(p−1)
        Unary::Pow(k) => quote!(#e::pow_grad(#s, #g, #k)),
        // gelu'(x) = Φ(x) + x φ(x)
        Unary::Gelu => quote!(#e::gelu_grad(#s, #g)),
    })
}

/// `∂L/∂x` from `__g = ∂L/∂y`: one fused pass over `g` and the saved `x` or `y`.
pub fn backward(u: &Unary, x: ValueId, y: ValueId, bw: &mut dyn BwGen) -> TokenStream {
    if bw.need(x).is_none() {
        return TokenStream::new();
    }
    let p = bw.p().clone();
    let (gi, si) = (format_ident!("__g_"), format_ident!("__s_"));
    let expr = match grad_elem(u, &quote!(#si), &quote!(#gi), &p) {
        Some(body) => {
            let s = bw.saved(if reads_output(u) { y } else { x });
            let slot = bw.slot();
            match bw.fuse_bias(x) {
                // The derivative mask and the bias gradient of the Linear below in one pass.
                Some((bias, upd)) => quote!(#p::ops::into::map_bias_grad(#slot, [&__g, #s], |[#gi, #si]: [f32; 2]| #body, #bias, #upd)),
                None => super::map_call(&p, slot, &[quote!(&__g), s], &[gi, si], body),
            }
        }
        None => {
            let slot = bw.slot();
            super::map_call(&p, slot, &[quote!(&__g)], &[gi], quote!((-__g_)))
        }
    };
    bw.acc_fresh(x, expr)
}
