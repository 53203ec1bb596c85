//! `while` and `for` loops: loop-carried values (the locals a body assigns), their shapes kept
//! across iterations, and the `while` condition (a 0-d value compared with a number).

use super::{Binding, Env, Lowerer, Operand, compound, path_ident, strip_parens};
use crate::network::fields::FieldKind;
use crate::network::ir::{Block, Carried, Cmp, For, Stmt, ValueId, While};
use proc_macro2::Span;

impl Lowerer<'_> {
    /// Locals assigned in a loop body that live outside it: the loop-carried values.
    fn carried_names(&self, body: &syn::Block, env: &Env) -> Vec<String> {
        let mut names = Vec::new();
        collect_assigned(&body.stmts, &mut names);
        names.retain(|n| matches!(env.get(n), Some(Binding::Value { .. })));
        for s in &body.stmts {
            if let syn::Stmt::Local(l) = s
                && let syn::Pat::Ident(p) = &l.pat
                && names.contains(&p.ident.to_string())
            {
                self.cx.error_spanned_by(
                    &p.ident,
                    format!("`{}` is assigned in this loop and also shadowed by `let` inside it; rename the inner variable", p.ident),
                );
            }
        }
        names
    }

    /// Enters a loop: every carried name gets a param value (its value at the top of an iteration).
    fn enter_loop(&mut self, names: &[String], env: &Env, span: Span) -> (Env, Vec<(String, ValueId, ValueId, bool)>) {
        let mut inner = env.clone();
        let mut carried = Vec::new();
        for n in names {
            if let Some(Binding::Value { id, mutable }) = env.get(n).cloned() {
                if !mutable {
                    self.cx.syn_error(syn::Error::new(span, format!("cannot assign twice to immutable variable `{n}` in this loop; declare it with `let mut {n}`")));
                }
                let param = self.fresh(self.values[id].shape.clone(), self.values[id].span, n.clone());
                inner.insert(n.clone(), Binding::Value { id: param, mutable: true });
                carried.push((n.clone(), id, param, mutable));
            }
        }
        (inner, carried)
    }

    /// Leaves a loop: checks that each carried value keeps its shape and binds the results.
    fn leave_loop(&mut self, carried: Vec<(String, ValueId, ValueId, bool)>, inner: &Env, env: &mut Env, span: Span) -> Vec<Carried> {
        let mut out = Vec::new();
        for (name, outer, param, mutable) in carried {
            let next = match inner.get(&name) {
                Some(Binding::Value { id, .. }) => *id,
                _ => param,
            };
            let (ps, ns) = (self.values[param].shape.clone(), self.values[next].shape.clone());
            if !self.dims.unify_shapes(&ps, &ns) {
                self.cx.syn_error(syn::Error::new(
                    self.values[next].span,
                    format!(
                        "`{name}` changes shape in the loop: it is {} before an iteration and {} after it; a loop must keep the shapes of the values it carries",
                        self.dims.text(&ps),
                        self.dims.text(&ns)
                    ),
                ));
            }
            let result = self.fresh(ps, span, name.clone());
            env.insert(name, Binding::Value { id: result, mutable });
            out.push(Carried { outer, param, next, result });
        }
        out
    }

    pub(super) fn while_loop(&mut self, w: &syn::ExprWhile, env: &mut Env, block: &mut Block) {
        if let Some(l) = &w.label {
            self.cx.error_spanned_by(l, "loop labels are not supported in a network's forward");
        }
        let names = self.carried_names(&w.body, env);
        let (mut inner, carried) = self.enter_loop(&names, env, w.while_token.span);
        let mut cond = Block::default();
        let Some((cond_value, cmp, literal)) = self.condition(&w.cond, &inner, &mut cond) else {
            return;
        };
        let mut body = Block::default();
        self.block(&w.body.stmts, &mut inner, &mut body, false);
        let carried = self.leave_loop(carried, &inner, env, w.while_token.span);
        let id = self.loops;
        self.loops += 1;
        block.stmts.push(Stmt::While(While { id, carried, cond, cond_value, cmp, literal, body }));
    }

    /// `value <op> number` or `number <op> value`, with `value` 0-d.
    fn condition(&mut self, e: &syn::Expr, env: &Env, block: &mut Block) -> Option<(ValueId, Cmp, f64)> {
        const USAGE: &str = "the condition of a `while` compares a 0-d tensor with a number, as in `while x.abs().sum() > 1.0`";
        let e = strip_parens(e);
        let syn::Expr::Binary(b) = e else {
            self.cx.error_spanned_by(e, USAGE);
            return None;
        };
        let cmp = match b.op {
            syn::BinOp::Lt(_) => Cmp::Lt,
            syn::BinOp::Le(_) => Cmp::Le,
            syn::BinOp::Gt(_) => Cmp::Gt,
            syn::BinOp::Ge(_) => Cmp::Ge,
            syn::BinOp::Eq(_) => Cmp::Eq,
            syn::BinOp::Ne(_) => Cmp::Ne,
            _ => {
                self.cx.error_spanned_by(e, USAGE);
                return None;
            }
        };
        let l = self.expr(&b.left, env, block)?;
        let r = self.expr(&b.right, env, block)?;
        let (v, cmp, lit, ve) = match (l, r) {
            (Operand::Val(v), Operand::Num(n)) => (v, cmp, n, &b.left),
            (Operand::Num(n), Operand::Val(v)) => (v, flip(cmp), n, &b.right),
            _ => {
                self.cx.error_spanned_by(e, USAGE);
                return None;
            }
        };
        if self.values[v].shape.rank() != Some(0) {
            self.cx.error_spanned_by(
                ve,
                format!("{USAGE}; `{}` is {}, reduce it first (`.sum()`, `.mean()`)", self.values[v].text, self.shape_text(v)),
            );
            return None;
        }
        Some((v, cmp, lit))
    }

    pub(super) fn for_loop(&mut self, f: &syn::ExprForLoop, env: &mut Env, block: &mut Block) {
        let syn::Pat::Ident(pat) = &*f.pat else {
            self.cx.error_spanned_by(&f.pat, "expected a name for the element: `for b in blocks`");
            return;
        };
        let field = path_ident(&f.expr).and_then(|i| self.field(&i.to_string()));
        let Some(field) = field.filter(|&i| matches!(self.fields[i].kind, FieldKind::Layers { .. })) else {
            self.cx.error_spanned_by(&f.expr, "a `for` loop iterates over an array or `Vec` field of layers (`blocks: [Block; 4]`): `for b in blocks { x = b(x); }`");
            return;
        };
        let names = self.carried_names(&f.body, env);
        let (mut inner, carried) = self.enter_loop(&names, env, f.for_token.span);
        let id = self.loops;
        self.loops += 1;
        inner.insert(pat.ident.to_string(), Binding::Elem { loop_id: id, field });
        let mut body = Block::default();
        self.block(&f.body.stmts, &mut inner, &mut body, false);
        let carried = self.leave_loop(carried, &inner, env, f.for_token.span);
        block.stmts.push(Stmt::For(For { id, field, carried, body }));
    }

}

fn flip(c: Cmp) -> Cmp {
    match c {
        Cmp::Lt => Cmp::Gt,
        Cmp::Le => Cmp::Ge,
        Cmp::Gt => Cmp::Lt,
        Cmp::Ge => Cmp::Le,
        other => other,
    }
}

/// Names assigned (`x = ..`, `x /= ..`) anywhere in `stmts`, nested loops included, in order.
fn collect_assigned(stmts: &[syn::Stmt], out: &mut Vec<String>) {
    for s in stmts {
        if let syn::Stmt::Expr(e, _) = s {
            let target = match e {
                syn::Expr::Assign(a) => path_ident(&a.left),
                syn::Expr::Binary(b) if compound(&b.op).is_some() => path_ident(&b.left),
                syn::Expr::While(w) => {
                    collect_assigned(&w.body.stmts, out);
                    None
                }
                syn::Expr::ForLoop(f) => {
                    collect_assigned(&f.body.stmts, out);
                    None
                }
                _ => None,
            };
            if let Some(t) = target {
                let t = t.to_string();
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
    }
}
