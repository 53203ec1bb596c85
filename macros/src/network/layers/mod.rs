//! The built-in layers `network!` knows by name, with their shape rules (one file per layer
//! type); every other type is an opaque layer reached through the `Layer` trait with its shapes
//! checked at type-check time. A field may give its constructor (`= MaxPool2d::new(2)`): the
//! sizes that decide the output shape (kernel, stride, padding, ...) are read from it.

pub mod activation;
pub mod adaptive_avg_pool;
pub mod batch_norm;
pub mod conv;
pub mod ctor;
pub mod dropout;
pub mod embedding;
pub mod flatten;
pub mod layer_norm;
pub mod linear;
pub mod pool;
pub mod rnn;
pub mod unflatten;

use super::shape::{Dim, Dims, Shape};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote_spanned;
use syn::spanned::Spanned;

#[derive(Clone)]
pub enum LayerKind {
    /// `Linear<IN, OUT>`; `IN` may be an inference variable (`_`). Inlined.
    Linear { input: Dim, output: Dim },
    /// `ReLU`, `Sigmoid`, `Tanh`, `Identity`: elementwise, inlined.
    Activation(activation::Activation),
    /// `Flatten`: dims `start..=end` into one, inlined.
    Flatten { start: isize, end: isize },
    /// `Conv1d/2d/3d`.
    Conv(conv::Conv),
    /// `MaxPool*`/`AvgPool*`.
    Pool(pool::Pool),
    /// `AdaptiveAvgPool*`: the output size per axis (`None` keeps the input's).
    AdaptiveAvgPool { d: usize, out: Vec<Option<usize>> },
    /// `BatchNorm1d<C>` (`d = 1`), `BatchNorm2d<C>` (`d = 2`).
    BatchNorm { d: usize, c: Dim },
    /// `LayerNorm`, with its normalized shape when the constructor gives literals.
    LayerNorm(Option<Vec<usize>>),
    /// `Embedding<N, D>`: `[*]` indices to `[*, D]`.
    Embedding { dim: Dim },
    /// `RNN<I, H>`, `LSTM<I, H>`, `GRU<I, H>`: a sequence `[.., I]` to `[.., D·H]`.
    Rnn(rnn::Rnn),
    /// `Unflatten::new(dim, &[sizes])`: one dim split into `sizes`.
    Unflatten { dim: isize, sizes: Vec<usize> },
    /// Shape kept: `Dropout`, `GELU`, `LeakyReLU`, `ELU`, `SiLU`, `Softmax(dim)`, `LogSoftmax(dim)`.
    Kept { dim: Option<isize> },
    /// Anything else: a type implementing `Layer`, shapes checked by the type checker.
    Opaque,
}

/// A layer type as written, classified, with its constructor expression if one is given.
#[derive(Clone)]
pub struct LayerType {
    pub ty: syn::Type,
    pub kind: LayerKind,
    pub init: Option<syn::Expr>,
}

/// Why an input does not fit a layer.
pub enum Mismatch {
    /// The shape the layer takes, as text (`[B, 6, H, W]`).
    Takes(String),
    /// A full explanation (a kernel larger than the input, say).
    Other(String),
}

fn last_segment(ty: &syn::Type) -> Option<&syn::PathSegment> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

/// Classifies a field's type. `generics` are the network's const parameters (usable as dims).
pub fn classify(dims: &mut Dims, ty: &syn::Type, init: Option<&syn::Expr>, field: &Ident, generics: &[Ident]) -> Result<LayerType, (Span, String)> {
    let f = field.to_string();
    let kind = match last_segment(ty) {
        Some(seg) => {
            let name = seg.ident.to_string();
            let plain = seg.arguments.is_none();
            match name.as_str() {
                "Linear" => linear::classify(dims, seg, field, generics)?,
                "Conv1d" => conv::classify(dims, seg, 1, init, field, generics)?,
                "Conv2d" => conv::classify(dims, seg, 2, init, field, generics)?,
                "Conv3d" => conv::classify(dims, seg, 3, init, field, generics)?,
                "BatchNorm1d" => batch_norm::classify(dims, seg, 1, field, generics)?,
                "BatchNorm2d" => batch_norm::classify(dims, seg, 2, field, generics)?,
                "Embedding" => embedding::classify(dims, seg, field, generics)?,
                "RNN" => rnn::classify(dims, seg, 1, init, field, generics)?,
                "GRU" => rnn::classify(dims, seg, 3, init, field, generics)?,
                "LSTM" => rnn::classify(dims, seg, 4, init, field, generics)?,
                _ if !plain => LayerKind::Opaque,
                "MaxPool1d" | "MaxPool2d" | "MaxPool3d" | "AvgPool1d" | "AvgPool2d" | "AvgPool3d" => {
                    let d = name.as_bytes()[name.len() - 2] - b'0';
                    pool::classify(&name, d as usize, name.starts_with("Max"), init, &f, ty.span())?
                }
                "AdaptiveAvgPool1d" | "AdaptiveAvgPool2d" | "AdaptiveAvgPool3d" => {
                    let d = name.as_bytes()[name.len() - 2] - b'0';
                    adaptive_avg_pool::classify(&name, d as usize, init, &f, ty.span())?
                }
                "Flatten" => flatten::classify(init, &f)?,
                "Unflatten" => unflatten::classify(init, &f, ty.span())?,
                "LayerNorm" => {
                    if init.is_none() {
                        return Err((ty.span(), format!("`LayerNorm` needs its normalized shape: write `{}LayerNorm = LayerNorm::new(&[64])`", ctor::decl(&f))));
                    }
                    LayerKind::LayerNorm(layer_norm::normalized(init))
                }
                "Dropout" => dropout::classify(),
                _ => match activation::by_name(&name) {
                    Some(a) => LayerKind::Activation(a),
                    None => match activation::kept(&name, init, &f, ty.span()) {
                        Some(k) => k?,
                        None => LayerKind::Opaque,
                    },
                },
            }
        }
        None => LayerKind::Opaque,
    };
    Ok(LayerType { ty: ty.clone(), kind, init: init.cloned() })
}

