//! Activation modules with hyper-parameters or a dim: `LeakyReLU`, `GELU`, `ELU`, `SiLU`,
//! `Softmax`, `LogSoftmax`. Each eager forward runs the kernel of
//! `fusenet_kernels::ops::{activation, softmax}`.
//!
//! ```
//! use fusenet_runtime::{Module, Tensor};
//! use fusenet_runtime::nn::{GELU, LeakyReLU, Softmax};
//! let x = Tensor::from_vec(vec![-1.0f32, 0.0, 2.0], &[1, 3]);
//! assert_eq!(LeakyReLU::new(0.1).forward(&x).to_vec::<f32>(), [-0.1, 0.0, 2.0]);
//! assert_eq!(GELU::tanh().to_string(), "GELU(approximate='tanh')");
//! let p = Softmax::new(1).forward(&x);
//! assert!((p.sum_all() - 1.0).abs() < 1e-6);
//! ```

use super::kernel_call::{map_f32, py_float};
use crate::tensor::Tensor;
use fusenet_kernels::ops::activation::{Activation, activation_forward};
use fusenet_kernels::ops::softmax::{SoftmaxGeom, log_softmax_forward, softmax_forward};

fn run(name: &str, act: Activation, x: &Tensor) -> Tensor {
    map_f32(name, x, x.shape(), |xs, out| activation_forward(act, xs, out))
}

/// `x > 0 ? x : negative_slope·x`, PyTorch's `nn.LeakyReLU(negative_slope=0.01)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeakyReLU {
    pub negative_slope: f64,
}

impl LeakyReLU {
    /// `nn.LeakyReLU(negative_slope)`.
    pub fn new(negative_slope: f64) -> Self {
        LeakyReLU { negative_slope }
    }
    /// The eager forward.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        run("LeakyReLU", Activation::LeakyRelu(self.negative_slope), x)
    }
}

impl Default for LeakyReLU {
    fn default() -> Self {
        LeakyReLU { negative_slope: 0.01 }
    }
}
hyper_module!(LeakyReLU, "LeakyReLU", |s| format!("negative_slope={}", py_float(s.negative_slope)));

/// `x·Φ(x)`, PyTorch's `nn.GELU(approximate='none')`, or its tanh approximation
/// (`approximate='tanh'`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct GELU {
    /// `approximate='tanh'` when true.
    pub tanh_approximation: bool,
}

impl GELU {
    /// `nn.GELU()`: the exact erf form.
    pub fn new() -> Self {
        GELU { tanh_approximation: false }
    }
    /// `nn.GELU(approximate='tanh')`.
    pub fn tanh() -> Self {
        GELU { tanh_approximation: true }
    }
    /// The eager forward.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        run("GELU", if self.tanh_approximation { Activation::GeluTanh } else { Activation::Gelu }, x)
    }
}
hyper_module!(GELU, "GELU", |s| format!("approximate='{}'", if s.tanh_approximation { "tanh" } else { "none" }));

/// `x > 0 ? x : alpha·(eˣ − 1)`, PyTorch's `nn.ELU(alpha=1.0)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ELU {
    pub alpha: f64,
}

impl ELU {
    /// `nn.ELU(alpha)`.
    pub fn new(alpha: f64) -> Self {
        ELU { alpha }
    }
    /// The eager forward.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        run("ELU", Activation::Elu(self.alpha), x)
    }
}

impl Default for ELU {
    fn default() -> Self {
        ELU { alpha: 1.0 }
    }
}
hyper_module!(ELU, "ELU", |s| format!("alpha={}", py_float(s.alpha)));

/// `x·σ(x)`, PyTorch's `nn.SiLU()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SiLU;

impl SiLU {
    /// The eager forward.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        run("SiLU", Activation::Silu, x)
    }
}
hyper_module!(SiLU, "SiLU", |_s| String::new());

fn softmax_like(name: &str, x: &Tensor, dim: isize, log: bool) -> Tensor {
    let d = x.wrap_dim(dim);
    let g = SoftmaxGeom::of(x.shape(), d);
    map_f32(name, x, x.shape(), |xs, out| if log { log_softmax_forward(&g, xs, out) } else { softmax_forward(&g, xs, out) })
}

/// `e^(x_i) / Σ_j e^(x_j)` along `dim`, PyTorch's `nn.Softmax(dim)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Softmax {
    pub dim: isize,
}

