//! Reductions: `sum`, `mean`, `max`/`min` over everything or along one dim.

use crate::tensor::{Tensor, elementwise};

/// `dim` wrapped for a tensor of rank `rank` (a 0-d tensor accepts 0 and −1, as PyTorch).
fn wrap(op: &str, dim: isize, rank: usize) -> usize {
    let n = rank.max(1) as isize;
    assert!(dim >= -n && dim < n, "{op}: Dimension out of range (expected to be in range of [{}, {}], but got {dim})", -n, n - 1);
    if dim < 0 { (dim + n) as usize } else { dim as usize }
}

/// Panics unless `g` is 0-d (the gradient of a full reduction).
fn scalar_grad(op: &str, g: &Tensor) {
    assert!(g.dim() == 0, "{op}: the gradient of a full reduction must be 0-d, got shape {:?}", g.shape());
}

/// `g` viewed at the input's shape: unsqueezed at `dim` when `keepdim` was false, then expanded.
fn expand_along(op: &str, g: &Tensor, shape: &[usize], dim: isize, keepdim: bool) -> Tensor {
    if shape.is_empty() {
        wrap(op, dim, 0);
        return g.reshape(());
    }
    let d = wrap(op, dim, shape.len());
    let mut reduced = shape.to_vec();
    if keepdim {
        reduced[d] = 1;
    } else {
        reduced.remove(d);
    }
    assert!(
        g.shape() == reduced,
        "{op}: reducing {shape:?} along dim {dim} (keepdim={keepdim}) gives shape {reduced:?}, but the gradient has shape {:?}",
        g.shape()
    );
    let g = if keepdim { g.shallow_clone() } else { g.unsqueeze(d as isize) };
    g.expand(shape)
}

/// Backward of `y = x.sum()`: `∂L/∂x = g` at every element — `g` (0-d) expanded to `shape`, a
/// stride-0 view.
///
/// ```
/// use fusenet_runtime::{Tensor, graph::sum_backward};
/// let gx = sum_backward(&Tensor::scalar(2.0), &[2, 2]);
/// assert_eq!(gx.to_vec::<f32>(), [2.0; 4]);
/// ```
pub fn sum_backward(g: &Tensor, shape: &[usize]) -> Tensor {
    scalar_grad("sum_backward", g);
    g.expand(shape)
}

/// Backward of `y = x.mean()`: `∂L/∂x = g / n` at every element (`n = numel`), a stride-0 view.
pub fn mean_backward(g: &Tensor, shape: &[usize]) -> Tensor {
    scalar_grad("mean_backward", g);
    let n: usize = shape.iter().product();
    g.div(n as f32).expand(shape)
}

/// Backward of `y = x.sum_dim(dim, keepdim)`: `∂L/∂x = g` broadcast along `dim` (unsqueezed there
/// first when `keepdim` is false), a stride-0 view. `shape` is `x`'s shape.
///
/// ```
/// use fusenet_runtime::{Tensor, graph::sum_dim_backward};
/// let g = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let gx = sum_dim_backward(&g, &[2, 3], 1, false);
/// assert_eq!(gx.to_vec::<f32>(), [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
/// ```
pub fn sum_dim_backward(g: &Tensor, shape: &[usize], dim: isize, keepdim: bool) -> Tensor {
    expand_along("sum_dim_backward", g, shape, dim, keepdim)
}

/// Backward of `y = x.mean_dim(dim, keepdim)`: `∂L/∂x = g / shape[dim]` broadcast along `dim`.
pub fn mean_dim_backward(g: &Tensor, shape: &[usize], dim: isize, keepdim: bool) -> Tensor {
    let n = if shape.is_empty() { 1 } else { shape[wrap("mean_dim_backward", dim, shape.len())] };
    expand_along("mean_dim_backward", &g.div(n as f32), shape, dim, keepdim)
}

/// `g / count` at every element of `x` equal to `y` (every NaN when `y` is NaN), 0 elsewhere.
fn evenly_distribute(op: &str, x: &Tensor, y: &Tensor, g: &Tensor) -> Tensor {
    scalar_grad(op, g);
    assert!(y.numel() == 1, "{op}: the result of a full reduction must have one element, got shape {:?}", y.shape());
    let yv = y.item();
    let hit = move |v: f32| if yv.is_nan() { v.is_nan() } else { v == yv };
    let mask = elementwise::map(op, x, move |v: f32| if hit(v) { 1.0f32 } else { 0.0 });
    let count = mask.sum_all();
    mask.mul_(g.item() / count);
    mask
}

