//! Tree walks built on [`Module::visit`]: the provided methods of [`Module`] call these.

use super::{Module, Visitor, VisitorMut};
use crate::param::{Buffer, Param};
use std::collections::HashSet;

/// One direct member of a module.
pub(crate) enum Member<'a> {
    Param(String, &'a Param),
    Buffer(String, &'a Buffer),
    Module(String, &'a dyn Module),
}

struct Collect<'a>(Vec<Member<'a>>);

impl<'a> Visitor<'a> for Collect<'a> {
    fn param(&mut self, name: &str, p: &'a Param) {
        self.0.push(Member::Param(name.to_owned(), p));
    }
    fn buffer(&mut self, name: &str, b: &'a Buffer) {
        self.0.push(Member::Buffer(name.to_owned(), b));
    }
    fn module(&mut self, name: &str, m: &'a dyn Module) {
        self.0.push(Member::Module(name.to_owned(), m));
    }
}

/// The direct members of `m`, in declaration order.
pub(crate) fn members(m: &dyn Module) -> Vec<Member<'_>> {
    let mut c = Collect(Vec::new());
    m.visit(&mut c);
    c.0
}

/// `prefix.name`, or `name` at the root.
pub(crate) fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() { name.to_owned() } else { format!("{prefix}.{name}") }
}

/// What makes two modules "the same module" for PyTorch's duplicate removal: the concrete type
/// and the ids of all the parameters below it, so a [`Module::share`] of a module is the module,
/// and a wrapper is not its only child. A module with no parameters has no identity (ReLU twice
/// is two modules).
type Identity = (std::any::TypeId, Vec<usize>);

fn identity(m: &dyn Module) -> Option<Identity> {
    let ids: Vec<usize> = named_parameters(m, false).iter().map(|(_, p)| p.id()).collect();
    (!ids.is_empty()).then(|| (m.as_any().type_id(), ids))
}

/// Pre-order walk over modules, skipping duplicates (by [`identity`]) as PyTorch's memo does.
fn walk_modules<'a>(m: &'a dyn Module, path: String, seen: &mut HashSet<Identity>, out: &mut Vec<(String, &'a dyn Module)>) {
    if let Some(id) = identity(m)
        && !seen.insert(id) {
            return;
        }
    out.push((path.clone(), m));
    for member in members(m) {
        if let Member::Module(name, child) = member {
            walk_modules(child, join(&path, &name), seen, out);
        }
    }
}

pub(crate) fn named_modules(m: &dyn Module) -> Vec<(String, &dyn Module)> {
    let mut out = Vec::new();
    walk_modules(m, String::new(), &mut HashSet::new(), &mut out);
    out
}

pub(crate) fn named_children(m: &dyn Module) -> Vec<(String, &dyn Module)> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for member in members(m) {
        if let Member::Module(name, child) = member
            && identity(child).is_none_or(|id| seen.insert(id)) {
                out.push((name, child));
            }
    }
    out
}

/// Every parameter, in PyTorch's order: modules pre-order, each module's own parameters in
/// declaration order. With `dedup`, a parameter reached twice is listed once.
pub(crate) fn named_parameters(m: &dyn Module, dedup: bool) -> Vec<(String, &Param)> {
    fn go<'a>(m: &'a dyn Module, path: &str, dedup: bool, seen: &mut HashSet<usize>, out: &mut Vec<(String, &'a Param)>) {
        let ms = members(m);
        for member in &ms {
            if let Member::Param(name, p) = member
                && (!dedup || seen.insert(p.id())) {
                    out.push((join(path, name), *p));
                }
        }
        for member in ms {
            if let Member::Module(name, child) = member {
                go(child, &join(path, &name), dedup, seen, out);
            }
        }
    }
    let mut out = Vec::new();
    go(m, "", dedup, &mut HashSet::new(), &mut out);
    out
}

/// Every buffer (persistent or not), modules pre-order.
pub(crate) fn named_buffers(m: &dyn Module) -> Vec<(String, &Buffer)> {
    fn go<'a>(m: &'a dyn Module, path: &str, out: &mut Vec<(String, &'a Buffer)>) {
        let ms = members(m);
        for member in &ms {
            if let Member::Buffer(name, b) = member {
                out.push((join(path, name), *b));
            }
        }
        for member in ms {
            if let Member::Module(name, child) = member {
                go(child, &join(path, &name), out);
            }
        }
    }
    let mut out = Vec::new();
    go(m, "", &mut out);
    out
}

pub(crate) fn get_submodule<'a>(m: &'a dyn Module, path: &str) -> Option<&'a dyn Module> {
    if path.is_empty() {
        return Some(m);
    }
    let (head, rest) = path.split_once('.').unwrap_or((path, ""));
    let child = members(m).into_iter().find_map(|member| match member {
        Member::Module(name, child) if name == head => Some(child),
        _ => None,
    })?;
    get_submodule(child, rest)
}

/// Post-order `apply`; within one parent, a shared duplicate child is visited once (PyTorch's
/// `children()` memo).
pub(crate) fn apply(m: &mut dyn Module, path: &str, f: &mut dyn FnMut(&str, &mut dyn Module)) {
    struct Apply<'f, 'p> {
        path: &'p str,
        seen: HashSet<Identity>,
        f: &'f mut dyn FnMut(&str, &mut dyn Module),
    }
    impl VisitorMut for Apply<'_, '_> {
        fn module(&mut self, name: &str, child: &mut dyn Module) {
            if identity(child.as_module()).is_none_or(|id| self.seen.insert(id)) {
                apply(child, &join(self.path, name), self.f);
            }
        }
    }
    let mut v = Apply { path, seen: HashSet::new(), f: &mut *f };
    m.visit_mut(&mut v);
    f(path, m);
}
