//! AVX-512F body of the direct small-matrix path's axpy form (`gemm_small.rs`), reached only
//! after run-time detection. Against the AVX2 body it holds twice the columns per register and
//! finishes a row with a masked load/store (one instruction, where AVX2's `vmaskmovps` store is
//! slow), which is what the weight gradients of tiny layers are made of: `256×2·2×20` (`Gᵀ·X` of
//! seed_mlp_b2's first layer) is 5,120 outputs of two multiply-adds each, 0.89 µs by the AVX2
//! body. (A dot form in AVX-512, 16 dot products a tile folded to 8 lanes and reduced by two
//! transposing sums of 8, measured slower than the AVX2 one: 0.91 against 0.78 µs on
//! `2×20·20×256`, so there is none.)
//!
//! Like `gemm_small_avx2.rs`, each tile checks the bounds of what it touches once (asserts on
//! the slices), then loads and stores by pointer; `// SAFETY:` notes give the arithmetic.

use super::Gemm;
use crate::cpu::mask::lanes;
use std::arch::x86_64::*;

/// Lanes of one `__m512`.
const V: usize = 16;

/// Axpy form (`csb == csc == 1`): `C[i.., j..] += A[i, q] · B[q, j..]`, rows in blocks of 8, 4,
/// 2 and 1, columns in blocks of 32 (two registers) and a last masked block.
#[target_feature(enable = "avx512f")]
pub(super) fn axpy(p: &Gemm, c: &mut [f32]) {
    let mut i = 0;
    while i + 8 <= p.m {
        axpy_rows::<8>(p, c, i);
        i += 8;
    }
    if i + 4 <= p.m {
        axpy_rows::<4>(p, c, i);
        i += 4;
    }
    if i + 2 <= p.m {
        axpy_rows::<2>(p, c, i);
        i += 2;
    }
    if i < p.m {
        axpy_rows::<1>(p, c, i);
    }
}

#[target_feature(enable = "avx512f")]
#[inline]
fn axpy_rows<const R: usize>(p: &Gemm, c: &mut [f32], i: usize) {
    let mut j = 0;
    while j + 2 * V <= p.n {
        axpy_tile::<R>(p, c, i, j, 2 * V);
        j += 2 * V;
    }
    if j < p.n {
        axpy_tile::<R>(p, c, i, j, p.n - j);
    }
}

/// `C[i..i+R, j..j+width]` (`width ≤ 32`), accumulated in `R × 2` registers over the whole `k`;
/// lanes past `width` are masked off in every load and store.
#[target_feature(enable = "avx512f")]
#[inline]
fn axpy_tile<const R: usize>(p: &Gemm, c: &mut [f32], i: usize, j: usize, width: usize) {
    let k = p.k;
    // The last elements the tile reads: A[i+R-1, k-1] and B[k-1, j+width-1]; writes: C[i+R-1, j+width-1].
    assert!((i + R - 1) * p.rsa + (k - 1) * p.csa < p.a.len(), "A tile inside A");
    assert!((k - 1) * p.rsb + j + width <= p.b.len(), "B tile inside B");
    assert!((i + R - 1) * p.rsc + j + width <= c.len(), "C tile inside C");
    let masks = [lanes(width), lanes(width.saturating_sub(V))];
    let a = p.a.as_ptr();
    let b = p.b[j..].as_ptr();
    let mut acc = [[_mm512_setzero_ps(); 2]; R];
    for q in 0..k {
        let row = q * p.rsb;
        // SAFETY: lanes `16·h .. 16·h + 16` of B's row `q` from column `j`, as far as `masks[h]`
        // selects them (below `width`), lie inside `b` (asserted: `q·rsb + j + width ≤ b.len()`);
        // masked-off lanes are neither read nor faulted on.
        let y = unsafe { [_mm512_maskz_loadu_ps(masks[0], b.add(row)), _mm512_maskz_loadu_ps(masks[1], b.add(row + V))] };
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: `(i + r)·rsa + q·csa ≤ (i + R - 1)·rsa + (k - 1)·csa < a.len()` (asserted).
            let x = _mm512_set1_ps(unsafe { *a.add((i + r) * p.rsa + q * p.csa) });
            acc[0] = _mm512_fmadd_ps(x, y[0], acc[0]);
            acc[1] = _mm512_fmadd_ps(x, y[1], acc[1]);
        }
    }
    let (va, vb) = (_mm512_set1_ps(p.alpha), _mm512_set1_ps(p.beta));
    let cp = c.as_mut_ptr();
    for (r, acc) in acc.iter().enumerate() {
        for (h, (&v, &mask)) in acc.iter().zip(&masks).enumerate() {
            if mask == 0 {
                continue;
            }
            // SAFETY: the lanes `mask` selects are columns `j + 16·h ..` below `j + width` of
            // row `i + r`, inside `c` (asserted); masked-off lanes are not accessed, and `c` is
            // borrowed mutably.
            unsafe {
                let dst = cp.add((i + r) * p.rsc + j + V * h);
                let out = if p.beta == 0.0 {
                    _mm512_mul_ps(va, v)
                } else {
                    _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask, dst), _mm512_mul_ps(va, v))
                };
                _mm512_mask_storeu_ps(dst, mask, out);
            }
        }
    }
}
