//! Element access (`get`, `set`), basic slicing with the [`s!`] macro (`x[0, :]`, `x[1:3, ::2]`,
//! `x[..., -1]`, `x[None]`), and the `narrow`/`select` views it is built on.
//!
//! Slices are views: they share storage with the tensor they come from, so writing through one
//! (with [`Tensor::slice_assign`] or an in-place op) changes the original, as in PyTorch.

use super::assign::SliceValue;
use super::{Dims, Element, Tensor, dtype_panic};
use super::shape_ops::IntoDims;
use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};

/// One axis of a slice: an index (removes the axis), a range with a step, a new axis of size 1
/// (Python's `None`) or an ellipsis (Python's `...`: as many full ranges as needed).
#[derive(Clone, Debug, PartialEq)]
pub enum SliceArg {
    Index(isize),
    Range { start: Option<isize>, end: Option<isize>, step: usize },
    NewAxis,
    Ellipsis,
}

/// Python's `None` in an index: inserts an axis of size 1. Usable as `s![NewAxis, ..]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewAxis;

impl SliceArg {
    /// Sets the step of a range (`start:end:step` in Python); used by `s![a..b; step]`.
    ///
    /// Panics, as PyTorch does, for a step that is not positive, or on an index.
    pub fn with_step(self, step: isize) -> SliceArg {
        assert!(step != 0, "slice step cannot be zero");
        assert!(step > 0, "step must be greater than zero");
        match self {
            SliceArg::Range { start, end, .. } => SliceArg::Range { start, end, step: step as usize },
            other => panic!("a step applies to a range, not to {other:?}"),
        }
    }
}

impl From<RangeFull> for SliceArg {
    fn from(_: RangeFull) -> SliceArg {
        SliceArg::Range { start: None, end: None, step: 1 }
    }
}

impl From<NewAxis> for SliceArg {
    fn from(_: NewAxis) -> SliceArg {
        SliceArg::NewAxis
    }
}

macro_rules! slice_arg_from {
    ($($t:ty),*) => {$(
        impl From<$t> for SliceArg {
            fn from(i: $t) -> SliceArg { SliceArg::Index(i as isize) }
        }
        impl From<Range<$t>> for SliceArg {
            fn from(r: Range<$t>) -> SliceArg {
                SliceArg::Range { start: Some(r.start as isize), end: Some(r.end as isize), step: 1 }
            }
        }
        impl From<RangeFrom<$t>> for SliceArg {
            fn from(r: RangeFrom<$t>) -> SliceArg {
                SliceArg::Range { start: Some(r.start as isize), end: None, step: 1 }
            }
        }
        impl From<RangeTo<$t>> for SliceArg {
            fn from(r: RangeTo<$t>) -> SliceArg {
                SliceArg::Range { start: None, end: Some(r.end as isize), step: 1 }
            }
        }
        impl From<RangeInclusive<$t>> for SliceArg {
            fn from(r: RangeInclusive<$t>) -> SliceArg {
                let end = *r.end() as isize;
                SliceArg::Range { start: Some(*r.start() as isize), end: (end != -1).then_some(end + 1), step: 1 }
            }
        }
        impl From<RangeToInclusive<$t>> for SliceArg {
            fn from(r: RangeToInclusive<$t>) -> SliceArg {
                let end = r.end as isize;
                SliceArg::Range { start: None, end: (end != -1).then_some(end + 1), step: 1 }
            }
        }
    )*};
}
slice_arg_from!(isize, i32, i64, usize);

/// Builds a slice description for [`Tensor::slice`], with Python's indexing in Rust syntax: an
/// array `[SliceArg; N]` (no heap allocation).
///
/// | Python | `s!` |
/// |---|---|
/// | `x[:]` | `s![..]` |
/// | `x[0, :]` | `s![0, ..]` |
/// | `x[1:3, ::2]` | `s![1..3, ..;2]` |
/// | `x[:, -1]` | `s![.., -1]` |
/// | `x[:2]`, `x[1:]`, `x[1:3:2]` | `s![..2]`, `s![1..]`, `s![1..3;2]` |
/// | `x[None, ..., 0]` | `s![NewAxis, Ellipsis, 0]` |
///
/// `a..=b` is also accepted. Indices and bounds may be negative (counted from the end) and any
/// integer expression.
///
/// ```
/// use fusenet_runtime::{s, Tensor};
/// let x = Tensor::arange(12.0).reshape([3, 4]);
/// assert_eq!(x.slice(s![1..3, ..;2]).to_vec::<f32>(), [4.0, 6.0, 8.0, 10.0]);
/// assert_eq!(x.slice(s![.., -1]).to_vec::<f32>(), [3.0, 7.0, 11.0]);
/// ```
#[macro_export]
macro_rules! s {
    (@go [$($done:expr,)*]) => {{
        let args: [$crate::tensor::SliceArg; _] = [$($done,)*];
        args
    }};
    (@go [$($done:expr,)*] NewAxis $(, $($rest:tt)*)?) => {
        $crate::s!(@go [$($done,)* $crate::tensor::SliceArg::NewAxis,] $($($rest)*)?)
    };
    (@go [$($done:expr,)*] Ellipsis $(, $($rest:tt)*)?) => {
        $crate::s!(@go [$($done,)* $crate::tensor::SliceArg::Ellipsis,] $($($rest)*)?)
    };
    (@go [$($done:expr,)*] $r:expr ; $step:expr $(, $($rest:tt)*)?) => {
        $crate::s!(@go [$($done,)* $crate::s!(@arg $r).with_step($step),] $($($rest)*)?)
    };
    (@go [$($done:expr,)*] $r:expr $(, $($rest:tt)*)?) => {
        $crate::s!(@go [$($done,)* $crate::s!(@arg $r),] $($($rest)*)?)
    };
    // `1..-1` is Python's `1:-1`, not an empty Rust range: silence clippy's lint for it.
    (@arg $r:expr) => {{
        #[allow(clippy::reversed_empty_ranges)]
        let arg = $crate::tensor::SliceArg::from($r);
        arg
    }};
    ($($t:tt)*) => { $crate::s!(@go [] $($t)*) };
}
pub use s;

