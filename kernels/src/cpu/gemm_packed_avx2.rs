//! The AVX2+FMA micro-kernel of the packed SGEMM (`gemm_packed.rs`), for CPUs without AVX-512: a
//! 6×16 tile of C in 12 ymm registers. Each step of the inner dimension loads one 16-float row of
//! the B micro-panel (two ymm) and, for each of the 6 rows, broadcasts one float of the A
//! micro-panel and issues two FMAs. Whole tiles with contiguous rows of C are stored by vector;
//! edge tiles and other layouts go through a tile on the stack.

use super::store_scalar;
use std::arch::x86_64::*;

const MR: usize = 6;
const NR: usize = 16;

/// `C[..mr, ..nr] ← α·(Ã·B̃)[..mr, ..nr] + β·C[..mr, ..nr]` (see `super::Tile`).
///
/// # Safety
/// AVX2 and FMA are available; `a` is a packed micro-panel (`ars == 0`: this kernel never
/// reads A in place) of `kc·6` floats and `b` holds `kc·16`; the `mr×nr` elements of C
/// at `c` with strides `(rsc, csc)` lie inside C's allocation, nobody else accesses them, and
/// `mr ≤ 6`, `nr ≤ 16`.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn tile(kc: usize, a: *const f32, ars: isize, b: *const f32, alpha: f32, beta: f32, c: *mut f32, rsc: isize, csc: isize, mr: usize, nr: usize) {
    debug_assert_eq!(ars, 0, "the AVX2 kernel reads packed A only");
    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
    for p in 0..kc {
        // SAFETY: step `p` reads floats `p·16..p·16 + 16` of `b` and `p·6..p·6 + 6` of `a`,
        // inside the micro-panels (caller).
        unsafe {
            let bp = b.add(p * NR);
            let (b0, b1) = (_mm256_loadu_ps(bp), _mm256_loadu_ps(bp.add(8)));
            let ap = a.add(p * MR);
            for (i, row) in acc.iter_mut().enumerate() {
                let ai = _mm256_broadcast_ss(&*ap.add(i));
                row[0] = _mm256_fmadd_ps(ai, b0, row[0]);
                row[1] = _mm256_fmadd_ps(ai, b1, row[1]);
            }
        }
    }
    let va = _mm256_set1_ps(alpha);
    if csc == 1 && mr == MR && nr == NR {
        let vb = _mm256_set1_ps(beta);
        for (i, row) in acc.iter().enumerate() {
            for (h, &v) in row.iter().enumerate() {
                // SAFETY: columns `8·h..8·h + 8` of row `i` are inside the whole tile of C
                // (caller: `mr = 6`, `nr = 16`, contiguous rows).
                unsafe {
                    let dst = c.offset(i as isize * rsc).add(8 * h);
                    let out = if beta == 0.0 {
                        _mm256_mul_ps(va, v)
                    } else {
                        _mm256_fmadd_ps(vb, _mm256_loadu_ps(dst), _mm256_mul_ps(va, v))
                    };
                    _mm256_storeu_ps(dst, out);
                }
            }
        }
    } else {
        let mut t = [0.0f32; MR * NR];
        for (i, row) in acc.iter().enumerate() {
            // SAFETY: row `i` of `t` holds 16 floats at `i·16`.
            unsafe {
                _mm256_storeu_ps(t.as_mut_ptr().add(i * NR), row[0]);
                _mm256_storeu_ps(t.as_mut_ptr().add(i * NR + 8), row[1]);
            }
        }
        // SAFETY: forwarded from the caller.
        unsafe { store_scalar(&t, NR, alpha, beta, c, rsc, csc, mr, nr) };
    }
}
