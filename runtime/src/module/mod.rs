//! The `Module` trait: PyTorch's `nn.Module` as a trait that `#[derive(Module)]` implements.
//!
//! A module reports its *direct* members (parameters, buffers and child modules, in declaration
//! order) to a [`Visitor`]; everything else — `named_parameters`, `state_dict`, `apply`, `train`,
//! the printed form — is built once here on top of that walk, as PyTorch builds them on
//! `_parameters`, `_buffers` and `_modules`.
//!
//! ```
//! use fusenet_runtime::Module;
//! use fusenet_runtime::nn::Linear;
//! let net = Linear::<4, 8>::new();
//! let keys: Vec<String> = net.state_dict().keys().map(String::from).collect();
//! assert_eq!(keys, ["weight", "bias"]);
//! assert_eq!(net.num_parameters(), 4 * 8 + 8);
//! assert_eq!(net.to_string(), "Linear(in_features=4, out_features=8, bias=True)");
//! ```

mod const_keys;
mod dict;
mod field;
mod layer;
mod load;
mod repr;
mod visit;

pub use const_keys::{ConstKeys, FieldConstKeys, FieldEntry, FieldKeys, FlattenConstKeys, KEY_BYTES, KeyList, KeyStrs, MAX_KEYS};
pub use dict::{DynLayer, ModuleDict};
pub use field::{Field, FlattenField, Persistence, flat_name};
pub use layer::{Layer, shape};
pub use repr::{fmt_module, repr};

use crate::error::Result;
use crate::param::{Buffer, Param};
use crate::state_dict::{LoadReport, StateDict};
use std::any::Any;

/// Receives the direct members of a module, by shared reference, in declaration order.
///
/// The lifetime `'a` lets a visitor keep the references it is given (that is how
/// [`Module::named_parameters`] returns `&Param`s).
pub trait Visitor<'a> {
    /// A parameter registered under `name`.
    fn param(&mut self, name: &str, p: &'a Param) {
        let _ = (name, p);
    }
    /// A buffer registered under `name` (persistent or not).
    fn buffer(&mut self, name: &str, b: &'a Buffer) {
        let _ = (name, b);
    }
    /// A child module registered under `name`.
    fn module(&mut self, name: &str, m: &'a dyn Module) {
        let _ = (name, m);
    }
}

/// Receives the direct members of a module by mutable reference (for `apply`, `train`, loading).
pub trait VisitorMut {
    /// A parameter registered under `name`.
    fn param(&mut self, name: &str, p: &mut Param) {
        let _ = (name, p);
    }
    /// A buffer registered under `name`.
    fn buffer(&mut self, name: &str, b: &mut Buffer) {
        let _ = (name, b);
    }
    /// A child module registered under `name`.
    fn module(&mut self, name: &str, m: &mut dyn Module) {
        let _ = (name, m);
    }
}

/// A layer or a network, as PyTorch's `nn.Module`.
///
/// Implement it with `#[derive(Module)]`; hand-written layers implement the required methods
/// themselves (see `nn::Linear`). The provided methods must not be overridden.
///
/// Parameters are reached by shared reference: [`Param`] has interior mutability, so an init
/// function writes through `&Param` as PyTorch's `nn.init.normal_(m.weight)` writes in place.
pub trait Module: Any {
    /// Reports the direct members, in declaration order.
    fn visit<'a>(&'a self, v: &mut dyn Visitor<'a>);
    /// Reports the direct members mutably, in declaration order.
    fn visit_mut(&mut self, v: &mut dyn VisitorMut);
    /// The name printed in the repr: `"Linear"`, `"Sequential"`, the struct name by default.
    fn type_name(&self) -> &'static str;
    /// The text inside the parentheses of the repr: `in_features=4, out_features=8, bias=True`.
    fn extra_repr(&self) -> String {
        String::new()
    }
    /// Switches this module's own mode (not its children's); layers such as Dropout override it.
    fn set_training_self(&mut self, on: bool) {
        let _ = on;
    }
    /// This module's own mode, for layers that have one; `None` for layers whose output does not
    /// depend on the mode.
    fn training_self(&self) -> Option<bool> {
        None
    }
    /// `self` as `Any`, for [`downcast_ref`](trait.Module.html#method.downcast_ref).
    fn as_any(&self) -> &dyn Any;
    /// `self` as `Any`, mutably.
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// `self` as a trait object.
    fn as_module(&self) -> &dyn Module;
    /// `self` as a trait object, mutably.
    fn as_module_mut(&mut self) -> &mut dyn Module;
    /// A second handle onto the same parameters and buffers (tied layers): PyTorch's
    /// "use the same module object twice". Skipped fields are cloned.
    fn share(&self) -> Self
    where
        Self: Sized;
    /// [`Module::share`] for trait objects.
    fn share_boxed(&self) -> Box<dyn Module>;
    /// `Some` for every `nn::Linear`, whatever its dimensions: the Rust spelling of
    /// `type(m) == nn.Linear` inside an `apply` callback.
    fn as_linear(&self) -> Option<&dyn crate::nn::AnyLinear> {
        None
    }
    /// Whether the repr groups identical consecutive children as `(0-3): 4 x Block(...)`
    /// (PyTorch's `ModuleList`).
    fn groups_repeated_children(&self) -> bool {
        false
    }

