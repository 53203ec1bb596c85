//! Elementwise backward helpers: finite differences, PyTorch's values and special points.
#![allow(clippy::cloned_ref_to_slice_refs, clippy::excessive_precision)]

use super::gradcheck::{Tolerance, assert_op, sample, sample_range};
use super::*;
use crate::tensor::Tensor;

fn t(v: &[f32]) -> Tensor {
    Tensor::from_vec(v.to_vec(), &[v.len()])
}

/// `sample` pushed away from 0 by at least `gap` (for functions with a kink at 0).
fn away_from_zero(shape: &[usize], seed: u64, gap: f32) -> Tensor {
    let x = sample(shape, seed);
    let v = x.to_vec::<f32>().into_iter().map(|v| if v >= 0.0 { v + gap } else { v - gap }).collect();
    Tensor::from_vec(v, shape)
}

#[test]
fn unary_backward_matches_finite_differences() {
    let tol = Tolerance::default();
    let x = away_from_zero(&[3, 5], 1, 0.05);
    assert_op("relu(x)", &[x.clone()], |v| v[0].relu(), |v, g| vec![Some(relu_backward(&v[0], g))], tol);
    assert_op("relu via y", &[x.clone()], |v| v[0].relu(), |v, g| vec![Some(relu_backward(&v[0].relu(), g))], tol);
    assert_op("leaky_relu", &[x.clone()], |v| leaky_relu(&v[0], 0.2), |v, g| vec![Some(leaky_relu_backward(&v[0], g, 0.2))], tol);
    assert_op("abs", &[x.clone()], |v| v[0].abs(), |v, g| vec![Some(abs_backward(&v[0], g))], tol);
    let x = sample_range(&[2, 3, 4], 2, -3.0, 3.0);
    assert_op("sigmoid", &[x.clone()], |v| v[0].sigmoid(), |v, g| vec![Some(sigmoid_backward(&v[0].sigmoid(), g))], tol);
    assert_op("tanh", &[x.clone()], |v| v[0].tanh(), |v, g| vec![Some(tanh_backward(&v[0].tanh(), g))], tol);
    assert_op("gelu", &[x.clone()], |v| gelu(&v[0]), |v, g| vec![Some(gelu_backward(&v[0], g))], tol);
    assert_op("exp", &[x.clone()], |v| v[0].exp(), |v, g| vec![Some(exp_backward(&v[0].exp(), g))], tol);
    let pos = sample_range(&[4, 3], 3, 0.5, 2.0);
    assert_op("log", &[pos.clone()], |v| v[0].log(), |v, g| vec![Some(log_backward(&v[0], g))], tol);
    assert_op("sqrt", &[pos.clone()], |v| v[0].sqrt(), |v, g| vec![Some(sqrt_backward(&v[0].sqrt(), g))], tol);
    for p in [3.0f32, 2.0, 0.5, -1.0, -1.5] {
        assert_op(&format!("pow {p}"), &[pos.clone()], |v| v[0].pow(p), |v, g| vec![Some(pow_backward(&v[0], g, p))], tol);
    }
    assert_op("pow 3 on negatives", &[x.clone()], |v| v[0].pow(3.0), |v, g| vec![Some(pow_backward(&v[0], g, 3.0))], tol);
}

#[test]
fn a_wrong_backward_fails_the_check() {
    let x = sample_range(&[2, 3], 4, -2.0, 2.0);
    // tanh's derivative from the input instead of the output: wrong except near 0.
    let r = super::gradcheck::check_op("tanh", &[x], |v| v[0].tanh(), |v, g| vec![Some(tanh_backward(&v[0], g))], Tolerance::default());
    let msg = r.unwrap_err();
    assert!(msg.contains("tanh: ∂L/∂input0[") && msg.contains("central differences"), "{msg}");
    // A gradient of the wrong shape is reported, not compared.
    let r = super::gradcheck::check_op("x", &[Tensor::ones(&[2])], |v| v[0].clone(), |_, _| vec![Some(Tensor::ones(&[3]))], Tolerance::default());
    assert!(r.unwrap_err().contains("shape [3]"));
}

