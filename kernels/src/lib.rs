//! Compute kernels of fusenet, behind one interface per op.
//!
//! `cpu` holds the CPU kernels (GEMM on `matrixmultiply`, parallel loops on `rayon`); `ops` the
//! layer kernels (forward and backward over caller-owned slices), generic over [`real::Real`].

pub mod cpu;
pub mod error;
pub mod ops;
pub mod real;
