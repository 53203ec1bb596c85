//! `Conv1d/2d/3d<C_IN, C_OUT, K..>`: takes `[N, C_IN, *S]` (or unbatched `[C_IN, *S]`), returns
//! `[N, C_OUT, *S']` with `S' = ⌊(S + 2·padding − dilation·(K − 1) − 1) / stride⌋ + 1` per axis.
//! `C_IN` may be `_` (inferred from the first call). Stride, padding and dilation are read from
//! the constructor: `Conv2d::new().stride(2).padding(1)` or
//! `Conv2d::with_options(ConvOptions::default().stride(2).groups(2))`.

use super::ctor::{self, Chain};
use super::{LayerKind, Mismatch, linear};
use crate::network::shape::{Dim, Dims, Shape};
use proc_macro2::{Ident, Span};
use syn::spanned::Spanned;

#[derive(Clone)]
pub struct Conv {
    /// Spatial rank (1, 2 or 3).
    pub d: usize,
    pub c_in: Dim,
    pub c_out: Dim,
    /// One per axis; `None` for a const parameter (output size unknown).
    pub kernel: Vec<Option<usize>>,
    pub stride: Vec<usize>,
    pub padding: Vec<usize>,
    pub dilation: Vec<usize>,
    pub groups: usize,
}

const UNDERSTOOD: &str = "`ConvNd::new()` followed by `.stride(s)`, `.padding(p)`, `.dilation(d)`, and `ConvNd::with_options(ConvOptions::default().stride(s).padding(p).dilation(d).groups(g).bias(b))`";

pub fn classify(dims: &mut Dims, seg: &syn::PathSegment, d: usize, init: Option<&syn::Expr>, field: &Ident, generics: &[Ident]) -> Result<LayerKind, (Span, String)> {
    let name = seg.ident.to_string();
    let usage = format!("`{name}<C_IN, C_OUT, K>` (the kernel may be given per axis)");
    let syn::PathArguments::AngleBracketed(args) = &seg.arguments else {
        return Err((seg.span(), format!("`{name}` needs its sizes: {usage}")));
    };
    let list: Vec<&syn::GenericArgument> = args.args.iter().collect();
    if list.len() < 3 || list.len() > 2 + d {
        return Err((args.span(), format!("`{name}` takes 3 to {} sizes, {usage}, but {} are given", 2 + d, list.len())));
    }
    let c_in = linear::dim_of(dims, list[0], field, generics, "input channels", &name)?;
    let c_out = match linear::dim_of(dims, list[1], field, generics, "output channels", &name)? {
        Dim::Var(_) => return Err((list[1].span(), format!("the output channels of a `{name}` cannot be inferred; write them"))),
        c => c,
    };
    let mut kernel = Vec::new();
    for a in &list[2..] {
        kernel.push(match linear::dim_of(dims, a, field, generics, "kernel size", &name)? {
            Dim::Lit(k) => Some(k),
            Dim::Var(_) => return Err((a.span(), format!("the kernel size of a `{name}` cannot be inferred; write it"))),
            _ => None,
        });
    }
    while kernel.len() < d {
        let last = kernel[kernel.len() - 1];
        kernel.push(last);
    }
    let mut conv = Conv { d, c_in, c_out, kernel, stride: vec![1; d], padding: vec![0; d], dilation: vec![1; d], groups: 1 };
    if let Some(e) = init {
        read_options(&mut conv, e, &field.to_string())?;
    }
    Ok(LayerKind::Conv(conv))
}

fn read_options(conv: &mut Conv, e: &syn::Expr, field: &str) -> Result<(), (Span, String)> {
    let bad = |at: Option<Span>| ctor::not_understood(e, at, field, UNDERSTOOD);
    let Some(Chain { base, methods }) = ctor::chain(e) else { return Err(bad(None)) };
    match (base.name.as_str(), base.args.as_slice()) {
        ("new" | "default", []) => {}
        ("with_options", [o]) => {
            let Some(Chain { base: ob, methods: om }) = ctor::chain(o) else { return Err(bad(Some(o.span()))) };
            if !matches!((ob.name.as_str(), ob.args.len()), ("default" | "new", 0)) {
                return Err(bad(Some(ob.span)));
            }
            apply_methods(conv, &om, true).map_err(|at| bad(Some(at)))?;
        }
        _ => return Err(bad(Some(base.span))),
    }
    apply_methods(conv, &methods, false).map_err(|at| bad(Some(at)))
}

