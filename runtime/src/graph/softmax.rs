//! `softmax` and `log_softmax` along one dim.

use super::kernel::same_shape;
use crate::tensor::Tensor;

/// Backward of `y = x.softmax(dim)`, from the output: `∂L/∂x = y ⊙ (g − Σ_dim(g ⊙ y))`.
///
/// ```
/// use fusenet_runtime::{Tensor, graph::softmax_backward};
/// // A uniform gradient does not change a softmax: its input gradient is 0.
/// let y = Tensor::from_vec(vec![0.2f32, 0.3, 0.5], &[3]).softmax(0);
/// let gx = softmax_backward(&y, &Tensor::ones(&[3]), 0);
/// assert!(gx.abs().max().item() < 1e-7);
/// ```
pub fn softmax_backward(y: &Tensor, g: &Tensor, dim: isize) -> Tensor {
    same_shape("softmax_backward", ["y", "grad"], y, g);
    let s = g.mul(y).sum_dim(dim, true);
    let out = g.sub(&s);
    out.mul_(y);
    out
}

/// Backward of `y = x.log_softmax(dim)`, from the output: `∂L/∂x = g − e^y ⊙ Σ_dim g`
/// (`e^y` is the softmax).
pub fn log_softmax_backward(y: &Tensor, g: &Tensor, dim: isize) -> Tensor {
    same_shape("log_softmax_backward", ["y", "grad"], y, g);
    let s = g.sum_dim(dim, true);
    let out = y.exp();
    out.mul_(&s);
    out.neg_();
    out.add_(g);
    out
}
