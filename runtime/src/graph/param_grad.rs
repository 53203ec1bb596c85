//! Accumulating into parameter gradients without temporaries: a GEMM with `β = 1` straight into
//! the gradient buffer, and a row sum added in place.

use crate::param::Param;
use super::linear::{Mat, MatCopy};
use crate::tensor::{Element, Tensor, elementwise::read_n};
use fusenet_kernels::cpu::gemm;

/// `param.grad += g` (taking `g` when it can become the gradient as is); nothing when the
/// parameter does not require a gradient.
///
/// ```
/// use fusenet_runtime::{Param, Tensor, graph::add_to_grad};
/// let p = Param::new(Tensor::zeros(&[2]));
/// add_to_grad(&p, Tensor::ones(&[2]));
/// add_to_grad(&p, Tensor::ones(&[2]));
/// assert_eq!(p.grad().unwrap().to_vec::<f32>(), [2.0, 2.0]);
/// ```
pub fn add_to_grad(param: &Param, g: Tensor) {
    if param.requires_grad() {
        param.accumulate_grad_owned(g);
    }
}

/// Runs `f` on the storage slices (from the first element) of two `f32` tensors, locking a shared
/// storage once.
fn read_two<R>(a: &Tensor, b: &Tensor, f: impl FnOnce(&[f32], &[f32]) -> R) -> R {
    read_n([a, b], |[da, db]| {
        let slice = |d, t: &Tensor| f32::slice(d).unwrap_or_else(|| panic!("expected an f32 tensor, got {:?}", t.dtype()));
        f(&slice(da, a)[a.offset..], &slice(db, b)[b.offset..])
    })
}

/// `param.grad += aᵀ·b` over the flattened leading dims: with `a` of shape `[*, P]` and `b` of shape
/// `[*, Q]` (the same leading dims), `grad[p, q] += Σ_rows a[r, p]·b[r, q]`, for a parameter of
/// shape `[P, Q]`. One GEMM writes into the gradient buffer (`β = 1` when a gradient exists, `β = 0`
/// into the reused buffer otherwise), so nothing is allocated in steady state. Nothing happens when
/// the parameter does not require a gradient.
///
/// This is `Linear`'s weight gradient (`dW += gᵀ·x`, with `a = g`, `b = x`) and `matmul(x, W)`'s
/// (`dW += xᵀ·g`).
///
/// ```
/// use fusenet_runtime::{Param, Tensor, graph::add_at_b_to_grad};
/// let w = Param::new(Tensor::zeros(&[2, 3]));
/// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2]);
/// let b = Tensor::from_vec(vec![1.0f32, 0.0, -1.0], &[1, 3]);
/// add_at_b_to_grad(&w, &a, &b);
/// assert_eq!(w.grad().unwrap().to_vec::<f32>(), [1.0, 0.0, -1.0, 2.0, 0.0, -2.0]);
/// ```
pub fn add_at_b_to_grad(param: &Param, a: &Tensor, b: &Tensor) {
    if !param.requires_grad() {
        return;
    }
    assert!(
        a.dim() >= 1 && b.dim() >= 1 && a.shape()[..a.dim() - 1] == b.shape()[..b.dim() - 1],
        "add_at_b_to_grad: a of shape {:?} and b of shape {:?} must have the same leading dims",
        a.shape(),
        b.shape()
    );
    let (p, q) = (a.shape()[a.dim() - 1], b.shape()[b.dim() - 1]);
    assert!(
        param.shape() == [p, q],
        "add_at_b_to_grad: aᵀ·b for a of shape {:?} and b of shape {:?} is [{p}, {q}], but the parameter has shape {:?}",
        a.shape(),
        b.shape(),
        param.shape()
    );
    let (mut ka, mut kb) = (MatCopy::default(), MatCopy::default());
    add_at_b_mat(param, &Mat::of(a, &mut ka), &Mat::of(b, &mut kb));
}

/// [`add_at_b_to_grad`] on matrices whose shapes were checked: `param.grad += aᵀ·b`.
pub(super) fn add_at_b_mat(param: &Param, a: &Mat, b: &Mat) {
    let (p, q, rows) = (a.cols, b.cols, a.rows);
    param.accumulate_grad_with(|buf, has_grad| {
        if buf.shares_storage(a.t) || buf.shares_storage(b.t) {
            // The gradient aliases an operand (only a user's set_grad can arrange that).
            let t = a.t.reshape([rows, p]).t().matmul(&b.t.reshape([rows, q]));
            return if has_grad { buf.add_(&t) } else { buf.copy_(&t) };
        }
        at_b_into(buf, if has_grad { 1.0 } else { 0.0 }, a, b);
    });
}

