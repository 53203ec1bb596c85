//! Shape ops: `reshape`/`view` (one `-1` or `_` inferred), `permute`, `unsqueeze`, `squeeze`,
//! `cat` and `stack`. Forward: the tensor method of the same name; backward: the runtime's
//! helpers (`reshape_backward`, `permute_backward`, `cat_backward`, `stack_backward`).

use super::{BwGen, v};
use crate::network::ir::ValueId;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// One entry of a `reshape` target.
#[derive(Clone, Debug)]
pub enum Target {
    Lit(usize),
    /// A const parameter of the network.
    Param(Ident),
    /// `-1` or `_`.
    Infer,
}

pub fn forward_reshape(a: &Ident, spec: &[Target], view: bool) -> TokenStream {
    let ds = spec.iter().map(|t| match t {
        Target::Lit(n) => {
            let n = *n as isize;
            quote!(#n)
        }
        Target::Param(id) => quote!((#id as isize)),
        Target::Infer => quote!(-1isize),
    });
    if view { quote!(#a.view([#(#ds),*])) } else { quote!(#a.reshape([#(#ds),*])) }
}

/// `reshape`, `view`, `unsqueeze`, `squeeze`, `flatten`: the gradient is `g` reshaped back.
pub fn backward_reshape(x: ValueId, bw: &mut dyn BwGen) -> TokenStream {
    if bw.need(x).is_none() {
        return TokenStream::new();
    }
    let p = bw.p().clone();
    let s = bw.saved_shape(x);
    let slot = bw.slot();
    bw.acc(x, quote!(#p::ops::into::reshape(#slot, &__g, #s)))
}

pub fn forward_permute(a: &Ident, dims: &[isize]) -> TokenStream {
    quote!(#a.permute([#(#dims),*]))
}

pub fn backward_permute(x: ValueId, dims: &[isize], bw: &mut dyn BwGen) -> TokenStream {
    let p = bw.p().clone();
    bw.acc(x, quote!(#p::ops::permute_backward(&__g, &[#(#dims),*])))
}

pub fn forward_squeeze(a: &Ident, dim: Option<isize>) -> TokenStream {
    match dim {
        Some(d) => quote!(#a.squeeze_dim(#d)),
        None => quote!(#a.squeeze()),
    }
}

pub fn forward_join(p: &TokenStream, parts: &[ValueId], dim: isize, stack: bool) -> TokenStream {
    let vs = parts.iter().map(|&x| v(x));
    if stack { quote!(#p::Tensor::stack(&[#(&#vs),*], #dim)) } else { quote!(#p::Tensor::cat(&[#(&#vs),*], #dim)) }
}

/// `cat`: `g` split back along `dim` by the parts' sizes; `stack`: `g` unbound along `dim`.
pub fn backward_join(parts: &[ValueId], dim: isize, stack: bool, bw: &mut dyn BwGen) -> TokenStream {
    if parts.iter().all(|&x| bw.need(x).is_none()) {
        return TokenStream::new();
    }
    let p = bw.p().clone();
    let split = if stack {
        quote!(#p::ops::stack_backward(&__g, #dim))
    } else {
        let sizes: Vec<TokenStream> = parts
            .iter()
            .map(|&x| {
                let s = bw.saved_shape(x);
                quote!(#s[(#dim).rem_euclid(#s.len() as isize) as usize])
            })
            .collect();
        quote!(#p::ops::cat_backward(&__g, &[#(#sizes),*], #dim))
    };
    let mut code = quote!(let __parts = #split;);
    for (i, &x) in parts.iter().enumerate() {
        code.extend(bw.acc(x, quote!(#p::Tensor::shallow_clone(&__parts[#i]))));
    }
    code
}
