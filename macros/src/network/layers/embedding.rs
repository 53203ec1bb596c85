//! `Embedding<N, D>`: `i64` indices of any shape `[*]` to `[*, D]`.

use super::{LayerKind, linear};
use crate::network::shape::{Dim, Dims, Shape};
use proc_macro2::{Ident, Span};
use syn::spanned::Spanned;

pub fn classify(dims: &mut Dims, seg: &syn::PathSegment, field: &Ident, generics: &[Ident]) -> Result<LayerKind, (Span, String)> {
    let syn::PathArguments::AngleBracketed(args) = &seg.arguments else {
        return Err((seg.span(), "`Embedding` needs its sizes: `Embedding<NUM, DIM>`".to_string()));
    };
    let [n, d] = args.args.iter().collect::<Vec<_>>()[..] else {
        return Err((args.span(), "`Embedding` takes two sizes, `Embedding<NUM, DIM>`".to_string()));
    };
    let num = linear::dim_of(dims, n, field, generics, "number of embeddings", "Embedding")?;
    let dim = linear::dim_of(dims, d, field, generics, "embedding size", "Embedding")?;
    if matches!(num, Dim::Var(_)) || matches!(dim, Dim::Var(_)) {
        return Err((args.span(), "the sizes of an `Embedding` cannot be inferred; write them".to_string()));
    }
    Ok(LayerKind::Embedding { dim })
}

pub fn apply(dim: &Dim, x: &Shape) -> Shape {
    let mut s = x.clone();
    s.dims.push(dim.clone());
    s
}

