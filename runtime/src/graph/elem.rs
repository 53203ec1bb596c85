//! Per-element formulas of the elementwise ops and their derivatives: the one definition that
//! the tensor helpers of this module and the closures `network!` fuses into [`map`](super::map)
//! both call, so an op computes the same bits whichever path runs it.
//!
//! `g` is the incoming gradient `∂L/∂y`; each backward names what it reads (`x` or `y`).
//!
//! ```
//! use fusenet_runtime::graph::elem;
//! assert_eq!(elem::relu(-1.0), 0.0);
//! assert_eq!(elem::relu_grad(2.0, 5.0), 5.0);
//! assert_eq!(elem::sigmoid(0.0), 0.5);
//! ```

use fusenet_kernels::real::erf_f64;

/// `1/√2`.
const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// `1/√(2π)`.
const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;

/// `max(x, 0)`, NaN stays NaN (PyTorch's `relu`).
#[inline]
pub fn relu(x: f32) -> f32 {
    if x > 0.0 || x.is_nan() { x } else { 0.0 }
}

/// `relu` backward from `x` or `y` (`x > 0 ⇔ y > 0`): `g` where positive, else 0 (0 at 0, `g`
/// at NaN, as PyTorch's `threshold_backward`).
#[inline]
pub fn relu_grad(x_or_y: f32, g: f32) -> f32 {
    if x_or_y <= 0.0 { 0.0 } else { g }
}

/// `1 / (1 + e^(−x))` without overflow: for `x < 0` it is computed as `e^x / (1 + e^x)`.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `sigmoid` backward from `y`: `g·(1 − y)·y`.
#[inline]
pub fn sigmoid_grad(y: f32, g: f32) -> f32 {
    g * (1.0 - y) * y
}

/// `tanh` backward from `y`: `g·(1 − y²)`.
#[inline]
pub fn tanh_grad(y: f32, g: f32) -> f32 {
    g * (1.0 - y * y)
}

/// `sqrt` backward from `y`: `g / (2y)`.
#[inline]
pub fn sqrt_grad(y: f32, g: f32) -> f32 {
    g / (2.0 * y)
}

/// `abs` backward from `x`: `g·sign(x)`, and `0·g` at 0 (NaN stays NaN), as PyTorch.
#[inline]
pub fn abs_grad(x: f32, g: f32) -> f32 {
    if x > 0.0 {
        g
    } else if x < 0.0 {
        -g
    } else {
        0.0 * g
    }
}

/// `x` for `x > 0`, `slope·x` otherwise.
#[inline]
pub fn leaky_relu(x: f32, slope: f32) -> f32 {
    if x > 0.0 { x } else { x * slope }
}

/// `leaky_relu` backward from `x`: `g` where `x > 0`, `slope·g` elsewhere.
#[inline]
pub fn leaky_relu_grad(x: f32, g: f32, slope: f32) -> f32 {
    if x > 0.0 { g } else { g * slope }
}

/// `x.pow(p)` backward from `x`: `g·p·x^(p−1)`, and 0 when `p = 0` (PyTorch's special case).
#[inline]
pub fn pow_grad(x: f32, g: f32, p: f32) -> f32 {
    if p == 0.0 { 0.0 } else { g * p * x.powf(p - 1.0) }
}

/// The standard normal CDF `Φ(x) = ½(1 + erf(x/√2))`.
#[inline]
pub fn normal_cdf(x: f32) -> f32 {
    0.5 * (1.0 + erf_f64((x * FRAC_1_SQRT_2) as f64) as f32)
}

/// Exact GELU, `x·Φ(x)`.
#[inline]
pub fn gelu(x: f32) -> f32 {
    x * normal_cdf(x)
}

/// `gelu` backward from `x`: `g·(Φ(x) + x·φ(x))`, `φ(x) = e^(−x²/2)/√(2π)`.
#[inline]
pub fn gelu_grad(x: f32, g: f32) -> f32 {
    let pdf = FRAC_1_SQRT_2PI * (-0.5 * x * x).exp();
    g * (normal_cdf(x) + x * pdf)
}
