//! State-dict keys known at compile time: the [`ConstKeys`] trait and the `const fn` builder
//! ([`KeyList`]) that composes a parent's keys from its fields' keys.
//!
//! `M::STATE_DICT_KEYS` is `Some(keys)` when the keys of a module *as built by its default
//! constructor* (`new()`/`default()`, or, for a derived struct, each field built by its own
//! default) follow from its type, and `None` when they are decided at run time (a `Vec` of
//! layers, an `Option` field, a `Box<dyn Module>`). `Linear`'s and `ConvNd`'s keys include the
//! bias, which `new()` creates; a layer built with `no_bias()` has other keys, which only
//! [`Module::state_dict_keys`](super::Module::state_dict_keys) reports.
//!
//! The trait is separate from [`Module`](super::Module) because a trait with an associated
//! const cannot be a `dyn` trait, and `dyn Module` is everywhere.
//!
//! ```
//! use fusenet_runtime::module::ConstKeys;
//! use fusenet_runtime::nn::{Linear, ReLU};
//! // Evaluated by the compiler: `[Linear<2, 3>; 2]` is a ModuleList.
//! const KEYS: Option<&[&str]> = <[Linear<2, 3>; 2]>::STATE_DICT_KEYS;
//! assert_eq!(KEYS, Some(&["0.weight", "0.bias", "1.weight", "1.bias"][..]));
//! assert_eq!(ReLU::STATE_DICT_KEYS, Some(&[][..]));
//! ```
//!
//! Capacity: a [`KeyList`] holds [`KEY_BYTES`] bytes of keys and [`MAX_KEYS`] keys (ResNet-50 has
//! 320 keys and about 10 KiB of key text). Going over is a compile-time error naming the limit;
//! such a module can give its keys itself with `#[module(state_dict_keys = ...)]`.

use std::fmt;

/// Bytes of key text one [`KeyList`] holds by default.
pub const KEY_BYTES: usize = 16 * 1024;
/// Keys one [`KeyList`] holds by default.
pub const MAX_KEYS: usize = 512;

/// The state-dict keys of a module type, known at compile time.
///
/// `#[derive(Module)]` implements it (when every field type does), as do the built-in layers,
/// arrays, `Vec` (`None`), `Box<M>` and `Box<dyn Module>` (`None`). A hand-written module
/// implements it to appear in the consts of the structs that contain it.
///
/// ```
/// use fusenet_runtime::module::ConstKeys;
/// use fusenet_runtime::nn::{BatchNorm1d, Linear};
/// const _: () = assert!(Linear::<4, 2>::STATE_DICT_KEYS.unwrap().len() == 2);
/// assert_eq!(
///     BatchNorm1d::<3>::STATE_DICT_KEYS.unwrap(),
///     ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
/// );
/// ```
#[diagnostic::on_unimplemented(
    message = "the state-dict keys of `{Self}` are not known at compile time",
    label = "no `ConstKeys` impl",
    note = "`#[derive(Module)]` implements `ConstKeys` when every traversed field type does; a hand-written module implements it itself (`const STATE_DICT_KEYS: Option<&'static [&'static str]> = None;` when its keys are decided at run time)"
)]
pub trait ConstKeys {
    /// The keys of `state_dict()` of a default-built module, in PyTorch's order; `None` when they
    /// depend on run-time choices.
    const STATE_DICT_KEYS: Option<&'static [&'static str]>;
}

/// What one field of a derived struct adds to its parent's keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKeys {
    /// A parameter under the field's name.
    Parameter,
    /// A persistent buffer under the field's name (`Buffer::new`; `#[module(persistent = false)]`
    /// removes it).
    PersistentBuffer,
    /// A child module with these keys (`None`: not known at compile time).
    Module(Option<&'static [&'static str]>),
    /// Not known at compile time (an `Option` field).
    Unknown,
}

/// How a field type contributes to the keys of the struct it is a field of.
#[diagnostic::on_unimplemented(
    message = "the state-dict keys of a `{Self}` field are not known at compile time",
    note = "a field type contributes compile-time keys when it is a `Param`, a `Buffer`, an `Option` of those, or a module that implements `ConstKeys`"
)]
pub trait FieldConstKeys {
    /// This field's contribution.
    const FIELD_KEYS: FieldKeys;
}

