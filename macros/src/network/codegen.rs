//! Code generation: the forward (inference and training), the context structs that carry what
//! the backward needs, and the emitter state shared with [`autodiff`](super::autodiff).

use super::autodiff::Need;
use super::fuse;
use super::fields::{FieldKind, NetField};
use super::ir::{Block, Cmp, Graph, Stmt, ValueId};
use super::layers;
use super::ops::{self, BwGen, Callee, Gen, Op, v};
use super::shape::Dims;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use std::collections::BTreeSet;

/// What one scope (the forward, or one loop's iteration) keeps for the backward.
#[derive(Default)]
pub struct Scope {
    pub saved: BTreeSet<ValueId>,
    pub shapes: BTreeSet<ValueId>,
    /// Opaque layer call sites: (site, field).
    pub sites: Vec<(usize, usize)>,
    /// Loops directly inside.
    pub loops: Vec<usize>,
    /// Op result buffers (`s0`, `s1`, …) kept in this scope's context.
    pub slots: usize,
    /// The backward's buffer plan: see [`Pool`].
    pub pool: Pool,
}

/// The backward's memory plan for one scope: a buffer is handed out again once every gradient
/// that may live in it has been consumed (liveness over the reversed node order).
///
/// A buffer written by a node's backward belongs to the gradient slots it was accumulated into;
/// when a contribution may be a view of the incoming gradient (a reshape, a pass-through), the
/// buffers behind that gradient belong to it too. A node's backward consumes its gradient, so its
/// buffers are released once it is emitted and no other gradient owns them. Reuse is also safe
/// at run time whatever this plan says: a [`Slot`] only reuses storage nobody else holds.
#[derive(Default)]
pub struct Pool {
    free: Vec<usize>,
    owners: std::collections::HashMap<usize, usize>,
    pending: std::collections::HashMap<ValueId, Vec<usize>>,
    /// Buffers handed out during the node's backward being emitted.
    recent: Vec<usize>,
    /// The node whose backward is being emitted.
    pub current: Option<ValueId>,
}

impl Pool {
    /// Records that the gradient of `v` may live in the buffers written for the current node
    /// (and, when `alias`, in the ones behind the current node's own gradient).
    fn own(&mut self, v: ValueId, alias: bool) {
        let mut take = self.recent.clone();
        if alias && let Some(cur) = self.current {
            take.extend(self.pending.get(&cur).cloned().unwrap_or_default());
        }
        for k in take {
            *self.owners.entry(k).or_insert(0) += 1;
            self.pending.entry(v).or_default().push(k);
        }
    }

    /// The current node's backward is emitted: its gradient is consumed.
    pub fn done(&mut self) {
        if let Some(cur) = self.current.take() {
            for k in self.pending.remove(&cur).unwrap_or_default() {
                let n = self.owners.entry(k).or_insert(1);
                *n -= 1;
                if *n == 0 {
                    self.free.push(k);
                }
            }
        }
        for k in std::mem::take(&mut self.recent) {
            if self.owners.get(&k).copied().unwrap_or(0) == 0 && !self.free.contains(&k) {
                self.free.push(k);
            }
        }
    }
}

pub struct Emit<'a> {
    pub p: TokenStream,
    pub graph: &'a Graph,
    pub fields: &'a [NetField],
    pub dims: &'a Dims,
    pub need: Vec<Need>,
    /// Scope 0 is the forward, scope `id + 1` is loop `id`.
    pub scopes: Vec<Scope>,
    pub scope: usize,
    pub depth: usize,
    /// Whether op results go to buffers kept in the context (training forward and backward) or
    /// to fresh tensors (inference).
    pub persist: bool,
    /// Slots of the inference forward (`__fws{k}`, from a per-thread pool), counted as emitted.
    pub infer_slots: usize,
    /// Whether the backward is being emitted (its buffers are pooled, see [`Pool`]).
    pub in_backward: bool,
    /// How many places read each value ([`fuse::use_counts`]).
    pub uses: Vec<usize>,
    /// The node defining each value.
    pub nodes: std::collections::HashMap<ValueId, &'a super::ir::Node>,
    /// `Linear` outputs whose bias gradient an activation's backward pass accumulates.
    pub bias_fused: BTreeSet<ValueId>,
    /// Layer fields called exactly once in the forward, outside any loop (see
    /// [`BwGen::fused_update`]).
    pub called_once: BTreeSet<usize>,
    /// The fused groups of the training forward and of the backward, for `graph_dot()`.
    pub groups: super::dot::Groups,
}

