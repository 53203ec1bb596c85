//! Binary cross-entropy on probabilities (`BCELoss`) and on logits (`BCEWithLogitsLoss`).
//!
//! `BCELoss`: `ℓ = −w·[t·max(ln x, −100) + (1 − t)·max(ln(1 − x), −100)]`, with
//! `dx = s·w·(x − t) / max(x(1 − x), 10⁻¹²)` (torch's clamp and epsilon). An input outside
//! `[0, 1]` is a [`KernelError::ProbabilityOutOfRange`].
//!
//! `BCEWithLogitsLoss`: `ℓ = w·[(1 − t)·x − (1 + (p − 1)·t)·ln σ(x)]` with the stable
//! `ln σ(x) = min(x, 0) − ln(1 + e^(−|x|))`, and `dx = s·w·((p·t + 1 − t)·σ(x) − p·t)`; `p` is
//! `pos_weight` (1 when absent), one value per class, broadcast along the last dimension.
//!
//! `weight` (optional) has one value per element (the caller expands a broadcast weight).
//!
//! ```
//! use fusenet_kernels::ops::loss::{Reduction, bce::bce_with_logits_forward};
//! let mut out = [0.0f64];
//! bce_with_logits_forward(Reduction::Sum, &[0.0, 0.0], &[1.0, 0.0], None, None, &mut out);
//! assert!((out[0] - 2.0 * 2f64.ln()).abs() < 1e-15);
//! ```

use super::{Reduction, Scale, check_same, write_reduced};
use crate::error::{KernelError, KernelResult};
use crate::ops::rows::for_each_block;
use crate::real::Real;

fn check_weight(what: &str, w: Option<&[impl Copy]>, n: usize) {
    if let Some(w) = w {
        assert_eq!(w.len(), n, "{what}: weight has {} elements, expected one per input element ({n})", w.len());
    }
}

#[inline(always)]
fn weight_at<T: Real>(w: Option<&[T]>, i: usize) -> T {
    w.map_or(T::one(), |w| w[i])
}

/// `BCELoss` forward. Fails when an input is outside `[0, 1]` (nothing is written then).
pub fn bce_forward<T: Real>(red: Reduction, input: &[T], target: &[T], weight: Option<&[T]>, out: &mut [T]) -> KernelResult {
    let n = input.len();
    check_same("binary_cross_entropy", n, target.len());
    check_weight("binary_cross_entropy", weight, n);
    if let Some(&bad) = input.iter().find(|&&x| !(x >= T::zero() && x <= T::one())) {
        return Err(KernelError::ProbabilityOutOfRange { value: bad.to_f64() });
    }
    let floor = T::from_f64(-100.0);
    write_reduced(red, n, out, |i| {
        let (x, t) = (input[i], target[i]);
        let (lx, l1x) = (x.ln().max(floor), (-x).ln_1p().max(floor));
        weight_at(weight, i) * ((t - T::one()) * l1x - t * lx)
    });
    Ok(())
}

/// `BCELoss` backward into `grad_input`.
pub fn bce_backward<T: Real>(red: Reduction, input: &[T], target: &[T], weight: Option<&[T]>, grad_out: &[T], grad_input: &mut [T]) {
    let n = input.len();
    check_same("binary_cross_entropy", n, target.len());
    check_weight("binary_cross_entropy", weight, n);
    assert_eq!(grad_input.len(), n, "binary_cross_entropy backward: grad_input has {} elements, expected {n}", grad_input.len());
    let s = Scale::new(red, grad_out, n, n as f64);
    let eps = T::from_f64(1e-12);
    for_each_block(grad_input, |off, b| {
        for (j, v) in b.iter_mut().enumerate() {
            let (i, x) = (off + j, input[off + j]);
            *v = s.at(i) * weight_at(weight, i) * (x - target[i]) / ((T::one() - x) * x).max(eps);
        }
    });
}

fn check_pos_weight<T>(n: usize, pos_weight: Option<&[T]>) {
    if let Some(p) = pos_weight {
        assert!(
            !p.is_empty() && n.is_multiple_of(p.len()),
            "binary_cross_entropy_with_logits: pos_weight of {} elements does not broadcast along the last dimension of {n} elements",
            p.len()
        );
    }
}

/// `ln σ(x)`, stable for any `x`.
#[inline(always)]
fn log_sigmoid<T: Real>(x: T) -> T {
    x.min(T::zero()) - (-x.abs()).exp().ln_1p()
}

/// `BCEWithLogitsLoss` forward.
pub fn bce_with_logits_forward<T: Real>(
    red: Reduction,
    input: &[T],
    target: &[T],
    weight: Option<&[T]>,
    pos_weight: Option<&[T]>,
    out: &mut [T],
) {
    let n = input.len();
    check_same("binary_cross_entropy_with_logits", n, target.len());
    check_weight("binary_cross_entropy_with_logits", weight, n);
    check_pos_weight(n, pos_weight);
    write_reduced(red, n, out, |i| {
        let (x, t) = (input[i], target[i]);
        let lw = pos_weight.map_or(T::one(), |p| T::one() + (p[i % p.len()] - T::one()) * t);
        weight_at(weight, i) * ((T::one() - t) * x - lw * log_sigmoid(x))
    });
}

/// `BCEWithLogitsLoss` backward into `grad_input`.
pub fn bce_with_logits_backward<T: Real>(
    red: Reduction,
    input: &[T],
    target: &[T],
    weight: Option<&[T]>,
    pos_weight: Option<&[T]>,
    grad_out: &[T],
    grad_input: &mut [T],
) {
    let n = input.len();
    check_same("binary_cross_entropy_with_logits", n, target.len());
    check_weight("binary_cross_entropy_with_logits", weight, n);
    check_pos_weight(n, pos_weight);
    assert_eq!(grad_input.len(), n, "binary_cross_entropy_with_logits backward: grad_input has {} elements, expected {n}", grad_input.len());
    let s = Scale::new(red, grad_out, n, n as f64);
    for_each_block(grad_input, |off, b| {
        for (j, v) in b.iter_mut().enumerate() {
            let i = off + j;
            let (x, t) = (input[i], target[i]);
            let sig = T::one() / (T::one() + (-x).exp());
            let d = match pos_weight {
                Some(p) => {
                    let pt = p[i % p.len()] * t;
                    (pt + T::one() - t) * sig - pt
                }
                None => sig - t,
            };
            *v = s.at(i) * weight_at(weight, i) * d;
        }
    });
}
