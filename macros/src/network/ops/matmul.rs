//! `matmul(a, b)` / `mm(a, b)` of two matrices: `[m, k] · [k, n] → [m, n]`.

use super::BwGen;
use crate::network::ir::ValueId;
use crate::network::shape::{Dims, Shape};
use proc_macro2::TokenStream;
use quote::quote;

/// The shape rule; `Err` explains the mismatch.
pub fn shape(dims: &mut Dims, a: &Shape, b: &Shape) -> Result<Shape, String> {
    let (Some(2), Some(2)) = (a.rank(), b.rank()) else {
        return Err(format!("`matmul` multiplies two matrices, [m, k] by [k, n], but they are {} and {}", dims.text(a), dims.text(b)));
    };
    if !dims.unify(&a.dims[1], &b.dims[0]) {
        return Err(format!(
            "mat1 and mat2 shapes cannot be multiplied ({} and {}): the inner dims {} and {} differ",
            dims.text(a),
            dims.text(b),
            dims.dim_text(&a.dims[1]),
            dims.dim_text(&b.dims[0])
        ));
    }
    Ok(Shape::known(vec![a.dims[0].clone(), b.dims[1].clone()]))
}

/// `∂L/∂a = g bᵀ`, `∂L/∂b = aᵀ g`.
pub fn backward(a: ValueId, b: ValueId, bw: &mut dyn BwGen) -> TokenStream {
    let p = bw.p().clone();
    let mut code = TokenStream::new();
    if bw.need(a).is_some() {
        let (bs, slot) = (bw.saved(b), bw.slot());
        code.extend(bw.acc_fresh(a, quote!(#p::ops::into::matmul(#slot, &__g, &#bs.t()))));
    }
    if bw.need(b).is_some() {
        let (as_, slot) = (bw.saved(a), bw.slot());
        code.extend(bw.acc_fresh(b, quote!(#p::ops::into::matmul(#slot, &#as_.t(), &__g))));
    }
    code
}
