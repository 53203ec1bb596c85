//! Loss modules, PyTorch's `nn.MSELoss`, `nn.L1Loss`, `nn.BCELoss`, `nn.BCEWithLogitsLoss`,
//! `nn.NLLLoss` and `nn.CrossEntropyLoss`, each with an eager `forward(input, target)` that runs
//! the kernels of `fusenet_kernels::ops::loss`.
//!
//! The reduced losses (`Reduction::Mean`, the default, and `Sum`) are 0-d tensors;
//! `Reduction::None` keeps one loss per element (per target position for the class losses).
//! Losses whose forward can fail on data (a class index out of range, a probability outside
//! [0, 1]) return [`Result`](crate::Result); the others return the tensor.
//!
//! ```
//! use fusenet_runtime::{Module, Tensor};
//! use fusenet_runtime::nn::{CrossEntropyLoss, MSELoss};
//! let logits = Tensor::from_vec(vec![2.0f32, 0.0, 0.0, 0.0, 2.0, 0.0], &[2, 3]);
//! let target = Tensor::from_vec(vec![0i64, 1], &[2]);
//! let loss = CrossEntropyLoss::new().forward(&logits, &target).unwrap();
//! assert!((loss.item() - 0.2395).abs() < 1e-4); // -log(e²/(e²+2))
//! assert_eq!(CrossEntropyLoss::new().to_string(), "CrossEntropyLoss()");
//! let bad = Tensor::from_vec(vec![0i64, 3], &[2]);
//! assert!(CrossEntropyLoss::new().forward(&logits, &bad).unwrap_err().to_string().contains("Target 3 is out of bounds"));
//! let mse = MSELoss::new().forward(&Tensor::ones(&[4]), &Tensor::zeros(&[4]));
//! assert_eq!(mse.item(), 1.0);
//! ```

mod bce;
mod class;
mod ctx;
mod regression;

pub use bce::{BCELoss, BCEWithLogitsLoss};
pub use ctx::LossCtx;
pub use class::{CrossEntropyLoss, NLLLoss};
pub use fusenet_kernels::ops::loss::Reduction;
pub use regression::{L1Loss, MSELoss};

use crate::tensor::Tensor;

/// The shape of a loss output: `[]` when reduced, `unreduced` otherwise (inline, no allocation).
pub(crate) fn out_shape(red: Reduction, unreduced: &[usize]) -> crate::tensor::Dims<usize> {
    match red {
        Reduction::None => unreduced.into(),
        Reduction::Mean | Reduction::Sum => crate::tensor::Dims::new(),
    }
}

/// Panics, naming both shapes, unless input and target have the same shape.
pub(crate) fn same_shape(loss: &str, input: &Tensor, target: &Tensor) {
    assert!(
        input.shape() == target.shape(),
        "{loss}: target size ({:?}) must be the same as input size ({:?})",
        target.shape(),
        input.shape()
    );
}

/// A loss module with no parameters and only a reduction (no buffers): the `Module` impl.
macro_rules! loss_module {
    ($name:ident, $torch:literal, |$s:ident, $v:ident| $visit:expr, |$sm:ident, $vm:ident| $visit_mut:expr) => {
        impl crate::module::Module for $name {
            fn visit<'a>(&'a self, $v: &mut dyn crate::module::Visitor<'a>) {
                let $s = self;
                $visit
            }
            fn visit_mut(&mut self, $vm: &mut dyn crate::module::VisitorMut) {
                let $sm = self;
                $visit_mut
            }
            fn type_name(&self) -> &'static str {
                $torch
            }
            fn share(&self) -> Self {
                self.share_impl()
            }
            crate::__module_boilerplate!();
        }

        /// A default-built loss has no `weight` buffer.
        impl crate::module::ConstKeys for $name {
            const STATE_DICT_KEYS: Option<&'static [&'static str]> = Some(&[]);
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                crate::module::fmt_module(self, f)
            }
        }
    };
}
pub(crate) use loss_module;



