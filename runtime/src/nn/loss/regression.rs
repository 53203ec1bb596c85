//! `MSELoss` and `L1Loss`.

use super::{Reduction, loss_module, out_shape, same_shape};
use crate::nn::kernel_call::{expect_f32, map_f32};
use crate::tensor::Tensor;
use super::LossCtx;
use crate::nn::saved_layer::{contiguous_in, with_two_slices};
use fusenet_kernels::ops::loss::regression::{l1_backward, l1_forward, mse_backward, mse_forward};

macro_rules! regression_loss {
    ($(#[$doc:meta])* $name:ident, $torch:literal, $kernel:ident, $backward:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
        pub struct $name {
            pub reduction: Reduction,
        }

        impl $name {
            /// The loss with `reduction='mean'`.
            pub fn new() -> Self {
                $name { reduction: Reduction::Mean }
            }
            /// The loss with the given reduction.
            pub fn with_reduction(reduction: Reduction) -> Self {
                $name { reduction }
            }
            /// The eager forward; panics, naming both shapes, when they differ.
            pub fn forward(&self, input: &Tensor, target: &Tensor) -> Tensor {
                same_shape($torch, input, target);
                expect_f32($torch, "target", target);
                let t = target.contiguous();
                let red = self.reduction;
                map_f32($torch, input, &out_shape(red, input.shape()), |xs, out| {
                    t.with_slice::<f32, _>(|ts| $kernel(red, xs, ts, out))
                })
            }
            /// The loss and its gradient with respect to `input` (for `∂L/∂loss = 1`), in one
            /// call: what a training step needs.
            pub fn forward_backward(&self, input: &Tensor, target: &Tensor) -> (Tensor, Tensor) {
                self.forward_backward_with(input, target, &mut LossCtx::default())
            }
            /// [`Self::forward_backward`] writing the loss and the gradient into `ctx`, reused
            /// from call to call: no heap allocation once it has run at a batch size (see
            /// [`LossCtx`]).
            pub fn forward_backward_with(&self, input: &Tensor, target: &Tensor, ctx: &mut LossCtx) -> (Tensor, Tensor) {
                same_shape($torch, input, target);
                expect_f32($torch, "input", input);
                expect_f32($torch, "target", target);
                let red = self.reduction;
                let x = contiguous_in(input, &mut ctx.input_copy);
                let t = contiguous_in(target, &mut ctx.target_copy);
                let loss = ctx.loss.out(&out_shape(red, input.shape()));
                let grad = ctx.grad.out(input.shape());
                let seed = ctx.seed(loss.numel());
                with_two_slices::<f32, f32, _>(&x, &t, |xs, ts| {
                    loss.with_slice_mut::<f32, _>(|ls| $kernel(red, xs, ts, ls));
                    grad.with_slice_mut::<f32, _>(|gs| $backward(red, xs, ts, seed, Some(gs), None));
                });
                (loss, grad)
            }
            fn share_impl(&self) -> Self {
                *self
            }
        }

        loss_module!($name, $torch, |_s, _v| {}, |_s, _v| {});
    };
}

regression_loss!(
    /// `(x − t)²`, reduced: PyTorch's `nn.MSELoss()`.
    MSELoss, "MSELoss", mse_forward, mse_backward
);
regression_loss!(
    /// `|x − t|`, reduced: PyTorch's `nn.L1Loss()`.
    L1Loss, "L1Loss", l1_forward, l1_backward
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::loss::LossCtx;

    // x = torch.tensor([1., 2., -3.], requires_grad=True); F.mse_loss(x, torch.zeros(3)).backward()
    // → loss 14/3, x.grad = 2x/3; F.l1_loss(x, zeros, reduction='sum') → 6, grad sign(x)
    #[test]
    fn forward_backward_gives_the_loss_and_its_input_gradient() {
        let (x, t) = (Tensor::from_vec(vec![1.0f32, 2.0, -3.0], &[3]), Tensor::zeros(&[3]));
        let mut ctx = LossCtx::default();
        let (loss, grad) = MSELoss::new().forward_backward_with(&x, &t, &mut ctx);
        assert!((loss.item() - 14.0 / 3.0).abs() < 1e-6);
        assert_eq!(grad.to_vec::<f32>(), [2.0 / 3.0, 4.0 / 3.0, -2.0]);
        let (loss, grad) = L1Loss::with_reduction(Reduction::Sum).forward_backward(&x, &t);
        assert_eq!(loss.item(), 6.0);
        assert_eq!(grad.to_vec::<f32>(), [1.0, 1.0, -1.0]);
        let (loss, grad) = MSELoss::with_reduction(Reduction::None).forward_backward(&x.t(), &t);
        assert_eq!((loss.to_vec::<f32>(), grad.to_vec::<f32>()), (vec![1.0, 4.0, 9.0], vec![2.0, 4.0, -6.0]));
    }
}
