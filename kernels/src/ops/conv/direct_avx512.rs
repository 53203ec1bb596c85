//! The AVX-512F bodies of `direct.rs` for `f32`: one `__m512` holds 16 columns of an output row;
//! input runs that cross the padding are loaded with a mask of their valid lanes (masked-off
//! lanes are never read, so the run's start may lie before the row). LLVM did not keep the
//! portable loops' 16-element arrays in registers (it rebuilt each from scalars: 6× slower than
//! im2col on LeNet's first layer), hence the intrinsics.

use super::direct::Geom;
use crate::cpu::mask::lanes;
use std::arch::x86_64::*;

const V: usize = 16;

impl Geom {
    /// The lanes `l < cw` whose input column `c0 + l + kw − pw` lies inside the row.
    #[inline(always)]
    fn valid(&self, c0: usize, cw: usize, kw: usize) -> __mmask16 {
        let first = c0 + kw; // input column of lane 0, plus pw
        let lo = self.pw.saturating_sub(first);
        let hi = (self.iw + self.pw).saturating_sub(first).min(cw);
        if hi <= lo { 0 } else { lanes(hi) & !lanes(lo) }
    }
}

/// Output channels `o..o + B` of one image: `y` `[B, OH, OW]` from channel `o`'s plane.
///
/// # Safety
/// AVX-512F is available.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn forward_block<const B: usize>(geo: &Geom, x: &[f32], w: &[f32], b: Option<&[f32]>, y: &mut [f32], o: usize) {
    let (taps, plane) = (geo.kh * geo.kw, geo.oh * geo.ow);
    assert!(x.len() >= geo.ih * geo.iw && w.len() >= (o + B) * taps && y.len() >= B * plane, "direct conv: operands too short");
    let wb = &w[o * taps..(o + B) * taps];
    let bias: [f32; B] = std::array::from_fn(|j| b.map_or(0.0, |b| b[o + j]));
    for c0 in (0..geo.ow).step_by(V) {
        let cw = V.min(geo.ow - c0);
        // The lanes each tap column reads (the same on every row), for kernels up to 16 wide.
        let mut masks = [0 as __mmask16; 16];
        for (kw, m) in masks.iter_mut().enumerate().take(geo.kw) {
            *m = geo.valid(c0, cw, kw);
        }
        // Two output rows at a time (2·B independent sums, each weight broadcast once for both).
        for r in (0..geo.oh).step_by(2) {
            let two = r + 1 < geo.oh;
            let mut acc: [[__m512; B]; 2] = [std::array::from_fn(|j| _mm512_set1_ps(bias[j])); 2];
            for kh in 0..geo.kh {
                // Input row of output row r + h, if inside: its run and a lane mask of all or none.
                let row = |h: usize| match (r + h + kh).checked_sub(geo.ph).filter(|&i| i < geo.ih && (h == 0 || two)) {
                    Some(i) => (x[i * geo.iw..].as_ptr().wrapping_add(c0).wrapping_sub(geo.pw), 0xffff as __mmask16),
                    None => (x.as_ptr(), 0),
                };
                let ((run0, ok0), (run1, ok1)) = (row(0), row(1));
                if ok0 | ok1 == 0 {
                    continue;
                }
                let wt = wb[kh * geo.kw..].as_ptr();
                for kw in 0..geo.kw {
                    let m = masks.get(kw).copied().unwrap_or_else(|| geo.valid(c0, cw, kw));
                    // SAFETY: `m` selects the lanes whose input column `c0 + l + kw − pw` lies in
                    // `0..iw`, `ok0`/`ok1` the rows inside `x` (elements of those rows, inside
                    // it: asserted above); the other lanes are not read, so a run's start may lie
                    // before its row. The weight `(j, kh, kw)` is element
                    // `j·taps + kh·kw_len + kw < B·taps` of `wb`.
                    unsafe {
                        let v0 = _mm512_maskz_loadu_ps(m & ok0, run0.wrapping_add(kw));
                        let v1 = _mm512_maskz_loadu_ps(m & ok1, run1.wrapping_add(kw));
                        let [acc0, acc1] = &mut acc;
                        for (j, (a0, a1)) in acc0.iter_mut().zip(acc1.iter_mut()).enumerate() {
                            let wj = _mm512_set1_ps(*wt.add(j * taps + kw));
                            *a0 = _mm512_fmadd_ps(wj, v0, *a0);
                            *a1 = _mm512_fmadd_ps(wj, v1, *a1);
                        }
                    }
                }
            }
            let m = lanes(cw);
            for (h, acc) in acc.iter().enumerate().take(if two { 2 } else { 1 }) {
                for (j, acc) in acc.iter().enumerate() {
                    let at = j * plane + (r + h) * geo.ow + c0;
                    // SAFETY: `m` selects columns `c0..c0 + cw` of row `r + h < oh` of plane `j`,
                    // inside `y` (asserted above).
                    unsafe { _mm512_mask_storeu_ps(y.as_mut_ptr().add(at), m, *acc) };
                }
            }
        }
    }
}

