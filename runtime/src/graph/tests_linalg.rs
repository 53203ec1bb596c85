//! `matmul_backward` and the parameter-gradient GEMM helpers.
#![allow(clippy::cloned_ref_to_slice_refs, clippy::excessive_precision)]

use super::gradcheck::{Tolerance, assert_op, sample};
use super::*;
use crate::param::Param;
use crate::tensor::Tensor;

fn check_matmul(sa: &[usize], sb: &[usize], seed: u64) {
    let (a, b) = (sample(sa, seed), sample(sb, seed + 100));
    let name = format!("matmul {sa:?} @ {sb:?}");
    assert_op(&name, &[a, b], |v| v[0].matmul(&v[1]), |v, g| {
        let (ga, gb) = matmul_backward(&v[0], &v[1], g, true, true);
        vec![ga, gb]
    }, Tolerance::default());
}

#[test]
fn matmul_backward_covers_torch_matmul_cases() {
    let cases: [(&[usize], &[usize]); 11] = [
        (&[3, 4], &[4, 5]),
        (&[4], &[4, 5]),
        (&[3, 4], &[4]),
        (&[4], &[4]),
        (&[2, 3, 4], &[4, 5]),
        (&[3, 4], &[2, 4, 5]),
        (&[4], &[2, 4, 5]),
        (&[2, 3, 4], &[4]),
        (&[2, 1, 3, 4], &[5, 4, 2]),
        (&[2, 3, 4], &[2, 4, 5]),
        (&[1, 3, 4], &[2, 4, 2]),
    ];
    for (k, (sa, sb)) in cases.into_iter().enumerate() {
        check_matmul(sa, sb, k as u64);
    }
}

#[test]
fn matmul_backward_handles_transposed_operands_and_partial_requests() {
    let a = sample(&[4, 3], 1).t();
    let b = sample(&[4, 5], 2);
    let g = sample(&[3, 5], 3);
    let (ga, gb) = matmul_backward(&a, &b, &g, true, false);
    assert!(gb.is_none());
    assert!(ga.unwrap().allclose(&g.matmul(&b.t()), 1e-6, 1e-6));
    let (ga, gb) = matmul_backward(&a, &b, &g, false, true);
    assert!(ga.is_none());
    assert!(gb.unwrap().allclose(&a.t().matmul(&g), 1e-6, 1e-6));
}

#[test]
#[should_panic(expected = "matmul_backward: shapes [3, 4] and [5, 2] cannot be multiplied (4 != 5)")]
fn matmul_backward_rejects_shapes_that_do_not_multiply() {
    matmul_backward(&Tensor::zeros(&[3, 4]), &Tensor::zeros(&[5, 2]), &Tensor::zeros(&[3, 2]), true, true);
}

#[test]
#[should_panic(expected = "matmul_backward: [2, 3, 4] @ [4, 5] gives shape [2, 3, 5], but the gradient has shape [3, 5]")]
fn matmul_backward_rejects_a_gradient_of_the_wrong_shape() {
    matmul_backward(&Tensor::zeros(&[2, 3, 4]), &Tensor::zeros(&[4, 5]), &Tensor::zeros(&[3, 5]), true, true);
}

#[test]
fn add_at_b_to_grad_accumulates_one_gemm() {
    let w = Param::new(Tensor::zeros(&[4, 3]));
    let a = sample(&[2, 5, 4], 1);
    let b = sample(&[2, 5, 3], 2);
    let want = a.reshape([10, 4]).t().matmul(&b.reshape([10, 3]));
    add_at_b_to_grad(&w, &a, &b);
    assert!(w.grad().unwrap().allclose(&want, 1e-6, 1e-6));
    add_at_b_to_grad(&w, &a, &b);
    assert!(w.grad().unwrap().allclose(&want.mul(2.0), 1e-6, 1e-6));
    // Strided operands (a transposed view, a sliced view) are read in place.
    let w = Param::new(Tensor::zeros(&[4, 3]));
    let at = sample(&[4, 6], 3).t();
    let bs = sample(&[6, 5], 4).narrow(1, 1, 3);
    add_at_b_to_grad(&w, &at, &bs);
    assert!(w.grad().unwrap().allclose(&at.t().matmul(&bs), 1e-6, 1e-6));
}

#[test]
fn param_grad_helpers_skip_frozen_parameters() {
    let w = Param::new(Tensor::zeros(&[2, 2]));
    w.set_requires_grad(false);
    add_at_b_to_grad(&w, &Tensor::ones(&[3, 2]), &Tensor::ones(&[3, 2]));
    add_to_grad(&w, Tensor::ones(&[2, 2]));
    let b = Param::new(Tensor::zeros(&[2]));
    b.set_requires_grad(false);
    add_row_sum_to_grad(&b, &Tensor::ones(&[3, 2]));
    assert!(w.grad().is_none() && b.grad().is_none());
}

#[test]
fn add_row_sum_to_grad_sums_leading_dims() {
    let b = Param::new(Tensor::zeros(&[3]));
    let g = sample(&[2, 4, 3], 5);
    add_row_sum_to_grad(&b, &g);
    add_row_sum_to_grad(&b, &g.select(0, 0));
    let want = g.sum_dim(0, false).sum_dim(0, false).add(g.select(0, 0).sum_dim(0, false));
    assert!(b.grad().unwrap().allclose(&want, 1e-6, 1e-6));
    // A 1-D gradient is one row; a transposed view is read through its strides.
    let b = Param::new(Tensor::zeros(&[2]));
    add_row_sum_to_grad(&b, &Tensor::from_vec(vec![1.0f32, 2.0], &[2]));
    add_row_sum_to_grad(&b, &Tensor::arange(6.0).reshape([2, 3]).t());
    assert_eq!(b.grad().unwrap().to_vec::<f32>(), [1.0 + 3.0, 2.0 + 12.0]);
}

