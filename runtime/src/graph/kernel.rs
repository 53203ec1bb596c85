//! Small elementwise loops shared by the helpers: `f(a, b)` over two `f32` tensors of one shape.

use crate::tensor::{Tensor, elementwise};

/// Panics unless `a` and `b` have the same shape, naming both (a backward helper never
/// broadcasts silently: a mismatch is a bug in the caller).
pub(crate) fn same_shape(op: &str, what: [&str; 2], a: &Tensor, b: &Tensor) {
    assert!(
        a.shape() == b.shape(),
        "{op}: {} has shape {:?} but {} has shape {:?}; they must be equal",
        what[0],
        a.shape(),
        what[1],
        b.shape()
    );
}

/// `f(a, b)` elementwise for two `f32` tensors of one shape (checked), as a new contiguous tensor.
pub(crate) fn zip2(op: &str, what: [&str; 2], a: &Tensor, b: &Tensor, f: impl Fn(f32, f32) -> f32 + Sync + Send) -> Tensor {
    same_shape(op, what, a, b);
    elementwise::zip(op, a, b, f)
}
