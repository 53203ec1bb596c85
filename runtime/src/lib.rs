//! The runtime of fusenet: tensors, parameters, modules, state dicts and their files.
//!
//! Most users reach this crate through the `fusenet` facade and its prelude.

pub mod data;
pub mod device;
pub mod error;
pub mod graph;
pub mod init;
pub mod io;
pub mod module;
pub mod nn;
pub mod optim;
pub mod param;
pub mod pool;
pub mod rng;
pub mod state_dict;
pub mod tensor;
pub mod train;

pub use device::Device;
pub use error::{Error, Result};
pub use module::Module;
pub use param::{Buffer, Param};
pub use rng::manual_seed;
pub use state_dict::StateDict;
pub use tensor::{DType, Element, Tensor};
