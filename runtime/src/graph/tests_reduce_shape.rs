//! Reductions, softmax and shape ops.
#![allow(clippy::cloned_ref_to_slice_refs, clippy::excessive_precision)]

use super::gradcheck::{Tolerance, assert_op, sample};
use super::*;
use crate::tensor::Tensor;

#[test]
fn full_reductions_match_finite_differences() {
    let x = sample(&[3, 4], 1);
    let tol = Tolerance::default();
    assert_op("sum", &[x.clone()], |v| v[0].sum(), |v, g| vec![Some(sum_backward(g, v[0].shape()))], tol);
    assert_op("mean", &[x.clone()], |v| v[0].mean(), |v, g| vec![Some(mean_backward(g, v[0].shape()))], tol);
    assert_op("max", &[x.clone()], |v| v[0].max(), |v, g| vec![Some(max_backward(&v[0], &v[0].max(), g))], tol);
    assert_op("min", &[x.clone()], |v| v[0].min(), |v, g| vec![Some(min_backward(&v[0], &v[0].min(), g))], tol);
}

#[test]
fn dim_reductions_match_finite_differences() {
    let x = sample(&[2, 3, 4], 2);
    let tol = Tolerance::default();
    for dim in [0isize, 1, 2, -1] {
        for keepdim in [false, true] {
            assert_op("sum_dim", &[x.clone()], |v| v[0].sum_dim(dim, keepdim), |v, g| {
                vec![Some(sum_dim_backward(g, v[0].shape(), dim, keepdim))]
            }, tol);
            assert_op("mean_dim", &[x.clone()], |v| v[0].mean_dim(dim, keepdim), |v, g| {
                vec![Some(mean_dim_backward(g, v[0].shape(), dim, keepdim))]
            }, tol);
            // Two entries of a lane closer than the step make a kink: skip those elements.
            let kinks = Tolerance::with_kinks();
            let r = assert_op("max_dim", &[x.clone()], |v| v[0].max_dim(dim, keepdim).0, |v, g| {
                let (_, idx) = v[0].max_dim(dim, keepdim);
                vec![Some(max_dim_backward(g, &idx, v[0].shape(), dim, keepdim))]
            }, kinks);
            assert!(r.skipped <= 2 && r.checked >= 22, "{r:?}");
            let r = assert_op("min_dim", &[x.clone()], |v| v[0].min_dim(dim, keepdim).0, |v, g| {
                let (_, idx) = v[0].min_dim(dim, keepdim);
                vec![Some(min_dim_backward(g, &idx, v[0].shape(), dim, keepdim))]
            }, kinks);
            assert!(r.skipped <= 2 && r.checked >= 22, "{r:?}");
        }
    }
}

#[test]
fn max_ties_follow_pytorch() {
    // x = tensor([1., 3., 3., 2.]); x.max().backward() gives [0, .5, .5, 0] (evenly distributed);
    // x.view(1, 4).max(1) picks index 1, and its backward gives [0, 1, 0, 0].
    let x = Tensor::from_vec(vec![1.0f32, 3.0, 3.0, 2.0], &[4]);
    assert_eq!(max_backward(&x, &x.max(), &Tensor::scalar(1.0)).to_vec::<f32>(), [0.0, 0.5, 0.5, 0.0]);
    let x2 = x.reshape([1, 4]);
    let (_, idx) = x2.max_dim(1, false);
    assert_eq!(max_dim_backward(&Tensor::ones(&[1]), &idx, &[1, 4], 1, false).to_vec::<f32>(), [0.0, 1.0, 0.0, 0.0]);
    // NaN is the maximum: x = tensor([1., nan, 3., nan]) gives [0, .5, 0, .5].
    let x = Tensor::from_vec(vec![1.0f32, f32::NAN, 3.0, f32::NAN], &[4]);
    assert_eq!(max_backward(&x, &x.max(), &Tensor::scalar(1.0)).to_vec::<f32>(), [0.0, 0.5, 0.0, 0.5]);
    // min of a 0-d tensor.
    let s = Tensor::scalar(2.0);
    assert_eq!(min_backward(&s, &s.min(), &Tensor::scalar(3.0)).item(), 3.0);
}

