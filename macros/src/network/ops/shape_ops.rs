//! Shape ops: `reshape`/`view` (one `-1` or `_` inferred), `permute`, `unsqueeze`, `squeeze`,
//! `cat` and `stack`. Forward: the tensor method of the same name (views), or for `cat`/`stack`
//! the runtime's `cat_into`/`stack_into` writing into a buffer; backward: the inverse view (a
//! reshape copies only when `g` cannot be seen that way), one view of `g` per joined part.

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

/// Into `slot`: `ops::cat_into(slot, &[&a, &b, ..], dim)` or `ops::stack_into(..)`.
pub fn forward_join(p: &TokenStream, parts: &[ValueId], dim: isize, stack: bool, slot: TokenStream) -> TokenStream {
    let vs = parts.iter().map(|&x| v(x));
    if stack { quote!(#p::ops::stack_into(#slot, &[#(&#vs),*], #dim)) } else { quote!(#p::ops::cat_into(#slot, &[#(&#vs),*], #dim)) }
}

/// `cat`: each part's gradient is `g.narrow(dim, start, len)` with the parts' saved sizes along
/// `dim`; `stack`: `g.select(dim, i)`. Views of `g`, no list of them.
pub fn backward_join(parts: &[ValueId], dim: isize, stack: bool, bw: &mut dyn BwGen) -> TokenStream {
    if parts.iter().all(|&x| bw.need(x).is_none()) {
        return TokenStream::new();
    }
    let mut code = TokenStream::new();
    if stack {
        for (i, &x) in parts.iter().enumerate() {
            let i = i as isize;
            code.extend(bw.acc(x, quote!(__g.select(#dim, #i))));
        }
        return code;
    }
    // Only the parts up to the last one that needs a gradient matter for the offsets.
    let last = parts.iter().rposition(|&x| bw.need(x).is_some()).unwrap_or(0);
    code.extend(quote!(let mut __start: usize = 0;));
    for (i, &x) in parts[..=last].iter().enumerate() {
        let s = bw.saved_shape(x);
        let acc = bw.acc(x, quote!(__g.narrow(#dim, __start as isize, __n)));
        let step = (i < last).then(|| quote!(__start += __n;));
        code.extend(quote! {
            {
                let __n: usize = #s[(#dim).rem_euclid(#s.len() as isize) as usize];
                #acc
                #step
            }
        });
    }
    code
}
