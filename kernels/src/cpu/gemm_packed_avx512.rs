//! The AVX-512F micro-kernel of the packed SGEMM (`gemm_packed.rs`): a 12×32 tile of C in 24 zmm
//! registers. Each step of the inner dimension loads one 32-float row of the B micro-panel (two
//! zmm) and, for each of the 12 rows, broadcasts one float of the A micro-panel and issues two
//! FMAs: 24 FMAs for 2 loads and 12 broadcasts (which fold into the FMAs' memory operands).
//! Rows of C that are contiguous (`csc == 1`) are stored with masked loads/stores, so edge tiles
//! need no scalar code; other layouts go through a tile on the stack.

use super::store_scalar;
use crate::cpu::mask::lanes;
use std::arch::x86_64::*;

const MR: usize = 12;
const NR: usize = 32;

/// `C[..mr, ..nr] ← α·(Ã·B̃)[..mr, ..nr] + β·C[..mr, ..nr]` (see `super::Tile`), with `Ã` a
/// packed micro-panel (`ars == 0`) or A's rows in place (`ars` their stride, `kc` contiguous
/// floats each).
///
/// # Safety
/// AVX-512F is available; `a` holds `kc·12` floats (packed) or rows `0..mr` of `kc` floats at
/// stride `ars`, and `b` `kc·32`; the `mr×nr` elements of C at `c` with strides `(rsc, csc)` lie
/// inside C's allocation, nobody else accesses them, and `mr ≤ 12`, `nr ≤ 32`.
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn tile(kc: usize, a: *const f32, ars: isize, b: *const f32, alpha: f32, beta: f32, c: *mut f32, rsc: isize, csc: isize, mr: usize, nr: usize) {
    // An edge tile of at most 4 or 8 rows multiplies only those rows of the micro-panel.
    // SAFETY: forwarded from the caller; `R ≥ mr` in each branch.
    unsafe {
        if ars == 0 {
            let a = APanel::<MR>::packed(a);
            match mr {
                0..=4 => rows::<4, MR, false>(kc, a, b, alpha, beta, c, rsc, csc, mr, nr),
                5..=8 => rows::<8, MR, false>(kc, a, b, alpha, beta, c, rsc, csc, mr, nr),
                _ => rows::<MR, MR, false>(kc, a, b, alpha, beta, c, rsc, csc, mr, nr),
            }
        } else {
            let a = APanel::<MR>::in_place(a, ars, mr);
            match mr {
                0..=4 => rows::<4, MR, true>(kc, a, b, alpha, beta, c, rsc, csc, mr, nr),
                5..=8 => rows::<8, MR, true>(kc, a, b, alpha, beta, c, rsc, csc, mr, nr),
                _ => rows::<MR, MR, true>(kc, a, b, alpha, beta, c, rsc, csc, mr, nr),
            }
        }
    }
}

/// Where row `i` of an A micro-panel of `S` rows keeps its float for step `p`. Packed
/// (`ars == 0`): at `a + p·S + i`. In place: at `quad[i / 4] + (i % 4)·ars + p`, where
/// `quad[q]` is A's row `4q` (three base pointers and the offsets `0, ars, 2·ars, 3·ars` fit
/// x86's addressing modes, so the loop keeps them all in registers). Rows past the tile's `mr`
/// read its last row instead (their products are never stored), so nothing outside A is read.
#[derive(Clone, Copy)]
struct APanel<const S: usize> {
    a: *const f32,
    /// In place: for row `i`, the byte offset of its row from `quad[i / 4]`.
    off: [isize; S],
    quad: [*const f32; 3],
}

impl<const S: usize> APanel<S> {
    fn packed(a: *const f32) -> Self {
        APanel { a, off: [0; S], quad: [a; 3] }
    }

    fn in_place(a: *const f32, ars: isize, mr: usize) -> Self {
        let last = mr.max(1) - 1;
        let row = |i: usize| i.min(last);
        APanel {
            a,
            off: std::array::from_fn(|i| (row(i) as isize - (i / 4 * 4).min(last) as isize) * ars * 4),
            quad: std::array::from_fn(|q| a.wrapping_offset(row(4 * q) as isize * ars)),
        }
    }

