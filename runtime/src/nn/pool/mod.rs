//! Pooling layers: `MaxPool1d/2d/3d`, `AvgPool1d/2d/3d`, `AdaptiveAvgPool1d/2d/3d`, on the kernels
//! of `fusenet_kernels::ops::pool`.

mod adaptive;
mod avg;
mod max;

pub use adaptive::{AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, OutputSize};
pub use avg::{AvgPool1d, AvgPool2d, AvgPool3d};
pub use max::{MaxPool1d, MaxPool2d, MaxPool3d};

use crate::graph::Slot;
use crate::tensor::{Dims, Tensor};
use fusenet_kernels::ops::pool::PoolGeom;

/// What a pooling call site keeps for its backward, and across steps: the input's shape, for
/// max pooling the argmax indices, and the output and input-gradient buffers (reused once the
/// caller has dropped the previous step's tensors, so a steady-state step allocates nothing).
#[derive(Default)]
pub struct PoolCtx {
    shape: Option<Dims<usize>>,
    indices: Vec<i64>,
    out: Slot,
    grad_in: Slot,
}

impl std::fmt::Debug for PoolCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolCtx").field("shape", &self.shape).field("indices", &self.indices.len()).finish()
    }
}

impl PoolCtx {
    /// The saved input shape (the indices stay in the ctx for the next step to overwrite).
    fn take(&mut self, layer: &str) -> Dims<usize> {
        self.shape.take().unwrap_or_else(|| {
            panic!("{layer}::backward: nothing saved; call forward_train first (and backward once per forward_train)")
        })
    }

    /// Saves `x`'s shape.
    fn save_shape(&mut self, x: &Tensor) {
        self.shape = Some(Dims::from_slice(x.shape()));
    }
}

/// `(planes, spatial, batched)` of an input `[N, C, *spatial]` or unbatched `[C, *spatial]`;
/// panics in PyTorch's words otherwise.
fn split_shape<const D: usize>(layer: &str, shape: &[usize]) -> (usize, usize, [usize; D]) {
    assert!(
        (shape.len() == D + 1 || shape.len() == D + 2) && shape.iter().all(|&s| s > 0),
        "{layer}: non-empty {}D or {}D (batch mode) tensor expected for input, but got shape {shape:?}",
        D + 1,
        D + 2
    );
    let (n, c) = if shape.len() == D + 2 { (shape[0], shape[1]) } else { (1, shape[0]) };
    (n, c, std::array::from_fn(|i| shape[shape.len() - D + i]))
}

/// The output shape: the input's leading dims with the spatial ones replaced.
fn out_shape<const D: usize>(shape: &[usize], spatial: [usize; D]) -> Dims<usize> {
    let mut s = Dims::from_slice(&shape[..shape.len() - D]);
    s.extend_from_slice(&spatial);
    s
}

/// Checks that a gradient has the output's shape for this input.
fn check_grad(layer: &str, input: &[usize], want: &[usize], grad: &Tensor) {
    assert!(
        grad.shape() == want,
        "{layer}::backward: the input had shape {input:?}, so the gradient must have shape {want:?}, got {:?}",
        grad.shape()
    );
    super::kernel_call::expect_f32(layer, "gradient", grad);
}

/// The kernel geometry of a window layer for an input of `shape`.
#[allow(clippy::too_many_arguments)]
fn geom<const D: usize>(
    layer: &str,
    shape: &[usize],
    kernel: [usize; D],
    stride: [usize; D],
    padding: [usize; D],
    dilation: [usize; D],
    ceil_mode: bool,
) -> PoolGeom<D> {
    let (n, c, input) = split_shape::<D>(layer, shape);
    PoolGeom { n, c, input, kernel, stride, padding, dilation, ceil_mode }
}

/// Python's `True`/`False`.
fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

#[cfg(test)]
mod tests;
