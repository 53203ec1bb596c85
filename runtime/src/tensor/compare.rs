//! Comparisons and masks: `eq, ne, lt, le, gt, ge` (bool results, with broadcasting and type
//! promotion), logical ops, `where_cond` (`torch.where`), `masked_fill`, `equal`, `allclose`.

use super::binary::{Operand, Scalar, elementwise, promote_types};
use super::{DType, Element, Tensor};
use elementwise::{for_each_offsets, read_all, zip};

macro_rules! comparisons {
    ($($name:ident, $sym:literal, |$a:ident, $b:ident| $e:expr;)*) => {
        impl Tensor {$(
            #[allow(clippy::bool_comparison)]
            #[doc = concat!("`self ", $sym, " other` elementwise, as a bool mask; `other` is a tensor (broadcast) or a scalar, and both are compared in their promoted dtype.")]
            pub fn $name<'a>(&self, other: impl Into<Operand<'a>>) -> Tensor {
                let other = other.into().into_tensor();
                let dt = promote_types(self.dtype(), other.dtype());
                let (x, y) = (self.to_dtype(dt), other.to_dtype(dt));
                match dt {
                    DType::F32 => zip(stringify!($name), &x, &y, |$a: f32, $b: f32| $e),
                    DType::I64 => zip(stringify!($name), &x, &y, |$a: i64, $b: i64| $e),
                    DType::Bool => zip(stringify!($name), &x, &y, |$a: bool, $b: bool| $e),
                }
            }
        )*}
    };
}

comparisons! {
    eq, "==", |a, b| a == b;
    ne, "!=", |a, b| a != b;
    lt, "<", |a, b| a < b;
    le, "<=", |a, b| a <= b;
    gt, ">", |a, b| a > b;
    ge, ">=", |a, b| a >= b;
}