#[test]
fn values_match_pytorch() {
    // torch.erf(torch.tensor([0., 0.5, -2.])).tolist()
    assert_eq!(erf(&t(&[0.0, 0.5, -2.0])).to_vec::<f32>(), [0.0, 0.520_499_9, -0.995_322_3]);
    // F.gelu(x).backward(g) for x = [-3, -1, -0.25, 0, 0.7, 2.5], g = [1, 2, -1, 1, 0.5, 1]
    let x = t(&[-3.0, -1.0, -0.25, 0.0, 0.7, 2.5]);
    let g = t(&[1.0, 2.0, -1.0, 1.0, 0.5, 1.0]);
    let want = t(&[-0.011945605, -0.16663086, -0.3046267, 0.5, 0.48830706, 1.0376110]);
    assert!(gelu_backward(&x, &g).allclose(&want, 1e-6, 1e-7));
    // relu at 0 and NaN: torch.relu(tensor([1., nan, 0.])).backward(ones(3)) gives [1, 1, 0]
    assert_eq!(relu_backward(&t(&[1.0, f32::NAN, 0.0]), &Tensor::ones(&[3])).to_vec::<f32>(), [1.0, 1.0, 0.0]);
    // leaky_relu at 0 takes the slope; abs at 0 gives 0; sqrt at 0 gives inf; pow(x, 0) gives 0.
    assert_eq!(leaky_relu_backward(&t(&[0.0, -1.0, 1.0]), &Tensor::ones(&[3]), 0.1).to_vec::<f32>(), [0.1, 0.1, 1.0]);
    assert_eq!(abs_backward(&t(&[0.0, -1.0, 1.0]), &Tensor::ones(&[3])).to_vec::<f32>(), [0.0, -1.0, 1.0]);
    assert_eq!(sqrt_backward(&t(&[0.0, 2.0]), &Tensor::ones(&[2])).to_vec::<f32>(), [f32::INFINITY, 0.25]);
    assert_eq!(pow_backward(&t(&[0.0, -1.0, 2.0]), &Tensor::ones(&[3]), 0.0).to_vec::<f32>(), [0.0; 3]);
    // x.pow(-1.).sum().backward() at [0, -1, 2] gives [-inf, -1, -0.25]
    assert_eq!(pow_backward(&t(&[0.0, -1.0, 2.0]), &Tensor::ones(&[3]), -1.0).to_vec::<f32>(), [f32::NEG_INFINITY, -1.0, -0.25]);
}

#[test]
#[should_panic(expected = "sigmoid_backward: y has shape [2, 3] but grad has shape [3]")]
fn unary_backward_rejects_mismatched_shapes() {
    sigmoid_backward(&Tensor::zeros(&[2, 3]), &Tensor::zeros(&[3]));
}

#[test]
fn unary_backward_reads_strided_views() {
    let y = Tensor::arange(6.0).reshape([2, 3]).t();
    let g = Tensor::ones(&[3, 2]);
    assert_eq!(exp_backward(&y, &g).to_vec::<f32>(), y.to_vec::<f32>());
}

#[test]
fn binary_backward_matches_finite_differences_with_broadcasting() {
    let tol = Tolerance::default();
    let cases: [(&[usize], &[usize]); 5] = [(&[2, 3], &[2, 3]), (&[2, 3], &[3]), (&[2, 1, 3], &[4, 1]), (&[], &[2, 2]), (&[3, 1], &[1, 4])];
    for (k, (sa, sb)) in cases.into_iter().enumerate() {
        let a = sample_range(sa, 10 + k as u64, 0.5, 1.5);
        let b = sample_range(sb, 20 + k as u64, 0.5, 1.5);
        let ab = [a.clone(), b.clone()];
        assert_op("add", &ab, |v| v[0].add(&v[1]), |v, g| {
            let (x, y) = add_backward(v[0].shape(), v[1].shape(), g, true, true);
            vec![x, y]
        }, tol);
        assert_op("sub", &ab, |v| v[0].sub(&v[1]), |v, g| {
            let (x, y) = sub_backward(v[0].shape(), v[1].shape(), g, true, true);
            vec![x, y]
        }, tol);
        assert_op("mul", &ab, |v| v[0].mul(&v[1]), |v, g| {
            let (x, y) = mul_backward(&v[0], &v[1], g, true, true);
            vec![x, y]
        }, tol);
        assert_op("div", &ab, |v| v[0].div(&v[1]), |v, g| {
            let (x, y) = div_backward(&v[0], &v[1], g, true, true);
            vec![x, y]
        }, tol);
    }
}