impl Tensor {
    /// Python's `x[...]` with basic indexing: a view sharing storage. Build `args` with [`s!`].
    ///
    /// Ranges are clamped to the dimension as in Python; an index out of range panics with
    /// PyTorch's message ("index 5 is out of bounds for dimension 0 with size 3").
    ///
    /// ```
    /// use fusenet_runtime::{s, Tensor};
    /// let x = Tensor::zeros(&[2, 3]);
    /// let row = x.slice(s![0, ..]);
    /// row.slice_assign(s![..], 7.0); // x[0, :] = 7
    /// assert_eq!(x.to_vec::<f32>(), [7.0, 7.0, 7.0, 0.0, 0.0, 0.0]);
    /// ```
    pub fn slice(&self, args: impl AsRef<[SliceArg]>) -> Tensor {
        let args = args.as_ref();
        let consuming = args.iter().filter(|a| matches!(a, SliceArg::Index(_) | SliceArg::Range { .. })).count();
        assert!(consuming <= self.dim(), "too many indices for tensor of dimension {}", self.dim());
        assert!(
            args.iter().filter(|a| **a == SliceArg::Ellipsis).count() <= 1,
            "an index can only have a single ellipsis ('...')"
        );
        let (mut shape, mut strides, mut offset) = (Dims::new(), Dims::new(), self.offset as isize);
        let mut d = 0; // the next source dimension
        for arg in args {
            match *arg {
                SliceArg::Index(i) => {
                    offset += self.strides[d] * self.wrap_index(d, i) as isize;
                    d += 1;
                }
                SliceArg::Range { start, end, step } => {
                    let (first, len) = python_slice(self.shape[d], start, end, step);
                    if len > 0 {
                        offset += self.strides[d] * first as isize;
                    }
                    shape.push(len);
                    strides.push(self.strides[d] * step as isize);
                    d += 1;
                }
                SliceArg::NewAxis => {
                    shape.push(1);
                    strides.push(if d < self.dim() { self.strides[d] * self.shape[d] as isize } else { 1 });
                }
                SliceArg::Ellipsis => {
                    let skip = self.dim() - consuming;
                    shape.extend_from_slice(&self.shape[d..d + skip]);
                    strides.extend_from_slice(&self.strides[d..d + skip]);
                    d += skip;
                }
            }
        }
        shape.extend_from_slice(&self.shape[d..]);
        strides.extend_from_slice(&self.strides[d..]);
        self.view_with(shape, strides, offset as usize)
    }

    /// Python's `x[args] = value`: writes a scalar (converted to the tensor's dtype) or a tensor
    /// (broadcast to the slice's shape, converted) into the slice. Writes through views reach the
    /// original storage.
    ///
    /// ```
    /// use fusenet_runtime::{s, tensor, Tensor};
    /// let x = Tensor::zeros(&[3, 2]);
    /// x.slice_assign(s![0..2, ..], 12.0);          // X[0:2, :] = 12
    /// x.slice_assign(s![2], &tensor![1.0, 2.0]);   // X[2] = tensor([1., 2.])
    /// assert_eq!(x.to_vec::<f32>(), [12.0, 12.0, 12.0, 12.0, 1.0, 2.0]);
    /// ```
    pub fn slice_assign(&self, args: impl AsRef<[SliceArg]>, value: impl SliceValue) {
        value.write_into(&self.slice(args));
    }

    /// The element at `index` (one index per dimension, negative counts from the end) as `f32`,
    /// converting an `i64` or `bool` element as `float(x[i, j])` would.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::arange(6.0).reshape([2, 3]);
    /// assert_eq!(x.get([1, 2]), 5.0);
    /// assert_eq!(x.get([-1, 0]), 3.0);
    /// ```
    pub fn get(&self, index: impl IntoDims) -> f32 {
        let offset = self.element_offset(&index.into_dims());
        let data = self.storage.read();
        match &*data {
            super::Data::F32(v) => v[offset],
            super::Data::I64(v) => v[offset] as f32,
            super::Data::Bool(v) => v[offset] as u8 as f32,
        }
    }