impl<'a> Emit<'a> {
    pub fn new(p: TokenStream, graph: &'a Graph, fields: &'a [NetField], dims: &'a Dims, need: Vec<Need>) -> Self {
        let mut scopes: Vec<Scope> = (0..=graph.loops).map(|_| Scope::default()).collect();
        let mut fields_of = std::collections::HashMap::new();
        loop_fields(&graph.body, &mut fields_of);
        scan(&graph.body, 0, &mut scopes, &fields_of);
        let uses = fuse::use_counts(graph);
        let mut nodes = std::collections::HashMap::new();
        collect_nodes(&graph.body, &mut nodes);
        Emit { p, graph, fields, dims, need, scopes, scope: 0, depth: 0, persist: true, infer_slots: 0, in_backward: false, uses, nodes, bias_fused: BTreeSet::new(), called_once: called_once(graph), groups: Default::default() }
    }

    pub fn member(&self, f: usize) -> syn::Member {
        self.fields[f].member.clone()
    }

    fn ctx(&self) -> proc_macro2::Ident {
        format_ident!("__c{}", self.depth)
    }

    /// Code that copies into the current context what the backward reads of `vals`.
    fn saves(&self, vals: &[ValueId]) -> TokenStream {
        let c = self.ctx();
        let p = &self.p;
        let mut out = TokenStream::new();
        for &val in vals {
            let vv = v(val);
            if self.scopes[self.scope].saved.contains(&val) {
                let t = format_ident!("t{}", val);
                out.extend(quote!(#c.#t = ::core::option::Option::Some(#p::Tensor::shallow_clone(&#vv));));
            }
            if self.scopes[self.scope].shapes.contains(&val) {
                let z = format_ident!("z{}", val);
                out.extend(quote!(#c.#z = #p::Dims::from_slice(#vv.shape());));
            }
        }
        out
    }

    /// The forward of a block; `train` saves what the backward needs. `entry` are the values
    /// visible on entry (loop params and outer values) that this scope saves.
    pub fn forward_block(&mut self, b: &Block, train: bool) -> TokenStream {
        let persist = std::mem::replace(&mut self.persist, train);
        let out = self.forward_stmts(b, train);
        self.persist = persist;
        out
    }

    fn forward_stmts(&mut self, b: &Block, train: bool) -> TokenStream {
        let p = self.p.clone();
        let mut out = TokenStream::new();
        let kept: BTreeSet<ValueId> = if train { self.scopes.iter().flat_map(|s| s.saved.iter().chain(&s.shapes)).copied().collect() } else { BTreeSet::new() };
        let plan = fuse::plan(b, &self.uses, &kept, self.graph.output);
        for s in &b.stmts {
            match s {
                Stmt::Node(n) => {
                    let site = match (&n.op, train) {
                        (Op::Layer { site, .. }, true) => Some(self.site_ctx(*site)),
                        _ => None,
                    };
                    let out_v = v(n.out);
                    match (&n.op, train) {
                        (Op::Loss { kind, red, a, b, aux: Some(aux) }, true) => {
                            let e = ops::loss::forward(*kind, *red, &v(*a), &v(*b), self, true);
                            let aux_v = v(*aux);
                            out.extend(quote!(let (#out_v, #aux_v): (#p::Tensor, #p::Tensor) = #e;));
                            out.extend(self.saves(&[n.out, *aux]));
                        }
                        _ if plan.inline.contains(&n.out) || plan.deferred.contains(&n.out) => {}
                        _ if ops::elem_operands(&n.op).is_some() => {
                            let e = self.fused(n.out, &plan, &mut out);
                            out.extend(quote!(let #out_v: _ = #e;));
                            if train {
                                out.extend(self.saves(&[n.out]));
                            }
                        }
                        _ => {
                            let e = ops::forward(&n.op, self, site);
                            out.extend(quote!(let #out_v: _ = #e;));
                            if train {
                                out.extend(self.saves(&[n.out]));
                            }
                        }
                    }
                }
                Stmt::While(w) => {
                    // The condition saves nothing; in training its buffers are the enclosing
                    // scope's (its value is read at once, so one set serves every iteration).
                    let cond = self.forward_stmts(&w.cond, false);
                    let cv = v(w.cond_value);
                    let lit = w.literal as f32;
                    let test = match w.cmp {
                        Cmp::Lt => quote!(<),
                        Cmp::Le => quote!(<=),
                        Cmp::Gt => quote!(>),
                        Cmp::Ge => quote!(>=),
                        Cmp::Eq => quote!(==),
                        Cmp::Ne => quote!(!=),
                    };
                    let check = quote! {
                        #cond
                        if !(#cv.item() #test #lit) {
                            break;
                        }
                    };
                    out.extend(self.forward_loop(w.id, &w.carried, &w.body, train, quote!(loop), check));
                    if train {
                        out.extend(self.saves(&w.carried.iter().map(|c| c.result).collect::<Vec<_>>()));
                    }
                }
                Stmt::For(f) => {
                    let m = self.member(f.field);
                    let e = format_ident!("__e{}", f.id);
                    out.extend(self.forward_loop(f.id, &f.carried, &f.body, train, quote!(for #e in self.#m.iter()), TokenStream::new()));
                    if train {
                        out.extend(self.saves(&f.carried.iter().map(|c| c.result).collect::<Vec<_>>()));
                    }
                }
            }
        }
        out
    }

    /// The node that defines `val` (a value of the forward body or a loop body).
    fn node(&self, val: ValueId) -> Option<&'a super::ir::Node> {
        self.nodes.get(&val).copied()
    }

    /// One fused elementwise pass computing `val`: its expression with every inlined operand
    /// folded in (see [`fuse`]), as a GEMM epilogue when its only tensor operand is a deferred
    /// `Linear`. Deferred `Linear`s read with other tensors are computed first, into `out`.
    fn fused(&mut self, val: ValueId, plan: &fuse::Plan, out: &mut TokenStream) -> TokenStream {
        let p = self.p.clone();
        let mut leaves = BTreeSet::new();
        let body = self.elem_expr(val, plan, &mut leaves, true);
        let leaves: Vec<ValueId> = leaves.into_iter().collect();
        let mut members: Vec<ValueId> = plan.inline.iter().copied().filter(|&v| self.feeds(v, val, plan)).collect();
        members.push(val);
        if let [z] = leaves[..]
            && plan.deferred.contains(&z)
            && let Some(Op::Linear(c, x)) = self.node(z).map(|n| &n.op)
        {
            if self.persist {
                members.insert(0, z);
                self.groups.forward.push((members, "fused: GEMM + epilogue"));
            }
            let (callee, slot) = (ops::Gen::callee(self, *c), ops::Gen::slot(self));
            let lz = format_ident!("__l{}", z);
            let act = quote!({ let #lz = __a0; #body });
            return ops::layer::forward_linear(&p, &callee, &v(*x), slot, Some(act));
        }
        for &z in &leaves {
            if plan.deferred.contains(&z)
                && let Some(Op::Linear(c, x)) = self.node(z).map(|n| &n.op)
            {
                let (callee, slot) = (ops::Gen::callee(self, *c), ops::Gen::slot(self));
                let e = ops::layer::forward_linear(&p, &callee, &v(*x), slot, None);
                let zv = v(z);
                out.extend(quote!(let #zv: _ = #e;));
            }
        }
        if self.persist && members.len() > 1 {
            self.groups.forward.push((members, "fused: one pass"));
        }
        let inputs: Vec<TokenStream> = leaves.iter().map(|&l| {
            let l = v(l);
            quote!(&#l)
        }).collect();
        let params: Vec<proc_macro2::Ident> = leaves.iter().map(|l| format_ident!("__l{}", l)).collect();
        let slot = ops::Gen::slot(self);
        ops::map_call(&p, slot, &inputs, &params, body)
    }

    /// Whether the inlined value `v` is folded into `top`'s expression (through inlined readers).
    fn feeds(&self, v: ValueId, top: ValueId, plan: &fuse::Plan) -> bool {
        let Some(n) = self.node(top) else { return false };
        ops::elem_operands(&n.op).is_some_and(|ops| ops.iter().any(|&a| a == v || (plan.inline.contains(&a) && self.feeds(v, a, plan))))
    }

    /// The per-element expression of `val` over the leaves' closure parameters (`__l{id}`).
    fn elem_expr(&self, val: ValueId, plan: &fuse::Plan, leaves: &mut BTreeSet<ValueId>, top: bool) -> TokenStream {
        let node = self.node(val);
        match node.map(|n| (&n.op, ops::elem_operands(&n.op))) {
            Some((op, Some(operands))) if top || plan.inline.contains(&val) => {
                let args: Vec<TokenStream> = operands.iter().map(|&a| self.elem_expr(a, plan, leaves, false)).collect();
                ops::elem(op, &args, &self.p).unwrap_or_default()
            }
            _ => {
                leaves.insert(val);
                let l = format_ident!("__l{}", val);
                quote!(#l)
            }
        }
    }

    fn with_scope<R>(&mut self, id: usize, f: impl FnOnce(&mut Self) -> R) -> R {
        let saved = (self.scope, self.depth);
        self.scope = id + 1;
        self.depth += 1;
        let r = f(self);
        (self.scope, self.depth) = saved;
        r
    }

    fn forward_loop(&mut self, id: usize, carried: &[super::ir::Carried], body: &Block, train: bool, head: TokenStream, check: TokenStream) -> TokenStream {
        let p = self.p.clone();
        let outer_ctx = self.ctx();
        let mut enter = TokenStream::new();
        let mut next = TokenStream::new();
        let mut assign = TokenStream::new();
        let mut leave = TokenStream::new();
        for (i, c) in carried.iter().enumerate() {
            let (param, outer, nx, res) = (v(c.param), v(c.outer), v(c.next), v(c.result));
            let tmp = format_ident!("__n{}", i);
            enter.extend(quote!(let mut #param: #p::Tensor = #p::Tensor::shallow_clone(&#outer);));
            next.extend(quote!(let #tmp = #p::Tensor::shallow_clone(&#nx);));
            assign.extend(quote!(#param = #tmp;));
            leave.extend(quote!(let #res: #p::Tensor = #param;));
        }
        let (body_code, start, inner_ctx) = self.with_scope(id, |me| {
            // Values read from outside the body (params, outer values) are saved on entry.
            let defined = defined_in(body);
            let entry: Vec<ValueId> = me.scopes[me.scope].saved.iter().chain(me.scopes[me.scope].shapes.iter()).copied().filter(|x| !defined.contains(x)).collect::<BTreeSet<_>>().into_iter().collect();
            let start = if train { me.saves(&entry) } else { TokenStream::new() };
            (me.forward_block(body, train), start, me.ctx())
        });
        let w = format_ident!("w{}", id);
        let n = format_ident!("n{}", id);
        let k = format_ident!("__k{}", id);
        // Iteration contexts are kept across calls: the `k`-th iteration reuses the `k`-th.
        let (init, open, close, done) = if train {
            (
                quote!(let mut #k = 0usize;),
                quote! {
                    if #outer_ctx.#w.len() == #k {
                        #outer_ctx.#w.push(::core::default::Default::default());
                    }
                    let #inner_ctx = &mut #outer_ctx.#w[#k];
                },
                quote!(#k += 1;),
                quote!(#outer_ctx.#n = #k;),
            )
        } else {
            (TokenStream::new(), TokenStream::new(), TokenStream::new(), TokenStream::new())
        };
        quote! {
            #enter
            #init
            #head {
                #check
                #open
                #start
                #body_code
                #next
                #assign
                #close
            }
            #done
            #leave
        }
    }
}

/// Layer fields called by exactly one op of the graph, that op being outside every loop.
fn called_once(g: &Graph) -> BTreeSet<usize> {
    fn count(b: &Block, top: bool, calls: &mut std::collections::HashMap<usize, (usize, bool)>) {
        for s in &b.stmts {
            match s {
                Stmt::Node(n) => {
                    if let Op::Linear(Callee::Field(f), _) | Op::Layer { callee: Callee::Field(f), .. } = n.op {
                        let e = calls.entry(f).or_insert((0, true));
                        e.0 += 1;
                        e.1 &= top;
                    }
                }
                Stmt::While(w) => {
                    count(&w.cond, false, calls);
                    count(&w.body, false, calls);
                }
                Stmt::For(f) => count(&f.body, false, calls),
            }
        }
    }
    let mut calls = std::collections::HashMap::new();
    count(&g.body, true, &mut calls);
    calls.into_iter().filter(|&(_, (n, top))| n == 1 && top).map(|(f, _)| f).collect()
}

/// Every node of a block and of its nested blocks, by the value it defines.
fn collect_nodes<'a>(b: &'a Block, out: &mut std::collections::HashMap<ValueId, &'a super::ir::Node>) {
    for s in &b.stmts {
        match s {
            Stmt::Node(n) => {
                out.insert(n.out, n);
            }
            Stmt::While(w) => {
                collect_nodes(&w.cond, out);
                collect_nodes(&w.body, out);
            }
            Stmt::For(f) => collect_nodes(&f.body, out),
        }
    }
}

/// Values defined by a block (nodes and loop results), not counting nested bodies.
fn defined_in(b: &Block) -> BTreeSet<ValueId> {
    let mut out = BTreeSet::new();
    for s in &b.stmts {
        match s {
            Stmt::Node(n) => {
                out.insert(n.out);
            }
            Stmt::While(w) => out.extend(w.carried.iter().map(|c| c.result)),
            Stmt::For(f) => out.extend(f.carried.iter().map(|c| c.result)),
        }
    }
    out
}

/// The field each `for` loop iterates over, by loop id.
fn loop_fields(b: &Block, out: &mut std::collections::HashMap<usize, usize>) {
    for s in &b.stmts {
        match s {
            Stmt::Node(_) => {}
            Stmt::While(w) => {
                loop_fields(&w.cond, out);
                loop_fields(&w.body, out);
            }
            Stmt::For(f) => {
                out.insert(f.id, f.field);
                loop_fields(&f.body, out);
            }
        }
    }
}

/// Records the layer call sites and loops of every scope.
fn scan(b: &Block, scope: usize, scopes: &mut [Scope], fields: &std::collections::HashMap<usize, usize>) {
    for s in &b.stmts {
        match s {
            Stmt::Node(n) => {
                if let Op::Layer { site, callee, .. } = &n.op {
                    let field = match callee {
                        Callee::Field(f) => Some(*f),
                        Callee::LoopElem(id) => fields.get(id).copied(),
                    };
                    if let Some(field) = field {
                        scopes[scope].sites.push((*site, field));
                    }
                }
            }
            Stmt::While(w) => {
                scopes[scope].loops.push(w.id);
                scan(&w.cond, w.id + 1, scopes, fields);
                scan(&w.body, w.id + 1, scopes, fields);
            }
            Stmt::For(f) => {
                scopes[scope].loops.push(f.id);
                scan(&f.body, f.id + 1, scopes, fields);
            }
        }
    }
}

impl Gen for Emit<'_> {
    fn p(&self) -> &TokenStream {
        &self.p
    }
    fn callee(&self, c: Callee) -> TokenStream {
        match c {
            Callee::Field(f) => {
                let m = self.member(f);
                quote!((&self.#m))
            }
            Callee::LoopElem(id) => {
                let e = format_ident!("__e{}", id);
                quote!(#e)
            }
        }
    }
    fn field(&self, f: usize) -> TokenStream {
        let m = self.member(f);
        quote!(self.#m)
    }
    fn is_buffer(&self, f: usize) -> bool {
        matches!(self.fields[f].kind, FieldKind::Buffer { .. })
    }
    fn slot(&mut self) -> TokenStream {
        if !self.persist {
            let k = self.infer_slots;
            self.infer_slots += 1;
            let s = format_ident!("__fws{}", k);
            return quote!(&mut *#s);
        }
        let in_backward = self.in_backward;
        let scope = &mut self.scopes[self.scope];
        let k = match scope.pool.free.pop() {
            Some(k) if in_backward => k,
            _ => {
                scope.slots += 1;
                scope.slots - 1
            }
        };
        if in_backward {
            scope.pool.recent.push(k);
        }
        let s = format_ident!("s{}", k);
        let c = self.ctx();
        quote!(&mut #c.#s)
    }
}

impl BwGen for Emit<'_> {
    fn saved(&mut self, val: ValueId) -> TokenStream {
        self.scopes[self.scope].saved.insert(val);
        let c = self.ctx();
        let t = format_ident!("t{}", val);
        quote!(__saved(&#c.#t))
    }
    fn saved_shape(&mut self, val: ValueId) -> TokenStream {
        self.scopes[self.scope].shapes.insert(val);
        let c = self.ctx();
        let z = format_ident!("z{}", val);
        quote!(#c.#z.as_slice())
    }
    fn need(&self, val: ValueId) -> Option<TokenStream> {
        match self.need[val] {
            Need::Never => None,
            Need::IfInput => Some(quote!(__need_input)),
            Need::Always => Some(quote!(true)),
        }
    }
    fn acc(&mut self, val: ValueId, expr: TokenStream) -> TokenStream {
        self.acc_with(val, expr, true)
    }
    fn acc_fresh(&mut self, val: ValueId, expr: TokenStream) -> TokenStream {
        self.acc_with(val, expr, false)
    }
    fn same_shape(&self, a: ValueId, b: ValueId) -> bool {
        self.dims.same_shape(&self.graph.values[a].shape, &self.graph.values[b].shape)
    }
    fn site_ctx(&self, site: usize) -> TokenStream {
        let c = self.ctx();
        let l = format_ident!("l{}", site);
        quote!(#c.#l)
    }
    fn fuse_bias(&mut self, x: ValueId) -> Option<(TokenStream, TokenStream)> {
        if self.uses[x] != 1 {
            return None;
        }
        let Op::Linear(c, _) = &self.node(x)?.op else { return None };
        let callee = ops::Gen::callee(self, *c);
        self.bias_fused.insert(x);
        if let Some(cur) = self.scopes[self.scope].pool.current {
            self.groups.backward.push((vec![cur, x], "fused: mask + bias grad"));
        }
        Some((quote!(#callee.bias.as_ref()), self.fused_update(*c)))
    }
    fn bias_fused(&self, z: ValueId) -> bool {
        self.bias_fused.contains(&z)
    }
    fn fused_update(&self, c: Callee) -> TokenStream {
        match c {
            Callee::Field(f) if self.scope == 0 && self.called_once.contains(&f) => quote!(__upd),
            _ => quote!(::core::option::Option::None),
        }
    }
}

impl Emit<'_> {
    /// `acc`, recording in the pool which buffers the gradient of `val` may live in.
    fn acc_with(&mut self, val: ValueId, expr: TokenStream, alias: bool) -> TokenStream {
        let slot = super::autodiff::gv(val);
        if self.need[val] == Need::Never {
            return TokenStream::new();
        }
        let buf = ops::Gen::slot(self);
        if self.in_backward {
            self.scopes[self.scope].pool.own(val, alias);
        }
        match self.need[val] {
            Need::IfInput => quote!(if __need_input { __acc(&mut #slot, #expr, #buf); }),
            _ => quote!(__acc(&mut #slot, #expr, #buf);),
        }
    }
}

/// The context structs: `__Ctx` for the forward, `__Ctx{id}` for one iteration of loop `id`.
pub fn ctx_structs(e: &Emit, generics: &syn::Generics) -> TokenStream {
    let p = &e.p;
    let (_, ty_g, where_c) = generics.split_for_impl();
    let mut out = TokenStream::new();
    for (i, s) in e.scopes.iter().enumerate() {
        let name = if i == 0 { format_ident!("__Ctx") } else { format_ident!("__Ctx{}", i - 1) };
        let t = s.saved.iter().map(|v| format_ident!("t{}", v));
        let z = s.shapes.iter().map(|v| format_ident!("z{}", v));
        let l = s.sites.iter().map(|(site, f)| {
            let id = format_ident!("l{}", site);
            let ty = match &e.fields[*f].kind {
                FieldKind::Layer(l) => layers::resolved_type(e.dims, l),
                FieldKind::Layers { elem, .. } => layers::resolved_type(e.dims, elem),
                _ => syn::parse_quote!(()),
            };
            let span = syn::spanned::Spanned::span(&ty);
            quote_spanned!(span=> pub #id: <#ty as #p::Layer>::Ctx,)
        });
        let w = s.loops.iter().map(|id| {
            let f = format_ident!("w{}", id);
            let n = format_ident!("n{}", id);
            let ty = format_ident!("__Ctx{}", id);
            quote!(pub #f: ::std::vec::Vec<#ty #ty_g>, pub #n: usize,)
        });
        let ws: Vec<_> = s.loops.iter().map(|id| format_ident!("w{}", id)).collect();
        let ns: Vec<_> = s.loops.iter().map(|id| format_ident!("n{}", id)).collect();
        let ts: Vec<_> = s.saved.iter().map(|v| format_ident!("t{}", v)).collect();
        let slots = (0..s.slots).map(|k| format_ident!("s{}", k));
        let input = (i == 0).then(|| quote!(pub __in: #p::Dims<usize>,));
        let params = &generics.params;
        let (impl_g, _, _) = generics.split_for_impl();
        out.extend(quote! {
            #[derive(Default)]
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            pub struct #name <#params> #where_c {
                #input
                #(pub #t: ::core::option::Option<#p::Tensor>,)*
                #(pub #z: #p::Dims<usize>,)*
                #(pub #slots: #p::ops::Slot,)*
                #(#l)*
                #(#w)*
            }
            impl #impl_g #name #ty_g #where_c {
                /// Drops the handles the last step saved (so their buffers can be reused);
                /// keeps every buffer.
                #[allow(dead_code)]
                fn __reset(&mut self) {
                    #(self.#ts = ::core::option::Option::None;)*
                    #(
                        for __w in self.#ws.iter_mut() {
                            __w.__reset();
                        }
                        self.#ns = 0;
                    )*
                }
            }
        });
    }
    out
}