/// `dW[o + j, tap] += Σ_{r, c} dY[o + j, r, c] · x[r + kh − ph, c + kw − pw]` for `j < B`:
/// `dy` `[B, OH, OW]` and `dw` `[B, taps]` from channel `o`.
///
/// # Safety
/// AVX-512F is available.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn weight_grad_block<const B: usize>(geo: &Geom, x: &[f32], dy: &[f32], dw: &mut [f32]) {
    let (taps, plane) = (geo.kh * geo.kw, geo.oh * geo.ow);
    assert!(x.len() >= geo.ih * geo.iw && dy.len() >= B * plane && dw.len() >= B * taps, "direct conv: operands too short");
    for kh in 0..geo.kh {
        for kw in 0..geo.kw {
            let mut acc = [_mm512_setzero_ps(); B];
            for c0 in (0..geo.ow).step_by(V) {
                let cw = V.min(geo.ow - c0);
                let (m, mg) = (geo.valid(c0, cw, kw), lanes(cw));
                for r in 0..geo.oh {
                    let Some(i) = (r + kh).checked_sub(geo.ph).filter(|&i| i < geo.ih) else { continue };
                    // SAFETY: as in `forward_block`.
                    let v = unsafe { _mm512_maskz_loadu_ps(m, x[i * geo.iw..].as_ptr().wrapping_add(c0 + kw).wrapping_sub(geo.pw)) };
                    let g0 = dy[r * geo.ow + c0..].as_ptr();
                    for (j, acc) in acc.iter_mut().enumerate() {
                        // SAFETY: columns `c0..c0 + cw` of row `r` of plane `j` of `dy`, inside it
                        // (asserted above); lanes past `cw` are not read.
                        let g = unsafe { _mm512_maskz_loadu_ps(mg, g0.add(j * plane)) };
                        *acc = _mm512_fmadd_ps(g, v, *acc);
                    }
                }
            }
            for (j, acc) in acc.iter().enumerate() {
                dw[j * taps + kh * geo.kw + kw] += _mm512_reduce_add_ps(*acc);
            }
        }
    }
}

/// [`weight_grad_block`] for `J` channels and kernels `KW` wide, one kernel row at a time: the
/// `J·KW` taps of the row in registers over every output position, so each position loads its
/// `J` output gradients and `KW` input runs once for `J·KW` products (the per-tap loop above
/// loads `B` gradients for `B` products).
///
/// # Safety
/// AVX-512F is available.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn weight_grad_rows<const J: usize, const KW: usize>(geo: &Geom, x: &[f32], dy: &[f32], dw: &mut [f32]) {
    let (taps, plane) = (geo.kh * geo.kw, geo.oh * geo.ow);
    assert!(geo.kw == KW && x.len() >= geo.ih * geo.iw && dy.len() >= J * plane && dw.len() >= J * taps, "direct conv: operands too short");
    for kh in 0..geo.kh {
        let mut acc = [[_mm512_setzero_ps(); KW]; J];
        for c0 in (0..geo.ow).step_by(V) {
            let cw = V.min(geo.ow - c0);
            let (m, mg): ([__mmask16; KW], _) = (std::array::from_fn(|kw| geo.valid(c0, cw, kw)), lanes(cw));
            for r in 0..geo.oh {
                let Some(i) = (r + kh).checked_sub(geo.ph).filter(|&i| i < geo.ih) else { continue };
                let run = x[i * geo.iw..].as_ptr().wrapping_add(c0).wrapping_sub(geo.pw);
                let g0 = dy[r * geo.ow + c0..].as_ptr();
                // SAFETY: columns `c0..c0 + cw` of row `r` of plane `j < J` of `dy`, inside it
                // (asserted above); lanes past `cw` are not read.
                let g: [__m512; J] = std::array::from_fn(|j| unsafe { _mm512_maskz_loadu_ps(mg, g0.add(j * plane)) });
                for (kw, &m) in m.iter().enumerate() {
                    // SAFETY: as in `forward_block`.
                    let v = unsafe { _mm512_maskz_loadu_ps(m, run.wrapping_add(kw)) };
                    for (acc, g) in acc.iter_mut().zip(&g) {
                        acc[kw] = _mm512_fmadd_ps(*g, v, acc[kw]);
                    }
                }
            }
        }
        for (j, acc) in acc.iter().enumerate() {
            for (kw, acc) in acc.iter().enumerate() {
                dw[j * taps + kh * KW + kw] += _mm512_reduce_add_ps(*acc);
            }
        }
    }
}
