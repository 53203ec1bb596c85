//! Tests; operands are borrowed on purpose (the `&Tensor` forms are what they test).
#![allow(clippy::needless_borrows_for_generic_args, clippy::excessive_precision)]

use crate::tensor::{DType, Tensor};

fn f(v: &[f32]) -> Tensor {
    Tensor::from_slice(v, &[v.len()])
}

fn close(a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-6 * (1.0 + y.abs()), "{a:?} vs {b:?}");
    }
}

#[test]
fn transcendental_values_match_torch() {
    // torch.sigmoid(torch.tensor([-3., 0.5, 20.]))
    close(&f(&[-3.0, 0.5, 20.0]).sigmoid().to_vec(), &[0.047_425_874, 0.622_459_34, 1.0]);
    // torch.tanh(torch.tensor([-3., 0.5]))
    close(&f(&[-3.0, 0.5]).tanh().to_vec(), &[-0.995_054_8, 0.462_117_16]);
    // torch.expm1(torch.tensor([1e-5, 1.])), torch.log1p(torch.tensor([1e-5, 1.]))
    close(&f(&[1e-5, 1.0]).expm1().to_vec(), &[1.000_005e-5, 1.718_281_9]);
    close(&f(&[1e-5, 1.0]).log1p().to_vec(), &[9.999_95e-6, std::f32::consts::LN_2]);
    close(&f(&[0.0, 1.0]).exp().to_vec(), &[1.0, std::f32::consts::E]);
    close(&f(&[1.0, 4.0]).log().to_vec(), &[0.0, 4f32.ln()]);
    close(&f(&[4.0, 9.0]).sqrt().to_vec(), &[2.0, 3.0]);
    close(&f(&[4.0]).rsqrt().to_vec(), &[0.5]);
    close(&f(&[0.0]).sin().to_vec(), &[0.0]);
    close(&f(&[0.0]).cos().to_vec(), &[1.0]);
    close(&f(&[4.0, -0.5]).reciprocal().to_vec(), &[0.25, -2.0]);
}

#[test]
fn sigmoid_is_stable_at_extremes() {
    let s = f(&[-1000.0, 1000.0, -88.0]).sigmoid().to_vec::<f32>();
    assert_eq!(&s[..2], [0.0, 1.0]);
    assert!(s[2] > 0.0 && s[2].is_finite());
}

#[test]
fn integer_inputs_promote_for_float_ops() {
    // torch.tensor([1, 5]).sqrt() -> float32 [1.0000, 2.2361]
    let r = Tensor::from_slice(&[1i64, 5], &[2]).sqrt();
    assert_eq!(r.dtype(), DType::F32);
    close(&r.to_vec(), &[1.0, 5f32.sqrt()]);
    assert_eq!(Tensor::from_slice(&[true], &[1]).exp().dtype(), DType::F32);
}

#[test]
#[should_panic(expected = "result type Float can't be cast to the desired output type Long")]
fn float_op_in_place_on_integers_panics() {
    Tensor::arange_i64(3).exp_();
}

#[test]
fn dtype_preserving_ops() {
    let i = Tensor::from_slice(&[1i64, -2, 0], &[3]);
    assert_eq!(i.abs().to_vec::<i64>(), [1, 2, 0]);
    assert_eq!(i.neg().to_vec::<i64>(), [-1, 2, 0]);
    assert_eq!(i.sign().to_vec::<i64>(), [1, -1, 0]);
    assert_eq!(i.square().to_vec::<i64>(), [1, 4, 0]);
    assert_eq!(i.relu().to_vec::<i64>(), [1, 0, 0]);
    // torch.tensor([True]).square() -> tensor([1]) (int64)
    assert_eq!(Tensor::from_slice(&[true], &[1]).square().dtype(), DType::I64);
    let x = f(&[f32::NAN, -0.0, 2.0, -3.0]);
    // torch.sign(torch.tensor([nan, -0., 2., -3.])) -> [0., 0., 1., -1.]
    assert_eq!(x.sign().to_vec::<f32>(), [0.0, 0.0, 1.0, -1.0]);
    let r = x.relu().to_vec::<f32>();
    assert!(r[0].is_nan(), "relu keeps NaN");
    assert_eq!(&r[1..], [0.0, 2.0, 0.0]);
}

#[test]
#[should_panic(expected = "Negation, the `-` operator, on a bool tensor is not supported")]
fn negating_a_mask_panics() {
    let _ = -&Tensor::from_slice(&[true], &[1]);
}

#[test]
fn clamp_rules() {
    let x = f(&[f32::NAN, -1.0, 0.5, 5.0]);
    let c = x.clamp(0.0, 1.0).to_vec::<f32>();
    assert!(c[0].is_nan());
    assert_eq!(&c[1..], [0.0, 0.5, 1.0]);
    // torch.clamp(x, 2, 1): max wins when min > max
    assert_eq!(f(&[0.5, 5.0]).clamp(2.0, 1.0).to_vec::<f32>(), [1.0, 1.0]);
    assert_eq!(f(&[0.5, 5.0]).clamp_min(1.0).to_vec::<f32>(), [1.0, 5.0]);
    assert_eq!(f(&[0.5, 5.0]).clamp_max(1.0).to_vec::<f32>(), [0.5, 1.0]);
    let i = Tensor::from_slice(&[1i64, -2], &[2]);
    assert_eq!(i.clamp(0, 1).to_vec::<i64>(), [1, 0]);
    // torch.tensor([1, -2]).clamp(0.5, 1) -> float [1.0, 0.5]
    let fc = i.clamp(0.5, 1);
    assert_eq!((fc.dtype(), fc.to_vec::<f32>()), (DType::F32, vec![1.0, 0.5]));
}

#[test]
fn in_place_unary_through_strided_views() {
    let x = Tensor::from_slice(&[-1.0f32, 2.0, -3.0, 4.0, -5.0, 6.0], &[2, 3]);
    let col = x.view_with(vec![2], vec![3], 0); // x[:, 0]
    col.relu_();
    assert_eq!(x.to_vec::<f32>(), [0.0, 2.0, -3.0, 4.0, -5.0, 6.0]);
    x.view_with(vec![3, 2], vec![1, 3], 0).clamp_(-1.0, 3.0); // x.t().clamp_()
    assert_eq!(x.to_vec::<f32>(), [0.0, 2.0, -1.0, 3.0, -1.0, 3.0]);
    x.abs_();
    x.square_();
    x.neg_();
    assert_eq!(x.to_vec::<f32>(), [0.0, -4.0, -1.0, -9.0, -1.0, -9.0]);
    x.exp_();
    assert_eq!(x.to_vec::<f32>()[0], 1.0);
}

#[test]
#[should_panic(expected = "result type Float can't be cast to the desired output type Long")]
fn int_clamp_in_place_with_float_bounds_panics() {
    Tensor::arange_i64(3).clamp_(0.5, 1.5);
}

#[test]
fn large_unary_runs_parallel_and_matches_serial() {
    let n = 2 * fusenet_kernels::cpu::parallel::PAR_THRESHOLD + 1;
    let x = Tensor::arange(n as f32).mul(1e-5);
    let y = x.exp().to_vec::<f32>();
    let xs = x.to_vec::<f32>();
    assert!(y.iter().zip(&xs).all(|(a, b)| *a == b.exp()));
}
