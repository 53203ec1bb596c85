//! `network!` models: the seed models, built-in layers, losses, recurrent layers and `Unflatten`
//! inside networks, their generated backwards (against finite differences) and introspection.

#[path = "../common/module_support.rs"]
mod module_support;

mod fused_update;
mod grad;
mod introspection;
mod layers;
mod loss;
mod rnn;
mod seed_models;
mod smoke;
mod unflatten;

#[path = "../common/seed_networks.rs"]
mod seed_networks;
