//! Reductions: `sum`, `mean`, `max`/`min` over everything or along one dim; and `max` with its
//! backward writing into a [`Slot`] (`max_into`, `max_dim_into`, `max_backward_into`,
//! `max_dim_backward_into`), allocation-free once the slot holds a buffer, for generated code.

use super::Slot;
use crate::tensor::elementwise::{for_each_offsets, read_all};
use crate::tensor::{Dims, Element, Tensor, contiguous_strides, elementwise};

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

/// The running maximum of `max`/`max_dim`: the first maximum wins and the first NaN beats
/// everything (as the eager `Tensor::max`). `None` before the first element.
fn better_max(cur: Option<(usize, f32)>, cand: (usize, f32)) -> Option<(usize, f32)> {
    match cur {
        Some(c) if c.1.is_nan() || !(cand.1.is_nan() || cand.1 > c.1) => Some(c),
        _ => Some(cand),
    }
}

/// The position (`0..len`) and value of the maximum of the lane of `len` elements from `base`,
/// `stride` apart.
fn lane_max(data: &[f32], base: usize, len: usize, stride: isize) -> (usize, f32) {
    let mut best = None;
    for k in 0..len {
        best = better_max(best, (k, data[(base as isize + k as isize * stride) as usize]));
    }
    best.expect("lanes are non-empty (checked)")
}

/// The geometry of the lanes of `x` along `dim`: `(outer shape, x's strides on it, lane
/// length, lane stride)`, with `dim` already wrapped. A 0-d `x` has one lane of one element.
fn lanes(x: &Tensor, d: usize) -> (Dims<usize>, Dims<isize>, usize, isize) {
    if x.dim() == 0 {
        return (Dims::from_slice(&[]), Dims::from_slice(&[]), 1, 0);
    }
    let (mut shape, mut strides) = (Dims::from_slice(x.shape()), Dims::from_slice(x.strides()));
    let (len, stride) = (shape.remove(d), strides.remove(d));
    (shape, strides, len, stride)
}

/// `shape` reduced along the (wrapped) dim `d`: size 1 there with `keepdim`, else removed.
fn reduced_dims(shape: &[usize], d: usize, keepdim: bool) -> Dims<usize> {
    let mut s = Dims::from_slice(shape);
    if !s.is_empty() {
        if keepdim {
            s[d] = 1;
        } else {
            s.remove(d);
        }
    }
    s
}

fn f32_data<'a>(op: &str, t: &Tensor, d: &'a crate::tensor::Data) -> &'a [f32] {
    f32::slice(d).unwrap_or_else(|| panic!("{op}: expected a float32 tensor, got {:?}", t.dtype()))
}

/// `x.max()` (every element; the first NaN if any, as the eager op) as a 0-d tensor, into
/// `slot`.
///
/// Panics on an empty `x`, as PyTorch does.
///
/// ```
/// use fusenet_runtime::{tensor, graph::{Slot, max_into}};
/// assert_eq!(max_into(&mut Slot::default(), &tensor![[1.0, 5.0], [3.0, 2.0]].t()).item(), 5.0);
/// ```
pub fn max_into(slot: &mut Slot, x: &Tensor) -> Tensor {
    assert!(
        x.numel() > 0,
        "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument."
    );
    let out = slot.out(&[]);
    let m = read_all(&[x], |d| {
        let all = f32_data("max", x, d[0]);
        let mut best = None;
        let mut k = 0;
        for_each_offsets(x.shape(), [x.strides()], [x.storage_offset()], |[i]| {
            best = better_max(best, (k, all[i]));
            k += 1;
        });
        best.expect("non-empty").1
    });
    out.with_slice_mut(|o: &mut [f32]| o[0] = m);
    out
}

/// The values of `x.max_dim(dim, keepdim)`, into `slot` (the indices are not kept: see
/// [`max_dim_backward_into`]).
///
/// ```
/// use fusenet_runtime::{tensor, graph::{Slot, max_dim_into}};
/// let x = tensor![[1.0, 5.0], [3.0, 2.0]];
/// assert_eq!(max_dim_into(&mut Slot::default(), &x, 0, false).to_vec::<f32>(), [3.0, 5.0]);
/// assert_eq!(max_dim_into(&mut Slot::default(), &x, -1, true).shape(), &[2, 1]);
/// ```
pub fn max_dim_into(slot: &mut Slot, x: &Tensor, dim: isize, keepdim: bool) -> Tensor {
    let d = x.wrap_dim(dim);
    assert!(x.dim() == 0 || x.shape()[d] > 0, "max(): Expected reduction dim {d} to have non-zero size.");
    let (outer, st, len, stride) = lanes(x, d);
    let out = slot.out(&reduced_dims(x.shape(), d, keepdim));
    read_all(&[x], |data| {
        let all = f32_data("max", x, data[0]);
        out.with_slice_mut(|o: &mut [f32]| {
            let mut j = 0;
            for_each_offsets(&outer, [&st], [x.storage_offset()], |[b]| {
                o[j] = lane_max(all, b, len, stride).1;
                j += 1;
            });
        })
    });
    out
}

