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
//!
//! ## Networks: `network!`
//!
//! A network's fields and its forward, in Rust syntax. At compile time the macro checks every
//! shape (errors at the offending expression), derives the backward by source transformation,
//! and generates the struct (`#[derive(Module)]`), `new()` (PyTorch's default init, in field
//! order), a shape-checked `forward(&Tensor)`, and a [`Layer`](module::Layer) impl
//! (`forward`, `forward_train`, `backward`).
//!
//! ```
//! use fusenet::module::Layer;
//! use fusenet::nn::{Linear, ReLU};
//! use fusenet::prelude::*;
//!
//! network! {
//!     /// Fields: built-in layers (`Linear<IN, OUT>`, `IN` may be `_`; `ReLU`, `Sigmoid`, `Tanh`,
//!     /// `Identity`, `Flatten`), `Param<[..]>`/`Buffer<[..]>` with `#[init(..)]`, constants
//!     /// `#[constant(init)] name: [dims]`, arrays of layers, any other `Layer` type.
//!     struct FixedHiddenMlp {
//!         #[constant(rand)] rand_weight: [20, 20],
//!         linear: Linear<20, 20>,
//!     }
//!     // dims: numbers, const parameters, batch names (`B`), `_` (any), a leading `..`
//!     fn forward(x: [B, 20]) -> [] {
//!         let x = linear(x);                        // a layer call
//!         let x = relu(mm(x, rand_weight) + 1.0);   // built-ins, `+ - * /` with broadcasting
//!         let mut x = linear(x);                    // the same layer again: tied weights
//!         while x.abs().sum() > 1.0 { x /= 2.0; }   // a data-dependent loop (method forms)
//!         x.sum()
//!     }
//! }
//!
//! network! {
//!     /// A parameter-free layer: `[..]` is any shape.
//!     struct Centered;
//!     fn forward(x: [..]) -> [..] { x - x.mean() }
//! }
//!
//! network! {
//!     struct Block = Sequential(Linear<4, 8>, ReLU, Linear<8, 4>);   // keys 0.weight, 2.bias, ..
//! }
//!
//! network! {
//!     struct Stack {
//!         blocks: [Block; 2],
//!         head: Linear<4, 4>,
//!         #[share(head)] tied: Linear<4, 4>,        // `#[share(f)]`: a second handle onto `f`
//!         centre: Centered,
//!     }
//!     fn forward(x: [B, 4]) -> [B, 4] {
//!         let mut x = x;
//!         for b in blocks { x = b(x); }             // `for` over an array of layers
//!         centre(tied(head(x)))
//!     }
//! }
//!
//! manual_seed(0);
//! let net = FixedHiddenMlp::new();
//! let x = Tensor::rand(&[2, 20]);
//! let mut ctx = Default::default();
//! let y = net.forward_train(&x, &mut ctx);         // saves what the backward needs
//! let gx = net.backward(&mut ctx, &Tensor::ones_like(&y), true).unwrap();
//! assert_eq!(gx.shape(), &[2, 20]);
//! assert!(net.linear.weight.grad().is_some());      // both calls added into it
//! assert_eq!(Block::new().state_dict_keys()[2], "2.weight");
//! ```
//!
//! Built-in functions (and their method forms `x.relu()`): `relu`, `sigmoid`, `tanh`, `exp`, `log`,
//! `sqrt`, `abs`, `neg`, `leaky_relu(x, slope)`, `pow(x, p)`, `matmul`/`mm`, `sum`/`mean` (all
//! elements, `(x, dim)`, `(x, dim, keepdim)`), `softmax(x, dim)`, `log_softmax(x, dim)`,
//! `transpose(x, d0, d1)`, `t(x)`. Calls of other layers are checked at type-check time against
//! their `Layer::IN_DIMS`/`OUT_DIMS`.

pub use fusenet_kernels as kernels;
pub use fusenet_macros::Module;
pub use fusenet_macros::network;
pub use fusenet_runtime::*;

/// Everything a model file usually needs.
pub mod prelude {
    pub use fusenet_macros::{Module, network};
    pub use fusenet_runtime::{manual_seed, Buffer, DType, Device, Module, Param, StateDict, Tensor};
    pub use fusenet_runtime::tensor::{C, Dyn, Typed};
    pub use fusenet_runtime::module::{DynLayer, ModuleDict};
}

#[doc(hidden)]
pub mod __private {
    pub use fusenet_runtime::module::__private::*;
    pub use fusenet_runtime::module::Layer;
    pub use fusenet_runtime::module::shape;
    pub use fusenet_runtime::tensor::Tensor;
    pub use fusenet_runtime::init;
    /// The backward helpers generated code calls (`fusenet_runtime::graph`).
    pub use fusenet_runtime::graph as ops;
    pub use fusenet_runtime::tensor::{C, Dyn, Typed};
}
