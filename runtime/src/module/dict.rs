//! `ModuleDict`: PyTorch's `nn.ModuleDict`, an insertion-ordered map from names to modules, and
//! [`DynLayer`], the eager forward that a trait object of a layer can be called through.

use super::{Layer, Module, Visitor, VisitorMut};
use crate::tensor::Tensor;
use std::any::Any;
use std::ops::{Index, IndexMut};

/// PyTorch's `nn.ModuleDict`: modules under string keys, kept in insertion order.
///
/// As a field of a `#[derive(Module)]` struct it is one child whose members are its entries, so
/// the state-dict keys are `field.key.weight`, and it prints as PyTorch prints a `ModuleDict`.
/// Like Python's dict, inserting an existing key replaces the module in place (the order is
/// kept), and [`remove`](ModuleDict::remove) keeps the order of the others. Lookups scan the
/// entries (a dict of a few layers is the usual case).
///
/// `M` is the module type: `Box<dyn Module>` (the default) holds layers of different types, to be
/// reached through [`get_as`](ModuleDict::get_as); `Box<dyn DynLayer>` holds layers of different
/// types whose forward can be called by key at run time; a concrete type (`Linear<4, 4>`) needs
/// neither.
///
/// ```
/// use fusenet_runtime::Module;
/// use fusenet_runtime::module::ModuleDict;
/// use fusenet_runtime::nn::{Conv2d, MaxPool2d};
/// let mut choices = ModuleDict::new();
/// choices.insert_module("conv", Conv2d::<10, 10, 3>::new());
/// choices.insert_module("pool", MaxPool2d::new(3));
/// assert_eq!(choices.keys().collect::<Vec<_>>(), ["conv", "pool"]);
/// assert_eq!(choices.state_dict_keys(), ["conv.weight", "conv.bias"]);
/// assert_eq!(
///     choices.to_string(),
///     "ModuleDict(\n  (conv): Conv2d(10, 10, kernel_size=(3, 3), stride=(1, 1))\n  \
///      (pool): MaxPool2d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)\n)"
/// );
/// assert!(choices.get_as::<MaxPool2d>("pool").is_some());
/// ```
pub struct ModuleDict<M = Box<dyn Module>> {
    entries: Vec<(String, M)>,
}

/// Panics, in PyTorch's words, on a key that cannot name a submodule.
fn check_key(key: &str) {
    assert!(!key.contains('.'), "module name can't contain \".\", got: {key}");
    assert!(!key.is_empty(), "module name can't be empty string \"\"");
}

impl<M> ModuleDict<M> {
    /// An empty dict (`nn.ModuleDict()`).
    pub fn new() -> Self {
        ModuleDict { entries: Vec::new() }
    }

    /// `d[key] = module`: appends, or replaces the module under an existing key in place and
    /// returns the old one.
    ///
    /// Panics when `key` is empty or contains a `.`, as PyTorch does.
    pub fn insert(&mut self, key: impl Into<String>, module: M) -> Option<M> {
        let key = key.into();
        check_key(&key);
        match self.position(&key) {
            Some(i) => Some(std::mem::replace(&mut self.entries[i].1, module)),
            None => {
                self.entries.push((key, module));
                None
            }
        }
    }

    /// [`insert`](ModuleDict::insert) as a builder: `ModuleDict::new().with("a", m).with("b", n)`.
    pub fn with(mut self, key: impl Into<String>, module: M) -> Self {
        self.insert(key, module);
        self
    }

    /// The module under `key`.
    pub fn get(&self, key: &str) -> Option<&M> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    /// The module under `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut M> {
        self.position(key).map(|i| &mut self.entries[i].1)
    }

    /// Whether `key` is present (`key in d`).
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// `d.pop(key)`: removes and returns the module; the others keep their order.
    pub fn remove(&mut self, key: &str) -> Option<M> {
        self.position(key).map(|i| self.entries.remove(i).1)
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The keys, in insertion order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// The modules, in insertion order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &M> + '_ {
        self.entries.iter().map(|(_, m)| m)
    }

    /// The modules, mutably, in insertion order.
    pub fn values_mut(&mut self) -> impl ExactSizeIterator<Item = &mut M> + '_ {
        self.entries.iter_mut().map(|(_, m)| m)
    }

    /// `(key, module)` pairs, in insertion order (`d.items()`).
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &M)> + '_ {
        self.entries.iter().map(|(k, m)| (k.as_str(), m))
    }

    /// `(key, module)` pairs with mutable modules, in insertion order.
    pub fn iter_mut(&mut self) -> impl ExactSizeIterator<Item = (&str, &mut M)> + '_ {
        self.entries.iter_mut().map(|(k, m)| (k.as_str(), m))
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k == key)
    }
}

