//! Elementwise activations, forward and backward, with PyTorch's formulas.
//!
//! | activation | forward `y` | backward `dx = dy ·` | backward reads |
//! |---|---|---|---|
//! | `Relu` | `max(x, 0)` | `[y > 0]` | output |
//! | `LeakyRelu(s)` | `x > 0 ? x : s·x` | `x > 0 ? 1 : s` | input |
//! | `Sigmoid` | `1 / (1 + e^(−x))` | `y·(1 − y)` | output |
//! | `Tanh` | `tanh x` | `1 − y²` | output |
//! | `Gelu` | `x·Φ(x) = x/2·(1 + erf(x/√2))` | `Φ(x) + x·φ(x)` | input |
//! | `GeluTanh` | `x/2·(1 + tanh(√(2/π)(x + 0.044715x³)))` | its derivative | input |
//! | `Elu(α)` | `x > 0 ? x : α(eˣ − 1)` | `x > 0 ? 1 : α·eˣ` | input |
//! | `Silu` | `x·σ(x)` | `σ(x)(1 + x(1 − σ(x)))` | input |
//!
//! [`Activation::saves`] says which tensor the backward reads, so a caller keeps only that one.
//! `erf` is [`crate::real::erf_f64`], evaluated in f64 also for f32 data.
//!
//! ```
//! use fusenet_kernels::ops::activation::{Activation, Saved, activation_forward, activation_backward};
//! let x = [-1.0f32, 2.0];
//! let mut y = [0.0; 2];
//! activation_forward(Activation::LeakyRelu(0.1), &x, &mut y);
//! assert_eq!(y, [-0.1, 2.0]);
//! let act = Activation::Sigmoid;
//! activation_forward(act, &x, &mut y);
//! assert_eq!(act.saves(), Saved::Output);
//! let mut dx = [0.0; 2];
//! activation_backward(act, &y, &[1.0, 1.0], &mut dx);
//! assert!((dx[0] - y[0] * (1.0 - y[0])).abs() < 1e-7);
//! ```

mod cpu;

pub use cpu::{activation_backward, activation_forward};

/// An elementwise activation and its hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    Relu,
    /// `nn.LeakyReLU(negative_slope)`.
    LeakyRelu(f64),
    Sigmoid,
    Tanh,
    /// `nn.GELU()` (`approximate='none'`), the exact erf form.
    Gelu,
    /// `nn.GELU(approximate='tanh')`.
    GeluTanh,
    /// `nn.ELU(alpha)`.
    Elu(f64),
    /// `nn.SiLU()` (swish).
    Silu,
}

/// Which forward tensor the backward reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saved {
    /// The forward's input `x`.
    Input,
    /// The forward's output `y`.
    Output,
}

impl Activation {
    /// Which tensor [`activation_backward`] expects as `saved`: the cheaper one to differentiate
    /// from.
    pub fn saves(self) -> Saved {
        match self {
            Activation::Relu | Activation::Sigmoid | Activation::Tanh => Saved::Output,
            _ => Saved::Input,
        }
    }
}

#[cfg(test)]
mod tests;
