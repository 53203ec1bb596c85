//! Layers: `Linear` and the parameter-free modules (`ReLU`, `Sigmoid`, `Tanh`, `Flatten`, `Identity`).
//!
//! Each is a hand-written [`Module`](crate::Module) with an eager `forward`.

mod activation;
mod flatten;
mod linear;

pub use activation::{Identity, ReLU, Sigmoid, Tanh};
pub use flatten::Flatten;
pub use linear::{AnyLinear, Linear};