impl<M: Module> ModuleDict<M> {
    /// The module under `key` as a concrete type: `d.get_as::<Linear<4, 8>>("fc")`. `None` when
    /// the key is absent or the module has another type. A box is seen through.
    pub fn get_as<T: Module>(&self, key: &str) -> Option<&T> {
        self.get(key)?.as_any().downcast_ref::<T>()
    }

    /// [`get_as`](ModuleDict::get_as), mutably.
    pub fn get_as_mut<T: Module>(&mut self, key: &str) -> Option<&mut T> {
        self.get_mut(key)?.as_any_mut().downcast_mut::<T>()
    }
}

impl ModuleDict<Box<dyn Module>> {
    /// [`insert`](ModuleDict::insert) of any module, boxed.
    pub fn insert_module(&mut self, key: impl Into<String>, module: impl Module) -> Option<Box<dyn Module>> {
        self.insert(key, Box::new(module))
    }

    /// [`insert_module`](ModuleDict::insert_module) as a builder.
    pub fn with_module(mut self, key: impl Into<String>, module: impl Module) -> Self {
        self.insert_module(key, module);
        self
    }
}

impl ModuleDict<Box<dyn DynLayer>> {
    /// [`insert`](ModuleDict::insert) of any layer, boxed so that its forward can be called by key.
    pub fn insert_layer(&mut self, key: impl Into<String>, layer: impl Layer) -> Option<Box<dyn DynLayer>> {
        self.insert(key, Box::new(layer))
    }

    /// [`insert_layer`](ModuleDict::insert_layer) as a builder.
    pub fn with_layer(mut self, key: impl Into<String>, layer: impl Layer) -> Self {
        self.insert_layer(key, layer);
        self
    }
}

impl<M> Default for ModuleDict<M> {
    fn default() -> Self {
        ModuleDict::new()
    }
}

impl<M> Index<&str> for ModuleDict<M> {
    type Output = M;

    /// `d[key]`; panics when the key is absent (PyTorch's `KeyError`), listing the keys.
    fn index(&self, key: &str) -> &M {
        match self.position(key) {
            Some(i) => &self.entries[i].1,
            None => panic!("ModuleDict has no key {key:?} (keys: {:?})", self.keys().collect::<Vec<_>>()),
        }
    }
}

impl<M> IndexMut<&str> for ModuleDict<M> {
    fn index_mut(&mut self, key: &str) -> &mut M {
        match self.position(key) {
            Some(i) => &mut self.entries[i].1,
            None => panic!("ModuleDict has no key {key:?} (keys: {:?})", self.keys().collect::<Vec<_>>()),
        }
    }
}

impl<K: Into<String>, M> Extend<(K, M)> for ModuleDict<M> {
    /// `d.update(pairs)`: inserts each pair in order (existing keys are replaced in place).
    fn extend<I: IntoIterator<Item = (K, M)>>(&mut self, iter: I) {
        for (k, m) in iter {
            self.insert(k, m);
        }
    }
}

impl<K: Into<String>, M> FromIterator<(K, M)> for ModuleDict<M> {
    fn from_iter<I: IntoIterator<Item = (K, M)>>(iter: I) -> Self {
        let mut d = ModuleDict::new();
        d.extend(iter);
        d
    }
}

impl<K: Into<String>, M, const N: usize> From<[(K, M); N]> for ModuleDict<M> {
    /// `nn.ModuleDict({...})` from `(key, module)` pairs, in their order.
    fn from(pairs: [(K, M); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl<M> IntoIterator for ModuleDict<M> {
    type Item = (String, M);
    type IntoIter = std::vec::IntoIter<(String, M)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<M: Module> Module for ModuleDict<M> {
    fn visit<'a>(&'a self, v: &mut dyn Visitor<'a>) {
        for (k, m) in &self.entries {
            v.module(k, m.as_module());
        }
    }
    fn visit_mut(&mut self, v: &mut dyn VisitorMut) {
        for (k, m) in &mut self.entries {
            v.module(k, m.as_module_mut());
        }
    }
    fn type_name(&self) -> &'static str {
        "ModuleDict"
    }
    fn share(&self) -> Self {
        ModuleDict { entries: self.entries.iter().map(|(k, m)| (k.clone(), m.share())).collect() }
    }
    crate::__module_boilerplate!();
}

/// The entries are inserted at run time.
impl<M> super::ConstKeys for ModuleDict<M> {
    const STATE_DICT_KEYS: Option<&'static [&'static str]> = None;
}

impl<M: Module> std::fmt::Display for ModuleDict<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        super::fmt_module(self, f)
    }
}

impl<M: Module> std::fmt::Debug for ModuleDict<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        super::fmt_module(self, f)
    }
}

