//! Reductions over all elements or along one dim: `sum, mean, prod, max, min, argmax, argmin,
//! var, std`, plus `item` and the eager `softmax`/`log_softmax` (in `reduce_stats.rs`).
//!
//! Dtypes follow PyTorch: `sum`/`prod` of `i64` or `bool` give `i64` (a mask's `sum` counts its
//! true elements), `max`/`min` keep the dtype, indices are `i64`, and `mean`/`var`/`std` need
//! `f32`. `max`/`min`/`argmax`/`argmin` return the first extreme element, and NaN wins (it
//! propagates), as in PyTorch.
//!
//! Accuracy: `f32` sums and products are accumulated in `f64` (eight interleaved accumulators,
//! fixed blocks combined in order, see `fusenet_kernels::cpu::parallel::sum_f32`) and rounded
//! once. PyTorch sums `f32` pairwise in `f32`, so results can differ from torch's in the last
//! bit; ours are at least as accurate and deterministic regardless of thread count.

#[path = "reduce_stats.rs"]
mod stats;

use super::binary::elementwise::{for_each_offsets, read_all};
use super::{DType, Element, Tensor, dtype_panic};
use fusenet_kernels::cpu::parallel::{self, Lane};

/// The lanes of `t` along dim `d`: the shape without `d`, each lane's first storage offset, the
/// lane length and stride. A 0-d tensor is one lane of one element.
pub(crate) fn lane_layout(t: &Tensor, d: usize) -> (Vec<usize>, Vec<usize>, usize, usize) {
    if t.dim() == 0 {
        return (vec![], vec![t.offset], 1, 0);
    }
    let mut outer_shape = t.shape;
    let mut outer_strides = t.strides;
    let len = outer_shape.remove(d);
    let stride = outer_strides.remove(d);
    let mut bases = Vec::with_capacity(outer_shape.iter().product());
    for_each_offsets(&outer_shape, [&outer_strides], [t.offset], |[o]| bases.push(o));
    (outer_shape.to_vec(), bases, len, stride as usize)
}

/// `self` itself, or a contiguous copy when a stride is negative (lanes need `usize` strides).
pub(crate) fn non_negative(t: &Tensor) -> Tensor {
    if t.strides.iter().any(|&s| s < 0) { t.clone() } else { t.shallow_clone() }
}

/// The shape after reducing dim `d`.
fn reduced_shape(shape: &[usize], d: usize, keepdim: bool) -> Vec<usize> {
    let mut s = shape.to_vec();
    if !s.is_empty() {
        if keepdim {
            s[d] = 1;
        } else {
            s.remove(d);
        }
    }
    s
}

