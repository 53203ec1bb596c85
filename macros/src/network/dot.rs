//! `graph_dot()`: the forward IR and the generated backward as Graphviz DOT, built at expansion
//! time into one `&'static str` (const parameters appear by name).
//!
//! Layout: `cluster_forward` holds one node `f<v>` per IR node (op and static shape) and per
//! loop-carried value, with data-flow edges from operands; each `while`/`for` is a nested
//! cluster. `cluster_backward` holds one node `b<v>` per forward node whose gradient the
//! backward may compute (see `autodiff::needs`), plus `grad_out`; its edges run from a value's
//! gradient to its operands' gradients, the order the generated backward runs in.
//!
//! What was fused is drawn as dashed clusters inside the block that holds it: in the forward, the
//! ops of one elementwise pass (`fused: one pass`) or a `Linear` with its epilogue (`fused: GEMM +
//! epilogue`), as the training forward runs them (the inference forward may fuse more, since it
//! saves nothing); in the backward, an activation's derivative with the bias gradient of the
//! `Linear` below it (`fused: mask + bias grad`).

use super::autodiff::{self, Need};
use super::fields::NetField;
use super::ir::{Block, Carried, Graph, Stmt, ValueId};
use super::ops::{self, Op};
use super::shape::Dims;
use super::summary::op_name;
use std::fmt::Write as _;

