//! The loss built-ins: `cross_entropy(logits, target)`, `nll_loss(log_probs, target)`,
//! `mse_loss(a, b)`, `l1_loss(a, b)`, `binary_cross_entropy(p, t)`,
//! `binary_cross_entropy_with_logits(x, t)`, each with an optional third argument
//! `reduction = "mean" | "sum" | "none"` (or the bare string).

use super::{Binding, Env, Lowerer, Operand, path_ident, strip_parens};
use crate::network::ir::Block;
use crate::network::ops::Op;
use crate::network::ops::loss::{self, LossKind, Red};
use crate::network::text;
use syn::spanned::Spanned;

impl Lowerer<'_> {
    pub(super) fn loss(&mut self, kind: LossKind, args: &[&syn::Expr], e: &syn::Expr, env: &Env, block: &mut Block) -> Option<Operand> {
        let name = kind.name();
        let usage = "(input, target) or (input, target, reduction = \"sum\")";
        if args.len() < 2 || args.len() > 3 {
            self.cx.error_spanned_by(e, format!("`{name}` takes 2 or 3 arguments, got {}: `{name}{usage}`", args.len()));
            return None;
        }
        let red = match args.get(2) {
            Some(r) => self.reduction(r)?,
            None => Red::Mean,
        };
        let x = self.tensor_arg(args[0], env, block, name);
        let t = if kind.class() { self.index_arg(args[1], env, name) } else { self.float_target(args[1], env, block, name) };
        let (x, t) = (x?, t?);
        let (xs, ts) = (self.values[x].shape.clone(), self.values[t].shape.clone());
        let shape = match loss::shape(&mut self.dims, kind, red, &xs, &ts) {
            Ok(s) => s,
            Err(msg) => {
                self.cx.error_spanned_by(e, msg);
                return None;
            }
        };
        let aux = (kind == LossKind::CrossEntropy).then(|| self.fresh(xs, e.span(), format!("log_softmax({})", self.values[x].text)));
        let op = Op::Loss { kind, red, a: x, b: t, aux };
        Some(Operand::Val(self.push(block, op, shape, e.span(), text::tokens(e))))
    }

    fn reduction(&mut self, r: &syn::Expr) -> Option<Red> {
        let lit = match strip_parens(r) {
            syn::Expr::Assign(a) if path_ident(&a.left).is_some_and(|i| i == "reduction") => strip_parens(&a.right),
            other => other,
        };
        match lit {
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => match Red::by_name(&s.value()) {
                Some(red) => Some(red),
                None => {
                    self.cx.error_spanned_by(s, format!("{:?} is not a valid value for reduction; expected \"mean\", \"sum\" or \"none\"", s.value()));
                    None
                }
            },
            _ => {
                self.cx.error_spanned_by(r, "expected `reduction = \"mean\"`, `\"sum\"` or `\"none\"`");
                None
            }
        }
    }

    /// The class-index target: an `as i64` input, by name.
    fn index_arg(&mut self, a: &syn::Expr, env: &Env, func: &str) -> Option<usize> {
        if let Some(id) = path_ident(a) {
            match env.get(&id.to_string()) {
                Some(Binding::Index { id }) => return Some(*id),
                Some(Binding::Poisoned) => return None,
                _ => {}
            }
        }
        self.cx.error_spanned_by(
            a,
            format!("the target of `{func}` is class indices: an input declared `as i64` (`fn forward(x: [B, 784], target: [B] as i64)`), by name"),
        );
        None
    }

    /// A float target; class indices here are a mistake worth naming.
    fn float_target(&mut self, a: &syn::Expr, env: &Env, block: &mut Block, func: &str) -> Option<usize> {
        if let Some(id) = path_ident(a)
            && let Some(Binding::Index { .. }) = env.get(&id.to_string())
        {
            self.cx.error_spanned_by(a, format!("`{id}` holds class indices (`as i64`), but `{func}` takes a float target of the input's shape"));
            return None;
        }
        self.tensor_arg(a, env, block, func)
    }
}
