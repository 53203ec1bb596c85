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

/// What an activation call site keeps for its backward: a handle onto its output (`relu`,
/// `sigmoid` and `tanh` all differentiate from `y`), no copy.
#[derive(Debug, Default)]
pub struct SavedOutput {
    y: Option<Tensor>,
}

impl SavedOutput {
    fn take(&mut self, layer: &str) -> Tensor {
        self.y.take().unwrap_or_else(|| {
            panic!("{layer}::backward: no saved output; call forward_train first (and backward once per forward_train)")
        })
    }
}

macro_rules! activation_layer {
    ($(#[$doc:meta])* $name:ident, $backward:path) => {
        $(#[$doc])*
        impl crate::module::Layer for $name {
            type Ctx = SavedOutput;

            fn forward(&self, x: &Tensor) -> Tensor {
                $name::forward(self, x)
            }

            fn forward_train(&self, x: &Tensor, ctx: &mut SavedOutput) -> Tensor {
                let y = $name::forward(self, x);
                ctx.y = Some(y.shallow_clone());
                y
            }

            fn backward(&self, ctx: &mut SavedOutput, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
                let y = ctx.take(stringify!($name));
                need_input_grad.then(|| $backward(&y, grad_out))
            }
        }
    };
}

activation_layer!(
    /// Backward: `∂L/∂x = g` where `y > 0`, else 0 ([`crate::graph::relu_backward`]).
    ReLU, crate::graph::relu_backward
);
activation_layer!(
    /// Backward: `∂L/∂x = g·y·(1 − y)` ([`crate::graph::sigmoid_backward`]).
    Sigmoid, crate::graph::sigmoid_backward
);
activation_layer!(
    /// Backward: `∂L/∂x = g·(1 − y²)` ([`crate::graph::tanh_backward`]).
    Tanh, crate::graph::tanh_backward
);

/// Saves nothing; the backward passes the gradient through (a handle, no copy).
impl crate::module::Layer for Identity {
    type Ctx = ();

    fn forward(&self, x: &Tensor) -> Tensor {
        x.shallow_clone()
    }

    fn forward_train(&self, x: &Tensor, _ctx: &mut ()) -> Tensor {
        x.shallow_clone()
    }

    fn backward(&self, _ctx: &mut (), grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
        need_input_grad.then(|| grad_out.shallow_clone())
    }
}