#[test]
#[should_panic(expected = "sum_dim_backward: reducing [2, 3] along dim 1 (keepdim=false) gives shape [2], but the gradient has shape [3]")]
fn dim_reduction_backward_rejects_the_wrong_gradient_shape() {
    sum_dim_backward(&Tensor::zeros(&[3]), &[2, 3], 1, false);
}

#[test]
#[should_panic(expected = "max_dim_backward: index 5 is out of bounds for dim 1 of size 3")]
fn max_dim_backward_rejects_bad_indices() {
    max_dim_backward(&Tensor::zeros(&[2]), &Tensor::from_vec(vec![0i64, 5], &[2]), &[2, 3], 1, false);
}

#[test]
fn softmax_backward_matches_finite_differences() {
    let x = sample(&[2, 3, 4], 3).mul(2.0);
    let tol = Tolerance::default();
    for dim in [0isize, 1, -1] {
        assert_op("softmax", &[x.clone()], |v| v[0].softmax(dim), |v, g| vec![Some(softmax_backward(&v[0].softmax(dim), g, dim))], tol);
        assert_op("log_softmax", &[x.clone()], |v| v[0].log_softmax(dim), |v, g| {
            vec![Some(log_softmax_backward(&v[0].log_softmax(dim), g, dim))]
        }, tol);
    }
}

#[test]
fn shape_backward_inverts_the_view() {
    let tol = Tolerance::default();
    let x = sample(&[2, 3, 4], 4);
    assert_op("reshape", &[x.clone()], |v| v[0].reshape([4, 6]), |v, g| vec![Some(reshape_backward(g, v[0].shape()))], tol);
    assert_op("flatten", &[x.clone()], |v| v[0].flatten(1, -1), |v, g| vec![Some(flatten_backward(g, v[0].shape()))], tol);
    assert_op("transpose", &[x.clone()], |v| v[0].transpose(0, 2), |_, g| vec![Some(transpose_backward(g, 0, 2))], tol);
    assert_op("permute", &[x.clone()], |v| v[0].permute([2, 0, 1]), |_, g| vec![Some(permute_backward(g, &[2, 0, 1]))], tol);
    assert_op("permute negative", &[x.clone()], |v| v[0].permute([-1, -3, -2]), |_, g| vec![Some(permute_backward(g, &[-1, -3, -2]))], tol);
    assert_op("expand", &[sample(&[3, 1], 5)], |v| v[0].expand([2, 3, 4]), |v, g| vec![Some(expand_backward(g, v[0].shape()))], tol);
    // A reshape of a transposed gradient needs a copy, and still gives the right values.
    let g = Tensor::arange(6.0).reshape([2, 3]).t();
    assert_eq!(reshape_backward(&g, &[6]).to_vec::<f32>(), [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
}

#[test]
fn cat_and_stack_backward_split_the_gradient() {
    let tol = Tolerance::default();
    let parts = [sample(&[2, 1], 6), sample(&[2, 3], 7), sample(&[2, 2], 8)];
    assert_op("cat", &parts, |v| Tensor::cat(v, 1), |v, g| {
        let sizes: Vec<usize> = v.iter().map(|t| t.shape()[1]).collect();
        cat_backward(g, &sizes, 1).into_iter().map(Some).collect()
    }, tol);
    let parts = [sample(&[2, 3], 9), sample(&[2, 3], 10)];
    for dim in [0isize, 1, 2, -1] {
        assert_op("stack", &parts, |v| Tensor::stack(v, dim), |_, g| stack_backward(g, dim).into_iter().map(Some).collect(), tol);
    }
}

#[test]
#[should_panic(expected = "cat_backward: the inputs' sizes [2, 2] along dim 0 add up to 4, but the gradient has shape [5]")]
fn cat_backward_rejects_sizes_that_do_not_add_up() {
    cat_backward(&Tensor::zeros(&[5]), &[2, 2], 0);
}

#[test]
#[should_panic(expected = "reshape_backward: the input had shape [2, 2] (4 elements) but the gradient has shape [5] (5 elements)")]
fn reshape_backward_rejects_a_different_element_count() {
    reshape_backward(&Tensor::zeros(&[5]), &[2, 2]);
}
