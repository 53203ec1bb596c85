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
use crate::module::{Module, Visitor, VisitorMut};
use crate::tensor::Tensor;
use fusenet_kernels::ops::activation::{Activation, activation_forward};
use fusenet_kernels::ops::softmax::{SoftmaxGeom, log_softmax_forward, softmax_forward};

fn run(name: &str, act: Activation, x: &Tensor) -> Tensor {
    map_f32(name, x, x.shape(), |xs, out| activation_forward(act, xs, out))
}

macro_rules! hyper_module {
    ($name:ident, $torch:literal, |$s:ident| $repr:expr) => {
        impl Module for $name {
            fn visit<'a>(&'a self, _v: &mut dyn Visitor<'a>) {}
            fn visit_mut(&mut self, _v: &mut dyn VisitorMut) {}
            fn type_name(&self) -> &'static str {
                $torch
            }
            fn extra_repr(&self) -> String {
                let $s = self;
                $repr
            }
            fn share(&self) -> Self {
                self.clone()
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
