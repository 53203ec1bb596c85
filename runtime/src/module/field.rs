//! How each kind of struct field is traversed: the `Field` and `FlattenField` traits, and the
//! `Module` impls of the collections (`Vec`, arrays) and of `Box`.

use super::{ConstKeys, FieldConstKeys, KeyList, Module, Visitor, VisitorMut};
use crate::param::{Buffer, Param};
use std::any::Any;

/// A type that can be a traversed field of a `#[derive(Module)]` struct.
///
/// | field type | reported as |
/// |---|---|
/// | [`Param`] | a parameter under the field's name |
/// | [`Buffer`] | a buffer under the field's name |
/// | any `M: Module` | a child module |
/// | `Vec<T>`, `[T; N]` | a child module (PyTorch's `ModuleList`) holding `"0"`, `"1"`, ... |
/// | `Box<M>`, `Box<dyn Module>` | the boxed module, transparently |
/// | `Option<T>` | `T` when `Some`, nothing when `None` |
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a field of a `#[derive(Module)]` struct",
    label = "not a `Param`, `Buffer` or module",
    note = "a module field is a `Param`, a `Buffer`, a type that implements `Module`, or an `Option`, `Vec`, array or `Box` of those",
    note = "for a configuration value or a constant tensor, mark the field `#[module(skip)]`"
)]
pub trait Field {
    /// Reports the field, named `name`, to `v`.
    fn visit_field<'a>(&'a self, name: &str, v: &mut dyn Visitor<'a>);
    /// Reports the field, named `name`, to `v`, mutably.
    fn visit_field_mut(&mut self, name: &str, v: &mut dyn VisitorMut);
    /// A second handle onto the same storage (see [`Module::share`]).
    fn share_field(&self) -> Self
    where
        Self: Sized;
}

impl Field for Param {
    fn visit_field<'a>(&'a self, name: &str, v: &mut dyn Visitor<'a>) {
        v.param(name, self);
    }
    fn visit_field_mut(&mut self, name: &str, v: &mut dyn VisitorMut) {
        v.param(name, self);
    }
    fn share_field(&self) -> Param {
        self.share()
    }
}

impl Field for Buffer {
    fn visit_field<'a>(&'a self, name: &str, v: &mut dyn Visitor<'a>) {
        v.buffer(name, self);
    }
    fn visit_field_mut(&mut self, name: &str, v: &mut dyn VisitorMut) {
        v.buffer(name, self);
    }
    fn share_field(&self) -> Buffer {
        self.share()
    }
}

// `do_not_recommend`: for a field type that is not a module field, the error speaks of `Field`
// (with its on_unimplemented text), not of a missing `Module` impl.
#[diagnostic::do_not_recommend]
impl<M: Module> Field for M {
    fn visit_field<'a>(&'a self, name: &str, v: &mut dyn Visitor<'a>) {
        v.module(name, self.as_module());
    }
    fn visit_field_mut(&mut self, name: &str, v: &mut dyn VisitorMut) {
        v.module(name, self.as_module_mut());
    }
    fn share_field(&self) -> M {
        self.share()
    }
}

impl<T: Field> Field for Option<T> {
    fn visit_field<'a>(&'a self, name: &str, v: &mut dyn Visitor<'a>) {
        if let Some(x) = self {
            x.visit_field(name, v);
        }
    }
    fn visit_field_mut(&mut self, name: &str, v: &mut dyn VisitorMut) {
        if let Some(x) = self {
            x.visit_field_mut(name, v);
        }
    }
    fn share_field(&self) -> Option<T> {
        self.as_ref().map(T::share_field)
    }
}

/// A collection whose elements a `#[module(flatten)]` field reports as direct members of the
/// struct, named by [`flat_name`]`(pattern, i)`.
#[diagnostic::on_unimplemented(
    message = "`#[module(flatten)]` needs a `Vec` or an array, not `{Self}`",
    label = "not a `Vec` or array of module fields"
)]
pub trait FlattenField {
    /// Reports element `i` under `flat_name(pattern, i)`.
    fn visit_flat<'a>(&'a self, pattern: &str, v: &mut dyn Visitor<'a>);
    /// Reports element `i` under `flat_name(pattern, i)`, mutably.
    fn visit_flat_mut(&mut self, pattern: &str, v: &mut dyn VisitorMut);
}

impl<T: Field> FlattenField for [T] {
    fn visit_flat<'a>(&'a self, pattern: &str, v: &mut dyn Visitor<'a>) {
        for (i, x) in self.iter().enumerate() {
            x.visit_field(FlatName::new(pattern, i).as_str(), v);
        }
    }
    fn visit_flat_mut(&mut self, pattern: &str, v: &mut dyn VisitorMut) {
        for (i, x) in self.iter_mut().enumerate() {
            x.visit_field_mut(FlatName::new(pattern, i).as_str(), v);
        }
    }
}

