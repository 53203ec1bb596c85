//! `nn.Linear` in generated code, `y = act(x·Wᵀ + b)` over the last dim of `x`, and its backward:
//!
//! ```text
//! ∂L/∂W += Gᵀ·X        ∂L/∂b += Σ_rows G        ∂L/∂x = G·W
//! ```
//!
//! with `X` (`[rows, in]`) and `G` (`[rows, out]`) the input and the incoming gradient, their
//! leading dims flattened into rows. Each is one call per layer that takes every lock once and
//! reads the operands where they lie (a view's strides go to the GEMM): these run on every
//! training step, and for a small network (seed_mlp_b2's step is a few microseconds) the work
//! around the GEMMs — handles, reshapes, locks — costs as much as the GEMMs themselves.

use super::Slot;
use super::into::with_data;
use super::param_grad::{add_at_b_mat, add_row_sum_mat, at_b_into, row_sums_into};
use crate::optim::{FusedUpdate, fused_lr};
use crate::param::Param;
use crate::tensor::{Dims, Tensor};
use fusenet_kernels::cpu::gemm::{PAR_MIN_MNK, sgemm, sgemm_epilogue};
use fusenet_kernels::cpu::optim::{SgdStep, sgd_step};

/// A tensor of shape `[.., cols]` seen as a `[rows, cols]` matrix with non-negative strides:
/// the tensor itself when its leading dims merge into one, otherwise a contiguous copy.
pub(super) struct Mat<'a> {
    pub t: &'a Tensor,
    pub rows: usize,
    pub cols: usize,
    pub rs: isize,
    pub cs: isize,
}

/// Holds the copy a [`Mat`] borrows when the tensor's leading dims do not merge.
#[derive(Default)]
pub(super) struct MatCopy(Option<Tensor>);

impl<'a> Mat<'a> {
    /// `t` (`[.., cols]`, at least 1-d) as a matrix, copying into `keep` only when it must.
    pub fn of(t: &'a Tensor, keep: &'a mut MatCopy) -> Mat<'a> {
        let n = t.dim();
        assert!(n >= 1, "expected a tensor of at least 1 dim, got a 0-d tensor");
        let cols = t.shape()[n - 1];
        let rows = t.numel().checked_div(cols).unwrap_or_else(|| t.shape()[..n - 1].iter().product());
        if let Some((rs, cs)) = merged(t) {
            return Mat { t, rows, cols, rs, cs };
        }
        let copy = keep.0.insert(t.contiguous().reshape([rows, cols]));
        Mat { t: copy, rows, cols, rs: cols as isize, cs: 1 }
    }
}

/// The row and column strides of `t` viewed as `[rows, cols]`, when its leading dims merge into
/// one and no stride is negative.
fn merged(t: &Tensor) -> Option<(isize, isize)> {
    let (shape, strides) = (t.shape(), t.strides());
    let n = shape.len();
    let cs = if shape[n - 1] == 1 { 1 } else { strides[n - 1] };
    let mut rs = None::<isize>;
    // Walking the leading dims inwards: each must step by the next one's stride times its size.
    for k in (0..n - 1).rev() {
        if shape[k] == 1 {
            continue;
        }
        match rs {
            None => rs = Some(strides[k]),
            Some(inner) => {
                let below = (k + 1..n - 1).find(|&d| shape[d] != 1);
                let want = below.map_or(inner, |d| strides[d] * shape[d] as isize);
                if strides[k] != want {
                    return None;
                }
            }
        }
    }
    let rs = rs.unwrap_or(shape[n - 1] as isize);
    (rs >= 0 && cs >= 0).then_some((rs, cs))
}

