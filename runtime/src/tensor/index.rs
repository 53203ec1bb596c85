//! Element and slice access. (Owner: shape/display helper.)

use super::Tensor;

/// One axis of a slice: an index, a range with optional step, or a new axis.
#[derive(Clone, Debug, PartialEq)]
pub enum SliceArg {
    Index(isize),
    Range { start: Option<isize>, end: Option<isize>, step: usize },
    NewAxis,
}

/// Builds a slice description, as `x[1, ..]` or `x[:, 1:3]` in Python.
#[macro_export]
macro_rules! s {
    () => { ::std::vec::Vec::<$crate::tensor::SliceArg>::new() };
}
pub use s;

impl Tensor {
    /// The element at `index` as `f64`-convertible `f32` (stub).
    pub fn get(&self, index: &[usize]) -> f32 { let _ = index; todo!("get") }
}
