//! Shape ops: their backward is the inverse view (or a split), and never copies unless the
//! inverse view needs it. `cat_into`/`stack_into` join `f32` parts into a [`Slot`] (the forward
//! of generated code; its backward takes one `narrow`/`select` view of `g` per part).

use super::Slot;
use super::broadcast::sum_to_shape;
use crate::tensor::elementwise::{for_each_offsets, read_all};
use crate::tensor::{DType, Dims, Element, Tensor};

/// Backward of `y = x.reshape(..)` (and `view`, `flatten`, `squeeze`, `unsqueeze`):
/// `∂L/∂x = g.reshape(x's shape)`. Panics when the element counts differ, naming both shapes.
///
/// ```
/// use fusenet_runtime::{Tensor, graph::reshape_backward};
/// assert_eq!(reshape_backward(&Tensor::ones(&[6]), &[2, 3]).shape(), &[2, 3]);
/// ```
pub fn reshape_backward(g: &Tensor, shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    assert!(
        n == g.numel(),
        "reshape_backward: the input had shape {shape:?} ({n} elements) but the gradient has shape {:?} ({} elements)",
        g.shape(),
        g.numel()
    );
    g.reshape(shape)
}

/// Backward of `y = x.flatten(start, end)`: [`reshape_backward`] to `x`'s shape.
pub fn flatten_backward(g: &Tensor, shape: &[usize]) -> Tensor {
    reshape_backward(g, shape)
}

/// Backward of `y = x.transpose(d0, d1)`: `∂L/∂x = g.transpose(d0, d1)` (a view).
pub fn transpose_backward(g: &Tensor, d0: isize, d1: isize) -> Tensor {
    g.transpose(d0, d1)
}

/// Backward of `y = x.permute(dims)`: `∂L/∂x = g.permute(dims⁻¹)` with `dims⁻¹[dims[i]] = i`
/// (a view).
///
/// ```
/// use fusenet_runtime::{Tensor, graph::permute_backward};
/// let x = Tensor::zeros(&[2, 3, 4]);
/// let y = x.permute([2, 0, 1]);
/// assert_eq!(permute_backward(&Tensor::zeros(y.shape()), &[2, 0, 1]).shape(), x.shape());
/// ```
pub fn permute_backward(g: &Tensor, dims: &[isize]) -> Tensor {
    assert!(
        dims.len() == g.dim(),
        "permute_backward: {} dims {dims:?} for a gradient of shape {:?}",
        dims.len(),
        g.shape()
    );
    let mut inv = crate::tensor::Dims::filled(0isize, dims.len());
    for (i, &d) in dims.iter().enumerate() {
        inv[g.wrap_dim(d)] = i as isize;
    }
    g.permute(inv)
}

/// Backward of `y = x.expand(..)`: [`sum_to_shape`] to `x`'s shape.
pub fn expand_backward(g: &Tensor, shape: &[usize]) -> Tensor {
    sum_to_shape(g, shape)
}

/// Backward of `y = Tensor::cat(&[x₀, x₁, …], dim)`: `g` split along `dim` into pieces of the
/// inputs' sizes along `dim` (views of `g`).
///
/// ```
/// use fusenet_runtime::{Tensor, graph::cat_backward};
/// let parts = cat_backward(&Tensor::arange(5.0), &[2, 3], 0);
/// assert_eq!(parts[1].to_vec::<f32>(), [2.0, 3.0, 4.0]);
/// ```
pub fn cat_backward(g: &Tensor, sizes: &[usize], dim: isize) -> Vec<Tensor> {
    let d = g.wrap_dim(dim);
    let total: usize = sizes.iter().sum();
    assert!(
        total == g.shape()[d],
        "cat_backward: the inputs' sizes {sizes:?} along dim {dim} add up to {total}, but the gradient has shape {:?}",
        g.shape()
    );
    g.split_with_sizes(sizes, dim)
}

/// Backward of `y = Tensor::stack(&[x₀, x₁, …], dim)`: `g.unbind(dim)` (views of `g`).
pub fn stack_backward(g: &Tensor, dim: isize) -> Vec<Tensor> {
    g.unbind(dim)
}

