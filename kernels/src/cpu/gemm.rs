//! General matrix multiplication over strided slices: `C ← α·A·B + β·C`.
//!
//! Every matmul of the runtime goes through [`sgemm`] (f32, on `matrixmultiply`) or [`gemm_naive`]
//! (any numeric type, used for `i64`). Operands are described by a slice that starts at element
//! `(0, 0)` plus a row stride and a column stride, so a transposed view is passed by swapping its
//! strides and is never copied.

/// `C ← α·A·B + β·C` for f32, with `A` an `m×k`, `B` a `k×n` and `C` an `m×n` strided matrix.
///
/// Element `(i, j)` of `A` is `a[i·rsa + j·csa]`, and likewise for `B` and `C`. Strides of `A` and
/// `B` may be zero (a broadcast operand). When `beta == 0`, `C` is only written, so it may hold
/// garbage (even NaN) on entry.
///
/// Panics when a stride is negative, when a matrix does not fit its slice, or when two elements
/// of `C` would share a memory location.
///
/// ```
/// use fusenet_kernels::cpu::gemm::sgemm;
/// // [[1, 2], [3, 4]] · [[5, 6], [7, 8]] = [[19, 22], [43, 50]]
/// let a = [1.0, 2.0, 3.0, 4.0];
/// let b = [5.0, 6.0, 7.0, 8.0];
/// let mut c = [0.0f32; 4];
/// sgemm(2, 2, 2, 1.0, &a, 2, 1, &b, 2, 1, 0.0, &mut c, 2, 1);
/// assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
/// // Aᵀ·B by swapping the strides of A: [[1, 3], [2, 4]] · B = [[26, 30], [38, 44]]
/// sgemm(2, 2, 2, 1.0, &a, 1, 2, &b, 2, 1, 0.0, &mut c, 2, 1);
/// assert_eq!(c, [26.0, 30.0, 38.0, 44.0]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    rsa: isize,
    csa: isize,
    b: &[f32],
    rsb: isize,
    csb: isize,
    beta: f32,
    c: &mut [f32],
    rsc: isize,
    csc: isize,
) {
    if !prologue(m, k, n, (a.len(), rsa, csa), (b.len(), rsb, csb), beta, c, rsc, csc) {
        return;
    }
    // SAFETY: `check_fits` verified, for each of A, B and C, that every stride is non-negative and
    // that the largest offset reached, (rows-1)·rs + (cols-1)·cs, is below the slice length, so
    // every element matrixmultiply reads or writes lies inside its slice. `check_no_alias` verified
    // that distinct (i, j) of C map to distinct offsets, as matrixmultiply requires. `c` is borrowed
    // mutably, so no other reference reads it during the call; `a` and `b` are shared borrows and
    // are only read.
    unsafe {
        matrixmultiply::sgemm(
            m, k, n, alpha, a.as_ptr(), rsa, csa, b.as_ptr(), rsb, csb, beta, c.as_mut_ptr(), rsc, csc,
        );
    }
}

/// [`sgemm`] for f64 (on `matrixmultiply::dgemm`): the same layout rules, checks and panics.
/// The layer kernels use it for their f64 instances (tight finite-difference gradient checks).
///
/// ```
/// use fusenet_kernels::cpu::gemm::dgemm;
/// let mut c = [0.0f64; 1];
/// dgemm(1, 2, 1, 1.0, &[1.0, 2.0], 2, 1, &[3.0, 4.0], 1, 1, 0.0, &mut c, 1, 1);
/// assert_eq!(c, [11.0]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn dgemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f64,
    a: &[f64],
    rsa: isize,
    csa: isize,
    b: &[f64],
    rsb: isize,
    csb: isize,
    beta: f64,
    c: &mut [f64],
    rsc: isize,
    csc: isize,
) {
    if !prologue(m, k, n, (a.len(), rsa, csa), (b.len(), rsb, csb), beta, c, rsc, csc) {
        return;
    }
    // SAFETY: as in `sgemm`: `check_fits` bounds every offset matrixmultiply touches inside its
    // slice (non-negative strides), `check_no_alias` makes the elements of C distinct, `c` is
    // borrowed mutably and `a`, `b` are only read.
    unsafe {
        matrixmultiply::dgemm(
            m, k, n, alpha, a.as_ptr(), rsa, csa, b.as_ptr(), rsb, csb, beta, c.as_mut_ptr(), rsc, csc,
        );
    }
}