/// A layer whose eager forward can be called through a trait object: `Box<dyn DynLayer>` is
/// PyTorch's "any module, called as `m(x)`", which [`Layer`] itself cannot be (its context type
/// and shape constants make it not dyn-compatible). Every [`Layer`] is a `DynLayer`.
///
/// `Box<dyn DynLayer>` is a [`Module`] (transparent, as `Box<dyn Module>` is), so it can be a
/// field, a `Vec` element (a Sequential built at run time) or a [`ModuleDict`] value.
///
/// ```
/// use fusenet_runtime::module::{DynLayer, ModuleDict};
/// use fusenet_runtime::nn::{LeakyReLU, ReLU};
/// use fusenet_runtime::tensor;
/// let acts = ModuleDict::new().with_layer("lrelu", LeakyReLU::new(0.1)).with_layer("relu", ReLU);
/// let x = tensor![-1.0, 2.0];
/// assert_eq!(acts["lrelu"].forward_dyn(&x).to_vec::<f32>(), [-0.1, 2.0]);
/// assert_eq!(acts["relu"].forward_dyn(&x).to_vec::<f32>(), [0.0, 2.0]);
/// ```
pub trait DynLayer: Module {
    /// The layer's inference forward ([`Layer::forward`]).
    fn forward_dyn(&self, x: &Tensor) -> Tensor;
    /// [`Module::share`], boxed as a `DynLayer`.
    fn share_dyn(&self) -> Box<dyn DynLayer>;
}

impl<L: Layer> DynLayer for L {
    fn forward_dyn(&self, x: &Tensor) -> Tensor {
        Layer::forward(self, x)
    }
    fn share_dyn(&self) -> Box<dyn DynLayer> {
        Box::new(Module::share(self))
    }
}

/// The layer inside is chosen at run time.
impl super::ConstKeys for Box<dyn DynLayer> {
    const STATE_DICT_KEYS: Option<&'static [&'static str]> = None;
}

/// A boxed layer reports, prints and downcasts as the layer inside.
impl Module for Box<dyn DynLayer> {
    super::field::forward_boxed!();
    fn share(&self) -> Box<dyn DynLayer> {
        (**self).share_dyn()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Linear, ReLU, Tanh};

    #[test]
    fn insert_replaces_in_place_and_remove_keeps_order() {
        let mut d: ModuleDict = ModuleDict::new().with_module("a", ReLU).with_module("b", Tanh).with_module("c", ReLU);
        assert!(d.insert_module("a", Tanh).is_some());
        assert_eq!(d.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(d["a"].type_name(), "Tanh");
        assert!(d.remove("b").is_some());
        assert!(d.remove("b").is_none());
        assert_eq!(d.keys().collect::<Vec<_>>(), ["a", "c"]);
        assert_eq!((d.len(), d.is_empty(), d.contains_key("c")), (2, false, true));
        d.clear();
        assert!(d.is_empty());
        assert_eq!(d.to_string(), "ModuleDict()");
    }

    #[test]
    fn concrete_values_need_no_box() {
        let d: ModuleDict<Linear<2, 3>> = [("x", Linear::new()), ("y", Linear::new())].into();
        assert_eq!(d.state_dict_keys(), ["x.weight", "x.bias", "y.weight", "y.bias"]);
        assert_eq!(d["y"].forward(&Tensor::ones(&[1, 2])).shape(), &[1, 3]);
        assert!(d.get("z").is_none());
    }

    #[test]
    fn share_ties_the_parameters_of_every_entry() {
        let d: ModuleDict = ModuleDict::new().with_module("fc", Linear::<2, 2>::new());
        let e = d.share();
        e.get_as::<Linear<2, 2>>("fc").unwrap().weight.value().fill_(3.0);
        assert_eq!(d.get_as::<Linear<2, 2>>("fc").unwrap().weight.value().to_vec::<f32>(), [3.0; 4]);
        let l = ModuleDict::new().with_layer("fc", Linear::<2, 2>::new());
        let m = l.share();
        assert_eq!(m.named_parameters()[0].1.id(), l.named_parameters()[0].1.id());
    }

    #[test]
    #[should_panic(expected = "module name can't contain \".\", got: a.b")]
    fn dotted_key_panics_like_torch() {
        ModuleDict::new().insert_module("a.b", ReLU);
    }

    #[test]
    #[should_panic(expected = "module name can't be empty string \"\"")]
    fn empty_key_panics_like_torch() {
        ModuleDict::new().insert_module("", ReLU);
    }

    #[test]
    #[should_panic(expected = "ModuleDict has no key \"zz\" (keys: [\"a\"])")]
    fn missing_key_panics_with_the_keys() {
        let d = ModuleDict::new().with_module("a", ReLU);
        let _ = &d["zz"];
    }
}
