//! cat/stack/split/chunk/unbind; values checked against PyTorch 2.15 (expressions in comments).

use crate::tensor::{DType, Tensor};
use crate::{s, tensor};

/// `a = torch.arange(6.).reshape(2,3)` and the non-contiguous `b = torch.arange(6., 12.).reshape(3,2).t()`.
fn pair() -> (Tensor, Tensor) {
    let a = Tensor::arange(6.0).reshape([2, 3]);
    let b = Tensor::arange(12.0).slice(s![6..]).reshape([3, 2]).t();
    assert!(!b.is_contiguous());
    (a, b)
}

#[test]
fn cat_along_each_dim_with_a_non_contiguous_input() {
    let (a, b) = pair();
    // torch.cat([a, b], 0).tolist()
    let c0 = Tensor::cat(&[&a, &b], 0);
    assert_eq!(c0.shape(), &[4, 3]);
    assert_eq!(c0.to_vec::<f32>(), [0., 1., 2., 3., 4., 5., 6., 8., 10., 7., 9., 11.]);
    // torch.cat([a, b], -1).tolist()
    let c1 = Tensor::cat(&[&a, &b], -1);
    assert_eq!(c1.to_vec::<f32>(), [0., 1., 2., 6., 8., 10., 3., 4., 5., 7., 9., 11.]);
    assert!(!c1.shares_storage(&a));
}

#[test]
fn cat_accepts_owned_tensors_promotes_dtypes_and_skips_legacy_empties() {
    let parts = vec![tensor![1, 2], tensor![3]];
    assert_eq!(Tensor::cat(&parts, 0).to_vec::<i64>(), [1, 2, 3]);
    // torch.cat([torch.tensor([1, 2]), torch.tensor([0.5])]) is float32
    let mixed = Tensor::cat(&[&tensor![1, 2], &tensor![0.5]], 0);
    assert_eq!((mixed.dtype(), mixed.to_vec::<f32>()), (DType::F32, vec![1.0, 2.0, 0.5]));
    let b = Tensor::cat(&[&tensor![true], &tensor![2]], 0);
    assert_eq!(b.to_vec::<i64>(), [1, 2]);
    // torch.cat([torch.ones(2,3), torch.empty(0)]).shape == (2, 3)
    assert_eq!(Tensor::cat(&[&Tensor::ones(&[2, 3]), &Tensor::zeros(&[0])], 0).shape(), &[2, 3]);
    // torch.cat([torch.zeros(0,3), torch.ones(1,3)]).shape == (1, 3)
    assert_eq!(Tensor::cat(&[&Tensor::zeros(&[0, 3]), &Tensor::ones(&[1, 3])], 0).shape(), &[1, 3]);
    assert_eq!(Tensor::cat(&[&Tensor::zeros(&[0])], 0).shape(), &[0]);
}

#[test]
#[should_panic(expected = "Sizes of tensors must match except in dimension 1. Expected size 3 but got size 2 for tensor number 1 in the list.")]
fn cat_size_mismatch_panics() {
    Tensor::cat(&[&Tensor::zeros(&[3, 4]), &Tensor::zeros(&[2, 3])], 1);
}

#[test]
#[should_panic(expected = "Tensors must have same number of dimensions: got 2 and 1")]
fn cat_rank_mismatch_panics() {
    Tensor::cat(&[&Tensor::zeros(&[3, 4]), &Tensor::zeros(&[4])], 0);
}

#[test]
#[should_panic(expected = "zero-dimensional tensor (at position 0) cannot be concatenated")]
fn cat_of_scalars_panics() {
    Tensor::cat(&[&Tensor::scalar(1.0), &Tensor::scalar(2.0)], 0);
}

#[test]
#[should_panic(expected = "torch.cat(): expected a non-empty list of Tensors")]
fn cat_of_nothing_panics() {
    Tensor::cat::<Tensor>(&[], 0);
}

#[test]
#[should_panic(expected = "Dimension out of range (expected to be in range of [-2, 1], but got 2)")]
fn cat_dim_out_of_range_panics() {
    let a = Tensor::zeros(&[3, 4]);
    Tensor::cat(&[&a, &a], 2);
}