impl Softmax {
    /// `nn.Softmax(dim)`; negative dims count from the end.
    pub fn new(dim: isize) -> Self {
        Softmax { dim }
    }
    /// The eager forward; panics like PyTorch when `dim` is out of range.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        softmax_like("Softmax", x, self.dim, false)
    }
}
hyper_module!(Softmax, "Softmax", |s| format!("dim={}", s.dim));

/// `x_i − ln Σ_j e^(x_j)` along `dim`, PyTorch's `nn.LogSoftmax(dim)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogSoftmax {
    pub dim: isize,
}

impl LogSoftmax {
    /// `nn.LogSoftmax(dim)`.
    pub fn new(dim: isize) -> Self {
        LogSoftmax { dim }
    }
    /// The eager forward.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        softmax_like("LogSoftmax", x, self.dim, true)
    }
}
hyper_module!(LogSoftmax, "LogSoftmax", |s| format!("dim={}", s.dim));

// ----- `Layer`: forward_train saves one tensor (a handle), backward runs the kernel's backward -----

use super::saved_layer::{SavedTensor, backward_into, forward_into};
use fusenet_kernels::ops::activation::activation_backward;
use fusenet_kernels::ops::softmax::{log_softmax_backward, softmax_backward};

macro_rules! activation_layer {
    ($(#[$doc:meta])* $name:ident, |$s:ident| $act:expr) => {
        $(#[$doc])*
        impl crate::module::Layer for $name {
            type Ctx = SavedTensor;

            fn forward(&self, x: &Tensor) -> Tensor {
                $name::forward(self, x)
            }

            fn forward_train(&self, x: &Tensor, ctx: &mut SavedTensor) -> Tensor {
                ctx.clear();
                let $s = self;
                let act = $act;
                let (x, y) = forward_into(stringify!($name), x, &mut ctx.bufs, |xs, ys| activation_forward(act, xs, ys));
                ctx.save(x);
                y
            }

            fn backward(&self, ctx: &mut SavedTensor, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
                let x = ctx.take(stringify!($name));
                let $s = self;
                let act = $act;
                need_input_grad.then(|| backward_into(stringify!($name), &x, grad_out, &mut ctx.bufs, |xs, gs, dx| activation_backward(act, xs, gs, dx)))
            }
        }
    };
}

activation_layer!(
    /// Saves the input; backward: `∂L/∂x = g` where `x > 0`, else `negative_slope·g`.
    LeakyReLU, |s| Activation::LeakyRelu(s.negative_slope)
);
activation_layer!(
    /// Saves the input; backward: `∂L/∂x = g·(Φ(x) + x·φ(x))` (exact), or the derivative of the
    /// tanh form for `approximate='tanh'`.
    GELU, |s| if s.tanh_approximation { Activation::GeluTanh } else { Activation::Gelu }
);
activation_layer!(
    /// Saves the input; backward: `∂L/∂x = g` where `x > 0`, else `g·alpha·eˣ`.
    ELU, |s| Activation::Elu(s.alpha)
);
activation_layer!(
    /// Saves the input; backward: `∂L/∂x = g·σ(x)·(1 + x·(1 − σ(x)))`.
    SiLU, |_s| Activation::Silu
);

macro_rules! softmax_layer {
    ($(#[$doc:meta])* $name:ident, $forward:path, $backward:path) => {
        $(#[$doc])*
        impl crate::module::Layer for $name {
            type Ctx = SavedTensor;

            fn forward(&self, x: &Tensor) -> Tensor {
                $name::forward(self, x)
            }

            fn forward_train(&self, x: &Tensor, ctx: &mut SavedTensor) -> Tensor {
                ctx.clear();
                let g = SoftmaxGeom::of(x.shape(), x.wrap_dim(self.dim));
                let (_, y) = forward_into(stringify!($name), x, &mut ctx.bufs, |xs, ys| $forward(&g, xs, ys));
                ctx.save(y.shallow_clone());
                y
            }

            fn backward(&self, ctx: &mut SavedTensor, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
                let y = ctx.take(stringify!($name));
                let g = SoftmaxGeom::of(y.shape(), y.wrap_dim(self.dim));
                need_input_grad.then(|| backward_into(stringify!($name), &y, grad_out, &mut ctx.bufs, |ys, gs, dx| $backward(&g, ys, gs, dx)))
            }
        }
    };
}

softmax_layer!(
    /// Saves the output `y`; backward: `∂L/∂x = y ⊙ (g − Σ_dim g ⊙ y)`.
    Softmax, softmax_forward, softmax_backward
);
softmax_layer!(
    /// Saves the output `y`; backward: `∂L/∂x = g − e^y ⊙ Σ_dim g`.
    LogSoftmax, log_softmax_forward, log_softmax_backward
);
