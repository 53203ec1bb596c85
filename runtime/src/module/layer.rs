//! `Layer`: a module with a forward for inference, a forward for training and a backward.
//!
//! This is the contract between `network!`-generated code and every layer it calls: built-in
//! layers (`Linear`, `ReLU`, ...), other `network!` types, and hand-written layers with their own
//! backward (PyTorch's `torch.autograd.Function`). A `network!` forward that calls `hidden(x)`
//! becomes `Layer::forward_train(&self.hidden, &x, &mut ctx.hidden_0)` in the training path and
//! `Layer::backward(&self.hidden, &mut ctx.hidden_0, &g, true)` in the backward; a layer called
//! twice (tied weights) gets two contexts and its parameter gradients add up.

use crate::module::Module;
use crate::tensor::Tensor;

/// A module that can be called from a `network!` forward and differentiated.
///
/// Formulas: with `y = f(x; θ)` and `g = ∂L/∂y`, `backward` adds `gᵀ·∂f/∂θ` into each parameter's
/// `grad` (PyTorch accumulates until `zero_grad`) and returns `∂L/∂x = gᵀ·∂f/∂x` when asked.
///
/// ```
/// use fusenet_runtime::module::Layer;
/// use fusenet_runtime::nn::ReLU;
/// use fusenet_runtime::{Tensor, tensor};
/// let x = tensor![-1.0, 2.0];
/// let mut ctx = Default::default();
/// let y = ReLU.forward_train(&x, &mut ctx);
/// let gx = ReLU.backward(&mut ctx, &Tensor::ones(&[2]), true).unwrap();
/// assert_eq!(y.to_vec::<f32>(), [0.0, 2.0]);
/// assert_eq!(gx.to_vec::<f32>(), [0.0, 1.0]);
/// ```
pub trait Layer: Module {
    /// What one call site keeps between `forward_train` and `backward`.
    type Ctx: Default + Send + 'static;

    /// Inference (`torch.no_grad()`): saves nothing.
    fn forward(&self, x: &Tensor) -> Tensor;

    /// Training forward: computes `y` and saves in `ctx` what `backward` needs.
    fn forward_train(&self, x: &Tensor, ctx: &mut Self::Ctx) -> Tensor;

    /// Backward from `grad_out = ∂L/∂y`: accumulates parameter gradients (for parameters with
    /// `requires_grad`), and returns `∂L/∂x` only when `need_input_grad`.
    fn backward(&self, ctx: &mut Self::Ctx, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor>;
}
