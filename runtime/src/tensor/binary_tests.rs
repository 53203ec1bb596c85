//! Tests; operands are borrowed on purpose (the `&Tensor` forms are what they test).
#![allow(clippy::needless_borrows_for_generic_args, clippy::excessive_precision)]

use super::*;
use crate::tensor::DType;

fn f(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_slice(v, shape)
}

fn i(v: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_slice(v, shape)
}

/// The transpose of a contiguous 2-D tensor, as a strided view.
fn transposed(x: &Tensor) -> Tensor {
    let (r, c) = (x.shape()[0], x.shape()[1]);
    x.view_with(vec![c, r], vec![1, c as isize], x.storage_offset())
}

#[test]
fn broadcast_shapes_rules() {
    assert_eq!(broadcast_shapes(&[2, 3], &[3]), vec![2, 3]);
    assert_eq!(broadcast_shapes(&[2, 1], &[1, 3]), vec![2, 3]);
    assert_eq!(broadcast_shapes(&[], &[2, 2]), vec![2, 2]);
    assert_eq!(broadcast_shapes(&[0, 1], &[3]), vec![0, 3]);
    assert_eq!(broadcast_shapes(&[5, 1, 4], &[2, 1]), vec![5, 2, 4]);
}

#[test]
#[should_panic(expected = "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1 (shapes [2, 3] and [4])")]
fn broadcast_mismatch_names_both_shapes() {
    let _ = Tensor::ones(&[2, 3]).add(&Tensor::ones(&[4]));
}

