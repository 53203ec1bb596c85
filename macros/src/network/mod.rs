//! `network!`: a network's fields and forward, compiled at build time.
//!
//! Pipeline, one concern per file: [`parse`] (syntax → AST with spans) → [`fields`] and
//! [`attr`] (field kinds, initialisers) → [`lower`] (body → SSA [`ir`], with [`shape`]
//! inference and checking, layer rules in [`layers`]) → [`rewrite`] (exact rewrites that save
//! work, such as ReLU after a max-pool) → [`autodiff`] (which values need
//! gradients, and the backward by source transformation over the IR) → [`codegen`] (forward,
//! training forward, contexts) → [`items`] (the struct, `new()`, the `Layer` impl). Errors are
//! collected in a [`Ctxt`] and all reported at their spans, with stub items beside them so one
//! mistake does not cascade.

mod attr;
mod autodiff;
mod codegen;
mod dot;
mod fields;
mod fuse;
mod ir;
mod items;
mod keys;
mod layers;
mod loss_items;
mod lower;
mod ops;
mod parse;
mod rewrite;
mod shape;
mod summary;
mod text;

use crate::ctxt::Ctxt;
use fields::{FieldKind, NetField};
use layers::LayerKind;
use parse::{Kind, Network};
use proc_macro2::{Ident, Span, TokenStream};
use shape::{Dim, Dims, Shape};
use syn::spanned::Spanned;

/// Expands one `network! { ... }` invocation (one or more networks).
pub fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<parse::Input>(input) {
        Ok(parsed) => parsed.networks.iter().map(expand_network).collect(),
        Err(e) => e.into_compile_error(),
    }
}

/// The const generic parameters (the only generics a network may have).
fn const_generics(cx: &Ctxt, g: &syn::Generics) -> Vec<Ident> {
    let mut out = Vec::new();
    for p in &g.params {
        match p {
            syn::GenericParam::Const(c) => out.push(c.ident.clone()),
            other => cx.error_spanned_by(other, "a network's generic parameters are const sizes (`const IN: usize`); type and lifetime parameters are not supported"),
        }
    }
    if let Some(w) = &g.where_clause {
        cx.error_spanned_by(w, "a network cannot have a `where` clause");
    }
    out
}

fn expand_network(net: &Network) -> TokenStream {
    let cx = Ctxt::default();
    let generics = const_generics(&cx, &net.generics);
    let mut dims = Dims::default();
    dims.generics = generics.clone();
    let mut fields: Vec<NetField> = Vec::new();
    let mut complete = true;
    match &net.kind {
        Kind::Struct { fields: asts, .. } => {
            for f in asts {
                if fields.iter().any(|g| f.ident == g.name) {
                    cx.error_spanned_by(&f.ident, format!("field `{}` is already declared", f.ident));
                    continue;
                }
                match fields::classify(&cx, &mut dims, f, &generics, &fields) {
                    Some(nf) => fields.push(nf),
                    None => complete = false,
                }
            }
        }
        Kind::Sequential { layers: tys, seq, .. } => {
            if tys.is_empty() {
                cx.error_spanned_by(seq, "`Sequential()` needs at least one layer");
            }
            for (i, layer) in tys.iter().enumerate() {
                let ty = &layer.ty;
                let name = Ident::new(&format!("__layer{i}"), ty.span());
                match layers::classify(&mut dims, ty, layer.init.as_ref(), &name, &generics) {
                    Ok(l) => fields.push(NetField {
                        member: syn::Member::Unnamed(syn::Index { index: i as u32, span: ty.span() }),
                        name: i.to_string(),
                        vis: syn::parse_quote!(pub),
                        attrs: Vec::new(),
                        span: ty.span(),
                        share: None,
                        kind: FieldKind::Layer(l),
                    }),
                    Err((sp, msg)) => {
                        cx.syn_error(syn::Error::new(sp, msg));
                        complete = false;
                    }
                }
            }
        }
    }
    let lowered = if complete { lower(&cx, net, &fields, dims) } else { None };
    if let Some((_, dims, _)) = &lowered {
        check_inferred(&cx, &fields, dims, &generics);
    }
    match (cx.check(), lowered) {
        (Ok(()), Some((graph, dims, in_shape))) => items::generate(net, &fields, graph, &dims, &in_shape),
        (Err(e), _) => {
            let mut out = e.into_compile_error();
            if generics.len() == net.generics.params.len() {
                out.extend(items::fallback(net, &fields, &generics));
            }
            out
        }
        (Ok(()), None) => items::fallback(net, &fields, &generics),
    }
}