impl<T: Field> FlattenField for Vec<T> {
    fn visit_flat<'a>(&'a self, pattern: &str, v: &mut dyn Visitor<'a>) {
        self.as_slice().visit_flat(pattern, v);
    }
    fn visit_flat_mut(&mut self, pattern: &str, v: &mut dyn VisitorMut) {
        self.as_mut_slice().visit_flat_mut(pattern, v);
    }
}

impl<T: Field, const N: usize> FlattenField for [T; N] {
    fn visit_flat<'a>(&'a self, pattern: &str, v: &mut dyn Visitor<'a>) {
        self.as_slice().visit_flat(pattern, v);
    }
    fn visit_flat_mut(&mut self, pattern: &str, v: &mut dyn VisitorMut) {
        self.as_mut_slice().visit_flat_mut(pattern, v);
    }
}

/// The key of element `i` of a flattened field: `pattern` with `{}` replaced by `i`, or `i`
/// itself when the pattern is empty (`#[module(flatten)]` without `rename`).
///
/// ```
/// use fusenet_runtime::module::flat_name;
/// assert_eq!(flat_name("block {}", 2), "block 2");
/// assert_eq!(flat_name("", 3), "3");
/// ```
pub fn flat_name(pattern: &str, i: usize) -> String {
    FlatName::new(pattern, i).as_str().to_owned()
}

/// [`flat_name`] built on the stack, so that walking a module tree (`zero_grad` in a training
/// loop) allocates nothing; a name longer than the buffer moves to a `String`.
struct FlatName {
    buf: [u8; FlatName::CAP],
    len: usize,
    long: Option<String>,
}

impl FlatName {
    const CAP: usize = 64;

    fn new(pattern: &str, i: usize) -> FlatName {
        use std::fmt::Write;
        let mut n = FlatName { buf: [0; FlatName::CAP], len: 0, long: None };
        // Writing into a `FlatName` never fails. A pattern without `{}` is the key as written.
        let _ = match pattern.split_once("{}") {
            Some((head, tail)) => write!(n, "{head}{i}{tail}"),
            None if pattern.is_empty() => write!(n, "{i}"),
            None => n.write_str(pattern),
        };
        n
    }

    fn as_str(&self) -> &str {
        match &self.long {
            Some(s) => s,
            // Only whole `&str` pieces are copied in, so the bytes are UTF-8.
            None => std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default(),
        }
    }
}

impl std::fmt::Write for FlatName {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if let Some(long) = &mut self.long {
            long.push_str(s);
        } else if self.len + s.len() <= FlatName::CAP {
            self.buf[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
            self.len += s.len();
        } else {
            let mut long = self.as_str().to_owned();
            long.push_str(s);
            self.long = Some(long);
        }
        Ok(())
    }
}

/// A `Vec` of module fields is PyTorch's `ModuleList`: a child whose members are `"0"`, `"1"`, ...
impl<T: Field + 'static> Module for Vec<T> {
    fn visit<'a>(&'a self, v: &mut dyn Visitor<'a>) {
        self.visit_flat("", v);
    }
    fn visit_mut(&mut self, v: &mut dyn VisitorMut) {
        self.visit_flat_mut("", v);
    }
    fn type_name(&self) -> &'static str {
        "ModuleList"
    }
    fn groups_repeated_children(&self) -> bool {
        true
    }
    fn share(&self) -> Vec<T> {
        self.iter().map(T::share_field).collect()
    }
    crate::__module_boilerplate!();
}

/// A `Vec`'s length is known at run time only.
impl<T> ConstKeys for Vec<T> {
    const STATE_DICT_KEYS: Option<&'static [&'static str]> = None;
}

/// An array of module fields is a fixed-length `ModuleList`.
impl<T: Field + 'static, const N: usize> Module for [T; N] {
    fn visit<'a>(&'a self, v: &mut dyn Visitor<'a>) {
        self.visit_flat("", v);
    }
    fn visit_mut(&mut self, v: &mut dyn VisitorMut) {
        self.visit_flat_mut("", v);
    }
    fn type_name(&self) -> &'static str {
        "ModuleList"
    }
    fn groups_repeated_children(&self) -> bool {
        true
    }
    fn share(&self) -> [T; N] {
        std::array::from_fn(|i| self[i].share_field())
    }
    crate::__module_boilerplate!();
}

