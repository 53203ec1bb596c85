//! Compute kernels of fusenet, behind one interface per op.
//!
//! `cpu` holds the CPU kernels (GEMM on `matrixmultiply`, parallel loops on `rayon`).

pub mod cpu;
pub mod ops;