/// Copies `part` into `view` (a view of `out`, the same shape as `part`, sharing no storage with
/// it). `block` is `Some((outer, chunk, row, base))` when `view` is `outer` runs of `chunk`
/// contiguous elements `row` apart from `base`; a contiguous `part` is then copied run by run.
fn copy_part(out: &Tensor, view: &Tensor, part: &Tensor, block: (usize, usize, usize, usize)) {
    let (outer, chunk, row, base) = block;
    read_all(&[part], |d| {
        let src = f32::slice(d[0]).expect("checked f32");
        let mut w = out.storage.write();
        let dst = f32::slice_mut(&mut w).expect("a slot holds f32");
        if part.is_contiguous() {
            let src = &src[part.storage_offset()..part.storage_offset() + part.numel()];
            for (o, run) in src.chunks_exact(chunk.max(1)).enumerate().take(outer) {
                dst[base + o * row..base + o * row + chunk].copy_from_slice(run);
            }
        } else {
            for_each_offsets(part.shape(), [part.strides(), view.strides()], [part.storage_offset(), view.storage_offset()], |[i, j]| {
                dst[j] = src[i];
            });
        }
    });
}

/// `Tensor::cat(parts, dim)` for `f32` parts, into `slot`: the same checks and messages
/// (PyTorch's), 1-d empty parts skipped. Parts of another dtype go to the eager `Tensor::cat`
/// (which promotes, and allocates).
///
/// ```
/// use fusenet_runtime::{tensor, graph::{Slot, cat_into}};
/// let (a, b) = (tensor![[1.0, 2.0]], tensor![[3.0], [4.0]]);
/// let y = cat_into(&mut Slot::default(), &[&a.t(), &b], 1);
/// assert_eq!(y.to_vec::<f32>(), [1.0, 3.0, 2.0, 4.0]);
/// ```
pub fn cat_into(slot: &mut Slot, parts: &[&Tensor], dim: isize) -> Tensor {
    assert!(!parts.is_empty(), "torch.cat(): expected a non-empty list of Tensors");
    if parts.iter().any(|t| t.dtype() != DType::F32) {
        return Tensor::cat(parts, dim);
    }
    for (i, t) in parts.iter().enumerate() {
        assert!(t.dim() > 0, "zero-dimensional tensor (at position {i}) cannot be concatenated");
    }
    // PyTorch's legacy rule: 1-D tensors of size 0 are ignored.
    let kept = |t: &&&Tensor| !(t.dim() == 1 && t.numel() == 0);
    let Some(first) = parts.iter().find(kept) else {
        return slot.out(&[0]);
    };
    let d = first.wrap_dim(dim);
    let mut shape = Dims::from_slice(first.shape());
    shape[d] = 0;
    for (i, t) in parts.iter().enumerate().filter(|(_, t)| kept(t)) {
        assert!(t.dim() == first.dim(), "Tensors must have same number of dimensions: got {} and {}", first.dim(), t.dim());
        for (k, (&want, &got)) in first.shape().iter().zip(t.shape()).enumerate() {
            assert!(
                k == d || want == got,
                "Sizes of tensors must match except in dimension {d}. Expected size {want} but got size {got} for tensor number {i} in the list."
            );
        }
        shape[d] += t.shape()[d];
    }
    let out = slot.out(&shape);
    let (outer, inner) = (shape[..d].iter().product::<usize>(), shape[d + 1..].iter().product::<usize>());
    let mut start = 0;
    for t in parts.iter().filter(kept) {
        let len = t.shape()[d];
        let view = out.narrow(d as isize, start as isize, len);
        copy_part(&out, &view, t, (outer, len * inner, shape[d] * inner, out.storage_offset() + start * inner));
        start += len;
    }
    out
}

