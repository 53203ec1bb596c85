//! `AdaptiveAvgPool1d/2d/3d`: `[N, C, *S]` (or `[C, *S]`) to `[N, C, *O]`, `O` read from
//! `new(o)` (an int, or one entry per axis where `None` keeps the input's size).

use super::conv::channel_index;
use super::ctor;
use super::{LayerKind, Mismatch};
use crate::network::shape::{Dim, Dims, Shape};
use proc_macro2::Span;

pub fn classify(name: &str, d: usize, init: Option<&syn::Expr>, field: &str, ty_span: Span) -> Result<LayerKind, (Span, String)> {
    let Some(e) = init else {
        return Err((ty_span, format!("`{name}` needs its output size: write `{}{name} = {name}::new(1)`", ctor::decl(field))));
    };
    let understood = format!("`{name}::new(o)` with `o` an integer or an array of integers, `None` or `Some(n)`");
    let bad = || ctor::not_understood(e, ctor::chain(e).map(|c| ctor::arg_span(&c.base)), field, &understood);
    let Some(ch) = ctor::chain(e) else { return Err(bad()) };
    let ([o], "new", true) = (ch.base.args.as_slice(), ch.base.name.as_str(), ch.methods.is_empty()) else { return Err(bad()) };
    let out = match ctor::usize_lit(o) {
        Some(n) => vec![Some(n); d],
        None => match o {
            syn::Expr::Array(a) if a.elems.len() == d => a.elems.iter().map(entry).collect::<Option<Vec<_>>>().ok_or_else(bad)?,
            _ => return Err(bad()),
        },
    };
    Ok(LayerKind::AdaptiveAvgPool { d, out })
}

/// `3`, `Some(3)` → `Some(Some(3))`; `None` → `Some(None)`.
fn entry(e: &syn::Expr) -> Option<Option<usize>> {
    match e {
        syn::Expr::Path(p) if p.path.is_ident("None") => Some(None),
        syn::Expr::Call(c) if matches!(&*c.func, syn::Expr::Path(p) if p.path.is_ident("Some")) && c.args.len() == 1 => {
            c.args.first().and_then(ctor::usize_lit).map(Some)
        }
        other => ctor::usize_lit(other).map(Some),
    }
}

pub fn apply(dims: &mut Dims, d: usize, out: &[Option<usize>], x: &Shape) -> Result<Shape, Mismatch> {
    let Some(ci) = channel_index(x, d) else {
        if x.rank().is_none() && x.dims.is_empty() {
            return Ok(Shape { rest: Some(dims.fresh_rest()), dims: Vec::new() });
        }
        let axes = ["L", "H, W", "D, H, W"][d - 1];
        return Err(Mismatch::Takes(format!("[N, C, {axes}] or [C, {axes}]")));
    };
    let mut s = x.clone();
    for (i, o) in out.iter().enumerate() {
        if let Some(n) = o {
            s.dims[ci + 1 + i] = Dim::Lit(*n);
        }
    }
    Ok(s)
}
