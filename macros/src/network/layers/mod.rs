//! The built-in layers `network!` knows by name, with their shape rules; every other type is an
//! opaque layer reached through the `Layer` trait.

pub mod activation;
pub mod linear;

use super::shape::{Dim, Dims, Shape};
use proc_macro2::Ident;

#[derive(Clone)]
pub enum LayerKind {
    /// `Linear<IN, OUT>`; `IN` may be an inference variable (`_`).
    Linear { input: Dim, output: Dim },
    /// `ReLU`, `Sigmoid`, `Tanh`, `Identity`: elementwise, shape unchanged.
    Activation(activation::Activation),
    /// `Flatten`: dims 1.. into one.
    Flatten,
    /// Anything else: a type implementing `Layer`, shapes checked at run time.
    Opaque,
}

/// A layer type as written, classified.
#[derive(Clone)]
pub struct LayerType {
    pub ty: syn::Type,
    pub kind: LayerKind,
}

fn last_segment(ty: &syn::Type) -> Option<&syn::PathSegment> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

/// Classifies a field's type. `generics` are the network's const parameters (usable as dims).
pub fn classify(dims: &mut Dims, ty: &syn::Type, field: &Ident, generics: &[Ident]) -> Result<LayerType, (proc_macro2::Span, String)> {
    let kind = match last_segment(ty) {
        Some(seg) if seg.ident == "Linear" => linear::classify(dims, seg, field, generics)?,
        Some(seg) if seg.arguments.is_none() => match activation::by_name(&seg.ident.to_string()) {
            Some(a) => LayerKind::Activation(a),
            None if seg.ident == "Flatten" => LayerKind::Flatten,
            None => LayerKind::Opaque,
        },
        _ => LayerKind::Opaque,
    };
    Ok(LayerType { ty: ty.clone(), kind })
}

/// The shape a layer returns for input `x`, or the shape it takes when `x` does not fit.
pub fn apply(dims: &mut Dims, layer: &LayerType, x: &Shape) -> Result<Shape, String> {
    match &layer.kind {
        LayerKind::Linear { input, output } => linear::apply(dims, input, output, x),
        LayerKind::Activation(_) => Ok(x.clone()),
        LayerKind::Flatten => match x.rank() {
            Some(0) => Err("[N, ..] (at least one dim)".to_string()),
            Some(_) => {
                let mut prod = Some(1usize);
                for d in &x.dims[1..] {
                    prod = match (prod, dims.resolve(d)) {
                        (Some(p), Dim::Lit(n)) => Some(p * n),
                        _ => None,
                    };
                }
                let last = if x.dims.len() == 1 { None } else { Some(prod.map(Dim::Lit).unwrap_or(Dim::Unknown)) };
                Ok(Shape::known(std::iter::once(x.dims[0].clone()).chain(last).collect()))
            }
            None => Ok(Shape { rest: Some(dims.fresh_rest()), dims: Vec::new() }),
        },
        LayerKind::Opaque => Ok(Shape { rest: Some(dims.fresh_rest()), dims: Vec::new() }),
    }
}

/// The type as written, with every `_` replaced by its inferred dim (for the struct's field).
pub fn resolved_type(dims: &Dims, layer: &LayerType) -> syn::Type {
    match &layer.kind {
        LayerKind::Linear { input, output } => linear::resolved_type(dims, &layer.ty, input, output),
        _ => layer.ty.clone(),
    }
}

/// How the layer reads in messages: `Linear<256, 10>`.
pub fn text(dims: &Dims, layer: &LayerType) -> String {
    match &layer.kind {
        LayerKind::Linear { input, output } => format!("Linear<{}, {}>", dims.dim_text(input), dims.dim_text(output)),
        _ => super::text::tokens(&layer.ty),
    }
}
