//! Shape ops; strides and values checked against PyTorch 2.15 (expressions in comments).

use crate::tensor::Tensor;
use crate::{s, tensor};

fn x234() -> Tensor {
    Tensor::arange(24.0).reshape([2, 3, 4])
}

#[test]
fn view_shares_storage_and_writes_are_visible() {
    let x = Tensor::arange(6.0);
    let y = x.view([2, 3]);
    assert!(y.shares_storage(&x));
    y.set([1, 0], 42.0);
    assert_eq!(x.get([3]), 42.0);
}

#[test]
fn view_infers_minus_one_and_accepts_every_dims_form() {
    let x = x234();
    assert_eq!(x.view([-1, 4]).shape(), &[6, 4]);
    assert_eq!(x.view([4, -1]).shape(), &[4, 6]);
    let shape: Vec<usize> = vec![3, 8];
    assert_eq!(x.view(&shape).shape(), &[3, 8]);
    assert_eq!(x.reshape(Tensor::zeros(&[24]).shape()).shape(), &[24]);
    assert_eq!(x.reshape(-1).shape(), &[24]);
    assert_eq!(x.flip(0).get([0, 0, 0]), 12.0);
    assert_eq!(Tensor::arange(3.0).get(2), 2.0);
    assert_eq!(Tensor::scalar(5.0).view([1, 1]).strides(), &[1, 1]); // torch.tensor(5.).view(1,1).stride()
    assert_eq!(Tensor::ones(&[1]).view(()).shape(), &[] as &[usize]);
}

#[test]
fn view_of_a_strided_slice_uses_torch_strides() {
    // torch.arange(12.).reshape(3,4)[:, 1:3].view(3,2,1).stride() == (4, 1, 1); .view(3,1,2) == (4, 2, 1)
    let z = Tensor::arange(12.0).reshape([3, 4]).slice(s![.., 1..3]);
    assert_eq!(z.view([3, 2, 1]).strides(), &[4, 1, 1]);
    assert_eq!(z.view([3, 1, 2]).strides(), &[4, 2, 1]);
    // x[:, :, ::2].view(6, 2).stride() == (4, 2)
    assert_eq!(x234().slice(s![.., .., ..;2]).view([6, 2]).strides(), &[4, 2]);
}

#[test]
#[should_panic(expected = "view size is not compatible with input tensor's size and stride")]
fn view_of_transposed_panics() {
    x234().transpose(1, 2).view([6, 4]);
}

#[test]
#[should_panic(expected = "shape '[5, 2]' is invalid for input of size 12")]
fn view_with_wrong_numel_panics() {
    Tensor::arange(12.0).view([5, 2]);
}

#[test]
#[should_panic(expected = "only one dimension can be inferred")]
fn two_inferred_dims_panic() {
    Tensor::arange(12.0).reshape([-1, -1]);
}

#[test]
#[should_panic(expected = "invalid shape dimension -2 at index 0 of shape [-2, 6]")]
fn negative_size_panics() {
    Tensor::arange(12.0).reshape([-2, 6]);
}

#[test]
#[should_panic(expected = "cannot reshape tensor of 0 elements into shape [0, -1]")]
fn inferring_from_zero_elements_is_ambiguous() {
    Tensor::zeros(&[0, 3]).reshape([0, -1]);
}

