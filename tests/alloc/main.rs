//! Heap allocations counted by one global allocator (`counting.rs`, all threads): tensor handles
//! and views allocate nothing, and warm training steps of the built-in layers, convolutions and
//! pooling, optimisers and `network!` models allocate nothing either. Every test holds the
//! allocator's lock for its whole body, so no other test allocates while one counts.

mod counting;

mod conv_pool;
mod layers;
mod network;
mod optim;
mod tensor_views;

#[path = "../common/seed_networks.rs"]
mod seed_networks;
