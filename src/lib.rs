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
//! (path of this crate), `state_dict_keys = none | <&[&str] expression>` (see below).
//!
//! Every module has `state_dict_keys()`. The keys are also known at compile time through
//! [`ConstKeys`](module::ConstKeys) (in the prelude): `Net::STATE_DICT_KEYS` is
//! `Some(&[...])` with the keys of the module as its default constructors build it (a `Linear`
//! with its bias, persistent buffers), composed from the field types, generic ones included; it
//! is `None` when run-time choices decide them (`Vec`, `Option` and `Box<dyn Module>` fields).
//! A struct whose constructor builds layers otherwise (`Linear::no_bias()`) says so with
//! `#[module(state_dict_keys = none)]` or gives its list. A struct whose traversed fields are all
//! `Param` also has the inherent `pub const STATE_DICT_KEYS: &[&str]`.
//!
//! ```
//! use fusenet::nn::{Linear, ReLU};
//! use fusenet::prelude::*;
//!
//! #[derive(Module)]
//! #[module(name = "Sequential")]
//! struct Block<const N: usize>(Linear<N, 8>, ReLU, Linear<8, 4>);
//!
//! #[derive(Module)]
//! struct Net {
//!     #[module(flatten, rename = "block {}")]
//!     blocks: [Block<4>; 2],
//!     head: Linear<4, 1>,
//! }
//!
//! const KEYS: &[&str] = Net::STATE_DICT_KEYS.unwrap(); // evaluated by the compiler
//! assert_eq!(KEYS[..2], ["block 0.0.weight", "block 0.0.bias"]);
//! assert_eq!(KEYS.len(), 2 * 4 + 2);
//! let net = Net { blocks: [Block(Linear::new(), ReLU, Linear::new()), Block(Linear::new(), ReLU, Linear::new())], head: Linear::new() };
//! assert_eq!(net.state_dict_keys(), KEYS);
//! ```
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
//!         more: Vec<Block> = (0..3).map(|_| Block::new()).collect(),  // length chosen at run time
//!         head: Linear<4, 4>,
//!         #[share(head)] tied: Linear<4, 4>,        // `#[share(f)]`: a second handle onto `f`
//!         centre: Centered,
//!     }
//!     fn forward(x: [B, 4]) -> [B, 4] {
//!         let mut x = x;
//!         for b in blocks { x = b(x); }             // `for` over an array of layers
//!         for b in more { x = b(x); }               // or a `Vec` of them
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
//! The training context is where the memory lives: `forward_train` and `backward` write every
//! result, saved value and gradient into buffers the context keeps, elementwise chains run fused
//! in one pass, and a `Linear` with its activation is one GEMM with an epilogue. Keep one context
//! and pass it every step: once warm at a batch size, a step allocates nothing (a result you still
//! hold is never overwritten: it just costs a new buffer). As in PyTorch, `backward` frees what
//! the forward saved, so call it once per `forward_train`. `graph_dot()` shows what was fused.
//!
//! Built-in functions (and their method forms `x.relu()`): `relu`, `sigmoid`, `tanh`, `exp`, `log`,
//! `sqrt`, `abs`, `neg`, `leaky_relu(x, slope)`, `pow(x, p)`, `matmul`/`mm`, `sum`/`mean` (all
//! elements, `(x, dim)`, `(x, dim, keepdim)`), `softmax(x, dim)`, `log_softmax(x, dim)`,
//! `transpose(x, d0, d1)`, `t(x)`. Calls of other layers are checked at type-check time against
//! their `Layer::IN_DIMS`/`OUT_DIMS`.
//! Also `gelu`, `max` (all elements, or `(x, dim[, keepdim])`), `reshape(x, [..])`/`view` (one
//! `-1` or `_` inferred), `flatten(x, start[, end])`, `permute(x, [..])`, `unsqueeze(x, d)`,
//! `squeeze(x[, d])`, `cat([a, b], dim)` and `stack([a, b], dim)`. There is no functional
//! `dropout(x, p)`: a forward has no train/eval flag of its own; use a `Dropout` field, which
//! follows the module's mode.
//!
//! Losses are built-ins too: `cross_entropy(logits, target)` (logits `[B, C]` or `[B, C, d…]`,
//! class indices `[B]` / `[B, d…]`), `nll_loss(log_probs, target)`, `mse_loss(a, b)`,
//! `l1_loss(a, b)`, `binary_cross_entropy(p, t)` and `binary_cross_entropy_with_logits(x, t)`,
//! each with an optional `reduction = "mean"` (the default), `"sum"` or `"none"`. A forward may
//! take targets after its input, each with its dtype: `fn forward(x: [B, 784], target: [B] as
//! i64)` (`as i64`: class indices, only the target of `cross_entropy`/`nll_loss`; `as f32`: a
//! float target). Shapes of logits and targets are checked at compile time. Targets are never
//! differentiated. A network with targets is not a [`Layer`](module::Layer) (which takes one
//! input); it gets inherent `forward(&x, &target..)`, `forward_train(&x, &target.., &mut ctx)`
//! and `backward(&mut ctx, grad_out, need_input_grad)` with `grad_out` a number (`1.0` for a 0-d
//! loss) or a tensor. When it holds a loss that can fail on data (`cross_entropy`, `nll_loss`,
//! `binary_cross_entropy`: a class index out of range, a probability outside [0, 1]) both
//! forwards return [`Result<Tensor>`](Result) instead of panicking; such a network with one
//! input is not a `Layer` either.
//!
//! ```
//! use fusenet::nn::Linear;
//! use fusenet::optim::{Optimizer, Sgd};
//! use fusenet::prelude::*;
//!
//! network! {
//!     struct Classifier { fc: Linear<784, 10> }
//!     fn forward(x: [B, 784], target: [B] as i64) -> [] {
//!         cross_entropy(fc(x), target)
//!     }
//! }
//!
//! let net = Classifier::new();
//! let mut opt = Sgd::new(net.parameters(), 0.1);
//! let (x, target) = (Tensor::rand(&[4, 784]), Tensor::from_vec(vec![3i64, 1, 4, 1], &[4]));
//! let mut ctx = Default::default();
//! let loss = net.forward_train(&x, &target, &mut ctx)?;
//! net.backward(&mut ctx, 1.0, false);
//! opt.step();
//! assert!(net.forward(&x, &target)?.item() < loss.item());
//! let bad = Tensor::from_vec(vec![10i64, 0, 0, 0], &[4]);
//! assert!(net.forward(&x, &bad).unwrap_err().to_string().contains("Target 10 is out of bounds"));
//! # Ok::<(), fusenet::Error>(())
//! ```
//!
//! A layer field may give its constructor after `=`; the sizes that decide shapes (kernel,
//! stride, padding, dilation, output size, ...) are read from it at compile time, so convolution
//! and pooling shapes are checked and `Linear<_, N>` after them is inferred. `forward_typed`
//! takes a [`Typed`](tensor::Typed) tensor whose static dims are in its type:
//!
//! ```
//! use fusenet::nn::{Conv2d, Flatten, Linear, MaxPool2d, ReLU};
//! use fusenet::prelude::*;
//!
//! network! {
//!     struct LeNet = Sequential(
//!         Conv2d<1, 6, 5> = Conv2d::new().padding(2), ReLU, MaxPool2d = MaxPool2d::new(2),
//!         Conv2d<6, 16, 5>, ReLU, MaxPool2d = MaxPool2d::new(2),
//!         Flatten, Linear<_, 120>, ReLU, Linear<120, 84>, ReLU, Linear<84, 10>,
//!     ) : [B, 1, 28, 28];
//! }
//!
//! let net = LeNet::new();
//! assert_eq!(net.7.weight.shape(), &[120, 400]);   // 16 × 5 × 5, inferred at compile time
//! let x: Typed<(Dyn, C<1>, C<28>, C<28>)> = Typed::new(Tensor::zeros(&[2, 1, 28, 28])).unwrap();
//! let y: Typed<(Dyn, C<10>)> = net.forward_typed(&x);
//! assert_eq!(y.tensor().shape(), &[2, 10]);
//! ```

pub use fusenet_kernels as kernels;
pub use fusenet_macros::Module;
pub use fusenet_macros::network;
pub use fusenet_runtime::*;

/// Everything a model file usually needs.
pub mod prelude {
    pub use fusenet_macros::{Module, network};
    pub use fusenet_runtime::{manual_seed, Buffer, DType, Device, Module, Param, StateDict, Tensor};
    pub use fusenet_runtime::tensor::{C, Dyn, Typed};
    pub use fusenet_runtime::module::{ConstKeys, DynLayer, Layer, ModuleDict};
    pub use fusenet_runtime::optim::Optimizer;
}

#[doc(hidden)]
pub mod __private {
    pub use fusenet_runtime::module::__private::*;
    pub use fusenet_runtime::module::Layer;
    pub use fusenet_runtime::optim::FusedUpdate;
    pub use fusenet_runtime::module::shape;
    pub use fusenet_runtime::tensor::Tensor;
    pub use fusenet_runtime::tensor::Dims;
    pub use fusenet_runtime::init;
    /// The backward helpers generated code calls (`fusenet_runtime::graph`).
    pub use fusenet_runtime::graph as ops;
    pub use fusenet_runtime::tensor::{C, Dyn, Typed};
}
