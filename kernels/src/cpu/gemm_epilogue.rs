//! [`sgemm_epilogue`]: a product followed by per-row work on C (a layer's bias and activation),
//! run by the packed kernel on each tile while it is still in L1.
//!
//! A `Linear` forward used to write the bias into C, run the GEMM with `β = 1` (reading C back
//! in its first block of k) and then apply the activation in a pass of its own: two extra passes
//! over C, 2 MiB each for a 512×1024 output. Here the packed kernel hands each tile's rows to the
//! epilogue right after the tile's last store; the other backends (and products the packed
//! kernel runs as `Cᵀ = Bᵀ·Aᵀ`) run it over C's rows afterwards. Either way it sees each element
//! once, after its sum is complete, so the results do not depend on the path.

use super::{Backend, auto_backend, max_threads, packed, prologue, sgemm_with};
use crate::ops::rows::for_each_row;

/// Work on one row segment of C once its sums are final: `f(i, j0, &mut C[i, j0..j0 + len])`.
pub type RowEpilogue<'a> = &'a (dyn Fn(usize, usize, &mut [f32]) + Sync);

/// `C ← A·B`, then `epilogue(i, j0, row)` over every row segment of C, each element exactly
/// once. C is `m×n` with contiguous rows `rsc` apart; A and B take any non-negative strides, as
/// in [`sgemm`](super::sgemm), whose checks and panics this shares. With `k = 0`, C is zeros
/// before the epilogue.
///
/// ```
/// use fusenet_kernels::cpu::gemm::sgemm_epilogue;
/// let (a, b) = ([1.0f32, 2.0, 3.0, 4.0], [1.0f32, -1.0, 1.0, 1.0]);
/// let bias = [10.0f32, 0.0];
/// let mut c = [0.0f32; 4];
/// // relu(A·B + bias) by rows: A·B = [[3, 1], [7, 1]].
/// sgemm_epilogue(2, 2, 2, &a, 2, 1, &b, 2, 1, &mut c, 2, &|_, j0, row: &mut [f32]| {
///     for (v, bj) in row.iter_mut().zip(&bias[j0..]) {
///         *v = (*v + bj).max(0.0);
///     }
/// });
/// assert_eq!(c, [13.0, 1.0, 17.0, 1.0]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn sgemm_epilogue(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    rsa: isize,
    csa: isize,
    b: &[f32],
    rsb: isize,
    csb: isize,
    c: &mut [f32],
    rsc: isize,
    epilogue: RowEpilogue<'_>,
) {
    if !prologue(m, k, n, (a.len(), rsa, csa), (b.len(), rsb, csb), 0.0, c, rsc, 1) {
        rows(m, n, c, rsc, epilogue);
        return;
    }
    if let Backend::Packed { threads } = auto_backend(m, k, n, [rsa, csa, rsb, csb, rsc, 1]) {
        let threads = if threads == 0 { max_threads() } else { threads };
        let mat = |x: &[f32], rs, cs| packed::Mat { ptr: x.as_ptr(), rs, cs };
        // SAFETY: as in `sgemm_with`: the prologue checked that every element of A, B and C lies
        // in its slice (non-negative strides), that C's elements are distinct and that
        // `m, n, k > 0`; `c` is borrowed mutably; `Isa::best` is available.
        let done = unsafe {
            packed::gemm(packed::Isa::best(), threads, m, k, n, 1.0, mat(a, rsa, csa), mat(b, rsb, csb), 0.0, c.as_mut_ptr(), rsc, 1, Some(epilogue))
        };
        if !done {
            rows(m, n, c, rsc, epilogue);
        }
        return;
    }
    sgemm_with(Backend::Auto, m, k, n, 1.0, a, rsa, csa, b, rsb, csb, 0.0, c, rsc, 1);
    rows(m, n, c, rsc, epilogue);
}

/// `epilogue` over each whole row of C (on rayon's pool when C is large).
fn rows(m: usize, n: usize, c: &mut [f32], rsc: isize, epilogue: RowEpilogue<'_>) {
    if m == 0 || n == 0 {
        return;
    }
    // Rows `rsc ≥ n` apart (the prologue checked that they fit and do not overlap); the last
    // chunk is the last row's `n` elements.
    let rsc = (rsc as usize).max(n);
    for_each_row(&mut c[..(m - 1) * rsc + n], rsc, 1, |i, r| epilogue(i, 0, &mut r[..n]));
}