#[test]
fn binary_backward_computes_only_what_is_asked() {
    let (a, b) = (Tensor::ones(&[2, 3]), Tensor::ones(&[3]));
    let g = Tensor::ones(&[2, 3]);
    let (ga, gb) = mul_backward(&a, &b, &g, false, true);
    assert!(ga.is_none());
    assert_eq!(gb.unwrap().to_vec::<f32>(), [2.0; 3]);
    let (ga, gb) = div_backward(&a, &b, &g, true, false);
    assert!(gb.is_none() && ga.is_some());
}

#[test]
#[should_panic(expected = "operands of shapes [2, 3] and [3] give an output of shape [2, 3], but the gradient has shape [3]")]
fn binary_backward_rejects_a_gradient_of_the_wrong_shape() {
    add_backward(&[2, 3], &[3], &Tensor::zeros(&[3]), true, true);
}

#[test]
fn sum_to_shape_reduces_broadcast_dims() {
    let g = Tensor::arange(24.0).reshape([2, 3, 4]);
    // torch.arange(24.).reshape(2,3,4).sum_to_size(3, 1).flatten().tolist()
    assert_eq!(sum_to_shape(&g, &[3, 1]).to_vec::<f32>(), [60.0, 92.0, 124.0]);
    assert_eq!(sum_to_shape(&g, &[1, 4]).to_vec::<f32>(), [60.0, 66.0, 72.0, 78.0]);
    assert_eq!(sum_to_shape(&g, &[2, 1, 1]).to_vec::<f32>(), [66.0, 210.0]);
    assert_eq!(sum_to_shape(&g, &[]).item(), 276.0);
    assert_eq!(sum_to_shape(&g, &[1, 1, 1]).to_vec::<f32>(), [276.0]);
    // Equal shapes: the same tensor, no copy.
    assert!(sum_to_shape(&g, &[2, 3, 4]).shares_storage(&g));
    // An expanded (stride-0) gradient.
    let e = Tensor::ones(&[4]).expand([3, 4]);
    assert_eq!(sum_to_shape(&e, &[4]).to_vec::<f32>(), [3.0; 4]);
}

#[test]
#[should_panic(expected = "sum_to_shape: size [3] is not expandable to size [2, 4]")]
fn sum_to_shape_rejects_incompatible_shapes() {
    sum_to_shape(&Tensor::zeros(&[2, 4]), &[3]);
}

#[test]
fn accumulate_adds_in_place_only_into_private_tensors() {
    let mut acc = None;
    let first = Tensor::ones(&[2]);
    let seen = first.shallow_clone();
    accumulate(&mut acc, first);
    accumulate(&mut acc, Tensor::ones(&[2]));
    // `seen` still shares the storage, so the sum went to a new tensor.
    assert_eq!(seen.to_vec::<f32>(), [1.0, 1.0]);
    assert_eq!(acc.as_ref().unwrap().to_vec::<f32>(), [2.0, 2.0]);
    // Now `acc` is private: added in place.
    let ptr = acc.as_ref().unwrap().with_slice(|s: &[f32]| s.as_ptr());
    accumulate(&mut acc, Tensor::ones(&[2]));
    assert_eq!(acc.as_ref().unwrap().with_slice(|s: &[f32]| s.as_ptr()), ptr);
    assert_eq!(acc.unwrap().to_vec::<f32>(), [3.0, 3.0]);
    // A broadcast view is never written into.
    let base = Tensor::ones(&[1]);
    let mut acc = Some(base.expand([3]));
    accumulate(&mut acc, Tensor::ones(&[3]));
    assert_eq!((base.to_vec::<f32>(), acc.unwrap().to_vec::<f32>()), (vec![1.0], vec![2.0; 3]));
}

#[test]
#[should_panic(expected = "accumulate: the gradient so far has shape [2] but the new contribution has shape [3]")]
fn accumulate_rejects_mismatched_shapes() {
    let mut acc = Some(Tensor::ones(&[2]));
    accumulate(&mut acc, Tensor::ones(&[3]));
}