/// The shape a layer returns for input `x`, or why `x` does not fit.
pub fn apply(dims: &mut Dims, layer: &LayerType, x: &Shape) -> Result<Shape, Mismatch> {
    let any = |dims: &mut Dims| Shape { rest: Some(dims.fresh_rest()), dims: Vec::new() };
    match &layer.kind {
        LayerKind::Linear { input, output } => linear::apply(dims, input, output, x).map_err(Mismatch::Takes),
        LayerKind::Activation(_) | LayerKind::Kept { dim: None } => Ok(x.clone()),
        LayerKind::Kept { dim: Some(d) } => match super::ops::reduce::check_dim(dims, x, *d) {
            Ok(_) => Ok(x.clone()),
            Err(_) => Err(Mismatch::Other(format!("its dim {d} is not a dim of its input"))),
        },
        LayerKind::Flatten { start, end } => flatten::shape(dims, x, *start, *end),
        LayerKind::Conv(c) => conv::apply(dims, c, x),
        LayerKind::Pool(p) => pool::apply(dims, p, x),
        LayerKind::AdaptiveAvgPool { d, out } => adaptive_avg_pool::apply(dims, *d, out, x),
        LayerKind::BatchNorm { d, c } => batch_norm::apply(dims, *d, c, x),
        LayerKind::LayerNorm(n) => layer_norm::apply(dims, n, x),
        LayerKind::Embedding { dim } => Ok(embedding::apply(dim, x)),
        LayerKind::Rnn(r) => rnn::apply(dims, r, x),
        LayerKind::Unflatten { dim, sizes } => unflatten::apply(dims, *dim, sizes, x),
        LayerKind::Opaque => Ok(any(dims)),
    }
}

/// Whether the layer may hold parameters (so its call always needs a backward).
pub fn has_params(kind: &LayerKind) -> bool {
    !matches!(
        kind,
        LayerKind::Pool(_)
            | LayerKind::AdaptiveAvgPool { .. }
            | LayerKind::Kept { .. }
            | LayerKind::Activation(_)
            | LayerKind::Flatten { .. }
            | LayerKind::Unflatten { .. }
    )
}

/// The inferred input size (`_` of `Linear<_, 10>` or `Conv2d<_, 16, 3>`), if the type has one.
pub fn lazy_input(kind: &LayerKind) -> Option<&Dim> {
    match kind {
        LayerKind::Linear { input, .. } => Some(input),
        LayerKind::Conv(c) => Some(&c.c_in),
        _ => None,
    }
}

/// The type as written, with every `_` replaced by its inferred dim (for the struct's field).
pub fn resolved_type(dims: &Dims, layer: &LayerType) -> syn::Type {
    match lazy_input(&layer.kind) {
        Some(input) => linear::resolved_type(dims, &layer.ty, input),
        None => layer.ty.clone(),
    }
}

/// How the layer reads in messages: `Linear<256, 10>`, `Conv2d<6, 16, 5>`.
pub fn text(dims: &Dims, layer: &LayerType) -> String {
    match &layer.kind {
        LayerKind::Linear { input, output } => format!("Linear<{}, {}>", dims.dim_text(input), dims.dim_text(output)),
        _ => super::text::tokens(&resolved_type(dims, layer)),
    }
}

/// The expression that builds one layer in `new()`: the constructor as written (checked against
/// the field's type), else `Default::default()` for the parameter-free layers and `<T>::new()`.
pub fn build(dims: &Dims, l: &LayerType) -> TokenStream {
    let t = resolved_type(dims, l);
    let span = l.ty.span();
    if let Some(e) = &l.init {
        let es = e.span();
        return quote_spanned!(es=> { let __layer: #t = #e; __layer });
    }
    let default = matches!(l.kind, LayerKind::Activation(_) | LayerKind::Flatten { .. } | LayerKind::Kept { .. });
    if default {
        quote_spanned!(span=> <#t as ::core::default::Default>::default())
    } else {
        quote_spanned!(span=> <#t>::new())
    }
}
