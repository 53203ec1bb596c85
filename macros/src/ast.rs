//! A small AST over `syn::DeriveInput` that keeps references to the original tokens.

use crate::attr;
use crate::ctxt::Ctxt;
use syn::ext::IdentExt;

/// The struct being derived.
pub struct Container<'a> {
    pub ident: &'a syn::Ident,
    pub generics: &'a syn::Generics,
    pub attrs: attr::Container,
    pub fields: Vec<Field<'a>>,
}

/// One field of the struct.
pub struct Field<'a> {
    /// `self.<member>`: a name or a tuple index.
    pub member: syn::Member,
    pub ty: &'a syn::Type,
    pub attrs: attr::Field,
    /// The whole field, for error spans.
    pub original: &'a syn::Field,
}

impl<'a> Container<'a> {
    /// `None` (with an error in `cx`) when the input is not a struct.
    pub fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Option<Container<'a>> {
        let attrs = attr::Container::from_ast(cx, &input.attrs);
        let fields = match &input.data {
            syn::Data::Struct(data) => &data.fields,
            syn::Data::Enum(data) => {
                cx.error_spanned_by(
                    data.enum_token,
                    "`#[derive(Module)]` supports structs only, not enums; to choose a layer at run time, use a `Box<dyn Module>` field",
                );
                return None;
            }
            syn::Data::Union(data) => {
                cx.error_spanned_by(data.union_token, "`#[derive(Module)]` supports structs only, not unions");
                return None;
            }
        };
        let fields = fields
            .iter()
            .enumerate()
            .map(|(i, f)| Field {
                member: match &f.ident {
                    Some(id) => syn::Member::Named(id.clone()),
                    None => syn::Member::Unnamed(syn::Index { index: i as u32, span: proc_macro2::Span::call_site() }),
                },
                ty: &f.ty,
                attrs: attr::Field::from_ast(cx, &f.attrs),
                original: f,
            })
            .collect();
        Some(Container { ident: &input.ident, generics: &input.generics, attrs, fields })
    }
}

impl Field<'_> {
    /// The key in the state dict: `rename`, else the field name (raw prefix removed), else the index.
    pub fn key(&self) -> String {
        if let Some(r) = self.attrs.rename.get() {
            return r.value();
        }
        match &self.member {
            syn::Member::Named(id) => id.unraw().to_string(),
            syn::Member::Unnamed(ix) => ix.index.to_string(),
        }
    }

    pub fn is_skipped(&self) -> bool {
        self.attrs.skip.get().is_some()
    }

    pub fn is_flattened(&self) -> bool {
        self.attrs.flatten.get().is_some()
    }

    /// The tokens an error about this field's key should point at.
    pub fn key_span_tokens(&self) -> proc_macro2::TokenStream {
        use quote::ToTokens;
        match (self.attrs.rename.get(), &self.original.ident) {
            (Some(lit), _) => lit.to_token_stream(),
            (None, Some(id)) => id.to_token_stream(),
            (None, None) => self.ty.to_token_stream(),
        }
    }
}
