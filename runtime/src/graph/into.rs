//! The non-elementwise ops of generated code, writing into a [`Slot`] (see [`slot`](super::slot)):
//! `matmul`, `linear` (bias and activation applied while the GEMM output is hot), reductions,
//! sums down to a broadcast operand's shape, softmax and its backward, and a copy for reshapes
//! that cannot be views. Each is allocation-free once its slot holds a buffer.
//!
//! Operands are `f32` tensors with any strides unless a doc says otherwise; a transposed operand
//! of a GEMM is passed to [`sgemm`] by its strides, never copied.

use super::Slot;
use crate::tensor::{Dims, Element, Tensor, contiguous_strides, elementwise::{expanded_strides, for_each_offsets, read_n}};
use fusenet_kernels::cpu::gemm::sgemm;
use fusenet_kernels::cpu::parallel;
use fusenet_kernels::ops::softmax::{self as sm, SoftmaxGeom};

/// Runs `f(out, inputs)` with `out`'s elements (contiguous, writable) and the whole storage
/// slices of `inputs` (each read-locked once); `out` must share storage with no input.
pub(super) fn with_data<const N: usize, R>(out: &Tensor, inputs: [&Tensor; N], f: impl FnOnce(&mut [f32], [&[f32]; N]) -> R) -> R {
    assert!(out.is_contiguous(), "the output of shape {:?} is not contiguous", out.shape());
    for t in &inputs {
        assert!(!t.shares_storage(out), "an operand shares storage with the output");
    }
    read_n(inputs, |datas| {
        let ins: [&[f32]; N] = std::array::from_fn(|k| {
            f32::slice(datas[k]).unwrap_or_else(|| panic!("operand {k} is {:?}, not f32", inputs[k].dtype()))
        });
        let mut w = out.storage.write();
        let all = f32::slice_mut(&mut w).expect("an f32 output");
        let (o, n) = (out.storage_offset(), out.numel());
        f(&mut all[o..o + n], ins)
    })
}

/// `a · b` for matrices `[m, k] · [k, n]`, into `slot`.
///
/// Panics, naming both shapes, unless both are 2-d with equal inner dims.
///
/// ```
/// use fusenet_runtime::{tensor, graph::{Slot, into::matmul}};
/// let a = tensor![[1.0, 2.0], [3.0, 4.0]];
/// let y = matmul(&mut Slot::default(), &a, &a.t());
/// assert_eq!(y.to_vec::<f32>(), [5.0, 11.0, 11.0, 25.0]);
/// ```
pub fn matmul(slot: &mut Slot, a: &Tensor, b: &Tensor) -> Tensor {
    assert!(
        a.dim() == 2 && b.dim() == 2 && a.shape()[1] == b.shape()[0],
        "mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})",
        a.shape().first().copied().unwrap_or(0),
        a.shape().get(1).copied().unwrap_or(0),
        b.shape().first().copied().unwrap_or(0),
        b.shape().get(1).copied().unwrap_or(0)
    );
    let (m, k, n) = (a.shape()[0], a.shape()[1], b.shape()[1]);
    let out = slot.out(&[m, n]);
    with_data(&out, [a, b], |c, [sa, sb]| {
        let (sa, sb) = (&sa[a.storage_offset()..], &sb[b.storage_offset()..]);
        sgemm(m, k, n, 1.0, sa, a.strides()[0], a.strides()[1], sb, b.strides()[0], b.strides()[1], 0.0, c, n as isize, 1);
    });
    out
}

pub use super::linear::linear;

