//! The items of a loss network: a forward with target inputs (`fn forward(x: [B, 784],
//! target: [B] as i64) -> []`) or a loss that can fail on data. Such a network is not a
//! [`Layer`](fusenet_runtime::module::Layer) (which takes one input); it gets inherent
//! `forward(&self, x, targets..)`, `forward_train(&self, x, targets.., ctx)` and
//! `backward(&self, ctx, grad_out, need_input_grad)`, where `grad_out` is a number (`1.0` for a
//! 0-d loss) or a tensor shaped like the output. With a class loss or `binary_cross_entropy`
//! the forwards return `fusenet::Result<Tensor>`: a class index out of range is an error.

use super::ir::{Graph, Stmt};
use super::ops::Op;
use super::parse::{Network, Target};
use super::shape::{Dims, Shape};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// The pieces [`items::generate`](super::items::generate) builds for either kind of network.
pub struct LossBody {
    pub fw: TokenStream,
    pub fwt: TokenStream,
    pub backward: TokenStream,
    pub out: Ident,
    pub check: TokenStream,
    pub helpers: TokenStream,
    pub checks: TokenStream,
    pub ctxs: TokenStream,
    pub introspect: TokenStream,
    pub news: Vec<TokenStream>,
    pub members: Vec<syn::Member>,
    pub doc_new: String,
}

/// The static shape of each target input (`Op::Arg(k)`), in order.
fn target_shapes(graph: &Graph, n: usize) -> Vec<Shape> {
    let mut out = vec![Shape::scalar(); n];
    for s in &graph.body.stmts {
        if let Stmt::Node(node) = s
            && let Op::Arg(k) = node.op
            && k >= 1
            && k <= n
        {
            out[k - 1] = graph.values[node.out].shape.clone();
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
pub fn generate(net: &Network, def: &TokenStream, graph: &Graph, dims: &Dims, targets: &[Target], fallible: bool, shape_text: &str, b: LossBody) -> TokenStream {
    let p = quote!(::fusenet::__private);
    let ident = &net.ident;
    let (impl_g, ty_g, where_c) = net.generics.split_for_impl();
    let xs: Vec<Ident> = (1..=targets.len()).map(|k| format_ident!("__x{}", k)).collect();
    let shapes = target_shapes(graph, targets.len());
    let with: Vec<(Ident, &Target, Shape)> = xs.iter().cloned().zip(targets).zip(shapes).map(|((x, t), s)| (x, t, s)).collect();
    let target_checks = super::items::arg_checks(net, dims, &with);
    let names: Vec<&Ident> = targets.iter().map(|t| &t.name).collect();
    let LossBody { fw, fwt, backward, out, check, helpers, checks, ctxs, introspect, news, members, doc_new } = b;
    let locals: Vec<Ident> = (0..news.len()).map(|i| format_ident!("__f{}", i)).collect();
    let (ret, ok) = if fallible { (quote!(::fusenet::Result<#p::Tensor>), quote!(::core::result::Result::Ok(#out))) } else { (quote!(#p::Tensor), quote!(#out)) };
    let args = quote!(__x: &#p::Tensor #(, #xs: &#p::Tensor)*);
    let list = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
    let err = if fallible { " Returns `Err` when the data does not fit the loss (a class index out of range, a probability outside [0, 1])." } else { "" };
    let doc_fw = format!("Inference forward on an input of shape `{shape_text}` and the targets {list}; panics naming both shapes when one does not fit.{err}");
    let doc_fwt = format!(
        "Training forward: as `forward`, saving into `ctx` (start from `Default::default()`) what `backward` needs. `{ident}` takes targets, so it is not a `Layer`."
    );
    let doc_bw_with = "`backward` that may apply `update`'s optimiser step to a parameter as soon as its gradient is final, instead of storing the gradient (plain SGD, for `Linear` layers called once: see `fusenet::optim::FusedUpdate`); the result equals `backward` then `step`.";
    let doc_bw = "The backward of the last `forward_train` into `ctx`: accumulates every parameter's gradient and returns the input's when `need_input_grad`. `grad_out` is a number (`1.0` for a 0-d loss) or a tensor shaped like the output; the targets are not differentiated.";
    quote! {
        #def
        const _: () = {
            #helpers
            #checks
            #ctxs
            #[allow(unused_variables, unused_mut, clippy::all)]
            impl #impl_g #ident #ty_g #where_c {
                #[doc = #doc_new]
                pub fn new() -> Self {
                    #(let #locals = #news;)*
                    Self { #(#members: #locals),* }
                }
                #[doc = #doc_fw]
                pub fn forward(&self, #args) -> #ret {
                    #check
                    #target_checks
                    #fw
                    #ok
                }
                #[doc = #doc_fwt]
                pub fn forward_train(&self, #args, __c0: &mut __Ctx #ty_g) -> #ret {
                    #check
                    #target_checks
                    __c0.__reset();
                    __c0.__in = #p::Dims::from_slice(__x.shape());
                    #fwt
                    #ok
                }
                #[doc = #doc_bw]
                pub fn backward(&self, __c0: &mut __Ctx #ty_g, __grad_out: impl #p::ops::GradSeed, __need_input: bool) -> ::core::option::Option<#p::Tensor> {
                    self.backward_with(__c0, __grad_out, __need_input, ::core::option::Option::None)
                }
                #[doc = #doc_bw_with]
                pub fn backward_with(
                    &self,
                    __c0: &mut __Ctx #ty_g,
                    __grad_out: impl #p::ops::GradSeed,
                    __need_input: bool,
                    __upd: ::core::option::Option<&dyn #p::FusedUpdate>,
                ) -> ::core::option::Option<#p::Tensor> {
                    let __grad_seed = #p::ops::GradSeed::into_grad(__grad_out);
                    let __grad_out: &#p::Tensor = &__grad_seed;
                    #backward
                }
                #introspect
            }
            impl #impl_g ::core::default::Default for #ident #ty_g #where_c {
                fn default() -> Self {
                    Self::new()
                }
            }
        };
    }
}

/// Stubs beside the errors of a network with targets.
pub fn fallback(net: &Network, def: &TokenStream, n: usize) -> TokenStream {
    let p = quote!(::fusenet::__private);
    let ident = &net.ident;
    let (impl_g, ty_g, where_c) = net.generics.split_for_impl();
    let args = (0..=n).map(|k| {
        let x = format_ident!("_x{}", k);
        quote!(#x: &#p::Tensor)
    });
    quote! {
        #def
        const _: () = {
            impl #impl_g #ident #ty_g #where_c {
                pub fn new() -> Self { ::core::unreachable!() }
                pub fn forward(&self, #(#args),*) -> ::fusenet::Result<#p::Tensor> { ::core::unreachable!() }
            }
            impl #impl_g ::core::default::Default for #ident #ty_g #where_c {
                fn default() -> Self { ::core::unreachable!() }
            }
        };
    }
}
