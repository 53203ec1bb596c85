//! Broadcasting binary arithmetic: `add, sub, mul, div, maximum, minimum, pow`, their in-place
//! forms, and the `std::ops` operators (in `binary_ops.rs`).
//!
//! Dtypes follow PyTorch's promotion for `bool < i64 < f32`: the result has the higher of the two
//! operand dtypes, a float scalar makes an integer tensor float, and `/` is always true division
//! (`i64 / i64` gives `f32`). In-place ops compute in the promoted dtype and panic, as PyTorch
//! does, when that dtype cannot be stored back into `self` (`long.div_(2)`).

#[path = "elementwise.rs"]
pub(crate) mod elementwise;
#[path = "binary_ops.rs"]
mod ops;
#[cfg(test)]
#[path = "binary_tests.rs"]
mod tests;

pub use elementwise::broadcast_shapes;

use super::{DType, Tensor};
use std::borrow::Cow;

/// One number of any dtype, as PyTorch's `Scalar`: Python floats are `Float`, ints are `Int`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    Float(f64),
    Int(i64),
    Bool(bool),
}

impl Scalar {
    /// The dtype of the 0-d tensor this scalar becomes (`Float` is `f32`, PyTorch's default).
    pub fn dtype(self) -> DType {
        match self {
            Scalar::Float(_) => DType::F32,
            Scalar::Int(_) => DType::I64,
            Scalar::Bool(_) => DType::Bool,
        }
    }

    /// A 0-d tensor holding this scalar.
    pub fn to_tensor(self) -> Tensor {
        match self {
            Scalar::Float(v) => Tensor::from_vec(vec![v as f32], &[]),
            Scalar::Int(v) => Tensor::from_vec(vec![v], &[]),
            Scalar::Bool(v) => Tensor::from_vec(vec![v], &[]),
        }
    }

    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Scalar::Float(v) => v,
            Scalar::Int(v) => v as f64,
            Scalar::Bool(v) => v as u8 as f64,
        }
    }
}

macro_rules! scalar_from {
    ($($t:ty => $v:ident as $as:ty),*) => {$(
        impl From<$t> for Scalar {
            fn from(x: $t) -> Scalar { Scalar::$v(x as $as) }
        }
    )*};
}
scalar_from!(f32 => Float as f64, f64 => Float as f64, i32 => Int as i64, i64 => Int as i64);

impl From<bool> for Scalar {
    fn from(x: bool) -> Scalar {
        Scalar::Bool(x)
    }
}

/// The right-hand side of a binary op: a tensor (borrowed or owned) or a scalar.
///
/// Every binary method takes `impl Into<Operand>`, so `x.add(&y)`, `x.add(y)`, `x.add(1.0)` and
/// `x.add(2)` all work.
#[derive(Debug)]
pub enum Operand<'a> {
    Ref(&'a Tensor),
    Owned(Tensor),
    Scalar(Scalar),
}

impl<'a> Operand<'a> {
    /// The operand as a tensor (a scalar becomes 0-d).
    pub fn into_tensor(self) -> Cow<'a, Tensor> {
        match self {
            Operand::Ref(t) => Cow::Borrowed(t),
            Operand::Owned(t) => Cow::Owned(t),
            Operand::Scalar(s) => Cow::Owned(s.to_tensor()),
        }
    }
}

impl<'a> From<&'a Tensor> for Operand<'a> {
    fn from(t: &'a Tensor) -> Operand<'a> {
        Operand::Ref(t)
    }
}

impl From<Tensor> for Operand<'_> {
    fn from(t: Tensor) -> Operand<'static> {
        Operand::Owned(t)
    }
}

macro_rules! operand_from_scalar {
    ($($t:ty),*) => {$(
        impl From<$t> for Operand<'_> {
            fn from(x: $t) -> Operand<'static> { Operand::Scalar(x.into()) }
        }
    )*};
}
operand_from_scalar!(f32, f64, i32, i64, bool);

/// The dtype of mixing `a` and `b`: the higher of `bool < i64 < f32`.
pub(crate) fn promote_types(a: DType, b: DType) -> DType {
    let rank = |d: DType| match d {
        DType::Bool => 0,
        DType::I64 => 1,
        DType::F32 => 2,
    };
    if rank(a) >= rank(b) { a } else { b }
}

