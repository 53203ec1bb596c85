//! The fields of a network, classified: parameters, buffers, constants, layers and arrays of
//! layers, each with its static shape or layer kind.

use super::attr::{self, INIT_LIST, Init};
use super::layers::{self, LayerType};
use super::parse::{DimAst, FieldAst, FieldTy, ShapeAst};
use super::shape::{Dim, Dims, Shape};
use crate::ctxt::Ctxt;
use proc_macro2::{Ident, Span};

pub enum FieldKind {
    Param { shape: Shape, init: Init },
    Buffer { shape: Shape, init: Init, persistent: bool },
    Constant { shape: Shape, init: Init },
    Layer(LayerType),
    /// `[T; N]` (`len` is `N`) or `Vec<T>` built by the field's `= expr` (`build`; its length is
    /// known at run time only), iterated with `for b in field`.
    Layers { elem: LayerType, len: Option<syn::Expr>, build: Option<syn::Expr> },
}

pub struct NetField {
    pub member: syn::Member,
    pub name: String,
    pub vis: syn::Visibility,
    pub attrs: Vec<syn::Attribute>,
    /// The span of the field's type.
    pub span: Span,
    /// `#[share(other)]`: the index of the earlier field this one shares its parameters with.
    pub share: Option<usize>,
    pub kind: FieldKind,
}

impl NetField {
    pub fn is_layer(&self) -> bool {
        matches!(self.kind, FieldKind::Layer(_) | FieldKind::Layers { .. })
    }
}

/// A field's shape: numbers and const parameters only (it is built before any input exists).
pub fn static_shape(cx: &Ctxt, s: &ShapeAst, generics: &[Ident]) -> Shape {
    let mut dims = Vec::new();
    for item in &s.items {
        match item {
            DimAst::Lit(l) => match l.base10_parse::<usize>() {
                Ok(n) => dims.push(Dim::Lit(n)),
                Err(e) => cx.syn_error(e),
            },
            DimAst::Name(id) if generics.iter().any(|g| g == id) => dims.push(Dim::Named(id.clone())),
            DimAst::Name(id) => {
                cx.error_spanned_by(id, format!("`{id}` is not a const parameter of this network; the shape of a parameter, buffer or constant is made of numbers and const parameters (it is built in `new()`, before any input exists)"));
            }
            DimAst::Rest(sp) | DimAst::Infer(sp) => {
                cx.syn_error(syn::Error::new(*sp, "the shape of a parameter, buffer or constant must be fully known: numbers and const parameters only"));
            }
        }
    }
    Shape::known(dims)
}

/// The forward's input or output shape: numbers, const parameters, batch names (`B`), `_`
/// (any size) and a leading `..` (any leading dims).
pub fn signature_shape(cx: &Ctxt, dims: &mut Dims, s: &ShapeAst, rest: &mut Option<usize>) -> Shape {
    let mut out = Shape::known(Vec::new());
    for (i, item) in s.items.iter().enumerate() {
        match item {
            DimAst::Lit(l) => match l.base10_parse::<usize>() {
                Ok(n) => out.dims.push(Dim::Lit(n)),
                Err(e) => cx.syn_error(e),
            },
            DimAst::Name(id) => out.dims.push(Dim::Named(id.clone())),
            DimAst::Infer(_) => out.dims.push(Dim::Unknown),
            DimAst::Rest(sp) => {
                if i != 0 {
                    cx.syn_error(syn::Error::new(*sp, "`..` stands for the leading dims and must come first: `[..]`, `[.., 10]`"));
                } else {
                    out.rest = Some(*rest.get_or_insert_with(|| dims.fresh_rest()));
                }
            }
        }
    }
    out
}

fn require_init(cx: &Ctxt, f: &FieldAst, init: Option<(Init, Span)>, written: bool, what: &str, attr_name: &str) -> Option<Init> {
    match init {
        Some((i, _)) => Some(i),
        None if written => None,
        None => {
            cx.error_spanned_by(
                &f.ident,
                format!("{what} `{}` needs an initialiser, `#[{attr_name}(..)]` with one of {INIT_LIST} (there is no default, as `torch.empty` would leave garbage)", f.ident),
            );
            None
        }
    }
}

