//! The element type of the layer kernels: [`Real`], implemented by `f32` (the production path)
//! and `f64` (for tight finite-difference gradient checks).
//!
//! ```
//! use fusenet_kernels::real::Real;
//! fn softplus<T: Real>(x: T) -> T {
//!     (T::one() + x.exp()).ln()
//! }
//! assert!((softplus(0.0f64) - 2f64.ln()).abs() < 1e-15);
//! assert_eq!(f32::from_f64(0.5), 0.5f32);
//! ```

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// `s` as `f32`s when `T` is `f32`: lets a generic kernel hand its slices to an `f32`-only SIMD
/// body.
pub fn as_f32<T: Real>(s: &[T]) -> Option<&[f32]> {
    // SAFETY: `T` is `f32` (same `TypeId`), so the slice already is a `[f32]`.
    (std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>()).then(|| unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<f32>(), s.len()) })
}

/// `s` as mutable `f32`s when `T` is `f32`.
pub fn as_f32_mut<T: Real>(s: &mut [T]) -> Option<&mut [f32]> {
    // SAFETY: as in `as_f32`; the borrow of `s` moves into the result.
    (std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>()).then(|| unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr().cast::<f32>(), s.len()) })
}

/// A floating-point element type of the kernels: arithmetic, the elementary functions they need,
/// conversions through `f64`, and the one GEMM entry point of [`crate::cpu::gemm`].
pub trait Real:
    Copy
    + Send
    + Sync
    + Default
    + Debug
    + Display
    + PartialEq
    + PartialOrd
    + Sum
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + 'static
{
    /// The name of the type (`"f32"`), for messages.
    const NAME: &'static str;
    /// Machine epsilon.
    const EPSILON: Self;
    /// Positive infinity.
    const INFINITY: Self;
    /// Negative infinity.
    const NEG_INFINITY: Self;

    /// 0.
    fn zero() -> Self;
    /// 1.
    fn one() -> Self;
    /// The nearest value to `v`.
    fn from_f64(v: f64) -> Self;
    /// The value as an `f64` (exact).
    fn to_f64(self) -> f64;
    /// `n` as a value of this type.
    fn from_usize(n: usize) -> Self {
        Self::from_f64(n as f64)
    }
    /// `eˣ`.
    fn exp(self) -> Self;
    /// `eˣ − 1`, accurate near 0.
    fn exp_m1(self) -> Self;
    /// The natural logarithm.
    fn ln(self) -> Self;
    /// `ln(1 + x)`, accurate near 0.
    fn ln_1p(self) -> Self;
    /// The square root.
    fn sqrt(self) -> Self;
    /// The hyperbolic tangent.
    fn tanh(self) -> Self;
    /// The absolute value.
    fn abs(self) -> Self;
    /// The larger of two values; a NaN operand yields the other (IEEE `maxNum`).
    fn max(self, other: Self) -> Self;
    /// The smaller of two values; a NaN operand yields the other.
    fn min(self, other: Self) -> Self;
    /// `self · a + b` with one rounding.
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// Whether the value is neither infinite nor NaN.
    fn is_finite(self) -> bool;
    /// Whether the value is NaN.
    fn is_nan(self) -> bool;
    /// The error function, `2/√π ∫₀ˣ e^(−t²) dt`, through [`erf_f64`].
    fn erf(self) -> Self {
        Self::from_f64(erf_f64(self.to_f64()))
    }

    /// `C ← α·A·B + β·C` on strided matrices: [`crate::cpu::gemm::sgemm`] or
    /// [`crate::cpu::gemm::dgemm`], with their layout rules and panics.
    #[allow(clippy::too_many_arguments)]
    fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: &[Self],
        rsa: isize,
        csa: isize,
        b: &[Self],
        rsb: isize,
        csb: isize,
        beta: Self,
        c: &mut [Self],
        rsc: isize,
        csc: isize,
    );
}

