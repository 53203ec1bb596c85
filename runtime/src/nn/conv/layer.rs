//! What a convolution call site keeps between its forward and its backward, and across steps.

use crate::graph::Slot;
use crate::tensor::Tensor;

/// A convolution call site's memory: the saved input (a handle onto the caller's tensor, no
/// copy), the output and input-gradient buffers, and the kernel scratch (the im2col columns of a chunk of
/// images). It persists across steps, so a steady-state
/// step allocates nothing. The input must not be modified in place between `forward_train` and
/// `backward`.
///
/// ```
/// use fusenet_runtime::module::Layer;
/// use fusenet_runtime::nn::Conv1d;
/// use fusenet_runtime::{Param, Tensor};
/// let mut conv = Conv1d::<1, 1, 2>::new();
/// conv.weight = Param::new(Tensor::from_vec(vec![1.0f32, -1.0], &[1, 1, 2]));
/// conv.bias = None;
/// let mut ctx = Default::default();
/// let x = Tensor::from_vec(vec![1.0f32, 4.0, 9.0], &[1, 1, 3]);
/// assert_eq!(conv.forward_train(&x, &mut ctx).to_vec::<f32>(), [-3.0, -5.0]);
/// let gx = conv.backward(&mut ctx, &Tensor::ones(&[1, 1, 2]), true).unwrap();
/// assert_eq!(gx.to_vec::<f32>(), [1.0, 0.0, -1.0]);
/// assert_eq!(conv.weight.grad().unwrap().to_vec::<f32>(), [5.0, 13.0]);
/// ```
#[derive(Default)]
pub struct ConvCtx {
    pub(super) input: Option<Tensor>,
    pub(super) out: Slot,
    pub(super) grad_in: Slot,
    /// `conv_scratch_len` elements: a chunk's im2col columns, then its GEMM result.
    pub(super) scratch: Vec<f32>,
}

impl std::fmt::Debug for ConvCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConvCtx")
            .field("input", &self.input.as_ref().map(Tensor::shape))
            .field("scratch_len", &self.scratch.len())
            .finish()
    }
}

impl ConvCtx {
    pub(super) fn take(&mut self, layer: &str) -> Tensor {
        self.input.take().unwrap_or_else(|| {
            panic!("{layer}::backward: no saved input; call forward_train first (and backward once per forward_train)")
        })
    }
}
