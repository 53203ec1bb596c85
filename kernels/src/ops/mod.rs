//! Layer kernels: one folder per op, each with a forward and a backward over slices.
//!
//! Conventions (see each op's doc comment for its shapes): buffers are contiguous row-major
//! slices owned by the caller, nothing is allocated, the input gradient is written (overwritten)
//! and parameter gradients are accumulated (`+=`), as PyTorch accumulates `.grad`.

pub mod activation;
pub mod conv;
pub mod dropout;
pub mod embedding;
pub mod linear;
pub mod loss;
pub mod norm;
pub mod pool;
pub mod rnn;
pub mod softmax;

#[cfg(test)]
pub(crate) mod gradcheck;
pub(crate) mod rows;
