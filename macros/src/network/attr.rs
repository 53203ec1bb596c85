//! Field attributes of `network!`: `#[init(..)]` on `Param`/`Buffer` fields, `#[constant(..)]`
//! on plain tensors, `#[persistent = false]` on buffers. `#[module(..)]` and doc comments pass
//! through to `#[derive(Module)]`.

use crate::ctxt::Ctxt;
use proc_macro2::Span;
use syn::spanned::Spanned;

/// How a tensor field is filled by `new()`, as the `torch` / `nn.init` call of the same name.
#[derive(Clone, Debug)]
pub enum Init {
    Randn,
    Rand,
    Zeros,
    Ones,
    Normal(f64, f64),
    Uniform(f64, f64),
    Constant(f64),
    XavierUniform,
    KaimingUniform,
}

pub const INIT_LIST: &str =
    "`randn`, `rand`, `zeros`, `ones`, `normal(mean, std)`, `uniform(a, b)`, `constant(v)`, `xavier_uniform` or `kaiming_uniform`";

/// The attributes of one field, after the ones for `network!` are taken out.
pub struct FieldAttrs {
    /// `#[init(..)]` or `#[constant(..)]`, with the attribute's span.
    pub init: Option<(Init, Span)>,
    /// Whether the init came from `#[constant(..)]`.
    pub constant: Option<Span>,
    /// An `#[init(..)]`/`#[constant(..)]` was written (even an invalid one, already reported).
    pub written: bool,
    /// `#[share(other)]`: this layer is a second handle onto an earlier field (tied weights).
    pub share: Option<syn::Ident>,
    /// `#[persistent = false]`.
    pub non_persistent: Option<Span>,
    /// Everything else (`#[module(..)]`, docs), passed to the struct.
    pub passthrough: Vec<syn::Attribute>,
}

pub fn field_attrs(cx: &Ctxt, attrs: &[syn::Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs { init: None, written: false, share: None, constant: None, non_persistent: None, passthrough: Vec::new() };
    for attr in attrs {
        let path = attr.path();
        if path.is_ident("init") || path.is_ident("constant") {
            let is_constant = path.is_ident("constant");
            out.written = true;
            if is_constant {
                out.constant = Some(attr.span());
            }
            if out.init.is_some() {
                cx.error_spanned_by(attr, "duplicate init attribute: a field takes one `#[init(..)]` or `#[constant(..)]`");
                continue;
            }
            match attr.parse_args::<syn::Expr>() {
                Ok(e) => {
                    if let Some(init) = parse_init(cx, &e) {
                        out.init = Some((init, attr.span()));
                    }
                }
                Err(_) => cx.error_spanned_by(attr, format!("expected an initialiser inside the parentheses: {INIT_LIST}")),
            }
        } else if path.is_ident("share") {
            match attr.parse_args::<syn::Ident>() {
                Ok(id) if out.share.is_none() => out.share = Some(id),
                Ok(_) => cx.error_spanned_by(attr, "duplicate `#[share(..)]`"),
                Err(_) => cx.error_spanned_by(attr, "expected the name of an earlier layer field: `#[share(shared)]`"),
            }
        } else if path.is_ident("persistent") {
            match &attr.meta {
                syn::Meta::NameValue(nv) if matches!(&nv.value, syn::Expr::Lit(l) if matches!(&l.lit, syn::Lit::Bool(b) if !b.value)) => {
                    out.non_persistent = Some(attr.span())
                }
                syn::Meta::NameValue(nv) if matches!(&nv.value, syn::Expr::Lit(l) if matches!(&l.lit, syn::Lit::Bool(_))) => {}
                _ => cx.error_spanned_by(attr, "expected `#[persistent = false]` (buffers are persistent by default)"),
            }
        } else if path.is_ident("module") || path.is_ident("doc") || path.is_ident("allow") || path.is_ident("cfg_attr") {
            out.passthrough.push(attr.clone());
        } else {
            cx.error_spanned_by(
                attr,
                "unknown field attribute in `network!`; expected `#[init(..)]`, `#[constant(..)]`, `#[share(field)]`, `#[persistent = false]` or `#[module(..)]`",
            );
        }
    }
    out
}

fn number(cx: &Ctxt, e: &syn::Expr) -> Option<f64> {
    match e {
        syn::Expr::Lit(l) => match &l.lit {
            syn::Lit::Float(f) => f.base10_parse::<f64>().ok(),
            syn::Lit::Int(i) => i.base10_parse::<f64>().ok(),
            _ => {
                cx.error_spanned_by(e, "expected a number");
                None
            }
        },
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => number(cx, &u.expr).map(|v| -v),
        _ => {
            cx.error_spanned_by(e, "expected a number literal");
            None
        }
    }
}

fn parse_init(cx: &Ctxt, e: &syn::Expr) -> Option<Init> {
    let (name, args): (&syn::Path, Vec<&syn::Expr>) = match e {
        syn::Expr::Path(p) => (&p.path, Vec::new()),
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => (&p.path, c.args.iter().collect()),
            _ => {
                cx.error_spanned_by(e, format!("unknown initialiser; expected {INIT_LIST}"));
                return None;
            }
        },
        _ => {
            cx.error_spanned_by(e, format!("unknown initialiser; expected {INIT_LIST}"));
            return None;
        }
    };
    let Some(id) = name.get_ident() else {
        cx.error_spanned_by(name, format!("unknown initialiser; expected {INIT_LIST}"));
        return None;
    };
    let want = |n: usize, usage: &str| -> Option<Vec<f64>> {
        if args.len() != n {
            cx.error_spanned_by(e, format!("`{id}` takes {n} argument{}: `{usage}`", if n == 1 { "" } else { "s" }));
            return None;
        }
        let vals: Vec<f64> = args.iter().filter_map(|a| number(cx, a)).collect();
        (vals.len() == n).then_some(vals)
    };
    match id.to_string().as_str() {
        "randn" => want(0, "randn").map(|_| Init::Randn),
        "rand" => want(0, "rand").map(|_| Init::Rand),
        "zeros" => want(0, "zeros").map(|_| Init::Zeros),
        "ones" => want(0, "ones").map(|_| Init::Ones),
        "xavier_uniform" => want(0, "xavier_uniform").map(|_| Init::XavierUniform),
        "kaiming_uniform" => want(0, "kaiming_uniform").map(|_| Init::KaimingUniform),
        "normal" => want(2, "normal(mean, std)").map(|v| Init::Normal(v[0], v[1])),
        "uniform" => want(2, "uniform(a, b)").map(|v| Init::Uniform(v[0], v[1])),
        "constant" => want(1, "constant(value)").map(|v| Init::Constant(v[0])),
        _ => {
            cx.error_spanned_by(id, format!("unknown initialiser `{id}`; expected {INIT_LIST}"));
            None
        }
    }
}
