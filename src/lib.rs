//! # fusenet
//!
//! Deep learning in Rust where a network is a static graph compiled by proc-macros.
//! See `README.md` and `ARCHITECTURE.md`.
//!
//! ## Modules
//!
//! `#[derive(Module)]` turns a struct into PyTorch's `nn.Module`: its fields are registered in
//! declaration order, and it gets `named_parameters`, `state_dict`, `load_state_dict`, `apply`,
//! `train`/`eval`, `share` (tied layers) and PyTorch's printed form.
//!
//! ```
//! use fusenet::nn::{Linear, ReLU};
//! use fusenet::prelude::*;
//!
//! #[derive(Module)]
//! #[module(name = "Sequential")]           // the name printed by Display
//! struct Block(Linear<4, 8>, ReLU, Linear<8, 4>);
//!
//! #[derive(Module)]
//! struct Net {
//!     #[module(flatten, rename = "block {}")] // elements become children "block 0", "block 1"
//!     blocks: Vec<Block>,
//!     #[module(rename = "head")]              // state-dict key "head.weight"
//!     out: Linear<4, 1>,
//!     #[module(skip)]                         // not traversed; `share` clones it
//!     depth: usize,
//! }
//!
//! let net = Net { blocks: vec![Block(Linear::new(), ReLU, Linear::new())], out: Linear::new(), depth: 1 };
//! assert_eq!(net.state_dict_keys()[..2], ["block 0.0.weight", "block 0.0.bias"]);
//! assert_eq!(net.state_dict_keys()[4..], ["head.weight", "head.bias"]);
//! assert!(net.to_string().starts_with("Net(\n  (block 0): Sequential(\n    (0): Linear(in_features=4"));
//! ```
//!
//! Field types: `Param`, `Buffer`, any `Module`, and `Option`, `Vec`, arrays and `Box`
//! (`Box<dyn Module>` too) of those; a `Vec` or array field is a `ModuleList` child (`blocks.0.weight`)
//! unless it is `flatten`ed. Struct attributes: `name = "..."` (printed type name), `crate = "..."`
//! (path of this crate). A struct whose traversed fields are all `Param` also gets
//! `pub const STATE_DICT_KEYS: &[&str]`; every module has `state_dict_keys()`.

pub use fusenet_kernels as kernels;
pub use fusenet_macros::Module;
pub use fusenet_macros::network;
pub use fusenet_runtime::*;

/// Everything a model file usually needs.
pub mod prelude {
    pub use fusenet_macros::{Module, network};
    pub use fusenet_runtime::{manual_seed, Buffer, DType, Device, Module, Param, StateDict, Tensor};
}

#[doc(hidden)]
pub mod __private {
    pub use fusenet_runtime::module::__private::*;
    pub use fusenet_runtime::module::Layer;
    pub use fusenet_runtime::module::shape;
    pub use fusenet_runtime::tensor::Tensor;
    pub use fusenet_runtime::init;
}
