//! `Flatten` (`Flatten::new(start, end)`, default `(1, -1)`): merges dims `start..=end` into
//! one, inlined as `x.flatten(start, end)`.

use super::ctor;
use super::{LayerKind, Mismatch};
use crate::network::shape::{Dim, Dims, Shape};
use proc_macro2::Span;

pub fn classify(init: Option<&syn::Expr>, field: &str) -> Result<LayerKind, (Span, String)> {
    let Some(e) = init else { return Ok(LayerKind::Flatten { start: 1, end: -1 }) };
    let bad = || ctor::not_understood(e, None, field, "`Flatten::new(start, end)` and `Flatten::default()`");
    let ch = ctor::chain(e).ok_or_else(bad)?;
    if !ch.methods.is_empty() {
        return Err(bad());
    }
    match (ch.base.name.as_str(), ch.base.args.as_slice()) {
        ("default", []) => Ok(LayerKind::Flatten { start: 1, end: -1 }),
        ("new", [s, e2]) => Ok(LayerKind::Flatten { start: ctor::isize_lit(s).ok_or_else(bad)?, end: ctor::isize_lit(e2).ok_or_else(bad)? }),
        _ => Err(bad()),
    }
}

/// The shape of `x.flatten(start, end)`: the product of the merged dims when they are all known.
pub fn shape(dims: &mut Dims, x: &Shape, start: isize, end: isize) -> Result<Shape, Mismatch> {
    let Some(r) = x.rank() else { return Ok(Shape { rest: Some(dims.fresh_rest()), dims: Vec::new() }) };
    let norm = |d: isize| -> Option<usize> {
        let r = r.max(1) as isize;
        (d >= -r && d < r).then(|| d.rem_euclid(r) as usize)
    };
    let (Some(s), Some(e)) = (norm(start), norm(end)) else {
        return Err(Mismatch::Other(format!("start_dim {start} and end_dim {end} are not dims of a {r}-d input")));
    };
    if r == 0 {
        return Ok(Shape::known(vec![Dim::Lit(1)]));
    }
    if s > e {
        return Err(Mismatch::Other(format!("flatten() has invalid args: start_dim {start} cannot come after end_dim {end}")));
    }
    let mut prod = Some(1usize);
    for d in &x.dims[s..=e] {
        prod = match (prod, dims.resolve(d)) {
            (Some(p), Dim::Lit(n)) => Some(p * n),
            _ => None,
        };
    }
    let merged = if s == e { x.dims[s].clone() } else { prod.map(Dim::Lit).unwrap_or(Dim::Unknown) };
    let mut out: Vec<Dim> = x.dims[..s].to_vec();
    out.push(merged);
    out.extend_from_slice(&x.dims[e + 1..]);
    Ok(Shape::known(out))
}
