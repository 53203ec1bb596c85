//! Tests; operands are borrowed on purpose (the `&Tensor` forms are what they test).
#![allow(clippy::needless_borrows_for_generic_args, clippy::excessive_precision)]

use crate::tensor::{DType, Tensor};

fn f(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_slice(v, shape)
}

#[test]
fn comparisons_with_scalars_and_broadcasting() {
    let x = f(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    assert_eq!(x.gt(2.0).to_vec::<bool>(), [false, false, true, true]);
    assert_eq!(x.ge(2.0).to_vec::<bool>(), [false, true, true, true]);
    assert_eq!(x.lt(2).to_vec::<bool>(), [true, false, false, false]);
    assert_eq!(x.le(2).to_vec::<bool>(), [true, true, false, false]);
    assert_eq!(x.eq(&f(&[1.0, 4.0], &[2])).to_vec::<bool>(), [true, false, false, true]);
    assert_eq!(x.ne(&f(&[1.0, 4.0], &[2, 1])).to_vec::<bool>(), [false, true, true, false]);
    assert_eq!(x.gt(2.0).dtype(), DType::Bool);
    // mixed dtypes compare in the promoted dtype: tensor([1., 2.]) == tensor([1, 2])
    let i = Tensor::from_slice(&[1i64, 3], &[2]);
    assert_eq!(f(&[1.0, 2.5], &[2]).eq(&i).to_vec::<bool>(), [true, false]);
    assert_eq!(i.lt(2.5).to_vec::<bool>(), [true, false]);
    // NaN is unequal to everything, itself included
    let n = f(&[f32::NAN], &[1]);
    assert_eq!((n.eq(&n).to_vec::<bool>(), n.ne(&n).to_vec::<bool>()), (vec![false], vec![true]));
    // a transposed view against its base
    let t = x.view_with(vec![2, 2], vec![1, 2], 0);
    assert_eq!(x.eq(&t).to_vec::<bool>(), [true, false, false, true]);
}

#[test]
fn logical_ops() {
    let a = Tensor::from_slice(&[true, true, false, false], &[4]);
    let b = Tensor::from_slice(&[true, false, true, false], &[4]);
    assert_eq!(a.logical_and(&b).to_vec::<bool>(), [true, false, false, false]);
    assert_eq!(a.logical_or(&b).to_vec::<bool>(), [true, true, true, false]);
    assert_eq!(a.logical_xor(&b).to_vec::<bool>(), [false, true, true, false]);
    assert_eq!(a.logical_not().to_vec::<bool>(), [false, false, true, true]);
    // non-bool inputs: non-zero is true
    assert_eq!(f(&[0.0, 2.0], &[2]).logical_and(1).to_vec::<bool>(), [false, true]);
    assert_eq!(f(&[0.0, f32::NAN], &[2]).isnan().to_vec::<bool>(), [false, true]);
}

#[test]
fn where_broadcasts_three_ways_and_promotes() {
    let mask = Tensor::from_slice(&[true, false], &[2, 1]);
    let a = f(&[1.0, 2.0, 3.0], &[3]);
    let y = Tensor::where_cond(&mask, &a, -1.0);
    assert_eq!(y.shape(), &[2, 3]);
    assert_eq!(y.to_vec::<f32>(), [1.0, 2.0, 3.0, -1.0, -1.0, -1.0]);
    // torch.where(torch.tensor([True, False]), torch.tensor([1, 2]), 0.5) -> [1.0, 0.5]
    let m = Tensor::from_slice(&[true, false], &[2]);
    let w = Tensor::where_cond(&m, &Tensor::from_slice(&[1i64, 2], &[2]), 0.5);
    assert_eq!((w.dtype(), w.to_vec::<f32>()), (DType::F32, vec![1.0, 0.5]));
}

#[test]
#[should_panic(expected = "where expected condition to be a boolean tensor")]
fn where_needs_a_bool_mask() {
    let _ = Tensor::where_cond(&Tensor::ones(&[2]), 1.0, 0.0);
}

#[test]
fn masked_fill_out_of_place_and_in_place() {
    let x = f(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let mask = Tensor::from_slice(&[false, true], &[2]);
    assert_eq!(x.masked_fill(&mask, 0.0).to_vec::<f32>(), [1.0, 0.0, 3.0, 0.0]);
    assert_eq!(x.to_vec::<f32>(), [1.0, 2.0, 3.0, 4.0], "out of place");
    // torch.ones(2).masked_fill(torch.tensor([[True], [False]]), 0) broadcasts to [2, 2]
    let m2 = Tensor::from_slice(&[true, false], &[2, 1]);
    assert_eq!(Tensor::ones(&[2]).masked_fill(&m2, 0.0).shape(), &[2, 2]);
    x.masked_fill_(&x.gt(2.5), -1.0);
    assert_eq!(x.to_vec::<f32>(), [1.0, 2.0, -1.0, -1.0]);
    let i = Tensor::arange_i64(3);
    assert_eq!(i.masked_fill(&i.eq(1), 9.7).to_vec::<i64>(), [0, 9, 2], "value takes self's dtype");
}

#[test]
#[should_panic(expected = "masked_fill_ only supports boolean masks")]
fn masked_fill_needs_a_bool_mask() {
    let _ = Tensor::ones(&[2]).masked_fill(&Tensor::arange_i64(2), 3.0);
}

#[test]
fn equal_and_allclose() {
    let a = f(&[1.0, 2.0], &[2]);
    assert!(a.equal(&Tensor::from_slice(&[1i64, 2], &[2])));
    assert!(!a.equal(&f(&[1.0, 2.0], &[1, 2])), "shapes must match");
    assert!(!a.equal(&f(&[1.0, 2.5], &[2])));
    assert!(a.allclose(&f(&[1.000_001, 2.0], &[2]), 1e-5, 1e-8));
    assert!(!a.allclose(&f(&[1.1, 2.0], &[2]), 1e-5, 1e-8));
    let inf = f(&[f32::INFINITY, f32::NAN], &[2]);
    assert_eq!(inf.isclose(&inf, 1e-5, 1e-8).to_vec::<bool>(), [true, false]);
    assert!(a.allclose(&f(&[1.0, 2.0], &[1, 2]), 0.0, 0.0), "allclose broadcasts");
}

#[test]
fn mask_sum_counts() {
    let x = Tensor::arange(10.0);
    let c = x.gt(6.5).sum();
    assert_eq!((c.dtype(), c.item_i64()), (DType::I64, 3));
}