    /// The element at `index` as its own type `T`. Panics when `T` is not the tensor's dtype.
    ///
    /// ```
    /// use fusenet_runtime::tensor;
    /// assert_eq!(tensor![[1, 2], [3, 4]].get_as::<i64>([1, 0]), 3);
    /// ```
    pub fn get_as<T: Element>(&self, index: impl IntoDims) -> T {
        let offset = self.element_offset(&index.into_dims());
        let data = self.storage.read();
        T::slice(&data).unwrap_or_else(|| dtype_panic::<T>("get_as", self.dtype()))[offset]
    }

    /// Writes one element (Python's `x[i, j] = value`); the value is converted to the tensor's dtype.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let w = Tensor::ones(&[2, 2]);
    /// w.set([0, 0], 42.0);
    /// assert_eq!(w.to_vec::<f32>(), [42.0, 1.0, 1.0, 1.0]);
    /// ```
    pub fn set(&self, index: impl IntoDims, value: impl SliceValue) {
        let offset = self.element_offset(&index.into_dims());
        value.write_into(&self.view_with([], [], offset));
    }

    /// PyTorch's `narrow(dim, start, length)`: the view of `length` entries from `start` (which
    /// may be negative) along `dim`.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::arange(6.0).narrow(0, -3, 2);
    /// assert_eq!(x.to_vec::<f32>(), [3.0, 4.0]);
    /// ```
    pub fn narrow(&self, dim: isize, start: isize, length: usize) -> Tensor {
        assert!(self.dim() > 0, "narrow() cannot be applied to a 0-dim tensor.");
        let d = self.wrap_dim(dim);
        let size = self.shape[d] as isize;
        assert!(
            start >= -size && start <= size,
            "start out of range (expected to be in range of [{}, {size}], but got {start})",
            -size
        );
        let start = if start < 0 { start + size } else { start } as usize;
        assert!(
            start + length <= size as usize,
            "start ({start}) + length ({length}) exceeds dimension size ({size})."
        );
        let mut shape = self.shape;
        shape[d] = length;
        let offset = if length > 0 { self.offset as isize + start as isize * self.strides[d] } else { self.offset as isize };
        self.view_with(shape, self.strides, offset as usize)
    }

    /// PyTorch's `select(dim, index)`: the view at `index` along `dim`, without that dimension
    /// (`x[i]` is `x.select(0, i)`).
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::arange(6.0).reshape([2, 3]);
    /// assert_eq!(x.select(1, -1).to_vec::<f32>(), [2.0, 5.0]);
    /// ```
    pub fn select(&self, dim: isize, index: isize) -> Tensor {
        assert!(self.dim() > 0, "select() cannot be applied to a 0-dim tensor.");
        let d = self.wrap_dim(dim);
        let size = self.shape[d] as isize;
        assert!(
            index >= -size && index < size,
            "select(): index {index} out of range for tensor of size {:?} at dimension {d}",
            self.shape
        );
        let i = if index < 0 { index + size } else { index };
        let offset = self.offset as isize + i * self.strides[d];
        let (mut shape, mut strides) = (self.shape, self.strides);
        shape.remove(d);
        strides.remove(d);
        self.view_with(shape, strides, offset as usize)
    }

    /// Normalises index `i` of dimension `d`, panicking with PyTorch's message when out of bounds.
    fn wrap_index(&self, d: usize, i: isize) -> usize {
        let size = self.shape[d] as isize;
        assert!(i >= -size && i < size, "index {i} is out of bounds for dimension {d} with size {size}");
        (if i < 0 { i + size } else { i }) as usize
    }

    /// The storage offset of the element at a full index.
    fn element_offset(&self, index: &[isize]) -> usize {
        assert!(index.len() <= self.dim(), "too many indices for tensor of dimension {}", self.dim());
        assert!(
            index.len() == self.dim(),
            "expected {} indices for a tensor of shape {:?} to name one element, but got {}",
            self.dim(),
            self.shape,
            index.len()
        );
        let mut offset = self.offset as isize;
        for (d, &i) in index.iter().enumerate() {
            offset += self.strides[d] * self.wrap_index(d, i) as isize;
        }
        offset as usize
    }
}

/// Python's `slice.indices` for a positive step: the first index and the number of entries.
fn python_slice(size: usize, start: Option<isize>, end: Option<isize>, step: usize) -> (usize, usize) {
    let size = size as isize;
    let clamp = |v: isize| (if v < 0 { v + size } else { v }).clamp(0, size);
    let first = start.map_or(0, clamp);
    let stop = end.map_or(size, clamp);
    let len = if stop > first { (stop - first + step as isize - 1) / step as isize } else { 0 };
    (first as usize, len as usize)
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
