//! Proc-macros of fusenet: `#[derive(Module)]` and `network!`.
//!
//! The derive is split as serde_derive splits its own: [`ast`] borrows the input and keeps its
//! spans, [`attr`] parses `#[module(...)]` attributes, [`check`] holds the cross-field rules,
//! [`ctxt`] collects every error so one compile shows them all, and [`expand`] writes the code.

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod network;

use proc_macro::TokenStream;

/// Implements `fusenet::Module` and `Display` for a struct whose fields are parameters,
/// buffers and sub-modules, and `fusenet::module::ConstKeys` (the state-dict keys as a `const`,
/// composed from the field types) when every field type has compile-time keys. See the
/// `fusenet` crate documentation for the attributes and an example.
#[proc_macro_derive(Module, attributes(module))]
pub fn derive_module(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}

/// Compiles a network: fields and a forward written in Rust syntax become the struct (with
/// `#[derive(Module)]`), `new()`, a shape-checked `forward`, and a `Layer` impl whose
/// `backward` is derived at compile time. See the `fusenet` crate documentation for the language.
#[proc_macro]
pub fn network(input: TokenStream) -> TokenStream {
    network::expand(input.into()).into()
}