#[test]
fn param_grad_helpers_reuse_the_buffer_after_zero_grad() {
    let w = Param::new(Tensor::zeros(&[3, 2]));
    let (a, b) = (sample(&[4, 3], 1), sample(&[4, 2], 2));
    add_at_b_to_grad(&w, &a, &b);
    let first = w.grad().unwrap().clone();
    let ptr = w.grad().unwrap().with_slice(|s: &[f32]| s.as_ptr());
    w.zero_grad();
    assert!(w.grad().is_none());
    add_at_b_to_grad(&w, &a, &b);
    let g = w.grad().unwrap();
    assert_eq!(g.with_slice(|s: &[f32]| s.as_ptr()), ptr, "the spare buffer was reused");
    // β = 0 into the stale buffer: equal to the first gradient, not twice it.
    assert!(g.equal(&first));
}

#[test]
#[should_panic(expected = "add_at_b_to_grad: aᵀ·b for a of shape [4, 3] and b of shape [4, 2] is [3, 2], but the parameter has shape [2, 3]")]
fn add_at_b_to_grad_rejects_the_wrong_parameter_shape() {
    add_at_b_to_grad(&Param::new(Tensor::zeros(&[2, 3])), &Tensor::zeros(&[4, 3]), &Tensor::zeros(&[4, 2]));
}

/// `linear`, `linear_weight_grads` and `linear_input_grad` against eager ops, on inputs whose
/// leading dims merge (contiguous, size-1 dims, a sliced batch) and on ones that must be copied
/// (a permuted 3-d input).
#[test]
fn linear_forward_and_backward_read_any_layout_as_eager_ops_do() {
    let w = sample(&[3, 4], 7);
    let b = sample(&[3], 8);
    let inputs: Vec<(&str, Tensor)> = vec![
        ("contiguous 3-d", sample(&[2, 5, 4], 1)),
        ("size-1 dims", sample(&[1, 5, 1, 4], 2)),
        ("every other row", sample(&[10, 4], 3).reshape([5, 2, 4]).select(1, 0)),
        ("permuted 3-d", sample(&[4, 5, 2], 4).permute(&[2, 1, 0])),
        ("transposed", sample(&[4, 6], 5).t()),
    ];
    for (what, x) in inputs {
        let mut out_shape = x.shape().to_vec();
        *out_shape.last_mut().unwrap() = 3;
        let y = into::linear(&mut Slot::default(), &x, &w, Some(&b), |v| v.max(0.0));
        let eager = (&x.matmul(&w.t()) + &b).relu();
        assert!(y.allclose(&eager, 1e-5, 1e-6), "{what}: forward {y} against {eager}");
        let g = sample(&out_shape, 9);
        let (wp, bp) = (Param::new(Tensor::zeros(&[3, 4])), Param::new(Tensor::zeros(&[3])));
        linear_weight_grads(&wp, Some(&bp), &g, &x, None);
        linear_weight_grads(&wp, Some(&bp), &g, &x, None);
        let (g2, x2) = (g.reshape([-1, 3]), x.reshape([-1, 4]));
        let dw = &g2.t().matmul(&x2) * 2.0;
        let db = &g2.sum_dim(0, false) * 2.0;
        assert!(wp.grad().unwrap().allclose(&dw, 1e-5, 1e-6), "{what}: weight grad");
        assert!(bp.grad().unwrap().allclose(&db, 1e-5, 1e-6), "{what}: bias grad");
        let dx = linear_input_grad(&mut Slot::default(), &g, &w, x.shape());
        assert_eq!(dx.shape(), x.shape(), "{what}");
        assert!(dx.allclose(&g.matmul(&w), 1e-5, 1e-6), "{what}: input grad");
    }
}

#[test]
#[should_panic(expected = "do not fit a weight of shape [3, 4]")]
fn linear_weight_grads_name_the_shapes_that_do_not_fit() {
    let w = Param::new(Tensor::zeros(&[3, 4]));
    linear_weight_grads(&w, None, &Tensor::zeros(&[2, 3]), &Tensor::zeros(&[2, 5]), None);
}

#[test]
fn linear_backward_side_by_side_equals_the_two_calls() {
    // 64·256·512 multiply-adds per product reach PAR_MIN_MNK: the products run side by side on
    // the pool (inside `in_pool`, so both threads take part), against the two calls in turn.
    crate::manual_seed(4);
    let (x, g) = (Tensor::randn(&[4, 16, 256]), Tensor::randn(&[4, 16, 512]));
    let (w, b) = (Tensor::randn(&[512, 256]), Tensor::randn(&[512]));
    let run = |both: bool| {
        let (w, b) = (Param::new(w.clone()), Param::new(b.clone()));
        let dx = if both {
            crate::pool::in_pool(|| linear_backward(&mut Slot::default(), &g, &w, Some(&b), &x, &[4, 16, 256], None))
        } else {
            let dx = linear_input_grad(&mut Slot::default(), &g, w.value_ref(), &[4, 16, 256]);
            linear_weight_grads(&w, Some(&b), &g, &x, None);
            dx
        };
        [dx, w.grad().expect("a weight gradient").clone(), b.grad().expect("a bias gradient").clone()].map(|t| t.to_vec::<f32>())
    };
    assert!(run(true) == run(false), "the same bits");
}
