//! Element access, `s!` slicing and slice assignment; checked against PyTorch 2.15 (expressions in
//! comments, with `x = torch.arange(12.).reshape(3, 4)`).

use crate::tensor::{DType, SliceArg, Tensor};
use crate::tensor;

fn x() -> Tensor {
    Tensor::arange(12.0).reshape([3, 4])
}

#[test]
fn s_macro_builds_python_slices() {
    let full = SliceArg::Range { start: None, end: None, step: 1 };
    assert_eq!(s![..], [full.clone()]);
    assert_eq!(s![0, ..], [SliceArg::Index(0), full.clone()]);
    assert_eq!(
        s![1..3, ..;2],
        [
            SliceArg::Range { start: Some(1), end: Some(3), step: 1 },
            SliceArg::Range { start: None, end: None, step: 2 }
        ]
    );
    assert_eq!(s![.., -1], [full.clone(), SliceArg::Index(-1)]);
    assert_eq!(s![NewAxis, Ellipsis], [SliceArg::NewAxis, SliceArg::Ellipsis]);
    assert_eq!(s![1..=-1], [SliceArg::Range { start: Some(1), end: None, step: 1 }]);
    assert_eq!(s![..=2;3], [SliceArg::Range { start: None, end: Some(3), step: 3 }]);
    let (i, n) = (2usize, 3i64);
    assert_eq!(s![i, -n.., i + 1..;2,], [
        SliceArg::Index(2),
        SliceArg::Range { start: Some(-3), end: None, step: 1 },
        SliceArg::Range { start: Some(3), end: None, step: 2 },
    ]);
    assert_eq!(s![NewAxis], s![crate::tensor::NewAxis]);
    assert!(s![].is_empty());
}

#[test]
fn slices_are_views_with_python_semantics() {
    let x = x();
    assert_eq!(x.slice(s![..]).shape(), &[3, 4]);
    assert!(x.slice(s![..]).shares_storage(&x));
    assert_eq!(x.slice(s![1]).to_vec::<f32>(), [4.0, 5.0, 6.0, 7.0]);
    assert_eq!(x.slice(s![.., 0]).to_vec::<f32>(), [0.0, 4.0, 8.0]);
    assert_eq!(x.slice(s![Ellipsis, 0]).to_vec::<f32>(), [0.0, 4.0, 8.0]); // x[..., 0]
    assert_eq!(x.slice(s![1..100]).shape(), &[2, 4]); // x[1:100]
    assert_eq!(x.slice(s![-2..]).to_vec::<f32>(), [4., 5., 6., 7., 8., 9., 10., 11.]);
    assert_eq!(x.slice(s![5..]).shape(), &[0, 4]);
    assert_eq!(x.slice(s![2..1]).shape(), &[0, 4]);
    assert_eq!(x.slice(s![1..-1]).shape(), &[1, 4]); // x[1:-1]
    assert_eq!(x.slice(s![..-5]).shape(), &[0, 4]);
    assert_eq!(x.slice(s![.., -3..-1]).to_vec::<f32>(), [1., 2., 5., 6., 9., 10.]);
    assert_eq!(x.slice(s![..;2, 1..;2]).to_vec::<f32>(), [1., 3., 9., 11.]); // x[::2, 1::2]
    assert_eq!(x.slice(s![..;2, ..;3]).strides(), &[8, 3]);
    assert_eq!(x.slice(s![1.., 1..]).storage_offset(), 5);
    assert_eq!(x.slice(s![1, Ellipsis, 2]).get(()), 6.0); // x[1, ..., 2]
    // x[None].stride() == (12, 4, 1); x[:, None].stride() == (4, 4, 1); x[..., None].stride() == (4, 1, 1)
    assert_eq!(x.slice(s![NewAxis]).strides(), &[12, 4, 1]);
    assert_eq!(x.slice(s![.., NewAxis]).strides(), &[4, 4, 1]);
    assert_eq!(x.slice(s![Ellipsis, NewAxis]).strides(), &[4, 1, 1]);
    assert_eq!(x.slice(s![NewAxis, 1, NewAxis, 2]).shape(), &[1, 1]);
    // slicing a non-contiguous view
    assert_eq!(x.t().slice(s![-1]).to_vec::<f32>(), [3.0, 7.0, 11.0]);
    assert_eq!(x.t().slice(s![1..3, 2]).to_vec::<f32>(), [9.0, 10.0]);
}

#[test]
#[should_panic(expected = "index 5 is out of bounds for dimension 0 with size 3")]
fn index_out_of_range_panics() {
    x().slice(s![5]);
}

#[test]
#[should_panic(expected = "index -4 is out of bounds for dimension 0 with size 3")]
fn negative_index_out_of_range_panics() {
    x().slice(s![-4]);
}

#[test]
#[should_panic(expected = "index 7 is out of bounds for dimension 1 with size 4")]
fn second_index_out_of_range_panics() {
    x().slice(s![0, 7]);
}

#[test]
#[should_panic(expected = "too many indices for tensor of dimension 2")]
fn too_many_indices_panic() {
    x().slice(s![0, 0, 0]);
}

#[test]
#[should_panic(expected = "slice step cannot be zero")]
fn zero_step_panics() {
    x().slice(s![..;0]);
}

#[test]
#[should_panic(expected = "step must be greater than zero")]
fn negative_step_panics() {
    x().slice(s![..;-1]);
}

#[test]
#[should_panic(expected = "an index can only have a single ellipsis")]
fn two_ellipses_panic() {
    x().slice(s![Ellipsis, Ellipsis]);
}

