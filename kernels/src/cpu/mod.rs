//! CPU kernels.
//!
//! - [`gemm`]: the one strided GEMM entry point ([`gemm::sgemm`] on `matrixmultiply`, and a naive
//!   integer fallback).
//! - [`optim`]: fused optimiser updates (SGD, Adam/AdamW, RMSprop, Adagrad, Adadelta).
//! - [`normal`]: PyTorch's vectorised Box–Muller transform, bit for bit.
//! - [`parallel`]: elementwise maps and reductions over contiguous slices, run on rayon above
//!   [`parallel::PAR_THRESHOLD`] elements.

pub mod gemm;
#[cfg(target_arch = "x86_64")]
pub(crate) mod mask;
pub mod normal;
pub mod optim;
pub mod parallel;