macro_rules! real {
    ($t:ident, $gemm:path) => {
        impl Real for $t {
            const NAME: &'static str = stringify!($t);
            const EPSILON: Self = $t::EPSILON;
            const INFINITY: Self = $t::INFINITY;
            const NEG_INFINITY: Self = $t::NEG_INFINITY;
            #[inline(always)]
            fn zero() -> Self {
                0.0
            }
            #[inline(always)]
            fn one() -> Self {
                1.0
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn exp(self) -> Self {
                $t::exp(self)
            }
            #[inline(always)]
            fn exp_m1(self) -> Self {
                $t::exp_m1(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                $t::ln(self)
            }
            #[inline(always)]
            fn ln_1p(self) -> Self {
                $t::ln_1p(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                $t::sqrt(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                $t::tanh(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                $t::abs(self)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                $t::max(self, other)
            }
            #[inline(always)]
            fn min(self, other: Self) -> Self {
                $t::min(self, other)
            }
            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                $t::mul_add(self, a, b)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                $t::is_nan(self)
            }
            fn gemm(
                m: usize,
                k: usize,
                n: usize,
                alpha: Self,
                a: &[Self],
                rsa: isize,
                csa: isize,
                b: &[Self],
                rsb: isize,
                csb: isize,
                beta: Self,
                c: &mut [Self],
                rsc: isize,
                csc: isize,
            ) {
                $gemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
            }
        }
    };
}

real!(f32, crate::cpu::gemm::sgemm);
real!(f64, crate::cpu::gemm::dgemm);

/// `2/√π`.
const FRAC_2_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;

/// The error function in double precision, accurate to a few ulps.
///
/// Two classical expansions, each used where it converges fast and without cancellation:
/// - `|x| < 2`: the series with positive terms (Abramowitz & Stegun 7.1.6)
///   `erf x = 2/√π · e^(−x²) · Σₙ 2ⁿ x^(2n+1) / (1·3·5···(2n+1))`, summed until a term no longer
///   changes the sum (at most about 30 terms);
/// - `2 ≤ |x| < 6`: `erf x = 1 − erfc x` with Laplace's continued fraction (A&S 7.1.14)
///   `erfc x = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ···)))))`, evaluated
///   bottom-up from depth `180/x² + 4` (enough for double precision);
/// - `|x| ≥ 6`: ±1 (erfc 6 ≈ 2·10⁻¹⁷ is below half an ulp of 1).
///
/// ```
/// use fusenet_kernels::real::erf_f64;
/// // Python: math.erf(0.5) == 0.5204998778130465
/// assert!((erf_f64(0.5) - 0.5204998778130465).abs() < 2e-16);
/// assert_eq!(erf_f64(-7.0), -1.0);
/// ```
pub fn erf_f64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    let r = if a < 2.0 {
        let x2 = a * a;
        let mut term = a;
        let mut sum = a;
        let mut n = 0.0;
        loop {
            n += 1.0;
            term *= 2.0 * x2 / (2.0 * n + 1.0);
            let next = sum + term;
            if next == sum {
                break;
            }
            sum = next;
        }
        FRAC_2_SQRT_PI * exp_neg_square(a) * sum
    } else if a < 6.0 {
        // Depth 180/a² + 4 converges to double precision (44 terms needed at a = 2, 8 at a = 4).
        let depth = (180.0 / (a * a)) as usize + 4;
        let mut f = a;
        for k in (1..=depth).rev() {
            f = a + (k as f64 * 0.5) / f;
        }
        1.0 - exp_neg_square(a) / (std::f64::consts::PI.sqrt() * f)
    } else {
        1.0
    };
    if x < 0.0 { -r } else { r }
}

/// `e^(−a²)` without the error of rounding `a²` first: `a² = h + l` exactly (the low part by a
/// fused multiply-add), and `e^(−h−l) = e^(−h)·(1 − l)` to double precision since `|l| ≤ ulp(h)/2`.
fn exp_neg_square(a: f64) -> f64 {
    let h = a * a;
    let l = a.mul_add(a, -h);
    (-h).exp() * (1.0 - l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_python() {
        // Python: [(x, math.erf(x)) for x in (...)]
        let cases = [
            (0.0, 0.0),
            (1e-10, 1.1283791670955126e-10),
            (0.1, 0.1124629160182849),
            (0.5, 0.5204998778130465),
            (0.8, 0.7421009647076605),
            (1.0, 0.8427007929497149),
            (1.5, 0.9661051464753108),
            (2.0, 0.9953222650189527),
            (2.5, 0.999593047982555),
            (2.999, 0.9999777698314002),
            (3.0, 0.9999779095030014),
            (4.0, 0.9999999845827421),
            (5.5, 0.9999999999999927),
            (6.5, 1.0),
        ];
        for (x, want) in cases {
            for (x, want) in [(x, want), (-x, -want)] {
                let got = erf_f64(x);
                assert!((got - want).abs() <= 4.0 * f64::EPSILON * want.abs().max(1e-300), "erf({x}) = {got}, want {want}");
            }
        }
        assert!(erf_f64(f64::NAN).is_nan());
        assert_eq!(erf_f64(f64::INFINITY), 1.0);
    }

    #[test]
    fn erf_on_a_grid_matches_python_to_4_ulps() {
        // Python: [(x, math.erf(x)) for x in (round(0.15 * i + 0.013, 3) for i in range(41))]
        let grid = [
            (0.013, 0.014668102864459203),
            (0.163, 0.18230979783371432),
            (0.313, 0.34198025124782055),
            (0.463, 0.4873911570303),
            (0.613, 0.6140102726677826),
            (0.763, 0.7194323091788872),
            (0.913, 0.8033576853271971),
            (1.063, 0.8672406239723384),
            (1.213, 0.9137356055467865),
            (1.363, 0.9460917507215139),
            (1.513, 0.967621394965838),
            (1.663, 0.9813190486644636),
            (1.813, 0.9896517269521242),
            (1.963, 0.9944984922554893),
            (2.113, 0.9971940468636687),
            (2.263, 0.998627464881544),
            (2.413, 0.9993562944151636),
            (2.563, 0.9997106238490008),
            (2.713, 0.9998753325088607),
            (2.863, 0.9999485396305207),
            (3.013, 0.9999796508955783),
            (3.163, 0.9999922927034314),
            (3.313, 0.9999972043555121),
            (3.463, 0.9999990289762756),
            (3.613, 0.9999996770791292),
            (3.763, 0.9999998971898749),
            (3.913, 0.9999999686665304),
            (4.063, 0.9999999908593523),
            (4.213, 0.9999999974478413),
            (4.363, 0.9999999993180227),
            (4.513, 0.9999999998256044),
            (4.663, 0.9999999999573245),
            (4.813, 0.9999999999900074),
            (4.963, 0.9999999999977612),
            (5.113, 0.99999999999952),
            (5.263, 0.9999999999999016),
            (5.413, 0.9999999999999807),
            (5.563, 0.9999999999999963),
            (5.713, 0.9999999999999993),
            (5.863, 0.9999999999999999),
            (6.013, 1.0),
        ];
        for (x, want) in grid {
            let got = erf_f64(x);
            assert!((got - want).abs() <= 4.0 * f64::EPSILON * want, "erf({x}) = {got}, want {want}");
        }
    }

    #[test]
    fn gemm_hooks_agree() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [5.0, 6.0, 7.0, 8.0];
        let mut c32 = [0.0f32; 4];
        let mut c64 = [0.0f64; 4];
        f32::gemm(2, 2, 2, 1.0, &a.map(|v: f64| v as f32), 2, 1, &b.map(|v: f64| v as f32), 2, 1, 0.0, &mut c32, 2, 1);
        f64::gemm(2, 2, 2, 1.0, &a, 2, 1, &b, 2, 1, 0.0, &mut c64, 2, 1);
        assert_eq!(c64, [19.0, 22.0, 43.0, 50.0]);
        assert_eq!(c32, [19.0, 22.0, 43.0, 50.0]);
    }
}
