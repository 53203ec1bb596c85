//! Reductions `sum`/`mean`/`max` over every element or over one dim (`keepdim` optional), and
//! `softmax`/`log_softmax` along a dim.

use super::BwGen;
use crate::network::ir::ValueId;
use crate::network::shape::{Dim, Dims, Shape};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

#[derive(Clone, Copy, Debug)]
pub struct Reduce {
    /// `false`: sum, `true`: mean.
    pub mean: bool,
    /// `None`: every element (0-d result); else `(dim, keepdim)`.
    pub dim: Option<(isize, bool)>,
}

/// Checks that `dim` is a valid dim of `s` (PyTorch's range `[-r, r)`); the index into `s.dims`
/// when it is known.
pub fn check_dim(dims: &Dims, s: &Shape, dim: isize) -> Result<Option<usize>, String> {
    match s.rank() {
        Some(r) => {
            let r = r as isize;
            if dim < -r || dim >= r || r == 0 {
                Err(format!("Dimension out of range (expected to be in range of [{}, {}], but got {dim}) for an operand of shape {}", -r, r - 1, dims.text(s)))
            } else {
                Ok(Some(dim.rem_euclid(r) as usize))
            }
        }
        None => Ok((dim < 0 && (-dim) as usize <= s.dims.len()).then(|| (s.dims.len() as isize + dim) as usize)),
    }
}

pub fn shape(dims: &mut Dims, r: &Reduce, s: &Shape) -> Result<Shape, String> {
    let Some((dim, keep)) = r.dim else {
        return Ok(Shape::scalar());
    };
    match check_dim(dims, s, dim)? {
        Some(i) => {
            let mut out = s.clone();
            if keep {
                out.dims[i] = Dim::Lit(1);
            } else {
                out.dims.remove(i);
            }
            Ok(out)
        }
        None => Ok(Shape { rest: Some(dims.fresh_rest()), dims: Vec::new() }),
    }
}

/// Into `slot`: `ops::into::sum(slot, &a, dim, mean)`.
pub fn forward(r: &Reduce, a: &Ident, p: &TokenStream, slot: TokenStream) -> TokenStream {
    let mean = r.mean;
    let dim = match r.dim {
        None => quote!(::core::option::Option::None),
        Some((d, k)) => quote!(::core::option::Option::Some((#d, #k))),
    };
    quote!(#p::ops::into::sum(#slot, &#a, #dim, #mean))
}

/// The gradient is `g` broadcast back over the reduced elements (divided by their count for a mean).
pub fn backward(r: &Reduce, a: ValueId, bw: &mut dyn BwGen) -> TokenStream {
    if bw.need(a).is_none() {
        return TokenStream::new();
    }
    let s = bw.saved_shape(a);
    let g = match r.dim {
        None => quote!(__g),
        Some((_, true)) => quote!(__g),
        Some((d, false)) => quote!(__g.unsqueeze(#d)),
    };
    let p = bw.p().clone();
    let count = match (r.mean, r.dim) {
        (false, _) => None,
        (true, None) => Some(quote!(#s.iter().product::<usize>() as f32)),
        (true, Some((d, _))) => Some(quote!(#s[(#d).rem_euclid(#s.len() as isize) as usize] as f32)),
    };
    // The mean's division runs over the reduced gradient (few elements), before the broadcast.
    let g = match count {
        None => g,
        Some(n) => {
            let slot = bw.slot();
            let m = super::map_call(&p, slot, &[quote!(&#g)], &[quote::format_ident!("__g_")], quote!((__g_ / __n)));
            quote!({ let __n = #n; #m })
        }
    };
    bw.acc(a, quote!(#g.expand(#s)))
}

/// softmax: `∂L/∂x = y ⊙ (g − Σ_d g ⊙ y)`; log_softmax: `∂L/∂x = g − eʸ ⊙ Σ_d g`.
pub fn backward_softmax(log: bool, x: ValueId, dim: isize, y: ValueId, bw: &mut dyn BwGen) -> TokenStream {
    if bw.need(x).is_none() {
        return TokenStream::new();
    }
    let p = bw.p().clone();
    let ys = bw.saved(y);
    let slot = bw.slot();
    bw.acc_fresh(x, quote!(#p::ops::into::softmax_backward(#slot, #ys, &__g, #dim, #log)))
}

/// Into `slot`: `ops::max_into(slot, &a)` (every element, 0-d) or `ops::max_dim_into(slot, &a,
/// dim, keepdim)` (the values; the backward finds the indices again).
pub fn forward_max(dim: Option<(isize, bool)>, a: &Ident, p: &TokenStream, slot: TokenStream) -> TokenStream {
    match dim {
        None => quote!(#p::ops::max_into(#slot, &#a)),
        Some((d, k)) => quote!(#p::ops::max_dim_into(#slot, &#a, #d, #k)),
    }
}

/// `max` over all elements: the gradient is shared evenly by the tied maxima (PyTorch's
/// `evenly_distribute_backward`); over a dim: it goes to the index the forward picked (the first
/// maximum of each lane, found again in the saved input by `max_dim_backward_into`). Into a
/// buffer from `bw.slot()`.
pub fn backward_max(dim: Option<(isize, bool)>, x: ValueId, y: ValueId, bw: &mut dyn BwGen) -> TokenStream {
    if bw.need(x).is_none() {
        return TokenStream::new();
    }
    let p = bw.p().clone();
    let xs = bw.saved(x);
    let g = match dim {
        None => {
            let ys = bw.saved(y);
            let slot = bw.slot();
            quote!(#p::ops::max_backward_into(#slot, #xs, #ys, &__g))
        }
        Some((d, k)) => {
            let slot = bw.slot();
            quote!(#p::ops::max_dim_backward_into(#slot, &__g, #xs, #d, #k))
        }
    };
    bw.acc_fresh(x, g)
}
