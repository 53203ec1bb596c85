//! The AVX-512F body of `max.rs`'s 2×2, stride-2 path for `f32`: 16 windows a step. The two input
//! rows' 32 values are split into even and odd columns by two permutes each, the four taps are
//! compared in the scan order of the portable loop (a tap replaces the running maximum when
//! strictly greater or NaN), and the argmax flat index is built from the winning tap in `i32`
//! lanes, then widened to the `i64` indices. The portable loop's compares stayed 4 lanes wide.

use crate::cpu::mask::lanes;
use std::arch::x86_64::*;

/// See `max.rs` `max_2x2`: plane `xp` (`[d, ih, iw]`), outputs `yp`/`ixp` (`[d, oh, ow]`).
///
/// # Safety
/// AVX-512F is available.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn max_2x2(xp: &[f32], [d, ih, iw]: [usize; 3], [oh, ow]: [usize; 2], yp: &mut [f32], ixp: &mut [i64]) {
    assert!(xp.len() >= d * ih * iw && yp.len() >= d * oh * ow && ixp.len() >= d * oh * ow && 2 * oh <= ih && 2 * ow <= iw, "max_2x2: plane too short");
    assert!(d * ih * iw <= i32::MAX as usize, "max_2x2: plane too large for i32 lanes");
    let even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    let odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    let two_k = _mm512_slli_epi32::<1>(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    for zd in 0..d {
        for zh in 0..oh {
            let top = (zd * ih + 2 * zh) * iw;
            let at = (zd * oh + zh) * ow;
            for z0 in (0..ow).step_by(16) {
                let n = 16.min(ow - z0);
                // Inputs 2·z0 .. 2·z0 + 2n of each row: lanes 0..16 and 16..32.
                let (m0, m1) = (lanes(2 * n), lanes((2 * n).saturating_sub(16)));
                let (p0, p1) = (xp.as_ptr().wrapping_add(top + 2 * z0), xp.as_ptr().wrapping_add(top + iw + 2 * z0));
                // SAFETY: the masks select inputs `2·z0 .. 2·(z0 + n) ≤ 2·ow ≤ iw` of rows
                // `2·zh` and `2·zh + 1` of plane `zd`, inside `xp` (asserted); the other lanes are
                // not read. The stores write outputs `at + z0 .. at + z0 + n`, inside `yp` and
                // `ixp` (asserted), masked to those lanes.
                unsafe {
                    let (a0, a1) = (_mm512_maskz_loadu_ps(m0, p0), _mm512_maskz_loadu_ps(m1, p0.wrapping_add(16)));
                    let (b0, b1) = (_mm512_maskz_loadu_ps(m0, p1), _mm512_maskz_loadu_ps(m1, p1.wrapping_add(16)));
                    let taps = [
                        _mm512_permutex2var_ps(a0, odd, a1),
                        _mm512_permutex2var_ps(b0, even, b1),
                        _mm512_permutex2var_ps(b0, odd, b1),
                    ];
                    let mut best = _mm512_permutex2var_ps(a0, even, a1);
                    let mut tap = _mm512_setzero_si512();
                    for (t, v) in taps.into_iter().enumerate() {
                        let take = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v, best) | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v, v);
                        best = _mm512_mask_mov_ps(best, take, v);
                        // Tap t + 1: column offset (t + 1) & 1, row offset (t + 1) >> 1.
                        let t = (t + 1) as i32;
                        tap = _mm512_mask_mov_epi32(tap, take, _mm512_set1_epi32((t & 1) + (t >> 1) * iw as i32));
                    }
                    let m = lanes(n);
                    _mm512_mask_storeu_ps(yp.as_mut_ptr().add(at + z0), m, best);
                    // top + 2·(z0 + k) + tap offset.
                    let idx = _mm512_add_epi32(_mm512_add_epi32(_mm512_set1_epi32((top + 2 * z0) as i32), two_k), tap);
                    let lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(idx));
                    let hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64::<1>(idx));
                    let dst = ixp.as_mut_ptr().add(at + z0);
                    _mm512_mask_storeu_epi64(dst, m as __mmask8, lo);
                    _mm512_mask_storeu_epi64(dst.wrapping_add(8), (m >> 8) as __mmask8, hi);
                }
            }
        }
    }
}