    // ----- provided methods, built on `visit` -----

    /// Every parameter with its dotted path, each shared parameter once (at its first path),
    /// as PyTorch's `named_parameters()`.
    fn named_parameters(&self) -> Vec<(String, &Param)> {
        visit::named_parameters(self.as_module(), true)
    }
    /// Every parameter, each shared parameter once.
    fn parameters(&self) -> Vec<&Param> {
        self.named_parameters().into_iter().map(|(_, p)| p).collect()
    }
    /// Every buffer (persistent or not) with its dotted path.
    fn named_buffers(&self) -> Vec<(String, &Buffer)> {
        visit::named_buffers(self.as_module())
    }
    /// Every buffer.
    fn buffers(&self) -> Vec<&Buffer> {
        self.named_buffers().into_iter().map(|(_, b)| b).collect()
    }
    /// The module itself (path `""`) and every descendant, pre-order, as PyTorch's
    /// `named_modules()`. A module that is a [`share`](Module::share) of one already listed
    /// (same parameters) is listed once, as PyTorch lists a reused module object once.
    fn named_modules(&self) -> Vec<(String, &dyn Module)> {
        visit::named_modules(self.as_module())
    }
    /// The direct children with their names (shared duplicates once).
    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        visit::named_children(self.as_module())
    }
    /// The direct children.
    fn children(&self) -> Vec<&dyn Module> {
        self.named_children().into_iter().map(|(_, m)| m).collect()
    }
    /// The descendant at a dotted path (`"0.block 1.2"`); `""` is the module itself.
    fn get_submodule(&self, path: &str) -> Option<&dyn Module> {
        visit::get_submodule(self.as_module(), path)
    }
    /// The parameter at a dotted path (`"net.0.weight"`).
    fn get_parameter(&self, path: &str) -> Option<&Param> {
        visit::named_parameters(self.as_module(), false).into_iter().find(|(k, _)| k == path).map(|(_, p)| p)
    }
    /// The number of scalars in all parameters, each shared parameter counted once
    /// (`sum(p.numel() for p in net.parameters())`).
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(|p| p.numel()).sum()
    }
    /// Clears every gradient (`zero_grad(set_to_none=True)`). Walks the modules without
    /// collecting paths, so in a training loop it allocates nothing (a tied parameter is simply
    /// cleared twice).
    fn zero_grad(&self) {
        struct Clear;
        impl<'a> Visitor<'a> for Clear {
            fn param(&mut self, _: &str, p: &'a Param) {
                p.zero_grad();
            }
            fn module(&mut self, _: &str, m: &'a dyn Module) {
                m.visit(self);
            }
        }
        self.as_module().visit(&mut Clear);
    }
    /// Freezes (`false`) or unfreezes (`true`) every parameter.
    fn requires_grad_(&self, on: bool) {
        self.parameters().iter().for_each(|p| p.set_requires_grad(on));
    }
    /// Every parameter and persistent buffer under its dotted path, in PyTorch's order. A tied
    /// parameter appears under each of its paths. The tensors share storage with the module.
    fn state_dict(&self) -> StateDict {
        load::state_dict(self.as_module())
    }
    /// The keys [`Module::state_dict`] would have. For a default-built module they equal
    /// [`ConstKeys::STATE_DICT_KEYS`] when that is `Some`.
    fn state_dict_keys(&self) -> Vec<String> {
        load::state_dict_entries(self.as_module()).into_iter().map(|(k, _)| k).collect()
    }
    /// Copies `sd` into the module's existing storage (so shared handles see the new values).
    ///
    /// Strict, as PyTorch's default: every missing key, unexpected key and shape mismatch is
    /// listed in one [`Error::LoadStateDict`](crate::Error::LoadStateDict). Unlike PyTorch,
    /// nothing is copied when anything is wrong.
    fn load_state_dict(&mut self, sd: &StateDict) -> Result<()> {
        load::load(self.as_module(), sd, true).map(|_| ())
    }
    /// `load_state_dict(sd, strict=False)`: missing and unexpected keys are reported, not errors;
    /// a shape mismatch is still an error, as in PyTorch.
    fn load_state_dict_non_strict(&mut self, sd: &StateDict) -> Result<LoadReport> {
        load::load(self.as_module(), sd, false)
    }
    /// Calls `f(path, module)` on every descendant and then on the module itself (post-order, as
    /// PyTorch's `apply`); a shared duplicate child is visited once.
    fn apply(&mut self, f: &mut dyn FnMut(&str, &mut dyn Module)) {
        visit::apply(self.as_module_mut(), "", f);
    }
    /// Sets training mode on the module and every descendant (PyTorch's `train(mode)`).
    fn set_training(&mut self, on: bool) {
        self.apply(&mut |_, m| m.set_training_self(on));
    }
    /// `train()`: training mode everywhere.
    fn train(&mut self) {
        self.set_training(true);
    }
    /// `eval()`: evaluation mode everywhere.
    fn eval(&mut self) {
        self.set_training(false);
    }
    /// PyTorch's `module.to(device)`: moves every parameter and buffer to `device`.
    ///
    /// Asking for a device that is not there is an [`Error::Device`](crate::Error::Device) and
    /// changes nothing. Moving to the device the tensors are already on keeps them (no copy), as
    /// PyTorch does. Moving between devices needs the CUDA backend (a later issue) and is an error
    /// until then.
    ///
    /// ```
    /// use fusenet_runtime::{Device, Module, nn::Linear};
    /// let mut lin = Linear::<2, 3>::new();
    /// lin.to(Device::Cpu).unwrap();
    /// assert!(lin.to(Device::Cuda(0)).is_err() || fusenet_runtime::device::device_count() > 0);
    /// ```
    fn to(&mut self, device: crate::Device) -> Result<()> {
        device.check_available()?;
        let tensors = self.named_parameters().into_iter().map(|(n, p)| (n, p.value()));
        let tensors = tensors.chain(self.named_buffers().into_iter().map(|(n, b)| (n, b.value())));
        for (name, t) in tensors {
            if t.device() != device {
                return Err(crate::Error::Device(format!(
                    "cannot move `{name}` from {} to {device}: this build has no device backend for it",
                    t.device()
                )));
            }
        }
        Ok(())
    }
    /// The mode of the first module (pre-order) that has one; `true` when no module in the tree
    /// depends on the mode (a network of Linear and ReLU behaves the same in both).
    fn is_training(&self) -> bool {
        self.named_modules().iter().find_map(|(_, m)| m.training_self()).unwrap_or(true)
    }
}

