//! `MaxPool1d/2d/3d` and `AvgPool1d/2d/3d`: take `[N, C, *S]` (or `[C, *S]`), keep the
//! channels, and shrink each spatial axis to `⌊(S + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1`
//! (`⌈..⌉` with `ceil_mode(true)`). Read from `MaxPool2d::new(k)` and its builders; the stride
//! defaults to the kernel, as in PyTorch.

use super::conv::{axes_text, channel_index, out_len, spatial};
use super::ctor::{self, Chain};
use super::{LayerKind, Mismatch};
use crate::network::shape::{Dim, Dims, Shape};
use proc_macro2::Span;
use syn::spanned::Spanned;

#[derive(Clone)]
pub struct Pool {
    pub d: usize,
    pub kernel: Vec<usize>,
    pub stride: Vec<usize>,
    pub padding: Vec<usize>,
    pub dilation: Vec<usize>,
    pub ceil: bool,
    /// `MaxPool*` (else `AvgPool*`).
    pub max: bool,
}

pub fn classify(name: &str, d: usize, max: bool, init: Option<&syn::Expr>, field: &str, ty_span: Span) -> Result<LayerKind, (Span, String)> {
    let Some(e) = init else {
        return Err((ty_span, format!("`{name}` needs its kernel size: write `{}{name} = {name}::new(2)`", ctor::decl(field))));
    };
    let understood = if max {
        format!("`{name}::new(k)` followed by `.stride(s)`, `.padding(p)`, `.dilation(d)`, `.ceil_mode(b)`")
    } else {
        format!("`{name}::new(k)` followed by `.stride(s)`, `.padding(p)`, `.ceil_mode(b)`, `.count_include_pad(b)`, `.divisor_override(n)`")
    };
    let bad_at = |at: Option<Span>| ctor::not_understood(e, at, field, &understood);
    let Some(Chain { base, methods }) = ctor::chain(e) else { return Err(bad_at(None)) };
    let ([k], "new") = (base.args.as_slice(), base.name.as_str()) else { return Err(bad_at(Some(base.span))) };
    let kernel = ctor::sizes(k, d).ok_or_else(|| bad_at(Some(k.span())))?;
    let mut p = Pool { d, stride: kernel.clone(), kernel, padding: vec![0; d], dilation: vec![1; d], ceil: false, max };
    for m in &methods {
        let bad = || bad_at(Some(ctor::arg_span(m)));
        let [a] = m.args.as_slice() else { return Err(bad_at(Some(m.span))) };
        match m.name.as_str() {
            "stride" => p.stride = ctor::sizes(a, d).ok_or_else(bad)?,
            "padding" => p.padding = ctor::sizes(a, d).ok_or_else(bad)?,
            "dilation" if max => p.dilation = ctor::sizes(a, d).ok_or_else(bad)?,
            "ceil_mode" => p.ceil = ctor::bool_lit(a).ok_or_else(bad)?,
            "count_include_pad" | "divisor_override" if !max => {}
            _ => return Err(bad_at(Some(m.span))),
        }
    }
    if let Some(i) = (0..d).find(|&i| 2 * p.padding[i] > p.kernel[i]) {
        return Err((
            m_span(&methods, "padding").unwrap_or(base.span),
            format!("pad should be at most half of effective kernel size, but got pad={}, kernel_size={} (PyTorch's rule)", p.padding[i], p.kernel[i]),
        ));
    }
    Ok(LayerKind::Pool(p))
}

fn m_span(methods: &[ctor::Call], name: &str) -> Option<Span> {
    methods.iter().find(|m| m.name == name).map(|m| m.span)
}

pub fn apply(dims: &mut Dims, p: &Pool, x: &Shape) -> Result<Shape, Mismatch> {
    let Some(ci) = channel_index(x, p.d) else {
        if x.rank().is_none() && x.dims.is_empty() {
            return Ok(Shape { rest: Some(dims.fresh_rest()), dims: Vec::new() });
        }
        let axes = ["L", "H, W", "D, H, W"][p.d - 1];
        return Err(Mismatch::Takes(format!("[N, C, {axes}] or [C, {axes}]")));
    };
    let sp = spatial(dims, x, p.d, |i, n| {
        out_len(n, p.kernel[i], p.stride[i], p.padding[i], p.dilation[i], p.ceil).ok_or_else(|| {
            let sizes: Vec<usize> = x.dims[x.dims.len() - p.d..].iter().map(|d| if let Dim::Lit(n) = dims.resolve(d) { n } else { 0 }).collect();
            format!(
                "its window {} (padding {}, dilation {}) does not fit in the spatial size {} of its input",
                axes_text(&p.kernel),
                p.padding[i],
                p.dilation[i],
                axes_text(&sizes)
            )
        })
    })
    .map_err(Mismatch::Other)?;
    let mut out = x.clone();
    out.dims.truncate(ci + 1);
    out.dims.extend(sp);
    Ok(out)
}
