//! The eager n-dimensional tensor.
//!
//! A [`Tensor`] is a view (shape, strides, offset) onto reference-counted storage, as in PyTorch:
//! `reshape` of a contiguous tensor, `transpose`, `slice`, `expand` and friends return views that
//! share the storage, and a write through one view is seen through every other. Shape and strides
//! are inline [`Dims`] (at most [`MAX_DIMS`] = 8 dimensions), so a handle or a view costs a
//! reference-count increment and no heap allocation.
//!
//! Two kinds of copy exist, and they are named after PyTorch, not after Rust habit:
//! - [`Clone::clone`] is PyTorch's `x.clone()`: a deep copy with its own storage.
//! - [`Tensor::shallow_clone`] is Python's `y = x`: a second handle onto the same storage.
//!
//! Storage sits behind an `RwLock`, so tensors are `Send + Sync` and eager ops on different
//! threads are safe; an op takes the lock once, never per element.

mod element;
mod dims;
mod storage;
mod iter;

mod create;
mod create_new;
mod binary;
mod unary;
mod compare;
mod reduce;
mod matmul;
mod shape_ops;
mod join;
mod index;
mod display;
mod device_ops;
mod macros;
mod assign;
mod gather;
pub mod typed;

pub use element::{DType, Element};
pub use dims::{Dims, MAX_DIMS};
pub use binary::{Operand, Scalar, broadcast_shapes};
pub use index::{SliceArg, s};
pub use index::NewAxis;
pub use shape_ops::IntoDims;
pub use assign::SliceValue;
pub use macros::Nested;
pub use typed::{C, Dyn, ShapeMismatch, ShapeSpec, Typed};
pub(crate) use iter::StridedOffsets;
pub(crate) use binary::elementwise;
pub(crate) use storage::{Data, Storage};

use crate::device::Device;
use std::sync::Arc;

/// An n-dimensional array of `f32`, `i64` or `bool` on a [`Device`].
///
/// ```
/// use fusenet_runtime::Tensor;
/// let x = Tensor::arange(12.0).reshape(&[3, 4]);
/// assert_eq!(x.shape(), &[3, 4]);
/// assert_eq!(x.get(&[1, 2]), 6.0);
/// ```
pub struct Tensor {
    pub(crate) storage: Arc<Storage>,
    pub(crate) shape: Dims<usize>,
    pub(crate) strides: Dims<isize>,
    pub(crate) offset: usize,
}

/// Row-major (C-order) strides of a shape.
///
/// ```
/// use fusenet_runtime::tensor::contiguous_strides;
/// assert_eq!(contiguous_strides(&[2, 3, 4]), [12, 4, 1]);
/// ```
pub fn contiguous_strides(shape: &[usize]) -> Dims<isize> {
    let mut strides = Dims::filled(0isize, shape.len());
    let mut acc = 1isize;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = acc;
        acc *= d.max(1) as isize;
    }
    strides
}

impl Tensor {
    /// Builds a contiguous tensor that owns `data`, laid out row-major in `shape`.
    ///
    /// Panics when `data.len()` is not the product of `shape`, naming both.
    pub fn from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Tensor {
        let numel: usize = shape.iter().product();
        assert!(
            data.len() == numel,
            "from_vec: {} elements cannot have shape {:?} ({} elements)",
            data.len(),
            shape,
            numel
        );
        Tensor::from_data(T::into_data(data), shape)
    }

    pub(crate) fn from_data(data: Data, shape: &[usize]) -> Tensor {
        Tensor {
            storage: Arc::new(Storage::new(data, Device::Cpu)),
            shape: Dims::from_slice(shape),
            strides: contiguous_strides(shape),
            offset: 0,
        }
    }

    /// A view with new geometry onto the same storage.
    pub(crate) fn view_with(&self, shape: impl Into<Dims<usize>>, strides: impl Into<Dims<isize>>, offset: usize) -> Tensor {
        Tensor { storage: Arc::clone(&self.storage), shape: shape.into(), strides: strides.into(), offset }
    }

    /// A second handle onto the same storage and geometry (Python's `y = x`).
    pub fn shallow_clone(&self) -> Tensor {
        self.view_with(self.shape, self.strides, self.offset)
    }

    /// The size of each dimension.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// PyTorch's `size()`: the same as [`Tensor::shape`].
    pub fn size(&self) -> &[usize] {
        &self.shape
    }