/// The gradient of a `Linear`'s output from its activation's, `f(g, saved…)` (the derivative
/// mask), with the bias gradient `Σ_rows` of it accumulated into `bias` in the same pass
/// (PyTorch's `.grad +=`, nothing for a bias without `requires_grad`). The sums equal
/// [`add_row_sum_to_grad`](super::add_row_sum_to_grad)'s bit for bit.
///
/// ```
/// use fusenet_runtime::{Param, Tensor, tensor, graph::{Slot, into::map_bias_grad}};
/// let b = Param::new(Tensor::zeros(&[2]));
/// let (g, y) = (tensor![[1.0, 2.0], [3.0, 4.0]], tensor![[0.0, 1.0], [1.0, 1.0]]);
/// let gz = map_bias_grad(&mut Slot::default(), [&g, &y], |[g, y]| if y > 0.0 { g } else { 0.0 }, Some(&b), None);
/// assert_eq!(gz.to_vec::<f32>(), [0.0, 2.0, 3.0, 4.0]);
/// assert_eq!(b.grad().unwrap().to_vec::<f32>(), [3.0, 6.0]);
/// ```
pub fn map_bias_grad<const N: usize>(
    slot: &mut Slot,
    inputs: [&Tensor; N],
    f: impl Fn([f32; N]) -> f32 + Sync + Send,
    bias: Option<&crate::Param>,
    update: Option<&dyn crate::optim::FusedUpdate>,
) -> Tensor {
    let Some(b) = bias.filter(|b| b.requires_grad()) else {
        return super::map(slot, inputs, f);
    };
    // With a consenting `update` the bias is updated instead of given a gradient (see
    // `linear_weight_grads`): the same sums, then the SGD step's arithmetic.
    let lr = super::linear::fusable(update, b, &inputs);
    // The one-pass form runs on the calling thread; a large gradient is better served by the
    // parallel map and a separate row sum (same sums, same order).
    let numel = inputs.iter().map(|t| t.numel()).max().unwrap_or(0);
    if numel >= fusenet_kernels::cpu::parallel::par_threshold() {
        let out = super::map(slot, inputs, f);
        match lr {
            Some(lr) => {
                let mut keep = super::linear::MatCopy::default();
                let om = super::linear::Mat::of(&out, &mut keep);
                super::linear::sgd_from_scratch(b, lr, |s| super::param_grad::row_sums_into(s, &om, false));
            }
            None => super::add_row_sum_to_grad(b, &out),
        }
        return out;
    }
    let mut out = None;
    let mut sums = |buf: &Tensor, has_grad: bool| {
        buf.with_slice_mut(|c: &mut [f32]| {
            if !has_grad {
                c.fill(0.0);
            }
            out = Some(super::map_col_sums(slot, inputs, &f, c));
        })
    };
    match lr {
        Some(lr) => super::linear::sgd_from_scratch(b, lr, |s| sums(s, false)),
        None => b.accumulate_grad_with(sums),
    }
    out.expect("the closure ran")
}

/// `Σ` (or the mean, `mean = true`) of `x` over every element (`dim = None`, a 0-d result) or
/// over one dim (`keepdim` as PyTorch), accumulated in `f64` and rounded once, into `slot`.
///
/// ```
/// use fusenet_runtime::{Tensor, graph::{Slot, into::sum}};
/// let x = Tensor::arange(6.0).reshape([2, 3]);
/// assert_eq!(sum(&mut Slot::default(), &x, Some((0, false)), false).to_vec::<f32>(), [3.0, 5.0, 7.0]);
/// assert_eq!(sum(&mut Slot::default(), &x, None, true).item(), 2.5);
/// ```
pub fn sum(slot: &mut Slot, x: &Tensor, dim: Option<(isize, bool)>, mean: bool) -> Tensor {
    let mut shape = Dims::from_slice(x.shape());
    let mut keep = Dims::from_slice(x.shape());
    let count = match dim {
        None => {
            shape.truncate(0);
            keep.iter_mut().for_each(|d| *d = 1);
            x.numel()
        }
        Some((d, keepdim)) => {
            let d = x.wrap_dim(d);
            keep[d] = 1;
            if keepdim {
                shape[d] = 1;
            } else {
                shape.remove(d);
            }
            x.shape().get(d).copied().unwrap_or(1)
        }
    };
    let out = slot.out(&shape);
    let kept = out.view_with(keep, contiguous_strides(&keep), out.storage_offset());
    reduce_into(&kept, x, mean.then_some(count));
    out
}