/// Backward of `y = x.max()` into `slot`, from the input and the result: `∂L/∂x = g / k` at
/// each of the `k` elements equal to `y` (the NaNs when `y` is NaN), 0 elsewhere — the same
/// values as [`max_backward`].
///
/// ```
/// use fusenet_runtime::{Tensor, graph::{Slot, max_backward_into}};
/// let x = Tensor::from_vec(vec![1.0f32, 3.0, 3.0, 2.0], &[4]);
/// let gx = max_backward_into(&mut Slot::default(), &x, &x.max(), &Tensor::scalar(1.0));
/// assert_eq!(gx.to_vec::<f32>(), [0.0, 0.5, 0.5, 0.0]);
/// ```
pub fn max_backward_into(slot: &mut Slot, x: &Tensor, y: &Tensor, g: &Tensor) -> Tensor {
    scalar_grad("max_backward", g);
    assert!(y.numel() == 1, "max_backward: the result of a full reduction must have one element, got shape {:?}", y.shape());
    let (yv, gv) = (y.item(), g.item());
    let hit = move |v: f32| if yv.is_nan() { v.is_nan() } else { v == yv };
    let out = slot.out(x.shape());
    let ost = contiguous_strides(x.shape());
    read_all(&[x], |d| {
        let all = f32_data("max_backward", x, d[0]);
        let mut count = 0usize;
        for_each_offsets(x.shape(), [x.strides()], [x.storage_offset()], |[i]| count += hit(all[i]) as usize);
        let q = gv / count as f32;
        out.with_slice_mut(|o: &mut [f32]| {
            for_each_offsets(x.shape(), [x.strides(), &ost], [x.storage_offset(), 0], |[i, j]| {
                o[j] = if hit(all[i]) { q } else { 0.0 };
            });
        })
    });
    out
}