/// PyTorch's `nn.Linear`: `y = act(x · wᵀ + b)` over the last dim of `x` (`[.., in]`), with `w`
/// of shape `[out, in]` and `b` of shape `[out]`. The bias and `act` are the GEMM's epilogue
/// (`sgemm_epilogue`): applied to each tile of the output right after its sums are complete.
///
/// ```
/// use fusenet_runtime::{tensor, graph::{Slot, into::linear}};
/// let x = tensor![[1.0, -2.0]];
/// let w = tensor![[1.0, 1.0], [0.0, 1.0]];
/// let y = linear(&mut Slot::default(), &x, &w, Some(&tensor![0.5, 0.0]), |v| v.max(0.0));
/// assert_eq!(y.to_vec::<f32>(), [0.0, 0.0]);
/// ```
pub fn linear(slot: &mut Slot, x: &Tensor, w: &Tensor, b: Option<&Tensor>, act: impl Fn(f32) -> f32 + Sync + Send) -> Tensor {
    assert!(w.dim() == 2, "linear: the weight must be 2-d, got shape {:?}", w.shape());
    let (o, i) = (w.shape()[0], w.shape()[1]);
    assert!(
        x.dim() >= 1 && x.shape()[x.dim() - 1] == i,
        "mat1 and mat2 shapes cannot be multiplied: input of shape {:?}, weight of shape {:?} (in_features {i})",
        x.shape(),
        w.shape()
    );
    if let Some(b) = b {
        assert!(b.shape() == [o], "linear: a bias of shape {:?} for {o} output features", b.shape());
    }
    let mut keep = MatCopy::default();
    let xm = Mat::of(x, &mut keep);
    let mut shape = Dims::from_slice(x.shape());
    let last = shape.len() - 1;
    shape[last] = o;
    let out = slot.out(&shape);
    let run = |c: &mut [f32], sx: &[f32], sw: &[f32], bias: Option<(&[f32], isize)>| {
        // `act(v + b[j])` on each row segment once its sums are final (in the GEMM's tiles where
        // the packed kernel runs it): no pass to fill C with the bias, none for `act`.
        let epilogue = |_: usize, j0: usize, row: &mut [f32]| match bias {
            Some((bs, 1)) => row.iter_mut().zip(&bs[j0..]).for_each(|(v, &bj)| *v = act(*v + bj)),
            Some((bs, step)) => row.iter_mut().enumerate().for_each(|(j, v)| *v = act(*v + bs[(j0 + j) * step as usize])),
            None => row.iter_mut().for_each(|v| *v = act(*v)),
        };
        let (sx, sw) = (&sx[xm.t.storage_offset()..], &sw[w.storage_offset()..]);
        // wᵀ is w with its strides swapped.
        sgemm_epilogue(xm.rows, i, o, sx, xm.rs, xm.cs, sw, w.strides()[1], w.strides()[0], c, o as isize, &epilogue);
    };
    match b {
        Some(b) => {
            let step = b.strides()[0];
            assert!(step >= 0 || o <= 1, "linear: a bias with a negative stride");
            with_data(&out, [xm.t, w, b], |c, [sx, sw, sb]| run(c, sx, sw, Some((&sb[b.storage_offset()..], step.max(0)))))
        }
        None => with_data(&out, [xm.t, w], |c, [sx, sw]| run(c, sx, sw, None)),
    }
    out
}