/// `g` summed down to `shape` where broadcasting grew it (PyTorch's `sum_to_size`), into `slot`;
/// `g` itself (a handle) when the shapes are equal.
///
/// ```
/// use fusenet_runtime::{Tensor, graph::{Slot, into::sum_to}};
/// let g = Tensor::arange(6.0).reshape([2, 3]);
/// assert_eq!(sum_to(&mut Slot::default(), &g, &[3]).to_vec::<f32>(), [3.0, 5.0, 7.0]);
/// assert_eq!(sum_to(&mut Slot::default(), &g, &[2, 1]).to_vec::<f32>(), [3.0, 12.0]);
/// ```
pub fn sum_to(slot: &mut Slot, g: &Tensor, shape: &[usize]) -> Tensor {
    if g.shape() == shape {
        return g.shallow_clone();
    }
    let (r, n) = (g.dim(), shape.len());
    let fits = n <= r && shape.iter().zip(&g.shape()[r - n..]).all(|(&s, &d)| s == d || s == 1);
    assert!(fits, "sum_to_shape: size {shape:?} is not expandable to size {:?} (the gradient's shape)", g.shape());
    let out = slot.out(shape);
    // Seen with g's rank: leading dims of size 1.
    let mut keep = Dims::filled(1usize, r - n);
    keep.extend_from_slice(shape);
    let kept = out.view_with(keep, contiguous_strides(&keep), out.storage_offset());
    reduce_into(&kept, g, None);
    out
}

/// `out[j] = Σ { x[i] : i reduces onto j }` (divided by `mean` when given), with `out` of
/// `x`'s rank and size 1 on the reduced dims; `f64` accumulators, one per output element, visited
/// in `x`'s row-major order.
fn reduce_into(out: &Tensor, x: &Tensor, mean: Option<usize>) {
    let st = expanded_strides(out, x.shape());
    let n = out.numel();
    with_data(out, [x], |o, [sx]| {
        if n == 1 {
            let mut acc = 0f64;
            if x.is_contiguous() {
                // The eager `sum`'s summation on the calling thread (equal bit for bit, no allocation).
                acc = parallel::sum_f32_mode(&sx[x.storage_offset()..x.storage_offset() + x.numel()], parallel::Mode::Serial);
            } else {
                for_each_offsets(x.shape(), [x.strides()], [x.storage_offset()], |[i]| acc += sx[i] as f64);
            }
            o[0] = finish(acc, mean);
            return;
        }
        // Few outputs: f64 partial sums on the stack; else f32 accumulation in place.
        if n <= 4096 {
            let mut acc = [0f64; 4096];
            for_each_offsets(x.shape(), [x.strides(), st.as_slice()], [x.storage_offset(), 0], |[i, j]| acc[j] += sx[i] as f64);
            for (o, a) in o.iter_mut().zip(&acc) {
                *o = finish(*a, mean);
            }
        } else {
            o.fill(0.0);
            for_each_offsets(x.shape(), [x.strides(), st.as_slice()], [x.storage_offset(), 0], |[i, j]| o[j] += sx[i]);
            if let Some(c) = mean {
                o.iter_mut().for_each(|v| *v /= c as f32);
            }
        }
    });
}

fn finish(acc: f64, mean: Option<usize>) -> f32 {
    match mean {
        Some(c) => (acc / c as f64) as f32,
        None => acc as f32,
    }
}

/// `x` as a contiguous tensor of `shape` (same element count): a view when `x` can be seen that
/// way, else a copy into `slot`.
pub fn reshape(slot: &mut Slot, x: &Tensor, shape: &[usize]) -> Tensor {
    assert!(
        shape.iter().product::<usize>() == x.numel(),
        "shape '{shape:?}' is invalid for input of size {}",
        x.numel()
    );
    if x.is_contiguous() {
        return x.view_with(shape, contiguous_strides(shape), x.storage_offset());
    }
    let out = slot.out(shape);
    with_data(&out, [x], |o, [sx]| {
        let mut k = 0;
        for_each_offsets(x.shape(), [x.strides()], [x.storage_offset()], |[i]| {
            o[k] = sx[i];
            k += 1;
        });
    });
    out
}

/// `softmax(x, dim)` (or `log_softmax` with `log = true`), into `slot`.
pub fn softmax(slot: &mut Slot, x: &Tensor, dim: isize, log: bool) -> Tensor {
    let x = x.contiguous();
    let geo = SoftmaxGeom::of(x.shape(), x.wrap_dim(dim));
    let out = slot.out(x.shape());
    with_data(&out, [&x], |o, [sx]| {
        let s = &sx[x.storage_offset()..x.storage_offset() + x.numel()];
        if log { sm::log_softmax_forward(&geo, s, o) } else { sm::softmax_forward(&geo, s, o) }
    });
    out
}

