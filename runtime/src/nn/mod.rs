//! Layers: `Linear` and the parameter-free modules (`ReLU`, `Sigmoid`, `Tanh`, `Flatten`, `Identity`).
//!
//! Each is a hand-written [`Module`](crate::Module) with an eager `forward`.

/// `Module` and `Display` for a layer without parameters or buffers: `type_name` is `$torch`,
/// `extra_repr` is `$repr` with `$s` bound to the layer, and `share` is a clone.
macro_rules! hyper_module {
    ($name:ident, $torch:expr, |$s:ident| $repr:expr) => {
        impl crate::module::Module for $name {
            fn visit<'a>(&'a self, _v: &mut dyn crate::module::Visitor<'a>) {}
            fn visit_mut(&mut self, _v: &mut dyn crate::module::VisitorMut) {}
            fn type_name(&self) -> &'static str {
                $torch
            }
            fn extra_repr(&self) -> String {
                let $s = self;
                $repr
            }
            fn share(&self) -> Self {
                self.clone()
            }
            crate::__module_boilerplate!();
        }

        /// No parameters, no buffers.
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

pub mod functional;
mod activation;
mod batchnorm;
mod conv;
mod dropout;
mod embedding;
mod kernel_call;
mod layernorm;
pub mod loss;
mod nonlinear;
mod pool;
mod rnn;
mod saved_layer;
mod flatten;
mod linear;

pub use activation::{Identity, ReLU, SavedOutput, Sigmoid, Tanh};
pub use flatten::{Flatten, FlattenCtx, Unflatten};
pub use linear::{AnyLinear, Linear, LinearCtx};
pub use conv::{Conv1d, Conv2d, Conv3d, ConvCtx, ConvOptions, SizeArg};
pub use batchnorm::{BatchNorm1d, BatchNorm2d, BatchNormCtx, BatchNormOptions};
pub use dropout::{Dropout, DropoutCtx};
pub use embedding::Embedding;
pub use layernorm::{LayerNorm, LayerNormCtx};
pub use loss::{BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, LossCtx, MSELoss, NLLLoss, Reduction};
pub use pool::{AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AvgPool1d, AvgPool2d, AvgPool3d, MaxPool1d, MaxPool2d, MaxPool3d, OutputSize, PoolCtx};
pub use rnn::{GRU, LSTM, RNN, RnnCtx, RnnGrads, RnnLayerParams, RnnOptions};
pub use nonlinear::{ELU, GELU, LeakyReLU, LogSoftmax, SiLU, Softmax};
pub use saved_layer::SavedTensor;
