//! AVX2+FMA bodies of the direct small-matrix path (`gemm_small.rs`), reached only after run-time
//! detection. Written with explicit intrinsics: LLVM's SLP vectoriser left most of the portable
//! register blocks scalar when `f32::mul_add` was involved.
//!
//! Every function checks the bounds of the rows it touches once per tile (slice indexing), then
//! loads and stores inside those slices by pointer; `// SAFETY:` notes give the arithmetic.

use super::Gemm;
use std::arch::x86_64::*;

/// Lanes of one `__m256`.
const V: usize = 8;

/// A mask selecting the first `n` lanes (`n <= 8`) for `_mm256_mask{load,store}_ps`.
#[target_feature(enable = "avx2,fma")]
fn first_lanes(n: usize) -> __m256i {
    debug_assert!(n <= V);
    let idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    _mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), idx)
}

/// Loads `s[at..at + len]` (`len <= 8`) into the first lanes, zeros elsewhere.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn load(s: &[f32], at: usize, len: usize, mask: __m256i) -> __m256 {
    assert!(at + len <= s.len() && len <= V);
    if len == V {
        // SAFETY: `at + 8 <= s.len()` (asserted), so the 8 lanes read lie inside `s`.
        unsafe { _mm256_loadu_ps(s.as_ptr().add(at)) }
    } else {
        // SAFETY: `mask` selects the first `len` lanes (the caller built it with
        // `first_lanes(len)`); masked-out lanes are not accessed and do not fault, and the
        // selected ones, `at..at + len`, lie inside `s` (asserted).
        unsafe { _mm256_maskload_ps(s.as_ptr().add(at), mask) }
    }
}

/// Stores the first `len` lanes (`len <= 8`) of `x` into `s[at..at + len]`.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn store(s: &mut [f32], at: usize, len: usize, mask: __m256i, x: __m256) {
    assert!(at + len <= s.len() && len <= V);
    if len == V {
        // SAFETY: `at + 8 <= s.len()` (asserted) and `s` is borrowed mutably.
        unsafe { _mm256_storeu_ps(s.as_mut_ptr().add(at), x) }
    } else {
        // SAFETY: as in `load`: only the first `len` lanes, inside `s`, are written.
        unsafe { _mm256_maskstore_ps(s.as_mut_ptr().add(at), mask, x) }
    }
}

/// `α·acc + β·C[at..at + len]`, or `α·acc` without reading C when `β == 0`.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn epilogue(p: &Gemm, c: &mut [f32], at: usize, len: usize, mask: __m256i, acc: __m256) {
    let mut x = _mm256_mul_ps(_mm256_set1_ps(p.alpha), acc);
    if p.beta != 0.0 {
        x = _mm256_fmadd_ps(_mm256_set1_ps(p.beta), load(c, at, len, mask), x);
    }
    store(c, at, len, mask, x);
}

/// Axpy form (`csb == csc == 1`): `C[i.., j..] += A[i, q] · B[q, j..]`, rows in blocks of 6, 4,
/// 2, 1 and columns in blocks of 16, then one (masked) block of up to 16 for the rest.
#[target_feature(enable = "avx2,fma")]
pub(super) fn axpy(p: &Gemm, c: &mut [f32]) {
    row_blocks!(p.m, 6, axpy_rows(p, c));
}

#[target_feature(enable = "avx2,fma")]
#[inline]
fn axpy_rows<const R: usize>(p: &Gemm, c: &mut [f32], i: usize) {
    let full = first_lanes(V);
    let mut j = 0;
    while j + 2 * V <= p.n {
        axpy_tile::<R, 2>(p, c, i, j, V, full);
        j += 2 * V;
    }
    let rest = p.n - j;
    if rest > V {
        axpy_tile::<R, 2>(p, c, i, j, rest - V, first_lanes(rest - V));
    } else if rest > 0 {
        axpy_tile::<R, 1>(p, c, i, j, rest, first_lanes(rest));
    }
}

