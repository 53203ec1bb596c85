//! `+ - * /` between tensors (PyTorch broadcasting; the gradient of a broadcast operand is
//! summed back to its shape) and with numbers.

use super::{BwGen, reduce_to};
use crate::network::ir::ValueId;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bin {
    Add,
    Sub,
    Mul,
    Div,
}

impl Bin {
    pub fn symbol(self) -> &'static str {
        match self {
            Bin::Add => "+",
            Bin::Sub => "-",
            Bin::Mul => "*",
            Bin::Div => "/",
        }
    }

    pub fn fold(self, a: f64, b: f64) -> f64 {
        match self {
            Bin::Add => a + b,
            Bin::Sub => a - b,
            Bin::Mul => a * b,
            Bin::Div => a / b,
        }
    }
}

/// The per-element `a ∘ b`.
pub fn elem(b: Bin, x: &TokenStream, y: &TokenStream) -> TokenStream {
    match b {
        Bin::Add => quote!((#x + #y)),
        Bin::Sub => quote!((#x - #y)),
        Bin::Mul => quote!((#x * #y)),
        Bin::Div => quote!((#x / #y)),
    }
}

/// A fused pass `f(g, operands…)` into a fresh buffer, summed down to `target`'s shape where the
/// op broadcast it.
fn pass(bw: &mut dyn BwGen, target: ValueId, out: ValueId, inputs: Vec<TokenStream>, body: TokenStream) -> TokenStream {
    let p = bw.p().clone();
    let names = ["__g_", "__x_", "__y_"];
    let params: Vec<_> = (0..inputs.len()).map(|k| format_ident!("{}", names[k])).collect();
    let slot = bw.slot();
    let e = super::map_call(&p, slot, &inputs, &params, body);
    reduce_to(bw, target, out, e)
}

/// The gradient `g` itself for an operand of the output's shape (a handle), else `g` summed
/// down to the operand's shape.
fn pass_through(bw: &mut dyn BwGen, target: ValueId, out: ValueId) -> TokenStream {
    reduce_to(bw, target, out, quote!(__g.shallow_clone()))
}

pub fn backward_binary(b: Bin, x: ValueId, y: ValueId, out: ValueId, bw: &mut dyn BwGen) -> TokenStream {
    let mut code = TokenStream::new();
    if bw.need(x).is_some() {
        let fresh = !matches!(b, Bin::Add | Bin::Sub);
        let gx = match b {
            Bin::Add | Bin::Sub => pass_through(bw, x, out),
            // ∂(xy)/∂x = y
            Bin::Mul => {
                let ys = bw.saved(y);
                pass(bw, x, out, vec![quote!(&__g), ys], quote!((__g_ * __x_)))
            }
            // ∂(x/y)/∂x = 1/y
            Bin::Div => {
                let ys = bw.saved(y);
                pass(bw, x, out, vec![quote!(&__g), ys], quote!((__g_ / __x_)))
            }
        };
        code.extend(if fresh { bw.acc_fresh(x, gx) } else { bw.acc(x, gx) });
    }
    if bw.need(y).is_some() {
        let fresh = b != Bin::Add;
        let gy = match b {
            Bin::Add => pass_through(bw, y, out),
            Bin::Sub => pass(bw, y, out, vec![quote!(&__g)], quote!((-__g_))),
            Bin::Mul => {
                let xs = bw.saved(x);
                pass(bw, y, out, vec![quote!(&__g), xs], quote!((__g_ * __x_)))
            }
            // ∂(x/y)/∂y = −x/y²
            Bin::Div => {
                let (xs, ys) = (bw.saved(x), bw.saved(y));
                pass(bw, y, out, vec![quote!(&__g), xs, ys], quote!((-((__g_ * __x_) / (__y_ * __y_)))))
            }
        };
        code.extend(if fresh { bw.acc_fresh(y, gy) } else { bw.acc(y, gy) });
    }
    code
}

pub fn backward_rhs(b: Bin, x: ValueId, c: f64, bw: &mut dyn BwGen) -> TokenStream {
    if bw.need(x).is_none() {
        return TokenStream::new();
    }
    let c = c as f32;
    let p = bw.p().clone();
    let gx = match b {
        Bin::Add | Bin::Sub => quote!(__g.shallow_clone()),
        Bin::Mul => {
            let slot = bw.slot();
            super::map_call(&p, slot, &[quote!(&__g)], &[format_ident!("__g_")], quote!((__g_ * #c)))
        }
        Bin::Div => {
            let slot = bw.slot();
            super::map_call(&p, slot, &[quote!(&__g)], &[format_ident!("__g_")], quote!((__g_ / #c)))
        }
    };
    if matches!(b, Bin::Mul | Bin::Div) { bw.acc_fresh(x, gx) } else { bw.acc(x, gx) }
}

pub fn backward_lhs(b: Bin, c: f64, y: ValueId, bw: &mut dyn BwGen) -> TokenStream {
    if bw.need(y).is_none() {
        return TokenStream::new();
    }
    let c = c as f32;
    let p = bw.p().clone();
    let g = format_ident!("__g_");
    let gy = match b {
        Bin::Add => quote!(__g.shallow_clone()),
        Bin::Sub => {
            let slot = bw.slot();
            super::map_call(&p, slot, &[quote!(&__g)], &[g], quote!((-__g_)))
        }
        Bin::Mul => {
            let slot = bw.slot();
            super::map_call(&p, slot, &[quote!(&__g)], &[g], quote!((__g_ * #c)))
        }
        // ∂(c/y)/∂y = −c/y²
        Bin::Div => {
            let ys = bw.saved(y);
            let slot = bw.slot();
            super::map_call(&p, slot, &[quote!(&__g), ys], &[g, format_ident!("__y_")], quote!((-((__g_ * #c) / (__y_ * __y_)))))
        }
    };
    if b == Bin::Add { bw.acc(y, gy) } else { bw.acc_fresh(y, gy) }
}
