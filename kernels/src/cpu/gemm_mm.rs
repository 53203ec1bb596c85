//! [`super::Backend::MatrixMultiply`]: `matrixmultiply`'s packed kernels, threaded by us.
//!
//! matrixmultiply is built without its `threading` feature: its own pool decided the thread count
//! from `m·k + k·n ≥ 2¹⁴` alone, read `MATMUL_NUM_THREADS` once per process, and ran a second set
//! of threads beside rayon's on the same cores. Here a product above [`super::PAR_MIN_MNK`] is
//! cut into `t` panels of C (rows or columns), each multiplied by a single-threaded
//! matrixmultiply call on rayon's pool. `t` is rayon's thread count, capped by
//! `MATMUL_NUM_THREADS` when that is set (so scripts that set it keep their meaning).

use rayon::prelude::*;
use std::sync::OnceLock;

/// One single-threaded matrixmultiply entry point (`sgemm` or `dgemm`).
pub(super) type Kernel<T> =
    unsafe fn(usize, usize, usize, T, *const T, isize, isize, *const T, isize, isize, T, *mut T, isize, isize);

/// The most threads a product may use: rayon's pool size, capped by `MATMUL_NUM_THREADS`.
pub(super) fn max_threads() -> usize {
    static CAP: OnceLock<Option<usize>> = OnceLock::new();
    let cap = *CAP.get_or_init(|| std::env::var("MATMUL_NUM_THREADS").ok().and_then(|s| s.parse().ok()));
    let pool = rayon::current_num_threads();
    cap.map_or(pool, |cap| cap.clamp(1, pool))
}

/// A raw pointer that may cross to rayon's threads; see the SAFETY note at its use.
#[derive(Clone, Copy)]
struct SendPtr<T>(*mut T);
// SAFETY: `SendPtr` only carries C's base pointer to the tasks of one `gemm` call, which write
// disjoint elements of C while the caller's `&mut` borrow of C keeps every other access out.
unsafe impl<T> Send for SendPtr<T> {}
// SAFETY: as above; the tasks only copy the pointer.
unsafe impl<T> Sync for SendPtr<T> {}

/// `C ← α·A·B + β·C` with `kernel`, split into at most `threads` panels of C (`threads == 1`:
/// one call on the calling thread).
///
/// # Safety
/// The caller guarantees what `sgemm`'s prologue checks: every element `(i, j)` of A (`m×k`),
/// B (`k×n`) and C (`m×n`), at offset `i·rs + j·cs` with non-negative strides, lies inside the
/// allocation behind `a`, `b` and `c` respectively; distinct `(i, j)` of C have distinct
/// offsets; C is not accessed by anyone else during the call; and `m, n, k > 0`.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn gemm<T: Copy + Send + Sync>(
    kernel: Kernel<T>,
    threads: usize,
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
    c: *mut T,
    rsc: isize,
    csc: isize,
) {
    // Split the longer side of C: cutting rows repeats the packing of B (k·n) in every panel,
    // cutting columns repeats that of A (m·k). Panels are multiples of 16 rows/columns (the
    // microkernel's tile) and there are at most as many as threads.
    let by_rows = m >= n;
    let len = if by_rows { m } else { n };
    let chunk = len.div_ceil(threads.max(1)).next_multiple_of(16);
    let panels = len.div_ceil(chunk);
    let run = |p: usize, c: SendPtr<T>| {
        let start = p * chunk;
        let size = chunk.min(len - start);
        // SAFETY: panel `p` is rows (or columns) `start..start + size` of C, and the matching
        // rows of A (or columns of B): sub-matrices of the operands the caller vouched for, so
        // every element matrixmultiply touches lies inside its allocation. Panels are disjoint
        // sets of (i, j), whose offsets in C are distinct (caller's guarantee), so the
        // concurrent calls write disjoint memory, and nobody else accesses C meanwhile.
        unsafe {
            if by_rows {
                let at = start as isize;
                let (a, b, c) = (a.as_ptr().offset(at * rsa), b.as_ptr(), c.0.offset(at * rsc));
                kernel(size, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc);
            } else {
                let at = start as isize;
                let (a, b, c) = (a.as_ptr(), b.as_ptr().offset(at * csb), c.0.offset(at * csc));
                kernel(m, k, size, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc);
            }
        }
    };
    let c = SendPtr(c);
    if panels <= 1 {
        run(0, c);
    } else {
        (0..panels).into_par_iter().for_each(|p| run(p, c));
    }
}