/// A `Linear`'s parameter gradients from its input `x` (`[.., in]`) and the gradient `g` of its
/// output (`[.., out]`): `weight.grad += gᵀ·x` and, when `bias` is given, `bias.grad += Σ_rows g`
/// (PyTorch's `.grad +=`; nothing for a parameter without `requires_grad`). Allocation-free once
/// the gradients have buffers.
///
/// With an `update` that consents ([`fused_lr`]), a parameter is updated instead of given a
/// gradient: `weight ← weight − lr·gᵀ·x` and `bias ← bias − lr·Σ_rows g`, each computed as the
/// gradient would be and applied at once with the SGD step's arithmetic (the same result as
/// storing the gradient and calling `step`). The caller must have read the weight for the input
/// gradient first.
///
/// Panics, naming the shapes, when `g`, `x` and the weight do not fit together.
///
/// ```
/// use fusenet_runtime::{Param, Tensor, tensor, graph::linear_weight_grads};
/// let (w, b) = (Param::new(Tensor::zeros(&[1, 2])), Param::new(Tensor::zeros(&[1])));
/// let (x, g) = (tensor![[1.0, 2.0], [3.0, 4.0]], tensor![[1.0], [-1.0]]);
/// linear_weight_grads(&w, Some(&b), &g, &x, None);
/// assert_eq!(w.grad().unwrap().to_vec::<f32>(), [-2.0, -2.0]);
/// assert_eq!(b.grad().unwrap().to_vec::<f32>(), [0.0]);
/// ```
pub fn linear_weight_grads(weight: &Param, bias: Option<&Param>, g: &Tensor, x: &Tensor, update: Option<&dyn FusedUpdate>) {
    let bias = bias.filter(|b| b.requires_grad());
    if !weight.requires_grad() && bias.is_none() {
        return;
    }
    let ws = weight.shape();
    assert!(
        ws.len() == 2
            && g.dim() >= 1
            && x.dim() >= 1
            && g.shape()[..g.dim() - 1] == x.shape()[..x.dim() - 1]
            && g.shape()[g.dim() - 1] == ws[0]
            && x.shape()[x.dim() - 1] == ws[1],
        "linear backward: a gradient of shape {:?} and an input of shape {:?} do not fit a weight of shape {:?}",
        g.shape(),
        x.shape(),
        ws
    );
    let (mut kg, mut kx) = (MatCopy::default(), MatCopy::default());
    let gm = Mat::of(g, &mut kg);
    if weight.requires_grad() {
        let xm = Mat::of(x, &mut kx);
        match fusable(update, weight, &[gm.t, xm.t]) {
            Some(lr) => sgd_from_scratch(weight, lr, |s| at_b_into(s, 0.0, &gm, &xm)),
            None => add_at_b_mat(weight, &gm, &xm),
        }
    }
    if let Some(b) = bias {
        bias_grad(b, &gm, update);
    }
}

/// `∂L/∂b += Σ_rows G`, or the fused update of `b` with it.
fn bias_grad(b: &Param, gm: &Mat, update: Option<&dyn FusedUpdate>) {
    match fusable(update, b, &[gm.t]) {
        Some(lr) => sgd_from_scratch(b, lr, |s| row_sums_into(s, gm, false)),
        None => add_row_sum_mat(b, gm),
    }
}

/// Both gradients of `nn.Linear`: `∂L/∂x = G·W` (returned, shaped `x_shape`, written into
/// `slot`) as [`linear_input_grad`], and `∂L/∂W += Gᵀ·X`, `∂L/∂b += Σ_rows G` as
/// [`linear_weight_grads`] (which may apply a fused update instead).
///
/// The two GEMMs do the same number of multiply-adds, `rows·in·out`. From [`PAR_MIN_MNK`] (where
/// one product alone would be split over threads) and when no fused update may write the weight
/// that `G·W` reads, they run side by side (`rayon::join`), each split again only while a thread
/// is free: each thread then packs its own product's operands once, where two split products each
/// had both threads pack all of `G`. Each element's sum runs in the same order either way, so the
/// results are the same bits. wide_mlp_b512's `512×1024·1024×1024` pair alone, 2 threads, in the
/// pool, alternated runs: 7.5–8.1 → 7.2–7.8 ms; its whole step (3 alternated runs each, noisy):
/// 29.9–30.7 → 29.5–31.0 ms.
///
/// ```
/// use fusenet_runtime::{tensor, Param, Tensor, graph::{Slot, linear_backward}};
/// let (w, b) = (Param::new(tensor![[1.0, 2.0]]), Param::new(Tensor::zeros(&[1])));
/// let (x, g) = (tensor![[1.0, 2.0], [3.0, 4.0]], tensor![[1.0], [-1.0]]);
/// let dx = linear_backward(&mut Slot::default(), &g, &w, Some(&b), &x, &[2, 2], None);
/// assert_eq!(dx.to_vec::<f32>(), [1.0, 2.0, -1.0, -2.0]);
/// assert_eq!(w.grad().unwrap().to_vec::<f32>(), [-2.0, -2.0]);
/// ```
pub fn linear_backward(slot: &mut Slot, g: &Tensor, weight: &Param, bias: Option<&Param>, x: &Tensor, x_shape: &[usize], update: Option<&dyn FusedUpdate>) -> Tensor {
    let macs = g.numel().saturating_mul(x_shape.last().copied().unwrap_or(0));
    let side_by_side = macs >= PAR_MIN_MNK && rayon::current_num_threads() > 1 && weight.requires_grad() && fused_lr(update, weight).is_none();
    if side_by_side {
        // The weight takes no fused update here (`fused_lr` said so); the bias may, after.
        let dx = rayon::join(|| linear_input_grad(slot, g, weight.value_ref(), x_shape), || linear_weight_grads(weight, None, g, x, None)).0;
        if let Some(b) = bias.filter(|b| b.requires_grad()) {
            let mut kg = MatCopy::default();
            bias_grad(b, &Mat::of(g, &mut kg), update);
        }
        dx
    } else {
        // The input gradient reads the weight before a fused update may overwrite it.
        let dx = linear_input_grad(slot, g, weight.value_ref(), x_shape);
        linear_weight_grads(weight, bias, g, x, update);
        dx
    }
}