/// `"0.k"`, `"1.k"`, ... for every key `k` of an element.
impl<T: FieldConstKeys, const N: usize> ConstKeys for [T; N] {
    const STATE_DICT_KEYS: Option<&'static [&'static str]> = crate::const_keys!({
        let mut l = KeyList::new();
        l.push_repeat(N, T::FIELD_KEYS);
        l
    });
}

impl<M: ConstKeys> ConstKeys for Box<M> {
    const STATE_DICT_KEYS: Option<&'static [&'static str]> = M::STATE_DICT_KEYS;
}

/// The module inside is chosen at run time.
impl ConstKeys for Box<dyn Module> {
    const STATE_DICT_KEYS: Option<&'static [&'static str]> = None;
}

macro_rules! forward_boxed {
    () => {
        fn visit<'a>(&'a self, v: &mut dyn Visitor<'a>) {
            (**self).visit(v)
        }
        fn visit_mut(&mut self, v: &mut dyn VisitorMut) {
            (**self).visit_mut(v)
        }
        fn type_name(&self) -> &'static str {
            (**self).type_name()
        }
        fn extra_repr(&self) -> String {
            (**self).extra_repr()
        }
        fn set_training_self(&mut self, on: bool) {
            (**self).set_training_self(on)
        }
        fn training_self(&self) -> Option<bool> {
            (**self).training_self()
        }
        fn as_any(&self) -> &dyn Any {
            (**self).as_any()
        }
        fn as_any_mut(&mut self) -> &mut dyn Any {
            (**self).as_any_mut()
        }
        fn as_module(&self) -> &dyn Module {
            (**self).as_module()
        }
        fn as_module_mut(&mut self) -> &mut dyn Module {
            (**self).as_module_mut()
        }
        fn share_boxed(&self) -> Box<dyn Module> {
            (**self).share_boxed()
        }
        fn as_linear(&self) -> Option<&dyn crate::nn::AnyLinear> {
            (**self).as_linear()
        }
        fn groups_repeated_children(&self) -> bool {
            (**self).groups_repeated_children()
        }
    };
}
pub(crate) use forward_boxed;

/// A boxed module is transparent: it reports, prints and downcasts as the module inside.
impl<M: Module> Module for Box<M> {
    forward_boxed!();
    fn share(&self) -> Box<M> {
        Box::new((**self).share())
    }
}

/// `Box<dyn Module>` makes heterogeneous stacks: `Vec<Box<dyn Module>>` is PyTorch's
/// `nn.Sequential(*layers)` built at run time.
impl Module for Box<dyn Module> {
    forward_boxed!();
    fn share(&self) -> Box<dyn Module> {
        (**self).share_boxed()
    }
}

/// What `#[module(persistent = true | false)]` applies to: a `Buffer`, or an `Option`, `Vec` or
/// array of buffers. The attribute sets the flag each time the module is traversed, so it wins
/// over how the buffer was built (PyTorch's `register_buffer(name, t, persistent=False)`).
#[diagnostic::on_unimplemented(
    message = "`#[module(persistent = ...)]` marks a `Buffer` field, but this field is `{Self}`",
    label = "not a buffer",
    note = "parameters are always in the state dict; for a constant that is in none, use `#[module(skip)]`"
)]
pub trait Persistence {
    /// Marks every buffer of the field persistent or not.
    fn set_persistent(&self, on: bool);
}

impl Persistence for Buffer {
    fn set_persistent(&self, on: bool) {
        Buffer::set_persistent(self, on);
    }
}

impl<T: Persistence> Persistence for Option<T> {
    fn set_persistent(&self, on: bool) {
        if let Some(b) = self {
            b.set_persistent(on);
        }
    }
}

impl<T: Persistence> Persistence for Vec<T> {
    fn set_persistent(&self, on: bool) {
        self.iter().for_each(|b| b.set_persistent(on));
    }
}

impl<T: Persistence, const N: usize> Persistence for [T; N] {
    fn set_persistent(&self, on: bool) {
        self.iter().for_each(|b| b.set_persistent(on));
    }
}

#[cfg(test)]
mod tests {
    use super::flat_name;

    #[test]
    fn flat_names_as_replacen_gives_them_long_ones_included() {
        assert_eq!(flat_name("block {}", 12), "block 12");
        assert_eq!(flat_name("{}_layer", 0), "0_layer");
        assert_eq!(flat_name("fixed", 3), "fixed");
        assert_eq!(flat_name("", 7), "7");
        let long = format!("{}{{}}{}", "a".repeat(60), "b".repeat(30));
        assert_eq!(flat_name(&long, 123), long.replacen("{}", "123", 1), "past the stack buffer");
        assert_eq!(flat_name("é{}ü", 4), "é4ü");
    }
}