impl dyn Module {
    /// The module as a concrete type: `m.downcast_ref::<Linear<4, 8>>()`.
    pub fn downcast_ref<T: Module>(&self) -> Option<&T> {
        self.as_any().downcast_ref::<T>()
    }
    /// The module as a concrete type, mutably.
    pub fn downcast_mut<T: Module>(&mut self) -> Option<&mut T> {
        self.as_any_mut().downcast_mut::<T>()
    }
    /// Whether the module is a `T`.
    pub fn is<T: Module>(&self) -> bool {
        self.as_any().is::<T>()
    }
}

impl std::fmt::Display for dyn Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fmt_module(self, f)
    }
}

impl std::fmt::Debug for dyn Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fmt_module(self, f)
    }
}

/// Implements the mechanical methods of [`Module`] (`as_any`, `as_module`, `share_boxed`) inside a
/// hand-written `impl Module for ...` block.
#[macro_export]
#[doc(hidden)]
macro_rules! __module_boilerplate {
    () => {
        fn as_any(&self) -> &dyn ::std::any::Any {
            self
        }
        fn as_any_mut(&mut self) -> &mut dyn ::std::any::Any {
            self
        }
        fn as_module(&self) -> &dyn $crate::module::Module {
            self
        }
        fn as_module_mut(&mut self) -> &mut dyn $crate::module::Module {
            self
        }
        fn share_boxed(&self) -> ::std::boxed::Box<dyn $crate::module::Module> {
            ::std::boxed::Box::new($crate::module::Module::share(self))
        }
    };
}

/// What `#[derive(Module)]` expands to reaches the runtime only through this path
/// (re-exported as `::fusenet::__private`).
#[doc(hidden)]
pub mod __private {
    pub use super::{
        ConstKeys, Field, FieldConstKeys, FieldEntry, FieldKeys, FlattenConstKeys, FlattenField, KeyList, KeyStrs, Module, Persistence,
        Visitor, VisitorMut, flat_name, fmt_module,
    };
    pub use crate::graph as ops;
    pub use crate::param::{Buffer, Param};
    pub use std::any::Any;
    pub use std::boxed::Box;
    pub use std::clone::Clone;
    pub use std::fmt::{Display, Formatter, Result as FmtResult};
}

#[cfg(test)]
mod tests;
