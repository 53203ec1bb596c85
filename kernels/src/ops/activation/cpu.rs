//! The activation loops: one scalar function per direction, mapped over blocks (on rayon when
//! large).

use super::Activation;
use crate::ops::rows::for_each_block;
use crate::real::Real;

/// `y = act(x)`. Panics when the lengths differ.
pub fn activation_forward<T: Real>(act: Activation, x: &[T], y: &mut [T]) {
    assert_eq!(x.len(), y.len(), "activation_forward: input has {} elements, output {}", x.len(), y.len());
    for_each_block(y, |off, out| {
        let src = &x[off..off + out.len()];
        match act {
            Activation::Relu => map(src, out, |v| if v > T::zero() || v.is_nan() { v } else { T::zero() }),
            Activation::LeakyRelu(s) => {
                let s = T::from_f64(s);
                map(src, out, |v| if v > T::zero() { v } else { v * s })
            }
            Activation::Sigmoid => map(src, out, sigmoid),
            Activation::Tanh => map(src, out, T::tanh),
            Activation::Gelu => map(src, out, |v| {
                let x = v.to_f64();
                T::from_f64(0.5 * x * (1.0 + crate::real::erf_f64(x * std::f64::consts::FRAC_1_SQRT_2)))
            }),
            Activation::GeluTanh => map(src, out, |v| {
                let inner = T::from_f64(SQRT_2_OVER_PI) * (v + T::from_f64(KAPPA) * v * v * v);
                T::from_f64(0.5) * v * (T::one() + inner.tanh())
            }),
            Activation::Elu(alpha) => {
                let a = T::from_f64(alpha);
                map(src, out, |v| if v > T::zero() { v } else { a * v.exp_m1() })
            }
            Activation::Silu => map(src, out, |v| v * sigmoid(v)),
        }
    });
}

/// `grad_in = grad_out · act'(…)`, from `saved` = the input or the output as
/// [`Activation::saves`] says. Panics when the lengths differ.
pub fn activation_backward<T: Real>(act: Activation, saved: &[T], grad_out: &[T], grad_in: &mut [T]) {
    let n = grad_in.len();
    assert!(
        saved.len() == n && grad_out.len() == n,
        "activation_backward: saved has {} elements, grad_out {}, grad_in {n}",
        saved.len(),
        grad_out.len()
    );
    for_each_block(grad_in, |off, dx| {
        let s = &saved[off..off + dx.len()];
        let g = &grad_out[off..off + dx.len()];
        match act {
            Activation::Relu => map2(s, g, dx, |y, g| if y > T::zero() { g } else { T::zero() }),
            Activation::LeakyRelu(slope) => {
                let slope = T::from_f64(slope);
                map2(s, g, dx, |x, g| if x > T::zero() { g } else { g * slope })
            }
            Activation::Sigmoid => map2(s, g, dx, |y, g| g * (T::one() - y) * y),
            Activation::Tanh => map2(s, g, dx, |y, g| g * (T::one() - y * y)),
            Activation::Gelu => map2(s, g, dx, |x, g| {
                let xf = x.to_f64();
                let cdf = 0.5 * (1.0 + crate::real::erf_f64(xf * std::f64::consts::FRAC_1_SQRT_2));
                let pdf = (-0.5 * xf * xf).exp() * FRAC_1_SQRT_2PI;
                g * T::from_f64(cdf + xf * pdf)
            }),
            Activation::GeluTanh => map2(s, g, dx, |x, g| {
                // PyTorch's GeluBackward (tanh): d/dx of x/2·(1 + tanh(β(x + κx³))).
                let (beta, kappa, half) = (T::from_f64(SQRT_2_OVER_PI), T::from_f64(KAPPA), T::from_f64(0.5));
                let x2 = x * x;
                let t = (beta * (x + kappa * x2 * x)).tanh();
                let left = half * x;
                let right = T::one() + t;
                let d_left = half * right;
                let d_right = left * (T::one() - t * t) * beta * (T::one() + T::from_f64(3.0) * kappa * x2);
                g * (d_left + d_right)
            }),
            Activation::Elu(alpha) => {
                let a = T::from_f64(alpha);
                map2(s, g, dx, |x, g| if x > T::zero() { g } else { g * a * x.exp() })
            }
            Activation::Silu => map2(s, g, dx, |x, g| {
                let sg = sigmoid(x);
                g * sg * (T::one() + x * (T::one() - sg))
            }),
        }
    });
}

const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4; // √(2/π)
const KAPPA: f64 = 0.044715;
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7; // 1/√(2π)

#[inline(always)]
fn sigmoid<T: Real>(v: T) -> T {
    T::one() / (T::one() + (-v).exp())
}

#[inline(always)]
fn map<T: Real>(src: &[T], out: &mut [T], f: impl Fn(T) -> T) {
    out.iter_mut().zip(src).for_each(|(o, &v)| *o = f(v));
}

#[inline(always)]
fn map2<T: Real>(a: &[T], b: &[T], out: &mut [T], f: impl Fn(T, T) -> T) {
    out.iter_mut().zip(a.iter().zip(b)).for_each(|(o, (&x, &y))| *o = f(x, y));
}
