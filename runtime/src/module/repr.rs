//! PyTorch's module repr: `Sequential(\n  (0): Linear(in_features=4, ...)\n)`.

use super::Module;
use super::visit::{Member, members};

/// Indents every line but the first by `n` spaces (PyTorch's `_addindent`).
fn add_indent(s: &str, n: usize) -> String {
    let mut lines = s.split('\n');
    let first = lines.next().unwrap_or_default().to_owned();
    let pad = " ".repeat(n);
    lines.fold(first, |acc, l| format!("{acc}\n{pad}{l}"))
}

/// The text `print(module)` shows in PyTorch.
///
/// A module without children prints `Name(extra_repr)`; one with children prints one
/// `(key): child` line per child, indented by two spaces, nested children deeper. A
/// `ModuleList` (a `Vec` or array field) groups equal consecutive children as
/// `(0-3): 4 x Child(...)`, as PyTorch does.
pub fn repr(m: &dyn Module) -> String {
    let children: Vec<(String, String)> = members(m)
        .into_iter()
        .filter_map(|member| match member {
            Member::Module(name, child) => Some((name, repr(child))),
            _ => None,
        })
        .collect();
    let extra = m.extra_repr();
    let extra_lines: Vec<&str> = if extra.is_empty() { Vec::new() } else { extra.split('\n').collect() };
    let child_lines: Vec<String> = if m.groups_repeated_children() {
        grouped(&children)
    } else {
        children.iter().map(|(k, r)| format!("({k}): {}", add_indent(r, 2))).collect()
    };
    let mut out = format!("{}(", m.type_name());
    if extra_lines.len() == 1 && child_lines.is_empty() {
        out.push_str(extra_lines[0]);
    } else if !extra_lines.is_empty() || !child_lines.is_empty() {
        let lines: Vec<String> = extra_lines.iter().map(|s| s.to_string()).chain(child_lines).collect();
        out.push_str("\n  ");
        out.push_str(&lines.join("\n  "));
        out.push('\n');
    }
    out.push(')');
    out
}

/// `ModuleList.__repr__`: runs of equal reprs become `(start-end): n x repr`.
fn grouped(children: &[(String, String)]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut i = 0;
    while i < children.len() {
        let mut j = i;
        while j + 1 < children.len() && children[j + 1].1 == children[i].1 {
            j += 1;
        }
        let body = &children[i].1;
        let line = if i == j {
            format!("({}): {body}", children[i].0)
        } else {
            format!("({}-{}): {} x {body}", children[i].0, children[j].0, j - i + 1)
        };
        lines.push(add_indent(&line, 2));
        i = j + 1;
    }
    lines
}

/// Writes [`repr`] into a formatter; `#[derive(Module)]`'s `Display` impl calls this.
pub fn fmt_module(m: &dyn Module, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.write_str(&repr(m))
}
