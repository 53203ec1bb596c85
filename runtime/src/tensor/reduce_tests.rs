//! Tests; operands are borrowed on purpose (the `&Tensor` forms are what they test).
#![allow(clippy::needless_borrows_for_generic_args, clippy::excessive_precision)]

use crate::tensor::{DType, Tensor};

/// torch.tensor([[1.5, -2.0, 3.25], [0.0, 7.0, -1.0]])
fn x() -> Tensor {
    Tensor::from_slice(&[1.5f32, -2.0, 3.25, 0.0, 7.0, -1.0], &[2, 3])
}

fn close(a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (p, q) in a.iter().zip(b) {
        assert!((p - q).abs() <= 1e-6 * (1.0 + q.abs()), "{a:?} vs {b:?}");
    }
}

#[test]
fn sums_over_all_and_dims() {
    let x = x();
    assert_eq!(x.sum().item(), 8.75);
    assert_eq!(x.sum().shape(), &[] as &[usize]);
    assert_eq!(x.sum_dim(0, false).to_vec::<f32>(), [1.5, 5.0, 2.25]);
    assert_eq!(x.sum_dim(-1, false).to_vec::<f32>(), [2.75, 6.0]);
    assert_eq!(x.sum_dim(1, true).shape(), &[2, 1]);
    assert_eq!(x.sum_dim(-2, true).shape(), &[1, 3]);
    let i = Tensor::arange_i64(6);
    assert_eq!((i.sum().dtype(), i.sum().item_i64()), (DType::I64, 15));
    let b = Tensor::from_slice(&[true, true, false, true], &[2, 2]);
    assert_eq!(b.sum_dim(0, false).to_vec::<i64>(), [1, 2]);
    assert_eq!(Tensor::zeros(&[0]).sum().item(), 0.0);
    assert_eq!(Tensor::zeros(&[2, 0]).sum_dim(1, false).to_vec::<f32>(), [0.0, 0.0]);
    // a 0-d tensor reduces over dim 0 (or -1) to itself: torch.tensor(5.).sum(0)
    assert_eq!(Tensor::scalar(5.0).sum_dim(0, false).item(), 5.0);
    assert_eq!(Tensor::scalar(5.0).sum_dim(-1, true).shape(), &[] as &[usize]);
}

#[test]
#[should_panic(expected = "Dimension out of range (expected to be in range of [-2, 1], but got -3)")]
fn bad_dim_panics_like_torch() {
    let _ = x().sum_dim(-3, false);
}

#[test]
fn reductions_on_strided_views() {
    let x = x();
    let t = x.view_with(vec![3, 2], vec![1, 3], 0); // x.t()
    assert_eq!(t.sum_dim(1, false).to_vec::<f32>(), [1.5, 5.0, 2.25]);
    assert_eq!(t.max_dim(0, false).1.to_vec::<i64>(), [2, 1]);
    assert_eq!(t.argmax().item_i64(), 3, "flat index in t's logical order");
    // stride-0 expand: torch.tensor([1., 2.]).expand(3, 2).sum(0) -> [3., 6.]
    let e = Tensor::from_slice(&[1.0f32, 2.0], &[2]);
    let ex = e.view_with(vec![3, 2], vec![0, 1], 0);
    assert_eq!(ex.sum_dim(0, false).to_vec::<f32>(), [3.0, 6.0]);
    assert_eq!(ex.sum().item(), 9.0);
}

#[test]
fn mean_prod_var_std_match_torch() {
    let x = x();
    assert_eq!(x.mean().item(), 8.75 / 6.0);
    assert_eq!(x.mean_dim(0, true).to_vec::<f32>(), [0.75, 2.5, 1.125]);
    // x.prod(1) -> [-9.75, -0.0]
    assert_eq!(x.prod_dim(1, false).to_vec::<f32>(), [-9.75, -0.0]);
    assert_eq!(Tensor::arange_i64(5).add(1).prod().item_i64(), 120);
    assert_eq!(Tensor::zeros(&[0]).prod().item(), 1.0);
    // x.var(0) -> [1.125, 40.5, 9.03125]; x.std(1, unbiased=False); x.var()
    assert_eq!(x.var_dim(0, true, false).to_vec::<f32>(), [1.125, 40.5, 9.031_25]);
    close(&x.std_dim(1, false, false).to_vec(), &[2.182_633_4, 3.559_026]);
    close(&[x.var(true).item()], &[10.810_416]);
    assert!(Tensor::ones(&[1]).var(true).item().is_nan(), "n - 1 = 0 gives NaN, as torch");
    assert!(Tensor::zeros(&[0]).mean().item().is_nan());
}