/// Reads the builder calls; `Err(span)` at the first one not understood.
fn apply_methods(conv: &mut Conv, methods: &[ctor::Call], options: bool) -> Result<(), Span> {
    for m in methods {
        let [a] = m.args.as_slice() else { return Err(m.span) };
        let ok = match m.name.as_str() {
            "stride" => ctor::sizes(a, conv.d).map(|v| conv.stride = v),
            "padding" => ctor::sizes(a, conv.d).map(|v| conv.padding = v),
            "dilation" => ctor::sizes(a, conv.d).map(|v| conv.dilation = v),
            "groups" if options => ctor::usize_lit(a).map(|g| conv.groups = g),
            "bias" if options => ctor::bool_lit(a).map(|_| ()),
            _ => return Err(m.span),
        };
        if ok.is_none() {
            return Err(a.span());
        }
    }
    Ok(())
}

/// `⌊(len + 2p − dil·(k − 1) − 1) / s⌋ + 1` (`ceil` rounds up, keeping the last window inside
/// the padded input, as PyTorch); `None` when the window does not fit.
pub fn out_len(len: usize, k: usize, s: usize, p: usize, dil: usize, ceil: bool) -> Option<usize> {
    let span = dil * (k.max(1) - 1) + 1;
    let padded = len + 2 * p;
    if padded < span || s == 0 {
        return None;
    }
    let mut n = if ceil { (padded - span).div_ceil(s) + 1 } else { (padded - span) / s + 1 };
    if ceil && (n - 1) * s >= len + p {
        n -= 1;
    }
    Some(n)
}

/// `[N, C, H, W]` as the layer takes it, for messages.
pub fn takes_text(dims: &Dims, x: &Shape, d: usize, c: &Dim) -> String {
    let axes = ["L", "H, W", "D, H, W"][d - 1];
    let batch = match (x.rank(), x.dims.first()) {
        (Some(r), Some(b)) if r == d + 2 => dims.dim_text(b),
        _ => "N".to_string(),
    };
    format!("[{batch}, {}, {axes}]", dims.dim_text(c))
}

/// The index of the channel dim in `x` for a layer over `d` spatial axes, or a mismatch.
pub fn channel_index(x: &Shape, d: usize) -> Option<usize> {
    match x.rank() {
        Some(r) if r == d + 1 || r == d + 2 => Some(r - d - 1),
        Some(_) => None,
        None if x.dims.len() > d => Some(x.dims.len() - d - 1),
        None => None,
    }
}

/// Output sizes of the spatial axes (the last `d` dims of `x`), `Unknown` where not static.
pub fn spatial(dims: &Dims, x: &Shape, d: usize, rule: impl Fn(usize, usize) -> Result<usize, String>) -> Result<Vec<Dim>, String> {
    let start = x.dims.len() - d;
    (0..d)
        .map(|i| match dims.resolve(&x.dims[start + i]) {
            Dim::Lit(n) => rule(i, n).map(Dim::Lit),
            _ => Ok(Dim::Unknown),
        })
        .collect()
}

pub fn apply(dims: &mut Dims, c: &Conv, x: &Shape) -> Result<Shape, Mismatch> {
    let takes = |dims: &Dims| Mismatch::Takes(takes_text(dims, x, c.d, &c.c_in));
    let Some(ci) = channel_index(x, c.d) else {
        if x.rank().is_none() && x.dims.is_empty() {
            dims.unify(&c.c_in, &Dim::Unknown);
            return Ok(Shape { rest: Some(dims.fresh_rest()), dims: Vec::new() });
        }
        return Err(takes(dims));
    };
    if !dims.unify(&x.dims[ci], &c.c_in) {
        return Err(takes(dims));
    }
    let sp = spatial(dims, x, c.d, |i, n| match c.kernel[i] {
        None => Ok(0),
        Some(k) => out_len(n, k, c.stride[i], c.padding[i], c.dilation[i], false).ok_or_else(|| {
            format!(
                "its kernel {} (padding {}, dilation {}) does not fit in the spatial size {} of its input",
                axes_text(&c.kernel.iter().map(|k| k.unwrap_or(0)).collect::<Vec<_>>()),
                c.padding[i],
                c.dilation[i],
                axes_text(&x.dims[x.dims.len() - c.d..].iter().map(|d| match dims.resolve(d) {
                    Dim::Lit(n) => n,
                    _ => 0,
                }).collect::<Vec<_>>())
            )
        }),
    })
    .map_err(Mismatch::Other)?;
    let sp = sp.into_iter().enumerate().map(|(i, s)| if c.kernel[i].is_none() { Dim::Unknown } else { s }).collect::<Vec<_>>();
    let mut out = x.clone();
    out.dims.truncate(ci);
    out.dims.push(c.c_out.clone());
    out.dims.extend(sp);
    Ok(out)
}

/// `5×5`, `3`.
pub fn axes_text(v: &[usize]) -> String {
    v.iter().map(|n| n.to_string()).collect::<Vec<_>>().join("×")
}
