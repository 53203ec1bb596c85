//! Parameter-free element-wise modules: `ReLU`, `Sigmoid`, `Tanh`, `Identity`.

use crate::module::{Module, Visitor, VisitorMut};
use crate::tensor::Tensor;

macro_rules! parameter_free {
    ($(#[$doc:meta])* $name:ident, $torch:literal, |$x:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name;

        impl $name {
            /// The eager forward.
            pub fn forward(&self, $x: &Tensor) -> Tensor {
                $body
            }
        }

        impl Module for $name {
            fn visit<'a>(&'a self, _v: &mut dyn Visitor<'a>) {}
            fn visit_mut(&mut self, _v: &mut dyn VisitorMut) {}
            fn type_name(&self) -> &'static str {
                $torch
            }
            fn share(&self) -> Self {
                $name
            }
            crate::__module_boilerplate!();
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                crate::module::fmt_module(self, f)
            }
        }
    };
}

parameter_free!(
    /// `max(x, 0)`, PyTorch's `nn.ReLU()`; prints as `ReLU()`.
    ReLU, "ReLU", |x| x.relu()
);
parameter_free!(
    /// `1 / (1 + e^(−x))`, PyTorch's `nn.Sigmoid()`.
    Sigmoid, "Sigmoid", |x| x.sigmoid()
);
parameter_free!(
    /// `tanh(x)`, PyTorch's `nn.Tanh()`.
    Tanh, "Tanh", |x| x.tanh()
);
parameter_free!(
    /// Returns its input (a handle onto the same storage), PyTorch's `nn.Identity()`.
    Identity, "Identity", |x| x.shallow_clone()
);
