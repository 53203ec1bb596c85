//! Layer calls: the built-in `Linear` inlined (`y = x Wᵀ + b` over the last dim), and any other
//! layer through the `Layer` trait (one context per call site).

use super::{BwGen, Callee};
use crate::network::ir::ValueId;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// `y = act(x Wᵀ + b)` into `slot`: the bias is the GEMM's starting value and `act` (a per-element
/// closure over `__a0`, identity when `None`) runs over the output while it is in cache.
pub fn forward_linear(p: &TokenStream, c: &TokenStream, x: &Ident, slot: TokenStream, act: Option<TokenStream>) -> TokenStream {
    let act = act.unwrap_or(quote!(__a0));
    quote! {{
        let __l = #c;
        let __b = __l.bias.as_ref().map(|__b| __b.value_ref());
        #p::ops::into::linear(#slot, &#x, __l.weight.value_ref(), __b, |__a0: f32| #act)
    }}
}

/// With `X`, `G` the input and the gradient flattened to rows: `∂L/∂W += Gᵀ X`,
/// `∂L/∂b += Σ_rows G` and, when needed, `∂L/∂x = G W` (shaped as `x`): one runtime call, which
/// runs the two products side by side when they are large.
pub fn backward_linear(c: Callee, x: ValueId, out: ValueId, bw: &mut dyn BwGen) -> TokenStream {
    let callee = bw.callee(c);
    let xs = bw.saved(x);
    let p = bw.p().clone();
    // The bias gradient was accumulated by the activation's backward pass when it could be.
    let bias = if bw.bias_fused(out) { quote!(::core::option::Option::None) } else { quote!(__l.bias.as_ref()) };
    let upd = bw.fused_update(c);
    let weight_only = quote!(#p::ops::linear_weight_grads(&__l.weight, #bias, &__g, #xs, #upd););
    let grads = match bw.need(x) {
        // `both` runs only when the input gradient is needed (at run time for `IfInput`).
        Some(need) => {
            let s = bw.saved_shape(x);
            let slot = bw.slot();
            let both = bw.acc_fresh(x, quote!(#p::ops::linear_backward(#slot, &__g, &__l.weight, #bias, #xs, #s, #upd)));
            quote!(#both if !(#need) { #weight_only })
        }
        None => weight_only,
    };
    quote! {
        let __l = #callee;
        #grads
    }
}

pub fn backward_layer(site: usize, c: Callee, x: ValueId, bw: &mut dyn BwGen) -> TokenStream {
    let p = bw.p().clone();
    let callee = bw.callee(c);
    let ctx = bw.site_ctx(site);
    let upd = bw.fused_update(c);
    match bw.need(x) {
        Some(need) => {
            let acc = bw.acc(x, quote!(__r));
            quote! {
                if let ::core::option::Option::Some(__r) = #p::Layer::backward_with(#callee, &mut #ctx, &__g, #need, #upd) {
                    #acc
                }
            }
        }
        None => quote! {
            let _ = #p::Layer::backward_with(#callee, &mut #ctx, &__g, false, #upd);
        },
    }
}
