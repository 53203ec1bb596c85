//! Backward through time.
//!
//! Walking the steps in reverse with `dh = ∂L/∂h_t` (the incoming `grad_y[t]` plus what flows
//! back from step t+1), the gate pre-activation gradients `dA_t` are:
//! - RNN: `dA = dh ⊙ (1 − h_t²)` (tanh) or `dh ⊙ [h_t > 0]` (relu);
//! - LSTM: with `dc ← dc + dh⊙o⊙(1 − tanh²c_t)`: `dA_i = dc⊙g⊙i(1−i)`, `dA_f = dc⊙c_{t−1}⊙f(1−f)`,
//!   `dA_g = dc⊙i⊙(1−g²)`, `dA_o = dh⊙tanh(c_t)⊙o(1−o)`, then `dc ← dc⊙f`;
//! - GRU: `dn = dh⊙(1−z)`, `dA_n = dn⊙(1−n²)`, `dA_r = dA_n⊙hn⊙r(1−r)` (hn = `W_hn h + b_hn`),
//!   `dA_z = dh⊙(h_{t−1} − n)⊙z(1−z)`; the hidden side sees `dA_n⊙r` in place of `dA_n`.
//!
//! and `dh_{t−1} = dA_t·W_hh` (+ `dh⊙z` for GRU). Then, over the whole sequence:
//! `dX = dA·W_ih`, `dW_ih += dAᵀ·X`, `dW_hh += Σ_t dA_tᵀ·h_{t−1}`, `db_ih += Σ dA`, `db_hh += Σ dA`
//! (the hidden-side `dA` for GRU).

use super::{RnnGeom, RnnMode, RnnWeightGrads, RnnWeights, gemm_nn, gemm_tn, rnn_saved_len, rnn_scratch_len};
use crate::real::Real;

fn col_sums_add<T: Real>(rows: &[T], width: usize, out: &mut [T]) {
    for r in rows.chunks_exact(width) {
        out.iter_mut().zip(r).for_each(|(o, &v)| *o += v);
    }
}

