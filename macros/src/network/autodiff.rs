//! Reverse-mode differentiation by source transformation on the IR.
//!
//! [`needs`] decides, per value, whether a gradient can ever be asked of it: `Always` when it
//! depends on a parameter or a layer with parameters, `IfInput` when it depends only on the
//! input (then only when the caller asks for the input gradient), `Never` otherwise (constants).
//! [`Emit::backward`] writes the backward: statements in reverse order, one gradient slot
//! (`Option<Tensor>`) per value declared in the block that defines it, fan-out contributions
//! added into the slot, loops walked backwards over their saved iteration contexts.

use super::codegen::Emit;
use super::ir::{Block, Carried, Graph, Stmt, ValueId};
use super::ops::{self, Op};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Need {
    Never,
    IfInput,
    Always,
}

pub fn needs(g: &Graph) -> Vec<Need> {
    let mut need = vec![Need::Never; g.values.len()];
    block(&g.body, &mut need);
    // A value the result does not depend on gets no gradient (and its inputs are not saved).
    let reach = reaches(g);
    for (n, r) in need.iter_mut().zip(reach) {
        if !r {
            *n = Need::Never;
        }
    }
    need
}

/// Which values the result depends on (through op operands and loop-carried values; a `while`
/// condition steers the control flow but is not differentiated).
fn reaches(g: &Graph) -> Vec<bool> {
    let mut reach = vec![false; g.values.len()];
    reach[g.output] = true;
    loop {
        let mut changed = false;
        reach_block(&g.body, &mut reach, &mut changed);
        if !changed {
            return reach;
        }
    }
}

fn reach_block(b: &Block, reach: &mut [bool], changed: &mut bool) {
    for s in b.stmts.iter().rev() {
        match s {
            Stmt::Node(n) => {
                if reach[n.out] {
                    for v in ops::operands(&n.op) {
                        mark(v, reach, changed);
                    }
                }
            }
            Stmt::While(w) => {
                carried_reach(&w.carried, reach, changed);
                reach_block(&w.body, reach, changed);
            }
            Stmt::For(f) => {
                carried_reach(&f.carried, reach, changed);
                reach_block(&f.body, reach, changed);
            }
        }
    }
}

fn mark(v: ValueId, reach: &mut [bool], changed: &mut bool) {
    if !reach[v] {
        reach[v] = true;
        *changed = true;
    }
}

/// `result` is the last `param`; a `param` is `outer` on entry and `next` after an iteration.
fn carried_reach(carried: &[Carried], reach: &mut [bool], changed: &mut bool) {
    for c in carried {
        if reach[c.result] {
            mark(c.param, reach, changed);
        }
        if reach[c.param] {
            mark(c.outer, reach, changed);
            mark(c.next, reach, changed);
        }
    }
}

fn block(b: &Block, need: &mut [Need]) {
    for s in &b.stmts {
        match s {
            Stmt::Node(n) => {
                need[n.out] = match &n.op {
                    Op::Input => Need::IfInput,
                    Op::Param(_) | Op::Linear(..) | Op::Layer { params: true, .. } => Need::Always,
                    Op::Tensor(_) => Need::Never,
                    op => ops::operands(op).iter().map(|&v| need[v]).max().unwrap_or(Need::Never),
                };
            }
            Stmt::While(w) => {
                loop_fixpoint(&w.carried, &w.body, need);
                block(&w.cond, need);
            }
            Stmt::For(f) => loop_fixpoint(&f.carried, &f.body, need),
        }
    }
}

