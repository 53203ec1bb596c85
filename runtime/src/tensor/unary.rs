//! Elementwise unary math.
//!
//! Transcendental ops (`exp, log, sqrt, sigmoid, tanh, sin, cos, reciprocal, log1p, expm1,
//! rsqrt`) compute in `f32`: an `i64` or `bool` tensor is promoted first, as PyTorch does, and
//! their in-place forms require an `f32` tensor. `abs, neg, sign, square, relu, clamp` keep
//! integer dtypes. In-place forms write through views.

use super::binary::{Scalar, elementwise, promote_types, type_word};
use super::{DType, Tensor};
use elementwise::{map, map_assign};

/// `1 / (1 + e^(−x))` without overflow: for `x < 0` it is computed as `e^x / (1 + e^x)`.
#[inline]
pub(crate) fn sigmoid_f32(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

macro_rules! float_unary {
    ($($name:ident, $name_:ident, |$x:ident| $e:expr, $doc:literal;)*) => {
        impl Tensor {$(
            #[doc = $doc]
            ///
            /// Integer and bool tensors are promoted to `f32`.
            pub fn $name(&self) -> Tensor {
                map(stringify!($name), &self.to_dtype(DType::F32), |$x: f32| $e)
            }

            #[doc = concat!("In-place [`Tensor::", stringify!($name), "`]; `self` must be `f32`.")]
            pub fn $name_(&self) {
                assert_float_output(self);
                map_assign(stringify!($name_), self, |$x: f32| $e)
            }
        )*}
    };
}

float_unary! {
    exp, exp_, |x| x.exp(), "`e^x` elementwise.";
    log, log_, |x| x.ln(), "Natural logarithm `ln x` (NaN for `x < 0`, `−inf` at 0).";
    sqrt, sqrt_, |x| x.sqrt(), "`√x` (NaN for `x < 0`).";
    rsqrt, rsqrt_, |x| 1.0 / x.sqrt(), "`1 / √x`.";
    sigmoid, sigmoid_, |x| sigmoid_f32(x), "The logistic function `1 / (1 + e^(−x))`, computed without overflow for large `|x|`.";
    tanh, tanh_, |x| x.tanh(), "`tanh x`.";
    sin, sin_, |x| x.sin(), "`sin x`.";
    cos, cos_, |x| x.cos(), "`cos x`.";
    reciprocal, reciprocal_, |x| 1.0 / x, "`1 / x`.";
    log1p, log1p_, |x| x.ln_1p(), "`ln(1 + x)`, accurate for small `x`.";
    expm1, expm1_, |x| x.exp_m1(), "`e^x − 1`, accurate for small `x`.";
}

/// Panics like PyTorch when an in-place float op targets an integer tensor.
fn assert_float_output(t: &Tensor) {
    assert!(
        t.dtype() == DType::F32,
        "result type Float can't be cast to the desired output type {}",
        type_word(t.dtype())
    );
}

macro_rules! typed_unary {
    ($($name:ident, $name_:ident, f32: |$x:ident| $f:expr, i64: |$y:ident| $i:expr, bool: $b:expr, $doc:literal;)*) => {
        impl Tensor {$(
            #[doc = $doc]
            pub fn $name(&self) -> Tensor {
                match self.dtype() {
                    DType::F32 => map(stringify!($name), self, |$x: f32| $f),
                    DType::I64 => map(stringify!($name), self, |$y: i64| $i),
                    DType::Bool => ($b)(self),
                }
            }

            #[doc = concat!("In-place [`Tensor::", stringify!($name), "`] (same dtype rules).")]
            pub fn $name_(&self) {
                match self.dtype() {
                    DType::F32 => map_assign(stringify!($name_), self, |$x: f32| $f),
                    DType::I64 => map_assign(stringify!($name_), self, |$y: i64| $i),
                    DType::Bool => self.copy_(&($b)(self)),
                }
            }
        )*}
    };
}

typed_unary! {
    abs, abs_, f32: |x| x.abs(), i64: |x| x.wrapping_abs(),
        bool: |_: &Tensor| -> Tensor { panic!("\"abs_cpu\" not implemented for 'Bool'") },
        "`|x|` elementwise; keeps the dtype.";
    neg, neg_, f32: |x| -x, i64: |x| x.wrapping_neg(),
        bool: |_: &Tensor| -> Tensor { panic!("Negation, the `-` operator, on a bool tensor is not supported. \
            If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.") },
        "`−x` elementwise; keeps the dtype. Panics on a bool tensor, as PyTorch does.";
    sign, sign_, f32: |x| if x > 0.0 { 1.0 } else if x < 0.0 { -1.0 } else { 0.0 }, i64: |x| x.signum(),
        bool: |t: &Tensor| t.shallow_clone(),
        "`sign(x)` ∈ {−1, 0, 1}, and 0 for NaN as PyTorch gives; keeps the dtype.";
    square, square_, f32: |x| x * x, i64: |x| x.wrapping_mul(x),
        bool: |t: &Tensor| t.to_dtype(DType::I64),
        "`x²`; a bool tensor gives `i64` (`square_` on bool then stores it back as bool).";
    relu, relu_, f32: |x| if x > 0.0 || x.is_nan() { x } else { 0.0 }, i64: |x| x.max(0),
        bool: |_: &Tensor| -> Tensor { panic!("Boolean inputs not supported for relu") },
        "`max(x, 0)`; NaN stays NaN; keeps the dtype.";
}

impl Tensor {
    /// `min(max(x, min), max)` elementwise (so `max` wins when `min > max`, as in PyTorch); NaN
    /// stays NaN. Float bounds on an integer tensor give an `f32` result.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::arange(5.0).clamp(1.0, 3.0);
    /// assert_eq!(x.to_vec::<f32>(), [1.0, 1.0, 2.0, 3.0, 3.0]);
    /// assert_eq!(Tensor::arange_i64(3).clamp(1, 1).to_vec::<i64>(), [1, 1, 1]);
    /// ```
    pub fn clamp(&self, min: impl Into<Scalar>, max: impl Into<Scalar>) -> Tensor {
        self.clamp_opt(Some(min.into()), Some(max.into()))
    }

    /// `max(x, min)` elementwise (`torch.clamp(x, min=min)`).
    pub fn clamp_min(&self, min: impl Into<Scalar>) -> Tensor {
        self.clamp_opt(Some(min.into()), None)
    }

    /// `min(x, max)` elementwise (`torch.clamp(x, max=max)`).
    pub fn clamp_max(&self, max: impl Into<Scalar>) -> Tensor {
        self.clamp_opt(None, Some(max.into()))
    }

    /// In-place [`Tensor::clamp`]; the promoted dtype must fit `self`'s.
    pub fn clamp_(&self, min: impl Into<Scalar>, max: impl Into<Scalar>) {
        let (lo, hi) = (min.into(), max.into());
        let dt = promote_types(promote_types(self.dtype(), lo.dtype()), hi.dtype());
        assert!(
            dt == self.dtype(),
            "result type {} can't be cast to the desired output type {}",
            type_word(dt),
            type_word(self.dtype())
        );
        self.copy_(&self.clamp_opt(Some(lo), Some(hi)));
    }

    fn clamp_opt(&self, min: Option<Scalar>, max: Option<Scalar>) -> Tensor {
        let mut dt = self.dtype();
        for s in min.iter().chain(&max) {
            dt = promote_types(dt, s.dtype());
        }
        match dt {
            DType::F32 => {
                let lo = min.map_or(f32::NEG_INFINITY, |s| s.as_f64() as f32);
                let hi = max.map_or(f32::INFINITY, |s| s.as_f64() as f32);
                map("clamp", &self.to_dtype(DType::F32), move |x: f32| {
                    if x.is_nan() { x } else { x.max(lo).min(hi) }
                })
            }
            DType::I64 => {
                let lo = min.map_or(i64::MIN, super::create::scalar_to_i64);
                let hi = max.map_or(i64::MAX, super::create::scalar_to_i64);
                map("clamp", &self.to_dtype(DType::I64), move |x: i64| x.max(lo).min(hi))
            }
            DType::Bool => panic!("\"clamp_cpu\" not implemented for 'Bool'"),
        }
    }
}

#[cfg(test)]
#[path = "unary_tests.rs"]
mod tests;
