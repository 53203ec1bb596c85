//! `MSELoss` and `L1Loss`.

use super::{Reduction, loss_module, out_shape, same_shape};
use crate::nn::kernel_call::{expect_f32, map_f32};
use crate::tensor::Tensor;
use fusenet_kernels::ops::loss::regression::{l1_forward, mse_forward};

macro_rules! regression_loss {
    ($(#[$doc:meta])* $name:ident, $torch:literal, $kernel:ident) => {
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
            fn share_impl(&self) -> Self {
                *self
            }
        }

        loss_module!($name, $torch, |_s, _v| {}, |_s, _v| {});
    };
}

regression_loss!(
    /// `(x − t)²`, reduced: PyTorch's `nn.MSELoss()`.
    MSELoss, "MSELoss", mse_forward
);
regression_loss!(
    /// `|x − t|`, reduced: PyTorch's `nn.L1Loss()`.
    L1Loss, "L1Loss", l1_forward
);