/// The learning rate of a fused update of `p` ([`fused_lr`]), when its value can also be
/// written in place: a contiguous `f32` tensor that shares storage with none of `operands`.
pub(super) fn fusable(update: Option<&dyn FusedUpdate>, p: &Param, operands: &[&Tensor]) -> Option<f32> {
    let v = p.value_ref();
    let in_place = v.dtype() == crate::tensor::DType::F32 && v.is_contiguous() && operands.iter().all(|t| !t.shares_storage(v));
    fused_lr(update, p).filter(|_| in_place)
}

/// `p ← p − lr·g`, with the gradient `g` written by `grad` into `p`'s scratch buffer (stale on
/// entry) and applied at once by the SGD step's own loop, while it is in cache: the result
/// equals storing the gradient and calling `step`, bit for bit. (A GEMM with `α = −lr`, `β = 1`
/// straight into a weight was measured slower on seed_mlp_b2: reading C back after the masked
/// stores of the row before stalls store forwarding, 1.8 → 3.4 µs for the backward.)
pub(super) fn sgd_from_scratch(p: &Param, lr: f32, grad: impl FnOnce(&Tensor)) {
    p.with_scratch(|g| {
        grad(g);
        let step = SgdStep { neg_lr: -lr, weight_decay: 0.0, momentum: 0.0, one_minus_dampening: 1.0, nesterov: false, maximize: false };
        g.with_slice(|g: &[f32]| p.value_ref().with_slice_mut(|w: &mut [f32]| sgd_step(w, g, &mut [], false, &step)));
    });
}

/// A `Linear`'s input gradient `g·w` (`g` of shape `[.., out]`, `w` of shape `[out, in]`), into
/// `slot`, shaped `x_shape` (the input's shape, `[.., in]`).
///
/// Panics, naming the shapes, when they do not fit together.
///
/// ```
/// use fusenet_runtime::{tensor, graph::{Slot, linear_input_grad}};
/// let (g, w) = (tensor![[1.0], [-1.0]], tensor![[2.0, 3.0]]);
/// let dx = linear_input_grad(&mut Slot::default(), &g, &w, &[2, 2]);
/// assert_eq!(dx.to_vec::<f32>(), [2.0, 3.0, -2.0, -3.0]);
/// ```
pub fn linear_input_grad(slot: &mut Slot, g: &Tensor, w: &Tensor, x_shape: &[usize]) -> Tensor {
    let fits = w.dim() == 2
        && g.dim() >= 1
        && g.dim() == x_shape.len()
        && g.shape()[..g.dim() - 1] == x_shape[..x_shape.len() - 1]
        && g.shape()[g.dim() - 1] == w.shape()[0]
        && x_shape[x_shape.len() - 1] == w.shape()[1];
    assert!(fits, "linear backward: a gradient of shape {:?} and a weight of shape {:?} do not give an input gradient of shape {x_shape:?}", g.shape(), w.shape());
    let mut kg = MatCopy::default();
    let gm = Mat::of(g, &mut kg);
    let (o, i) = (w.shape()[0], w.shape()[1]);
    let out = slot.out(x_shape);
    with_data(&out, [gm.t, w], |c, [sg, sw]| {
        let (sg, sw) = (&sg[gm.t.storage_offset()..], &sw[w.storage_offset()..]);
        sgemm(gm.rows, o, i, 1.0, sg, gm.rs, gm.cs, sw, w.strides()[0], w.strides()[1], 0.0, c, i as isize, 1);
    });
    out
}
