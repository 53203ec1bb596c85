//! `STATE_DICT_KEYS`: the state-dict keys of a network, as a `const`, when every key is known at
//! expansion time.
//!
//! Known: `Param` and persistent `Buffer` fields (their own name), and the built-in layers with
//! PyTorch's parameter and buffer names (`Linear`: `weight`, `bias`; `ConvNd`: `weight`, `bias`;
//! `BatchNormNd`: `weight`, `bias`, `running_mean`, `running_var`, `num_batches_tracked`;
//! `LayerNorm`: `weight`, `bias`; `Embedding`: `weight`; activations, pooling, `Flatten`,
//! `Dropout`: none), arrays of them (`blocks.0.weight`, or `block 0.weight` under
//! `#[module(flatten, rename = "block {}")]`), `#[module(rename)]`/`#[module(skip)]`, and
//! `#[share]` fields (listed at both positions, as PyTorch's `state_dict`).
//!
//! The const is omitted when a field is an opaque layer (another network, an RNN, a user type:
//! its keys are only known to its own impl) or when a constructor may change the keys in a way
//! the macro cannot read (`BatchNorm2d::with_options(..)`, `Linear::with_bias(flag)` with a
//! non-literal flag). Literal forms are read: `Linear::no_bias()`, `Linear::with_bias(false)`,
//! `ConvOptions::default().bias(false)`.

use super::fields::{FieldKind, NetField};
use super::layers::{LayerKind, LayerType, ctor};
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

/// `Some(true)` with a bias, `Some(false)` without, `None` when the constructor is not read.
pub fn linear_bias(init: Option<&syn::Expr>) -> Option<bool> {
    let Some(e) = init else { return Some(true) };
    let ch = ctor::chain(e)?;
    if !ch.methods.is_empty() {
        return None;
    }
    match (ch.base.name.as_str(), ch.base.args.as_slice()) {
        ("new" | "default", []) => Some(true),
        ("no_bias", []) => Some(false),
        ("with_bias", [b]) => ctor::bool_lit(b),
        _ => None,
    }
}

/// Whether a conv has a bias: `.bias(false)` in its options turns it off (the conv classifier
/// already rejected every constructor form it does not understand).
pub fn conv_bias(init: Option<&syn::Expr>) -> Option<bool> {
    let Some(e) = init else { return Some(true) };
    let ch = ctor::chain(e)?;
    let mut bias = true;
    let mut scan = |methods: &[ctor::Call]| -> Option<()> {
        for m in methods {
            if m.name == "bias" {
                bias = ctor::bool_lit(m.args.first()?)?;
            }
        }
        Some(())
    };
    if let ("with_options", [o]) = (ch.base.name.as_str(), ch.base.args.as_slice()) {
        scan(&ctor::chain(o)?.methods)?;
    }
    scan(&ch.methods)?;
    Some(bias)
}

/// `true` when the constructor is absent or the plain `new(..)`/`default()`.
pub fn plain_ctor(init: Option<&syn::Expr>) -> bool {
    match init.and_then(ctor::chain) {
        None => init.is_none(),
        Some(ch) => ch.methods.is_empty() && matches!(ch.base.name.as_str(), "new" | "default"),
    }
}

