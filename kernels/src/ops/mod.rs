//! Layer kernels: one folder per op, each with a forward and a backward over slices.