#[test]
fn the_seed_writes_through_slices() {
    let w = Tensor::zeros(&[8, 4]);
    w.slice(s![..]).add_(1.0); // net[0].weight.data[:] += 1
    w.slice_assign(s![0, 0], 42); // net[0].weight.data[0, 0] = 42
    assert_eq!(w.slice(s![0]).to_vec::<f32>(), [42.0, 1.0, 1.0, 1.0]);
    let x = Tensor::zeros(&[3, 4]);
    x.slice_assign(s![0..2, ..], 12.0); // X[0:2, :] = 12
    assert_eq!(x.sum_all(), 96.0);
    // z = torch.zeros(3,2); z[2] = torch.tensor([1, 2]); z[:, 0] = torch.tensor([True, False, True])
    let z = Tensor::zeros(&[3, 2]);
    z.slice_assign(s![2], tensor![1, 2]);
    z.slice_assign(s![.., 0], tensor![true, false, true]);
    assert_eq!(z.to_vec::<f32>(), [1.0, 0.0, 0.0, 0.0, 1.0, 2.0]);
    // a row broadcast over a block, through a transposed view
    let y = Tensor::zeros(&[2, 3]);
    y.t().slice_assign(s![1..], tensor![5.0, 6.0]);
    assert_eq!(y.to_vec::<f32>(), [0.0, 5.0, 5.0, 0.0, 6.0, 6.0]);
}

#[test]
fn assignment_converts_to_the_destination_dtype() {
    // w = torch.zeros(2,3, dtype=torch.long); w[0] = 2.7; w[1, -1] = -1.9 → [[2, 2, 2], [0, 0, -1]]
    let w = Tensor::zeros_dtype(&[2, 3], DType::I64);
    w.slice_assign(s![0], 2.7);
    w.set([1, -1], -1.9);
    assert_eq!(w.to_vec::<i64>(), [2, 2, 2, 0, 0, -1]);
    let m = Tensor::zeros_dtype(&[2], DType::Bool);
    m.set([1], 3);
    assert_eq!(m.to_vec::<bool>(), [false, true]);
}

#[test]
fn overlapping_assignment_reads_the_source_first() {
    // PyTorch refuses `y[1:] = y[:-1]`; we copy the source first, giving NumPy's answer.
    let y = Tensor::arange(5.0);
    y.slice_assign(s![1..], y.slice(s![..-1]));
    assert_eq!(y.to_vec::<f32>(), [0.0, 0.0, 1.0, 2.0, 3.0]);
}

#[test]
#[should_panic(expected = "The expanded size of the tensor (4) must match the existing size (3) at non-singleton dimension 1.  Target sizes: [2, 4].  Tensor sizes: [3]")]
fn assigning_a_tensor_that_does_not_broadcast_panics() {
    x().slice_assign(s![0..2], Tensor::ones(&[3]));
    // (a borrowed tensor works the same: `slice_assign(.., &t)`)
}

#[test]
fn get_set_and_get_as() {
    let x = x();
    assert_eq!(x.get([2, 3]), 11.0);
    assert_eq!(x.get([-1, -1]), 11.0);
    let idx: Vec<usize> = vec![1, 2];
    assert_eq!(x.get(&idx), 6.0);
    assert_eq!(x.t().get([3, 0]), 3.0);
    assert_eq!(Tensor::scalar(2.5).get(()), 2.5);
    assert_eq!(tensor![[1, 2], [3, 4]].get([1, 1]), 4.0);
    assert_eq!(tensor![true].get([0]), 1.0);
    assert_eq!(tensor![[1, 2], [3, 4]].get_as::<i64>([0, 1]), 2);
    assert!(tensor![false, true].get_as::<bool>([-1]));
    let v = x.slice(s![1]);
    v.set([0], -3.0);
    assert_eq!(x.get([1, 0]), -3.0);
}

#[test]
#[should_panic(expected = "index 4 is out of bounds for dimension 1 with size 4")]
fn get_out_of_range_panics() {
    x().get([0, 4]);
}

#[test]
#[should_panic(expected = "expected 2 indices for a tensor of shape [3, 4] to name one element, but got 1")]
fn get_with_too_few_indices_panics() {
    x().get([0]);
}

#[test]
#[should_panic(expected = "get_as: expected a tensor of dtype I64, but got F32")]
fn get_as_wrong_dtype_panics() {
    x().get_as::<i64>([0, 0]);
}

#[test]
fn narrow_and_select() {
    let x = x();
    assert_eq!(x.narrow(1, 1, 2).to_vec::<f32>(), [1., 2., 5., 6., 9., 10.]);
    assert_eq!(x.narrow(0, -1, 1).to_vec::<f32>(), [8., 9., 10., 11.]);
    assert_eq!(x.narrow(0, 3, 0).shape(), &[0, 4]);
    assert_eq!(x.select(0, -1).to_vec::<f32>(), [8., 9., 10., 11.]);
    assert_eq!(x.select(-1, 2).to_vec::<f32>(), [2., 6., 10.]);
    assert!(x.select(1, 0).shares_storage(&x));
}

#[test]
#[should_panic(expected = "start (2) + length (2) exceeds dimension size (3).")]
fn narrow_past_the_end_panics() {
    x().narrow(0, 2, 2);
}

#[test]
#[should_panic(expected = "start out of range (expected to be in range of [-3, 3], but got 5)")]
fn narrow_start_out_of_range_panics() {
    x().narrow(0, 5, 0);
}

#[test]
#[should_panic(expected = "select(): index 5 out of range for tensor of size [3, 4] at dimension 0")]
fn select_out_of_range_panics() {
    x().select(0, 5);
}