/// `C ← α·A·B + β·C` by the triple loop, for any numeric type (the `i64` matmul; also the
/// reference that the tests compare [`sgemm`] with). Same layout rules and panics as [`sgemm`];
/// when `beta` is zero, `C` is overwritten without being read.
///
/// ```
/// use fusenet_kernels::cpu::gemm::gemm_naive;
/// let a = [1i64, 2, 3, 4, 5, 6]; // 2×3
/// let b = [1i64, 0, 0, 1, 1, 1]; // 3×2
/// let mut c = [0i64; 4];
/// gemm_naive(2, 3, 2, 1, &a, 3, 1, &b, 2, 1, 0, &mut c, 2, 1);
/// assert_eq!(c, [4, 5, 10, 11]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn gemm_naive<T>(
    m: usize,
    k: usize,
    n: usize,
    alpha: T,
    a: &[T],
    rsa: isize,
    csa: isize,
    b: &[T],
    rsb: isize,
    csb: isize,
    beta: T,
    c: &mut [T],
    rsc: isize,
    csc: isize,
) where
    T: Copy + Default + PartialEq + std::ops::Add<Output = T> + std::ops::Mul<Output = T>,
{
    check_fits("A", m, k, rsa, csa, a.len());
    check_fits("B", k, n, rsb, csb, b.len());
    check_fits("C", m, n, rsc, csc, c.len());
    check_no_alias(m, n, rsc, csc);
    let at = |s: isize, i: usize| s as usize * i;
    for i in 0..m {
        for j in 0..n {
            let mut acc = T::default();
            for p in 0..k {
                acc = acc + a[at(rsa, i) + at(csa, p)] * b[at(rsb, p) + at(csb, j)];
            }
            let dst = &mut c[at(rsc, i) + at(csc, j)];
            *dst = if beta == T::default() { alpha * acc } else { alpha * acc + beta * *dst };
        }
    }
}

/// Panics unless a `rows×cols` matrix with strides `(rs, cs)` starting at 0 fits in `len`.
fn check_fits(name: &str, rows: usize, cols: usize, rs: isize, cs: isize, len: usize) {
    assert!(rs >= 0 && cs >= 0, "gemm: matrix {name} has a negative stride ({rs}, {cs})");
    if rows == 0 || cols == 0 {
        return;
    }
    let last = (rows - 1)
        .checked_mul(rs as usize)
        .and_then(|r| (cols - 1).checked_mul(cs as usize).and_then(|c| r.checked_add(c)));
    match last {
        Some(last) if last < len => {}
        _ => panic!("gemm: matrix {name} ({rows}x{cols}, strides ({rs}, {cs})) does not fit in {len} elements"),
    }
}

/// Panics when two elements of the `m×n` output share a memory location.
fn check_no_alias(m: usize, n: usize, rsc: isize, csc: isize) {
    // Sort the two axes by stride; the layout is injective when the larger stride steps over
    // the whole extent of the smaller axis. Axes of length 1 never alias.
    let axes = [(rsc as usize, m), (csc as usize, n)];
    let live: Vec<(usize, usize)> = axes.iter().copied().filter(|&(_, len)| len > 1).collect();
    let ok = match live.as_slice() {
        [] => true,
        [(s, _)] => *s > 0,
        [x, y] => {
            let (small, large) = if x.0 <= y.0 { (x, y) } else { (y, x) };
            small.0 > 0 && large.0 >= small.0 * small.1
        }
        _ => unreachable!("a matrix has two axes"),
    };
    assert!(ok, "gemm: output strides ({rsc}, {csc}) of a {m}x{n} matrix make elements alias");
}

fn scale_c<T: Copy + Default + PartialEq + std::ops::Mul<Output = T>>(m: usize, n: usize, beta: T, c: &mut [T], rsc: isize, csc: isize) {
    let zero = T::default();
    for i in 0..m {
        for j in 0..n {
            let dst = &mut c[rsc as usize * i + csc as usize * j];
            *dst = if beta == zero { zero } else { beta * *dst };
        }
    }
}

