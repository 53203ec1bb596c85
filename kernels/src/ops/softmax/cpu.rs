//! The softmax loops: each (outer, inner) line along `dim` is independent; blocks of `outer`
//! run on rayon when large.

use super::SoftmaxGeom;
use crate::ops::rows::for_each_row;
use crate::real::Real;

/// `y = softmax(x)` along `dim`.
pub fn softmax_forward<T: Real>(g: &SoftmaxGeom, x: &[T], y: &mut [T]) {
    forward(g, x, y, false)
}

/// `y = log_softmax(x)` along `dim`.
pub fn log_softmax_forward<T: Real>(g: &SoftmaxGeom, x: &[T], y: &mut [T]) {
    forward(g, x, y, true)
}

fn forward<T: Real>(g: &SoftmaxGeom, x: &[T], y: &mut [T], log: bool) {
    g.check("input", x.len());
    g.check("output", y.len());
    let (dim, inner) = (g.dim, g.inner);
    let block = dim * inner;
    for_each_row(y, block.max(1), 3, |o, yb| {
        let xb = &x[o * block..(o + 1) * block];
        for i in 0..inner {
            let at = |d: usize| d * inner + i;
            let m = (0..dim).map(|d| xb[at(d)]).fold(T::NEG_INFINITY, |a, b| if b > a || b.is_nan() { b } else { a });
            // A line of −∞ (or +∞) has no finite maximum: subtracting it would give NaN where torch
            // gives NaN too for +∞, and e^(−∞ − (−∞)) = NaN for −∞, as torch.
            let mut sum = T::zero();
            for d in 0..dim {
                let e = (xb[at(d)] - m).exp();
                yb[at(d)] = if log { xb[at(d)] - m } else { e };
                sum += e;
            }
            if log {
                let lse = sum.ln();
                (0..dim).for_each(|d| yb[at(d)] -= lse);
            } else {
                let inv = T::one() / sum;
                (0..dim).for_each(|d| yb[at(d)] *= inv);
            }
        }
    });
}

/// `grad_in = y ⊙ (grad_out − Σ_dim grad_out ⊙ y)`, from the softmax output `y`.
pub fn softmax_backward<T: Real>(g: &SoftmaxGeom, y: &[T], grad_out: &[T], grad_in: &mut [T]) {
    backward(g, y, grad_out, grad_in, false)
}

/// `grad_in = grad_out − e^y ⊙ Σ_dim grad_out`, from the log-softmax output `y`.
pub fn log_softmax_backward<T: Real>(g: &SoftmaxGeom, y: &[T], grad_out: &[T], grad_in: &mut [T]) {
    backward(g, y, grad_out, grad_in, true)
}

fn backward<T: Real>(g: &SoftmaxGeom, y: &[T], grad_out: &[T], grad_in: &mut [T], log: bool) {
    g.check("output", y.len());
    g.check("grad_out", grad_out.len());
    g.check("grad_in", grad_in.len());
    let (dim, inner) = (g.dim, g.inner);
    let block = dim * inner;
    for_each_row(grad_in, block.max(1), 3, |o, db| {
        let (yb, gb) = (&y[o * block..(o + 1) * block], &grad_out[o * block..(o + 1) * block]);
        for i in 0..inner {
            let at = |d: usize| d * inner + i;
            if log {
                let s: T = (0..dim).map(|d| gb[at(d)]).sum();
                (0..dim).for_each(|d| db[at(d)] = gb[at(d)] - yb[at(d)].exp() * s);
            } else {
                let s: T = (0..dim).map(|d| gb[at(d)] * yb[at(d)]).sum();
                (0..dim).for_each(|d| db[at(d)] = yb[at(d)] * (gb[at(d)] - s));
            }
        }
    });
}