/// `C[i..i+R, j..j+W]` with `W = 8·(N-1) + last` columns, accumulated in `R × N` registers
/// (`R·N <= 12`, leaving registers for B and the broadcast of A).
#[target_feature(enable = "avx2,fma")]
#[inline]
fn axpy_tile<const R: usize, const N: usize>(p: &Gemm, c: &mut [f32], i: usize, j: usize, last: usize, mask: __m256i) {
    let width = V * (N - 1) + last;
    let k = p.k;
    // The last elements the tile reads: A[i+R-1, k-1] and B[k-1, j+width-1].
    assert!((i + R - 1) * p.rsa + (k - 1) * p.csa < p.a.len(), "A tile inside A");
    assert!((k - 1) * p.rsb + j + width <= p.b.len(), "B tile inside B");
    let a: [*const f32; R] = std::array::from_fn(|r| p.a[(i + r) * p.rsa..].as_ptr());
    let b = p.b[j..].as_ptr();
    let mut acc = [[_mm256_setzero_ps(); N]; R];
    for q in 0..k {
        let mut y = [_mm256_setzero_ps(); N];
        for (v, y) in y.iter_mut().enumerate() {
            let at = q * p.rsb + V * v;
            // SAFETY: elements `at .. at + 8` (or the first `last` of them, selected by `mask`,
            // for the last vector) of B's row `q` from column `j` lie inside `b` (asserted
            // above: `q·rsb + j + width <= b.len()` and `V·v + len <= width`).
            *y = unsafe {
                if v + 1 == N && last < V {
                    _mm256_maskload_ps(b.add(at), mask)
                } else {
                    _mm256_loadu_ps(b.add(at))
                }
            };
        }
        for (acc, a) in acc.iter_mut().zip(&a) {
            // SAFETY: `(i + r)·rsa + q·csa <= (i + R - 1)·rsa + (k - 1)·csa < a.len()` (asserted).
            let x = _mm256_set1_ps(unsafe { *a.add(q * p.csa) });
            for (acc, &y) in acc.iter_mut().zip(&y) {
                *acc = _mm256_fmadd_ps(x, y, *acc);
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        let crow = &mut c[(i + r) * p.rsc + j..][..width];
        for (v, &acc) in acc.iter().enumerate() {
            let len = if v + 1 == N { last } else { V };
            epilogue(p, crow, V * v, len, mask, acc);
        }
    }
}

/// Dot form (`csa == rsb == 1`): each row of C in blocks of 8 columns (then one block of 4, 2 or
/// 1 for the rest), 8 dot products over `k` at a time (masked loads for `k mod 8`), summed across
/// lanes by one transposing reduction. (Tiles of 2 rows × 4 columns, which share the loads of B,
/// measured slower: 1.2 against 0.8 µs on 2×20·20×256, 12 against 9 µs on 64³.)
#[target_feature(enable = "avx2,fma")]
pub(super) fn dot(p: &Gemm, c: &mut [f32]) {
    for i in 0..p.m {
        let mut j = 0;
        while j + V <= p.n {
            dot_tile::<V>(p, c, i, j, V);
            j += V;
        }
        match p.n - j {
            0 => {}
            cols @ 5..=7 => dot_tile::<V>(p, c, i, j, cols),
            cols @ 3..=4 => dot_tile::<4>(p, c, i, j, cols),
            cols => dot_tile::<2>(p, c, i, j, cols),
        }
    }
}

/// `C[i, j..j+cols]` (`cols <= C <= 8`) of the dot form, with `C` accumulators.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn dot_tile<const C: usize>(p: &Gemm, c: &mut [f32], i: usize, j: usize, cols: usize) {
    let k = p.k;
    let tail = k % V;
    let kmask = first_lanes(tail);
    let arow = &p.a[i * p.rsa..][..k];
    // Columns past `cols` repeat the last one; their sums are not stored.
    let last = (j + cols - 1) * p.csb;
    assert!(last + k <= p.b.len(), "column {} of B lies inside B", j + cols - 1);
    let off: [usize; C] = std::array::from_fn(|s| if s < cols { (j + s) * p.csb } else { last });
    let bp = p.b.as_ptr();
    let mut acc = [_mm256_setzero_ps(); C];
    let mut q = 0;
    while q + V <= k {
        let x = load(arow, q, V, kmask);
        for (acc, &o) in acc.iter_mut().zip(&off) {
            // SAFETY: `o + q + 8 <= o + k <= last + k <= b.len()` (asserted above).
            let y = unsafe { _mm256_loadu_ps(bp.add(o + q)) };
            *acc = _mm256_fmadd_ps(x, y, *acc);
        }
        q += V;
    }
    if tail > 0 {
        let x = load(arow, q, tail, kmask);
        for (acc, &o) in acc.iter_mut().zip(&off) {
            // SAFETY: `kmask` selects the first `tail = k - q` lanes, elements `o + q .. o + k`
            // of `b`, inside it (asserted above); the others are not accessed.
            let y = unsafe { _mm256_maskload_ps(bp.add(o + q), kmask) };
            *acc = _mm256_fmadd_ps(x, y, *acc);
        }
    }
    let mut all = [_mm256_setzero_ps(); V];
    all[..C].copy_from_slice(&acc);
    let sums = reduce8(&all);
    if p.csc == 1 {
        epilogue(p, &mut c[i * p.rsc + j..][..cols], 0, cols, first_lanes(cols), sums);
    } else {
        let mut lanes = [0.0f32; V];
        store(&mut lanes, 0, V, kmask, sums);
        for (s, &sum) in lanes[..cols].iter().enumerate() {
            let dst = &mut c[i * p.rsc + (j + s) * p.csc];
            *dst = if p.beta == 0.0 { p.alpha * sum } else { p.alpha * sum + p.beta * *dst };
        }
    }
}

/// Lane `s` of the result is the sum of the 8 lanes of `acc[s]`.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn reduce8(acc: &[__m256; V]) -> __m256 {
    let t0 = _mm256_hadd_ps(acc[0], acc[1]);
    let t1 = _mm256_hadd_ps(acc[2], acc[3]);
    let t2 = _mm256_hadd_ps(acc[4], acc[5]);
    let t3 = _mm256_hadd_ps(acc[6], acc[7]);
    // u0 = [s0 s1 s2 s3 | s0 s1 s2 s3] halves (low 128: lanes 0-3 of each, high: lanes 4-7).
    let u0 = _mm256_hadd_ps(t0, t1);
    let u1 = _mm256_hadd_ps(t2, t3);
    let lo = _mm256_permute2f128_ps(u0, u1, 0x20);
    let hi = _mm256_permute2f128_ps(u0, u1, 0x31);
    _mm256_add_ps(lo, hi)
}
