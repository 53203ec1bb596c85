//! `#[module(...)]` attributes on the struct and on its fields.

use crate::ctxt::Ctxt;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::{LitStr, Path};

const MODULE: &str = "module";

/// One attribute value with the tokens it came from (for spans), set at most once.
pub struct Attr<T> {
    name: &'static str,
    value: Option<(proc_macro2::TokenStream, T)>,
}

impl<T> Attr<T> {
    fn none(name: &'static str) -> Self {
        Attr { name, value: None }
    }

    /// Records a value, reporting a duplicate at the second occurrence.
    fn set(&mut self, cx: &Ctxt, obj: impl ToTokens, value: T) {
        let tokens = obj.into_token_stream();
        if self.value.is_some() {
            cx.error_spanned_by(tokens, format!("duplicate module attribute `{}`", self.name));
        } else {
            self.value = Some((tokens, value));
        }
    }

    pub fn get(&self) -> Option<&T> {
        self.value.as_ref().map(|(_, v)| v)
    }

    /// The tokens of the attribute, for an error about it.
    pub fn tokens(&self) -> Option<&proc_macro2::TokenStream> {
        self.value.as_ref().map(|(t, _)| t)
    }
}

/// `#[module(name = "...", crate = "...")]` on the struct.
pub struct Container {
    /// The type name printed in the repr (`name = "Sequential"`).
    pub name: Attr<LitStr>,
    /// The path of the `fusenet` crate (`crate = "fusenet"`), for code inside the workspace.
    pub krate: Attr<Path>,
    /// `state_dict_keys = none` or `state_dict_keys = <&'static [&'static str] expression>`:
    /// the value of `ConstKeys::STATE_DICT_KEYS` instead of the one composed from the fields.
    pub state_dict_keys: Attr<StateDictKeys>,
}

/// The value of `#[module(state_dict_keys = ...)]`.
pub enum StateDictKeys {
    /// `none`: not known at compile time.
    Unknown,
    /// An expression of type `&'static [&'static str]`.
    Given(syn::Expr),
}

/// `#[module(skip | rename = "..." | flatten)]` on a field.
pub struct Field {
    pub skip: Attr<()>,
    pub rename: Attr<LitStr>,
    pub flatten: Attr<()>,
    /// `persistent = false` on a `Buffer` field: kept out of the state dict.
    pub persistent: Attr<syn::LitBool>,
}

fn string_value(meta: &ParseNestedMeta) -> syn::Result<LitStr> {
    let value = meta.value()?;
    value.parse::<LitStr>().map_err(|e| syn::Error::new(e.span(), format!("expected a string literal: `{} = \"...\"`", path_name(&meta.path))))
}

fn path_name(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

/// Skips the rest of an unknown key (`= value` or `(...)`), so later keys are still parsed.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_value(&inner))?;
    }
    Ok(())
}

impl Container {
    pub fn from_ast(cx: &Ctxt, attrs: &[syn::Attribute]) -> Container {
        let mut out = Container { name: Attr::none("name"), krate: Attr::none("crate"), state_dict_keys: Attr::none("state_dict_keys") };
        for attr in attrs.iter().filter(|a| a.path().is_ident(MODULE)) {
            let res = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("name") {
                    let s = string_value(&meta)?;
                    out.name.set(cx, &meta.path, s);
                } else if meta.path.is_ident("crate") {
                    let s = string_value(&meta)?;
                    match s.parse::<Path>() {
                        Ok(p) => out.krate.set(cx, &meta.path, p),
                        Err(_) => cx.error_spanned_by(&s, "expected a path such as `fusenet` or `crate`"),
                    }
                } else if meta.path.is_ident("state_dict_keys") {
                    let e: syn::Expr = meta.value()?.parse()?;
                    let v = match &e {
                        syn::Expr::Path(p) if p.qself.is_none() && p.path.is_ident("none") => StateDictKeys::Unknown,
                        _ => StateDictKeys::Given(e),
                    };
                    out.state_dict_keys.set(cx, &meta.path, v);
                } else if ["skip", "rename", "flatten"].iter().any(|k| meta.path.is_ident(k)) {
                    cx.error_spanned_by(&meta.path, format!("`{}` applies to fields, not to the struct", path_name(&meta.path)));
                    skip_value(&meta)?;
                } else {
                    cx.error_spanned_by(
                        &meta.path,
                        format!("unknown module attribute `{}` on a struct; expected `name`, `crate` or `state_dict_keys`", path_name(&meta.path)),
                    );
                    skip_value(&meta)?;
                }
                Ok(())
            });
            if let Err(e) = res {
                cx.syn_error(e);
            }
        }
        out
    }
}

impl Field {
    pub fn from_ast(cx: &Ctxt, attrs: &[syn::Attribute]) -> Field {
        let mut out = Field {
            skip: Attr::none("skip"),
            rename: Attr::none("rename"),
            flatten: Attr::none("flatten"),
            persistent: Attr::none("persistent"),
        };
        for attr in attrs.iter().filter(|a| a.path().is_ident(MODULE)) {
            let res = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("skip") {
                    out.skip.set(cx, &meta.path, ());
                } else if meta.path.is_ident("flatten") {
                    out.flatten.set(cx, &meta.path, ());
                } else if meta.path.is_ident("rename") {
                    let s = string_value(&meta)?;
                    out.rename.set(cx, &meta.path, s);
                } else if meta.path.is_ident("persistent") {
                    let value = meta.value()?;
                    match value.parse::<syn::LitBool>() {
                        Ok(b) => out.persistent.set(cx, &meta.path, b),
                        Err(e) => cx.error_spanned_by(
                            &meta.path,
                            format!("expected `persistent = true` or `persistent = false` ({e})"),
                        ),
                    }
                } else if meta.path.is_ident("name") || meta.path.is_ident("crate") {
                    let hint = if meta.path.is_ident("name") { "; to change a field's key, use `rename`" } else { "" };
                    cx.error_spanned_by(&meta.path, format!("`{}` applies to the struct, not to a field{hint}", path_name(&meta.path)));
                    skip_value(&meta)?;
                } else {
                    cx.error_spanned_by(
                        &meta.path,
                        format!("unknown module attribute `{}`; expected `skip`, `rename`, `flatten` or `persistent`", path_name(&meta.path)),
                    );
                    skip_value(&meta)?;
                }
                Ok(())
            });
            if let Err(e) = res {
                cx.syn_error(e);
            }
        }
        out
    }
}
