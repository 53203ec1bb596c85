//! Lowering of the forward's body to the IR, with shape inference and checking as it goes.
//! Every error is reported at the span of the offending expression and lowering continues, so
//! one compile shows all mistakes.

use super::fields::{FieldKind, NetField};
use super::ir::{Block, Graph, Node, ShapeCheck, Stmt, Value, ValueId};
use super::ops::{self, Bin, Callee, Op};
use super::shape::{Dims, Shape};
use super::text;

mod builtin;
mod layer_call;
mod loops;
mod loss;
mod shape_ops;
use crate::ctxt::Ctxt;
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use std::collections::HashMap;
use syn::spanned::Spanned;

#[derive(Clone)]
enum Binding {
    Value { id: ValueId, mutable: bool },
    /// A local whose definition had an error (already reported): uses are silently dropped.
    Poisoned,
    /// The element of a `for` loop over an array field of layers.
    Elem { loop_id: usize, field: usize },
    /// An `as i64` input: class indices, only the target of a class loss.
    Index { id: ValueId },
}

type Env = HashMap<String, Binding>;

#[derive(Clone, Copy)]
enum Operand {
    Val(ValueId),
    Num(f64),
}

const BUILTINS: &str = "relu, sigmoid, tanh, gelu, exp, log, sqrt, abs, neg, leaky_relu(x, slope), pow(x, p), \
matmul(a, b), mm(a, b), sum(x), sum(x, dim), sum(x, dim, keepdim), mean(x) (and over a dim, as sum), softmax(x, dim), log_softmax(x, dim), transpose(x, d0, d1), t(x), \
max(x), max(x, dim), max(x, dim, keepdim), reshape(x, [..]) and view(x, [..]) (one `-1` or `_`), flatten(x, start), flatten(x, start, end), \
permute(x, [..]), unsqueeze(x, dim), squeeze(x), squeeze(x, dim), cat([a, b, ..], dim), stack([a, b, ..], dim), \
and the losses cross_entropy(logits, target), nll_loss(log_probs, target), mse_loss(a, b), l1_loss(a, b), binary_cross_entropy(p, t), \
binary_cross_entropy_with_logits(x, t) (each with an optional reduction \"sum\" or \"none\")";

const SUPPORTED: &str = "supported: layer calls `hidden(x)`, built-in functions and their method forms \
(`relu(x)`, `x.sum()`), `+ - * /` on tensors and numbers, unary `-`, parentheses, and names of inputs, locals, parameters and constants";

pub struct Lowerer<'a> {
    cx: &'a Ctxt,
    pub dims: Dims,
    fields: &'a [NetField],
    values: Vec<Value>,
    sites: usize,
    loops: usize,
    /// Unknown leading runs that are exactly the output of an opaque layer of this type.
    opaque_out: HashMap<usize, syn::Type>,
    checks: Vec<ShapeCheck>,
}

impl<'a> Lowerer<'a> {
    pub fn new(cx: &'a Ctxt, dims: Dims, fields: &'a [NetField]) -> Self {
        Lowerer { cx, dims, fields, values: Vec::new(), sites: 0, loops: 0, opaque_out: HashMap::new(), checks: Vec::new() }
    }

