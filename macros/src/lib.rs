//! Proc-macros of fusenet.

use proc_macro::TokenStream;

#[proc_macro_derive(Module, attributes(module))]
pub fn derive_module(input: TokenStream) -> TokenStream {
    let _ = input;
    TokenStream::new()
}
