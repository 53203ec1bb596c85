//! Losses, forward and backward, with PyTorch's formulas and reductions.
//!
//! - [`regression`]: `MSELoss` `(x − t)²`, `L1Loss` `|x − t|`.
//! - [`bce`]: `BCELoss` `−w[t·ln x + (1 − t)·ln(1 − x)]` (each log clamped at −100, as torch) and
//!   `BCEWithLogitsLoss` `−w[p·t·ln σ(x) + (1 − t)·ln(1 − σ(x))]` in the stable form
//!   `(1 − t)·x − (1 + (p − 1)t)·ln σ(x)`.
//! - [`class`]: `NLLLoss` and `CrossEntropyLoss` over class indices (`ignore_index`, class
//!   `weight`, `label_smoothing`), on logits `[N, C]` or `[N, C, d…]`.
//!
//! Every loss writes `out`: the per-element losses for [`Reduction::None`] (the input's shape, or
//! `[N, d…]` for the class losses), one value for `Mean` and `Sum`. Its backward takes `grad_out`
//! of the same length as `out` and writes the input gradient.
//!
//! ```
//! use fusenet_kernels::ops::loss::{Reduction, regression::{mse_forward, mse_backward}};
//! let (x, t) = ([1.0f32, 2.0], [0.0, 0.0]);
//! let mut out = [0.0];
//! mse_forward(Reduction::Mean, &x, &t, &mut out);
//! assert_eq!(out, [2.5]);
//! let mut dx = [0.0; 2];
//! mse_backward(Reduction::Mean, &x, &t, &[1.0], Some(&mut dx), None);
//! assert_eq!(dx, [1.0, 2.0]); // 2(x − t)/n
//! ```

pub mod bce;
pub mod class;
pub mod regression;

use crate::ops::rows::for_each_block;
use crate::real::Real;

/// How the per-element losses are combined (PyTorch's `reduction=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Reduction {
    /// Keep every element's loss.
    None,
    /// The average (for weighted class losses, divided by the sum of the targets' weights).
    #[default]
    Mean,
    /// The sum.
    Sum,
}

impl Reduction {
    /// The length of the loss output for `n` per-element losses.
    pub fn out_len(self, n: usize) -> usize {
        match self {
            Reduction::None => n,
            Reduction::Mean | Reduction::Sum => 1,
        }
    }

    /// PyTorch's spelling: `"none"`, `"mean"`, `"sum"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reduction::None => "none",
            Reduction::Mean => "mean",
            Reduction::Sum => "sum",
        }
    }
}

/// Writes the reduction of `n` per-element losses `f(i)` into `out` (`Mean` divides by `n`).
pub(crate) fn write_reduced<T: Real>(red: Reduction, n: usize, out: &mut [T], f: impl Fn(usize) -> T + Sync + Send) {
    assert_eq!(out.len(), red.out_len(n), "loss: output has {} elements, expected {} for reduction='{}'", out.len(), red.out_len(n), red.as_str());
    match red {
        Reduction::None => for_each_block(out, |off, o| o.iter_mut().enumerate().for_each(|(j, v)| *v = f(off + j))),
        Reduction::Sum | Reduction::Mean => {
            let sum: f64 = (0..n).map(|i| f(i).to_f64()).sum();
            out[0] = T::from_f64(if red == Reduction::Mean { sum / n as f64 } else { sum });
        }
    }
}

/// The factor by which element `i`'s loss gradient is scaled: `grad_out[i]` for `None`,
/// `grad_out[0]` for `Sum`, `grad_out[0] / denom` for `Mean`.
#[derive(Clone, Copy)]
pub(crate) struct Scale<'a, T> {
    red: Reduction,
    grad_out: &'a [T],
    mean: T,
}

impl<'a, T: Real> Scale<'a, T> {
    pub(crate) fn new(red: Reduction, grad_out: &'a [T], n: usize, denom: f64) -> Self {
        assert_eq!(
            grad_out.len(),
            red.out_len(n),
            "loss backward: grad_out has {} elements, expected {} for reduction='{}'",
            grad_out.len(),
            red.out_len(n),
            red.as_str()
        );
        let mean = match red {
            Reduction::Mean => T::from_f64(grad_out[0].to_f64() / denom),
            Reduction::Sum => grad_out[0],
            Reduction::None => T::zero(),
        };
        Scale { red, grad_out, mean }
    }

    #[inline(always)]
    pub(crate) fn at(&self, i: usize) -> T {
        if self.red == Reduction::None { self.grad_out[i] } else { self.mean }
    }
}

pub(crate) fn check_same(what: &str, a: usize, b: usize) {
    assert_eq!(a, b, "{what}: input has {a} elements but target has {b} (they must have the same shape)");
}

#[cfg(test)]
mod tests;
