//! `Unflatten` (`Unflatten::new(dim, &[sizes])`): splits dim `dim` into `sizes`; called through
//! `Layer` (its backward reshapes the gradient back).

use super::ctor;
use super::{LayerKind, Mismatch};
use crate::network::shape::{Dim, Dims, Shape};
use proc_macro2::Span;

pub fn classify(init: Option<&syn::Expr>, field: &str, at: Span) -> Result<LayerKind, (Span, String)> {
    let Some(e) = init else {
        return Err((at, format!("`Unflatten` needs its dim and sizes: write `{}Unflatten = Unflatten::new(1, &[2, 5, 5])`", ctor::decl(field))));
    };
    let bad = || ctor::not_understood(e, None, field, "`Unflatten::new(dim, &[sizes])`");
    let ch = ctor::chain(e).ok_or_else(bad)?;
    match (ch.base.name.as_str(), ch.base.args.as_slice(), ch.methods.is_empty()) {
        ("new", [d, s], true) => Ok(LayerKind::Unflatten { dim: ctor::isize_lit(d).ok_or_else(bad)?, sizes: ctor::list(s).ok_or_else(bad)? }),
        _ => Err(bad()),
    }
}

/// `[.., n, ..]` to `[.., s0, s1, .., ..]`, where the sizes multiply to `n` when `n` is known.
pub fn apply(dims: &mut Dims, dim: isize, sizes: &[usize], x: &Shape) -> Result<Shape, Mismatch> {
    let Some(r) = x.rank() else { return Ok(Shape { rest: Some(dims.fresh_rest()), dims: Vec::new() }) };
    let Some(d) = (dim >= -(r as isize) && dim < r as isize).then(|| dim.rem_euclid(r.max(1) as isize) as usize) else {
        return Err(Mismatch::Other(format!("its dim {dim} is not a dim of a {r}-d input")));
    };
    let product: usize = sizes.iter().product();
    if let Dim::Lit(n) = dims.resolve(&x.dims[d]) {
        if n != product {
            return Err(Mismatch::Other(format!("its sizes {sizes:?} multiply to {product}, but dim {dim} of its input has size {n}")));
        }
    }
    let mut out: Vec<Dim> = x.dims[..d].to_vec();
    out.extend(sizes.iter().map(|&s| Dim::Lit(s)));
    out.extend_from_slice(&x.dims[d + 1..]);
    Ok(Shape::known(out))
}