    /// Lowers `fn forward(arg: in_shape) -> out_shape { body }`.
    pub fn lower(mut self, arg: &syn::Ident, in_shape: Shape, targets: &[(syn::Ident, Shape, bool)], out_shape: &Shape, out_span: Span, body: &syn::Block) -> (Graph, Dims) {
        let mut block = Block::default();
        let input = self.push(&mut block, Op::Input, in_shape, arg.span(), arg.to_string());
        let mut env = Env::new();
        env.insert(arg.to_string(), Binding::Value { id: input, mutable: true });
        for (k, (name, shape, int)) in targets.iter().enumerate() {
            if env.contains_key(&name.to_string()) {
                self.cx.error_spanned_by(name, format!("the input `{name}` is declared twice"));
            }
            let id = self.push(&mut block, Op::Arg(k + 1), shape.clone(), name.span(), name.to_string());
            let b = if *int { Binding::Index { id } } else { Binding::Value { id, mutable: false } };
            env.insert(name.to_string(), b);
        }
        let result = self.block(&body.stmts, &mut env, &mut block, true);
        let output = match result {
            Some((Operand::Val(v), e)) => {
                let actual = self.values[v].shape.clone();
                let declared_any = out_shape.rest.is_some() && out_shape.dims.is_empty();
                if !declared_any && !self.dims.unify_shapes(out_shape, &actual) {
                    self.cx.error_spanned_by(
                        e,
                        format!(
                            "the forward is declared to return {}, but `{}` is {}",
                            self.dims.text(out_shape),
                            self.values[v].text,
                            self.dims.text(&actual)
                        ),
                    );
                }
                v
            }
            Some((Operand::Num(_), e)) => {
                self.cx.error_spanned_by(e, "the forward returns a number; it must return a tensor computed from the input");
                input
            }
            None => {
                if body.stmts.last().is_none_or(|s| !matches!(s, syn::Stmt::Expr(_, None))) {
                    self.cx.syn_error(syn::Error::new(
                        out_span,
                        "the forward's body must end with the expression it returns (no `;` after it)",
                    ));
                }
                input
            }
        };
        let graph = Graph { values: self.values, body: block, input, output, loops: self.loops, checks: self.checks };
        (graph, self.dims)
    }

    /// The forward of `Sequential(..)`: each layer applied to the previous one's output.
    pub fn chain(mut self, in_shape: Shape) -> (Graph, Dims) {
        let mut block = Block::default();
        let input = self.push(&mut block, Op::Input, in_shape, Span::call_site(), "x".to_string());
        let mut cur = input;
        let fields = self.fields;
        for (i, f) in fields.iter().enumerate() {
            let span = f.span;
            let e: syn::Expr = syn::parse_quote_spanned!(span=> __seq);
            let mut env = Env::new();
            env.insert("__seq".to_string(), Binding::Value { id: cur, mutable: false });
            match self.layer_call(Callee::Field(i), i, &f.name, &[&e], &e, &env, &mut block) {
                Some(Operand::Val(v)) => {
                    if v != cur {
                        self.values[v].text = format!("the output of layer {i}");
                    }
                    cur = v;
                }
                _ => break,
            }
        }
        let graph = Graph { values: self.values, body: block, input, output: cur, loops: self.loops, checks: self.checks };
        (graph, self.dims)
    }

    fn push(&mut self, block: &mut Block, op: Op, shape: Shape, span: Span, text: String) -> ValueId {
        let out = self.values.len();
        self.values.push(Value { shape, text, span });
        block.stmts.push(Stmt::Node(Node { out, op, span }));
        out
    }

    fn fresh(&mut self, shape: Shape, span: Span, text: String) -> ValueId {
        self.values.push(Value { shape, text, span });
        self.values.len() - 1
    }

    fn shape_text(&self, v: ValueId) -> String {
        self.dims.text(&self.values[v].shape)
    }

