//! Built-ins that change shapes or take several tensors: `max`, `reshape`/`view`, `flatten`,
//! `permute`, `unsqueeze`, `squeeze`, `cat`, `stack` — arity, argument kinds, shape rules
//! (PyTorch's messages where it has one) and the node each lowers to.

use super::{Env, Lowerer, Operand, strip_parens};
use crate::network::ir::{Block, ValueId};
use crate::network::layers::{Mismatch, flatten};
use crate::network::ops::reduce::check_dim;
use crate::network::ops::shape_ops::Target;
use crate::network::ops::{Op, Reduce, reduce};
use crate::network::shape::{Dim, Shape};
use crate::network::text;
use syn::spanned::Spanned;

impl Lowerer<'_> {
    /// `None` when `name` is not one of these built-ins.
    pub(super) fn shape_builtin(&mut self, name: &str, args: &[&syn::Expr], e: &syn::Expr, env: &Env, block: &mut Block) -> Option<Option<Operand>> {
        let (min, max, usage) = match name {
            "max" => (1, 3, "(x), (x, dim) or (x, dim, keepdim)"),
            "reshape" | "view" => (2, 2, "(x, [d0, d1, ..])"),
            "flatten" => (1, 3, "(x), (x, start) or (x, start, end)"),
            "permute" => (2, 2, "(x, [d0, d1, ..])"),
            "unsqueeze" => (2, 2, "(x, dim)"),
            "squeeze" => (1, 2, "(x) or (x, dim)"),
            "cat" | "stack" => (2, 2, "([a, b, ..], dim)"),
            _ => return None,
        };
        if args.len() < min || args.len() > max {
            let n = args.len();
            self.cx.error_spanned_by(e, format!("`{name}` takes {min} to {max} arguments, got {n}: `{name}{usage}`"));
            return Some(None);
        }
        Some(self.shape_builtin_inner(name, args, e, env, block))
    }

    fn shape_builtin_inner(&mut self, name: &str, args: &[&syn::Expr], e: &syn::Expr, env: &Env, block: &mut Block) -> Option<Operand> {
        let span = e.span();
        let text = text::tokens(e);
        if name == "cat" || name == "stack" {
            return self.join(name == "stack", args, e, env, block);
        }
        let x = self.tensor_arg(args[0], env, block, name)?;
        let xs = self.values[x].shape.clone();
        let fail = |me: &mut Self, at: &syn::Expr, msg: String| -> Option<Operand> {
            me.cx.error_spanned_by(at, msg);
            None
        };
        let (op, shape) = match name {
            "max" => {
                let dim = match args.get(1) {
                    Some(d) => Some((self.integer(d)?, match args.get(2) {
                        Some(k) => match super::builtin::bool_lit(k) {
                            Some(b) => b,
                            None => return fail(self, k, "expected `true` or `false` (keepdim)".into()),
                        },
                        None => false,
                    })),
                    None => None,
                };
                let s = match reduce::shape(&mut self.dims, &Reduce { mean: false, dim }, &xs) {
                    Ok(s) => s,
                    Err(msg) => return fail(self, args[1], msg),
                };
                (Op::Max { dim, arg: x }, s)
            }
            "reshape" | "view" => {
                let spec = self.targets(args[1])?;
                let s = self.reshape_shape(&xs, &spec, args[1])?;
                (Op::Reshape { arg: x, spec, view: name == "view" }, s)
            }
            "flatten" => {
                let start = match args.get(1) {
                    Some(a) => self.integer(a)?,
                    None => 0,
                };
                let end = match args.get(2) {
                    Some(a) => self.integer(a)?,
                    None => -1,
                };
                match flatten::shape(&mut self.dims, &xs, start, end) {
                    Ok(s) => (Op::Flatten(x, start, end), s),
                    Err(Mismatch::Takes(m) | Mismatch::Other(m)) => return fail(self, e, format!("{m}; `{}` is {}", self.values[x].text, self.dims.text(&xs))),
                }
            }
            "permute" => {
                let Some(dims) = int_list(args[1]) else {
                    return fail(self, args[1], "expected the new order of the dims as integer literals: `permute(x, [0, 2, 1])`".into());
                };
                let s = match xs.rank() {
                    Some(r) => {
                        let idx: Vec<Option<usize>> = dims.iter().map(|&d| check_dim(&self.dims, &xs, d).ok().flatten()).collect();
                        let mut seen = vec![false; r];
                        let ok = dims.len() == r && idx.iter().all(|i| i.is_some_and(|i| !std::mem::replace(&mut seen[i], true)));
                        if !ok {
                            return fail(self, args[1], format!("`permute` takes an order naming each of the {r} dims of its input once, got {dims:?}; `{}` is {}", self.values[x].text, self.dims.text(&xs)));
                        }
                        Shape::known(idx.iter().flatten().map(|&i| xs.dims[i].clone()).collect())
                    }
                    None => Shape { rest: Some(self.dims.fresh_rest()), dims: Vec::new() },
                };
                (Op::Permute(x, dims), s)
            }
            "unsqueeze" => {
                let d = self.integer(args[1])?;
                let s = match xs.rank() {
                    Some(r) => {
                        let r1 = r as isize + 1;
                        if d < -r1 || d >= r1 {
                            return fail(self, args[1], format!("Dimension out of range (expected to be in range of [{}, {}], but got {d})", -r1, r1 - 1));
                        }
                        let mut s = xs.clone();
                        s.dims.insert(d.rem_euclid(r1) as usize, Dim::Lit(1));
                        s
                    }
                    None => Shape { rest: Some(self.dims.fresh_rest()), dims: Vec::new() },
                };
                (Op::Unsqueeze(x, d), s)
            }
            "squeeze" => {
                let d = match args.get(1) {
                    Some(a) => Some(self.integer(a)?),
                    None => None,
                };
                let unknown = |me: &mut Self| Shape { rest: Some(me.dims.fresh_rest()), dims: Vec::new() };
                let s = match d {
                    Some(d) => match check_dim(&self.dims, &xs, d) {
                        Err(msg) => return fail(self, args[1], msg),
                        Ok(Some(i)) => match self.dims.resolve(&xs.dims[i]) {
                            Dim::Lit(1) => {
                                let mut s = xs.clone();
                                s.dims.remove(i);
                                s
                            }
                            Dim::Lit(_) => xs.clone(),
                            _ => unknown(self),
                        },
                        Ok(None) => unknown(self),
                    },
                    None if xs.rank().is_some() && xs.dims.iter().all(|d| matches!(self.dims.resolve(d), Dim::Lit(_))) => {
                        Shape::known(xs.dims.iter().filter(|d| !matches!(self.dims.resolve(d), Dim::Lit(1))).cloned().collect())
                    }
                    None => unknown(self),
                };
                (Op::Squeeze(x, d), s)
            }
            _ => return None,
        };
        Some(Operand::Val(self.push(block, op, shape, span, text)))
    }

    /// The entries of a `reshape` target: integer literals, `-1` or `_`, const parameters.
    fn targets(&mut self, a: &syn::Expr) -> Option<Vec<Target>> {
        const USAGE: &str = "expected the new shape as an array: integer literals, const parameters, and one `-1` or `_` for the inferred dim, as in `reshape(x, [-1, 400])`";
        let syn::Expr::Array(arr) = strip_parens(a) else {
            self.cx.error_spanned_by(a, USAGE);
            return None;
        };
        let mut out = Vec::new();
        for el in &arr.elems {
            let t = match strip_parens(el) {
                syn::Expr::Infer(_) => Target::Infer,
                syn::Expr::Path(p) if p.path.get_ident().is_some_and(|id| self.dims.generics.contains(id)) => Target::Param(p.path.get_ident()?.clone()),
                other => match super::builtin::literal_int(other) {
                    Some(-1) => Target::Infer,
                    Some(n) if n >= 0 => Target::Lit(n as usize),
                    _ => {
                        self.cx.error_spanned_by(el, USAGE);
                        return None;
                    }
                },
            };
            out.push(t);
        }
        if out.iter().filter(|t| matches!(t, Target::Infer)).count() > 1 {
            self.cx.error_spanned_by(a, "only one dimension can be inferred");
            return None;
        }
        Some(out)
    }

    fn reshape_shape(&mut self, xs: &Shape, spec: &[Target], at: &syn::Expr) -> Option<Shape> {
        let numel = match xs.rank() {
            Some(_) => xs.dims.iter().try_fold(1usize, |p, d| if let Dim::Lit(n) = self.dims.resolve(d) { Some(p * n) } else { None }),
            None => None,
        };
        let known: Option<usize> = spec.iter().try_fold(1usize, |p, t| if let Target::Lit(n) = t { Some(p * n) } else { None });
        let all_lit = spec.iter().all(|t| matches!(t, Target::Lit(_)));
        let infer_lit = spec.iter().all(|t| !matches!(t, Target::Param(_)));
        let fixed: usize = spec.iter().map(|t| if let Target::Lit(n) = t { *n } else { 1 }).product();
        let text = format!("[{}]", spec.iter().map(|t| match t {
            Target::Lit(n) => n.to_string(),
            Target::Param(id) => id.to_string(),
            Target::Infer => "-1".into(),
        }).collect::<Vec<_>>().join(", "));
        if let Some(n) = numel {
            let bad = (all_lit && known != Some(n)) || (infer_lit && !all_lit && (fixed == 0 || n % fixed != 0));
            if bad {
                self.cx.error_spanned_by(at, format!("shape '{text}' is invalid for input of size {n}; the input is {}", self.dims.text(xs)));
                return None;
            }
        }
        Some(Shape::known(spec.iter().map(|t| match t {
            Target::Lit(n) => Dim::Lit(*n),
            Target::Param(id) => Dim::Named(id.clone()),
            Target::Infer => match numel {
                Some(n) if infer_lit && fixed != 0 => Dim::Lit(n / fixed),
                _ => Dim::Unknown,
            },
        }).collect()))
    }

    fn join(&mut self, stack: bool, args: &[&syn::Expr], e: &syn::Expr, env: &Env, block: &mut Block) -> Option<Operand> {
        let name = if stack { "stack" } else { "cat" };
        let syn::Expr::Array(arr) = strip_parens(args[0]) else {
            self.cx.error_spanned_by(args[0], format!("`{name}` takes an array of tensors and a dim: `{name}([a, b], 1)`"));
            return None;
        };
        if arr.elems.is_empty() {
            self.cx.error_spanned_by(args[0], format!("`{name}` expects a non-empty list of tensors"));
            return None;
        }
        let mut parts: Vec<ValueId> = Vec::new();
        for el in &arr.elems {
            parts.push(self.tensor_arg(el, env, block, name)?);
        }
        let dim = self.integer(args[1])?;
        let first = self.values[parts[0]].shape.clone();
        let unknown = |me: &mut Self| Shape { rest: Some(me.dims.fresh_rest()), dims: Vec::new() };
        let shape = if parts.iter().any(|&p| self.values[p].shape.rank().is_none()) {
            unknown(self)
        } else {
            let r = first.dims.len();
            let out_rank = if stack { r + 1 } else { r };
            let ri = out_rank as isize;
            if dim < -ri || dim >= ri || out_rank == 0 {
                self.cx.error_spanned_by(args[1], format!("Dimension out of range (expected to be in range of [{}, {}], but got {dim})", -ri, ri - 1));
                return None;
            }
            let d = dim.rem_euclid(ri) as usize;
            let mut out = first.clone();
            let mut total = Some(0usize);
            for &p in &parts {
                let ps = self.values[p].shape.clone();
                let ok = ps.dims.len() == r
                    && (0..r).all(|i| (!stack && i == d) || self.dims.unify(&ps.dims[i], &first.dims[i]));
                if !ok {
                    let what = if stack { "stack expects each tensor to be equal size".to_string() } else { format!("Sizes of tensors must match except in dimension {d}") };
                    self.cx.error_spanned_by(
                        e,
                        format!("{what}, but `{}` is {} and `{}` is {}", self.values[parts[0]].text, self.dims.text(&first), self.values[p].text, self.dims.text(&ps)),
                    );
                    return None;
                }
                if !stack {
                    total = match (total, self.dims.resolve(&ps.dims[d])) {
                        (Some(t), Dim::Lit(n)) => Some(t + n),
                        _ => None,
                    };
                }
            }
            if stack {
                out.dims.insert(d, Dim::Lit(parts.len()));
            } else {
                out.dims[d] = total.map(Dim::Lit).unwrap_or(Dim::Unknown);
            }
            out
        };
        Some(Operand::Val(self.push(block, Op::Join { parts, dim, stack }, shape, e.span(), text::tokens(e))))
    }
}

fn int_list(e: &syn::Expr) -> Option<Vec<isize>> {
    match strip_parens(e) {
        syn::Expr::Array(a) => a.elems.iter().map(super::builtin::literal_int).collect(),
        _ => None,
    }
}