/// A carried value needs a gradient when it does on entry or after any iteration.
fn loop_fixpoint(carried: &[Carried], body: &Block, need: &mut [Need]) {
    for c in carried {
        need[c.param] = need[c.outer];
    }
    loop {
        block(body, need);
        let mut changed = false;
        for c in carried {
            let n = need[c.param].max(need[c.next]);
            if n != need[c.param] {
                need[c.param] = n;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for c in carried {
        need[c.result] = need[c.param];
    }
}

pub fn gv(v: ValueId) -> proc_macro2::Ident {
    format_ident!("__gv{}", v)
}

/// The values a block defines (node outputs and loop results), in order.
fn defined(b: &Block) -> Vec<ValueId> {
    let mut out = Vec::new();
    for s in &b.stmts {
        match s {
            Stmt::Node(n) => out.push(n.out),
            Stmt::While(w) => out.extend(w.carried.iter().map(|c| c.result)),
            Stmt::For(f) => out.extend(f.carried.iter().map(|c| c.result)),
        }
    }
    out
}

impl Emit<'_> {
    fn slots(&self, vals: impl IntoIterator<Item = ValueId>) -> TokenStream {
        let p = &self.p;
        let mut out = TokenStream::new();
        for v in vals {
            if self.need[v] != Need::Never {
                let g = gv(v);
                out.extend(quote!(let mut #g: ::core::option::Option<#p::Tensor> = ::core::option::Option::None;));
            }
        }
        out
    }

    /// `Some(g)` into the slot of `v` when it has one.
    fn seed(&mut self, v: ValueId, g: TokenStream) -> TokenStream {
        if self.need[v] == Need::Never {
            return TokenStream::new();
        }
        let slot = gv(v);
        let buf = ops::Gen::slot(self);
        quote!(if let ::core::option::Option::Some(__t) = #g { __acc(&mut #slot, __t, #buf); })
    }

    /// The body of `Layer::backward`.
    pub fn backward(&mut self) -> TokenStream {
        self.in_backward = true;
        let out = self.backward_body();
        self.in_backward = false;
        out
    }

    fn backward_body(&mut self) -> TokenStream {
        let g = self.graph;
        let p = self.p.clone();
        let slots = self.slots(defined(&g.body));
        let seed = self.seed(g.output, quote!(::core::option::Option::Some(#p::Tensor::shallow_clone(__grad_out))));
        let body = self.bw_block(&g.body);
        let gin = gv(g.input);
        let ret = if self.need[g.input] == Need::Never {
            quote!(__need_input.then(|| #p::Tensor::zeros(&__c0.__in)))
        } else {
            quote!(if __need_input { ::core::option::Option::Some(#gin.take().unwrap_or_else(|| #p::Tensor::zeros(&__c0.__in))) } else { ::core::option::Option::None })
        };
        // The saved handles are dropped once used (PyTorch frees a graph's saved tensors after
        // its backward), so the next step finds every buffer free to reuse.
        quote! {
            #slots
            #seed
            #body
            let __ret = #ret;
            __c0.__reset();
            __ret
        }
    }

    fn bw_block(&mut self, b: &Block) -> TokenStream {
        let mut out = TokenStream::new();
        for s in b.stmts.iter().rev() {
            match s {
                Stmt::Node(n) => {
                    if self.need[n.out] == Need::Never || matches!(n.op, Op::Input | Op::Tensor(_)) {
                        continue;
                    }
                    self.scopes[self.scope].pool.current = Some(n.out);
                    let code = ops::backward(&n.op, n.out, self);
                    self.scopes[self.scope].pool.done();
                    if code.is_empty() {
                        continue;
                    }
                    let slot = gv(n.out);
                    out.extend(quote! {
                        if let ::core::option::Option::Some(__g) = #slot.take() {
                            #code
                        }
                    });
                }
                Stmt::While(w) => out.extend(self.bw_loop(w.id, &w.carried, &w.body, None)),
                Stmt::For(f) => out.extend(self.bw_loop(f.id, &f.carried, &f.body, Some(f.field))),
            }
        }
        out
    }

    /// A loop backwards: one pass of the body's backward per saved iteration context, last first.
    fn bw_loop(&mut self, id: usize, carried: &[Carried], body: &Block, field: Option<usize>) -> TokenStream {
        let live: Vec<(usize, &Carried)> = carried.iter().enumerate().filter(|(_, c)| self.need[c.param] != Need::Never).collect();
        let gc = |i: usize| format_ident!("__gc{}_{}", id, i);
        let mut enter = TokenStream::new();
        let mut seeds = TokenStream::new();
        let mut carry_out = TokenStream::new();
        let mut leave = TokenStream::new();
        for (i, c) in &live {
            let (g, r, param) = (gc(*i), gv(c.result), gv(c.param));
            enter.extend(quote!(let mut #g = #r.take();));
            seeds.extend(self.seed(c.next, quote!(#g.take())));
            carry_out.extend(quote!(#g = #param.take();));
            leave.extend(self.seed(c.outer, quote!(#g)));
        }
        let (outer_ctx, inner_ctx) = (format_ident!("__c{}", self.depth), format_ident!("__c{}", self.depth + 1));
        let saved = (self.scope, self.depth);
        self.scope = id + 1;
        self.depth += 1;
        let slots = self.slots(carried.iter().map(|c| c.param).chain(defined(body)));
        let inner = self.bw_block(body);
        (self.scope, self.depth) = saved;
        let w = format_ident!("w{}", id);
        let n = format_ident!("n{}", id);
        let head = match field {
            None => quote!(for #inner_ctx in #outer_ctx.#w[..#outer_ctx.#n].iter_mut().rev()),
            Some(_) => quote!(for (__i, #inner_ctx) in #outer_ctx.#w[..#outer_ctx.#n].iter_mut().enumerate().rev()),
        };
        let elem = match field {
            Some(f) => {
                let m = self.member(f);
                let e = format_ident!("__e{}", id);
                quote!(let #e = &self.#m[__i];)
            }
            None => TokenStream::new(),
        };
        quote! {
            {
                #enter
                #head {
                    #elem
                    #slots
                    #seeds
                    #inner
                    #carry_out
                }
                #leave
            }
        }
    }
}