/// The keys of one built-in layer, relative to it; `None` when not known at expansion time.
pub fn layer_keys(l: &LayerType) -> Option<Vec<String>> {
    let init = l.init.as_ref();
    let wb = |bias: bool| if bias { vec!["weight", "bias"] } else { vec!["weight"] };
    let owned = |v: Vec<&str>| v.into_iter().map(String::from).collect::<Vec<String>>();
    let keys = match &l.kind {
        LayerKind::Rnn(r) => return Some(r.keys()),
        LayerKind::Linear { .. } => linear_bias(init).map(wb),
        LayerKind::Conv(_) => conv_bias(init).map(wb),
        LayerKind::BatchNorm { .. } => plain_ctor(init).then(|| vec!["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]),
        LayerKind::LayerNorm(_) => init.and_then(ctor::chain).filter(|c| c.base.name == "new" && c.methods.is_empty()).map(|_| vec!["weight", "bias"]),
        LayerKind::Embedding { .. } => plain_ctor(init).then(|| vec!["weight"]),
        LayerKind::Activation(_) | LayerKind::Kept { .. } | LayerKind::Flatten { .. } | LayerKind::Unflatten { .. } | LayerKind::Pool(_) | LayerKind::AdaptiveAvgPool { .. } => Some(Vec::new()),
        LayerKind::Opaque => None,
    };
    keys.map(owned)
}

/// The `#[module(state_dict_keys = ...)]` attribute for the struct, so that
/// `ConstKeys::STATE_DICT_KEYS` (which `#[derive(Module)]` otherwise composes from the field
/// types, each as its own `new()` builds it) agrees with what `new()` of this network builds:
/// - the list of the inherent `STATE_DICT_KEYS` when this module emits one (written out, so the
///   attribute is also right on the stub struct emitted beside errors);
/// - `none` when a layer's constructor is not its plain `new()`/`default()` and its keys are not
///   read here (`Linear::with_bias(flag)`), or a buffer is non-persistent;
/// - nothing otherwise (the derive's composition is right), or when the user wrote the attribute.
pub fn derive_attr(struct_attrs: &[syn::Attribute], fields: &[NetField]) -> TokenStream {
    let written = struct_attrs
        .iter()
        .any(|a| a.path().is_ident("module") && a.meta.to_token_stream().to_string().contains("state_dict_keys"));
    if written {
        return TokenStream::new();
    }
    if let Some(keys) = known_keys(fields) {
        return quote!(#[module(state_dict_keys = &[#(#keys),*])]);
    }
    let cx = crate::ctxt::Ctxt::default();
    let attrs: Vec<crate::attr::Field> = fields.iter().map(|f| crate::attr::Field::from_ast(&cx, &f.attrs)).collect();
    if cx.check().is_err() {
        return TokenStream::new();
    }
    let plain = fields.iter().zip(&attrs).filter(|(_, a)| a.skip.get().is_none()).all(|(f, _)| match &f.kind {
        FieldKind::Layer(l) | FieldKind::Layers { elem: l, .. } => plain_ctor(l.init.as_ref()),
        FieldKind::Buffer { persistent, .. } => *persistent,
        FieldKind::Param { .. } | FieldKind::Constant { .. } => true,
    });
    if plain { TokenStream::new() } else { quote!(#[module(state_dict_keys = none)]) }
}

fn array_len(e: &syn::Expr) -> Option<usize> {
    ctor::usize_lit(e)
}

/// The state-dict keys when every key is known here; `None` otherwise, and when
/// `#[derive(Module)]` already emits the const (every traversed field a `Param`).
fn known_keys(fields: &[NetField]) -> Option<Vec<String>> {
    let cx = crate::ctxt::Ctxt::default();
    let attrs: Vec<crate::attr::Field> = fields.iter().map(|f| crate::attr::Field::from_ast(&cx, &f.attrs)).collect();
    if cx.check().is_err() {
        return None;
    }
    let traversed: Vec<(&NetField, &crate::attr::Field)> =
        fields.iter().zip(&attrs).filter(|(f, a)| a.skip.get().is_none() && !matches!(f.kind, FieldKind::Constant { .. })).collect();
    if traversed.iter().all(|(f, a)| matches!(f.kind, FieldKind::Param { .. }) && a.flatten.get().is_none()) {
        return None;
    }
    // PyTorch's order: the module's own parameters, then its buffers, then its children.
    let (mut params, mut buffers, mut keys) = (Vec::new(), Vec::new(), Vec::new());
    for (f, a) in traversed {
        let name = a.rename.get().map(|l| l.value()).unwrap_or_else(|| f.name.clone());
        match &f.kind {
            FieldKind::Param { .. } => params.push(name),
            FieldKind::Buffer { persistent, .. } => {
                if *persistent && !a.persistent.get().is_some_and(|b| !b.value) {
                    buffers.push(name);
                }
            }
            FieldKind::Constant { .. } => {}
            FieldKind::Layer(l) => {
                let ks = layer_keys(l)?;
                keys.extend(ks.iter().map(|k| format!("{name}.{k}")));
            }
            FieldKind::Layers { elem, len, .. } => {
                let (ks, n) = (layer_keys(elem)?, array_len(len.as_ref()?)?);
                for i in 0..n {
                    let prefix = if a.flatten.get().is_some() {
                        let pattern = a.rename.get().map(|l| l.value()).unwrap_or_default();
                        if pattern.is_empty() { i.to_string() } else { pattern.replacen("{}", &i.to_string(), 1) }
                    } else {
                        format!("{name}.{i}")
                    };
                    keys.extend(ks.iter().map(|k| format!("{prefix}.{k}")));
                }
            }
        }
    }
    Some(params.into_iter().chain(buffers).chain(keys).collect())
}

/// The `pub const STATE_DICT_KEYS` item, or nothing when a key is not known here (or when
/// `#[derive(Module)]` already emits the const: every traversed field a `Param`).
pub fn state_dict_keys(fields: &[NetField]) -> TokenStream {
    let Some(keys) = known_keys(fields) else { return TokenStream::new() };
    quote! {
        /// The state-dict keys of this network in PyTorch's order, known at compile time (equal to
        /// `state_dict_keys()` at run time).
        pub const STATE_DICT_KEYS: &'static [&'static str] = &[#(#keys),*];
    }
}