#[test]
#[should_panic(expected = "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Long")]
fn integer_mean_panics() {
    let _ = Tensor::arange_i64(3).mean();
}

#[test]
fn max_min_argmax_with_ties_nan_and_keepdim() {
    let x = x();
    assert_eq!((x.max().item(), x.min().item()), (7.0, -2.0));
    assert_eq!((x.argmax().item_i64(), x.argmin().item_i64()), (4, 1));
    let (v, i) = x.max_dim(0, false);
    assert_eq!((v.to_vec::<f32>(), i.to_vec::<i64>()), (vec![1.5, 7.0, 3.25], vec![0, 1, 0]));
    let (v, i) = x.min_dim(-1, true);
    assert_eq!((v.shape(), v.to_vec::<f32>(), i.to_vec::<i64>()), (&[2usize, 1][..], vec![-2.0, -1.0], vec![1, 2]));
    assert_eq!(x.argmax_dim(1, false).to_vec::<i64>(), [2, 1]);
    assert_eq!(x.argmin_dim(0, true).shape(), &[1, 3]);
    // ties: the first one wins (torch.tensor([3, 1, 3]).argmax() -> 0)
    assert_eq!(Tensor::from_slice(&[3i64, 1, 3], &[3]).argmax().item_i64(), 0);
    // NaN propagates and its first index wins: torch.tensor([1., nan, 2., nan]).argmax() -> 1
    let n = Tensor::from_slice(&[1.0f32, f32::NAN, 2.0, f32::NAN], &[4]);
    assert!(n.max().item().is_nan());
    assert_eq!((n.argmax().item_i64(), n.argmin().item_i64()), (1, 1));
    assert!(Tensor::from_slice(&[true, false], &[2]).max().item_bool());
    let (v, i) = Tensor::scalar(5.0).max_dim(0, false);
    assert_eq!((v.item(), i.item_i64()), (5.0, 0));
}

#[test]
#[should_panic(expected = "max(): Expected reduction dim to be specified for input.numel() == 0")]
fn max_of_empty_panics() {
    let _ = Tensor::zeros(&[0]).max();
}

#[test]
#[should_panic(expected = "max(): Expected reduction dim 1 to have non-zero size.")]
fn max_over_empty_dim_panics() {
    let _ = Tensor::zeros(&[2, 0]).max_dim(1, false);
}

#[test]
fn item_conversions() {
    assert_eq!(Tensor::from_scalar(3i64).item(), 3.0);
    assert_eq!(Tensor::scalar(-2.7).item_i64(), -2);
    assert!(Tensor::ones(&[1, 1]).item_bool());
    assert!(!Tensor::zeros(&[1]).item_bool());
}

#[test]
#[should_panic(expected = "a Tensor with 6 elements cannot be converted to Scalar")]
fn item_of_many_panics() {
    let _ = x().item();
}

#[test]
fn softmax_and_log_softmax_match_torch() {
    let x = x();
    // x.softmax(1)
    close(
        &x.softmax(1).to_vec(),
        &[0.147_388_28, 0.004_450_740_3, 0.848_160_98, 0.000_910_746, 0.998_754_26, 0.000_335_044_72],
    );
    // x.log_softmax(0): a non-last dim, so the lanes are strided
    close(
        &x.log_softmax(0).to_vec(),
        &[-0.201_413_33, -9.000_123, -0.014_163_45, -1.701_413_4, -0.000_123_374, -4.264_163_5],
    );
    let big = Tensor::from_slice(&[1000.0f32, 0.0], &[2]);
    assert_eq!(big.softmax(0).to_vec::<f32>(), [1.0, 0.0]);
    assert_eq!(big.log_softmax(-1).to_vec::<f32>(), [0.0, -1000.0]);
    let p = Tensor::randn(&[3, 4, 5]).softmax(1);
    assert_eq!(p.shape(), &[3, 4, 5]);
    close(&p.sum_dim(1, false).to_vec(), &[1.0; 15]);
    assert_eq!(Tensor::scalar(3.0).softmax(0).item(), 1.0);
}

#[test]
fn large_reductions_are_accurate() {
    let n = 1 << 20;
    let x = Tensor::full(&[n], 0.1);
    // f64 accumulation: the error is the rounding of 0.1f32 itself, not of the running sum
    let want = (0.1f32 as f64 * n as f64) as f32;
    assert_eq!(x.sum_all(), want);
    let m = Tensor::arange(n as f32).reshape(&[1024, 1024]);
    let rows = m.sum_dim(1, false).to_vec::<f32>();
    assert_eq!(rows[3], (3 * 1024 * 1024 + 1023 * 1024 / 2) as f32);
    assert_eq!(m.argmax().item_i64(), n as i64 - 1);
}
