//! Parameter-free element-wise modules: `ReLU`, `Sigmoid`, `Tanh`, `Identity`.

use crate::module::{Module, Visitor, VisitorMut};
use super::kernel_call::expect_f32;
use super::saved_layer::check_grad_out;
use crate::graph::Slot;
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

        impl crate::module::ConstKeys for $name {
            const STATE_DICT_KEYS: Option<&'static [&'static str]> = Some(&[]);
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
/// `sigmoid` and `tanh` all differentiate from `y`), no copy; and the buffers its output and
/// input gradient are written into, reused from step to step.
#[derive(Default)]
pub struct SavedOutput {
    y: Option<Tensor>,
    out: Slot,
    grad: Slot,
}

impl std::fmt::Debug for SavedOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SavedOutput").field("y", &self.y).finish_non_exhaustive()
    }
}

impl SavedOutput {
    fn take(&mut self, layer: &str) -> Tensor {
        self.y.take().unwrap_or_else(|| {
            panic!("{layer}::backward: no saved output; call forward_train first (and backward once per forward_train)")
        })
    }
}

/// `1 / (1 + e^(−x))` without overflow, as [`Tensor::sigmoid`].
#[inline]
fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

macro_rules! activation_layer {
    ($(#[$doc:meta])* $name:ident, |$x:ident| $f:expr, |$y:ident, $g:ident| $df:expr) => {
        $(#[$doc])*
        impl crate::module::Layer for $name {
            type Ctx = SavedOutput;

            fn forward(&self, x: &Tensor) -> Tensor {
                $name::forward(self, x)
            }

            /// Writes `y` into the call site's output buffer (one fused pass, no allocation in
            /// steady state) and keeps a handle onto it.
            fn forward_train(&self, x: &Tensor, ctx: &mut SavedOutput) -> Tensor {
                ctx.y = None;
                expect_f32(stringify!($name), "input", x);
                let y = crate::graph::map(&mut ctx.out, [x], |[$x]| $f);
                ctx.y = Some(y.shallow_clone());
                y
            }

            fn backward(&self, ctx: &mut SavedOutput, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
                let y = ctx.take(stringify!($name));
                if !need_input_grad {
                    return None;
                }
                check_grad_out(stringify!($name), y.shape(), grad_out);
                Some(crate::graph::map(&mut ctx.grad, [&y, grad_out], |[$y, $g]| $df))
            }
        }
    };
}

activation_layer!(
    /// Backward: `∂L/∂x = g` where `y > 0`, else 0 (as [`crate::graph::relu_backward`]).
    ReLU, |x| if x > 0.0 || x.is_nan() { x } else { 0.0 }, |y, g| if y <= 0.0 { 0.0 } else { g }
);
activation_layer!(
    /// Backward: `∂L/∂x = g·y·(1 − y)` (as [`crate::graph::sigmoid_backward`]).
    Sigmoid, |x| sigmoid(x), |y, g| g * (1.0 - y) * y
);
activation_layer!(
    /// Backward: `∂L/∂x = g·(1 − y²)` (as [`crate::graph::tanh_backward`]).
    Tanh, |x| x.tanh(), |y, g| g * (1.0 - y * y)
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