/// The kernels of one binary op, one per compute dtype.
pub(crate) trait BinaryOp {
    const NAME: &'static str;
    /// Integer operands are computed in `f32` (true division).
    const ALWAYS_FLOAT: bool = false;
    /// `Some(message)` when PyTorch rejects two bool operands.
    const BOOL_ERROR: Option<&'static str> = None;
    fn f32(a: f32, b: f32) -> f32;
    fn i64(a: i64, b: i64) -> i64;
    /// Two bool operands: computed as bool when defined, else as i64.
    fn bool(_a: bool, _b: bool) -> Option<bool> {
        None
    }
}

macro_rules! binary_op {
    ($name:ident, $str:literal, |$a:ident, $b:ident| f32: $f:expr, i64: $i:expr $(, bool: $bo:expr)?
     $(, always_float: $af:expr)? $(, bool_error: $be:expr)?) => {
        pub(crate) struct $name;
        impl BinaryOp for $name {
            const NAME: &'static str = $str;
            $(const ALWAYS_FLOAT: bool = $af;)?
            $(const BOOL_ERROR: Option<&'static str> = Some($be);)?
            #[inline]
            fn f32($a: f32, $b: f32) -> f32 { $f }
            #[inline]
            fn i64($a: i64, $b: i64) -> i64 { $i }
            $(#[inline] fn bool($a: bool, $b: bool) -> Option<bool> { Some($bo) })?
        }
    };
}

binary_op!(Add, "add", |a, b| f32: a + b, i64: a.wrapping_add(b), bool: a | b);
binary_op!(Sub, "sub", |a, b| f32: a - b, i64: a.wrapping_sub(b),
    bool_error: "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or \
                 `logical_xor()` operator instead.");
binary_op!(Mul, "mul", |a, b| f32: a * b, i64: a.wrapping_mul(b), bool: a & b);
binary_op!(Div, "div", |a, b| f32: a / b, i64: unreachable!("{a}/{b} is computed in f32"), always_float: true);
binary_op!(Maximum, "maximum", |a, b| f32: if a.is_nan() || b.is_nan() { f32::NAN } else { a.max(b) },
    i64: a.max(b), bool: a | b);
binary_op!(Minimum, "minimum", |a, b| f32: if a.is_nan() || b.is_nan() { f32::NAN } else { a.min(b) },
    i64: a.min(b), bool: a & b);
binary_op!(Pow, "pow", |a, b| f32: a.powf(b), i64: int_pow(a, b));

/// `a^b` for integers, as PyTorch: wrapping, and negative exponents rejected.
fn int_pow(a: i64, b: i64) -> i64 {
    match b {
        b if b >= 0 => a.wrapping_pow(b.min(u32::MAX as i64) as u32),
        _ => match a {
            1 => 1,
            -1 => if b % 2 == 0 { 1 } else { -1 },
            _ => panic!("Integers to negative integer powers are not allowed."),
        },
    }
}

/// The dtype `O` computes in for operands of dtypes `a` and `b`.
fn compute_dtype<O: BinaryOp>(a: DType, b: DType) -> DType {
    let t = promote_types(a, b);
    if O::ALWAYS_FLOAT {
        return DType::F32;
    }
    if t == DType::Bool {
        if let Some(msg) = O::BOOL_ERROR {
            panic!("{msg}");
        }
        if O::bool(false, false).is_none() {
            return DType::I64;
        }
    }
    t
}

pub(crate) fn binary<O: BinaryOp>(a: &Tensor, b: &Tensor) -> Tensor {
    let dt = compute_dtype::<O>(a.dtype(), b.dtype());
    let (a, b) = (a.to_dtype(dt), b.to_dtype(dt));
    match dt {
        DType::F32 => elementwise::zip(O::NAME, &a, &b, O::f32),
        DType::I64 => elementwise::zip(O::NAME, &a, &b, O::i64),
        DType::Bool => elementwise::zip(O::NAME, &a, &b, |x, y| O::bool(x, y).expect("checked above")),
    }
}

pub(crate) fn binary_assign<O: BinaryOp>(dst: &Tensor, src: &Tensor) {
    let dt = compute_dtype::<O>(dst.dtype(), src.dtype());
    assert!(
        promote_types(dt, dst.dtype()) == dst.dtype(),
        "result type {} can't be cast to the desired output type {}",
        type_word(dt),
        type_word(dst.dtype())
    );
    let src = src.to_dtype(dst.dtype());
    match dst.dtype() {
        DType::F32 => elementwise::zip_assign(O::NAME, dst, &src, O::f32),
        DType::I64 => elementwise::zip_assign(O::NAME, dst, &src, O::i64),
        DType::Bool => elementwise::zip_assign(O::NAME, dst, &src, |x, y| O::bool(x, y).expect("checked above")),
    }
}

/// PyTorch's word for a dtype in its casting messages (`Float`, `Long`, `Bool`).
pub(crate) fn type_word(d: DType) -> &'static str {
    match d {
        DType::F32 => "Float",
        DType::I64 => "Long",
        DType::Bool => "Bool",
    }
}

macro_rules! binary_methods {
    ($($op:ident: $name:ident, $name_:ident, $doc:literal, $example:literal;)*) => {$(
        #[doc = $doc]
        ///
        /// `other` is a tensor (broadcast against `self`) or a scalar. Panics when the shapes do
        /// not broadcast, naming both.
        ///
        /// ```
        /// use fusenet_runtime::Tensor;
        #[doc = $example]
        /// ```
        pub fn $name<'a>(&self, other: impl Into<Operand<'a>>) -> Tensor {
            binary::<$op>(self, &other.into().into_tensor())
        }

        #[doc = concat!("In-place [`Tensor::", stringify!($name), "`]: writes through views; `other` must broadcast to `self`'s shape.")]
        pub fn $name_<'a>(&self, other: impl Into<Operand<'a>>) {
            binary_assign::<$op>(self, &other.into().into_tensor())
        }
    )*};
}