/// The checks and trivial cases shared by [`sgemm`] and [`dgemm`]: panics unless A (`m×k`), B
/// (`k×n`) and C (`m×n`) fit their slices and C's elements are distinct; handles an empty C and
/// `k = 0` (`C ← β·C`). Returns whether the product still has to be computed.
#[allow(clippy::too_many_arguments)]
fn prologue<T: Copy + Default + PartialEq + std::ops::Mul<Output = T>>(
    m: usize,
    k: usize,
    n: usize,
    (a_len, rsa, csa): (usize, isize, isize),
    (b_len, rsb, csb): (usize, isize, isize),
    beta: T,
    c: &mut [T],
    rsc: isize,
    csc: isize,
) -> bool {
    check_fits("A", m, k, rsa, csa, a_len);
    check_fits("B", k, n, rsb, csb, b_len);
    check_fits("C", m, n, rsc, csc, c.len());
    check_no_alias(m, n, rsc, csc);
    if m == 0 || n == 0 {
        return false;
    }
    if k == 0 {
        scale_c(m, n, beta, c, rsc, csc);
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random fill in [-1, 1).
    fn fill(len: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2000) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    fn close(a: &[f32], b: &[f32]) {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= 1e-4 * (1.0 + y.abs()), "element {i}: {x} vs {y}");
        }
    }

    #[test]
    fn sgemm_matches_naive_on_odd_sizes_and_layouts() {
        for &(m, k, n) in &[(1, 1, 1), (3, 5, 7), (17, 9, 33), (64, 65, 63), (1, 300, 1), (5, 1, 4)] {
            let a = fill(m * k, 1);
            let b = fill(k * n, 2);
            // Row-major A, column-major (transposed view of a k×n stored as n×k) B.
            for &(rsa, csa, rsb, csb) in
                &[(k as isize, 1, n as isize, 1), (1, m as isize, 1, k as isize), (k as isize, 1, 1, k as isize)]
            {
                let c0 = fill(m * n, 3);
                let mut want = c0.clone();
                let mut got = c0.clone();
                gemm_naive(m, k, n, 0.5, &a, rsa, csa, &b, rsb, csb, 2.0, &mut want, n as isize, 1);
                sgemm(m, k, n, 0.5, &a, rsa, csa, &b, rsb, csb, 2.0, &mut got, n as isize, 1);
                close(&got, &want);
            }
        }
    }

    #[test]
    fn sgemm_with_zero_stride_and_column_major_output() {
        // A broadcast row: every row of A is [1, 2, 3].
        let a = [1.0, 2.0, 3.0];
        let b = fill(3 * 4, 5);
        let mut c = vec![f32::NAN; 2 * 4];
        sgemm(2, 3, 4, 1.0, &a, 0, 1, &b, 4, 1, 0.0, &mut c, 1, 2);
        let mut want = vec![0.0; 8];
        gemm_naive(2, 3, 4, 1.0, &a, 0, 1, &b, 4, 1, 0.0, &mut want, 1, 2);
        close(&c, &want);
        assert_eq!(c[0], c[1], "both rows equal");
    }

    #[test]
    fn sgemm_empty_inner_dim_scales_c() {
        let mut c = vec![f32::NAN, f32::NAN];
        sgemm(1, 0, 2, 1.0, &[], 0, 0, &[], 0, 0, 0.0, &mut c, 2, 1);
        assert_eq!(c, [0.0, 0.0]);
        let mut c = vec![1.0, 2.0];
        sgemm(1, 0, 2, 1.0, &[], 0, 0, &[], 0, 0, 3.0, &mut c, 2, 1);
        assert_eq!(c, [3.0, 6.0]);
    }

    #[test]
    fn integer_gemm() {
        let a: Vec<i64> = (0..6).collect(); // 2×3
        let b: Vec<i64> = (0..12).collect(); // 3×4
        let mut c = vec![0i64; 8];
        gemm_naive(2, 3, 4, 1, &a, 3, 1, &b, 4, 1, 0, &mut c, 4, 1);
        // torch.arange(6).reshape(2,3) @ torch.arange(12).reshape(3,4)
        assert_eq!(c, [20, 23, 26, 29, 56, 68, 80, 92]);
    }

    #[test]
    #[should_panic(expected = "matrix A (2x3, strides (3, 1)) does not fit in 5 elements")]
    fn too_short_slice_panics() {
        let mut c = [0.0; 4];
        sgemm(2, 3, 2, 1.0, &[0.0; 5], 3, 1, &[0.0; 6], 2, 1, 0.0, &mut c, 2, 1);
    }

    #[test]
    #[should_panic(expected = "make elements alias")]
    fn aliasing_output_panics() {
        let mut c = [0.0; 4];
        sgemm(2, 1, 2, 1.0, &[1.0; 2], 1, 1, &[1.0; 2], 2, 1, 0.0, &mut c, 1, 1);
    }
}
