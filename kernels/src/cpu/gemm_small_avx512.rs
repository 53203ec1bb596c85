//! AVX-512F bodies of the direct small-matrix path's axpy and dot forms (`gemm_small.rs`),
//! reached only after run-time detection.
//!
//! The axpy form holds twice the columns per register of the AVX2 body and finishes a row with
//! a masked load/store (one instruction, where AVX2's `vmaskmovps` store is slow), which is what
//! the weight gradients of tiny layers are made of: `256×2·2×20` (`Gᵀ·X` of seed_mlp_b2's first
//! layer) is 5,120 outputs of two multiply-adds each, 0.89 µs by the AVX2 body.
//!
//! The dot form (`X·Wᵀ`) sums 16 dot products at once by one shuffle tree and stores them with
//! masked vector stores. Against the AVX2 body (criterion, `gemm_shapes`, `*_nt/direct`):
//! `2×20·20×256` 0.80 → 0.57–0.62 µs, `64×256·256×120` 67.6 → 52.9 µs, `16×768·768×150`
//! 60.0 → 54.0 µs, `128×256·256×10` 11.8 → 10.6 µs. (A first AVX-512 dot form, folding 16 lanes
//! to 8 and reducing by two transposing sums of 8, was slower than AVX2's: 0.91 against 0.78 µs;
//! this one with scalar stores of its sums gained only 5%.)
//!
//! Each tile checks the bounds of what it touches once (asserts on the slices), then loads and
//! stores by pointer; `// SAFETY:` notes give the arithmetic.

use super::Gemm;
use crate::cpu::mask::lanes;
use std::arch::x86_64::*;

/// Lanes of one `__m512`.
const V: usize = 16;

/// Axpy form (`csb == csc == 1`): `C[i.., j..] += A[i, q] · B[q, j..]`, rows in blocks of 8, 4,
/// 2 and 1, columns in blocks of 32 (two registers) and a last masked block.
#[target_feature(enable = "avx512f")]
pub(super) fn axpy(p: &Gemm, c: &mut [f32]) {
    row_blocks!(p.m, 8, axpy_rows(p, c));
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

/// Dot form (`csa == rsb == 1`: `X·Wᵀ` of a linear layer): tiles of 16 dot products, 2 rows × 8
/// columns of C (one row × 16 for a last odd row), each accumulated over `k` in 16 lanes, the
/// two rows sharing every load of B. The 16 accumulators are then summed across lanes together
/// by one tree of register shuffles (15 adds), where a dot product reduced on its own would take
/// four shuffle-add rounds. For `2×20·20×256` (seed_mlp_b2's first layer) this replaces the AVX2
/// body's 8-lane form with its `hadd` reductions.
#[target_feature(enable = "avx512f")]
pub(super) fn dot(p: &Gemm, c: &mut [f32]) {
    let mut i = 0;
    while i + 2 <= p.m {
        let mut j = 0;
        while j < p.n {
            dot_tile::<2, 8>(p, c, i, j, (p.n - j).min(8));
            j += 8;
        }
        i += 2;
    }
    if i < p.m {
        let mut j = 0;
        while j < p.n {
            dot_tile::<1, 16>(p, c, i, j, (p.n - j).min(16));
            j += 16;
        }
    }
}

/// `C[i..i+R, j..j+cols]` (`cols ≤ C`, `R·C = 16`) of the dot form.
#[target_feature(enable = "avx512f")]
#[inline]
fn dot_tile<const R: usize, const C: usize>(p: &Gemm, c: &mut [f32], i: usize, j: usize, cols: usize) {
    let k = p.k;
    assert!((i + R - 1) * p.rsa + k <= p.a.len(), "A rows inside A");
    // Columns past `cols` repeat the last one; their sums are not stored.
    let last = (j + cols - 1) * p.csb;
    assert!(last + k <= p.b.len(), "column {} of B inside B", j + cols - 1);
    let off: [usize; C] = std::array::from_fn(|s| if s < cols { (j + s) * p.csb } else { last });
    let (a, b) = (p.a.as_ptr(), p.b.as_ptr());
    let mut acc = [_mm512_setzero_ps(); 16];
    let mut q = 0;
    while q < k {
        let m = lanes(k - q);
        // SAFETY: lanes below `k - q` of A's row `i + r` from column `q` are elements
        // `(i + r)·rsa + q .. (i + r)·rsa + k`, inside `a` (asserted); masked-off lanes are
        // neither read nor faulted on.
        let x: [__m512; R] = std::array::from_fn(|r| unsafe { _mm512_maskz_loadu_ps(m, a.add((i + r) * p.rsa + q)) });
        for (s, &o) in off.iter().enumerate() {
            // SAFETY: elements `o + q .. o + k` of `b`, `o ≤ last`, inside it (asserted); the
            // mask keeps the load below `o + k`.
            let y = unsafe { _mm512_maskz_loadu_ps(m, b.add(o + q)) };
            for (r, x) in x.iter().enumerate() {
                acc[r * C + s] = _mm512_fmadd_ps(*x, y, acc[r * C + s]);
            }
        }
        q += V;
    }
    let sums = reduce16(&acc);
    if p.csc == 1 {
        assert!((i + R - 1) * p.rsc + j + cols <= c.len(), "C tile inside C");
        let (va, vb, mask) = (_mm512_set1_ps(p.alpha), _mm512_set1_ps(p.beta), lanes(cols));
        for r in 0..R {
            // Row r's sums are lanes r·C.. : the upper half moves down for the second row.
            let x = if r == 0 { sums } else { _mm512_shuffle_f32x4::<0xEE>(sums, sums) };
            // SAFETY: the lanes `mask` selects are columns `j .. j + cols` of row `i + r`,
            // inside `c` (asserted); masked-off lanes are not accessed.
            unsafe {
                let dst = c.as_mut_ptr().add((i + r) * p.rsc + j);
                let out = if p.beta == 0.0 { _mm512_mul_ps(va, x) } else { _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask, dst), _mm512_mul_ps(va, x)) };
                _mm512_mask_storeu_ps(dst, mask, out);
            }
        }
        return;
    }
    let mut lanes_out = [0.0f32; 16];
    // SAFETY: `lanes_out` holds 16 floats.
    unsafe { _mm512_storeu_ps(lanes_out.as_mut_ptr(), sums) };
    for r in 0..R {
        for (s, &sum) in lanes_out[r * C..r * C + cols].iter().enumerate() {
            let dst = &mut c[(i + r) * p.rsc + (j + s) * p.csc];
            *dst = if p.beta == 0.0 { p.alpha * sum } else { p.alpha * sum + p.beta * *dst };
        }
    }
}

