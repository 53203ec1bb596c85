//! [`SliceValue`]: what `slice_assign` and `set` accept on their right-hand side.

use super::Tensor;
use super::binary::Scalar;

/// A value that can be written into a tensor or a slice of one (Python's `x[...] = value`): a
/// scalar (`f32`, `f64`, `i32`, `i64`, `bool`, [`Scalar`]), converted to the tensor's dtype, or a
/// tensor, broadcast to the slice's shape and converted to its dtype.
pub trait SliceValue {
    /// Writes `self` into every element of `dst`.
    fn write_into(self, dst: &Tensor);
}

macro_rules! scalar_value {
    ($($t:ty),*) => {$(
        impl SliceValue for $t {
            fn write_into(self, dst: &Tensor) {
                dst.fill_(self);
            }
        }
    )*};
}
scalar_value!(f32, f64, i32, i64, bool, Scalar);

impl SliceValue for &Tensor {
    fn write_into(self, dst: &Tensor) {
        // Expanding first gives PyTorch's `__setitem__` message on a shape mismatch.
        dst.copy_(&self.expand(dst.shape()));
    }
}

impl SliceValue for Tensor {
    fn write_into(self, dst: &Tensor) {
        (&self).write_into(dst);
    }
}