/// `f(lane)` for every lane along `dim`, as a tensor of the reduced shape.
fn reduce_dim<T: Element, R: Element>(
    x: &Tensor,
    op: &str,
    dim: isize,
    keepdim: bool,
    f: impl Fn(Lane<'_, T>) -> R + Sync + Send,
) -> Tensor {
    let d = x.wrap_dim(dim);
    let t = non_negative(x);
    let (_, bases, len, stride) = lane_layout(&t, d);
    let out = read_all(&[&t], |data| {
        let all = T::slice(data[0]).unwrap_or_else(|| dtype_panic::<T>(op, t.dtype()));
        parallel::reduce_lanes(all, &bases, len, stride, f)
    });
    Tensor::from_vec(out, &reduced_shape(&x.shape, d, keepdim))
}

/// Runs `f` on all elements of `x` in logical order, as one contiguous slice.
fn with_all<T: Element, R>(x: &Tensor, f: impl FnOnce(&[T]) -> R) -> R {
    x.contiguous().with_slice(f)
}

fn sum_lane_f32(l: Lane<'_, f32>) -> f32 {
    if l.len == 0 {
        0.0
    } else if l.stride == 1 {
        parallel::sum_f32(&l.data[l.base..l.base + l.len]) as f32
    } else {
        l.iter().map(|x| x as f64).sum::<f64>() as f32
    }
}

/// The running extreme `(index, value)`: the first maximum (or minimum) wins, and the first NaN
/// beats everything.
#[allow(clippy::eq_op)]
fn better<T: PartialOrd + Copy>(cur: Option<(usize, T)>, cand: (usize, T), max: bool) -> Option<(usize, T)> {
    let nan = |v: T| v != v;
    match cur {
        None => Some(cand),
        Some(c) if nan(c.1) => Some(c),
        Some(_) if nan(cand.1) => Some(cand),
        Some(c) if (max && cand.1 > c.1) || (!max && cand.1 < c.1) => Some(cand),
        c => c,
    }
}

fn extreme_all<T: Element + PartialOrd>(x: &Tensor, max: bool) -> Option<(usize, T)> {
    with_all(x, |s: &[T]| {
        parallel::fold_chunks(s, None, |acc, i, v| better(acc, (i, v), max), |a, b| match b {
            Some(b) => better(a, b, max),
            None => a,
        })
    })
}

fn extreme_lane<T: Element + PartialOrd>(l: Lane<'_, T>, max: bool) -> (T, i64) {
    let best = l.iter().enumerate().fold(None, |acc, (i, v)| better(acc, (i, v), max));
    let (i, v) = best.expect("lanes are non-empty (checked)");
    (v, i as i64)
}

impl Tensor {
    /// Sum of all elements as `f32` (any dtype; accumulated in `f64`).
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// assert_eq!(Tensor::arange(5.0).sum_all(), 10.0);
    /// ```
    pub fn sum_all(&self) -> f32 {
        match self.dtype() {
            DType::F32 => with_all(self, |s: &[f32]| parallel::sum_f32(s) as f32),
            _ => self.sum().item(),
        }
    }

    /// `Σ x` over all elements, as a 0-d tensor: `f32` for `f32`, `i64` for `i64` and `bool`.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::arange(6.0).reshape(&[2, 3]);
    /// assert_eq!(x.sum().item(), 15.0);
    /// assert_eq!(x.gt(2.5).sum().item_i64(), 3); // counting a mask
    /// ```
    pub fn sum(&self) -> Tensor {
        match self.dtype() {
            DType::F32 => Tensor::scalar(self.sum_all()),
            DType::I64 => Tensor::from_scalar(with_all(self, |s: &[i64]| {
                parallel::fold_chunks(s, 0i64, |a, _, v| a.wrapping_add(v), i64::wrapping_add)
            })),
            DType::Bool => Tensor::from_scalar(with_all(self, |s: &[bool]| {
                parallel::fold_chunks(s, 0i64, |a, _, v| a + v as i64, |a, b| a + b)
            })),
        }
    }

    /// `Σ x` along `dim` (negative counts from the end); `keepdim` keeps it with size 1.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::arange(6.0).reshape(&[2, 3]);
    /// assert_eq!(x.sum_dim(0, false).to_vec::<f32>(), [3.0, 5.0, 7.0]);
    /// assert_eq!(x.sum_dim(-1, true).shape(), &[2, 1]);
    /// ```
    pub fn sum_dim(&self, dim: isize, keepdim: bool) -> Tensor {
        match self.dtype() {
            DType::F32 => reduce_dim(self, "sum", dim, keepdim, sum_lane_f32),
            DType::I64 => reduce_dim(self, "sum", dim, keepdim, |l: Lane<'_, i64>| l.iter().fold(0i64, i64::wrapping_add)),
            DType::Bool => reduce_dim(self, "sum", dim, keepdim, |l: Lane<'_, bool>| l.iter().filter(|&b| b).count() as i64),
        }
    }

    /// The arithmetic mean of all elements (`f32` only; NaN for an empty tensor).
    pub fn mean(&self) -> Tensor {
        self.require_float("mean");
        Tensor::scalar((with_all(self, |s: &[f32]| parallel::sum_f32(s)) / self.numel() as f64) as f32)
    }

    /// The mean along `dim`.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::arange(6.0).reshape(&[2, 3]);
    /// assert_eq!(x.mean_dim(1, false).to_vec::<f32>(), [1.0, 4.0]);
    /// ```
    pub fn mean_dim(&self, dim: isize, keepdim: bool) -> Tensor {
        self.require_float("mean");
        reduce_dim(self, "mean", dim, keepdim, |l: Lane<'_, f32>| {
            (l.iter().map(|x| x as f64).sum::<f64>() / l.len as f64) as f32
        })
    }

    /// `Π x` over all elements (`i64` for integer and bool tensors; 1 when empty).
    pub fn prod(&self) -> Tensor {
        match self.dtype() {
            DType::F32 => Tensor::scalar(with_all(self, |s: &[f32]| {
                parallel::fold_chunks(s, 1f64, |a, _, v| a * v as f64, |a, b| a * b)
            }) as f32),
            _ => Tensor::from_scalar(with_all(&self.long(), |s: &[i64]| {
                parallel::fold_chunks(s, 1i64, |a, _, v| a.wrapping_mul(v), i64::wrapping_mul)
            })),
        }
    }

    /// `Π x` along `dim`.
    pub fn prod_dim(&self, dim: isize, keepdim: bool) -> Tensor {
        match self.dtype() {
            DType::F32 => reduce_dim(self, "prod", dim, keepdim, |l: Lane<'_, f32>| {
                l.iter().fold(1f64, |a, v| a * v as f64) as f32
            }),
            _ => reduce_dim(&self.long(), "prod", dim, keepdim, |l: Lane<'_, i64>| l.iter().fold(1i64, i64::wrapping_mul)),
        }
    }

    /// The largest element, as a 0-d tensor of the same dtype (NaN if any element is NaN).
    ///
    /// Panics on an empty tensor, as PyTorch does.
    pub fn max(&self) -> Tensor {
        self.extreme("max", true).0
    }

    /// The smallest element, as a 0-d tensor.
    pub fn min(&self) -> Tensor {
        self.extreme("min", false).0
    }

    /// The flat (row-major) index of the first largest element, as a 0-d `i64` tensor.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 5.0, 5.0, 2.0], &[2, 2]);
    /// assert_eq!(x.argmax().item_i64(), 1);
    /// ```
    pub fn argmax(&self) -> Tensor {
        self.extreme("argmax", true).1
    }

    /// The flat index of the first smallest element.
    pub fn argmin(&self) -> Tensor {
        self.extreme("argmin", false).1
    }

    /// `(max along dim, index of the first max)`, as `torch.max(x, dim, keepdim)`.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 0.0], &[2, 2]);
    /// let (v, i) = x.max_dim(1, false);
    /// assert_eq!((v.to_vec::<f32>(), i.to_vec::<i64>()), (vec![5.0, 3.0], vec![1, 0]));
    /// ```
    pub fn max_dim(&self, dim: isize, keepdim: bool) -> (Tensor, Tensor) {
        self.extreme_dim("max", dim, keepdim, true)
    }

    /// `(min along dim, index of the first min)`.
    pub fn min_dim(&self, dim: isize, keepdim: bool) -> (Tensor, Tensor) {
        self.extreme_dim("min", dim, keepdim, false)
    }

    /// Indices of the first max along `dim` (`i64`).
    pub fn argmax_dim(&self, dim: isize, keepdim: bool) -> Tensor {
        self.extreme_dim("argmax", dim, keepdim, true).1
    }

    /// Indices of the first min along `dim` (`i64`).
    pub fn argmin_dim(&self, dim: isize, keepdim: bool) -> Tensor {
        self.extreme_dim("argmin", dim, keepdim, false).1
    }

    fn extreme(&self, op: &str, max: bool) -> (Tensor, Tensor) {
        assert!(
            self.numel() > 0,
            "{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the \
             reduction dim with the 'dim' argument."
        );
        fn pack<T: Element + PartialOrd>(x: &Tensor, max: bool) -> (Tensor, Tensor) {
            let (i, v) = extreme_all::<T>(x, max).expect("non-empty");
            (Tensor::from_scalar(v), Tensor::from_scalar(i as i64))
        }
        match self.dtype() {
            DType::F32 => pack::<f32>(self, max),
            DType::I64 => pack::<i64>(self, max),
            DType::Bool => pack::<bool>(self, max),
        }
    }

    fn extreme_dim(&self, op: &str, dim: isize, keepdim: bool, max: bool) -> (Tensor, Tensor) {
        let d = self.wrap_dim(dim);
        assert!(
            self.dim() == 0 || self.shape[d] > 0,
            "{op}(): Expected reduction dim {d} to have non-zero size."
        );
        fn split<T: Element + PartialOrd>(x: &Tensor, dim: isize, keepdim: bool, max: bool) -> (Tensor, Tensor) {
            let d = x.wrap_dim(dim);
            let t = non_negative(x);
            let (_, bases, len, stride) = lane_layout(&t, d);
            let pairs = read_all(&[&t], |data| {
                let all = T::slice(data[0]).expect("dtype matched by the caller");
                parallel::reduce_lanes(all, &bases, len, stride, |l| extreme_lane(l, max))
            });
            let (v, i): (Vec<T>, Vec<i64>) = pairs.into_iter().unzip();
            let shape = reduced_shape(&x.shape, d, keepdim);
            (Tensor::from_vec(v, &shape), Tensor::from_vec(i, &shape))
        }
        match self.dtype() {
            DType::F32 => split::<f32>(self, dim, keepdim, max),
            DType::I64 => split::<i64>(self, dim, keepdim, max),
            DType::Bool => split::<bool>(self, dim, keepdim, max),
        }
    }

    /// The value of a one-element tensor, as `f32` (`tensor.item()`).
    ///
    /// Panics when the tensor has more or fewer than one element, as PyTorch does.
    pub fn item(&self) -> f32 {
        match self.dtype() {
            DType::F32 => self.item_of::<f32>(),
            DType::I64 => self.item_of::<i64>() as f32,
            DType::Bool => self.item_of::<bool>() as u8 as f32,
        }
    }

    /// The value of a one-element tensor as `i64` (floats truncate toward zero).
    pub fn item_i64(&self) -> i64 {
        match self.dtype() {
            DType::F32 => self.item_of::<f32>() as i64,
            DType::I64 => self.item_of::<i64>(),
            DType::Bool => self.item_of::<bool>() as i64,
        }
    }

    /// The value of a one-element tensor as `bool` (non-zero is `true`).
    pub fn item_bool(&self) -> bool {
        match self.dtype() {
            DType::F32 => self.item_of::<f32>() != 0.0,
            DType::I64 => self.item_of::<i64>() != 0,
            DType::Bool => self.item_of::<bool>(),
        }
    }

    fn item_of<T: Element>(&self) -> T {
        assert!(self.numel() == 1, "a Tensor with {} elements cannot be converted to Scalar", self.numel());
        read_all(&[self], |d| T::slice(d[0]).expect("dtype matched by the caller")[self.offset])
    }

    pub(crate) fn require_float(&self, op: &str) {
        assert!(
            self.dtype() == DType::F32,
            "{op}(): could not infer output dtype. Input dtype must be either a floating point or \
             complex dtype. Got: {}",
            super::binary::type_word(self.dtype())
        );
    }
}

#[cfg(test)]
#[path = "reduce_tests.rs"]
mod tests;