impl FieldConstKeys for crate::param::Param {
    const FIELD_KEYS: FieldKeys = FieldKeys::Parameter;
}

impl FieldConstKeys for crate::param::Buffer {
    const FIELD_KEYS: FieldKeys = FieldKeys::PersistentBuffer;
}

#[diagnostic::do_not_recommend]
impl<M: ConstKeys> FieldConstKeys for M {
    const FIELD_KEYS: FieldKeys = FieldKeys::Module(M::STATE_DICT_KEYS);
}

/// `Some` or `None` is the constructor's choice, so the keys are not known, unless `T` adds no
/// key either way (`Option<ReLU>`).
impl<T: FieldConstKeys> FieldConstKeys for Option<T> {
    const FIELD_KEYS: FieldKeys = match T::FIELD_KEYS {
        FieldKeys::Module(Some(k)) if k.is_empty() => FieldKeys::Module(Some(&[])),
        _ => FieldKeys::Unknown,
    };
}

/// The elements of a `#[module(flatten)]` field: how many, and what each adds.
pub trait FlattenConstKeys {
    /// `Some((len, element))` for an array; `None` for a `Vec` (length known at run time).
    const FLAT_KEYS: Option<(usize, FieldKeys)>;
}

impl<T: FieldConstKeys, const N: usize> FlattenConstKeys for [T; N] {
    const FLAT_KEYS: Option<(usize, FieldKeys)> = Some((N, T::FIELD_KEYS));
}

impl<T> FlattenConstKeys for Vec<T> {
    const FLAT_KEYS: Option<(usize, FieldKeys)> = None;
}

/// One field as `#[derive(Module)]` describes it to [`KeyList::push_fields`].
#[derive(Clone, Copy, Debug)]
pub struct FieldEntry {
    /// The key, or for a flattened field the pattern (`"block {}"`, `""` for the bare index).
    name: &'static str,
    /// `None` for one field; `Some` for a flattened one.
    flat: Option<Option<(usize, FieldKeys)>>,
    keys: FieldKeys,
    /// `#[module(persistent = false)]`: the field adds nothing.
    non_persistent: bool,
}

impl FieldEntry {
    /// A field under `name`.
    pub const fn field(name: &'static str, keys: FieldKeys) -> FieldEntry {
        FieldEntry { name, flat: None, keys, non_persistent: false }
    }
    /// A `#[module(flatten)]` field: element `i` under `pattern` with `{}` replaced by `i`.
    pub const fn flatten(pattern: &'static str, elements: Option<(usize, FieldKeys)>) -> FieldEntry {
        FieldEntry { name: pattern, flat: Some(elements), keys: FieldKeys::Unknown, non_persistent: false }
    }
    /// `#[module(persistent = false)]`: the field's buffers are in no state dict.
    pub const fn non_persistent(self) -> FieldEntry {
        FieldEntry { non_persistent: true, ..self }
    }
}

/// A list of keys built in `const` context: key bytes and end offsets in fixed-size arrays (no
/// length depends on a generic parameter, so generic impls can build one).
///
/// ```
/// use fusenet_runtime::module::KeyList;
/// const L: KeyList = {
///     let mut l = KeyList::new();
///     l.push_leaf("weight");
///     l.push_child("net", Some(&["0.weight", "0.bias"]));
///     l
/// };
/// assert_eq!(L, ["weight", "net.0.weight", "net.0.bias"]);
/// assert_eq!(L.get(1), "net.0.weight");
/// assert!(L.is_known() && L.len() == 3);
/// ```
#[derive(Clone, Copy)]
pub struct KeyList<const BYTES: usize = KEY_BYTES, const KEYS: usize = MAX_KEYS> {
    bytes: [u8; BYTES],
    ends: [u32; KEYS],
    len: usize,
    known: bool,
}

impl<const BYTES: usize, const KEYS: usize> Default for KeyList<BYTES, KEYS> {
    fn default() -> Self {
        Self::with_capacity()
    }
}

