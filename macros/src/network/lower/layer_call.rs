//! Calls of layer fields (`hidden(x)`, the element of a `for` loop): the layer's shape rule, the
//! static checks left to the type checker for opaque layers, and the node the call lowers to.

use super::{Env, Lowerer, Operand};
use crate::network::fields::FieldKind;
use crate::network::ir::{Block, ShapeCheck, Side};
use crate::network::layers::{self, LayerKind, Mismatch, activation};
use crate::network::ops::{Callee, Op};
use crate::network::shape::{Dim, Shape};
use crate::network::text;
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::spanned::Spanned;

impl Lowerer<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn layer_call(&mut self, callee: Callee, field: usize, name: &str, args: &[&syn::Expr], e: &syn::Expr, env: &Env, block: &mut Block) -> Option<Operand> {
        if args.len() != 1 {
            self.cx.error_spanned_by(e, format!("the layer `{name}` takes one input tensor: `{name}(x)`, got {} arguments", args.len()));
            return None;
        }
        let x = self.tensor_arg(args[0], env, block, name)?;
        let layer = match &self.fields[field].kind {
            FieldKind::Layer(l) => l.clone(),
            FieldKind::Layers { elem, .. } => elem.clone(),
            _ => return None,
        };
        let xs = self.values[x].shape.clone();
        let out = match layers::apply(&mut self.dims, &layer, &xs) {
            Ok(s) => s,
            Err(why) => {
                let (lname, ltext, xtext, xshape) = (layer_name(name), layers::text(&self.dims, &layer), quoted(&self.values[x].text), self.dims.text(&xs));
                let msg = match why {
                    Mismatch::Takes(takes) => format!("{lname} is {ltext} and takes {takes}, but {xtext} is {xshape}"),
                    Mismatch::Other(why) => format!("{lname} is {ltext}, and {why}: {xtext} is {xshape}"),
                };
                self.cx.error_spanned_by(args[0], msg);
                return None;
            }
        };
        let text = text::tokens(e);
        let at = args[0].span();
        let producer = xs.dims.is_empty().then(|| xs.rest.and_then(|r| self.opaque_out.get(&r).cloned())).flatten();
        let out = match &layer.kind {
            LayerKind::Opaque if !self.mentions_generics(&layer.ty) => {
                let ty = layers::resolved_type(&self.dims, &layer);
                match &producer {
                    Some(a) => {
                        for back in 1..=4 {
                            self.checks.push(ShapeCheck { span: at, back, given: Side::LayerOut(a.clone()), want: Side::LayerIn(ty.clone()) });
                        }
                    }
                    None => {
                        for (i, d) in xs.dims.iter().rev().enumerate() {
                            if let Dim::Lit(n) = self.dims.resolve(d) {
                                self.checks.push(ShapeCheck { span: at, back: i + 1, given: Side::Known(n), want: Side::LayerIn(ty.clone()) });
                            }
                        }
                    }
                }
                let r = self.dims.fresh_rest();
                self.opaque_out.insert(r, ty);
                Shape { rest: Some(r), dims: Vec::new() }
            }
            LayerKind::Linear { .. } | LayerKind::Conv(_) => {
                let back = if let LayerKind::Conv(c) = &layer.kind { c.d + 1 } else { 1 };
                if let (Some(a), Some(Dim::Lit(n))) = (&producer, layers::lazy_input(&layer.kind).map(|d| self.dims.resolve(d))) {
                    self.checks.push(ShapeCheck { span: at, back, given: Side::LayerOut(a.clone()), want: Side::Known(n) });
                }
                out
            }
            _ => out,
        };
        let op = match &layer.kind {
            LayerKind::Linear { .. } => Op::Linear(callee, x),
            LayerKind::Activation(a) => match activation::op(*a) {
                Some(u) => Op::Unary(u, x),
                None => return Some(Operand::Val(x)),
            },
            LayerKind::Flatten { start, end } => Op::Flatten(x, *start, *end),
            kind => {
                let site = self.sites;
                self.sites += 1;
                Op::Layer { site, callee, arg: x, params: layers::has_params(kind) }
            }
        };
        Some(Operand::Val(self.push(block, op, out, e.span(), text)))
    }

    /// Whether a type mentions the network's const parameters (then no static check can name it).
    fn mentions_generics(&self, ty: &syn::Type) -> bool {
        fn scan(ts: TokenStream, g: &[syn::Ident]) -> bool {
            ts.into_iter().any(|t| match t {
                proc_macro2::TokenTree::Ident(id) => g.contains(&id),
                proc_macro2::TokenTree::Group(gr) => scan(gr.stream(), g),
                _ => false,
            })
        }
        scan(ty.to_token_stream(), &self.dims.generics)
    }

}

/// `layer 2` for a Sequential's numbered layers, else `` `name` ``.
fn layer_name(name: &str) -> String {
    if name.parse::<usize>().is_ok() { format!("layer {name}") } else { format!("`{name}`") }
}

/// Source text in backticks, or a description (`the output of layer 1`) as is.
fn quoted(text: &str) -> String {
    if text.starts_with("the ") { text.to_string() } else { format!("`{text}`") }
}

