//! `summary()`: a torchinfo-like table of a network's forward, one row per layer call or op in
//! order, with its output shape as inferred at compile time (batch names such as `B` kept) and
//! its parameter count: `IN·OUT + OUT` for `Linear`, `C_OUT·C_IN/groups·∏k + C_OUT` for
//! `ConvNd`, `2C` for `BatchNormNd`, `2·∏shape` for `LayerNorm`, `N·D` for `Embedding`, the
//! size of a `Param` field, and `num_parameters()` at run time for an opaque layer. A layer
//! called again (or a `#[share]` field) shows `(recursive)` and is counted once, so the total
//! equals `num_parameters()`.

use super::fields::{FieldKind, NetField};
use super::ir::{Block, Graph, Stmt, ValueId};
use super::keys;
use super::layers::{self, LayerKind, LayerType};
use super::ops::{Callee, Op};
use super::parse::{Kind, Network};
use super::shape::{Dim, Dims, Shape};
use proc_macro2::TokenStream;
use quote::quote;
use std::collections::HashSet;

/// A short name for an op (`relu`, `add`, `matmul`), for the summary and the DOT graph.
pub fn op_name(op: &Op) -> String {
    use super::ops::Bin;
    let bin = |b: &Bin| match b {
        Bin::Add => "add",
        Bin::Sub => "sub",
        Bin::Mul => "mul",
        Bin::Div => "div",
    };
    match op {
        Op::Input | Op::Arg(_) => "input".into(),
        Op::Loss { kind, red, .. } => format!("{}(reduction={:?})", kind.name(), format!("{red:?}").to_lowercase()),
        Op::Param(_) => "param".into(),
        Op::Tensor(_) => "tensor".into(),
        Op::Unary(u, _) => format!("{u:?}").to_lowercase(),
        Op::Binary(b, ..) => bin(b).into(),
        Op::ScalarRhs(b, _, c) => format!("{} {c}", bin(b)),
        Op::ScalarLhs(b, c, _) => format!("{c} {}", bin(b)),
        Op::MatMul(..) => "matmul".into(),
        Op::Reduce(r, _) => {
            let n = if r.mean { "mean" } else { "sum" };
            match r.dim {
                None => n.into(),
                Some((d, k)) => format!("{n}(dim={d}{})", if k { ", keepdim" } else { "" }),
            }
        }
        Op::Softmax { log, dim, .. } => format!("{}softmax(dim={dim})", if *log { "log_" } else { "" }),
        Op::Transpose(_, a, b) => format!("transpose({a}, {b})"),
        Op::Max { dim: None, .. } => "max".into(),
        Op::Max { dim: Some((d, _)), .. } => format!("max(dim={d})"),
        Op::Reshape { view, .. } => if *view { "view" } else { "reshape" }.into(),
        Op::Permute(_, d) => format!("permute({d:?})"),
        Op::Unsqueeze(_, d) => format!("unsqueeze({d})"),
        Op::Squeeze(_, d) => d.map_or("squeeze".into(), |d| format!("squeeze({d})")),
        Op::Join { dim, stack, .. } => format!("{}(dim={dim})", if *stack { "stack" } else { "cat" }),
        Op::Linear(..) => "Linear".into(),
        Op::Flatten(_, s, e) => format!("flatten({s}, {e})"),
        Op::Layer { .. } => "layer".into(),
    }
}