/// The backward of [`super::rnn_forward`], given its inputs, its output `y` and what it saved.
/// `grad_y` (`[T, B, H]`), `grad_hn` and `grad_cn` (`[B, H]`) are the incoming gradients (`None`
/// is zeros); `grad_x`, `grad_h0` and `grad_c0` are written when `Some`; the parameter gradients
/// in `grads` are accumulated. `scratch` has [`rnn_scratch_len`] elements.
#[allow(clippy::too_many_arguments)]
pub fn rnn_backward<T: Real>(
    g: &RnnGeom,
    x: &[T],
    w: &RnnWeights<'_, T>,
    h0: Option<&[T]>,
    c0: Option<&[T]>,
    y: &[T],
    saved: &[T],
    grad_y: Option<&[T]>,
    grad_hn: Option<&[T]>,
    grad_cn: Option<&[T]>,
    scratch: &mut [T],
    grad_x: Option<&mut [T]>,
    grad_h0: Option<&mut [T]>,
    grad_c0: Option<&mut [T]>,
    grads: RnnWeightGrads<'_, T>,
) {
    const OP: &str = "rnn_backward";
    g.check(OP, x.len(), w, y.len());
    let (t_len, b, h, gh, i_len) = (g.seq, g.batch, g.hidden, g.gate_rows(), g.input);
    let (bh, rows) = (b * h, g.seq * g.batch);
    assert!(t_len > 0, "{OP}: the sequence is empty (expected at least one time step)");
    for (name, s) in [("h0", h0), ("c0", c0), ("grad_hn", grad_hn), ("grad_cn", grad_cn)] {
        s.inspect(|s| g.check_state(OP, name, s.len()));
    }
    if let Some(gy) = grad_y {
        assert_eq!(gy.len(), y.len(), "{OP}: grad_y has {} elements, expected [{t_len}, {b}, {h}]", gy.len());
    }
    assert!(saved.len() >= rnn_saved_len(g), "{OP}: saved has {} elements, expected {}", saved.len(), rnn_saved_len(g));
    assert!(scratch.len() >= rnn_scratch_len(g), "{OP}: scratch has {} elements, expected {}", scratch.len(), rnn_scratch_len(g));
    let lstm = g.mode == RnnMode::Lstm;
    assert!(lstm || (c0.is_none() && grad_cn.is_none() && grad_c0.is_none()), "{OP}: cell states are only for LSTM");

    let (d_a, rest) = scratch.split_at_mut(rows * gh);
    let (d_ah, rest) = if g.mode == RnnMode::Gru { rest.split_at_mut(rows * gh) } else { rest.split_at_mut(0) };
    let (dh, rest) = rest.split_at_mut(bh);
    let (dc, rest) = rest.split_at_mut(bh);
    let tmp = &mut rest[..bh];
    match grad_hn {
        Some(s) => dh.copy_from_slice(s),
        None => dh.fill(T::zero()),
    }
    match grad_cn {
        Some(s) => dc.copy_from_slice(s),
        None => dc.fill(T::zero()),
    }
    let (gates, extra) = saved[..rnn_saved_len(g)].split_at(if lstm || g.mode == RnnMode::Gru { rows * gh } else { 0 });

    for s in (0..t_len).rev() {
        let t = g.time(s);
        let h_prev: Option<&[T]> = if s == 0 { h0 } else { Some(&y[g.time(s - 1) * bh..][..bh]) };
        if let Some(gy) = grad_y {
            dh.iter_mut().zip(&gy[t * bh..(t + 1) * bh]).for_each(|(d, &v)| *d += v);
        }
        let da = &mut d_a[t * b * gh..(t + 1) * b * gh];
        let yt = &y[t * bh..(t + 1) * bh];
        match g.mode {
            RnnMode::Tanh => da.iter_mut().zip(dh.iter()).zip(yt).for_each(|((d, &gv), &hv)| *d = gv * (T::one() - hv * hv)),
            RnnMode::Relu => da.iter_mut().zip(dh.iter()).zip(yt).for_each(|((d, &gv), &hv)| *d = if hv > T::zero() { gv } else { T::zero() }),
            RnnMode::Lstm => {
                let (gt, cells) = (&gates[t * b * gh..(t + 1) * b * gh], extra);
                let c_prev: Option<&[T]> = if s == 0 { c0 } else { Some(&cells[g.time(s - 1) * bh..][..bh]) };
                for bi in 0..b {
                    let row = &gt[bi * gh..(bi + 1) * gh];
                    let drow = &mut da[bi * gh..(bi + 1) * gh];
                    for j in 0..h {
                        let k = bi * h + j;
                        let (i, f, gg, o) = (row[j], row[h + j], row[2 * h + j], row[3 * h + j]);
                        let tc = cells[t * bh + k].tanh();
                        let dcv = dc[k] + dh[k] * o * (T::one() - tc * tc);
                        let cp = c_prev.map_or(T::zero(), |c| c[k]);
                        drow[j] = dcv * gg * i * (T::one() - i);
                        drow[h + j] = dcv * cp * f * (T::one() - f);
                        drow[2 * h + j] = dcv * i * (T::one() - gg * gg);
                        drow[3 * h + j] = dh[k] * tc * o * (T::one() - o);
                        dc[k] = dcv * f;
                    }
                }
            }
            RnnMode::Gru => {
                let (gt, hn) = (&gates[t * b * gh..(t + 1) * b * gh], &extra[t * bh..(t + 1) * bh]);
                let dah = &mut d_ah[t * b * gh..(t + 1) * b * gh];
                for bi in 0..b {
                    let row = &gt[bi * gh..(bi + 1) * gh];
                    for j in 0..h {
                        let k = bi * h + j;
                        let (r, z, n) = (row[j], row[h + j], row[2 * h + j]);
                        let hp = h_prev.map_or(T::zero(), |p| p[k]);
                        let dan = dh[k] * (T::one() - z) * (T::one() - n * n);
                        let dar = dan * hn[k] * r * (T::one() - r);
                        let daz = dh[k] * (hp - n) * z * (T::one() - z);
                        let o = bi * gh;
                        (da[o + j], da[o + h + j], da[o + 2 * h + j]) = (dar, daz, dan);
                        (dah[o + j], dah[o + h + j], dah[o + 2 * h + j]) = (dar, daz, dan * r);
                        tmp[k] = dh[k] * z;
                    }
                }
            }
        }
        if s > 0 || grad_h0.is_some() {
            if g.mode == RnnMode::Gru {
                gemm_nn(b, gh, h, &d_ah[t * b * gh..(t + 1) * b * gh], w.w_hh, T::one(), tmp);
                dh.copy_from_slice(tmp);
            } else {
                gemm_nn(b, gh, h, &d_a[t * b * gh..(t + 1) * b * gh], w.w_hh, T::zero(), dh);
            }
        }
    }
    if let Some(d) = grad_h0 {
        g.check_state(OP, "grad_h0", d.len());
        d.copy_from_slice(dh);
    }
    if let Some(d) = grad_c0 {
        g.check_state(OP, "grad_c0", d.len());
        d.copy_from_slice(dc);
    }

    let d_ax: &[T] = d_a;
    let d_ah: &[T] = if g.mode == RnnMode::Gru { d_ah } else { d_a };
    if let Some(dx) = grad_x {
        assert_eq!(dx.len(), x.len(), "{OP}: grad_x has {} elements, expected [{t_len}, {b}, {i_len}]", dx.len());
        gemm_nn(rows, gh, i_len, d_ax, w.w_ih, T::zero(), dx);
    }
    if let Some(dw) = grads.w_ih {
        assert_eq!(dw.len(), w.w_ih.len(), "{OP}: grad weight_ih has {} elements, expected [{gh}, {i_len}]", dw.len());
        gemm_tn(gh, rows, i_len, d_ax, x, T::one(), dw);
    }
    if let Some(db) = grads.b_ih {
        assert_eq!(db.len(), gh, "{OP}: grad bias_ih has {} elements, expected [{gh}]", db.len());
        col_sums_add(d_ax, gh, db);
    }
    if let Some(db) = grads.b_hh {
        assert_eq!(db.len(), gh, "{OP}: grad bias_hh has {} elements, expected [{gh}]", db.len());
        col_sums_add(d_ah, gh, db);
    }
    if let Some(dw) = grads.w_hh {
        assert_eq!(dw.len(), w.w_hh.len(), "{OP}: grad weight_hh has {} elements, expected [{gh}, {h}]", dw.len());
        // Steps after the first read h_{t−1} from y: one GEMM over T−1 steps.
        let (inner, steps) = (rows - b, b * gh);
        let (da_later, y_prev, da_first) = if g.reverse {
            (&d_ah[..inner * gh], &y[bh..], &d_ah[inner * gh..])
        } else {
            (&d_ah[steps..], &y[..inner * h], &d_ah[..steps])
        };
        if inner > 0 {
            gemm_tn(gh, inner, h, da_later, y_prev, T::one(), dw);
        }
        if let Some(h0) = h0 {
            gemm_tn(gh, b, h, da_first, h0, T::one(), dw);
        }
    }
}