    /// Lowers statements; with `tail`, returns the final expression's operand and the expression.
    fn block<'s>(&mut self, stmts: &'s [syn::Stmt], env: &mut Env, block: &mut Block, tail: bool) -> Option<(Operand, &'s syn::Expr)> {
        let mut result = None;
        for (i, stmt) in stmts.iter().enumerate() {
            let last = i + 1 == stmts.len();
            match stmt {
                syn::Stmt::Local(local) => self.local(local, env, block),
                syn::Stmt::Expr(syn::Expr::While(w), _) => self.while_loop(w, env, block),
                syn::Stmt::Expr(syn::Expr::ForLoop(f), _) => self.for_loop(f, env, block),
                syn::Stmt::Expr(syn::Expr::Assign(a), _) => self.assign(&a.left, &a.right, None, a.to_token_stream(), env, block),
                syn::Stmt::Expr(syn::Expr::Binary(b), _) if compound(&b.op).is_some() => {
                    self.assign(&b.left, &b.right, compound(&b.op), b.to_token_stream(), env, block)
                }
                syn::Stmt::Expr(e, None) if last && tail => {
                    result = self.expr(e, env, block).map(|o| (o, e));
                }
                syn::Stmt::Expr(e, _) => {
                    let what = if tail && last { "the forward must end with the tensor it returns" } else { "an expression statement has no effect here" };
                    self.cx.error_spanned_by(
                        e,
                        format!("{what}; statements in a network's forward are `let`, assignment (`x = ..`, `x /= 2.0`), `while` and `for`"),
                    );
                }
                other => self.cx.error_spanned_by(
                    other,
                    "unsupported statement in network! forward; expected `let`, an assignment, `while`, `for` or the returned expression",
                ),
            }
        }
        result
    }

    fn local(&mut self, local: &syn::Local, env: &mut Env, block: &mut Block) {
        let (ident, mutable) = match &local.pat {
            syn::Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => (&p.ident, p.mutability.is_some()),
            other => {
                self.cx.error_spanned_by(other, "expected a name: `let x = ..` or `let mut x = ..` (patterns are not supported)");
                return;
            }
        };
        let Some(init) = &local.init else {
            self.cx.error_spanned_by(local, format!("`let {ident}` needs a value: `let {ident} = ..`"));
            return;
        };
        if let Some((else_token, _)) = &init.diverge {
            self.cx.error_spanned_by(else_token, "`let .. else` is not supported in a network's forward");
        }
        match self.expr(&init.expr, env, block) {
            Some(Operand::Val(id)) => {
                env.insert(ident.to_string(), Binding::Value { id, mutable });
            }
            Some(Operand::Num(_)) => {
                self.cx.error_spanned_by(&init.expr, "a local of a network's forward is a tensor; use the number directly where it is needed");
                env.insert(ident.to_string(), Binding::Poisoned);
            }
            None => {
                env.insert(ident.to_string(), Binding::Poisoned);
            }
        }
    }

    fn assign(&mut self, left: &syn::Expr, right: &syn::Expr, op: Option<Bin>, at: TokenStream, env: &mut Env, block: &mut Block) {
        let Some(name) = path_ident(left) else {
            self.cx.error_spanned_by(left, "only a local name can be assigned (`x = ..`); fields and parameters cannot be written in a forward");
            return;
        };
        if matches!(env.get(&name.to_string()), Some(Binding::Poisoned)) {
            let _ = self.expr(right, env, block);
            return;
        }
        let Some(Binding::Value { id: old, mutable }) = env.get(&name.to_string()).cloned() else {
            let msg = if self.field(&name.to_string()).is_some() {
                format!("`{name}` is a field of the network; a forward cannot assign to it")
            } else {
                format!("cannot find `{name}` to assign to; declare it first with `let mut {name} = ..`")
            };
            self.cx.error_spanned_by(name, msg);
            return;
        };
        if !mutable {
            self.cx.error_spanned_by(left, format!("cannot assign twice to immutable variable `{name}`; declare it with `let mut {name}`"));
        }
        let value = match op {
            None => self.expr(right, env, block),
            Some(op) => {
                let r = self.expr(right, env, block);
                r.and_then(|r| self.binary(op, Operand::Val(old), r, at.clone(), format!("{name} {} {}", op.symbol(), text::tokens(right)), block))
            }
        };
        match value {
            Some(Operand::Val(id)) => {
                env.insert(name.to_string(), Binding::Value { id, mutable });
            }
            Some(Operand::Num(_)) => self.cx.error_spanned_by(right, format!("`{name}` is a tensor; assigning a number to it is not supported")),
            None => {
                env.insert(name.to_string(), Binding::Poisoned);
            }
        }
    }

    fn field(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    fn expr(&mut self, e: &syn::Expr, env: &Env, block: &mut Block) -> Option<Operand> {
        match e {
            syn::Expr::Lit(l) => match &l.lit {
                syn::Lit::Float(f) => f.base10_parse::<f64>().ok().map(Operand::Num),
                syn::Lit::Int(i) => i.base10_parse::<f64>().ok().map(Operand::Num),
                _ => {
                    self.cx.error_spanned_by(e, "only number literals can appear in a network's forward");
                    None
                }
            },
            syn::Expr::Paren(p) => self.expr(&p.expr, env, block),
            syn::Expr::Group(g) => self.expr(&g.expr, env, block),
            syn::Expr::Path(_) => self.name(e, env, block),
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => match self.expr(&u.expr, env, block)? {
                Operand::Num(n) => Some(Operand::Num(-n)),
                Operand::Val(v) => {
                    let shape = self.values[v].shape.clone();
                    Some(Operand::Val(self.push(block, Op::Unary(ops::Unary::Neg, v), shape, e.span(), text::tokens(e))))
                }
            },
            syn::Expr::Binary(b) => {
                let op = match b.op {
                    syn::BinOp::Add(_) => Bin::Add,
                    syn::BinOp::Sub(_) => Bin::Sub,
                    syn::BinOp::Mul(_) => Bin::Mul,
                    syn::BinOp::Div(_) => Bin::Div,
                    syn::BinOp::Lt(_) | syn::BinOp::Le(_) | syn::BinOp::Gt(_) | syn::BinOp::Ge(_) | syn::BinOp::Eq(_) | syn::BinOp::Ne(_) => {
                        self.cx.error_spanned_by(e, "a comparison can only be the condition of a `while` loop");
                        return None;
                    }
                    _ => {
                        self.cx.error_spanned_by(b.op, "unsupported operator in network! forward; supported: `+ - * /`");
                        return None;
                    }
                };
                let l = self.expr(&b.left, env, block);
                let r = self.expr(&b.right, env, block);
                self.binary(op, l?, r?, e.to_token_stream(), text::tokens(e), block)
            }
            syn::Expr::Call(c) => {
                let Some(func) = path_ident(&c.func) else {
                    self.cx.error_spanned_by(&c.func, format!("expected a layer field or a built-in function name before `(`; {SUPPORTED}"));
                    return None;
                };
                let args: Vec<&syn::Expr> = c.args.iter().collect();
                self.call(func, &args, e, env, block)
            }
            syn::Expr::MethodCall(m) => {
                if let Some(t) = &m.turbofish {
                    self.cx.error_spanned_by(t, "turbofish arguments are not supported in a network's forward");
                }
                let mut args: Vec<&syn::Expr> = vec![&m.receiver];
                args.extend(m.args.iter());
                match self.builtin(&m.method, &args, e, env, block) {
                    Ok(v) => v,
                    Err(()) => {
                        self.cx.error_spanned_by(&m.method, format!("unknown method `{}` in network! forward; the built-ins are {BUILTINS}", m.method));
                        None
                    }
                }
            }
            _ => {
                self.cx.error_spanned_by(e, format!("unsupported expression in network! forward: `{}`; {SUPPORTED}", text::tokens(e)));
                None
            }
        }
    }

    fn name(&mut self, e: &syn::Expr, env: &Env, block: &mut Block) -> Option<Operand> {
        let Some(id) = path_ident(e) else {
            self.cx.error_spanned_by(e, "expected a local name, the input, or a field of the network (paths are not supported)");
            return None;
        };
        let name = id.to_string();
        match env.get(&name) {
            Some(Binding::Value { id, .. }) => return Some(Operand::Val(*id)),
            Some(Binding::Elem { .. }) => {
                self.cx.error_spanned_by(e, format!("`{name}` is a layer; call it: `{name}(x)`"));
                return None;
            }
            Some(Binding::Poisoned) => return None,
            Some(Binding::Index { .. }) => {
                self.cx.error_spanned_by(e, format!("`{name}` holds class indices (`as i64`); it can only be the target of `cross_entropy` or `nll_loss`"));
                return None;
            }
            None => {}
        }
        let Some(f) = self.field(&name) else {
            let mut known: Vec<String> = env.keys().map(|k| format!("`{k}`")).collect();
            known.sort();
            known.extend(self.fields.iter().filter(|f| !f.is_layer()).map(|f| format!("`{}`", f.name)));
            self.cx.error_spanned_by(e, format!("cannot find `{name}` in this network's forward; the names in scope are {}", known.join(", ")));
            return None;
        };
        let op_shape = match &self.fields[f].kind {
            FieldKind::Param { shape, .. } => (Op::Param(f), shape.clone()),
            FieldKind::Buffer { shape, .. } | FieldKind::Constant { shape, .. } => (Op::Tensor(f), shape.clone()),
            FieldKind::Layer(_) | FieldKind::Layers { .. } => {
                self.cx.error_spanned_by(e, format!("`{name}` is a layer; call it: `{name}(x)`"));
                return None;
            }
        };
        Some(Operand::Val(self.push(block, op_shape.0, op_shape.1, e.span(), name)))
    }

    fn binary(&mut self, op: Bin, l: Operand, r: Operand, at: TokenStream, text: String, block: &mut Block) -> Option<Operand> {
        let span = at.clone().into_iter().next().map_or(Span::call_site(), |t| t.span());
        Some(match (l, r) {
            (Operand::Num(a), Operand::Num(b)) => Operand::Num(op.fold(a, b)),
            (Operand::Val(a), Operand::Num(c)) => {
                let s = self.values[a].shape.clone();
                Operand::Val(self.push(block, Op::ScalarRhs(op, a, c), s, span, text))
            }
            (Operand::Num(c), Operand::Val(b)) => {
                let s = self.values[b].shape.clone();
                Operand::Val(self.push(block, Op::ScalarLhs(op, c, b), s, span, text))
            }
            (Operand::Val(a), Operand::Val(b)) => {
                let (sa, sb) = (self.values[a].shape.clone(), self.values[b].shape.clone());
                match self.dims.broadcast(&sa, &sb) {
                    Ok(s) => Operand::Val(self.push(block, Op::Binary(op, a, b), s, span, text)),
                    Err(why) => {
                        self.cx.error_spanned_by(
                            at,
                            format!(
                                "the shapes of `{}` {} and `{}` {} do not broadcast for `{}`: {why}",
                                self.values[a].text,
                                self.dims.text(&sa),
                                self.values[b].text,
                                self.dims.text(&sb),
                                op.symbol()
                            ),
                        );
                        return None;
                    }
                }
            }
        })
    }

    fn call(&mut self, func: &syn::Ident, args: &[&syn::Expr], e: &syn::Expr, env: &Env, block: &mut Block) -> Option<Operand> {
        let name = func.to_string();
        let callee = match env.get(&name) {
            Some(Binding::Elem { loop_id, field }) => Some((Callee::LoopElem(*loop_id), *field)),
            Some(Binding::Value { .. } | Binding::Index { .. }) => {
                self.cx.error_spanned_by(func, format!("`{name}` is a tensor, not a layer or a function"));
                return None;
            }
            Some(Binding::Poisoned) => return None,
            None => match self.field(&name) {
                Some(f) if self.fields[f].is_layer() => {
                    if matches!(self.fields[f].kind, FieldKind::Layers { .. }) {
                        self.cx.error_spanned_by(func, format!("`{name}` is an array of layers; iterate over it: `for b in {name} {{ x = b(x); }}`"));
                        return None;
                    }
                    Some((Callee::Field(f), f))
                }
                Some(_) => {
                    self.cx.error_spanned_by(func, format!("`{name}` is a tensor field, not a layer; use it in an expression such as `matmul(x, {name})`"));
                    return None;
                }
                None => None,
            },
        };
        match callee {
            Some((callee, field)) => self.layer_call(callee, field, &name, args, e, env, block),
            None => match self.builtin(func, args, e, env, block) {
                Ok(v) => v,
                Err(()) => {
                    let layers: Vec<String> = self.fields.iter().filter(|f| f.is_layer()).map(|f| format!("`{}`", f.name)).collect();
                    let layers = if layers.is_empty() { String::new() } else { format!("the layers of this network are {}; ", layers.join(", ")) };
                    self.cx.error_spanned_by(func, format!("unknown function `{name}` in network! forward; {layers}the built-ins are {BUILTINS}"));
                    None
                }
            },
        }
    }

    fn tensor_arg(&mut self, a: &syn::Expr, env: &Env, block: &mut Block, func: &str) -> Option<ValueId> {
        match self.expr(a, env, block)? {
            Operand::Val(v) => Some(v),
            Operand::Num(n) => {
                self.cx.error_spanned_by(a, format!("`{func}` expects a tensor here, found the number {n}"));
                None
            }
        }
    }
}


fn compound(op: &syn::BinOp) -> Option<Bin> {
    match op {
        syn::BinOp::AddAssign(_) => Some(Bin::Add),
        syn::BinOp::SubAssign(_) => Some(Bin::Sub),
        syn::BinOp::MulAssign(_) => Some(Bin::Mul),
        syn::BinOp::DivAssign(_) => Some(Bin::Div),
        _ => None,
    }
}

fn strip_parens(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Paren(p) => strip_parens(&p.expr),
        syn::Expr::Group(g) => strip_parens(&g.expr),
        _ => e,
    }
}

fn path_ident(e: &syn::Expr) -> Option<&syn::Ident> {
    match strip_parens(e) {
        syn::Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => p.path.get_ident(),
        _ => None,
    }
}




