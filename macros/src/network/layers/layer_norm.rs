//! `LayerNorm` (`LayerNorm::new(&[..])`): the shape is kept; the last dims must equal the
//! normalized shape when the constructor gives it as literals.

use super::{ctor, Mismatch};
use crate::network::shape::{Dim, Dims, Shape};

/// The normalized shape, when the constructor is `LayerNorm::new(&[literals])`.
pub fn normalized(init: Option<&syn::Expr>) -> Option<Vec<usize>> {
    let ch = ctor::chain(init?)?;
    match (ch.base.name.as_str(), ch.base.args.as_slice()) {
        ("new" | "with_options" | "without_affine", [a, ..]) => ctor::list(a),
        _ => None,
    }
}

pub fn apply(dims: &mut Dims, norm: &Option<Vec<usize>>, x: &Shape) -> Result<Shape, Mismatch> {
    let Some(n) = norm else { return Ok(x.clone()) };
    let text = || format!("[*, {}]", n.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "));
    if x.dims.len() < n.len() {
        return if x.rank().is_none() && x.dims.is_empty() { Ok(x.clone()) } else { Err(Mismatch::Takes(text())) };
    }
    let tail = &x.dims[x.dims.len() - n.len()..];
    for (d, &want) in tail.iter().zip(n) {
        if !dims.unify(d, &Dim::Lit(want)) {
            return Err(Mismatch::Takes(text()));
        }
    }
    Ok(x.clone())
}