impl KeyList {
    /// An empty, known list of the default capacity ([`KEY_BYTES`], [`MAX_KEYS`]).
    pub const fn new() -> Self {
        Self::with_capacity()
    }

    /// The list of a struct's fields (what `#[derive(Module)]` builds), default capacity.
    pub const fn from_fields(fields: &[FieldEntry]) -> Self {
        let mut l = Self::new();
        l.push_fields(fields);
        l
    }
}

impl<const BYTES: usize, const KEYS: usize> KeyList<BYTES, KEYS> {
    /// An empty, known list holding up to `BYTES` bytes of keys and `KEYS` keys: the escape for
    /// a module too large for the default (`KeyList::<65536, 2048>::with_capacity()`).
    pub const fn with_capacity() -> Self {
        KeyList { bytes: [0; BYTES], ends: [0; KEYS], len: 0, known: true }
    }

    /// The number of keys.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no key.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `false` once a part of the keys was not known at compile time.
    pub const fn is_known(&self) -> bool {
        self.known
    }

    /// Records that some keys are decided at run time.
    pub const fn mark_unknown(&mut self) {
        self.known = false;
    }

    /// Key `i`. Panics when `i >= len()`.
    pub const fn get(&self, i: usize) -> &str {
        assert!(i < self.len, "KeyList::get: index out of range");
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let (head, _) = self.bytes.split_at(self.ends[i] as usize);
        let (_, key) = head.split_at(start);
        match core::str::from_utf8(key) {
            Ok(s) => s,
            // Only whole `&str`s and ASCII digits are ever written.
            Err(_) => panic!("KeyList: a key is not UTF-8"),
        }
    }

