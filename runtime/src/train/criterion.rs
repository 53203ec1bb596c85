//! `Criterion`: a loss a training loop can differentiate.

use crate::error::Result;
use crate::nn::loss::CrossEntropyLoss;
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
    /// The loss (a 0-d tensor for the `Mean`/`Sum` reductions).
    fn loss(&self, prediction: &Tensor, target: &Tensor) -> Result<Tensor>;
    /// The loss and its gradient with respect to `prediction`.
    fn loss_and_grad(&self, prediction: &Tensor, target: &Tensor) -> Result<(Tensor, Tensor)>;
}

impl Criterion for CrossEntropyLoss {
    fn loss(&self, prediction: &Tensor, target: &Tensor) -> Result<Tensor> {
        self.forward(prediction, target)
    }
    fn loss_and_grad(&self, prediction: &Tensor, target: &Tensor) -> Result<(Tensor, Tensor)> {
        self.forward_backward(prediction, target)
    }
}