    /// Row `i`'s float for step `p`.
    ///
    /// # Safety
    /// That float lies inside the micro-panel or A (see [`tile`]).
    #[inline(always)]
    unsafe fn at<const IN_PLACE: bool>(&self, i: usize, p: usize) -> f32 {
        // SAFETY: forwarded from the caller.
        unsafe {
            if IN_PLACE {
                *self.quad[i / 4].add(p).byte_offset(self.off[i])
            } else {
                *self.a.add(p * S + i)
            }
        }
    }
}

/// [`tile`] for micro-panels of 8 rows (an 8×32 tile in 16 zmm): the driver uses it when `m`
/// is 12·q + 1..4 and small, where 12-row tiles would end on a 4-row one (e.g. `m = 16`).
///
/// # Safety
/// As [`tile`], with `a` holding `kc·8` floats and `mr ≤ 8`.
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn tile8(kc: usize, a: *const f32, ars: isize, b: *const f32, alpha: f32, beta: f32, c: *mut f32, rsc: isize, csc: isize, mr: usize, nr: usize) {
    // SAFETY: forwarded from the caller; `8 ≥ mr`.
    unsafe {
        if ars == 0 {
            rows::<8, 8, false>(kc, APanel::packed(a), b, alpha, beta, c, rsc, csc, mr, nr)
        } else {
            rows::<8, 8, true>(kc, APanel::in_place(a, ars, mr), b, alpha, beta, c, rsc, csc, mr, nr)
        }
    }
}

/// [`tile`] computing only the first `R` rows of an `S`-row micro-panel (`mr ≤ R ≤ S ≤ 12`).
///
/// # Safety
/// As [`tile`] with `a` describing a micro-panel of `S` rows (read in place when `IN_PLACE`),
/// and `mr ≤ R ≤ S ≤ 12`.
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn rows<const R: usize, const S: usize, const IN_PLACE: bool>(kc: usize, a: APanel<S>, b: *const f32, alpha: f32, beta: f32, c: *mut f32, rsc: isize, csc: isize, mr: usize, nr: usize) {
    let mut acc = [[_mm512_setzero_ps(); 2]; R];
    for p in 0..kc {
        // SAFETY: step `p` reads floats `p·32..p·32 + 32` of `b` and float `p` of each of the
        // first R rows of the A micro-panel, inside the operands (caller, `APanel`).
        unsafe {
            let bp = b.add(p * NR);
            let (b0, b1) = (_mm512_loadu_ps(bp), _mm512_loadu_ps(bp.add(16)));
            for (i, row) in acc.iter_mut().enumerate() {
                let ai = _mm512_set1_ps(a.at::<IN_PLACE>(i, p));
                row[0] = _mm512_fmadd_ps(ai, b0, row[0]);
                row[1] = _mm512_fmadd_ps(ai, b1, row[1]);
            }
        }
    }
    let va = _mm512_set1_ps(alpha);
    if csc == 1 {
        let vb = _mm512_set1_ps(beta);
        let masks = [lanes(nr), lanes(nr.saturating_sub(16))];
        // Constant trip count (the accumulators stay in registers), rows past `mr` skipped.
        for (i, row) in acc.iter().enumerate() {
            if i >= mr {
                break;
            }
            for (h, (&v, &mask)) in row.iter().zip(&masks).enumerate() {
                if mask == 0 {
                    continue;
                }
                let dst = c.wrapping_offset(i as isize * rsc).wrapping_add(16 * h);
                // SAFETY: `mask` selects columns `16·h..16·h + 16` that are below `nr`, inside
                // row `i < mr` of the tile (caller); masked-off lanes are neither read nor
                // written and do not fault.
                unsafe {
                    let out = if beta == 0.0 {
                        _mm512_mul_ps(va, v)
                    } else {
                        _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask, dst), _mm512_mul_ps(va, v))
                    };
                    _mm512_mask_storeu_ps(dst, mask, out);
                }
            }
        }
    } else {
        let mut t = [0.0f32; MR * NR]; // rows past R stay unused (mr ≤ R)
        for (i, row) in acc.iter().enumerate() {
            // SAFETY: row `i` of `t` holds 32 floats at `i·32`.
            unsafe {
                _mm512_storeu_ps(t.as_mut_ptr().add(i * NR), row[0]);
                _mm512_storeu_ps(t.as_mut_ptr().add(i * NR + 16), row[1]);
            }
        }
        // SAFETY: forwarded from the caller.
        unsafe { store_scalar(&t, NR, alpha, beta, c, rsc, csc, mr, nr) };
    }
}