#[test]
fn add_broadcasts_rank_and_size_one_dims() {
    let a = f(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let row = f(&[10.0, 20.0, 30.0], &[3]);
    assert_eq!(a.add(&row).to_vec::<f32>(), [11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
    let col = f(&[100.0, 200.0], &[2, 1]);
    assert_eq!(a.add(&col).to_vec::<f32>(), [101.0, 102.0, 103.0, 204.0, 205.0, 206.0]);
    // [2,1] + [1,3] -> [2,3] (both sides broadcast)
    let outer = col.add(&f(&[1.0, 2.0, 3.0], &[1, 3]));
    assert_eq!(outer.shape(), &[2, 3]);
    assert_eq!(outer.to_vec::<f32>(), [101.0, 102.0, 103.0, 201.0, 202.0, 203.0]);
    // 0-d scalar tensor on either side
    let s = Tensor::scalar(0.5);
    assert_eq!(s.mul(&a).shape(), &[2, 3]);
    assert_eq!(a.mul(&s).to_vec::<f32>()[5], 3.0);
    assert_eq!(s.add(&s).shape(), &[] as &[usize]);
}

#[test]
fn zero_size_dims_broadcast_to_empty() {
    let e = Tensor::zeros(&[0, 3]);
    let r = e.add(&Tensor::ones(&[3]));
    assert_eq!((r.shape(), r.numel()), (&[0usize, 3][..], 0));
    assert_eq!(Tensor::ones(&[2, 0]).mul(2.0).shape(), &[2, 0]);
}

#[test]
fn strided_and_expanded_operands() {
    let a = f(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let at = transposed(&a); // [[1,4],[2,5],[3,6]]
    let b = f(&[1.0, 1.0, 1.0, 1.0, 1.0, 1.0], &[3, 2]);
    assert_eq!(at.add(&b).to_vec::<f32>(), [2.0, 5.0, 3.0, 6.0, 4.0, 7.0]);
    assert_eq!(at.sub(&at).to_vec::<f32>(), [0.0; 6]);
    // stride-0 expand of a single row, and an offset view (the second row of `a`)
    let row = a.view_with(vec![3], vec![1], 3);
    let expanded = row.view_with(vec![2, 3], vec![0, 1], 3);
    assert_eq!(expanded.mul(&a).to_vec::<f32>(), [4.0, 10.0, 18.0, 16.0, 25.0, 36.0]);
    // a column slice with a gap: a[:, ::2]
    let gap = a.view_with(vec![2, 2], vec![3, 2], 0);
    assert_eq!(gap.mul(10.0).to_vec::<f32>(), [10.0, 30.0, 40.0, 60.0]);
}

#[test]
fn dtype_promotion_follows_torch() {
    let x = i(&[1, 2, 3], &[3]);
    let y = f(&[0.5, 0.5, 0.5], &[3]);
    assert_eq!(x.add(&x).dtype(), DType::I64);
    assert_eq!(x.add(&y).dtype(), DType::F32);
    assert_eq!(x.add(&y).to_vec::<f32>(), [1.5, 2.5, 3.5]);
    assert_eq!(x.add(1).dtype(), DType::I64);
    assert_eq!(x.add(1.0).dtype(), DType::F32);
    // torch.tensor([1,2,3]) / torch.tensor([2,2,2]) is true division in float32
    let q = x.div(&i(&[2, 2, 2], &[3]));
    assert_eq!((q.dtype(), q.to_vec::<f32>()), (DType::F32, vec![0.5, 1.0, 1.5]));
    // bool: + is or, * is and; bool + int scalar is int64
    let m = Tensor::from_slice(&[true, false], &[2]);
    let n = Tensor::from_slice(&[true, true], &[2]);
    assert_eq!(m.add(&n).to_vec::<bool>(), [true, true]);
    assert_eq!(m.mul(&n).to_vec::<bool>(), [true, false]);
    assert_eq!(m.add(1).to_vec::<i64>(), [2, 1]);
    // torch.tensor([True, False]) / torch.tensor([True, True]) -> tensor([1., 0.])
    assert_eq!(m.div(&n).to_vec::<f32>(), [1.0, 0.0]);
}

#[test]
#[should_panic(expected = "Subtraction, the `-` operator, with two bool tensors is not supported")]
fn bool_subtraction_panics() {
    let m = Tensor::from_slice(&[true], &[1]);
    let _ = m.sub(&m);
}

#[test]
fn integer_arithmetic_wraps_and_pows() {
    let x = i(&[i64::MAX, 3, -2], &[3]);
    assert_eq!(x.add(1).to_vec::<i64>()[0], i64::MIN);
    assert_eq!(x.pow(2).to_vec::<i64>()[1..], [9, 4]);
    assert_eq!(i(&[1, -1], &[2]).pow(-3).to_vec::<i64>(), [1, -1]);
}

#[test]
#[should_panic(expected = "Integers to negative integer powers are not allowed.")]
fn integer_negative_power_panics() {
    let _ = i(&[2, 3], &[2]).pow(-1);
}

#[test]
fn maximum_minimum_pow_values() {
    let a = f(&[1.0, f32::NAN, -3.0], &[3]);
    let b = f(&[2.0, 0.0, -4.0], &[3]);
    let mx = a.maximum(&b).to_vec::<f32>();
    assert_eq!((mx[0], mx[2]), (2.0, -3.0));
    assert!(mx[1].is_nan(), "NaN propagates as torch.maximum");
    assert_eq!(a.minimum(&b).to_vec::<f32>()[2], -4.0);
    // torch.tensor([4., 9.]) ** torch.tensor([0.5, 2.]) -> [2., 81.]
    assert_eq!(f(&[4.0, 9.0], &[2]).pow(&f(&[0.5, 2.0], &[2])).to_vec::<f32>(), [2.0, 81.0]);
    assert_eq!(f(&[4.0, 9.0], &[2]).pow(0.5).to_vec::<f32>(), [2.0, 3.0]);
}

#[test]
fn in_place_ops_write_through_views() {
    let w = Tensor::zeros(&[2, 3]);
    let row = w.view_with(vec![3], vec![1], 3); // w[1]
    row.add_(1.0);
    assert_eq!(w.to_vec::<f32>(), [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    let col = w.view_with(vec![2], vec![3], 1); // w[:, 1]
    col.mul_(&f(&[5.0, 7.0], &[2]));
    col.add_(&Tensor::scalar(2.0));
    assert_eq!(w.to_vec::<f32>(), [0.0, 2.0, 0.0, 1.0, 9.0, 1.0]);
    let mut v = w.shallow_clone();
    v -= 1.0;
    v /= &Tensor::full(&[3], 2.0);
    assert_eq!(w.to_vec::<f32>(), [-0.5, 0.5, -0.5, 0.0, 4.0, 0.0]);
}

#[test]
fn in_place_with_aliasing_operand() {
    let x = f(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    x.add_(&x);
    assert_eq!(x.to_vec::<f32>(), [2.0, 4.0, 6.0, 8.0]);
    // x += x.t(): every read must see the old values
    x.add_(&transposed(&x));
    assert_eq!(x.to_vec::<f32>(), [4.0, 10.0, 10.0, 16.0]);
    // a shifted view of the same storage
    let y = Tensor::arange(4.0);
    let head = y.view_with(vec![3], vec![1], 0);
    let tail = y.view_with(vec![3], vec![1], 1);
    head.copy_(&tail);
    assert_eq!(y.to_vec::<f32>(), [1.0, 2.0, 3.0, 3.0]);
    let mut z = y.shallow_clone();
    z *= &y;
    assert_eq!(y.to_vec::<f32>(), [1.0, 4.0, 9.0, 9.0]);
}

#[test]
fn in_place_casts_like_torch() {
    let x = Tensor::zeros(&[2]);
    x.add_(&i(&[1, 2], &[2]));
    assert_eq!(x.to_vec::<f32>(), [1.0, 2.0]);
    let n = i(&[1, 2], &[2]);
    n.mul_(3);
    assert_eq!(n.to_vec::<i64>(), [3, 6]);
}

#[test]
#[should_panic(expected = "result type Float can't be cast to the desired output type Long")]
fn in_place_int_division_panics() {
    Tensor::arange_i64(3).div_(2);
}

#[test]
#[should_panic(expected = "output with shape [3] doesn't match the broadcast shape [2, 3]")]
fn in_place_cannot_grow_self() {
    Tensor::ones(&[3]).add_(&Tensor::ones(&[2, 3]));
}

#[test]
#[should_panic(expected = "more than one element of the written-to tensor refers to a single memory location")]
fn in_place_on_expanded_view_panics() {
    let x = Tensor::ones(&[3]);
    x.view_with(vec![2, 3], vec![0, 1], 0).add_(1.0);
}

#[test]
fn operators_cover_all_forms() {
    let a = f(&[1.0, 2.0], &[2]);
    let b = f(&[4.0, 8.0], &[2]);
    assert_eq!((&a + &b).to_vec::<f32>(), [5.0, 10.0]);
    assert_eq!((&b - &a).to_vec::<f32>(), [3.0, 6.0]);
    assert_eq!((&a * 3.0).to_vec::<f32>(), [3.0, 6.0]);
    assert_eq!((1.0 - &a).to_vec::<f32>(), [0.0, -1.0]);
    assert_eq!((8.0 / &b).to_vec::<f32>(), [2.0, 1.0]);
    assert_eq!((2.0 * a.clone()).to_vec::<f32>(), [2.0, 4.0]);
    assert_eq!((a.clone() + b.clone()).to_vec::<f32>(), [5.0, 10.0]);
    assert_eq!((a.clone() / &b).to_vec::<f32>(), [0.25, 0.25]);
    assert_eq!((-&a).to_vec::<f32>(), [-1.0, -2.0]);
    assert_eq!((-a.clone()).to_vec::<f32>(), [-1.0, -2.0]);
    let n = i(&[1, 2], &[2]);
    assert_eq!((&n + 1).to_vec::<i64>(), [2, 3]);
    assert_eq!((10 - &n).to_vec::<i64>(), [9, 8]);
    let mut c = a.clone();
    c += &b;
    c += 1.0;
    c *= b.clone();
    assert_eq!(c.to_vec::<f32>(), [24.0, 88.0]);
    assert_eq!(a.to_vec::<f32>(), [1.0, 2.0], "clone is deep");
}

#[test]
fn large_inputs_take_the_parallel_path() {
    let n = 3 * fusenet_kernels::cpu::parallel::PAR_THRESHOLD + 7;
    let a = Tensor::arange(n as f32);
    let s = &a + &a;
    let v = s.to_vec::<f32>();
    assert!(v.iter().enumerate().all(|(i, &x)| x == 2.0 * i as f32));
    s.sub_(&a);
    assert_eq!(s.to_vec::<f32>(), a.to_vec::<f32>());
}

#[test]
fn add_scaled_is_axpy() {
    let w = f(&[1.0, 1.0], &[2]);
    w.add_scaled_(&f(&[2.0, 4.0], &[2]), -0.5);
    assert_eq!(w.to_vec::<f32>(), [0.0, -1.0]);
}
