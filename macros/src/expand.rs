//! Code generation for `#[derive(Module)]`.

use crate::ast::{Container, Field};
use crate::attr::StateDictKeys;
use crate::check;
use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;

/// Expands the derive, or returns the combined errors plus a stub impl (so one mistake does
/// not cascade into "no method `state_dict`" errors at every use).
pub fn derive(input: &syn::DeriveInput) -> TokenStream {
    let cx = Ctxt::default();
    let cont = Container::from_ast(&cx, input);
    if let Some(cont) = &cont {
        check::check(&cx, cont);
    }
    match (cx.check(), cont) {
        (Ok(()), Some(cont)) => expand(&cont),
        (Err(err), Some(cont)) if cont.generics.lifetimes().next().is_none() => {
            let mut out = err.into_compile_error();
            out.extend(fallback(&cont));
            out
        }
        (Err(err), _) => err.into_compile_error(),
        // `from_ast` returns `None` only after reporting an error.
        (Ok(()), None) => TokenStream::new(),
    }
}

fn private_path(cont: &Container) -> TokenStream {
    match cont.attrs.krate.get() {
        Some(path) => quote!(#path::__private),
        None => quote!(::fusenet::__private),
    }
}

/// Whether `ty` mentions one of the struct's type parameters (then it needs a where-clause).
fn mentions_type_param(ty: &syn::Type, params: &[&syn::Ident]) -> bool {
    fn scan(ts: TokenStream, params: &[&syn::Ident]) -> bool {
        ts.into_iter().any(|tt| match tt {
            proc_macro2::TokenTree::Ident(id) => params.iter().any(|p| **p == id),
            proc_macro2::TokenTree::Group(g) => scan(g.stream(), params),
            _ => false,
        })
    }
    scan(ty.to_token_stream(), params)
}

/// The generics of the impls: every type parameter is `'static` (`Module: Any`), and each field
/// type that mentions one gets the bound its use needs (serde's approach to inferred bounds).
fn impl_generics(cont: &Container, p: &TokenStream) -> syn::Generics {
    let mut generics = cont.generics.clone();
    let params: Vec<&syn::Ident> = cont.generics.type_params().map(|t| &t.ident).collect();
    let mut preds: Vec<syn::WherePredicate> = Vec::new();
    for ident in &params {
        preds.push(syn::parse_quote!(#ident: 'static));
    }
    for field in &cont.fields {
        if !mentions_type_param(field.ty, &params) {
            continue;
        }
        let ty = field.ty;
        preds.push(if field.is_skipped() {
            syn::parse_quote!(#ty: #p::Clone)
        } else if field.is_flattened() {
            syn::parse_quote!(#ty: #p::FlattenField + #p::Field)
        } else {
            syn::parse_quote!(#ty: #p::Field)
        });
    }
    generics.make_where_clause().predicates.extend(preds);
    generics
}

/// `self.<member>` with every token at the field type's span, so that an unsatisfied bound is
/// reported once, at the type, however many generated calls use the field.
fn member_at_type(field: &Field) -> syn::Member {
    let span = field.ty.span();
    match &field.member {
        syn::Member::Named(id) => {
            let mut id = id.clone();
            id.set_span(span);
            syn::Member::Named(id)
        }
        syn::Member::Unnamed(ix) => syn::Member::Unnamed(syn::Index { index: ix.index, span }),
    }
}

fn visit_stmt(field: &Field, p: &TokenStream, mutable: bool) -> TokenStream {
    let member = member_at_type(field);
    let span = field.ty.span();
    let (borrow, visit_field, visit_flat) = if mutable {
        (quote_spanned!(span=> &mut), quote_spanned!(span=> visit_field_mut), quote_spanned!(span=> visit_flat_mut))
    } else {
        (quote_spanned!(span=> &), quote_spanned!(span=> visit_field), quote_spanned!(span=> visit_flat))
    };
    // Spanned at the field's type, so "not a buffer" points at `Param` in `weight: Param`.
    let mark = field.attrs.persistent.get().map(|on| {
        quote_spanned!(span=> #p::Persistence::set_persistent(&self.#member, #on);)
    });
    let visit = visit_call(field, p, &member, borrow, visit_field, visit_flat);
    quote!(#mark #visit)
}

fn visit_call(
    field: &Field,
    p: &TokenStream,
    member: &syn::Member,
    borrow: TokenStream,
    visit_field: TokenStream,
    visit_flat: TokenStream,
) -> TokenStream {
    let key = field.key();
    let span = field.ty.span();
    if field.is_flattened() {
        let pattern = field.attrs.rename.get().map(|l| l.value()).unwrap_or_default();
        quote_spanned!(span=> #p::FlattenField::#visit_flat(#borrow self.#member, #pattern, __v);)
    } else {
        quote_spanned!(span=> #p::Field::#visit_field(#borrow self.#member, #key, __v);)
    }
}

fn share_init(field: &Field, p: &TokenStream) -> TokenStream {
    let member = member_at_type(field);
    let span = field.ty.span();
    if field.is_skipped() {
        quote_spanned!(span=> #member: #p::Clone::clone(&self.#member))
    } else {
        quote_spanned!(span=> #member: #p::Field::share_field(&self.#member))
    }
}

/// `pub const STATE_DICT_KEYS` when the keys follow from the struct alone: every traversed
/// field is written `Param` (leaf layers such as `MyLinear`, and parameter-free layers).
fn state_dict_keys_const(cont: &Container) -> Option<TokenStream> {
    let traversed: Vec<&Field> = cont.fields.iter().filter(|f| !f.is_skipped()).collect();
    let all_params = traversed.iter().all(|f| {
        !f.is_flattened()
            && matches!(f.ty, syn::Type::Path(tp) if tp.qself.is_none()
                && tp.path.segments.last().is_some_and(|s| s.ident == "Param" && s.arguments.is_none()))
    });
    if !all_params || cont.attrs.state_dict_keys.get().is_some() {
        return None;
    }
    let keys = traversed.iter().map(|f| f.key());
    Some(quote! {
        /// The state-dict keys of this module, in order (every field is a `Param`); equal to
        /// `<Self as ConstKeys>::STATE_DICT_KEYS.unwrap()`.
        pub const STATE_DICT_KEYS: &'static [&'static str] = &[#(#keys),*];
    })
}

/// The `ConstKeys` impl: `STATE_DICT_KEYS` composed at compile time from the fields' types (each
/// field's keys under its name, in PyTorch's order), or the value of
/// `#[module(state_dict_keys = ...)]`.
///
/// The impl requires every traversed field type to report its keys; the bounds are written
/// `for<'__k> Ty: FieldConstKeys` so that a concrete field type without an impl (a hand-written
/// module) makes the impl not apply instead of being a compile error: only a use of the const
/// then fails, naming the missing `ConstKeys`.
fn const_keys_impl(cont: &Container, p: &TokenStream) -> TokenStream {
    let ident = cont.ident;
    let mut generics = impl_generics(cont, p);
    let (_, ty_g, _) = cont.generics.split_for_impl();
    let opt = quote!(::core::option::Option<&'static [&'static str]>);
    let value = match cont.attrs.state_dict_keys.get() {
        Some(StateDictKeys::Unknown) => quote!(::core::option::Option::None),
        Some(StateDictKeys::Given(e)) => quote!(::core::option::Option::Some(#e)),
        None => {
            let traversed = cont.fields.iter().filter(|f| !f.is_skipped());
            let mut entries = Vec::new();
            let mut preds: Vec<syn::WherePredicate> = Vec::new();
            for f in traversed {
                let ty = f.ty;
                let entry = if f.is_flattened() {
                    preds.push(syn::parse_quote!(for<'__k> #ty: #p::FlattenConstKeys));
                    let pattern = f.attrs.rename.get().map(|l| l.value()).unwrap_or_default();
                    quote!(#p::FieldEntry::flatten(#pattern, <#ty as #p::FlattenConstKeys>::FLAT_KEYS))
                } else {
                    preds.push(syn::parse_quote!(for<'__k> #ty: #p::FieldConstKeys));
                    let key = f.key();
                    quote!(#p::FieldEntry::field(#key, <#ty as #p::FieldConstKeys>::FIELD_KEYS))
                };
                let non_persistent = f.attrs.persistent.get().is_some_and(|b| !b.value);
                entries.push(if non_persistent { quote!(#entry.non_persistent()) } else { entry });
            }
            generics.make_where_clause().predicates.extend(preds);
            quote! {
                #p::KeyStrs::as_keys(&const { #p::KeyStrs::of(&const { #p::KeyList::from_fields(&[#(#entries),*]) }) })
            }
        }
    };
    let (impl_g, _, where_c) = generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_g #p::ConstKeys for #ident #ty_g #where_c {
            const STATE_DICT_KEYS: #opt = #value;
        }
    }
}

fn expand(cont: &Container) -> TokenStream {
    let p = private_path(cont);
    let ident = cont.ident;
    let generics = impl_generics(cont, &p);
    let (impl_g, ty_g, where_c) = generics.split_for_impl();
    let type_name = cont.attrs.name.get().map(|l| l.value()).unwrap_or_else(|| ident.to_string());
    let traversed: Vec<&Field> = cont.fields.iter().filter(|f| !f.is_skipped()).collect();
    let visits = traversed.iter().map(|f| visit_stmt(f, &p, false));
    let visits_mut = traversed.iter().map(|f| visit_stmt(f, &p, true));
    let shares = cont.fields.iter().map(|f| share_init(f, &p));
    let keys_const = state_dict_keys_const(cont).map(|c| quote!(impl #impl_g #ident #ty_g #where_c { #c }));
    let keys_impl = const_keys_impl(cont, &p);
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_g #p::Module for #ident #ty_g #where_c {
                fn visit<'__a>(&'__a self, __v: &mut dyn #p::Visitor<'__a>) {
                    #(#visits)*
                }
                fn visit_mut(&mut self, __v: &mut dyn #p::VisitorMut) {
                    #(#visits_mut)*
                }
                fn type_name(&self) -> &'static str {
                    #type_name
                }
                fn as_any(&self) -> &dyn #p::Any {
                    self
                }
                fn as_any_mut(&mut self) -> &mut dyn #p::Any {
                    self
                }
                fn as_module(&self) -> &dyn #p::Module {
                    self
                }
                fn as_module_mut(&mut self) -> &mut dyn #p::Module {
                    self
                }
                fn share(&self) -> Self {
                    Self { #(#shares),* }
                }
                fn share_boxed(&self) -> #p::Box<dyn #p::Module> {
                    #p::Box::new(#p::Module::share(self))
                }
            }
            #[automatically_derived]
            impl #impl_g #p::Display for #ident #ty_g #where_c {
                fn fmt(&self, __f: &mut #p::Formatter<'_>) -> #p::FmtResult {
                    #p::fmt_module(self, __f)
                }
            }
            #keys_const
            #keys_impl
        };
    }
}

/// A stub `Module` impl emitted beside the errors.
fn fallback(cont: &Container) -> TokenStream {
    let p = private_path(cont);
    let ident = cont.ident;
    let generics = impl_generics(cont, &p);
    let (impl_g, ty_g, where_c) = generics.split_for_impl();
    quote! {
        const _: () = {
            impl #impl_g #p::Module for #ident #ty_g #where_c {
                fn visit<'__a>(&'__a self, _: &mut dyn #p::Visitor<'__a>) {}
                fn visit_mut(&mut self, _: &mut dyn #p::VisitorMut) {}
                fn type_name(&self) -> &'static str { ::core::unreachable!() }
                fn as_any(&self) -> &dyn #p::Any { ::core::unreachable!() }
                fn as_any_mut(&mut self) -> &mut dyn #p::Any { ::core::unreachable!() }
                fn as_module(&self) -> &dyn #p::Module { ::core::unreachable!() }
                fn as_module_mut(&mut self) -> &mut dyn #p::Module { ::core::unreachable!() }
                fn share(&self) -> Self { ::core::unreachable!() }
                fn share_boxed(&self) -> #p::Box<dyn #p::Module> { ::core::unreachable!() }
            }
        };
    }
}
