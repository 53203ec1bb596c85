//! `RNN<I, H>`, `LSTM<I, H>`, `GRU<I, H>`: the input sequence `[T, B, I]` (`[B, T, I]` with
//! `batch_first`, or unbatched `[T, I]`) to the output sequence `[.., .., D·H]`, where `D` is 2
//! for a bidirectional layer. As a `Layer`, the output sequence is the result (the final state is
//! dropped). Options come from `RNN::with_options(RnnOptions::default().num_layers(2)...)`.

use super::{LayerKind, Mismatch, ctor, linear};
use crate::network::shape::{Dim, Dims, Shape};
use proc_macro2::{Ident, Span};
use syn::spanned::Spanned;

const UNDERSTOOD: &str = "`RNN::new()` and `RNN::with_options(RnnOptions::default().num_layers(n).bias(b).batch_first(b).bidirectional(b).relu(b).dropout(p))`";

/// A recurrent layer as the macro sees it.
#[derive(Clone, Debug)]
pub struct Rnn {
    /// Gate blocks per weight: 1 (RNN), 3 (GRU), 4 (LSTM).
    pub gates: usize,
    pub input: Dim,
    pub hidden: Dim,
    pub num_layers: usize,
    pub bias: bool,
    pub bidirectional: bool,
}

impl Rnn {
    /// PyTorch's parameter names, in its order: per layer, per direction, `weight_ih`,
    /// `weight_hh`, then the biases.
    pub fn keys(&self) -> Vec<String> {
        let mut out = Vec::new();
        for l in 0..self.num_layers {
            for sfx in if self.bidirectional { &["", "_reverse"][..] } else { &[""][..] } {
                out.push(format!("weight_ih_l{l}{sfx}"));
                out.push(format!("weight_hh_l{l}{sfx}"));
                if self.bias {
                    out.push(format!("bias_ih_l{l}{sfx}"));
                    out.push(format!("bias_hh_l{l}{sfx}"));
                }
            }
        }
        out
    }

    /// The parameter count, when the sizes are literals.
    pub fn num_parameters(&self) -> Option<usize> {
        let (Dim::Lit(i), Dim::Lit(h)) = (&self.input, &self.hidden) else { return None };
        let (g, dirs) = (self.gates, if self.bidirectional { 2 } else { 1 });
        let per = |inp: usize| g * h * inp + g * h * h + if self.bias { 2 * g * h } else { 0 };
        Some((0..self.num_layers).map(|l| dirs * per(if l == 0 { *i } else { dirs * h })).sum())
    }
}

pub fn classify(dims: &mut Dims, seg: &syn::PathSegment, gates: usize, init: Option<&syn::Expr>, field: &Ident, generics: &[Ident]) -> Result<LayerKind, (Span, String)> {
    let name = seg.ident.to_string();
    let syn::PathArguments::AngleBracketed(args) = &seg.arguments else {
        return Err((seg.span(), format!("`{name}` needs its sizes: `{name}<INPUT, HIDDEN>`")));
    };
    let [i, h] = args.args.iter().collect::<Vec<_>>()[..] else {
        return Err((args.span(), format!("`{name}` takes two sizes, `{name}<INPUT, HIDDEN>`")));
    };
    let input = linear::dim_of(dims, i, field, generics, "input size", &name)?;
    let hidden = linear::dim_of(dims, h, field, generics, "hidden size", &name)?;
    if matches!(hidden, Dim::Var(_)) {
        return Err((h.span(), format!("the hidden size of `{name}` cannot be inferred; write it")));
    }
    let mut rnn = Rnn { gates, input, hidden, num_layers: 1, bias: true, bidirectional: false };
    let f = field.to_string();
    if let Some(e) = init {
        read_options(&mut rnn, e, &f)?;
    }
    if rnn.bidirectional && !matches!(rnn.hidden, Dim::Lit(_)) {
        return Err((h.span(), format!("a bidirectional `{name}` needs a literal hidden size (its output has 2·H features)")));
    }
    Ok(LayerKind::Rnn(rnn))
}

fn read_options(rnn: &mut Rnn, e: &syn::Expr, field: &str) -> Result<(), (Span, String)> {
    let bad = |at: Option<Span>| ctor::not_understood(e, at, field, UNDERSTOOD);
    let ch = ctor::chain(e).ok_or_else(|| bad(None))?;
    match (ch.base.name.as_str(), &ch.base.args[..]) {
        ("new" | "default", []) if ch.methods.is_empty() => Ok(()),
        ("with_options", [o]) if ch.methods.is_empty() => {
            let opts = ctor::chain(o).ok_or_else(|| bad(Some(o.span())))?;
            if opts.base.name != "default" || !opts.base.args.is_empty() {
                return Err(bad(Some(opts.base.span)));
            }
            for m in &opts.methods {
                let arg = m.args.first().copied();
                let flag = || arg.and_then(ctor::bool_lit).ok_or_else(|| bad(Some(ctor::arg_span(m))));
                match m.name.as_str() {
                    "num_layers" => rnn.num_layers = arg.and_then(ctor::usize_lit).ok_or_else(|| bad(Some(ctor::arg_span(m))))?,
                    "bias" => rnn.bias = flag()?,
                    "bidirectional" => rnn.bidirectional = flag()?,
                    // Shape-neutral options: read only to check they are options at all.
                    "batch_first" | "relu" => {
                        flag()?;
                    }
                    "dropout" => {}
                    _ => return Err(bad(Some(m.span))),
                }
            }
            Ok(())
        }
        _ => Err(bad(Some(ch.base.span))),
    }
}

/// `[.., I]` of rank 2 or 3 to `[.., D·H]`.
pub fn apply(dims: &mut Dims, r: &Rnn, x: &Shape) -> Result<Shape, Mismatch> {
    if x.rest.is_none() && !(2..=3).contains(&x.dims.len()) {
        return Err(Mismatch::Other(format!(
            "it takes a sequence [T, B, {i}] (or [B, T, {i}] with batch_first, or [T, {i}] unbatched), but its input has rank {}",
            x.dims.len(),
            i = dims.dim_text(&r.input)
        )));
    }
    let out = match (&r.hidden, r.bidirectional) {
        (Dim::Lit(h), true) => Dim::Lit(2 * h),
        (h, _) => h.clone(),
    };
    linear::apply(dims, &r.input, &out, x).map_err(Mismatch::Takes)
}
