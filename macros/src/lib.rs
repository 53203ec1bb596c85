//! Proc-macros of fusenet: `#[derive(Module)]`.
//!
//! The derive is split as serde_derive splits its own: [`ast`] borrows the input and keeps its
//! spans, [`attr`] parses `#[module(...)]` attributes, [`check`] holds the cross-field rules,
//! [`ctxt`] collects every error so one compile shows them all, and [`expand`] writes the code.

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;

use proc_macro::TokenStream;

/// Implements `fusenet::Module` and `Display` for a struct whose fields are parameters,
/// buffers and sub-modules. See the `fusenet` crate documentation for the attributes.
#[proc_macro_derive(Module, attributes(module))]
pub fn derive_module(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}
