//! `BatchNorm1d<C>` (`[N, C]` or `[N, C, L]`) and `BatchNorm2d<C>` (`[N, C, H, W]`): the shape is
//! kept, dim 1 must be `C`. Options (`with_options(..)`) do not change shapes and are not read.

use super::{LayerKind, Mismatch, linear};
use crate::network::shape::{Dims, Shape};
use proc_macro2::{Ident, Span};
use syn::spanned::Spanned;

pub fn classify(dims: &mut Dims, seg: &syn::PathSegment, d: usize, field: &Ident, generics: &[Ident]) -> Result<LayerKind, (Span, String)> {
    let name = seg.ident.to_string();
    let syn::PathArguments::AngleBracketed(args) = &seg.arguments else {
        return Err((seg.span(), format!("`{name}` needs its channel count: `{name}<C>`")));
    };
    let [a] = args.args.iter().collect::<Vec<_>>()[..] else {
        return Err((args.span(), format!("`{name}` takes one size, `{name}<C>`")));
    };
    let c = linear::dim_of(dims, a, field, generics, "channel count", &name)?;
    Ok(LayerKind::BatchNorm { d, c })
}

pub fn apply(dims: &mut Dims, d: usize, c: &crate::network::shape::Dim, x: &Shape) -> Result<Shape, Mismatch> {
    let ok_rank = match (d, x.rank()) {
        (1, Some(2 | 3)) | (2, Some(4)) => true,
        (_, None) => x.dims.len() >= if d == 1 { 1 } else { 3 },
        _ => false,
    };
    let takes = |dims: &Dims| Mismatch::Takes(if d == 1 { format!("[N, {0}] or [N, {0}, L]", dims.dim_text(c)) } else { format!("[N, {}, H, W]", dims.dim_text(c)) });
    if !ok_rank {
        if x.rank().is_none() && x.dims.is_empty() {
            dims.unify(c, &crate::network::shape::Dim::Unknown);
            return Ok(x.clone());
        }
        return Err(takes(dims));
    }
    let ci = match x.rank() {
        Some(_) => 1,
        None => x.dims.len() - if d == 1 { 1 } else { 3 },
    };
    if x.rank().is_none() && d == 1 {
        // `[.., C]` or `[.., C, L]`: ambiguous, checked at run time.
        return Ok(x.clone());
    }
    if !dims.unify(&x.dims[ci], c) {
        return Err(takes(dims));
    }
    Ok(x.clone())
}
