//! `Criterion`: a loss a training loop can differentiate.

use crate::error::Result;
use crate::nn::LossCtx;
use crate::nn::loss::{CrossEntropyLoss, L1Loss, MSELoss};
use crate::tensor::Tensor;

/// A loss `L(ŷ, t)` that gives its value and `∂L/∂ŷ` (for `∂·/∂L = 1`) in one call.
///
/// ```
/// use fusenet_runtime::train::Criterion;
/// use fusenet_runtime::{nn::loss::CrossEntropyLoss, tensor};
/// let (loss, grad) = CrossEntropyLoss::new().loss_and_grad(&tensor![[2.0, 0.0]], &tensor![0]).unwrap();
/// assert!(loss.item() < 0.13 && grad.get([0, 0]) < 0.0);
/// ```
pub trait Criterion {
    /// What the loss keeps from step to step (its result buffers and scratch), so that a
    /// training loop that passes the same one every step allocates nothing for the loss.
    type Ctx: Default;

    /// The loss (a 0-d tensor for the `Mean`/`Sum` reductions).
    fn loss(&self, prediction: &Tensor, target: &Tensor) -> Result<Tensor>;
    /// The loss and its gradient with respect to `prediction`.
    fn loss_and_grad(&self, prediction: &Tensor, target: &Tensor) -> Result<(Tensor, Tensor)> {
        self.loss_and_grad_with(prediction, target, &mut Self::Ctx::default())
    }
    /// [`Criterion::loss_and_grad`] writing into the buffers of `ctx` (reused when the caller
    /// dropped the previous step's results).
    fn loss_and_grad_with(&self, prediction: &Tensor, target: &Tensor, ctx: &mut Self::Ctx) -> Result<(Tensor, Tensor)>;
}

impl Criterion for CrossEntropyLoss {
    type Ctx = LossCtx;
    fn loss(&self, prediction: &Tensor, target: &Tensor) -> Result<Tensor> {
        self.forward(prediction, target)
    }
    fn loss_and_grad_with(&self, prediction: &Tensor, target: &Tensor, ctx: &mut LossCtx) -> Result<(Tensor, Tensor)> {
        self.forward_backward_with(prediction, target, ctx)
    }
}

/// The regression losses: shapes that differ are a programmer's mistake and panic naming both,
/// so these never return an error.
macro_rules! regression_criterion {
    ($($t:ty),*) => {$(
        impl Criterion for $t {
            type Ctx = LossCtx;
            fn loss(&self, prediction: &Tensor, target: &Tensor) -> Result<Tensor> {
                Ok(self.forward(prediction, target))
            }
            fn loss_and_grad_with(&self, prediction: &Tensor, target: &Tensor, ctx: &mut LossCtx) -> Result<(Tensor, Tensor)> {
                Ok(self.forward_backward_with(prediction, target, ctx))
            }
        }
    )*};
}

regression_criterion!(MSELoss, L1Loss);
