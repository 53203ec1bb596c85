//! Reading a layer's constructor expression (`Conv2d::new().stride(2).padding(1)`,
//! `MaxPool2d::new([2, 3])`) at expansion time: the literal sizes that decide its output shape.

use crate::network::text;
use proc_macro2::Span;
use syn::spanned::Spanned;

/// One call of a constructor chain: `new(2)` or `.padding(1)`.
pub struct Call<'a> {
    pub name: String,
    pub args: Vec<&'a syn::Expr>,
    pub span: Span,
}

/// `Type::base(args).m1(args).m2(args)`: the base call and the method calls in order.
pub struct Chain<'a> {
    pub base: Call<'a>,
    pub methods: Vec<Call<'a>>,
}

fn strip(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Paren(p) => strip(&p.expr),
        syn::Expr::Group(g) => strip(&g.expr),
        _ => e,
    }
}

/// The chain of `e`, or `None` when `e` is not a path call followed by method calls.
pub fn chain(e: &syn::Expr) -> Option<Chain<'_>> {
    let mut methods = Vec::new();
    let mut cur = strip(e);
    loop {
        match cur {
            syn::Expr::MethodCall(m) => {
                methods.push(Call { name: m.method.to_string(), args: m.args.iter().collect(), span: m.method.span() });
                cur = strip(&m.receiver);
            }
            syn::Expr::Call(c) => {
                let syn::Expr::Path(p) = strip(&c.func) else { return None };
                let seg = p.path.segments.last()?;
                methods.reverse();
                return Some(Chain { base: Call { name: seg.ident.to_string(), args: c.args.iter().collect(), span: seg.ident.span() }, methods });
            }
            _ => return None,
        }
    }
}

pub fn usize_lit(e: &syn::Expr) -> Option<usize> {
    match strip(e) {
        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => i.base10_parse().ok(),
        _ => None,
    }
}

pub fn isize_lit(e: &syn::Expr) -> Option<isize> {
    match strip(e) {
        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => i.base10_parse().ok(),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => isize_lit(&u.expr).map(|v| -v),
        _ => None,
    }
}

pub fn bool_lit(e: &syn::Expr) -> Option<bool> {
    match strip(e) {
        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Bool(b), .. }) => Some(b.value),
        _ => None,
    }
}

/// An int for every axis (`2`) or one per axis (`[2, 3]`, `&[2, 3]`), PyTorch's `_size_Nd_t`.
pub fn sizes(e: &syn::Expr, d: usize) -> Option<Vec<usize>> {
    match strip(e) {
        syn::Expr::Array(a) if a.elems.len() == d => a.elems.iter().map(usize_lit).collect(),
        syn::Expr::Reference(r) => sizes(&r.expr, d),
        other => usize_lit(other).map(|v| vec![v; d]),
    }
}

/// A list of ints of any length: `[2, 3]` or `&[2, 3]`.
pub fn list(e: &syn::Expr) -> Option<Vec<usize>> {
    match strip(e) {
        syn::Expr::Array(a) => a.elems.iter().map(usize_lit).collect(),
        syn::Expr::Reference(r) => list(&r.expr),
        _ => None,
    }
}

/// `` `c1` `` for a field, `layer 2` for a layer of the Sequential form (named `__layer2` inside).
pub fn who(field: &str) -> String {
    match field.strip_prefix("__layer") {
        Some(i) => format!("layer {i}"),
        None => format!("`{field}`"),
    }
}

/// The start of a suggested declaration: `c1: ` for a field, nothing in the Sequential form.
pub fn decl(field: &str) -> String {
    if field.starts_with("__layer") { String::new() } else { format!("{field}: ") }
}

/// The error for a constructor whose shape-relevant part is not a literal, at `at` (the
/// argument not understood) or at the whole expression.
pub fn not_understood(e: &syn::Expr, at: Option<Span>, field: &str, what: &str) -> (Span, String) {
    (
        at.unwrap_or_else(|| e.span()),
        format!(
            "cannot read the sizes of {} from `{}` at compile time; network! needs them to check shapes and understands {what} (integer literals, or arrays of them, one per axis)",
            who(field),
            text::tokens(e)
        ),
    )
}

/// The span of the first argument of `call`, or of its name.
pub fn arg_span(call: &Call) -> Span {
    call.args.first().map_or(call.span, |a| a.span())
}
