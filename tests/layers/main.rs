//! The built-in layers, eager and through their `Layer` impls, against PyTorch's fixtures: dense
//! layers, losses, convolutions, pooling, recurrent layers, and the seed and mixed models built
//! from them.

mod dense_support;
mod layer_support;
#[path = "../common/module_support.rs"]
mod module_support;
mod spatial_support;

mod dense_impls;
mod impls;
mod kernels_dense_layers;
mod kernels_dense_losses;
mod kernels_dense_ops;
mod kernels_rnn_fixtures;
mod kernels_spatial_conv;
mod kernels_spatial_pool;
mod mixed_model;
mod seed_models_eager;
