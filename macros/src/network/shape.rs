//! Static shapes: dims that are literals, named (const generic parameters or symbolic batch
//! dims), inference variables (`_` in `Linear<_, 256>`) or unknown, plus an optional unknown
//! leading part (`[..]`, `[.., 10]`). Unification binds inference variables.

use proc_macro2::{Ident, Span};
use std::fmt::Write as _;

/// One dimension.
#[derive(Clone, Debug)]
pub enum Dim {
    /// A literal size.
    Lit(usize),
    /// A const generic parameter of the network (known at compile time, usable in types) or a
    /// symbolic batch dim (known only at run time); equal when the names are equal.
    Named(Ident),
    /// An inference variable, index into [`Dims::vars`].
    Var(usize),
    /// Not known statically (the output of an opaque layer, say): never reported as a mismatch.
    Unknown,
}

/// A shape: `rest` is an unknown run of leading dims (same id = same run), then `dims`.
#[derive(Clone, Debug)]
pub struct Shape {
    pub rest: Option<usize>,
    pub dims: Vec<Dim>,
}

impl Shape {
    pub fn known(dims: Vec<Dim>) -> Shape {
        Shape { rest: None, dims }
    }
    pub fn scalar() -> Shape {
        Shape::known(Vec::new())
    }
    /// Rank when statically known.
    pub fn rank(&self) -> Option<usize> {
        self.rest.is_none().then_some(self.dims.len())
    }
}

/// Inference variables and fresh ids for unknown leading runs.
#[derive(Default)]
pub struct Dims {
    /// The network's const parameters (the named dims usable in types).
    pub generics: Vec<Ident>,
    /// Binding of each variable, and what it is (for messages: "in_features of `hidden`").
    pub vars: Vec<(Option<Dim>, String, Span)>,
    next_rest: usize,
}

impl Dims {
    pub fn fresh_var(&mut self, what: String, span: Span) -> Dim {
        self.vars.push((None, what, span));
        Dim::Var(self.vars.len() - 1)
    }

    pub fn fresh_rest(&mut self) -> usize {
        self.next_rest += 1;
        self.next_rest
    }

    /// Follows variable bindings.
    pub fn resolve(&self, d: &Dim) -> Dim {
        let mut d = d.clone();
        while let Dim::Var(v) = d {
            match self.vars.get(v).and_then(|(b, _, _)| b.clone()) {
                Some(b) => d = b,
                None => return Dim::Var(v),
            }
        }
        d
    }

    /// Makes `a` and `b` equal, binding variables; `false` when they provably differ.
    pub fn unify(&mut self, a: &Dim, b: &Dim) -> bool {
        match (self.resolve(a), self.resolve(b)) {
            (Dim::Var(x), Dim::Var(y)) if x == y => true,
            (Dim::Var(x), other) | (other, Dim::Var(x)) => {
                if let Some(slot) = self.vars.get_mut(x) {
                    slot.0 = Some(other);
                }
                true
            }
            (Dim::Unknown, _) | (_, Dim::Unknown) => true,
            (Dim::Lit(x), Dim::Lit(y)) => x == y,
            (Dim::Named(x), Dim::Named(y)) => x == y,
            _ => false,
        }
    }

    /// Equality without binding: `Some(true)` equal, `Some(false)` different, `None` unknown.
    pub fn same(&self, a: &Dim, b: &Dim) -> Option<bool> {
        match (self.resolve(a), self.resolve(b)) {
            (Dim::Lit(x), Dim::Lit(y)) => Some(x == y),
            (Dim::Named(x), Dim::Named(y)) => Some(x == y),
            (Dim::Lit(_), Dim::Named(_)) | (Dim::Named(_), Dim::Lit(_)) => Some(false),
            (Dim::Var(x), Dim::Var(y)) if x == y => Some(true),
            _ => None,
        }
    }

    /// Whether two shapes are statically the same (so no broadcast reduction is needed).
    pub fn same_shape(&self, a: &Shape, b: &Shape) -> bool {
        a.rest == b.rest
            && a.dims.len() == b.dims.len()
            && a.dims.iter().zip(&b.dims).all(|(x, y)| self.same(x, y) == Some(true))
    }

    /// Unifies two shapes of equal rank dim by dim; `false` at the first provable mismatch.
    pub fn unify_shapes(&mut self, a: &Shape, b: &Shape) -> bool {
        if a.rest.is_some() || b.rest.is_some() {
            let n = a.dims.len().min(b.dims.len());
            let ok_rank = (a.rest.is_some() || a.dims.len() >= b.dims.len()) && (b.rest.is_some() || b.dims.len() >= a.dims.len());
            return ok_rank && (0..n).all(|i| self.unify(&a.dims[a.dims.len() - 1 - i], &b.dims[b.dims.len() - 1 - i]));
        }
        a.dims.len() == b.dims.len() && a.dims.iter().zip(&b.dims).all(|(x, y)| self.unify(x, y))
    }

    /// PyTorch broadcasting, right-aligned; `Err(msg)` when two dims provably differ and
    /// neither is 1.
    pub fn broadcast(&mut self, a: &Shape, b: &Shape) -> Result<Shape, String> {
        let (la, lb) = (a.dims.len(), b.dims.len());
        let n = la.max(lb);
        let mut out = Vec::with_capacity(n);
        for i in (0..n).rev() {
            let da = (i < la).then(|| self.resolve(&a.dims[la - 1 - i]));
            let db = (i < lb).then(|| self.resolve(&b.dims[lb - 1 - i]));
            let d = match (da, db) {
                (Some(x), None) => if b.rest.is_some() { Dim::Unknown } else { x },
                (None, Some(y)) => if a.rest.is_some() { Dim::Unknown } else { y },
                (Some(x), Some(y)) => match (&x, &y) {
                    (Dim::Lit(1), _) => y,
                    (_, Dim::Lit(1)) => x,
                    _ => match self.same(&x, &y) {
                        Some(true) => x,
                        Some(false) => {
                            return Err(format!(
                                "dimension {} is {} in one operand and {} in the other",
                                -(i as isize) - 1,
                                self.dim_text(&x),
                                self.dim_text(&y)
                            ));
                        }
                        None => Dim::Unknown,
                    },
                },
                (None, None) => Dim::Unknown,
            };
            out.push(d);
        }
        let rest = match (a.rest, b.rest) {
            (None, None) => None,
            (Some(x), Some(y)) if x == y => Some(x),
            (Some(x), None) if lb <= la => Some(x),
            (None, Some(y)) if la <= lb => Some(y),
            _ => Some(self.fresh_rest()),
        };
        Ok(Shape { rest, dims: out })
    }

    pub fn dim_text(&self, d: &Dim) -> String {
        match self.resolve(d) {
            Dim::Lit(n) => n.to_string(),
            Dim::Named(id) => id.to_string(),
            Dim::Var(_) => "_".to_string(),
            Dim::Unknown => "?".to_string(),
        }
    }

    /// `[B, 256]`, `[..]`, `[.., 10]`, `[]`.
    pub fn text(&self, s: &Shape) -> String {
        let mut out = String::from("[");
        let mut first = true;
        if s.rest.is_some() {
            out.push_str("..");
            first = false;
        }
        for d in &s.dims {
            if !first {
                out.push_str(", ");
            }
            first = false;
            let _ = write!(out, "{}", self.dim_text(d));
        }
        out.push(']');
        out
    }
}