#[test]
fn stack_inserts_a_dim() {
    let (a, b) = pair();
    // torch.stack([a, b], 1).tolist()
    let s1 = Tensor::stack(&[&a, &b], 1);
    assert_eq!(s1.shape(), &[2, 2, 3]);
    assert_eq!(s1.to_vec::<f32>(), [0., 1., 2., 6., 8., 10., 3., 4., 5., 7., 9., 11.]);
    assert_eq!(Tensor::stack(&[&a, &b], -1).shape(), &[2, 3, 2]);
    assert_eq!(Tensor::stack(&[&a, &b], 2).shape(), &[2, 3, 2]);
    assert_eq!(Tensor::stack(&[Tensor::scalar(1.0), Tensor::scalar(2.0)], 0).to_vec::<f32>(), [1.0, 2.0]);
    // the seed: torch.stack([a, b]).shape == (2, 3), torch.cat([a, b]).shape == (6,)
    let (p, q) = (tensor![1, 2, 3], tensor![4, 5, 6]);
    assert_eq!(Tensor::stack(&[&p, &q], 0).shape(), &[2, 3]);
    assert_eq!(Tensor::cat(&[&p, &q], 0).shape(), &[6]);
}

#[test]
#[should_panic(expected = "stack expects each tensor to be equal size, but got [3, 4] at entry 0 and [2, 3] at entry 1")]
fn stack_mismatch_panics() {
    Tensor::stack(&[&Tensor::zeros(&[3, 4]), &Tensor::zeros(&[2, 3])], 0);
}

#[test]
#[should_panic(expected = "stack expects a non-empty TensorList")]
fn stack_of_nothing_panics() {
    Tensor::stack::<&Tensor>(&[], 0);
}

#[test]
#[should_panic(expected = "Dimension out of range (expected to be in range of [-3, 2], but got 3)")]
fn stack_dim_out_of_range_panics() {
    let a = Tensor::zeros(&[3, 4]);
    Tensor::stack(&[&a, &a], 3);
}

#[test]
fn split_chunk_unbind_are_views() {
    let x = Tensor::arange(10.0);
    let parts = x.split(4, 0);
    // [t.tolist() for t in torch.arange(10.).split(4)]
    let vals: Vec<Vec<f32>> = parts.iter().map(|p| p.to_vec()).collect();
    assert_eq!(vals, [vec![0., 1., 2., 3.], vec![4., 5., 6., 7.], vec![8., 9.]]);
    assert!(parts.iter().all(|p| p.shares_storage(&x)));
    parts[2].set([0], -1.0);
    assert_eq!(x.get([8]), -1.0);
    assert_eq!(x.chunk(3, 0).iter().map(|p| p.numel()).collect::<Vec<_>>(), [4, 4, 2]);
    assert_eq!(Tensor::arange(6.0).chunk(4, 0).len(), 3);
    assert_eq!(Tensor::zeros(&[0]).chunk(3, 0).len(), 3);
    assert_eq!(Tensor::zeros(&[0]).split(0, 0).len(), 1);
    let m = Tensor::arange(10.0).reshape([2, 5]);
    let cols = m.unbind(1);
    assert_eq!(cols.len(), 5);
    assert_eq!(cols[4].to_vec::<f32>(), [4.0, 9.0]);
    let sizes: Vec<Vec<usize>> = m.split_with_sizes(&[2, 3], -1).iter().map(|p| p.shape().to_vec()).collect();
    assert_eq!(sizes, [vec![2, 2], vec![2, 3]]);
}

#[test]
#[should_panic(expected = "split_size can only be 0 if dimension size is 0, but got dimension size of 3")]
fn split_by_zero_panics() {
    Tensor::zeros(&[3]).split(0, 0);
}

#[test]
#[should_panic(expected = "split_with_sizes expects split_sizes to sum exactly to 3 (input tensor's size at dimension 0), but got split_sizes=[1, 1]")]
fn split_sizes_must_sum_panics() {
    Tensor::zeros(&[3]).split_with_sizes(&[1, 1], 0);
}

#[test]
#[should_panic(expected = "chunk expects `chunks` to be greater than 0, got: 0")]
fn zero_chunks_panics() {
    Tensor::zeros(&[3]).chunk(0, 0);
}