/// `c ← aᵀ·b + β·c` into the contiguous `f32` tensor `c` (shaped `[a.cols, b.cols]`, sharing
/// storage with neither): one GEMM, `Aᵀ` passed by its strides.
pub(super) fn at_b_into(c: &Tensor, beta: f32, a: &Mat, b: &Mat) {
    let (p, q) = (a.cols, b.cols);
    read_two(a.t, b.t, |sa, sb| {
        c.with_slice_mut(|c: &mut [f32]| {
            // Aᵀ is A with its strides swapped.
            gemm::sgemm(p, a.rows, q, 1.0, sa, a.cs, a.rs, sb, b.rs, b.cs, beta, c, q as isize, 1);
        })
    });
}

/// `param.grad += Σ_rows g` over the flattened leading dims: with `g` of shape `[*, Q]`,
/// `grad[q] += Σ_r g[r, q]`, for a parameter of shape `[Q]` — a bias gradient. Accumulates in
/// place; nothing when the parameter does not require a gradient.
///
/// ```
/// use fusenet_runtime::{Param, Tensor, graph::add_row_sum_to_grad};
/// let b = Param::new(Tensor::zeros(&[3]));
/// add_row_sum_to_grad(&b, &Tensor::arange(6.0).reshape([2, 3]));
/// assert_eq!(b.grad().unwrap().to_vec::<f32>(), [3.0, 5.0, 7.0]);
/// ```
pub fn add_row_sum_to_grad(param: &Param, g: &Tensor) {
    if !param.requires_grad() {
        return;
    }
    let q = if g.dim() == 0 { 1 } else { g.shape()[g.dim() - 1] };
    assert!(
        param.shape() == [q],
        "add_row_sum_to_grad: the row sums of a gradient of shape {:?} have shape [{q}], but the parameter has shape {:?}",
        g.shape(),
        param.shape()
    );
    let g2;
    let g = if g.dim() == 0 {
        g2 = g.reshape([1, 1]);
        &g2
    } else {
        g
    };
    let mut keep = MatCopy::default();
    add_row_sum_mat(param, &Mat::of(g, &mut keep));
}

/// [`add_row_sum_to_grad`] on a matrix whose shape was checked: `param.grad += Σ_rows g`.
pub(super) fn add_row_sum_mat(param: &Param, gm: &Mat) {
    let q = gm.cols;
    param.accumulate_grad_with(|buf, has_grad| {
        if buf.shares_storage(gm.t) {
            let t = gm.t.reshape([gm.rows, q]).sum_dim(0, false);
            return if has_grad { buf.add_(&t) } else { buf.copy_(&t) };
        }
        row_sums_into(buf, gm, has_grad);
    });
}

/// `c (+)= Σ_rows g` into the contiguous `f32` tensor `c` (`[g.cols]`); see [`add_row_sums`].
pub(super) fn row_sums_into(c: &Tensor, g: &Mat, has_grad: bool) {
    read_two(g.t, g.t, |s, _| c.with_slice_mut(|c: &mut [f32]| add_row_sums(c, s, g, has_grad)));
}

/// `c[j] (+)= Σ_r g[r, j]` over `g`'s storage slice `s` (from its first element), row after row
/// (`has_grad == false` starts from zero).
fn add_row_sums(c: &mut [f32], s: &[f32], g: &Mat, has_grad: bool) {
    let (rows, rs, cs, q) = (g.rows, g.rs, g.cs, g.cols);
    if !has_grad {
        c.fill(0.0);
    }
    for r in 0..rows {
        let row = r as isize * rs;
        if cs == 1 {
            // Contiguous rows: a slice zip the compiler vectorises (same sums, same order).
            let start = row as usize;
            for (acc, v) in c.iter_mut().zip(&s[start..start + q]) {
                *acc += *v;
            }
        } else {
            for (j, acc) in c.iter_mut().enumerate() {
                *acc += s[(row + j as isize * cs) as usize];
            }
        }
    }
}