/// The input shape and the lowered graph.
fn lower(cx: &Ctxt, net: &Network, fields: &[NetField], mut dims: Dims) -> Option<(ir::Graph, Dims, Shape)> {
    match &net.kind {
        Kind::Struct { forward, .. } => {
            if forward.name != "forward" {
                cx.error_spanned_by(&forward.name, format!("a network's method is `fn forward`, not `fn {}`", forward.name));
            }
            let mut rest = None;
            let in_shape = fields::signature_shape(cx, &mut dims, &forward.in_shape, &mut rest);
            let targets: Vec<(Ident, Shape, bool)> = forward
                .targets
                .iter()
                .map(|t| (t.name.clone(), fields::signature_shape(cx, &mut dims, &t.shape, &mut rest), t.int))
                .collect();
            let out_shape = fields::signature_shape(cx, &mut dims, &forward.out_shape, &mut rest);
            let lw = lower::Lowerer::new(cx, dims, fields);
            let (g, dims) = lw.lower(&forward.arg, in_shape.clone(), &targets, &out_shape, forward.out_shape.span, &forward.body);
            Some((g, dims, in_shape))
        }
        Kind::Sequential { input, .. } => {
            let mut rest = None;
            let in_shape = match input {
                Some(s) => fields::signature_shape(cx, &mut dims, s, &mut rest),
                None => match fields.first().map(|f| &f.kind) {
                    Some(FieldKind::Layer(l)) => match &l.kind {
                        LayerKind::Linear { input: d @ (Dim::Lit(_) | Dim::Named(_)), .. } => Shape { rest: Some(dims.fresh_rest()), dims: vec![d.clone()] },
                        LayerKind::Conv(c) if matches!(c.c_in, Dim::Lit(_) | Dim::Named(_)) => {
                            Shape { rest: Some(dims.fresh_rest()), dims: std::iter::once(c.c_in.clone()).chain((0..c.d).map(|_| Dim::Unknown)).collect() }
                        }
                        _ => Shape { rest: Some(dims.fresh_rest()), dims: Vec::new() },
                    },
                    _ => Shape { rest: Some(dims.fresh_rest()), dims: Vec::new() },
                },
            };
            let lw = lower::Lowerer::new(cx, dims, fields);
            let (g, dims) = lw.chain(in_shape.clone());
            Some((g, dims, in_shape))
        }
    }
}

/// Every `_` of a `Linear` must have been inferred to a compile-time size.
fn check_inferred(cx: &Ctxt, fields: &[NetField], dims: &Dims, generics: &[Ident]) {
    for f in fields {
        let layer = match &f.kind {
            FieldKind::Layer(l) => l,
            FieldKind::Layers { elem, .. } => elem,
            _ => continue,
        };
        if let Some(Dim::Var(var)) = layers::lazy_input(&layer.kind) {
            let var = *var;
            let what = if matches!(layer.kind, LayerKind::Linear { .. }) { "input size" } else { "input channels" };
            let span = dims.vars.get(var).map_or(Span::call_site(), |v| v.2);
            match dims.resolve(&Dim::Var(var)) {
                Dim::Lit(_) => {}
                Dim::Named(n) if generics.contains(&n) => {}
                Dim::Named(n) => cx.syn_error(syn::Error::new(
                    span,
                    format!("cannot infer the {what} `_` of `{}`: it would be `{n}`, which is only known at run time; write the size", f.name),
                )),
                Dim::Var(_) => cx.syn_error(syn::Error::new(
                    span,
                    format!("cannot infer the {what} `_` of `{}`: it is never called; write the size", f.name),
                )),
                Dim::Unknown => cx.syn_error(syn::Error::new(
                    span,
                    format!(
                        "cannot infer the {what} `_` of `{}`: its input comes from a layer whose output shape is not known at compile time; write the size",
                        f.name
                    ),
                )),
            }
        }
    }
}
