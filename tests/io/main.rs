//! Files, data and devices: safetensors round trips, interop with PyTorch's files, typed errors for
//! bad input, checkpoints, the RNG's parity with PyTorch, data loading, MNIST, the CPU device and
//! the primer examples' printed output.

mod data_loader;
mod data_mnist;
mod device_cpu;
mod errors;
mod examples_primer;
mod interop;
mod module;
mod rng_parity;
mod roundtrip;
mod train_checkpoint;
