//! Cross-field rules, one function each; every violation goes to the `Ctxt`.

use crate::ast::{Container, Field};
use crate::ctxt::Ctxt;
use std::collections::HashMap;

pub fn check(cx: &Ctxt, cont: &Container) {
    check_lifetimes(cx, cont);
    for field in &cont.fields {
        check_skip_alone(cx, field);
        check_flatten_type(cx, field);
        check_rename(cx, field);
    }
    check_duplicate_keys(cx, cont);
    check_type_name(cx, cont);
}

/// A module owns its parameters: it is `'static`, so a struct with lifetimes cannot be one.
fn check_lifetimes(cx: &Ctxt, cont: &Container) {
    for lt in cont.generics.lifetimes() {
        cx.error_spanned_by(lt, "a module must own its fields (`Module: 'static`), so it cannot have lifetime parameters");
    }
}

/// `skip` removes the field from every walk, so `rename` or `flatten` beside it mean nothing.
fn check_skip_alone(cx: &Ctxt, field: &Field) {
    if field.attrs.skip.get().is_none() {
        return;
    }
    if let Some(t) = field.attrs.rename.tokens() {
        cx.error_spanned_by(t, "`skip` cannot be combined with `rename`: a skipped field has no key");
    }
    if let Some(t) = field.attrs.flatten.tokens() {
        cx.error_spanned_by(t, "`skip` cannot be combined with `flatten`: a skipped field is not traversed");
    }
    if let Some(t) = field.attrs.persistent.tokens() {
        cx.error_spanned_by(t, "`skip` cannot be combined with `persistent`: a skipped field is in no state dict");
    }
}

/// Whether a type is written as an array or a `Vec` (the collections `flatten` spreads).
fn is_collection(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Array(_) => true,
        syn::Type::Path(p) => p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Vec"),
        syn::Type::Group(g) => is_collection(&g.elem),
        syn::Type::Paren(p) => is_collection(&p.elem),
        _ => false,
    }
}

/// `flatten` spreads the elements of a `Vec` or an array into the struct.
fn check_flatten_type(cx: &Ctxt, field: &Field) {
    if field.is_flattened() && !is_collection(field.ty) {
        cx.error_spanned_by(
            field.ty,
            "`#[module(flatten)]` applies to a `Vec` or an array field, whose elements become children \"0\", \"1\", ...; \
             this field is one module, so remove `flatten`",
        );
    }
}

/// Keys are non-empty, contain no `.` (the path separator), and a `flatten` pattern has one `{}`.
fn check_rename(cx: &Ctxt, field: &Field) {
    let Some(lit) = field.attrs.rename.get() else {
        return;
    };
    let value = lit.value();
    let holes = value.matches("{}").count();
    if value.is_empty() {
        cx.error_spanned_by(lit, "`rename` needs a non-empty key");
    } else if value.contains('.') {
        cx.error_spanned_by(lit, format!("key {value:?} contains `.`, which separates the parts of a state-dict path"));
    } else if field.is_flattened() && holes != 1 {
        cx.error_spanned_by(
            lit,
            format!("with `flatten`, `rename` is a pattern with one `{{}}` for the index, as in \"block {{}}\"; found {holes} in {value:?}"),
        );
    } else if !field.is_flattened() && holes != 0 {
        cx.error_spanned_by(lit, "`{}` in `rename` is an index placeholder, which needs `flatten` on a `Vec` or array field");
    }
}

/// Two fields with one key would overwrite each other in the state dict.
fn check_duplicate_keys(cx: &Ctxt, cont: &Container) {
    let mut seen: HashMap<String, String> = HashMap::new();
    for field in cont.fields.iter().filter(|f| !f.is_skipped() && !f.is_flattened()) {
        let key = field.key();
        let who = match &field.original.ident {
            Some(id) => format!("field `{id}`"),
            None => format!("field {key}"),
        };
        if let Some(first) = seen.get(&key) {
            cx.error_spanned_by(field.key_span_tokens(), format!("duplicate key {key:?}: {first} already uses it"));
        } else {
            seen.insert(key, who);
        }
    }
}

fn check_type_name(cx: &Ctxt, cont: &Container) {
    if let Some(lit) = cont.attrs.name.get()
        && lit.value().is_empty()
    {
        cx.error_spanned_by(lit, "`name` needs a non-empty type name");
    }
}