impl Tensor {
    binary_methods! {
        Add: add, add_, "`self + other`, elementwise with broadcasting (bool + bool is logical or).",
            "let x = Tensor::arange(3.0);\nassert_eq!(x.add(&Tensor::ones(&[2, 1])).to_vec::<f32>(), [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);";
        Sub: sub, sub_, "`self − other`, elementwise with broadcasting.",
            "assert_eq!(Tensor::arange(3.0).sub(1.0).to_vec::<f32>(), [-1.0, 0.0, 1.0]);";
        Mul: mul, mul_, "`self · other`, elementwise with broadcasting (bool · bool is logical and).",
            "assert_eq!(Tensor::arange(3.0).mul(2.0).to_vec::<f32>(), [0.0, 2.0, 4.0]);";
        Div: div, div_, "`self / other`, true division: integer operands give an `f32` result.",
            "assert_eq!(Tensor::arange_i64(3).div(2).to_vec::<f32>(), [0.0, 0.5, 1.0]);";
        Maximum: maximum, maximum_, "`max(self, other)` elementwise; NaN propagates.",
            "assert_eq!(Tensor::arange(3.0).maximum(1.0).to_vec::<f32>(), [1.0, 1.0, 2.0]);";
        Minimum: minimum, minimum_, "`min(self, other)` elementwise; NaN propagates.",
            "assert_eq!(Tensor::arange(3.0).minimum(1.0).to_vec::<f32>(), [0.0, 1.0, 1.0]);";
        Pow: pow, pow_, "`self ^ exponent` elementwise; the exponent is a tensor or a scalar. Integers to negative integer powers panic.",
            "assert_eq!(Tensor::arange(3.0).pow(2.0).to_vec::<f32>(), [0.0, 1.0, 4.0]);";
    }

    /// `self + alpha · other`, as `torch.add(self, other, alpha=alpha)`.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let y = Tensor::ones(&[2]).add_scaled(&Tensor::arange(2.0), 0.5);
    /// assert_eq!(y.to_vec::<f32>(), [1.0, 1.5]);
    /// ```
    pub fn add_scaled(&self, other: &Tensor, alpha: f32) -> Tensor {
        self.add(other.mul(alpha))
    }

    /// In-place `self += alpha · other` (`tensor.add_(other, alpha=alpha)`), the SGD update.
    ///
    /// On an `f32` tensor it runs in one pass with no temporary (no heap allocation when `other`
    /// is `f32` too).
    pub fn add_scaled_(&self, other: &Tensor, alpha: f32) {
        if self.dtype() == DType::F32 {
            let other = other.to_dtype(DType::F32);
            // `alpha * y` rounds to f32 before the add, as `self.add_(other.mul(alpha))` does.
            elementwise::zip_assign("add", self, &other, move |x: f32, y: f32| x + alpha * y)
        } else {
            self.add_(other.mul(alpha))
        }
    }
}
