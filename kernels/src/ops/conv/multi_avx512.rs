//! The AVX-512F `f32` bodies of `multi.rs`. A correlation vector is either two output rows of up
//! to 8 columns (lanes 0–7 row `r`, lanes 8–15 row `r + 1`: LeNet's 8×8 planes fill it) or 16
//! columns of one row; its input run is one masked load (two for a row pair, the second merged
//! into the upper lanes), masked-off lanes never read, so a run may start before its row.

use super::multi::{Corr, V};
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

/// Where [`corr_block`] puts its `B` planes `y[j, r, c]` (`[B, oh, ow]`).
pub(super) enum Out<'a> {
    /// As they are.
    Planes(&'a mut [f32]),
    /// `dx[i, r, col] = Σ_b y[i·kw + b, r, col − b + pw]` for `col < iw ≤ 16` (`dx`
    /// `[B/kw, oh, iw]`, `ow ≤ 16`): the input gradient's rows, complete in one block, each summed
    /// in a register from its `kw` shifted rows (masked lane permutes), stored once.
    Shifted { dx: &'a mut [f32], table: &'a Shift },
}

/// The lane permutes of [`Out::Shifted`]: lane `col` of dx row `r` takes lane `col − b + pw` of
/// plane `b` (`hi`: plus 8, for row `r + 1` of a row pair) where that column lies in `0..ow`
/// (`m[b]`).
pub(super) struct Shift {
    kw: usize,
    iw: usize,
    lo: [[i32; 16]; 16],
    hi: [[i32; 16]; 16],
    m: [__mmask16; 16],
}

impl Shift {
    pub(super) fn new(kw: usize, pw: usize, ow: usize, iw: usize) -> Shift {
        assert!(kw <= 16 && iw <= V && ow <= V, "direct conv: rows too wide to shift in a register");
        let src = |b: usize, col: usize| (col + pw).checked_sub(b).filter(|&c| c < ow && col < iw);
        let idx = |off: usize| std::array::from_fn(|b| std::array::from_fn(|col| src(b, col).map_or(0, |c| (c + off) as i32)));
        let m = std::array::from_fn(|b| (0..16).filter(|&col| src(b, col).is_some()).fold(0, |m, col| m | 1 << col));
        Shift { kw, iw, lo: idx(0), hi: idx(8), m }
    }
}

/// `y[j] = b[j] + Σ wp[(·)·B + j] ⊛ x` for `j < B` (`wp` packed as in `multi::pack`), `R`
/// vectors at a time, into `out`.
///
/// # Safety
/// AVX-512F is available.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn corr_block<const B: usize, const R: usize>(cr: &Corr, wp: &[f32], x: &[f32], b: Option<&[f32]>, mut out: Out<'_>) {
    let plane = cr.oh * cr.ow;
    let fits = match &out {
        Out::Planes(y) => y.len() >= B * plane,
        Out::Shifted { dx, table: t } => t.kw >= 1 && B.is_multiple_of(t.kw) && cr.ow <= V && dx.len() >= B / t.kw * cr.oh * t.iw,
    };
    assert!(x.len() >= cr.c * cr.ih * cr.iw && fits && cr.kw <= 16, "direct conv: operands too short");
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
        if let Out::Shifted { dx, table } = &mut out {
            shifted(dx, table, acc, rows, live, hi_live, cr.oh);
            continue;
        }
        let Out::Planes(y) = &mut out else { unreachable!() };
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

/// The [`Out::Shifted`] store of a group of `R` vectors (rows `rows[u]`, and `rows[u] + 1` in
/// lanes 8.. where `hi_live[u]`).
#[target_feature(enable = "avx512f")]
fn shifted<const B: usize, const R: usize>(
    dx: &mut [f32],
    t: &Shift,
    acc: [[__m512; B]; R],
    rows: [usize; R],
    live: [bool; R],
    hi_live: [bool; R],
    oh: usize,
) {
    let (kw, iw) = (t.kw, t.iw);
    // SAFETY: 16 `i32`s each.
    let idx = |v: &[i32; 16]| unsafe { _mm512_loadu_si512(v.as_ptr().cast()) };
    assert!(dx.len() >= B / kw * oh * iw, "direct conv: dx too short");
    for u in (0..R).filter(|&u| live[u]) {
        for i in 0..B / kw {
            let (mut lo, mut hi) = (_mm512_setzero_ps(), _mm512_setzero_ps());
            for b in 0..kw {
                let a = acc[u][i * kw + b];
                lo = _mm512_add_ps(lo, _mm512_maskz_permutexvar_ps(t.m[b], idx(&t.lo[b]), a));
                hi = _mm512_add_ps(hi, _mm512_maskz_permutexvar_ps(t.m[b], idx(&t.hi[b]), a));
            }
            let at = (i * oh + rows[u]) * iw;
            // SAFETY: columns `0..iw` of row `rows[u]` (and of the next row where `hi_live`,
            // `rows[u] + 1 < oh`) of plane `i < B/kw` of `dx`, inside it (asserted above).
            unsafe {
                _mm512_mask_storeu_ps(dx.as_mut_ptr().add(at), lanes(iw), lo);
                if hi_live[u] {
                    _mm512_mask_storeu_ps(dx.as_mut_ptr().add(at + iw), lanes(iw), hi);
                }
            }
        }
    }
}