/// A dim as a `usize` expression: a literal or a const parameter; `None` when only known at run time.
fn dim_expr(dims: &Dims, d: &Dim) -> Option<TokenStream> {
    match dims.resolve(d) {
        Dim::Lit(n) => Some(quote!(#n)),
        Dim::Named(id) if dims.generics.contains(&id) => Some(quote!(#id)),
        _ => None,
    }
}

/// The `n`-th generic size of a layer type (`Embedding<N, D>`'s `N`).
fn type_arg(dims: &Dims, ty: &syn::Type, n: usize) -> Option<TokenStream> {
    let syn::Type::Path(p) = ty else { return None };
    let syn::PathArguments::AngleBracketed(a) = &p.path.segments.last()?.arguments else { return None };
    match a.args.iter().nth(n)? {
        syn::GenericArgument::Const(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. })) => {
            i.base10_parse::<usize>().ok().map(|v| quote!(#v))
        }
        syn::GenericArgument::Type(syn::Type::Path(t)) => t.path.get_ident().filter(|id| dims.generics.contains(id)).map(|id| quote!(#id)),
        syn::GenericArgument::Const(syn::Expr::Path(t)) => t.path.get_ident().filter(|id| dims.generics.contains(id)).map(|id| quote!(#id)),
        _ => None,
    }
}

/// The parameter count of one built-in layer as a compile-time expression, `None` when it is
/// only known at run time.
pub fn layer_params(dims: &Dims, l: &LayerType) -> Option<TokenStream> {
    let init = l.init.as_ref();
    match &l.kind {
        LayerKind::Linear { input, output } => {
            let (i, o) = (dim_expr(dims, input)?, dim_expr(dims, output)?);
            let b = if keys::linear_bias(init)? { quote!(#o) } else { quote!(0usize) };
            Some(quote!(#i * #o + #b))
        }
        LayerKind::Conv(c) => {
            let (i, o) = (dim_expr(dims, &c.c_in)?, dim_expr(dims, &c.c_out)?);
            let k: usize = c.kernel.iter().map(|k| k.ok_or(())).product::<Result<usize, ()>>().ok()?;
            let g = c.groups.max(1);
            let b = if keys::conv_bias(init)? { quote!(#o) } else { quote!(0usize) };
            Some(quote!(#o * (#i / #g) * #k + #b))
        }
        LayerKind::BatchNorm { c, .. } => {
            let c = dim_expr(dims, c)?;
            keys::plain_ctor(init).then(|| quote!(2 * #c))
        }
        LayerKind::LayerNorm(Some(shape)) if keys::layer_keys(l).is_some() => {
            let n: usize = shape.iter().product();
            let n = 2 * n;
            Some(quote!(#n))
        }
        LayerKind::LayerNorm(_) => None,
        LayerKind::Embedding { dim } => {
            let (n, d) = (type_arg(dims, &l.ty, 0)?, dim_expr(dims, dim)?);
            keys::plain_ctor(init).then(|| quote!(#n * #d))
        }
        LayerKind::Activation(_) | LayerKind::Kept { .. } | LayerKind::Flatten { .. } | LayerKind::Unflatten { .. } | LayerKind::Pool(_) | LayerKind::AdaptiveAvgPool { .. } => {
            Some(quote!(0usize))
        }
        LayerKind::Rnn(r) => r.num_parameters().map(|n| quote!(#n)),
        LayerKind::Opaque => None,
    }
}

/// A shape as a `String` expression: `[B, 6, 28, 28]`, const parameters by their value.
pub fn shape_expr(dims: &Dims, s: &Shape) -> TokenStream {
    let mut fmt = String::from("[");
    let mut args = Vec::new();
    let mut parts: Vec<String> = Vec::new();
    if s.rest.is_some() {
        parts.push("..".into());
    }
    for d in &s.dims {
        match dims.resolve(d) {
            Dim::Named(id) if dims.generics.contains(&id) => {
                parts.push("{}".into());
                args.push(quote!(#id));
            }
            _ => parts.push(dims.dim_text(d).replace('{', "{{").replace('}', "}}")),
        }
    }
    fmt.push_str(&parts.join(", "));
    fmt.push(']');
    quote!(::std::format!(#fmt #(, #args)*))
}

/// One row: the name, the shape, and the parameter count (`None`: counted at an earlier row).
struct Row {
    name: String,
    shape: TokenStream,
    params: Option<TokenStream>,
}

struct Walk<'a> {
    dims: &'a Dims,
    graph: &'a Graph,
    fields: &'a [NetField],
    counted: HashSet<usize>,
    /// Loop id → the field it iterates.
    loops: Vec<(usize, usize)>,
    rows: Vec<Row>,
    depth: usize,
}

impl Walk<'_> {
    fn indent(&self) -> String {
        "  ".repeat(self.depth)
    }

    /// The params of a field the first time it is reached (a `#[share]` field is its original).
    fn field_params(&mut self, f: usize, all_elems: bool) -> Option<TokenStream> {
        let root = self.fields[f].share.unwrap_or(f);
        if !self.counted.insert(root) {
            return None;
        }
        let m = &self.fields[f].member;
        let p = quote!(::fusenet::__private);
        Some(match &self.fields[f].kind {
            FieldKind::Layer(l) => layer_params(self.dims, l).unwrap_or_else(|| quote!(#p::Module::num_parameters(&self.#m))),
            FieldKind::Layers { .. } if all_elems => quote!(#p::Module::num_parameters(&self.#m)),
            FieldKind::Layers { elem, len: Some(len), .. } => layer_params(self.dims, elem).map_or_else(|| quote!(#p::Module::num_parameters(&self.#m)), |e| quote!((#e) * (#len))),
            FieldKind::Layers { len: None, .. } => quote!(#p::Module::num_parameters(&self.#m)),
            FieldKind::Param { shape, .. } => {
                let ds = shape.dims.iter().map(|d| dim_expr(self.dims, d).unwrap_or(quote!(0usize)));
                quote!(1usize #(* #ds)*)
            }
            FieldKind::Buffer { .. } | FieldKind::Constant { .. } => quote!(0usize),
        })
    }

    fn layer_name(&self, c: Callee) -> (usize, String) {
        let f = match c {
            Callee::Field(f) => f,
            Callee::LoopElem(id) => self.loops.iter().find(|(l, _)| *l == id).map_or(0, |(_, f)| *f),
        };
        let field = &self.fields[f];
        let ty = match &field.kind {
            FieldKind::Layer(l) | FieldKind::Layers { elem: l, .. } => layers::text(self.dims, l),
            _ => String::new(),
        };
        let name = if matches!(c, Callee::LoopElem(_)) { format!("{}[i]", field.name) } else { field.name.clone() };
        (f, format!("{name} ({ty})"))
    }

    fn push(&mut self, name: String, v: ValueId, params: Option<TokenStream>) {
        let shape = shape_expr(self.dims, &self.graph.values[v].shape);
        self.rows.push(Row { name: format!("{}{name}", self.indent()), shape, params });
    }

    fn block(&mut self, b: &Block) {
        for s in &b.stmts {
            match s {
                Stmt::Node(n) => match &n.op {
                    Op::Input | Op::Arg(_) | Op::Tensor(_) => {}
                    Op::Param(f) => {
                        let p = self.field_params(*f, false);
                        self.push(format!("{} (Param)", self.fields[*f].name), n.out, p);
                    }
                    Op::Linear(c, _) | Op::Layer { callee: c, .. } => {
                        let (f, name) = self.layer_name(*c);
                        let p = self.field_params(f, matches!(c, Callee::LoopElem(_)));
                        self.push(name, n.out, p);
                    }
                    op => self.push(op_name(op), n.out, Some(quote!(0usize))),
                },
                Stmt::While(w) => {
                    self.rows.push(Row { name: format!("{}while", self.indent()), shape: quote!(::std::string::String::new()), params: Some(quote!(0usize)) });
                    self.depth += 1;
                    self.block(&w.body);
                    self.depth -= 1;
                }
                Stmt::For(f) => {
                    self.loops.push((f.id, f.field));
                    let name = format!("{}for {}", self.indent(), self.fields[f.field].name);
                    self.rows.push(Row { name, shape: quote!(::std::string::String::new()), params: Some(quote!(0usize)) });
                    self.depth += 1;
                    self.block(&f.body);
                    self.depth -= 1;
                }
            }
        }
    }
}

/// The Sequential form: one row per layer, in order (an inlined layer such as `ReLU` still
/// gets its row; a shape-keeping one without a node shows its input's shape).
fn sequential_rows(w: &mut Walk, in_shape: &Shape) {
    let mut shape = in_shape.clone();
    for (i, f) in w.fields.iter().enumerate() {
        let tag = format!("the output of layer {i}");
        if let Some(v) = w.graph.values.iter().rposition(|v| v.text == tag) {
            shape = w.graph.values[v].shape.clone();
        }
        let (_, name) = w.layer_name(Callee::Field(i));
        let params = w.field_params(i, false);
        let s = shape_expr(w.dims, &shape);
        w.rows.push(Row { name, shape: s, params });
        let _ = f;
    }
}

/// The `summary()` and `print_summary()` methods.
pub fn methods(net: &Network, fields: &[NetField], graph: &Graph, dims: &Dims, in_shape: &Shape) -> TokenStream {
    let mut w = Walk { dims, graph, fields, counted: HashSet::new(), loops: Vec::new(), rows: Vec::new(), depth: 0 };
    match &net.kind {
        Kind::Sequential { .. } => sequential_rows(&mut w, in_shape),
        Kind::Struct { .. } => w.block(&graph.body),
    }
    let names = w.rows.iter().map(|r| &r.name);
    let shapes = w.rows.iter().map(|r| &r.shape);
    let params = w.rows.iter().map(|r| match &r.params {
        Some(p) => quote!(::core::option::Option::Some(#p)),
        None => quote!(::core::option::Option::None),
    });
    let title = net.ident.to_string();
    let input = shape_expr(dims, in_shape);
    let doc = format!(
        "A table of `{title}`'s forward: each layer and op in order, its output shape (as inferred at compile time; batch dims by name) and its parameter count; the total equals `num_parameters()`."
    );
    quote! {
        #[doc = #doc]
        pub fn summary(&self) -> ::std::string::String {
            let __rows: ::std::vec::Vec<(&str, ::std::string::String, ::core::option::Option<usize>)> =
                ::std::vec![#((#names, #shapes, #params)),*];
            let __sep = |n: usize, c: char| -> ::std::string::String { ::core::iter::repeat(c).take(n).collect() };
            let __num = |n: usize| -> ::std::string::String {
                let d = n.to_string();
                let mut out = ::std::string::String::new();
                for (i, ch) in d.chars().enumerate() {
                    if i > 0 && (d.len() - i) % 3 == 0 { out.push(','); }
                    out.push(ch);
                }
                out
            };
            let __w0 = __rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0).max(12);
            let __w1 = __rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0).max(12);
            let __cells: ::std::vec::Vec<::std::string::String> =
                __rows.iter().map(|r| r.2.map_or(::std::string::String::from("(recursive)"), __num)).collect();
            let __w2 = __cells.iter().map(|c| c.len()).max().unwrap_or(0).max(7);
            let __width = __w0 + __w1 + __w2 + 4;
            let __total: usize = __rows.iter().filter_map(|r| r.2).sum();
            let mut __s = ::std::string::String::new();
            __s.push_str(&::std::format!("{} (input {})\n", #title, #input));
            __s.push_str(&__sep(__width, '='));
            __s.push('\n');
            __s.push_str(&::std::format!("{:<__w0$}  {:<__w1$}  {:>__w2$}\n", "Layer (type)", "Output Shape", "Param #"));
            __s.push_str(&__sep(__width, '='));
            __s.push('\n');
            for (r, c) in __rows.iter().zip(&__cells) {
                __s.push_str(::std::format!("{:<__w0$}  {:<__w1$}  {:>__w2$}", r.0, r.1, c).trim_end());
                __s.push('\n');
            }
            __s.push_str(&__sep(__width, '='));
            __s.push('\n');
            __s.push_str(&::std::format!("Total params: {}\n", __num(__total)));
            __s
        }
        /// Prints [`Self::summary`].
        pub fn print_summary(&self) {
            ::std::print!("{}", self.summary());
        }
    }
}
