//! Layer normalisation over the last dims: the input is `[rows, cols]`, with `cols` the product
//! of `normalized_shape`, and each row is normalised on its own.
//!
//! `y = γ ⊙ (x − μ)·r + β`, `r = 1/√(σ² + eps)` (σ² biased), with `γ`, `β` of `cols` elements
//! (each optional: `elementwise_affine=False` has neither, `bias=False` no β).
//! Backward, with `x̂ = (x − μ)r` and `h = γ ⊙ dy`:
//! `dx = r·(h − mean(h) − x̂·mean(h ⊙ x̂))`, `dγ += Σ_rows dy ⊙ x̂`, `dβ += Σ_rows dy`.
//!
//! ```
//! use fusenet_kernels::ops::norm::layer_norm::{LayerNormGeom, layer_norm_forward};
//! let g = LayerNormGeom { rows: 2, cols: 2 };
//! let (mut y, mut mean, mut rstd) = ([0.0f64; 4], [0.0; 2], [0.0; 2]);
//! layer_norm_forward(&g, 0.0, &[0.0, 2.0, 5.0, 5.0], Some(&[2.0, 1.0]), Some(&[0.0, 1.0]), &mut y, &mut mean, &mut rstd);
//! assert_eq!(y[..2], [-2.0, 2.0]);
//! assert!(y[2..].iter().all(|v| v.is_nan())); // σ² = 0 with eps = 0
//! ```

use crate::ops::linear::cpu_column_sums_add;
use crate::ops::rows::for_each_row;
use crate::real::Real;

/// Input `[rows, cols]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerNormGeom {
    pub rows: usize,
    pub cols: usize,
}

impl LayerNormGeom {
    fn check(&self, what: &str, len: usize) {
        let n = self.rows * self.cols;
        assert_eq!(len, n, "layer_norm: {what} has {len} elements, expected [{}, {}] = {n}", self.rows, self.cols);
    }
    fn check_cols<T>(&self, what: &str, s: Option<&[T]>) {
        if let Some(s) = s {
            assert_eq!(s.len(), self.cols, "layer_norm: {what} has {} elements, expected normalized size {}", s.len(), self.cols);
        }
    }
    fn check_rows(&self, what: &str, len: usize) {
        assert_eq!(len, self.rows, "layer_norm: {what} has {len} elements, expected one per row ({})", self.rows);
    }
}

/// The forward: writes `y`, and each row's `mean` and `rstd` (`[rows]`, for the backward).
#[allow(clippy::too_many_arguments)]
pub fn layer_norm_forward<T: Real>(
    g: &LayerNormGeom,
    eps: f64,
    x: &[T],
    weight: Option<&[T]>,
    bias: Option<&[T]>,
    y: &mut [T],
    mean: &mut [T],
    rstd: &mut [T],
) {
    g.check("input", x.len());
    g.check("output", y.len());
    g.check_cols("weight", weight);
    g.check_cols("bias", bias);
    g.check_rows("mean", mean.len());
    g.check_rows("rstd", rstd.len());
    let n = g.cols;
    if n == 0 {
        return;
    }
    // Statistics first (one short pass per row), then the normalisation, both by rows.
    for_each_row(mean, 1, n, |r, m| {
        let row = &x[r * n..(r + 1) * n];
        m[0] = T::from_f64(row.iter().map(|v| v.to_f64()).sum::<f64>() / n as f64);
    });
    let mean: &[T] = mean;
    for_each_row(rstd, 1, n, |r, s| {
        let (row, mu) = (&x[r * n..(r + 1) * n], mean[r].to_f64());
        let var = row.iter().map(|v| (v.to_f64() - mu).powi(2)).sum::<f64>() / n as f64;
        s[0] = T::from_f64(1.0 / (var + eps).sqrt());
    });
    let rstd: &[T] = rstd;
    for_each_row(y, n, 1, |r, out| {
        let (row, mu, rs) = (&x[r * n..(r + 1) * n], mean[r], rstd[r]);
        for (j, (o, &v)) in out.iter_mut().zip(row).enumerate() {
            let xhat = (v - mu) * rs;
            *o = xhat * weight.map_or(T::one(), |w| w[j]) + bias.map_or(T::zero(), |b| b[j]);
        }
    });
}

/// The backward: writes `grad_in`, accumulates `grad_weight` and `grad_bias`.
#[allow(clippy::too_many_arguments)]
pub fn layer_norm_backward<T: Real>(
    g: &LayerNormGeom,
    x: &[T],
    weight: Option<&[T]>,
    mean: &[T],
    rstd: &[T],
    grad_out: &[T],
    grad_in: Option<&mut [T]>,
    grad_weight: Option<&mut [T]>,
    grad_bias: Option<&mut [T]>,
) {
    g.check("input", x.len());
    g.check("grad_out", grad_out.len());
    g.check_cols("weight", weight);
    g.check_rows("mean", mean.len());
    g.check_rows("rstd", rstd.len());
    let (rows, n) = (g.rows, g.cols);
    if let Some(dw) = grad_weight {
        g.check_cols("grad_weight", Some(dw));
        // dγ_j += Σ_r dy[r, j]·x̂[r, j], in row order for every column.
        for r in 0..rows {
            let (mu, rs) = (mean[r], rstd[r]);
            let (gy, xs) = (&grad_out[r * n..(r + 1) * n], &x[r * n..(r + 1) * n]);
            dw.iter_mut().zip(gy.iter().zip(xs)).for_each(|(d, (&dy, &v))| *d += dy * (v - mu) * rs);
        }
    }
    if let Some(db) = grad_bias {
        g.check_cols("grad_bias", Some(db));
        cpu_column_sums_add(grad_out, rows, n, db);
    }
    if let Some(dx) = grad_in {
        g.check("grad_in", dx.len());
        for_each_row(dx, n.max(1), 3, |r, out| {
            let (mu, rs) = (mean[r].to_f64(), rstd[r].to_f64());
            let (gy, xs) = (&grad_out[r * n..(r + 1) * n], &x[r * n..(r + 1) * n]);
            let h = |j: usize| gy[j].to_f64() * weight.map_or(1.0, |w| w[j].to_f64());
            let xhat = |j: usize| (xs[j].to_f64() - mu) * rs;
            let (mut sh, mut shx) = (0.0, 0.0);
            for j in 0..n {
                sh += h(j);
                shx += h(j) * xhat(j);
            }
            let (mh, mhx) = (sh / n as f64, shx / n as f64);
            for (j, o) in out.iter_mut().enumerate() {
                *o = T::from_f64(rs * (h(j) - mh - xhat(j) * mhx));
            }
        });
    }
}
