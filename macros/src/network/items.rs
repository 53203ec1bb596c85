//! The items a network expands to: the struct (with `#[derive(Module)]`), `new()`, the checked
//! inherent `forward`, `Default`, and the `Layer` impl with its contexts and helpers.

use super::attr::Init;
use super::autodiff;
use super::codegen::{self, Emit};
use super::fields::{FieldKind, NetField};
use super::ir::Graph;
use super::layers;
use super::parse::{Kind, Network};
use super::shape::{Dim, Dims, Shape};
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

fn private() -> TokenStream {
    quote!(::fusenet::__private)
}

fn dims_tokens(s: &Shape) -> TokenStream {
    let ds = s.dims.iter().map(|d| match d {
        Dim::Lit(n) => quote!(#n),
        Dim::Named(id) => quote!(#id),
        _ => quote!(0usize),
    });
    quote!(&[#(#ds),*])
}

fn init_expr(p: &TokenStream, init: &Init, shape: &Shape) -> TokenStream {
    let d = dims_tokens(shape);
    let with = |f: TokenStream| quote!({ let __t = #p::Tensor::zeros(#d); #f; __t });
    match init {
        Init::Randn => quote!(#p::Tensor::randn(#d)),
        Init::Rand => quote!(#p::Tensor::rand(#d)),
        Init::Zeros => quote!(#p::Tensor::zeros(#d)),
        Init::Ones => quote!(#p::Tensor::ones(#d)),
        Init::Constant(v) => {
            let v = *v as f32;
            quote!(#p::Tensor::full(#d, #v))
        }
        Init::Normal(m, s) => with(quote!(#p::init::normal_(&__t, #m, #s))),
        Init::Uniform(a, b) => with(quote!(#p::init::uniform_(&__t, #a, #b))),
        Init::XavierUniform => with(quote!(#p::init::xavier_uniform_(&__t, 1.0))),
        Init::KaimingUniform => with(quote!(#p::init::kaiming_uniform_(&__t, 0.0, #p::init::FanMode::FanIn, #p::init::Nonlinearity::LeakyRelu))),
    }
}

fn field_type(p: &TokenStream, f: &NetField, dims: &Dims) -> TokenStream {
    match &f.kind {
        FieldKind::Param { .. } => quote!(#p::Param),
        FieldKind::Buffer { .. } => quote!(#p::Buffer),
        FieldKind::Constant { .. } => quote!(#p::Tensor),
        FieldKind::Layer(l) => layers::resolved_type(dims, l).to_token_stream(),
        FieldKind::Layers { elem, len: Some(len), .. } => {
            let t = layers::resolved_type(dims, elem);
            quote!([#t; #len])
        }
        FieldKind::Layers { elem, len: None, .. } => {
            let t = layers::resolved_type(dims, elem);
            quote!(::std::vec::Vec<#t>)
        }
    }
}

fn layer_new(l: &layers::LayerType, dims: &Dims) -> TokenStream {
    layers::build(dims, l)
}

fn field_new(p: &TokenStream, f: &NetField, dims: &Dims) -> TokenStream {
    match &f.kind {
        FieldKind::Param { shape, init } => {
            let e = init_expr(p, init, shape);
            quote!(#p::Param::new(#e))
        }
        FieldKind::Buffer { shape, init, persistent } => {
            let e = init_expr(p, init, shape);
            if *persistent { quote!(#p::Buffer::new(#e)) } else { quote!(#p::Buffer::non_persistent(#e)) }
        }
        FieldKind::Constant { shape, init } => init_expr(p, init, shape),
        FieldKind::Layer(l) => layer_new(l, dims),
        FieldKind::Layers { build: Some(b), elem, .. } => {
            let t = layers::resolved_type(dims, elem);
            quote!({ let __v: ::std::vec::Vec<#t> = #b; __v })
        }
        FieldKind::Layers { elem, .. } => {
            let e = layer_new(elem, dims);
            quote!(::core::array::from_fn(|_| #e))
        }
    }
}

/// The struct, with `#[derive(Module)]` (`#[module(skip)]` on constants).
fn struct_def(net: &Network, fields: &[NetField], dims: &Dims) -> TokenStream {
    let p = private();
    let (attrs, vis, ident, generics) = (&net.attrs, &net.vis, &net.ident, &net.generics);
    let params = &generics.params;
    let types: Vec<TokenStream> = fields.iter().map(|f| field_type(&p, f, dims)).collect();
    let keys_attr = super::keys::derive_attr(attrs, fields);
    match &net.kind {
        Kind::Sequential { .. } => {
            let named = attrs.iter().any(|a| a.path().is_ident("module"));
            let repr = (!named).then(|| quote!(#[module(name = "Sequential")]));
            quote! {
                #[derive(::fusenet::Module)]
                #(#attrs)*
                #repr
                #keys_attr
                #vis struct #ident <#params> (#(pub #types),*);
            }
        }
        Kind::Struct { .. } => {
            let defs = fields.iter().zip(&types).map(|(f, t)| {
                let (fa, fv, m) = (&f.attrs, &f.vis, &f.member);
                quote!(#(#fa)* #fv #m: #t)
            });
            quote! {
                #[derive(::fusenet::Module)]
                #(#attrs)*
                #keys_attr
                #vis struct #ident <#params> { #(#defs),* }
            }
        }
    }
}

/// `assert!` that a runtime shape fits the static input shape.
fn input_check(net: &Network, in_shape: &Shape, text: &str) -> TokenStream {
    arg_check(net, &quote::format_ident!("__x"), "input", in_shape, text)
}

/// `assert!` that the runtime shape of argument `x` fits its static shape.
fn arg_check(net: &Network, x: &proc_macro2::Ident, what: &str, in_shape: &Shape, text: &str) -> TokenStream {
    let n = in_shape.dims.len();
    let rank = if in_shape.rest.is_some() { quote!(__s.len() >= #n) } else { quote!(__s.len() == #n) };
    let checks = in_shape.dims.iter().enumerate().filter_map(|(i, d)| {
        let back = n - i;
        match d {
            Dim::Lit(v) => Some(quote!(&& __s[__s.len() - #back] == #v)),
            Dim::Named(id) if net.generics.params.iter().any(|p| matches!(p, syn::GenericParam::Const(c) if c.ident == *id)) => {
                Some(quote!(&& __s[__s.len() - #back] == #id))
            }
            _ => None,
        }
    });
    let name = net.ident.to_string();
    let msg = format!("{{}}::forward: expected {} {what} of shape {{}}, got {{:?}}", if what.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" });
    quote! {
        let __s = #x.shape();
        assert!(#rank #(#checks)*, #msg, #name, #text, __s);
    }
}

/// `Typed<(Dyn, C<20>)>` for a shape of known rank (at most 6 dims): literal and const-parameter
/// dims are `C<N>`, batch names and unknown dims `Dyn`.
fn typed_shape(p: &TokenStream, dims: &Dims, s: &Shape) -> Option<TokenStream> {
    if s.rest.is_some() || s.dims.len() > 6 {
        return None;
    }
    let ds = s.dims.iter().map(|d| match dims.resolve(d) {
        Dim::Lit(n) => quote!(#p::C<#n>),
        Dim::Named(id) if dims.generics.contains(&id) => quote!(#p::C<#id>),
        _ => quote!(#p::Dyn),
    });
    Some(quote!(#p::Typed<(#(#ds,)*)>))
}

/// The typed entry point: the input's static dims are in its type, so a wrongly shaped typed
/// tensor does not compile.
fn typed_forward(p: &TokenStream, dims: &Dims, in_shape: &Shape, out_shape: &Shape, text: &str) -> TokenStream {
    let Some(input) = typed_shape(p, dims, in_shape) else { return TokenStream::new() };
    let doc = format!("Inference forward on a typed input of shape `{text}`: its static dims are checked by the compiler (build it with `Typed::new`, which checks the runtime shape once).");
    match typed_shape(p, dims, out_shape) {
        Some(output) => quote! {
            #[doc = #doc]
            pub fn forward_typed(&self, __x: &#input) -> #output {
                <#output>::from_proven(<Self as #p::Layer>::forward(self, __x.tensor()))
            }
        },
        None => quote! {
            #[doc = #doc]
            pub fn forward_typed(&self, __x: &#input) -> #p::Tensor {
                <Self as #p::Layer>::forward(self, __x.tensor())
            }
        },
    }
}

/// `IN_DIMS`/`OUT_DIMS`: the trailing dims known at compile time (`ANY` for run-time dims).
fn dims_const(p: &TokenStream, dims: &Dims, s: &Shape) -> TokenStream {
    let ds = s.dims.iter().map(|d| match dims.resolve(d) {
        Dim::Lit(n) => quote!(#n),
        Dim::Named(id) if dims.generics.contains(&id) => quote!(#id),
        _ => quote!(#p::shape::ANY),
    });
    quote!(&[#(#ds),*])
}

/// The checks between composed layers that only the type checker can decide.
fn shape_checks(p: &TokenStream, graph: &Graph) -> TokenStream {
    use super::ir::Side;
    let dim = |side: &Side, back: usize, default: TokenStream| -> TokenStream {
        match side {
            Side::Known(n) => quote!(#n),
            Side::LayerIn(t) => quote!(#p::shape::dim(<#t as #p::Layer>::IN_DIMS, #back, #default)),
            Side::LayerOut(t) => quote!(#p::shape::dim(<#t as #p::Layer>::OUT_DIMS, #back, #default)),
        }
    };
    let checks = graph.checks.iter().map(|c| {
        let want_fallback = dim(&c.want, c.back, quote!(0usize));
        let given = dim(&c.given, c.back, want_fallback);
        let want = dim(&c.want, c.back, given.clone());
        super::text::respan(quote!(#p::shape::check::<{ #given }, { #want }>();), c.span)
    });
    if graph.checks.is_empty() {
        return TokenStream::new();
    }
    quote! {
        #[allow(dead_code, clippy::all)]
        fn __static_shape_checks() {
            #(#checks)*
        }
    }
}

fn helpers(p: &TokenStream) -> TokenStream {
    quote! {
        #[inline]
        fn __acc(slot: &mut ::core::option::Option<#p::Tensor>, g: #p::Tensor, buf: &mut #p::ops::Slot) {
            #p::ops::accumulate_into(slot, g, buf)
        }
        #[allow(dead_code)]
        fn __saved(t: &::core::option::Option<#p::Tensor>) -> &#p::Tensor {
            match t {
                ::core::option::Option::Some(t) => t,
                ::core::option::Option::None => panic!("Layer::backward found no saved tensors: call forward_train first, once per backward (as PyTorch, which refuses to backward through the graph a second time: the saved tensors are freed by the first backward)"),
            }
        }
    }
}

pub fn generate(net: &Network, fields: &[NetField], mut graph: Graph, dims: &Dims, in_shape: &Shape) -> TokenStream {
    // The summary lists the forward as written; everything else runs the rewritten graph.
    let summary = super::summary::methods(net, fields, &graph, dims, in_shape);
    super::rewrite::relu_after_max_pool(&mut graph, fields);
    let graph = &graph;
    let p = private();
    let ident = &net.ident;
    let (impl_g, ty_g, where_c) = net.generics.split_for_impl();
    let def = struct_def(net, fields, dims);
    let locals: Vec<proc_macro2::Ident> = (0..fields.len()).map(|i| quote::format_ident!("__f{}", i)).collect();
    let news = fields.iter().zip(&locals).map(|(f, l)| {
        let e = match f.share {
            Some(j) => {
                let src = &locals[j];
                quote!(#p::Module::share(&#src))
            }
            None => field_new(&p, f, dims),
        };
        (l, e)
    });
    let members = fields.iter().map(|f| &f.member);
    let news: Vec<(&proc_macro2::Ident, TokenStream)> = news.collect();
    let need = autodiff::needs(graph);
    let mut emit = Emit::new(p.clone(), graph, fields, dims, need);
    let backward = emit.backward();
    let fw = emit.forward_block(&graph.body, false);
    let fw = infer_slots(&p, emit.infer_slots, fw);
    let fwt = emit.forward_block(&graph.body, true);
    let ctxs = codegen::ctx_structs(&emit, &net.generics);
    let out = super::ops::v(graph.output);
    let shape_text = match &net.kind {
        Kind::Struct { forward, .. } => super::text::tokens(&forward.in_shape),
        Kind::Sequential { .. } => dims.text(in_shape),
    };
    let check = input_check(net, in_shape, &shape_text);
    let typed = typed_forward(&p, dims, in_shape, &graph.values[graph.output].shape, &shape_text);
    let helpers = helpers(&p);
    let checks = shape_checks(&p, graph);
    let in_dims = dims_const(&p, dims, in_shape);
    let out_dims = dims_const(&p, dims, &graph.values[graph.output].shape);
    let introspect = introspection(summary, net, fields, graph, dims, &emit.groups);
    let doc_new = format!("Builds `{ident}` with every field initialised in declaration order (PyTorch's default init for built-in layers).");
    if let Some(targets) = loss_inputs(net, graph) {
        let body = super::loss_items::LossBody { fw, fwt, backward, out, check, helpers, checks, ctxs, introspect, news: news.iter().map(|(_, e)| e.clone()).collect(), members: members.cloned().collect(), doc_new };
        return super::loss_items::generate(net, &def, graph, dims, targets, fallible(&graph.body), &shape_text, body);
    }
    let news_stmts = news.iter().map(|(l, e)| quote!(let #l = #e;));
    let doc_fw = format!("Inference forward on an input of shape `{shape_text}`; panics naming both shapes when the input does not fit.");
    quote! {
        #def
        const _: () = {
            #helpers
            #checks
            #ctxs
            impl #impl_g #ident #ty_g #where_c {
                #[doc = #doc_new]
                pub fn new() -> Self {
                    #(#news_stmts)*
                    Self { #(#members: #locals),* }
                }
                #[doc = #doc_fw]
                pub fn forward(&self, __x: &#p::Tensor) -> #p::Tensor {
                    #check
                    <Self as #p::Layer>::forward(self, __x)
                }
                #typed
                #introspect
            }
            impl #impl_g ::core::default::Default for #ident #ty_g #where_c {
                fn default() -> Self {
                    Self::new()
                }
            }
            #[allow(unused_variables, unused_mut, clippy::all)]
            impl #impl_g #p::Layer for #ident #ty_g #where_c {
                type Ctx = __Ctx #ty_g;
                const IN_DIMS: &'static [usize] = #in_dims;
                const OUT_DIMS: &'static [usize] = #out_dims;
                fn forward(&self, __x: &#p::Tensor) -> #p::Tensor {
                    #fw
                    #out
                }
                fn forward_train(&self, __x: &#p::Tensor, __c0: &mut Self::Ctx) -> #p::Tensor {
                    __c0.__reset();
                    __c0.__in = #p::Dims::from_slice(__x.shape());
                    #fwt
                    #out
                }
                fn backward(&self, __c0: &mut Self::Ctx, __grad_out: &#p::Tensor, __need_input: bool) -> ::core::option::Option<#p::Tensor> {
                    <Self as #p::Layer>::backward_with(self, __c0, __grad_out, __need_input, ::core::option::Option::None)
                }
                fn backward_with(
                    &self,
                    __c0: &mut Self::Ctx,
                    __grad_out: &#p::Tensor,
                    __need_input: bool,
                    __upd: ::core::option::Option<&dyn #p::FusedUpdate>,
                ) -> ::core::option::Option<#p::Tensor> {
                    #backward
                }
            }
        };
    }
}

/// `summary()`, `print_summary()`, `graph_dot()` and (when every key is known) `STATE_DICT_KEYS`.
fn introspection(summary: TokenStream, net: &Network, fields: &[NetField], graph: &Graph, dims: &Dims, groups: &super::dot::Groups) -> TokenStream {
    let dot = super::dot::graph_dot(&net.ident.to_string(), graph, dims, fields, groups);
    let keys = super::keys::state_dict_keys(fields);
    quote! {
        #summary
        /// The forward IR and the generated backward as Graphviz DOT (`dot -Tsvg`), one cluster
        /// each; nodes are ops labelled with their static shapes, edges the data flow.
        pub fn graph_dot() -> ::std::string::String {
            ::std::string::String::from(#dot)
        }
        #keys
    }
}

/// The inference forward `fw` with its `n` slots taken from a per-thread pool for the call
/// (`ops::ForwardSlots`): repeated inference reuses its buffers as a training step does.
fn infer_slots(p: &TokenStream, n: usize, fw: TokenStream) -> TokenStream {
    if n == 0 {
        return fw;
    }
    let names = (0..n).map(|k| quote::format_ident!("__fws{}", k));
    quote! {
        ::std::thread_local! {
            static __FW_POOL: ::core::cell::RefCell<::std::vec::Vec<#p::ops::Slot>> = const { ::core::cell::RefCell::new(::std::vec::Vec::new()) };
        }
        let mut __fw = #p::ops::ForwardSlots::take(&__FW_POOL, #n);
        let [#(#names),*] = __fw.first::<#n>();
        #fw
    }
}

/// The struct and stub impls beside the errors, so uses of the network do not add errors.
pub fn fallback(net: &Network, fields: &[NetField], generics: &[proc_macro2::Ident]) -> TokenStream {
    let p = private();
    let ident = &net.ident;
    let (impl_g, ty_g, where_c) = net.generics.split_for_impl();
    let mut dims = Dims::default();
    dims.generics = generics.to_vec();
    let def = struct_def(net, fields, &dims);
    if let Kind::Struct { forward, .. } = &net.kind
        && !forward.targets.is_empty()
    {
        return super::loss_items::fallback(net, &def, forward.targets.len());
    }
    quote! {
        #def
        const _: () = {
            impl #impl_g #ident #ty_g #where_c {
                pub fn new() -> Self { ::core::unreachable!() }
                pub fn forward(&self, _: &#p::Tensor) -> #p::Tensor { ::core::unreachable!() }
            }
            impl #impl_g ::core::default::Default for #ident #ty_g #where_c {
                fn default() -> Self { ::core::unreachable!() }
            }
            impl #impl_g #p::Layer for #ident #ty_g #where_c {
                type Ctx = ();
                fn forward(&self, _: &#p::Tensor) -> #p::Tensor { ::core::unreachable!() }
                fn forward_train(&self, _: &#p::Tensor, _: &mut ()) -> #p::Tensor { ::core::unreachable!() }
                fn backward(&self, _: &mut (), _: &#p::Tensor, _: bool) -> ::core::option::Option<#p::Tensor> { ::core::unreachable!() }
            }
        };
    }
}

/// The targets of a network that is generated as a loss network (more than one input, or a
/// loss that can fail on data): `None` for a `Layer`.
fn loss_inputs<'a>(net: &'a Network, graph: &Graph) -> Option<&'a [super::parse::Target]> {
    match &net.kind {
        Kind::Struct { forward, .. } if !forward.targets.is_empty() || fallible(&graph.body) => Some(&forward.targets),
        _ => None,
    }
}

/// Whether a block holds a loss whose forward can fail on data.
fn fallible(b: &super::ir::Block) -> bool {
    use super::ir::Stmt;
    b.stmts.iter().any(|s| match s {
        Stmt::Node(n) => matches!(&n.op, super::ops::Op::Loss { kind, .. } if kind.fallible()),
        Stmt::While(w) => fallible(&w.body) || fallible(&w.cond),
        Stmt::For(f) => fallible(&f.body),
    })
}

pub(super) fn arg_checks(net: &Network, dims: &Dims, targets: &[(proc_macro2::Ident, &super::parse::Target, Shape)]) -> TokenStream {
    let _ = dims;
    targets
        .iter()
        .map(|(x, t, shape)| {
            let what = format!("target `{}`", t.name);
            let check = arg_check(net, x, &what, shape, &super::text::tokens(&t.shape));
            let (dtype, torch) = if t.int { (quote!(I64), "torch.int64") } else { (quote!(F32), "torch.float32") };
            let name = net.ident.to_string();
            let msg = format!("{{}}::forward: expected {what} of dtype {torch}, got {{}}");
            quote! {{
                #check
                assert!(#x.dtype() == ::fusenet::DType::#dtype, #msg, #name, #x.dtype().torch_name());
            }}
        })
        .collect()
}