/// Fused groups (their values, and a label), recorded by the code generator.
#[derive(Default)]
pub struct Groups {
    pub forward: Vec<(Vec<ValueId>, &'static str)>,
    pub backward: Vec<(Vec<ValueId>, &'static str)>,
}

struct Dot<'a> {
    graph: &'a Graph,
    groups: &'a Groups,
    clusters: usize,
    dims: &'a Dims,
    fields: &'a [NetField],
    need: Vec<Need>,
    out: String,
    /// Loop id → iterated field.
    loops: Vec<(usize, usize)>,
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

impl Dot<'_> {
    fn label(&self, op: &Op) -> String {
        let name = |f: usize| self.fields.get(f).map_or(String::new(), |f| f.name.clone());
        let callee = |c: ops::Callee| match c {
            ops::Callee::Field(f) => name(f),
            ops::Callee::LoopElem(id) => self.loops.iter().find(|(l, _)| *l == id).map_or(String::new(), |(_, f)| format!("{}[i]", name(*f))),
        };
        match op {
            Op::Param(f) => format!("param {}", name(*f)),
            Op::Tensor(f) => format!("tensor {}", name(*f)),
            Op::Linear(c, _) => format!("{}: Linear", callee(*c)),
            Op::Layer { callee: c, .. } => format!("{}: layer", callee(*c)),
            op => op_name(op),
        }
    }

    /// One node; `indent` is its nesting (a fusion pass would pick the cluster here).
    fn node(&mut self, indent: usize, id: &str, label: &str, v: ValueId, shape: &str) {
        let pad = "  ".repeat(indent);
        let shape_text = self.dims.text(&self.graph.values[v].shape);
        let _ = writeln!(self.out, "{pad}{id} [label=\"{}\\n{}\", shape={shape}];", esc(label), esc(&shape_text));
    }

    fn edge(&mut self, indent: usize, a: &str, b: &str, attrs: &str) {
        let pad = "  ".repeat(indent);
        let _ = writeln!(self.out, "{pad}{a} -> {b}{attrs};");
    }

    fn carried(&mut self, indent: usize, prefix: char, carried: &[Carried]) {
        for c in carried {
            self.node(indent, &format!("{prefix}{}", c.param), "carried", c.param, "ellipse");
        }
    }

    /// The fused groups whose values are all nodes of `b`, as clusters (prefix `f` or `b`).
    fn fused(&mut self, b: &Block, indent: usize, prefix: char) {
        let here: Vec<ValueId> = b.stmts.iter().filter_map(|s| if let Stmt::Node(n) = s { Some(n.out) } else { None }).collect();
        let groups = if prefix == 'f' { &self.groups.forward } else { &self.groups.backward };
        let mut text = String::new();
        for (members, label) in groups.iter().filter(|(m, _)| m.iter().all(|v| here.contains(v))) {
            if prefix == 'b' && !members.iter().all(|&v| self.needs(v)) {
                continue;
            }
            let pad = "  ".repeat(indent);
            let names: Vec<String> = members.iter().map(|v| format!("{prefix}{v};")).collect();
            let _ = writeln!(text, "{pad}subgraph cluster_fused{} {{\n{pad}  label=\"{label}\"; style=dashed;\n{pad}  {}\n{pad}}}", self.clusters, names.join(" "));
            self.clusters += 1;
        }
        self.out.push_str(&text);
    }

    fn forward(&mut self, b: &Block, indent: usize) {
        self.forward_stmts(b, indent);
        self.fused(b, indent, 'f');
    }

    fn forward_stmts(&mut self, b: &Block, indent: usize) {
        for s in &b.stmts {
            match s {
                Stmt::Node(n) => {
                    let label = self.label(&n.op);
                    self.node(indent, &format!("f{}", n.out), &label, n.out, "box");
                    for a in ops::operands(&n.op) {
                        self.edge(indent, &format!("f{a}"), &format!("f{}", n.out), "");
                    }
                }
                Stmt::While(w) => {
                    let pad = "  ".repeat(indent);
                    let _ = writeln!(self.out, "{pad}subgraph cluster_forward_loop{} {{\n{pad}  label=\"while\";", w.id);
                    self.carried(indent + 1, 'f', &w.carried);
                    self.forward(&w.cond, indent + 1);
                    self.forward(&w.body, indent + 1);
                    let _ = writeln!(self.out, "{pad}}}");
                    self.loop_edges('f', indent, &w.carried);
                }
                Stmt::For(f) => {
                    self.loops.push((f.id, f.field));
                    let pad = "  ".repeat(indent);
                    let name = self.fields.get(f.field).map_or(String::new(), |f| f.name.clone());
                    let _ = writeln!(self.out, "{pad}subgraph cluster_forward_loop{} {{\n{pad}  label=\"for in {}\";", f.id, esc(&name));
                    self.carried(indent + 1, 'f', &f.carried);
                    self.forward(&f.body, indent + 1);
                    let _ = writeln!(self.out, "{pad}}}");
                    self.loop_edges('f', indent, &f.carried);
                }
            }
        }
    }

    /// Entry, back edge and exit of each carried value (the result is a node after the loop).
    fn loop_edges(&mut self, p: char, indent: usize, carried: &[Carried]) {
        for c in carried {
            self.node(indent, &format!("{p}{}", c.result), "loop result", c.result, "ellipse");
            self.edge(indent, &format!("{p}{}", c.outer), &format!("{p}{}", c.param), "");
            self.edge(indent, &format!("{p}{}", c.next), &format!("{p}{}", c.param), " [style=dashed, constraint=false]");
            self.edge(indent, &format!("{p}{}", c.next), &format!("{p}{}", c.result), "");
        }
    }

    fn needs(&self, v: ValueId) -> bool {
        self.need.get(v).is_some_and(|n| *n != Need::Never)
    }

    /// The backward, in reverse order; loop conditions are never differentiated.
    fn backward(&mut self, b: &Block, indent: usize) {
        self.backward_stmts(b, indent);
        self.fused(b, indent, 'b');
    }

    fn backward_stmts(&mut self, b: &Block, indent: usize) {
        for s in b.stmts.iter().rev() {
            match s {
                Stmt::Node(n) => {
                    if !self.needs(n.out) {
                        continue;
                    }
                    let label = format!("grad {}", self.label(&n.op));
                    self.node(indent, &format!("b{}", n.out), &label, n.out, "box");
                    for a in ops::operands(&n.op) {
                        if self.needs(a) {
                            self.edge(indent, &format!("b{}", n.out), &format!("b{a}"), "");
                        }
                    }
                }
                Stmt::While(w) => self.backward_loop(indent, w.id, "while", &w.carried, &w.body),
                Stmt::For(f) => self.backward_loop(indent, f.id, "for", &f.carried, &f.body),
            }
        }
    }

    fn backward_loop(&mut self, indent: usize, id: usize, kind: &str, carried: &[Carried], body: &Block) {
        let carried: Vec<&Carried> = carried.iter().filter(|c| self.needs(c.param)).collect();
        let pad = "  ".repeat(indent);
        let _ = writeln!(self.out, "{pad}subgraph cluster_backward_loop{id} {{\n{pad}  label=\"{kind} (reversed)\";");
        for c in &carried {
            self.node(indent + 1, &format!("b{}", c.param), "grad carried", c.param, "ellipse");
        }
        self.backward(body, indent + 1);
        let _ = writeln!(self.out, "{pad}}}");
        for c in carried {
            self.node(indent, &format!("b{}", c.result), "grad loop result", c.result, "ellipse");
            if self.needs(c.next) {
                self.edge(indent, &format!("b{}", c.result), &format!("b{}", c.next), "");
                self.edge(indent, &format!("b{}", c.param), &format!("b{}", c.next), " [style=dashed, constraint=false]");
            }
            if self.needs(c.outer) {
                self.edge(indent, &format!("b{}", c.param), &format!("b{}", c.outer), "");
            }
        }
    }
}

/// The whole DOT text of one network.
pub fn graph_dot(name: &str, graph: &Graph, dims: &Dims, fields: &[NetField], groups: &Groups) -> String {
    let mut d = Dot { graph, groups, clusters: 0, dims, fields, need: autodiff::needs(graph), out: String::new(), loops: Vec::new() };
    let _ = writeln!(d.out, "digraph \"{}\" {{\n  node [fontname=\"monospace\"];\n  subgraph cluster_forward {{\n    label=\"forward\";", esc(name));
    d.forward(&graph.body, 2);
    let _ = writeln!(d.out, "  }}\n  subgraph cluster_backward {{\n    label=\"backward\";");
    let out = graph.output;
    let _ = writeln!(d.out, "    grad_out [label=\"grad_out\\n{}\", shape=ellipse];", esc(&dims.text(&graph.values[out].shape)));
    if d.needs(out) {
        let _ = writeln!(d.out, "    grad_out -> b{out};");
    }
    d.backward(&graph.body, 2);
    let _ = writeln!(d.out, "  }}\n}}");
    d.out
}