    /// The keys, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len).map(move |i| self.get(i))
    }

    /// Whether the keys equal `other`, in `const` context.
    pub const fn eq_strs(&self, other: &[&str]) -> bool {
        if self.len != other.len() {
            return false;
        }
        let mut i = 0;
        while i < self.len {
            if !bytes_eq(self.get(i).as_bytes(), other[i].as_bytes()) {
                return false;
            }
            i += 1;
        }
        true
    }

    const fn cursor(&self) -> usize {
        if self.len == 0 { 0 } else { self.ends[self.len - 1] as usize }
    }

    const fn write(&mut self, at: usize, s: &[u8]) -> usize {
        if at + s.len() > BYTES {
            panic!("fusenet: the state-dict keys of this module exceed the KeyList capacity in bytes (fusenet::module::KEY_BYTES); give them with #[module(state_dict_keys = ...)] or #[module(state_dict_keys = none)]");
        }
        let mut i = 0;
        while i < s.len() {
            self.bytes[at + i] = s[i];
            i += 1;
        }
        at + s.len()
    }

    const fn write_index(&mut self, at: usize, mut n: usize) -> usize {
        let mut digits = [0u8; 20];
        let mut k = 0;
        loop {
            digits[k] = b'0' + (n % 10) as u8;
            k += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let mut at = at;
        while k > 0 {
            k -= 1;
            at = self.write(at, &[digits[k]]);
        }
        at
    }

    /// `pattern` with its first `{}` replaced by `i`; `i` alone when `pattern` is empty.
    const fn write_name(&mut self, at: usize, pattern: &[u8], i: Option<usize>) -> usize {
        let Some(i) = i else { return self.write(at, pattern) };
        if pattern.is_empty() {
            return self.write_index(at, i);
        }
        let mut at = at;
        let mut j = 0;
        let mut done = false;
        while j < pattern.len() {
            if !done && j + 1 < pattern.len() && pattern[j] == b'{' && pattern[j + 1] == b'}' {
                at = self.write_index(at, i);
                done = true;
                j += 2;
            } else {
                at = self.write(at, &[pattern[j]]);
                j += 1;
            }
        }
        at
    }

    const fn end_key(&mut self, end: usize) {
        if self.len == KEYS {
            panic!("fusenet: this module has more state-dict keys than a KeyList holds (fusenet::module::MAX_KEYS); give them with #[module(state_dict_keys = ...)] or #[module(state_dict_keys = none)]");
        }
        self.ends[self.len] = end as u32;
        self.len += 1;
    }

    /// Appends `key`.
    pub const fn push_leaf(&mut self, key: &str) {
        let end = self.write(self.cursor(), key.as_bytes());
        self.end_key(end);
    }

    /// Appends `name.k` for every key `k` of a child; `None` marks the list unknown.
    pub const fn push_child(&mut self, name: &str, child: Option<&[&str]>) {
        self.push_child_named(name.as_bytes(), None, child);
    }

    const fn push_child_named(&mut self, pattern: &[u8], index: Option<usize>, child: Option<&[&str]>) {
        let Some(keys) = child else {
            self.known = false;
            return;
        };
        let mut i = 0;
        while i < keys.len() {
            let at = self.write_name(self.cursor(), pattern, index);
            let at = self.write(at, b".");
            let end = self.write(at, keys[i].as_bytes());
            self.end_key(end);
            i += 1;
        }
    }

    /// Appends the keys of `n` copies of a field named `"0"`, `"1"`, ... (an array as a
    /// `ModuleList`), in PyTorch's order.
    pub const fn push_repeat(&mut self, n: usize, element: FieldKeys) {
        self.push_fields(&[FieldEntry::flatten("", Some((n, element)))]);
    }

    /// Appends the keys of a derived struct's fields in PyTorch's order: every field's own
    /// parameters, then its persistent buffers, then each child's keys.
    pub const fn push_fields(&mut self, fields: &[FieldEntry]) {
        // Pass 0: parameters, 1: buffers, 2: children.
        let mut pass = 0;
        while pass < 3 {
            let mut f = 0;
            while f < fields.len() {
                let e = fields[f];
                f += 1;
                if e.non_persistent {
                    continue;
                }
                match e.flat {
                    None => self.push_member(pass, e.name.as_bytes(), None, e.keys),
                    Some(None) => self.known = false,
                    Some(Some((n, keys))) => {
                        let mut i = 0;
                        while i < n {
                            self.push_member(pass, e.name.as_bytes(), Some(i), keys);
                            i += 1;
                        }
                    }
                }
            }
            pass += 1;
        }
    }

    const fn push_member(&mut self, pass: usize, pattern: &[u8], index: Option<usize>, keys: FieldKeys) {
        match (pass, keys) {
            (0, FieldKeys::Parameter) | (1, FieldKeys::PersistentBuffer) => {
                let end = self.write_name(self.cursor(), pattern, index);
                self.end_key(end);
            }
            (2, FieldKeys::Module(child)) => self.push_child_named(pattern, index, child),
            (0, FieldKeys::Unknown) => self.known = false,
            _ => {}
        }
    }
}

const fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl<const B: usize, const K: usize> fmt::Debug for KeyList<B, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.known {
            f.write_str("unknown ")?;
        }
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<const B: usize, const K: usize, const B2: usize, const K2: usize> PartialEq<KeyList<B2, K2>> for KeyList<B, K> {
    fn eq(&self, other: &KeyList<B2, K2>) -> bool {
        self.known == other.known && self.iter().eq(other.iter())
    }
}

impl<const B: usize, const K: usize> PartialEq<[&str]> for KeyList<B, K> {
    fn eq(&self, other: &[&str]) -> bool {
        self.eq_strs(other)
    }
}

impl<const B: usize, const K: usize> PartialEq<&[&str]> for KeyList<B, K> {
    fn eq(&self, other: &&[&str]) -> bool {
        self.eq_strs(other)
    }
}

impl<const B: usize, const K: usize, const N: usize> PartialEq<[&str; N]> for KeyList<B, K> {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.eq_strs(other)
    }
}