/// `Tensor::stack(parts, dim)` for `f32` parts of one shape, into `slot` (`dim` in
/// `-r-1..=r` for parts of rank `r`). Parts of another dtype go to the eager `Tensor::stack`.
///
/// ```
/// use fusenet_runtime::{tensor, graph::{Slot, stack_into}};
/// let (a, b) = (tensor![1.0, 2.0], tensor![3.0, 4.0]);
/// let y = stack_into(&mut Slot::default(), &[&a, &b], -1);
/// assert_eq!((y.shape(), y.to_vec::<f32>()), (&[2usize, 2][..], vec![1.0, 3.0, 2.0, 4.0]));
/// ```
pub fn stack_into(slot: &mut Slot, parts: &[&Tensor], dim: isize) -> Tensor {
    assert!(!parts.is_empty(), "stack expects a non-empty TensorList");
    if parts.iter().any(|t| t.dtype() != DType::F32) {
        return Tensor::stack(parts, dim);
    }
    for (i, t) in parts.iter().enumerate().skip(1) {
        assert!(
            t.shape() == parts[0].shape(),
            "stack expects each tensor to be equal size, but got {:?} at entry 0 and {:?} at entry {i}",
            parts[0].shape(),
            t.shape()
        );
    }
    let r = parts[0].dim() as isize;
    assert!(
        (-r - 1..=r).contains(&dim),
        "Dimension out of range (expected to be in range of [{}, {r}], but got {dim})",
        -r - 1
    );
    let d = if dim < 0 { dim + r + 1 } else { dim } as usize;
    let mut shape = Dims::from_slice(parts[0].shape());
    shape.insert(d, parts.len());
    let out = slot.out(&shape);
    let (outer, inner) = (shape[..d].iter().product::<usize>(), shape[d + 1..].iter().product::<usize>());
    for (i, t) in parts.iter().enumerate() {
        let view = out.select(d as isize, i as isize);
        copy_part(&out, &view, t, (outer, inner, parts.len() * inner, out.storage_offset() + i * inner));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cat_into_equals_the_eager_cat() {
        let a = Tensor::randn(&[2, 3, 4]);
        let b = Tensor::randn(&[4, 3, 2]).permute([2, 1, 0]);
        for d in [0isize, 1, 2, -1] {
            let mut shape = [2usize, 3, 4];
            shape[a.wrap_dim(d)] = 1;
            let c = Tensor::randn(&shape);
            let want = Tensor::cat(&[&a, &b, &c], d);
            let got = cat_into(&mut Slot::default(), &[&a, &b, &c], d);
            assert_eq!((got.shape(), got.to_vec::<f32>()), (want.shape(), want.to_vec::<f32>()), "dim {d}");
        }
        let empty = Tensor::zeros(&[0]);
        let got = cat_into(&mut Slot::default(), &[&empty, &a, &empty], 1);
        assert_eq!(got.to_vec::<f32>(), a.to_vec::<f32>(), "1-d empty parts are skipped");
        assert_eq!(cat_into(&mut Slot::default(), &[&empty], 0).shape(), &[0]);
        let i = Tensor::from_vec(vec![1i64, 2], &[2]);
        assert_eq!(cat_into(&mut Slot::default(), &[&i, &Tensor::ones(&[1])], 0).to_vec::<f32>(), [1.0, 2.0, 1.0]);
    }

    #[test]
    fn stack_into_equals_the_eager_stack() {
        let a = Tensor::randn(&[2, 3]);
        let b = Tensor::randn(&[3, 2]).t();
        for d in [0isize, 1, 2, -1, -3] {
            let want = Tensor::stack(&[&a, &b, &a], d);
            let got = stack_into(&mut Slot::default(), &[&a, &b, &a], d);
            assert_eq!((got.shape(), got.to_vec::<f32>()), (want.shape(), want.to_vec::<f32>()), "dim {d}");
        }
    }

    #[test]
    fn warm_joins_reuse_their_buffer() {
        let (a, b) = (Tensor::randn(&[2, 3]), Tensor::randn(&[2, 3]));
        let mut s = Slot::default();
        let p = cat_into(&mut s, &[&a, &b], 1).with_slice(|v: &[f32]| v.as_ptr());
        let y = stack_into(&mut s, &[&a, &b], 0);
        assert_eq!(y.with_slice(|v: &[f32]| v.as_ptr()), p);
        assert_eq!(y.to_vec::<f32>(), Tensor::stack(&[&a, &b], 0).to_vec::<f32>());
    }

    #[test]
    #[should_panic(expected = "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 for tensor number 1 in the list.")]
    fn cat_into_names_the_mismatch() {
        cat_into(&mut Slot::default(), &[&Tensor::zeros(&[2, 2]), &Tensor::zeros(&[3, 2])], 1);
    }

    #[test]
    #[should_panic(expected = "stack expects each tensor to be equal size, but got [2] at entry 0 and [3] at entry 1")]
    fn stack_into_names_the_mismatch() {
        stack_into(&mut Slot::default(), &[&Tensor::zeros(&[2]), &Tensor::zeros(&[3])], 0);
    }

    #[test]
    #[should_panic(expected = "Dimension out of range (expected to be in range of [-2, 1], but got 2)")]
    fn stack_into_checks_the_dim() {
        stack_into(&mut Slot::default(), &[&Tensor::zeros(&[2])], 2);
    }
}
