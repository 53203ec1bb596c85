//! The AVX-512F `f32` bodies of `multi.rs`. A correlation vector is either two output rows of up
//! to 8 columns (lanes 0–7 row `r`, lanes 8–15 row `r + 1`: LeNet's 8×8 planes fill it) or 16
//! columns of one row; its input run is one masked load (two for a row pair, the second merged
//! into the upper lanes), masked-off lanes never read, so a run may start before its row.

use super::multi::{Corr, PAD_MAX, V};
use crate::cpu::mask::lanes;
use std::arch::x86_64::*;

/// The lanes `l < cw` whose input column `c0 + l + kw − pw` lies in `0..iw`.
#[inline(always)]
fn valid(cr: &Corr, c0: usize, cw: usize, kw: usize) -> __mmask16 {
    let first = c0 + kw; // input column of lane 0, plus pw
    let lo = cr.pw.saturating_sub(first);
    let hi = (cr.iw + cr.pw).saturating_sub(first).min(cw);
    if hi <= lo { 0 } else { lanes(hi) & !lanes(lo) }
}

/// `y[j] = b[j] + Σ wp[(·)·B + j] ⊛ x` for `j < B` (`y` `[B, oh, ow]`, `wp` packed as in
/// `multi::pack`), `R` vectors at a time.
///
/// # Safety
/// AVX-512F is available.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn corr_block<const B: usize, const R: usize>(cr: &Corr, wp: &[f32], x: &[f32], b: Option<&[f32]>, y: &mut [f32]) {
    let plane = cr.oh * cr.ow;
    assert!(x.len() >= cr.c * cr.ih * cr.iw && y.len() >= B * plane && cr.kw <= 16, "direct conv: operands too short");
    assert!(b.is_none_or(|b| b.len() >= B), "direct conv: bias too short");
    assert!(wp.len() >= cr.c * cr.kh * cr.kw * B, "direct conv: packed weights too short");
    let pair = cr.ow <= 8;
    let ncol = if pair { 1 } else { cr.ow.div_ceil(V) };
    let units = if pair { cr.oh.div_ceil(2) } else { cr.oh * ncol };
    let bias: [__m512; B] = std::array::from_fn(|j| _mm512_set1_ps(b.map_or(0.0, |b| b[j])));
    for k0 in (0..units).step_by(R) {
        // Vector u: output row rows[u] (and rows[u] + 1 in lanes 8.. when pair), columns c0s[u]..
        let (mut rows, mut c0s, mut wls, mut live, mut hi_live) = ([0; R], [0; R], [0; R], [false; R], [false; R]);
        let mut masks = [[0 as __mmask16; 16]; R];
        for u in 0..R.min(units - k0) {
            let k = k0 + u;
            (rows[u], c0s[u]) = if pair { (2 * k, 0) } else { (k / ncol, (k % ncol) * V) };
            wls[u] = if pair { cr.ow } else { V.min(cr.ow - c0s[u]) };
            live[u] = true;
            hi_live[u] = pair && rows[u] + 1 < cr.oh;
            for (kw, m) in masks[u].iter_mut().enumerate().take(cr.kw) {
                *m = valid(cr, c0s[u], wls[u], kw);
            }
        }
        let mut acc = [bias; R];
        for a in 0..cr.kh {
            // Per vector: where its run starts in a channel's plane (plus pw, minus 8 for the next
            // row's), and the lanes its rows allow (none for a row outside the input).
            let (mut lo, mut hi) = ([0usize; R], [0usize; R]);
            let (mut rl, mut rh) = ([0 as __mmask16; R], [0 as __mmask16; R]);
            for u in (0..R).filter(|&u| live[u]) {
                if let Some(i) = cr.in_row(rows[u], a) {
                    (lo[u], rl[u]) = (i * cr.iw + c0s[u], 0xffff);
                }
                if hi_live[u]
                    && let Some(i) = cr.in_row(rows[u] + 1, a)
                {
                    (hi[u], rh[u]) = (i * cr.iw, 0xff00);
                }
            }
            if rl.iter().chain(&rh).all(|&m| m == 0) {
                continue;
            }
            for ci in 0..cr.c {
                let xc = x[ci * cr.ih * cr.iw..].as_ptr();
                for kb in 0..cr.kw {
                    let wt = wp[((ci * cr.kh + a) * cr.kw + kb) * B..][..B].as_ptr();
                    for u in 0..R {
                        let m = masks[u][kb];
                        // SAFETY: `m` selects the lanes whose input column `c0 + l + kb − pw`
                        // lies in `0..iw`, `rl`/`rh` the rows `< ih` (of channel `ci < c`, inside
                        // `x`: asserted above); other lanes are not read, so a run may start
                        // before its row. Upper lanes 8 + l read column `l + kb − pw` of the next
                        // row (`m << 8`, since `c0 = 0` when `pair`).
                        let v = unsafe {
                            let v = _mm512_maskz_loadu_ps(m & rl[u], xc.wrapping_add(lo[u] + kb).wrapping_sub(cr.pw));
                            if pair { _mm512_mask_loadu_ps(v, (m << 8) & rh[u], xc.wrapping_add(hi[u] + kb).wrapping_sub(cr.pw + 8)) } else { v }
                        };
                        for (j, acc) in acc[u].iter_mut().enumerate() {
                            // SAFETY: `j < B`, inside the tap's `B` weights (sliced above).
                            *acc = _mm512_fmadd_ps(_mm512_set1_ps(unsafe { *wt.add(j) }), v, *acc);
                        }
                    }
                }
            }
        }
        for u in 0..R {
            if !live[u] {
                continue;
            }
            let (r, c0) = (rows[u], c0s[u]);
            for (j, acc) in acc[u].iter().enumerate() {
                let yp = y[j * plane..].as_mut_ptr();
                // SAFETY: columns `c0..c0 + wl` of row `r` (and columns `0..ow` of row `r + 1`,
                // lanes 8.. stored 8 elements early) of plane `j < B`, inside `y` (asserted).
                unsafe {
                    _mm512_mask_storeu_ps(yp.add(r * cr.ow + c0), lanes(wls[u]), *acc);
                    if hi_live[u] {
                        _mm512_mask_storeu_ps(yp.wrapping_add((r + 1) * cr.ow).wrapping_sub(8), lanes(cr.ow) << 8, *acc);
                    }
                }
            }
        }
    }
}

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
