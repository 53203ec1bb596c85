//! `+ - * /` between tensors (PyTorch broadcasting; the gradient of a broadcast operand is
//! summed back to its shape) and with numbers.

use super::{BwGen, reduce_to};
use crate::network::ir::ValueId;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

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

fn method(b: Bin) -> TokenStream {
    match b {
        Bin::Add => quote!(add),
        Bin::Sub => quote!(sub),
        Bin::Mul => quote!(mul),
        Bin::Div => quote!(div),
    }
}

pub fn forward_binary(b: Bin, x: &Ident, y: &Ident) -> TokenStream {
    let m = method(b);
    quote!(#x.#m(&#y))
}

pub fn forward_rhs(b: Bin, x: &Ident, c: f64) -> TokenStream {
    let m = method(b);
    let c = c as f32;
    quote!(#x.#m(#c))
}

pub fn forward_lhs(b: Bin, c: f64, y: &Ident) -> TokenStream {
    let c = c as f32;
    match b {
        Bin::Add => quote!(#y.add(#c)),
        Bin::Mul => quote!(#y.mul(#c)),
        Bin::Sub => quote!(#y.neg().add(#c)),
        Bin::Div => quote!(#y.reciprocal().mul(#c)),
    }
}

pub fn backward_binary(b: Bin, x: ValueId, y: ValueId, out: ValueId, bw: &mut dyn BwGen) -> TokenStream {
    let mut code = TokenStream::new();
    if bw.need(x).is_some() {
        let gx = match b {
            Bin::Add | Bin::Sub => quote!(__g.shallow_clone()),
            // ∂(xy)/∂x = y
            Bin::Mul => {
                let y = bw.saved(y);
                quote!(__g.mul(#y))
            }
            // ∂(x/y)/∂x = 1/y
            Bin::Div => {
                let y = bw.saved(y);
                quote!(__g.div(#y))
            }
        };
        let gx = reduce_to(bw, x, out, gx);
        code.extend(bw.acc(x, gx));
    }
    if bw.need(y).is_some() {
        let gy = match b {
            Bin::Add => quote!(__g.shallow_clone()),
            Bin::Sub => quote!(__g.neg()),
            Bin::Mul => {
                let x = bw.saved(x);
                quote!(__g.mul(#x))
            }
            // ∂(x/y)/∂y = −x/y²
            Bin::Div => {
                let (xs, ys) = (bw.saved(x), bw.saved(y));
                quote!(__g.mul(#xs).div(&#ys.mul(#ys)).neg())
            }
        };
        let gy = reduce_to(bw, y, out, gy);
        code.extend(bw.acc(y, gy));
    }
    code
}

pub fn backward_rhs(b: Bin, x: ValueId, c: f64, bw: &mut dyn BwGen) -> TokenStream {
    let c = c as f32;
    let gx = match b {
        Bin::Add | Bin::Sub => quote!(__g.shallow_clone()),
        Bin::Mul => quote!(__g.mul(#c)),
        Bin::Div => quote!(__g.div(#c)),
    };
    bw.acc(x, gx)
}

pub fn backward_lhs(b: Bin, c: f64, y: ValueId, bw: &mut dyn BwGen) -> TokenStream {
    let c = c as f32;
    let gy = match b {
        Bin::Add => quote!(__g.shallow_clone()),
        Bin::Sub => quote!(__g.neg()),
        Bin::Mul => quote!(__g.mul(#c)),
        // ∂(c/y)/∂y = −c/y²
        Bin::Div => {
            if bw.need(y).is_none() {
                return TokenStream::new();
            }
            let ys = bw.saved(y);
            quote!(__g.mul(#c).div(&#ys.mul(#ys)).neg())
        }
    };
    bw.acc(y, gy)
}
