//! Fully connected layer: `y = act(x Wᵀ + b)`.
//!
//! Shapes: `x` is `[M, K]`, `W` is `[N, K]` (PyTorch's `[out_features, in_features]`), `b` is
//! `[N]`, `y` is `[M, N]`. The forward is one GEMM whose output pass adds the bias and applies
//! the fused activation ([`LinearAct`]) in the same sweep over `y` (the epilogue).
//!
//! Backward, with `G = dY ⊙ act'(y)`:
//! `dX = G·W` (written), `dW += Gᵀ·X`, `db += Σ_rows G` (accumulated).
//!
//! ```
//! use fusenet_kernels::ops::linear::{linear_forward, linear_backward, linear_scratch_len, LinearAct, LinearGeom};
//! let g = LinearGeom { m: 1, k: 2, n: 2 };
//! let (x, w, b) = ([1.0f32, 2.0], [1.0, 1.0, -1.0, -1.0], [0.5, 0.5]);
//! let mut y = [0.0; 2];
//! linear_forward(&g, LinearAct::Relu, &x, &w, Some(&b), &mut y);
//! assert_eq!(y, [3.5, 0.0]); // relu([3.5, -2.5])
//! let mut scratch = vec![0.0; linear_scratch_len(&g, LinearAct::Relu)];
//! let (mut dx, mut dw, mut db) = ([0.0; 2], [0.0; 4], [0.0; 2]);
//! linear_backward(&g, LinearAct::Relu, &x, &w, &y, &[1.0, 1.0], &mut scratch,
//!                 Some(&mut dx), Some(&mut dw), Some(&mut db));
//! assert_eq!((dx, dw, db), ([1.0, 1.0], [1.0, 2.0, 0.0, 0.0], [1.0, 0.0]));
//! ```

mod cpu;

pub use cpu::{linear_backward, linear_forward, linear_scratch_len};
pub(crate) use cpu::column_sums_add as cpu_column_sums_add;

/// The sizes of a linear layer: `x` `[m, k]`, `W` `[n, k]`, `y` `[m, n]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinearGeom {
    /// Rows of `x` (the batch).
    pub m: usize,
    /// `in_features`.
    pub k: usize,
    /// `out_features`.
    pub n: usize,
}

/// The activation fused into the GEMM epilogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LinearAct {
    /// `y = x Wᵀ + b`.
    #[default]
    None,
    /// `y = max(x Wᵀ + b, 0)`; the backward masks by `y > 0` (from the saved output).
    Relu,
}

impl LinearGeom {
    pub(crate) fn check(&self, x: usize, w: usize, b: Option<usize>, y: usize) {
        let LinearGeom { m, k, n } = *self;
        assert_eq!(x, m * k, "linear: x has {x} elements, expected [{m}, {k}] = {}", m * k);
        assert_eq!(w, n * k, "linear: weight has {w} elements, expected [{n}, {k}] = {}", n * k);
        if let Some(b) = b {
            assert_eq!(b, n, "linear: bias has {b} elements, expected [{n}]");
        }
        assert_eq!(y, m * n, "linear: output has {y} elements, expected [{m}, {n}] = {}", m * n);
    }
}

#[cfg(test)]
mod tests;