    /// The distance, in elements, between neighbours along each dimension.
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }

    /// The number of dimensions.
    pub fn dim(&self) -> usize {
        self.shape.len()
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.storage.dtype()
    }

    /// Where the storage lives.
    pub fn device(&self) -> Device {
        self.storage.device()
    }

    /// The offset of the first element in the storage.
    pub fn storage_offset(&self) -> usize {
        self.offset
    }

    /// Whether `self` and `other` are views of one storage.
    pub fn shares_storage(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.storage, &other.storage)
    }

    /// Whether the elements are laid out row-major with no gaps.
    pub fn is_contiguous(&self) -> bool {
        if self.numel() == 0 {
            return true;
        }
        let mut expected = 1isize;
        for (&d, &s) in self.shape.iter().zip(&self.strides).rev() {
            if d != 1 && s != expected {
                return false;
            }
            expected *= d as isize;
        }
        true
    }

    /// Normalises a possibly negative dimension index, panicking like PyTorch when out of range.
    pub fn wrap_dim(&self, dim: isize) -> usize {
        let n = self.dim() as isize;
        let lo = if n == 0 { -1 } else { -n };
        let hi = if n == 0 { 0 } else { n - 1 };
        assert!(
            dim >= lo && dim <= hi,
            "Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})"
        );
        (if dim < 0 { dim + n.max(1) } else { dim }) as usize
    }

    /// Storage offsets of every element, in logical (row-major) order.
    pub(crate) fn offsets(&self) -> StridedOffsets {
        StridedOffsets::new(&self.shape, &self.strides, self.offset)
    }

    /// Reads every element, in logical order, into a `Vec`.
    ///
    /// Panics when `T` is not the tensor's dtype.
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        let data = self.storage.read();
        let all = T::slice(&data).unwrap_or_else(|| dtype_panic::<T>("to_vec", self.dtype()));
        if self.is_contiguous() {
            all[self.offset..self.offset + self.numel()].to_vec()
        } else {
            self.offsets().map(|o| all[o]).collect()
        }
    }

    /// Runs `f` on the elements of a contiguous tensor, in order, under one read lock.
    ///
    /// Panics when the tensor is not contiguous or `T` is not its dtype.
    pub fn with_slice<T: Element, R>(&self, f: impl FnOnce(&[T]) -> R) -> R {
        assert!(self.is_contiguous(), "with_slice: tensor of shape {:?} is not contiguous", self.shape);
        let data = self.storage.read();
        let all = T::slice(&data).unwrap_or_else(|| dtype_panic::<T>("with_slice", self.dtype()));
        f(&all[self.offset..self.offset + self.numel()])
    }

    /// Runs `f` on the elements of a contiguous tensor, mutably, under one write lock.
    ///
    /// Panics when the tensor is not contiguous or `T` is not its dtype.
    pub fn with_slice_mut<T: Element, R>(&self, f: impl FnOnce(&mut [T]) -> R) -> R {
        assert!(self.is_contiguous(), "with_slice_mut: tensor of shape {:?} is not contiguous", self.shape);
        let mut data = self.storage.write();
        let dtype = data.dtype();
        let all = T::slice_mut(&mut data).unwrap_or_else(|| dtype_panic::<T>("with_slice_mut", dtype));
        let n = self.numel();
        f(&mut all[self.offset..self.offset + n])
    }

    /// Returns `self` if contiguous (sharing storage), else a contiguous copy.
    pub fn contiguous(&self) -> Tensor {
        if self.is_contiguous() { self.shallow_clone() } else { self.deep_copy() }
    }

    fn deep_copy(&self) -> Tensor {
        let data = self.storage.read();
        let out = data.gather(self.offsets(), self.is_contiguous().then_some(self.offset..self.offset + self.numel()));
        drop(data);
        Tensor::from_data(out, &self.shape)
    }
}

impl Clone for Tensor {
    /// PyTorch's `x.clone()`: a contiguous deep copy with its own storage.
    fn clone(&self) -> Tensor {
        self.deep_copy()
    }
}

pub(crate) fn dtype_panic<T: Element>(op: &str, actual: DType) -> ! {
    panic!("{op}: expected a tensor of dtype {:?}, but got {:?}", T::DTYPE, actual)
}
