//! The linear layer's loops: one GEMM plus an epilogue pass, and the backward's two GEMMs plus a
//! fused mask/column-sum pass.

use super::{LinearAct, LinearGeom};
use crate::ops::rows::for_each_row;
use crate::real::Real;

/// `y = act(x Wᵀ + b)`; see the [module docs](super).
pub fn linear_forward<T: Real>(g: &LinearGeom, act: LinearAct, x: &[T], w: &[T], b: Option<&[T]>, y: &mut [T]) {
    g.check(x.len(), w.len(), b.map(<[T]>::len), y.len());
    let LinearGeom { m, k, n } = *g;
    // y[m×n] = x[m×k] · Wᵀ, Wᵀ read as a k×n matrix with strides (1, k).
    T::gemm(m, k, n, T::one(), x, k as isize, 1, w, 1, k as isize, T::zero(), y, n as isize, 1);
    if b.is_none() && act == LinearAct::None {
        return;
    }
    for_each_row(y, n.max(1), 1, |_, row| match (b, act) {
        (Some(b), LinearAct::None) => row.iter_mut().zip(b).for_each(|(v, &bi)| *v += bi),
        (Some(b), LinearAct::Relu) => row.iter_mut().zip(b).for_each(|(v, &bi)| *v = relu(*v + bi)),
        (None, _) => row.iter_mut().for_each(|v| *v = relu(*v)),
    });
}

#[inline(always)]
fn relu<T: Real>(v: T) -> T {
    // NaN propagates, as torch's relu.
    if v > T::zero() || v.is_nan() { v } else { T::zero() }
}

/// The scratch length [`linear_backward`] needs: `m·n` for a fused ReLU (the masked gradient), 0
/// otherwise.
pub fn linear_scratch_len(g: &LinearGeom, act: LinearAct) -> usize {
    match act {
        LinearAct::None => 0,
        LinearAct::Relu => g.m * g.n,
    }
}

/// The backward of [`linear_forward`]: writes `dX = G·W` into `grad_in`, accumulates
/// `dW += Gᵀ·X` and `db += Σ_rows G`, where `G = grad_out` masked by `y > 0` for
/// [`LinearAct::Relu`] (`y` is the forward's output; it is not read for [`LinearAct::None`], where
/// it may be empty). `scratch` has [`linear_scratch_len`] elements.
#[allow(clippy::too_many_arguments)]
pub fn linear_backward<T: Real>(
    g: &LinearGeom,
    act: LinearAct,
    x: &[T],
    w: &[T],
    y: &[T],
    grad_out: &[T],
    scratch: &mut [T],
    grad_in: Option<&mut [T]>,
    grad_weight: Option<&mut [T]>,
    grad_bias: Option<&mut [T]>,
) {
    g.check(x.len(), w.len(), grad_bias.as_deref().map(<[T]>::len), grad_out.len());
    let LinearGeom { m, k, n } = *g;
    let need = linear_scratch_len(g, act);
    assert!(scratch.len() >= need, "linear_backward: scratch has {} elements, expected at least {need}", scratch.len());
    let gy: &[T] = match act {
        LinearAct::None => grad_out,
        LinearAct::Relu => {
            assert_eq!(y.len(), m * n, "linear_backward: y has {} elements, expected [{m}, {n}] = {}", y.len(), m * n);
            let s = &mut scratch[..need];
            for_each_row(s, n.max(1), 1, |i, row| {
                let (yr, gr) = (&y[i * n..(i + 1) * n], &grad_out[i * n..(i + 1) * n]);
                for ((d, &yv), &gv) in row.iter_mut().zip(yr).zip(gr) {
                    *d = if yv > T::zero() { gv } else { T::zero() };
                }
            });
            s
        }
    };
    if let Some(dx) = grad_in {
        assert_eq!(dx.len(), m * k, "linear_backward: grad_in has {} elements, expected [{m}, {k}]", dx.len());
        // dX[m×k] = G[m×n] · W[n×k].
        T::gemm(m, n, k, T::one(), gy, n as isize, 1, w, k as isize, 1, T::zero(), dx, k as isize, 1);
    }
    if let Some(dw) = grad_weight {
        assert_eq!(dw.len(), n * k, "linear_backward: grad_weight has {} elements, expected [{n}, {k}]", dw.len());
        // dW[n×k] += Gᵀ[n×m] · X[m×k], Gᵀ read with strides (1, n).
        T::gemm(n, m, k, T::one(), gy, 1, n as isize, x, k as isize, 1, T::one(), dw, k as isize, 1);
    }
    if let Some(db) = grad_bias {
        column_sums_add(gy, m, n, db);
    }
}

/// `db[j] += Σ_i g[i·n + j]`, in row order for every column (deterministic); in parallel over
/// blocks of columns when large.
pub(crate) fn column_sums_add<T: Real>(g: &[T], m: usize, n: usize, db: &mut [T]) {
    let cols = 64.max(crate::cpu::parallel::PAR_MIN_CHUNK / m.max(1));
    for_each_row(db, cols, m, |blk, out| {
        let j0 = blk * cols;
        for i in 0..m {
            let row = &g[i * n + j0..i * n + j0 + out.len()];
            out.iter_mut().zip(row).for_each(|(d, &v)| *d += v);
        }
    });
}