/// Backward of [`softmax`] from its output `y`: softmax `y ⊙ (g − Σ g·y)`, log-softmax
/// `g − eʸ·Σ g`, into `slot`.
pub fn softmax_backward(slot: &mut Slot, y: &Tensor, g: &Tensor, dim: isize, log: bool) -> Tensor {
    assert!(y.shape() == g.shape(), "softmax_backward: y has shape {:?} but grad has shape {:?}", y.shape(), g.shape());
    let (y, g) = (y.contiguous(), g.contiguous());
    let geo = SoftmaxGeom::of(y.shape(), y.wrap_dim(dim));
    let out = slot.out(y.shape());
    with_data(&out, [&y, &g], |o, [sy, sg]| {
        let sy = &sy[y.storage_offset()..y.storage_offset() + y.numel()];
        let sg = &sg[g.storage_offset()..g.storage_offset() + g.numel()];
        if log { sm::log_softmax_backward(&geo, sy, sg, o) } else { sm::softmax_backward(&geo, sy, sg, o) }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_and_linear_agree_with_eager_ops() {
        let x = Tensor::randn(&[5, 7]);
        let w = Tensor::randn(&[3, 7]);
        let b = Tensor::randn(&[3]);
        let y = matmul(&mut Slot::default(), &x, &w.t());
        assert!(y.allclose(&x.matmul(&w.t()), 1e-5, 1e-6));
        let y = linear(&mut Slot::default(), &x, &w, Some(&b), |v| v);
        assert!(y.allclose(&x.matmul(&w.t()).add(&b), 1e-5, 1e-6));
        let x3 = Tensor::randn(&[2, 4, 7]);
        let y = linear(&mut Slot::default(), &x3, &w, None, |v| v.max(0.0));
        assert_eq!(y.shape(), &[2, 4, 3]);
        assert!(y.allclose(&x3.matmul(&w.t()).relu(), 1e-5, 1e-6));
    }

    #[test]
    fn reductions_equal_the_eager_ones_bit_for_bit() {
        let x = Tensor::randn(&[6, 5, 4]);
        let mut s = Slot::default();
        assert_eq!(sum(&mut s, &x, None, false).item(), x.sum().item());
        assert_eq!(sum(&mut Slot::default(), &x, None, true).item(), x.mean().item());
        for d in [0isize, 1, -1] {
            for k in [false, true] {
                assert_eq!(sum(&mut Slot::default(), &x, Some((d, k)), false).to_vec::<f32>(), x.sum_dim(d, k).to_vec::<f32>());
                assert_eq!(sum(&mut Slot::default(), &x, Some((d, k)), true).to_vec::<f32>(), x.mean_dim(d, k).to_vec::<f32>());
            }
        }
        let t = x.transpose(0, 2);
        assert_eq!(sum(&mut Slot::default(), &t, Some((1, false)), false).to_vec::<f32>(), t.sum_dim(1, false).to_vec::<f32>());
    }

    #[test]
    fn sum_to_matches_the_tensor_helper() {
        let g = Tensor::randn(&[4, 3, 5]);
        for shape in [&[5][..], &[3, 1], &[1, 5], &[4, 1, 5], &[]] {
            let want = super::super::sum_to_shape(&g, shape);
            let got = sum_to(&mut Slot::default(), &g, shape);
            assert_eq!(got.shape(), want.shape());
            assert!(got.allclose(&want, 1e-5, 1e-6), "{shape:?}");
        }
    }

    #[test]
    fn softmax_and_reshape_copy() {
        let x = Tensor::randn(&[3, 4]);
        assert!(softmax(&mut Slot::default(), &x, 1, false).allclose(&x.softmax(1), 1e-6, 1e-7));
        assert!(softmax(&mut Slot::default(), &x, 0, true).allclose(&x.log_softmax(0), 1e-6, 1e-7));
        let y = x.softmax(1);
        let g = Tensor::randn(&[3, 4]);
        let want = super::super::softmax_backward(&y, &g, 1);
        assert!(softmax_backward(&mut Slot::default(), &y, &g, 1, false).allclose(&want, 1e-6, 1e-7));
        let r = reshape(&mut Slot::default(), &x.t(), &[12]);
        assert_eq!(r.to_vec::<f32>(), x.t().contiguous().reshape([12]).to_vec::<f32>());
    }
}
