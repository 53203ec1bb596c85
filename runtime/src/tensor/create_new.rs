//! Creation that follows another tensor (`x.new_zeros(...)`, PyTorch's `Tensor.new_*`), and
//! `torch.arange` with integer arguments, which is `int64`.

use super::binary::Scalar;
use super::shape_ops::IntoDims;
use super::Tensor;

/// The sizes of a `new_*` shape: every entry must be non-negative.
fn sizes(op: &str, shape: impl IntoDims) -> Vec<usize> {
    let dims = shape.into_dims();
    dims.iter()
        .map(|&d| usize::try_from(d).unwrap_or_else(|_| panic!("{op}: Trying to create tensor with negative dimension {d}: {dims:?}")))
        .collect()
}

impl Tensor {
    /// `x.new_full(size, value)`: a tensor of `shape` filled with `value`, with `self`'s dtype
    /// (and device).
    ///
    /// ```
    /// use fusenet_runtime::{tensor, DType};
    /// let labels = tensor![1, 2];
    /// let y = labels.new_full([2, 2], 7);
    /// assert_eq!((y.dtype(), y.to_vec::<i64>()), (DType::I64, vec![7, 7, 7, 7]));
    /// ```
    pub fn new_full(&self, shape: impl IntoDims, value: impl Into<Scalar>) -> Tensor {
        Tensor::full_dtype(&sizes("new_full", shape), value, self.dtype())
    }

    /// `x.new_zeros(size)`: zeros with `self`'s dtype.
    pub fn new_zeros(&self, shape: impl IntoDims) -> Tensor {
        Tensor::full_dtype(&sizes("new_zeros", shape), 0, self.dtype())
    }

    /// `x.new_ones(size)`: ones with `self`'s dtype.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::zeros(&[5, 3]);
    /// assert_eq!(x.new_ones([2, 3]).to_vec::<f32>(), [1.0; 6]);
    /// ```
    pub fn new_ones(&self, shape: impl IntoDims) -> Tensor {
        Tensor::full_dtype(&sizes("new_ones", shape), 1, self.dtype())
    }

    /// `x.new_empty(size)`: a tensor with `self`'s dtype whose values are unspecified (here:
    /// zeros, as [`Tensor::empty`]).
    pub fn new_empty(&self, shape: impl IntoDims) -> Tensor {
        self.new_zeros(shape)
    }

    /// `torch.arange(start, end, step)` with integer arguments: the `int64` values
    /// `start, start + step, …` strictly before `end`, `⌈(end − start) / step⌉` of them.
    ///
    /// Panics like PyTorch on a zero step, or a step whose sign points away from `end`.
    ///
    /// ```
    /// use fusenet_runtime::{DType, Tensor};
    /// let x = Tensor::arange_step_i64(0, 10, 2);
    /// assert_eq!((x.dtype(), x.to_vec::<i64>()), (DType::I64, vec![0, 2, 4, 6, 8]));
    /// assert_eq!(Tensor::arange_step_i64(5, 0, -2).to_vec::<i64>(), [5, 3, 1]);
    /// ```
    pub fn arange_step_i64(start: i64, end: i64, step: i64) -> Tensor {
        assert!(step != 0, "step must be nonzero");
        assert!(
            (step > 0 && end >= start) || (step < 0 && end <= start),
            "upper bound and lower bound inconsistent with step sign"
        );
        // ⌈(end − start) / step⌉ in exact integer arithmetic (both have step's sign).
        let (span, step_abs) = ((end as i128 - start as i128).abs(), (step as i128).abs());
        let n = ((span + step_abs - 1) / step_abs) as usize;
        let values: Vec<i64> = (0..n as i64).map(|i| start + i * step).collect();
        debug_assert_eq!(values.len(), n);
        Tensor::from_vec(values, &[n])
    }
}

#[cfg(test)]
mod tests {
    use crate::tensor::{DType, Tensor};

    #[test]
    fn new_forms_keep_the_dtype() {
        let f = Tensor::zeros(&[1]);
        let i = Tensor::arange_i64(3);
        let b = Tensor::full_dtype(&[1], true, DType::Bool);
        assert_eq!((f.new_ones([2, 2]).dtype(), f.new_ones([2, 2]).shape()), (DType::F32, &[2usize, 2][..]));
        assert_eq!(i.new_ones(3).to_vec::<i64>(), [1, 1, 1]);
        assert_eq!(i.new_zeros([2]).to_vec::<i64>(), [0, 0]);
        assert_eq!(b.new_ones([2]).to_vec::<bool>(), [true, true]);
        assert_eq!(f.new_full([2], 2.5).to_vec::<f32>(), [2.5, 2.5]);
        assert_eq!(f.new_empty(()).shape(), &[] as &[usize]);
        assert_eq!(f.new_zeros([0, 3]).numel(), 0);
    }

    #[test]
    #[should_panic(expected = "new_ones: Trying to create tensor with negative dimension -1: [2, -1]")]
    fn negative_size_panics() {
        let _ = Tensor::zeros(&[1]).new_ones([2, -1]);
    }

    #[test]
    fn integer_arange_matches_torch() {
        // torch.arange(0, 10, 2), torch.arange(1, 10, 3), torch.arange(3, 3, 1), torch.arange(10, 0, -3)
        assert_eq!(Tensor::arange_step_i64(0, 10, 2).to_vec::<i64>(), [0, 2, 4, 6, 8]);
        assert_eq!(Tensor::arange_step_i64(1, 10, 3).to_vec::<i64>(), [1, 4, 7]);
        assert_eq!(Tensor::arange_step_i64(3, 3, 1).shape(), &[0]);
        assert_eq!(Tensor::arange_step_i64(10, 0, -3).to_vec::<i64>(), [10, 7, 4, 1]);
        assert_eq!(Tensor::arange_step_i64(-2, 2, 1).to_vec::<i64>(), [-2, -1, 0, 1]);
    }

    #[test]
    #[should_panic(expected = "upper bound and lower bound inconsistent with step sign")]
    fn integer_arange_with_a_step_away_from_the_end_panics() {
        let _ = Tensor::arange_step_i64(0, 10, -1);
    }

    #[test]
    #[should_panic(expected = "step must be nonzero")]
    fn integer_arange_with_zero_step_panics() {
        let _ = Tensor::arange_step_i64(0, 10, 0);
    }
}
