//! The forward pass over a sequence.

use super::{RnnGeom, RnnMode, RnnWeights, gemm_nt, rnn_saved_len, rnn_scratch_len, sigmoid};
use crate::real::Real;

/// Row `t` of `[T, B, W]`-shaped `a` as the previous state, and row `cur` as the one to write.
pub(super) fn split_rows<T>(a: &mut [T], prev: usize, cur: usize, w: usize) -> (&[T], &mut [T]) {
    if prev < cur {
        let (lo, hi) = a.split_at_mut(cur * w);
        (&lo[prev * w..(prev + 1) * w], &mut hi[..w])
    } else {
        let (lo, hi) = a.split_at_mut(prev * w);
        (&hi[..w], &mut lo[cur * w..(cur + 1) * w])
    }
}

fn add_bias<T: Real>(rows: &mut [T], b: Option<&[T]>) {
    if let Some(b) = b {
        rows.chunks_exact_mut(b.len()).for_each(|r| r.iter_mut().zip(b).for_each(|(v, &bv)| *v += bv));
    }
}

/// Runs the layer over `x`: writes `y` (every step's hidden state), `h_n` (the last one) and,
/// for LSTM, `c_n`; `saved` gets [`rnn_saved_len`] elements for the backward. See the
/// [module docs](super) for the formulas and shapes.
#[allow(clippy::too_many_arguments)]
pub fn rnn_forward<T: Real>(
    g: &RnnGeom,
    x: &[T],
    w: &RnnWeights<'_, T>,
    h0: Option<&[T]>,
    c0: Option<&[T]>,
    y: &mut [T],
    h_n: &mut [T],
    c_n: Option<&mut [T]>,
    saved: &mut [T],
    scratch: &mut [T],
) {
    g.check("rnn_forward", x.len(), w, y.len());
    let (t_len, b, h, gh) = (g.seq, g.batch, g.hidden, g.gate_rows());
    let bh = b * h;
    h0.inspect(|s| g.check_state("rnn_forward", "h0", s.len()));
    c0.inspect(|s| g.check_state("rnn_forward", "c0", s.len()));
    g.check_state("rnn_forward", "h_n", h_n.len());
    assert!(saved.len() >= rnn_saved_len(g), "rnn_forward: saved has {} elements, expected {}", saved.len(), rnn_saved_len(g));
    assert!(scratch.len() >= rnn_scratch_len(g), "rnn_forward: scratch has {} elements, expected {}", scratch.len(), rnn_scratch_len(g));
    assert!(c0.is_none() || g.mode == RnnMode::Lstm, "rnn_forward: c0 is only for LSTM");
    assert!(c_n.is_none() || g.mode == RnnMode::Lstm, "rnn_forward: c_n is only for LSTM");
    assert!(t_len > 0, "rnn_forward: the sequence is empty (expected at least one time step)");
    let rows = t_len * b;
    match g.mode {
        RnnMode::Tanh | RnnMode::Relu => {
            gemm_nt(rows, g.input, h, x, w.w_ih, T::zero(), y);
            for s in 0..t_len {
                let t = g.time(s);
                let (prev, cur): (Option<&[T]>, &mut [T]) = if s == 0 {
                    (h0, &mut y[t * bh..(t + 1) * bh])
                } else {
                    let (p, c) = split_rows(y, g.time(s - 1), t, bh);
                    (Some(p), c)
                };
                if let Some(p) = prev {
                    gemm_nt(b, h, h, p, w.w_hh, T::one(), cur);
                }
                add_bias(cur, w.b_ih);
                add_bias(cur, w.b_hh);
                let relu = g.mode == RnnMode::Relu;
                cur.iter_mut().for_each(|v| *v = if relu { if *v > T::zero() || v.is_nan() { *v } else { T::zero() } } else { v.tanh() });
            }
        }
        RnnMode::Lstm => {
            let (gates, cells) = saved[..rnn_saved_len(g)].split_at_mut(rows * gh);
            gemm_nt(rows, g.input, gh, x, w.w_ih, T::zero(), gates);
            for s in 0..t_len {
                let t = g.time(s);
                let gt = &mut gates[t * b * gh..(t + 1) * b * gh];
                let h_prev: Option<&[T]> = if s == 0 { h0 } else { Some(&y[g.time(s - 1) * bh..][..bh]) };
                if let Some(p) = h_prev {
                    gemm_nt(b, h, gh, p, w.w_hh, T::one(), gt);
                }
                add_bias(gt, w.b_ih);
                add_bias(gt, w.b_hh);
                let (c_prev, c_cur): (Option<&[T]>, &mut [T]) = if s == 0 {
                    (c0, &mut cells[t * bh..(t + 1) * bh])
                } else {
                    let (p, c) = split_rows(cells, g.time(s - 1), t, bh);
                    (Some(p), c)
                };
                let yt = &mut y[t * bh..(t + 1) * bh];
                for bi in 0..b {
                    let row = &mut gt[bi * gh..(bi + 1) * gh];
                    for j in 0..h {
                        let (i, f, gg, o) = (sigmoid(row[j]), sigmoid(row[h + j]), row[2 * h + j].tanh(), sigmoid(row[3 * h + j]));
                        row[j] = i;
                        row[h + j] = f;
                        row[2 * h + j] = gg;
                        row[3 * h + j] = o;
                        let cp = c_prev.map_or(T::zero(), |c| c[bi * h + j]);
                        let c = f * cp + i * gg;
                        c_cur[bi * h + j] = c;
                        yt[bi * h + j] = o * c.tanh();
                    }
                }
            }
            if let Some(c_n) = c_n {
                g.check_state("rnn_forward", "c_n", c_n.len());
                let last = g.time(t_len - 1);
                c_n.copy_from_slice(&cells[last * bh..(last + 1) * bh]);
            }
        }
        RnnMode::Gru => {
            let (gates, hn) = saved[..rnn_saved_len(g)].split_at_mut(rows * gh);
            let gh_buf = &mut scratch[..b * gh];
            gemm_nt(rows, g.input, gh, x, w.w_ih, T::zero(), gates);
            add_bias(gates, w.b_ih);
            for s in 0..t_len {
                let t = g.time(s);
                let (h_prev, yt): (Option<&[T]>, &mut [T]) = if s == 0 {
                    (h0, &mut y[t * bh..(t + 1) * bh])
                } else {
                    let (p, c) = split_rows(y, g.time(s - 1), t, bh);
                    (Some(p), c)
                };
                match h_prev {
                    Some(p) => gemm_nt(b, h, gh, p, w.w_hh, T::zero(), gh_buf),
                    None => gh_buf.fill(T::zero()),
                }
                add_bias(gh_buf, w.b_hh);
                let gt = &mut gates[t * b * gh..(t + 1) * b * gh];
                let hnt = &mut hn[t * bh..(t + 1) * bh];
                for bi in 0..b {
                    let (row, hrow) = (&mut gt[bi * gh..(bi + 1) * gh], &gh_buf[bi * gh..(bi + 1) * gh]);
                    for j in 0..h {
                        let r = sigmoid(row[j] + hrow[j]);
                        let z = sigmoid(row[h + j] + hrow[h + j]);
                        let n = (row[2 * h + j] + r * hrow[2 * h + j]).tanh();
                        row[j] = r;
                        row[h + j] = z;
                        row[2 * h + j] = n;
                        hnt[bi * h + j] = hrow[2 * h + j];
                        let hp = h_prev.map_or(T::zero(), |p| p[bi * h + j]);
                        yt[bi * h + j] = (T::one() - z) * n + z * hp;
                    }
                }
            }
        }
    }
    let last = g.time(t_len - 1);
    h_n.copy_from_slice(&y[last * bh..(last + 1) * bh]);
}
