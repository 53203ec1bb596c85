//! Layer calls: the built-in `Linear` inlined (`y = x Wᵀ + b` over the last dim), and any other
//! layer through the `Layer` trait (one context per call site).

use super::{BwGen, Callee};
use crate::network::ir::ValueId;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

pub fn forward_linear(c: &TokenStream, x: &Ident) -> TokenStream {
    quote! {{
        let __l = #c;
        let __y = #x.matmul(&__l.weight.value().t());
        match &__l.bias {
            ::core::option::Option::Some(__b) => __y.add(&__b.value()),
            ::core::option::Option::None => __y,
        }
    }}
}

/// With `X`, `G` the input and the gradient flattened to rows: `∂L/∂W += Gᵀ X`,
/// `∂L/∂b += Σ_rows G`, `∂L/∂x = G W` (reshaped to `x`).
pub fn backward_linear(c: Callee, x: ValueId, bw: &mut dyn BwGen) -> TokenStream {
    let callee = bw.callee(c);
    let xs = bw.saved(x);
    let input_grad = if bw.need(x).is_some() {
        let s = bw.saved_shape(x);
        bw.acc(x, quote!(__go.matmul(&__w).reshape(#s)))
    } else {
        TokenStream::new()
    };
    quote! {
        let __l = #callee;
        let __w = __l.weight.value();
        let __go = __g.reshape([-1isize, __w.shape()[0] as isize]);
        if __l.weight.requires_grad() {
            __l.weight.accumulate_grad(&__go.t().matmul(&#xs.reshape([-1isize, __w.shape()[1] as isize])));
        }
        if let ::core::option::Option::Some(__b) = &__l.bias {
            if __b.requires_grad() {
                __b.accumulate_grad(&__go.sum_dim(0, false));
            }
        }
        #input_grad
    }
}

pub fn backward_layer(site: usize, c: Callee, x: ValueId, bw: &mut dyn BwGen) -> TokenStream {
    let p = bw.p().clone();
    let callee = bw.callee(c);
    let ctx = bw.site_ctx(site);
    match bw.need(x) {
        Some(need) => {
            let acc = bw.acc(x, quote!(__r));
            quote! {
                if let ::core::option::Option::Some(__r) = #p::Layer::backward(#callee, &mut #ctx, &__g, #need) {
                    #acc
                }
            }
        }
        None => quote! {
            let _ = #p::Layer::backward(#callee, &mut #ctx, &__g, false);
        },
    }
}