/// Backward of `y = x.max()` (all elements), from the input and the result:
/// `∂L/∂x = g / k` at each of the `k` elements equal to the maximum (the NaNs when the maximum is
/// NaN), 0 elsewhere — PyTorch's `evenly_distribute_backward`, so ties share the gradient.
///
/// ```
/// use fusenet_runtime::{Tensor, graph::max_backward};
/// // x = tensor([1., 3., 3., 2.], requires_grad=True); x.max().backward(); x.grad
/// let x = Tensor::from_vec(vec![1.0f32, 3.0, 3.0, 2.0], &[4]);
/// let gx = max_backward(&x, &x.max(), &Tensor::scalar(1.0));
/// assert_eq!(gx.to_vec::<f32>(), [0.0, 0.5, 0.5, 0.0]);
/// ```
pub fn max_backward(x: &Tensor, y: &Tensor, g: &Tensor) -> Tensor {
    evenly_distribute("max_backward", x, y, g)
}

/// Backward of `y = x.min()` (all elements): as [`max_backward`], at the minimum.
pub fn min_backward(x: &Tensor, y: &Tensor, g: &Tensor) -> Tensor {
    evenly_distribute("min_backward", x, y, g)
}

/// Backward of `(values, indices) = x.max_dim(dim, keepdim)`: `g` goes to the element each index
/// names (PyTorch's `value_selecting_reduction_backward`: with ties, to the index the forward
/// returned, the first), 0 elsewhere. `shape` is `x`'s shape; `indices` (`i64`) has `g`'s shape.
///
/// ```
/// use fusenet_runtime::{Tensor, graph::max_dim_backward};
/// let x = Tensor::from_vec(vec![1.0f32, 3.0, 3.0, 2.0], &[2, 2]);
/// let (_, idx) = x.max_dim(1, false);
/// let gx = max_dim_backward(&Tensor::from_vec(vec![5.0f32, 7.0], &[2]), &idx, &[2, 2], 1, false);
/// assert_eq!(gx.to_vec::<f32>(), [0.0, 5.0, 7.0, 0.0]);
/// ```
pub fn max_dim_backward(g: &Tensor, indices: &Tensor, shape: &[usize], dim: isize, keepdim: bool) -> Tensor {
    scatter_along("max_dim_backward", g, indices, shape, dim, keepdim)
}

/// Backward of `x.min_dim(dim, keepdim)`: as [`max_dim_backward`].
pub fn min_dim_backward(g: &Tensor, indices: &Tensor, shape: &[usize], dim: isize, keepdim: bool) -> Tensor {
    scatter_along("min_dim_backward", g, indices, shape, dim, keepdim)
}

/// Zeros of `shape` with `g[p]` written at position `indices[p]` along `dim`.
fn scatter_along(op: &str, g: &Tensor, indices: &Tensor, shape: &[usize], dim: isize, keepdim: bool) -> Tensor {
    assert!(
        indices.shape() == g.shape(),
        "{op}: indices of shape {:?} do not match the gradient's shape {:?}",
        indices.shape(),
        g.shape()
    );
    // Checks g's shape against the reduction and normalises dim.
    expand_along(op, g, shape, dim, keepdim);
    if shape.is_empty() {
        return g.reshape(()).clone();
    }
    let d = wrap(op, dim, shape.len());
    let (outer, n, inner) = (shape[..d].iter().product::<usize>(), shape[d], shape[d + 1..].iter().product::<usize>());
    let mut out = vec![0f32; outer * n * inner];
    let (g, indices) = (g.contiguous(), indices.contiguous());
    g.with_slice(|gs: &[f32]| {
        indices.with_slice(|is: &[i64]| {
            for o in 0..outer {
                for i in 0..inner {
                    let k = is[o * inner + i];
                    assert!((0..n as i64).contains(&k), "{op}: index {k} is out of bounds for dim {d} of size {n}");
                    out[(o * n + k as usize) * inner + i] = gs[o * inner + i];
                }
            }
        })
    });
    Tensor::from_vec(out, shape)
}
