//! `LossCtx`: the buffers a training loop's loss call writes into, reused from step to step.

use crate::graph::Slot;

/// What one loss call site keeps across training steps: the loss and the input gradient (each a
/// [`Slot`]: a result the caller still holds is never overwritten), contiguous copies of strided
/// inputs, and the loss kernels' scratch (log-probabilities, the gradient seed). With it,
/// `forward_backward_with` makes no heap allocation once it has run at a batch size.
///
/// ```
/// use fusenet_runtime::nn::loss::{CrossEntropyLoss, LossCtx};
/// use fusenet_runtime::tensor;
/// let (ce, mut ctx) = (CrossEntropyLoss::new(), LossCtx::default());
/// for _ in 0..2 {
///     let (loss, grad) = ce.forward_backward_with(&tensor![[0.0, 0.0]], &tensor![1], &mut ctx).unwrap();
///     assert!((loss.item() - 2f32.ln()).abs() < 1e-6);
///     assert_eq!(grad.to_vec::<f32>(), [0.5, -0.5]);
/// }
/// ```
#[derive(Default)]
pub struct LossCtx {
    pub(crate) loss: Slot,
    pub(crate) grad: Slot,
    pub(crate) input_copy: Slot,
    pub(crate) target_copy: Slot,
    pub(crate) log_probs: Vec<f32>,
    /// `∂L/∂loss = 1` per loss element (only ever grown with ones).
    pub(crate) seed: Vec<f32>,
}

impl LossCtx {
    /// `len` ones: the gradient of the loss with respect to itself.
    pub(crate) fn seed(&mut self, len: usize) -> &[f32] {
        self.seed.resize(len, 1.0);
        &self.seed[..len]
    }
}

impl std::fmt::Debug for LossCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LossCtx").finish_non_exhaustive()
    }
}
