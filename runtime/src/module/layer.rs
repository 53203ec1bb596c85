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

    /// The trailing dims of the input shape known at compile time, last dim last
    /// ([`shape::ANY`] for a dim known only at run time, such as the batch); empty when nothing
    /// is known. `network!` fills it in, and checks the layers it calls against it at type-check
    /// time (see [`shape`]).
    const IN_DIMS: &'static [usize] = &[];
    /// The trailing dims of the output shape known at compile time, as [`Layer::IN_DIMS`].
    const OUT_DIMS: &'static [usize] = &[];

    /// Inference (`torch.no_grad()`): saves nothing.
    fn forward(&self, x: &Tensor) -> Tensor;

    /// Training forward: computes `y` and saves in `ctx` what `backward` needs.
    fn forward_train(&self, x: &Tensor, ctx: &mut Self::Ctx) -> Tensor;

    /// Backward from `grad_out = ∂L/∂y`: accumulates parameter gradients (for parameters with
    /// `requires_grad`), and returns `∂L/∂x` only when `need_input_grad`.
    fn backward(&self, ctx: &mut Self::Ctx, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor>;

    /// [`Layer::backward`] that may apply `update`'s optimiser step to a parameter as soon as its
    /// gradient is final, instead of storing the gradient (see [`FusedUpdate`]): the parameters
    /// it updates are left without a gradient, so a following [`Optimizer::step`] applies the
    /// update once, to the others. The result equals `backward` then `step`. `network!`
    /// networks fuse the weight and bias updates of `Linear` layers called once; the default
    /// (and `update == None`) is [`Layer::backward`].
    ///
    /// [`FusedUpdate`]: crate::optim::FusedUpdate
    /// [`Optimizer::step`]: crate::optim::Optimizer::step
    fn backward_with(
        &self,
        ctx: &mut Self::Ctx,
        grad_out: &Tensor,
        need_input_grad: bool,
        update: Option<&dyn crate::optim::FusedUpdate>,
    ) -> Option<Tensor> {
        let _ = update;
        self.backward(ctx, grad_out, need_input_grad)
    }
}

/// Compile-time shape checks between composed layers, used by `network!`-generated code: a
/// mismatch is a trait error (`Dim: Fits<8, 16>` does not hold) that `cargo check` reports at
/// the offending expression, never a post-monomorphisation `const` assert.
///
/// ```
/// use fusenet_runtime::module::shape::{check, dim, ANY};
/// const IN: &[usize] = &[ANY, 20];
/// check::<20, { dim(IN, 1, 20) }>();   // the last dim is 20: fits
/// check::<7, { dim(IN, 2, 7) }>();     // the batch dim is ANY: anything fits
/// ```
#[doc(hidden)]
pub mod shape {
    /// A dim known only at run time.
    pub const ANY: usize = usize::MAX;

    /// The subject of [`Fits`].
    pub struct Dim;

    /// `Dim: Fits<N, N>`: a tensor dim of size `N` fits a layer input dim of size `N`.
    #[diagnostic::on_unimplemented(
        message = "shape mismatch between composed layers: the tensor has size {GIVEN} in this dimension, but the layer takes {WANT}",
        label = "this tensor does not fit the layer's input",
        note = "the sizes come from the static shapes (`Layer::IN_DIMS`, `Layer::OUT_DIMS`) of the layers being composed"
    )]
    pub trait Fits<const GIVEN: usize, const WANT: usize> {}

    impl<const N: usize> Fits<N, N> for Dim {}

    /// Compiles only when `GIVEN == WANT`.
    pub const fn check<const GIVEN: usize, const WANT: usize>()
    where
        Dim: Fits<GIVEN, WANT>,
    {
    }

    /// The dim `back` places from the end of `dims` (1 = last), or `default` when `dims` does
    /// not know it (too short, or [`ANY`]).
    pub const fn dim(dims: &[usize], back: usize, default: usize) -> usize {
        if back == 0 || back > dims.len() || dims[dims.len() - back] == ANY { default } else { dims[dims.len() - back] }
    }
}
