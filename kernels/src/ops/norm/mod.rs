//! Normalisation layers: [`batch_norm`] (PyTorch's `BatchNorm1d`/`2d`) and [`layer_norm`].
//!
//! Both normalise `x̂ = (x − μ)·r` with `r = 1/√(σ² + eps)` (σ² the biased variance) and apply
//! the optional affine map `y = γ·x̂ + β`; statistics are accumulated in f64.
//!
//! ```
//! use fusenet_kernels::ops::norm::layer_norm::{LayerNormGeom, layer_norm_forward};
//! let g = LayerNormGeom { rows: 1, cols: 2 };
//! let (mut y, mut mean, mut rstd) = ([0.0f64; 2], [0.0], [0.0]);
//! layer_norm_forward(&g, 0.0, &[1.0, 3.0], None, None, &mut y, &mut mean, &mut rstd);
//! assert_eq!((y, mean, rstd), ([-1.0, 1.0], [2.0], [1.0]));
//! ```

pub mod batch_norm;
pub mod layer_norm;

#[cfg(test)]
mod tests;
