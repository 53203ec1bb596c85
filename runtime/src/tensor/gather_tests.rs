//! masked_select / index_select / gather, checked against PyTorch 2.15 (expressions in comments,
//! with `x = torch.arange(12.).reshape(3, 4)`).

use crate::tensor::{DType, Tensor};
use crate::tensor;

fn x() -> Tensor {
    Tensor::arange(12.0).reshape([3, 4])
}

#[test]
fn masked_select_broadcasts_and_copies() {
    let x = x();
    // x.masked_select(x > 5)
    let picked = x.masked_select(&x.gt(5.0));
    assert_eq!(picked.to_vec::<f32>(), [6.0, 7.0, 8.0, 9.0, 10.0, 11.0]);
    assert!(!picked.shares_storage(&x));
    // x.masked_select(torch.tensor([True, False, False, True]))
    let cols = x.masked_select(&tensor![true, false, false, true]);
    assert_eq!(cols.to_vec::<f32>(), [0.0, 3.0, 4.0, 7.0, 8.0, 11.0]);
    // torch.tensor([1., 2.]).masked_select(torch.tensor([[True], [False], [True]]))
    let m = tensor![[true], [false], [true]];
    assert_eq!(tensor![1.0, 2.0].masked_select(&m).to_vec::<f32>(), [1.0, 2.0, 1.0, 2.0]);
    assert_eq!(x.t().masked_select(&x.t().lt(2.0)).to_vec::<f32>(), [0.0, 1.0]);
    assert_eq!(tensor![1, 2].masked_select(&tensor![false, false]).shape(), &[0]);
}

#[test]
#[should_panic(expected = "masked_select: expected BoolTensor for mask")]
fn masked_select_needs_a_bool_mask() {
    x().masked_select(&Tensor::ones(&[3, 4]));
}

#[test]
#[should_panic(expected = "The size of tensor a (4) must match the size of tensor b (2) at non-singleton dimension 1")]
fn masked_select_shape_mismatch_panics() {
    x().masked_select(&tensor![true, false]);
}

#[test]
fn index_select_picks_entries_along_a_dim() {
    let x = x();
    // x.index_select(1, torch.tensor([3, 0, 3]))
    let s = x.index_select(1, &tensor![3, 0, 3]);
    assert_eq!(s.to_vec::<f32>(), [3.0, 0.0, 3.0, 7.0, 4.0, 7.0, 11.0, 8.0, 11.0]);
    // x.t().index_select(0, torch.tensor([1]))
    assert_eq!(x.t().index_select(0, &tensor![1]).to_vec::<f32>(), [1.0, 5.0, 9.0]);
    let none = Tensor::zeros_dtype(&[0], DType::I64);
    assert_eq!(x.index_select(0, &none).shape(), &[0, 4]);
    assert_eq!(tensor![[1, 2], [3, 4]].index_select(-1, &tensor![1]).to_vec::<i64>(), [2, 4]);
}

#[test]
#[should_panic(expected = "index out of range in self")]
fn index_select_out_of_range_panics() {
    x().index_select(0, &tensor![0, 3]);
}

#[test]
#[should_panic(expected = "index_select(): Expected dtype int32 or int64 for index")]
fn index_select_needs_integer_indices() {
    x().index_select(0, &tensor![0.0]);
}

#[test]
#[should_panic(expected = "index_select(): Index is supposed to be a vector")]
fn index_select_needs_a_vector() {
    x().index_select(0, &tensor![[0]]);
}

#[test]
fn gather_follows_the_index_tensor() {
    let x = x();
    // x.gather(1, torch.tensor([[0, 3], [1, 1], [2, 0]]))
    let g = x.gather(1, &tensor![[0, 3], [1, 1], [2, 0]]);
    assert_eq!((g.shape(), g.to_vec::<f32>()), (&[3usize, 2][..], vec![0.0, 3.0, 5.0, 5.0, 10.0, 8.0]));
    // x.gather(0, torch.tensor([[2, 1, 0, 0]]))
    assert_eq!(x.gather(0, &tensor![[2, 1, 0, 0]]).to_vec::<f32>(), [8.0, 5.0, 2.0, 3.0]);
    // x.t().gather(1, torch.tensor([[2], [0]]))
    assert_eq!(x.t().gather(1, &tensor![[2], [0]]).to_vec::<f32>(), [8.0, 1.0]);
    // the cross-entropy pattern: log-probabilities at the labels
    let logp = tensor![[-0.1, -2.3], [-1.6, -0.2]];
    let labels = tensor![1, 0];
    assert_eq!(logp.gather(1, &labels.unsqueeze(1)).squeeze_dim(1).to_vec::<f32>(), [-2.3, -1.6]);
    let s = Tensor::scalar(5.0).gather(0, &Tensor::from_scalar(0i64));
    assert_eq!((s.shape(), s.get(())), (&[] as &[usize], 5.0));
}

#[test]
#[should_panic(expected = "index 5 is out of bounds for dimension 1 with size 4")]
fn gather_out_of_range_panics() {
    x().gather(1, &tensor![[0, 5]]);
}

#[test]
#[should_panic(expected = "Index tensor must have the same number of dimensions as input tensor")]
fn gather_rank_mismatch_panics() {
    x().gather(0, &tensor![0, 1]);
}

#[test]
#[should_panic(expected = "Size does not match at dimension 0 expected index [4, 1] to be no larger than self [3, 4] apart from dimension 1")]
fn gather_index_too_large_panics() {
    x().gather(1, &Tensor::zeros_dtype(&[4, 1], DType::I64));
}
