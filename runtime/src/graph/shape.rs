//! Shape ops: their backward is the inverse view (or a split), and never copies unless the
//! inverse view needs it.

use super::broadcast::sum_to_shape;
use crate::tensor::Tensor;

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
