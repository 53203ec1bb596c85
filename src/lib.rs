//! # fusenet
//!
//! Deep learning in Rust where a network is a static graph compiled by proc-macros.
//! See `README.md` and `ARCHITECTURE.md`.

pub use fusenet_kernels as kernels;
pub use fusenet_macros::Module;
pub use fusenet_runtime::*;

/// Everything a model file usually needs.
pub mod prelude {
    pub use fusenet_macros::Module;
    pub use fusenet_runtime::{manual_seed, Buffer, DType, Device, Module, Param, StateDict, Tensor};
}

#[doc(hidden)]
pub mod __private {
    pub use fusenet_runtime::module::__private::*;
}
