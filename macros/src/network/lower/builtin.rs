//! Built-in functions of the forward (`relu(x)`, `x.sum(1, true)`, `matmul(a, b)`, ...): arity,
//! argument kinds, shape rules, and the node each one lowers to.

use super::{Env, Lowerer, Operand, strip_parens};
use crate::network::ir::Block;
use crate::network::ops::{self, Op, Reduce};
use crate::network::shape::Shape;
use crate::network::text;
use syn::spanned::Spanned;

impl Lowerer<'_> {
    /// `Err(())` when `func` is not a built-in (the caller reports it).
    pub(super) fn builtin(&mut self, func: &syn::Ident, args: &[&syn::Expr], e: &syn::Expr, env: &Env, block: &mut Block) -> Result<Option<Operand>, ()> {
        let name = func.to_string();
        if let Some(r) = self.shape_builtin(&name, args, e, env, block) {
            return Ok(r);
        }
        if let Some(kind) = crate::network::ops::loss::LossKind::by_name(&name) {
            return Ok(self.loss(kind, args, e, env, block));
        }
        let usage: &str = match name.as_str() {
            n if ops::unary::by_name(n).is_some() => "(x)",
            "leaky_relu" => "(x) or (x, slope)",
            "pow" => "(x, p)",
            "matmul" | "mm" => "(a, b)",
            "sum" | "mean" => "(x), (x, dim) or (x, dim, keepdim)",
            "softmax" | "log_softmax" => "(x, dim)",
            "transpose" => "(x, dim0, dim1)",
            "t" => "(x)",
            _ => return Err(()),
        };
        let (min, max) = match name.as_str() {
            "leaky_relu" => (1, 2),
            "pow" | "matmul" | "mm" | "softmax" | "log_softmax" => (2, 2),
            "sum" | "mean" => (1, 3),
            "transpose" => (3, 3),
            _ => (1, 1),
        };
        if args.len() < min || args.len() > max {
            let n = args.len();
            self.cx.error_spanned_by(e, format!("`{name}` takes {}, got {n} argument{}: `{name}{usage}`", plural_args(min, max), if n == 1 { "" } else { "s" }));
            return Ok(None);
        }
        let text = text::tokens(e);
        let span = e.span();
        let Some(x) = self.tensor_arg(args[0], env, block, &name) else {
            return Ok(None);
        };
        let xs = self.values[x].shape.clone();
        let (op, shape) = match name.as_str() {
            "leaky_relu" => {
                let Some(slope) = (if args.len() == 2 { self.number(args[1], "slope") } else { Some(0.01) }) else {
                    return Ok(None);
                };
                (Op::Unary(ops::Unary::LeakyRelu(slope as f32), x), xs)
            }
            "pow" => {
                let Some(p) = self.number(args[1], "exponent") else {
                    return Ok(None);
                };
                (Op::Unary(ops::Unary::Pow(p as f32), x), xs)
            }
            "matmul" | "mm" => {
                let Some(y) = self.tensor_arg(args[1], env, block, &name) else {
                    return Ok(None);
                };
                let ys = self.values[y].shape.clone();
                match ops::matmul::shape(&mut self.dims, &xs, &ys) {
                    Ok(s) => (Op::MatMul(x, y), s),
                    Err(msg) => {
                        self.cx.error_spanned_by(e, format!("cannot multiply `{}` by `{}`: {msg}", self.values[x].text, self.values[y].text));
                        return Ok(None);
                    }
                }
            }
            "sum" | "mean" => {
                let dim = match args.get(1) {
                    Some(d) => match self.integer(d) {
                        Some(d) => Some(d),
                        None => return Ok(None),
                    },
                    None => None,
                };
                let keep = match args.get(2) {
                    Some(k) => match bool_lit(k) {
                        Some(b) => b,
                        None => {
                            self.cx.error_spanned_by(k, "expected `true` or `false` (keepdim)");
                            return Ok(None);
                        }
                    },
                    None => false,
                };
                let r = Reduce { mean: name == "mean", dim: dim.map(|d| (d, keep)) };
                match ops::reduce::shape(&mut self.dims, &r, &xs) {
                    Ok(s) => (Op::Reduce(r, x), s),
                    Err(msg) => {
                        self.cx.error_spanned_by(args[1], msg);
                        return Ok(None);
                    }
                }
            }
            "softmax" | "log_softmax" => {
                let Some(dim) = self.integer(args[1]) else {
                    return Ok(None);
                };
                if let Err(msg) = ops::reduce::check_dim(&self.dims, &xs, dim) {
                    self.cx.error_spanned_by(args[1], msg);
                    return Ok(None);
                }
                (Op::Softmax { log: name == "log_softmax", arg: x, dim }, xs)
            }
            "transpose" | "t" => {
                let (d0, d1) = if name == "t" {
                    if xs.rank() != Some(2) {
                        self.cx.error_spanned_by(e, format!("`t` transposes a matrix, but `{}` is {}", self.values[x].text, self.dims.text(&xs)));
                        return Ok(None);
                    }
                    (0, 1)
                } else {
                    match (self.integer(args[1]), self.integer(args[2])) {
                        (Some(a), Some(b)) => (a, b),
                        _ => return Ok(None),
                    }
                };
                let (i0, i1) = match (ops::reduce::check_dim(&self.dims, &xs, d0), ops::reduce::check_dim(&self.dims, &xs, d1)) {
                    (Ok(a), Ok(b)) => (a, b),
                    (Err(msg), _) | (_, Err(msg)) => {
                        self.cx.error_spanned_by(e, msg);
                        return Ok(None);
                    }
                };
                let mut s = xs.clone();
                match (i0, i1) {
                    (Some(a), Some(b)) => s.dims.swap(a, b),
                    _ => s = Shape { rest: Some(self.dims.fresh_rest()), dims: Vec::new() },
                }
                (Op::Transpose(x, d0, d1), s)
            }
            n => match ops::unary::by_name(n) {
                Some(u) => (Op::Unary(u, x), xs),
                None => return Err(()),
            },
        };
        Ok(Some(Operand::Val(self.push(block, op, shape, span, text))))
    }

    pub(super) fn number(&mut self, e: &syn::Expr, what: &str) -> Option<f64> {
        match literal(e) {
            Some(n) => Some(n),
            None => {
                self.cx.error_spanned_by(e, format!("expected a number literal ({what})"));
                None
            }
        }
    }

    pub(super) fn integer(&mut self, e: &syn::Expr) -> Option<isize> {
        match literal_int(e) {
            Some(n) => Some(n),
            None => {
                self.cx.error_spanned_by(e, "expected an integer literal (a dim, negative counts from the end)");
                None
            }
        }
    }
}

fn plural_args(min: usize, max: usize) -> String {
    let s = |n: usize| if n == 1 { "1 argument".to_string() } else { format!("{n} arguments") };
    if min == max { s(min) } else { format!("{min} to {max} arguments") }
}

fn literal(e: &syn::Expr) -> Option<f64> {
    match strip_parens(e) {
        syn::Expr::Lit(l) => match &l.lit {
            syn::Lit::Float(f) => f.base10_parse().ok(),
            syn::Lit::Int(i) => i.base10_parse().ok(),
            _ => None,
        },
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => literal(&u.expr).map(|v| -v),
        _ => None,
    }
}

pub(super) fn literal_int(e: &syn::Expr) -> Option<isize> {
    match strip_parens(e) {
        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => i.base10_parse().ok(),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => literal_int(&u.expr).map(|v| -v),
        _ => None,
    }
}

pub(super) fn bool_lit(e: &syn::Expr) -> Option<bool> {
    match strip_parens(e) {
        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Bool(b), .. }) => Some(b.value),
        _ => None,
    }
}
