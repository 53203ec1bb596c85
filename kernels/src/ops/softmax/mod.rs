//! Softmax and log-softmax over one dimension of a tensor seen as `[outer, dim, inner]`.
//!
//! A tensor of shape `[d0, …, d(k−1)]` reduced over dim `j` is `outer = Π_{i<j} dᵢ`,
//! `dim = d_j`, `inner = Π_{i>j} dᵢ`; element `(o, d, i)` is at `(o·dim + d)·inner + i`.
//!
//! Numerically stable: `softmax(x)_d = e^(x_d − m) / Σ e^(x_e − m)` and
//! `log_softmax(x)_d = x_d − m − ln Σ e^(x_e − m)`, with `m = max x`.
//! Backward from the saved output `y`:
//! softmax `dx = y ⊙ (dy − Σ dy·y)`; log-softmax `dx = dy − e^y · Σ dy`.
//!
//! ```
//! use fusenet_kernels::ops::softmax::{SoftmaxGeom, softmax_forward, log_softmax_forward};
//! let g = SoftmaxGeom { outer: 1, dim: 2, inner: 1 };
//! let mut y = [0.0f64; 2];
//! softmax_forward(&g, &[0.0, 2f64.ln()], &mut y);
//! assert!((y[0] - 1.0 / 3.0).abs() < 1e-15 && (y[1] - 2.0 / 3.0).abs() < 1e-15);
//! log_softmax_forward(&g, &[1000.0, 1000.0], &mut y); // no overflow
//! assert!((y[0] + 2f64.ln()).abs() < 1e-12);
//! ```

mod cpu;

pub use cpu::{log_softmax_backward, log_softmax_forward, softmax_backward, softmax_forward};

/// The view of a tensor as `[outer, dim, inner]`, reduced over `dim`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoftmaxGeom {
    pub outer: usize,
    pub dim: usize,
    pub inner: usize,
}

impl SoftmaxGeom {
    /// The geometry of `shape` reduced over dimension `dim` (already wrapped, `< shape.len()`).
    ///
    /// ```
    /// use fusenet_kernels::ops::softmax::SoftmaxGeom;
    /// assert_eq!(SoftmaxGeom::of(&[2, 3, 4], 1), SoftmaxGeom { outer: 2, dim: 3, inner: 4 });
    /// ```
    pub fn of(shape: &[usize], dim: usize) -> SoftmaxGeom {
        assert!(dim < shape.len().max(1), "softmax: dim {dim} out of range for shape {shape:?}");
        if shape.is_empty() {
            return SoftmaxGeom { outer: 1, dim: 1, inner: 1 };
        }
        SoftmaxGeom { outer: shape[..dim].iter().product(), dim: shape[dim], inner: shape[dim + 1..].iter().product() }
    }

    /// `outer · dim · inner`.
    pub fn numel(&self) -> usize {
        self.outer * self.dim * self.inner
    }

    pub(crate) fn check(&self, what: &str, len: usize) {
        assert_eq!(len, self.numel(), "softmax: {what} has {len} elements, expected {:?} = {}", self, self.numel());
    }
}

#[cfg(test)]
mod tests;