pub fn classify(cx: &Ctxt, dims: &mut Dims, f: &FieldAst, generics: &[Ident], earlier: &[NetField]) -> Option<NetField> {
    let a = attr::field_attrs(cx, &f.attrs);
    let member = syn::Member::Named(f.ident.clone());
    let span = f.ty.span();
    if let (Some(e), FieldTy::Param { .. } | FieldTy::Buffer { .. } | FieldTy::Tensor(_)) = (&f.init, &f.ty) {
        cx.error_spanned_by(e, "`= expr` builds a layer field; a parameter, buffer or constant is filled by its `#[init(..)]`/`#[constant(..)]` attribute");
    }
    let init = f.init.as_ref();
    let kind = match &f.ty {
        FieldTy::Param { shape, .. } => {
            if let Some(sp) = a.constant {
                cx.syn_error(syn::Error::new(sp, "`#[constant(..)]` is for plain tensor fields (`name: [20, 20]`); a `Param` takes `#[init(..)]`"));
            }
            let shape = static_shape(cx, shape, generics);
            FieldKind::Param { shape, init: require_init(cx, f, a.init, a.written, "parameter", "init")? }
        }
        FieldTy::Buffer { shape, .. } => {
            let shape = static_shape(cx, shape, generics);
            FieldKind::Buffer { shape, init: require_init(cx, f, a.init, a.written, "buffer", "init")?, persistent: a.non_persistent.is_none() }
        }
        FieldTy::Tensor(shape) => {
            if a.constant.is_none() {
                cx.error_spanned_by(
                    &f.ident,
                    format!("a plain tensor field is a constant: write `#[constant(init)] {}: {}` with init one of {INIT_LIST}, or make it `Param<..>`", f.ident, super::text::tokens(shape)),
                );
                return None;
            }
            let shape = static_shape(cx, shape, generics);
            FieldKind::Constant { shape, init: a.init?.0 }
        }
        FieldTy::Type(ty) => {
            if let Some((_, sp)) = &a.init {
                cx.syn_error(syn::Error::new(*sp, "`#[init(..)]` and `#[constant(..)]` apply to `Param<[..]>`, `Buffer<[..]>` and tensor fields; a layer initialises itself"));
            }
            match ty {
                syn::Type::Array(arr) => match layers::classify(dims, &arr.elem, init, &f.ident, generics) {
                    Ok(elem) => FieldKind::Layers { elem, len: Some(arr.len.clone()), build: None },
                    Err((sp, msg)) => {
                        cx.syn_error(syn::Error::new(sp, msg));
                        return None;
                    }
                },
                syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Vec") => {
                    let elem = p.path.segments.last().and_then(|s| match &s.arguments {
                        syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => match a.args.first() {
                            Some(syn::GenericArgument::Type(t)) => Some(t.clone()),
                            _ => None,
                        },
                        _ => None,
                    });
                    let Some(elem) = elem else {
                        cx.error_spanned_by(ty, "expected `Vec<Layer>`, a vector of one layer type");
                        return None;
                    };
                    let Some(build) = init else {
                        cx.error_spanned_by(
                            ty,
                            format!("a `Vec` of layers is built by an expression, as `nn.Sequential` is built in a loop: `{}: Vec<{}> = (0..4).map(|_| {}::new()).collect()`", f.ident, super::text::tokens(&elem), super::text::tokens(&elem)),
                        );
                        return None;
                    };
                    match layers::classify(dims, &elem, None, &f.ident, generics) {
                        Ok(elem) => FieldKind::Layers { elem, len: None, build: Some(build.clone()) },
                        Err((sp, msg)) => {
                            cx.syn_error(syn::Error::new(sp, msg));
                            return None;
                        }
                    }
                }
                _ => match layers::classify(dims, ty, init, &f.ident, generics) {
                    Ok(l) => FieldKind::Layer(l),
                    Err((sp, msg)) => {
                        cx.syn_error(syn::Error::new(sp, msg));
                        return None;
                    }
                },
            }
        }
    };
    if a.non_persistent.is_some() && !matches!(kind, FieldKind::Buffer { .. }) {
        cx.error_spanned_by(&f.ident, "`#[persistent = false]` applies to `Buffer<[..]>` fields only");
    }
    let mut attrs = a.passthrough;
    if matches!(kind, FieldKind::Constant { .. }) {
        attrs.push(syn::parse_quote!(#[module(skip)]));
    }
    let share = match &a.share {
        None => None,
        Some(id) => {
            let ty_text = |k: &FieldKind| match k {
                FieldKind::Layer(l) => Some(super::text::tokens(&l.ty)),
                _ => None,
            };
            match earlier.iter().position(|e| *id == e.name) {
                Some(j) if ty_text(&earlier[j].kind).is_some() && ty_text(&earlier[j].kind) == ty_text(&kind) => Some(j),
                Some(_) => {
                    cx.error_spanned_by(id, format!("`#[share({id})]` needs `{id}` to be a layer of the same type as `{}`", f.ident));
                    None
                }
                None => {
                    cx.error_spanned_by(id, format!("`#[share({id})]`: no earlier field named `{id}` (a shared layer comes after the one it shares)"));
                    None
                }
            }
        }
    };
    Some(NetField { member, name: f.ident.to_string(), vis: f.vis.clone(), attrs, span, share, kind })
}
