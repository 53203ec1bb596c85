//! [`super::Backend::GemmCrate`]: `C ← α·A·B + β·C` on the `gemm` crate (cargo feature
//! `gemm-crate`).
//!
//! `gemm::gemm` computes `dst ← α'·dst + β'·lhs·rhs` and takes column strides before row strides,
//! so our `alpha` is its `beta`, our `beta` its `alpha`, and `read_dst = (beta != 0)` keeps a
//! garbage (NaN) C unread when `beta == 0`.

use gemm::Parallelism;

/// The product through `gemm::gemm` with at most `threads` threads of rayon's pool. The caller (`sgemm_with`'s prologue) has checked every bound, stride sign and aliasing rule.
#[allow(clippy::too_many_arguments)]
pub(super) fn sgemm(
    threads: usize,
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
    let parallelism = if threads == 1 { Parallelism::None } else { Parallelism::Rayon(threads) };
    // SAFETY: the prologue verified that every element (i, j) of A (m×k), B (k×n) and C (m×n) at
    // offset i·rs + j·cs (non-negative strides) lies inside its slice and that the elements of C
    // are distinct; `c` is borrowed mutably for the call and `a`, `b` are only read. The strides
    // are passed in gemm's (column, row) order.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            csc,
            rsc,
            beta != 0.0,
            a.as_ptr(),
            csa,
            rsa,
            b.as_ptr(),
            csb,
            rsb,
            beta,
            alpha,
            false,
            false,
            false,
            parallelism,
        );
    }
}
