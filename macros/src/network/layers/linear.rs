//! `Linear<IN, OUT>`: takes `[.., IN]`, returns `[.., OUT]`. `IN` may be `_`, inferred from the
//! first call (PyTorch's `LazyLinear`, decided at compile time).

use super::LayerKind;
use crate::network::shape::{Dim, Dims, Shape};
use proc_macro2::{Ident, Span};
use syn::spanned::Spanned;

/// A size in a layer's type: a literal, a const parameter of the network, or `_` (a fresh
/// inference variable).
pub fn dim_of(dims: &mut Dims, arg: &syn::GenericArgument, field: &Ident, generics: &[Ident], what: &str, layer: &str) -> Result<Dim, (Span, String)> {
    let ident_dim = |id: &Ident| -> Result<Dim, (Span, String)> {
        if generics.iter().any(|g| g == id) {
            Ok(Dim::Named(id.clone()))
        } else {
            Err((id.span(), format!("`{id}` is not a const parameter of this network; the {what} of a `{layer}` is a number, a const parameter or `_`")))
        }
    };
    match arg {
        syn::GenericArgument::Const(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. })) => {
            i.base10_parse::<usize>().map(Dim::Lit).map_err(|e| (i.span(), e.to_string()))
        }
        syn::GenericArgument::Type(syn::Type::Infer(t)) => Ok(dims.fresh_var(format!("{what} of `{field}`"), t.span())),
        syn::GenericArgument::Const(syn::Expr::Infer(t)) => Ok(dims.fresh_var(format!("{what} of `{field}`"), t.span())),
        syn::GenericArgument::Type(syn::Type::Path(p)) if p.qself.is_none() && p.path.get_ident().is_some() => {
            p.path.get_ident().map_or(Err((p.span(), String::new())), ident_dim)
        }
        syn::GenericArgument::Const(syn::Expr::Path(p)) if p.path.get_ident().is_some() => {
            p.path.get_ident().map_or(Err((p.span(), String::new())), ident_dim)
        }
        other => Err((other.span(), format!("expected the {what} of `{layer}` here: a number, a const parameter or `_`"))),
    }
}

pub fn classify(dims: &mut Dims, seg: &syn::PathSegment, field: &Ident, generics: &[Ident]) -> Result<LayerKind, (Span, String)> {
    let syn::PathArguments::AngleBracketed(args) = &seg.arguments else {
        return Err((seg.span(), "`Linear` needs its sizes: `Linear<IN, OUT>` (`IN` may be `_`)".to_string()));
    };
    let list: Vec<&syn::GenericArgument> = args.args.iter().collect();
    if list.len() != 2 {
        return Err((args.span(), format!("`Linear` takes two sizes, `Linear<IN, OUT>`, but {} are given", list.len())));
    }
    let input = dim_of(dims, list[0], field, generics, "input size", "Linear")?;
    let output = match dim_of(dims, list[1], field, generics, "output size", "Linear")? {
        Dim::Var(_) => {
            return Err((list[1].span(), "the output size of a `Linear` cannot be inferred; write it (only the input size may be `_`)".to_string()));
        }
        d => d,
    };
    Ok(LayerKind::Linear { input, output })
}

pub fn apply(dims: &mut Dims, input: &Dim, output: &Dim, x: &Shape) -> Result<Shape, String> {
    let takes = |dims: &Dims| {
        let mut t = x.clone();
        match t.dims.last_mut() {
            Some(last) => *last = input.clone(),
            None => t.dims.push(input.clone()),
        }
        dims.text(&t)
    };
    match x.dims.last() {
        None if x.rest.is_none() => Err(format!("[.., {}]", dims.dim_text(input))),
        None => {
            dims.unify(input, &Dim::Unknown);
            Ok(Shape { rest: x.rest, dims: vec![output.clone()] })
        }
        Some(last) => {
            if dims.unify(last, input) {
                let mut out = x.clone();
                if let Some(l) = out.dims.last_mut() {
                    *l = output.clone();
                }
                Ok(out)
            } else {
                Err(takes(dims))
            }
        }
    }
}

fn dim_arg(d: &Dim) -> Option<syn::GenericArgument> {
    match d {
        Dim::Lit(n) => {
            let lit = syn::LitInt::new(&n.to_string(), Span::call_site());
            Some(syn::GenericArgument::Const(syn::Expr::Lit(syn::ExprLit { attrs: Vec::new(), lit: syn::Lit::Int(lit) })))
        }
        Dim::Named(id) => Some(syn::GenericArgument::Const(syn::Expr::Path(syn::ExprPath {
            attrs: Vec::new(),
            qself: None,
            path: syn::Path::from(id.clone()),
        }))),
        _ => None,
    }
}

/// `Linear<_, 256>` (or `Conv2d<_, 16, 3>`) with `_` replaced by the inferred size (left as written when unresolved:
/// the checker reports that).
pub fn resolved_type(dims: &Dims, ty: &syn::Type, input: &Dim) -> syn::Type {
    let mut ty = ty.clone();
    if let syn::Type::Path(p) = &mut ty
        && let Some(seg) = p.path.segments.last_mut()
        && let syn::PathArguments::AngleBracketed(args) = &mut seg.arguments
        && let Some(first) = args.args.first_mut()
    {
        let d = match dims.resolve(input) {
            Dim::Named(n) if !dims.generics.contains(&n) => Dim::Lit(0),
            Dim::Var(_) | Dim::Unknown => Dim::Lit(0),
            d => d,
        };
        if let Some(arg) = dim_arg(&d) {
            *first = arg;
        }
    }
    ty
}