/// The keys of a `'static` [`KeyList`] as `&'static str`s, so that a const can hand out a
/// `&'static [&'static str]` (see [`const_keys!`](crate::const_keys)).
#[derive(Clone, Copy)]
pub struct KeyStrs<const KEYS: usize = MAX_KEYS> {
    strs: [&'static str; KEYS],
    len: usize,
    known: bool,
}

impl<const KEYS: usize> KeyStrs<KEYS> {
    /// Borrows every key of `list`.
    pub const fn of<const BYTES: usize>(list: &'static KeyList<BYTES, KEYS>) -> Self {
        let mut strs = [""; KEYS];
        let mut i = 0;
        while i < list.len {
            strs[i] = list.get(i);
            i += 1;
        }
        KeyStrs { strs, len: list.len, known: list.known }
    }

    /// `Some(keys)` when the list is known.
    pub const fn as_keys(&'static self) -> Option<&'static [&'static str]> {
        if self.known { Some(self.strs.split_at(self.len).0) } else { None }
    }
}

/// The value of a `STATE_DICT_KEYS` const, `Option<&'static [&'static str]>`, from a
/// [`KeyList`] expression (which may use the impl's generic parameters).
///
/// ```
/// use fusenet_runtime::module::{ConstKeys, FieldKeys, KeyList};
/// struct Twice<M>(M, M);
/// impl<M: ConstKeys> ConstKeys for Twice<M> {
///     const STATE_DICT_KEYS: Option<&'static [&'static str]> = fusenet_runtime::const_keys!({
///         let mut l = KeyList::new();
///         l.push_repeat(2, FieldKeys::Module(M::STATE_DICT_KEYS));
///         l
///     });
/// }
/// assert_eq!(Twice::<fusenet_runtime::nn::Embedding<3, 2>>::STATE_DICT_KEYS.unwrap(), ["0.weight", "1.weight"]);
/// ```
#[macro_export]
macro_rules! const_keys {
    ($list:expr) => {
        $crate::module::KeyStrs::as_keys(&const { $crate::module::KeyStrs::of(&const { $list }) })
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Linear;

    #[test]
    fn fields_in_pytorch_order_with_flatten_patterns() {
        let l = KeyList::from_fields(&[
            FieldEntry::field("child", FieldKeys::Module(Some(&["weight"]))),
            FieldEntry::field("stats", FieldKeys::PersistentBuffer),
            FieldEntry::flatten("block {} x", Some((11, FieldKeys::Parameter))),
            FieldEntry::field("scratch", FieldKeys::PersistentBuffer).non_persistent(),
        ]);
        let keys: Vec<&str> = l.iter().collect();
        assert_eq!(keys[..2], ["block 0 x", "block 1 x"]);
        assert_eq!(keys[10], "block 10 x");
        assert_eq!(keys[11..], ["stats", "child.weight"]);
    }

    #[test]
    fn unknown_parts_make_the_list_unknown() {
        for e in [
            FieldEntry::field("a", FieldKeys::Unknown),
            FieldEntry::field("a", FieldKeys::Module(None)),
            FieldEntry::flatten("", None),
        ] {
            assert!(!KeyList::from_fields(&[e]).is_known());
        }
        assert!(KeyList::from_fields(&[FieldEntry::field("a", FieldKeys::Unknown).non_persistent()]).is_known());
    }

    #[test]
    fn arrays_of_modules_and_params() {
        assert_eq!(<[Linear<1, 1>; 2]>::STATE_DICT_KEYS.unwrap(), ["0.weight", "0.bias", "1.weight", "1.bias"]);
        assert_eq!(<[crate::param::Param; 3]>::STATE_DICT_KEYS.unwrap(), ["0", "1", "2"]);
        assert_eq!(<[Vec<Linear<1, 1>>; 3]>::STATE_DICT_KEYS, None);
    }

    #[test]
    #[should_panic(expected = "exceed the KeyList capacity in bytes")]
    fn too_many_bytes() {
        KeyList::<4, 8>::with_capacity().push_leaf("hello");
    }

    #[test]
    #[should_panic(expected = "more state-dict keys than a KeyList holds")]
    fn too_many_keys() {
        let mut l = KeyList::<64, 2>::with_capacity();
        l.push_repeat(3, FieldKeys::Parameter);
    }

    #[test]
    #[should_panic(expected = "index out of range")]
    fn get_out_of_range() {
        KeyList::new().get(0);
    }
}