#[test]
fn reshape_copies_only_when_it_must() {
    let x = x234();
    let t = x.transpose(1, 2); // strides (12, 1, 4)
    assert_eq!(t.strides(), &[12, 1, 4]);
    let copied = t.reshape([6, 4]);
    assert!(!copied.shares_storage(&x));
    assert!(copied.is_contiguous());
    assert_eq!(copied.slice(s![0]).to_vec::<f32>(), [0.0, 4.0, 8.0, 1.0]);
    let viewed = x.transpose(0, 1).reshape([3, 2, 2, 2]); // splitting a dim is always a view
    assert!(viewed.shares_storage(&x));
    // torch.arange(6.).reshape(2,3).t().flatten() == [0, 3, 1, 4, 2, 5]
    assert_eq!(Tensor::arange(6.0).reshape([2, 3]).t().ravel().to_vec::<f32>(), [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
}

#[test]
fn reshape_of_zero_size_tensors() {
    let z = Tensor::zeros(&[0, 3]);
    assert_eq!(z.reshape([3, 0]).strides(), &[1, 1]); // torch.zeros(0,3).view(3,0).stride()
    assert_eq!(z.reshape([-1]).shape(), &[0]);
    assert_eq!(z.flatten(0, -1).shape(), &[0]);
}

#[test]
fn flatten_and_unflatten() {
    let x = x234();
    assert_eq!(x.flatten(0, -1).shape(), &[24]);
    assert_eq!(x.flatten(0, 1).strides(), &[4, 1]);
    assert_eq!(x.flatten(1, -1).shape(), &[2, 12]);
    assert_eq!(x.flatten(1, 1).shape(), &[2, 3, 4]);
    assert_eq!(Tensor::scalar(1.0).flatten(0, -1).shape(), &[1]);
    // x.transpose(0,1).flatten(1).stride() == (8, 1): a copy
    assert_eq!(x.transpose(0, 1).flatten(1, -1).strides(), &[8, 1]);
    // x.unflatten(1, (3, 1)).stride() == (12, 4, 4, 1); x.unflatten(-1, (2, -1)).stride() == (12, 4, 2, 1)
    assert_eq!(x.unflatten(1, [3, 1]).strides(), &[12, 4, 4, 1]);
    let u = x.unflatten(-1, [2, -1]);
    assert_eq!((u.shape(), u.strides()), (&[2usize, 3, 2, 2][..], &[12isize, 4, 2, 1][..]));
    assert!(u.shares_storage(&x));
    assert_eq!(Tensor::arange(24.0).unflatten(0, [2, 3, 4]).get([1, 2, 3]), 23.0);
}

#[test]
#[should_panic(expected = "flatten() has invalid args: start_dim cannot come after end_dim")]
fn flatten_with_reversed_dims_panics() {
    x234().flatten(2, 1);
}

#[test]
#[should_panic(expected = "unflatten: Provided sizes [2, 2] don't multiply up to the size of dim 0 (3)")]
fn unflatten_with_wrong_sizes_panics() {
    Tensor::zeros(&[3, 4]).unflatten(0, [2, 2]);
}

#[test]
fn squeeze_and_unsqueeze() {
    let x = Tensor::zeros(&[1, 3, 1, 4, 1]);
    assert_eq!(x.squeeze().shape(), &[3, 4]);
    assert_eq!(x.squeeze_dim(0).shape(), &[3, 1, 4, 1]);
    assert_eq!(x.squeeze_dim(2).shape(), &[1, 3, 4, 1]);
    assert_eq!(x.squeeze_dim(-1).shape(), &[1, 3, 1, 4]);
    assert_eq!(x.squeeze_dim(1).shape(), x.shape());
    assert_eq!(Tensor::scalar(1.0).squeeze_dim(0).shape(), &[] as &[usize]);
    assert_eq!(Tensor::scalar(1.0).unsqueeze(0).shape(), &[1]);
    let y = x234();
    // x.unsqueeze(1).stride() == (12, 12, 4, 1); x.unsqueeze(3).stride() == (12, 4, 1, 1)
    assert_eq!(y.unsqueeze(1).strides(), &[12, 12, 4, 1]);
    assert_eq!(y.unsqueeze(3).strides(), &[12, 4, 1, 1]);
    assert_eq!(y.unsqueeze(-1).shape(), &[2, 3, 4, 1]);
    assert_eq!(y.unsqueeze(-4).shape(), &[1, 2, 3, 4]);
}

#[test]
#[should_panic(expected = "Dimension out of range (expected to be in range of [-3, 2], but got 3)")]
fn unsqueeze_out_of_range_panics() {
    Tensor::zeros(&[3, 4]).unsqueeze(3);
}

#[test]
fn transpose_permute_movedim_t() {
    let x = x234();
    assert_eq!(x.transpose(1, 2).strides(), &[12, 1, 4]);
    assert_eq!(x.transpose(-1, 0).shape(), &[4, 3, 2]);
    assert_eq!(x.permute([2, 0, 1]).strides(), &[1, 12, 4]);
    assert_eq!(x.permute([-1, 0, 1]).shape(), &[4, 2, 3]);
    assert_eq!(x.movedim(0, 2).strides(), &[4, 1, 12]);
    assert_eq!(x.movedim(-1, 0).shape(), &[4, 2, 3]);
    let m = Tensor::arange(6.0).reshape([2, 3]);
    assert_eq!(m.t().shape(), &[3, 2]);
    assert_eq!(m.t().get([2, 1]), 5.0);
    assert_eq!(Tensor::arange(3.0).t().shape(), &[3]);
    assert!(m.t().shares_storage(&m));
}

#[test]
#[should_panic(expected = "t() expects a tensor with <= 2 dimensions, but self is 3D")]
fn t_of_3d_panics() {
    x234().t();
}

#[test]
#[should_panic(expected = "permute(): duplicate dims are not allowed.")]
fn permute_duplicate_panics() {
    Tensor::zeros(&[3, 4]).permute([0, 0]);
}

#[test]
#[should_panic(expected = "input.dim() = 2 is not equal to len(dims) = 1")]
fn permute_wrong_length_panics() {
    Tensor::zeros(&[3, 4]).permute([0]);
}

#[test]
#[should_panic(expected = "Dimension out of range (expected to be in range of [-2, 1], but got 2)")]
fn transpose_out_of_range_panics() {
    Tensor::zeros(&[3, 4]).transpose(0, 2);
}

#[test]
fn expand_uses_stride_zero_then_contiguous_copies() {
    let x = tensor![[1.0, 2.0, 3.0]];
    let y = x.expand([4, -1]);
    assert_eq!((y.shape(), y.strides()), (&[4usize, 3][..], &[0isize, 1][..]));
    assert!(y.shares_storage(&x));
    x.set([0, 1], 20.0);
    assert_eq!(y.get([3, 1]), 20.0);
    let c = y.contiguous();
    assert!(c.is_contiguous() && !c.shares_storage(&x));
    assert_eq!(c.to_vec::<f32>(), [1.0, 20.0, 3.0, 1.0, 20.0, 3.0, 1.0, 20.0, 3.0, 1.0, 20.0, 3.0]);
    // torch.ones(1,3).expand(2,1,3).stride() == (0, 3, 1)
    assert_eq!(Tensor::ones(&[1, 3]).expand([2, 1, 3]).strides(), &[0, 3, 1]);
    assert_eq!(Tensor::scalar(2.0).expand([2, 2]).to_vec::<f32>(), [2.0; 4]);
    assert_eq!(Tensor::ones(&[3, 1]).expand_as(&Tensor::zeros(&[2, 3, 5])).shape(), &[2, 3, 5]);
    assert_eq!(Tensor::ones(&[1, 3]).expand([0, 3]).numel(), 0);
}

#[test]
#[should_panic(expected = "The expanded size of the tensor (4) must match the existing size (3) at non-singleton \
                           dimension 1.  Target sizes: [4, 4].  Tensor sizes: [2, 3]")]
fn expand_of_non_singleton_panics() {
    Tensor::ones(&[2, 3]).expand([4, 4]);
}

#[test]
#[should_panic(expected = "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0")]
fn expand_minus_one_in_new_dim_panics() {
    Tensor::ones(&[1, 3]).expand([-1, 2, 3]);
}

#[test]
#[should_panic(expected = "the number of sizes provided (1) must be greater or equal to the number of dimensions in the tensor (2)")]
fn expand_to_fewer_dims_panics() {
    Tensor::ones(&[1, 3]).expand([3]);
}

#[test]
fn repeat_tiles_and_copies() {
    let x = Tensor::arange(6.0).reshape([2, 3]);
    let r = x.repeat([2, 1, 2]);
    // torch.arange(6.).reshape(2,3).repeat(2,1,2)
    let row0 = [0.0, 1.0, 2.0, 0.0, 1.0, 2.0];
    let row1 = [3.0, 4.0, 5.0, 3.0, 4.0, 5.0];
    assert_eq!(r.shape(), &[2, 2, 6]);
    assert_eq!(r.to_vec::<f32>(), [row0, row1, row0, row1].concat());
    assert!(!r.shares_storage(&x));
    // non-contiguous input and i64
    assert_eq!(tensor![[1, 2], [3, 4]].t().repeat([1, 2]).to_vec::<i64>(), [1, 3, 1, 3, 2, 4, 2, 4]);
    assert_eq!(x.repeat([0, 1]).shape(), &[0, 3]);
    assert_eq!(tensor![10].repeat([3]).to_vec::<i64>(), [10, 10, 10]);
}

#[test]
fn repeat_tiles_several_dims_and_full_rank() {
    // torch.arange(6.).reshape(2,1,3).repeat(2,1,2,2)
    let x = Tensor::arange(6.0).reshape([2, 1, 3]);
    let r = x.repeat([2, 1, 2, 2]);
    let (a, b) = ([0.0, 1.0, 2.0].repeat(4), [3.0, 4.0, 5.0].repeat(4));
    assert_eq!(r.shape(), &[2, 2, 2, 6]);
    assert_eq!(r.to_vec::<f32>(), [&a[..], &b, &a, &b].concat());
    // An 8-dim result (MAX_DIMS): torch.arange(2.).reshape(1,1,1,1,1,1,1,2).repeat(1,1,1,1,1,1,2,2)
    let y = Tensor::arange(2.0).reshape([1, 1, 1, 1, 1, 1, 1, 2]).repeat([1, 1, 1, 1, 1, 1, 2, 2]);
    assert_eq!(y.shape(), &[1, 1, 1, 1, 1, 1, 2, 4]);
    assert_eq!(y.to_vec::<f32>(), [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]);
    // All ones still copies; a view with an offset: x[:, :, 1:].repeat(1, 1, 1)
    let v = x.slice(crate::s![.., .., 1..]);
    let c = v.repeat([1, 1, 1]);
    assert!(!c.shares_storage(&x));
    assert_eq!(c.to_vec::<f32>(), [1.0, 2.0, 4.0, 5.0]);
}

#[test]
#[should_panic(expected = "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")]
fn repeat_with_too_few_dims_panics() {
    Tensor::zeros(&[2, 3]).repeat([2]);
}

#[test]
fn flip_copies_in_reverse() {
    let x = x234();
    let f = x.flip([0, 2]);
    // x.flip(0, 2)[0].tolist()
    assert_eq!(f.slice(s![0]).to_vec::<f32>(), [15., 14., 13., 12., 19., 18., 17., 16., 23., 22., 21., 20.]);
    assert!(f.is_contiguous() && !f.shares_storage(&x));
    assert_eq!(x.transpose(0, 2).flip([-1]).get([0, 0, 0]), 12.0);
    assert_eq!(Tensor::zeros(&[0, 2]).flip([0]).shape(), &[0, 2]);
    assert_eq!(Tensor::scalar(3.0).flip(()).get(()), 3.0);
}

#[test]
#[should_panic(expected = "dim 0 appears multiple times in the list of dims")]
fn flip_duplicate_dims_panics() {
    Tensor::zeros(&[3, 4]).flip([0, -2]);
}