impl Tensor {
    /// `self ≠ 0 and other ≠ 0`, elementwise with broadcasting, as a bool mask.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::arange(4.0);
    /// let mask = x.gt(0.5).logical_and(&x.lt(2.5));
    /// assert_eq!(mask.to_vec::<bool>(), [false, true, true, false]);
    /// ```
    pub fn logical_and<'a>(&self, other: impl Into<Operand<'a>>) -> Tensor {
        let o = other.into().into_tensor();
        zip("logical_and", &self.bool(), &o.bool(), |a: bool, b: bool| a & b)
    }

    /// `self ≠ 0 or other ≠ 0`, as a bool mask.
    pub fn logical_or<'a>(&self, other: impl Into<Operand<'a>>) -> Tensor {
        let o = other.into().into_tensor();
        zip("logical_or", &self.bool(), &o.bool(), |a: bool, b: bool| a | b)
    }

    /// `(self ≠ 0) xor (other ≠ 0)`, as a bool mask.
    pub fn logical_xor<'a>(&self, other: impl Into<Operand<'a>>) -> Tensor {
        let o = other.into().into_tensor();
        zip("logical_xor", &self.bool(), &o.bool(), |a: bool, b: bool| a ^ b)
    }

    /// `self == 0`, as a bool mask (`~mask` for a mask).
    pub fn logical_not(&self) -> Tensor {
        elementwise::map("logical_not", &self.bool(), |a: bool| !a)
    }

    /// Where each element is NaN.
    pub fn isnan(&self) -> Tensor {
        match self.dtype() {
            DType::F32 => elementwise::map("isnan", self, |x: f32| x.is_nan()),
            _ => Tensor::full_dtype(&self.shape, false, DType::Bool),
        }
    }

    /// `torch.where(mask, a, b)`: `a` where `mask` is true, else `b`. The three broadcast
    /// together; `a` and `b` (tensors or scalars) are promoted to a common dtype.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::arange(4.0).sub(1.5);
    /// let y = Tensor::where_cond(&x.gt(0.0), &x, 0.0); // relu
    /// assert_eq!(y.to_vec::<f32>(), [0.0, 0.0, 0.5, 1.5]);
    /// ```
    pub fn where_cond<'a, 'b>(mask: &Tensor, a: impl Into<Operand<'a>>, b: impl Into<Operand<'b>>) -> Tensor {
        assert!(
            mask.dtype() == DType::Bool,
            "where expected condition to be a boolean tensor, but got a tensor with dtype {:?}",
            mask.dtype()
        );
        let (a, b) = (a.into().into_tensor(), b.into().into_tensor());
        let dt = promote_types(a.dtype(), b.dtype());
        let (a, b) = (a.to_dtype(dt), b.to_dtype(dt));
        match dt {
            DType::F32 => select::<f32>(mask, &a, &b),
            DType::I64 => select::<i64>(mask, &a, &b),
            DType::Bool => select::<bool>(mask, &a, &b),
        }
    }

    /// A copy of `self` with `value` (converted to `self`'s dtype) where the bool `mask` is true;
    /// `mask` and `self` broadcast together.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::arange(3.0);
    /// assert_eq!(x.masked_fill(&x.ge(1.0), -1.0).to_vec::<f32>(), [0.0, -1.0, -1.0]);
    /// ```
    pub fn masked_fill(&self, mask: &Tensor, value: impl Into<Scalar>) -> Tensor {
        check_mask(mask);
        let v = Tensor::full_dtype(&[], value, self.dtype());
        Tensor::where_cond(mask, &v, self)
    }

    /// In-place [`Tensor::masked_fill`]; `mask` must broadcast to `self`'s shape.
    pub fn masked_fill_(&self, mask: &Tensor, value: impl Into<Scalar>) {
        check_mask(mask);
        let shape = elementwise::broadcast_shapes(&self.shape, &mask.shape);
        assert!(
            shape == self.shape,
            "masked_fill_: mask of shape {:?} does not broadcast to the tensor's shape {:?}",
            mask.shape,
            self.shape
        );
        self.copy_(&self.masked_fill(mask, value));
    }

    /// `torch.equal`: same shape and equal elements (compared in the promoted dtype).
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// assert!(Tensor::arange(3.0).equal(&Tensor::arange_i64(3)));
    /// assert!(!Tensor::arange(3.0).equal(&Tensor::arange(2.0)));
    /// ```
    pub fn equal(&self, other: &Tensor) -> bool {
        self.shape == other.shape && self.eq(other).to_vec::<bool>().iter().all(|&b| b)
    }

    /// `|self − other| ≤ atol + rtol·|other|` elementwise (`torch.isclose`; NaN is never close,
    /// equal infinities are).
    pub fn isclose(&self, other: &Tensor, rtol: f32, atol: f32) -> Tensor {
        zip("isclose", &self.float(), &other.float(), move |a: f32, b: f32| {
            a == b || (a.is_finite() && b.is_finite() && (a - b).abs() <= atol + rtol * b.abs())
        })
    }

    /// Whether every element [`isclose`](Tensor::isclose) (`torch.allclose`; shapes broadcast).
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::ones(&[3]);
    /// assert!(x.allclose(&x.add(1e-6), 1e-5, 1e-8));
    /// assert!(!x.allclose(&x.add(1e-3), 1e-5, 1e-8));
    /// ```
    pub fn allclose(&self, other: &Tensor, rtol: f32, atol: f32) -> bool {
        self.isclose(other, rtol, atol).to_vec::<bool>().iter().all(|&b| b)
    }
}

fn check_mask(mask: &Tensor) {
    assert!(
        mask.dtype() == DType::Bool,
        "masked_fill_ only supports boolean masks, but got mask with dtype {:?}",
        mask.dtype()
    );
}

/// `mask ? a : b` elementwise with three-way broadcasting; `a` and `b` have dtype `T`.
fn select<T: Element>(mask: &Tensor, a: &Tensor, b: &Tensor) -> Tensor {
    let shape = elementwise::broadcast_shapes(&elementwise::broadcast_shapes(&mask.shape, &a.shape), &b.shape);
    let out = read_all(&[mask, a, b], |d| {
        let m = bool::slice(d[0]).expect("bool mask");
        let (x, y) = (T::slice(d[1]).expect("promoted"), T::slice(d[2]).expect("promoted"));
        let strides = [mask, a, b].map(|t| elementwise::expanded_strides(t, &shape));
        let mut out = Vec::with_capacity(shape.iter().product());
        for_each_offsets(
            &shape,
            [&strides[0], &strides[1], &strides[2]],
            [mask.offset, a.offset, b.offset],
            |[i, j, k]| out.push(if m[i] { x[j] } else { y[k] }),
        );
        out
    });
    Tensor::from_vec(out, &shape)
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