/// Lane `t` of the result is the sum of the 16 lanes of `v[t]`: pairs are folded 256, 128, 64
/// and 32 bits at a time, each round halving the registers and doubling the sums each holds,
/// and one permute restores the order.
#[target_feature(enable = "avx512f")]
#[inline]
fn reduce16(v: &[__m512; 16]) -> __m512 {
    // [a's 8 partial sums | b's 8].
    let half = |a: __m512, b: __m512| _mm512_add_ps(_mm512_shuffle_f32x4::<0x44>(a, b), _mm512_shuffle_f32x4::<0xEE>(a, b));
    let h: [__m512; 8] = std::array::from_fn(|t| half(v[2 * t], v[2 * t + 1]));
    // [4 partials each of v[4t], v[4t+1], v[4t+2], v[4t+3]].
    let quarter = |a: __m512, b: __m512| _mm512_add_ps(_mm512_shuffle_f32x4::<0x88>(a, b), _mm512_shuffle_f32x4::<0xDD>(a, b));
    let q: [__m512; 4] = std::array::from_fn(|t| quarter(h[2 * t], h[2 * t + 1]));
    // Per 128-bit lane L: 2 partials each of v[8t + L] and v[8t + 4 + L].
    let pair = |a: __m512, b: __m512| _mm512_add_ps(_mm512_shuffle_ps::<0x44>(a, b), _mm512_shuffle_ps::<0xEE>(a, b));
    let e = [pair(q[0], q[1]), pair(q[2], q[3])];
    // Lane 4L + u holds the sum of v[4u + L].
    let f = _mm512_add_ps(_mm512_shuffle_ps::<0x88>(e[0], e[1]), _mm512_shuffle_ps::<0xDD>(e[0], e[1]));
    let order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    _mm512_permutexvar_ps(order, f)
}