/// Backward of `y = x.max_dim(dim, keepdim).0` into `slot`: `g` goes to the maximum of each lane
/// of `x` along `dim` (the first one, or the first NaN: the index the forward's `max_dim`
/// returns, found again by one pass over the lane), 0 elsewhere — the values of
/// [`max_dim_backward`] without an index tensor.
///
/// ```
/// use fusenet_runtime::{Tensor, graph::{Slot, max_dim_backward_into}};
/// let x = Tensor::from_vec(vec![1.0f32, 3.0, 3.0, 2.0], &[2, 2]);
/// let g = Tensor::from_vec(vec![5.0f32, 7.0], &[2]);
/// let gx = max_dim_backward_into(&mut Slot::default(), &g, &x, 1, false);
/// assert_eq!(gx.to_vec::<f32>(), [0.0, 5.0, 7.0, 0.0]);
/// ```
pub fn max_dim_backward_into(slot: &mut Slot, g: &Tensor, x: &Tensor, dim: isize, keepdim: bool) -> Tensor {
    let d = x.wrap_dim(dim);
    let reduced = reduced_dims(x.shape(), d, keepdim);
    assert!(
        g.shape() == reduced.as_slice(),
        "max_dim_backward: reducing {:?} along dim {dim} (keepdim={keepdim}) gives shape {:?}, but the gradient has shape {:?}",
        x.shape(),
        reduced.as_slice(),
        g.shape()
    );
    let (outer, xst, len, stride) = lanes(x, d);
    let mut gst = Dims::from_slice(g.strides());
    if keepdim && g.dim() > 0 {
        gst.remove(d);
    }
    let mut ost = contiguous_strides(x.shape());
    let ostride = if x.dim() > 0 { ost.remove(d) } else { 0 };
    let out = slot.out(x.shape());
    read_all(&[x, g], |data| {
        let (xs, gs) = (f32_data("max_dim_backward", x, data[0]), f32_data("max_dim_backward", g, data[1]));
        out.with_slice_mut(|o: &mut [f32]| {
            o.fill(0.0);
            for_each_offsets(&outer, [&xst, &gst, &ost], [x.storage_offset(), g.storage_offset(), 0], |[b, gi, oi]| {
                let k = lane_max(xs, b, len, stride).0;
                o[(oi as isize + k as isize * ostride) as usize] = gs[gi];
            });
        })
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ptr(t: &Tensor) -> *const f32 {
        t.with_slice(|v: &[f32]| v.as_ptr())
    }

    /// A `[3, 4, 5]` sample with ties inside lanes, seen transposed (strided).
    fn sample() -> Tensor {
        let v: Vec<f32> = (0..60).map(|i| ((i * 7) % 11) as f32 - 5.0).collect();
        Tensor::from_vec(v, &[5, 4, 3]).permute([2, 1, 0])
    }

    #[test]
    fn max_forwards_equal_the_eager_ops() {
        let x = sample();
        assert!(!x.is_contiguous());
        assert_eq!(max_into(&mut Slot::default(), &x).item(), x.max().item());
        for d in [0isize, 1, 2, -1] {
            for k in [false, true] {
                let got = max_dim_into(&mut Slot::default(), &x, d, k);
                let want = x.max_dim(d, k).0;
                assert_eq!((got.shape(), got.to_vec::<f32>()), (want.shape(), want.to_vec::<f32>()), "dim {d} keepdim {k}");
            }
        }
        let s = Tensor::scalar(3.0);
        assert_eq!(max_dim_into(&mut Slot::default(), &s, 0, false).item(), 3.0);
        let nan = Tensor::from_vec(vec![1.0f32, f32::NAN, 2.0, 0.0], &[2, 2]);
        assert!(max_into(&mut Slot::default(), &nan).item().is_nan());
        let m = max_dim_into(&mut Slot::default(), &nan, 1, false).to_vec::<f32>();
        assert!(m[0].is_nan() && m[1] == 2.0);
    }

    #[test]
    fn max_backwards_equal_the_eager_helpers() {
        let x = sample();
        let g = Tensor::scalar(1.5);
        let got = max_backward_into(&mut Slot::default(), &x, &x.max(), &g);
        assert_eq!(got.to_vec::<f32>(), max_backward(&x, &x.max(), &g).to_vec::<f32>());
        for d in [0isize, 1, 2, -1] {
            for k in [false, true] {
                let (y, idx) = x.max_dim(d, k);
                // A strided gradient: the transpose of a contiguous one when 2-d, else a broadcast.
                let g = if y.dim() == 2 {
                    Tensor::randn(&[y.shape()[1], y.shape()[0]]).t()
                } else {
                    Tensor::randn(&[y.shape()[y.dim() - 1]]).expand(y.shape())
                };
                let got = max_dim_backward_into(&mut Slot::default(), &g, &x, d, k);
                let want = max_dim_backward(&g, &idx, x.shape(), d, k);
                assert_eq!(got.to_vec::<f32>(), want.to_vec::<f32>(), "dim {d} keepdim {k}");
            }
        }
        let nan = Tensor::from_vec(vec![1.0f32, f32::NAN, f32::NAN, 2.0, 2.0, 0.0], &[2, 3]);
        let (_, idx) = nan.max_dim(1, true);
        let g = Tensor::from_vec(vec![4.0f32, 5.0], &[2, 1]);
        let got = max_dim_backward_into(&mut Slot::default(), &g, &nan, 1, true);
        assert_eq!(got.to_vec::<f32>(), max_dim_backward(&g, &idx, &[2, 3], 1, true).to_vec::<f32>());
        assert_eq!(got.to_vec::<f32>(), [0.0, 4.0, 0.0, 5.0, 0.0, 0.0]);
        let got = max_backward_into(&mut Slot::default(), &nan, &nan.max(), &Tensor::scalar(1.0)).to_vec::<f32>();
        assert_eq!(got, [0.0, 0.5, 0.5, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn warm_max_calls_reuse_their_buffers() {
        let x = sample();
        let mut s = Slot::default();
        let p = ptr(&max_dim_into(&mut s, &x, 1, false));
        assert_eq!(ptr(&max_dim_into(&mut s, &x, 1, false)), p);
        let mut s = Slot::default();
        let g = Tensor::ones(&[3, 5]);
        let p = ptr(&max_dim_backward_into(&mut s, &g, &x, 1, false));
        let again = max_dim_backward_into(&mut s, &g, &x, 1, false);
        assert_eq!(ptr(&again), p);
        assert_eq!(again.sum().item(), 15.0, "stale values are cleared");
    }

    #[test]
    #[should_panic(expected = "reducing [3, 4, 5] along dim 1 (keepdim=false) gives shape [3, 5], but the gradient has shape [3, 4]")]
    fn a_gradient_of_the_wrong_shape_panics() {
        max_dim_backward_into(&mut Slot::default(), &Tensor::ones(&[3, 4]), &sample(), 1, false);
    }

    #[test]
    #[should_panic(expected = "Expected reduction dim to be specified for input.numel() == 0")]
    fn max_of_nothing_panics() {
        max_into(&mut Slot::default(), &Tensor::zeros(&[0, 3]));
    }
}
