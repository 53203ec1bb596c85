//! The AVX-512F `f32` body of the multi-channel weight gradient (`multi.rs`): 16 output
//! channels in the lanes of a register, one register per kernel tap, over every output position
//! of a chunk's images; each position loads `dY[·, r, c]` once (from a transposed copy) and
//! multiplies it by one broadcast input value per tap (read from a zero-padded copy of the input
//! channel, so no tap needs a bounds test).

use super::multi::{Corr, PAD_MAX, V};
use std::arch::x86_64::*;

/// `dW[o, i, t] += Σ_{n, r, c} dY[n, o, r, c] · x[n, i, r + kh − ph, c + kw − pw]` over `n`
/// images (`cr` the forward's correlation, `x` `[n, c, ih, iw]`, `dy` `[n, c_out, oh, ow]`),
/// 16 output channels at a time; `dyt` holds `n·oh·ow·16` elements.
///
/// # Safety
/// AVX-512F is available.
pub(super) unsafe fn weight_grad(cr: &Corr, c_out: usize, n: usize, x: &[f32], dy: &[f32], dw: &mut [f32], dyt: &mut [f32]) {
    let plane = cr.oh * cr.ow;
    let taps = cr.kh * cr.kw;
    assert!(dy.len() >= n * c_out * plane && dyt.len() >= n * plane * V, "direct conv: dY or scratch too short");
    // Taps in tiles of at most 25, as even as possible, each run by a body of NT ≥ its size.
    let tiles = taps.div_ceil(25);
    let per = taps.div_ceil(tiles);
    for o in (0..c_out).step_by(V) {
        let ob = V.min(c_out - o);
        // dyt[(im·plane + p)·16 + l] = dY[im, o + l, p], 0 for l ≥ ob.
        for im in 0..n {
            let d = &mut dyt[im * plane * V..(im + 1) * plane * V];
            if ob < V {
                d.fill(0.0);
            }
            for l in 0..ob {
                let src = &dy[(im * c_out + o + l) * plane..][..plane];
                for (p, &v) in src.iter().enumerate() {
                    d[p * V + l] = v;
                }
            }
        }
        for ci in 0..cr.c {
            macro_rules! by_size {
                ($tile:ident: $($lo:literal ..= $hi:literal => $nt:literal),*) => {
                    match $tile.len() { $($lo..=$hi => weight_grad_tile::<$nt, 0, 0>(cr, c_out, n, x, dyt, ci, $tile, o, ob, dw),)* _ => unreachable!() }
                };
            }
            // SAFETY: AVX-512F is available (this function's contract), the only requirement.
            unsafe {
                match (cr.kh, cr.kw) {
                    (5, 5) => weight_grad_tile::<25, 5, 5>(cr, c_out, n, x, dyt, ci, 0..25, o, ob, dw),
                    (3, 3) => weight_grad_tile::<9, 3, 3>(cr, c_out, n, x, dyt, ci, 0..9, o, ob, dw),
                    _ => {
                        for t0 in (0..taps).step_by(per) {
                            let tile = t0..(t0 + per).min(taps);
                            by_size!(tile: 1..=4 => 4, 5..=8 => 8, 9..=9 => 9, 10..=12 => 12, 13..=16 => 16, 17..=20 => 20, 21..=25 => 25)
                        }
                    }
                }
            }
        }
    }
}

/// Taps `tile` (at most `NT`) of input channel `ci` for output channels `o..o + ob`. With
/// `KW > 0` the tile is the whole `KH × KW` kernel and the taps' offsets are constants
/// times the row length (an input row a pointer, a tap a displacement); otherwise they are read
/// from an array (measured on LeNet's 5×5: half of the tap pointers spilled to the stack).
///
/// # Safety
/// AVX-512F is available.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f")]
unsafe fn weight_grad_tile<const NT: usize, const KH: usize, const KW: usize>(
    cr: &Corr,
    c_out: usize,
    n: usize,
    x: &[f32],
    dyt: &[f32],
    ci: usize,
    tile: std::ops::Range<usize>,
    o: usize,
    ob: usize,
    dw: &mut [f32],
) {
    let (plane, taps, img) = (cr.oh * cr.ow, cr.kh * cr.kw, cr.ih * cr.iw);
    // The padded input window: xp[i·wp + j] = x[i − ph, j − pw] (0 outside x).
    let (hp, wp) = (cr.oh + cr.kh - 1, cr.ow + cr.kw - 1);
    assert!(hp * wp <= PAD_MAX && cr.ih + cr.ph <= hp && cr.iw + cr.pw <= wp && tile.len() <= NT && tile.end <= taps);
    assert!(KW == 0 || (KH == cr.kh && KW == cr.kw && NT == taps && tile == (0..taps)), "direct conv: a whole-kernel tile");
    assert!(x.len() >= n * cr.c * img && dyt.len() >= n * plane * V && o + ob <= c_out && dw.len() >= c_out * cr.c * taps);
    // Extra slots (past the tile) read offset 0 and are dropped.
    let mut off = [0usize; NT];
    for (f, t) in off.iter_mut().zip(tile.clone()) {
        *f = (t / cr.kw) * wp + t % cr.kw;
    }
    let mut acc = [_mm512_setzero_ps(); NT];
    let mut xp = [0f32; PAD_MAX];
    for im in 0..n {
        let xc = &x[(im * cr.c + ci) * img..][..img];
        for (i, row) in xc.chunks_exact(cr.iw).enumerate() {
            xp[(i + cr.ph) * wp + cr.pw..][..cr.iw].copy_from_slice(row);
        }
        let d = &dyt[im * plane * V..(im + 1) * plane * V];
        for r in 0..cr.oh {
            for c in 0..cr.ow {
                let base = r * wp + c;
                // SAFETY: `(r·ow + c + 1)·16 ≤ plane·16 = d.len()`.
                let g = unsafe { _mm512_loadu_ps(d.as_ptr().add((r * cr.ow + c) * V)) };
                // The input value of tap (a, b) is xp[base + a·wp + b] (offset `f`).
                let mut fma = |t: usize, f: usize| {
                    // SAFETY: `base + f ≤ (oh − 1 + kh − 1)·wp + ow − 1 + kw − 1 < hp·wp ≤ PAD_MAX`.
                    let v = unsafe { *xp.get_unchecked(base + f) };
                    acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(v), g, acc[t]);
                };
                if KW > 0 {
                    for a in 0..KH {
                        for b in 0..KW {
                            fma(a * KW + b, a * wp + b);
                        }
                    }
                } else {
                    for (t, &f) in off.iter().enumerate() {
                        fma(t, f);
                    }
                }
            }
        }
    }
    let mut out = [0f32; V];
    for (acc, t) in acc.iter().zip(tile) {
        // SAFETY: `out` holds 16 floats.
        unsafe { _mm512_storeu_ps(out.as_mut_ptr(), *acc) };
        for (l, &v) in out.iter().enumerate().take(ob) {
            dw[((o + l) * cr.c + ci) * taps + t] += v;
        }
    }
}
