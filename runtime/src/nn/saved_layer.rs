//! What the `Layer` impls of the activation, softmax, dropout and embedding layers keep between
//! `forward_train` and `backward`, and the slice plumbing their forwards and backwards share.
//!
//! Every result of a training step is written into a [`Slot`] kept in the call site's context,
//! so a steady-state step allocates nothing (see `graph::Slot` for when storage is reused: a
//! result the caller still holds is never overwritten).

use super::kernel_call::expect_f32;
use crate::graph::Slot;
use crate::tensor::{Element, Tensor};

/// One tensor a call site keeps for its backward, as a handle (no copy): the input for
/// `LeakyReLU`, `GELU`, `ELU`, `SiLU` (their derivatives read `x`), the output for `Softmax`
/// and `LogSoftmax` (theirs read `y`), the `i64` indices for `Embedding`; plus the buffers the
/// output and the input gradient are written into, reused from step to step.
///
/// The saved tensor must not be modified in place between `forward_train` and `backward`
/// (PyTorch would raise "modified by an inplace operation").
///
/// ```
/// use fusenet_runtime::module::Layer;
/// use fusenet_runtime::nn::{SavedTensor, SiLU};
/// use fusenet_runtime::Tensor;
/// let mut ctx = SavedTensor::default();
/// let y = SiLU.forward_train(&Tensor::zeros(&[2]), &mut ctx);
/// assert_eq!(y.to_vec::<f32>(), [0.0, 0.0]);
/// // silu'(0) = σ(0) = 1/2
/// assert_eq!(SiLU.backward(&mut ctx, &Tensor::ones(&[2]), true).unwrap().to_vec::<f32>(), [0.5, 0.5]);
/// ```
#[derive(Default)]
pub struct SavedTensor {
    saved: Option<Tensor>,
    pub(crate) bufs: StepBuffers,
}

impl std::fmt::Debug for SavedTensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SavedTensor").field("saved", &self.saved).finish_non_exhaustive()
    }
}

impl SavedTensor {
    pub(crate) fn save(&mut self, t: Tensor) {
        self.saved = Some(t);
    }

    /// Drops the saved handle (a `forward_train` does this first, so the buffers it held can be
    /// reused even when no backward ran).
    pub(crate) fn clear(&mut self) {
        self.saved = None;
    }

    /// The saved tensor; panics, naming the layer, when `forward_train` did not run first (or
    /// `backward` runs twice for one `forward_train`).
    pub(crate) fn take(&mut self, layer: &str) -> Tensor {
        self.saved.take().unwrap_or_else(|| {
            panic!("{layer}::backward: nothing saved; call forward_train first (and backward once per forward_train)")
        })
    }
}

/// The buffers one call site writes a training step into: the output, the input gradient, and
/// contiguous copies of a strided input or gradient (used only for such inputs).
#[derive(Default)]
pub(crate) struct StepBuffers {
    pub out: Slot,
    pub grad: Slot,
    pub input_copy: Slot,
    pub grad_copy: Slot,
}

/// `t` itself (a handle) when contiguous, else a contiguous copy written into `slot` (f32), or a
/// fresh copy for other dtypes.
pub(crate) fn contiguous_in(t: &Tensor, slot: &mut Slot) -> Tensor {
    if t.is_contiguous() {
        t.shallow_clone()
    } else if t.dtype() == crate::tensor::DType::F32 {
        crate::graph::map(slot, [t], |[v]| v)
    } else {
        t.contiguous()
    }
}

/// A tensor of `shape` taken from `out`, whose elements `f(xs, ys)` writes from the elements of
/// the contiguous `x` (each tensor locked once).
pub(crate) fn write_from<T: Element>(x: &Tensor, shape: &[usize], out: &mut Slot, f: impl FnOnce(&[T], &mut [f32])) -> Tensor {
    let y = out.out(shape);
    x.with_slice::<T, _>(|xs| y.with_slice_mut::<f32, _>(|ys| f(xs, ys)));
    y
}

/// The forward of an elementwise (or per-row) layer into the call site's buffers: `x` (checked
/// to be f32, made contiguous in `bufs.input_copy` when strided) and `y` of `x`'s shape written
/// by `f(xs, ys)` into `bufs.out`. Returns `(x, y)`.
pub(crate) fn forward_into(layer: &str, x: &Tensor, bufs: &mut StepBuffers, f: impl FnOnce(&[f32], &mut [f32])) -> (Tensor, Tensor) {
    expect_f32(layer, "input", x);
    let x = contiguous_in(x, &mut bufs.input_copy);
    let y = write_from(&x, x.shape(), &mut bufs.out, f);
    (x, y)
}

/// Panics, naming the layer and both shapes, unless `grad_out` has the shape `want` and dtype f32.
pub(crate) fn check_grad_out(layer: &str, want: &[usize], grad_out: &Tensor) {
    assert!(
        grad_out.shape() == want,
        "{layer}::backward: the output had shape {want:?}, so the gradient must have shape {want:?}, got {:?}",
        grad_out.shape()
    );
    expect_f32(layer, "gradient", grad_out);
}

/// Runs `f` on the elements of two contiguous tensors, taking one read lock when they share a
/// storage (a second read lock on a `RwLock` the thread already holds may deadlock).
pub(crate) fn with_two_slices<A: Element, B: Element, R>(a: &Tensor, b: &Tensor, f: impl FnOnce(&[A], &[B]) -> R) -> R {
    assert!(a.is_contiguous() && b.is_contiguous(), "with_two_slices: both tensors must be contiguous");
    if a.shares_storage(b) {
        let data = a.storage.read();
        let sa = A::slice(&data).unwrap_or_else(|| panic!("expected a tensor of dtype {:?}, got {:?}", A::DTYPE, a.dtype()));
        let sb = B::slice(&data).unwrap_or_else(|| panic!("expected a tensor of dtype {:?}, got {:?}", B::DTYPE, b.dtype()));
        return f(&sa[a.offset..a.offset + a.numel()], &sb[b.offset..b.offset + b.numel()]);
    }
    a.with_slice::<A, _>(|sa| b.with_slice::<B, _>(|sb| f(sa, sb)))
}

/// The input gradient of an elementwise (or per-row) backward, written into `bufs.grad` by
/// `f(saved, grad_out, grad_in)` over contiguous `f32` slices (a strided `grad_out` is first
/// copied into `bufs.grad_copy`). Panics, naming both shapes, when `grad_out` does not have
/// `saved`'s shape.
pub(crate) fn backward_into(layer: &str, saved: &Tensor, grad_out: &Tensor, bufs: &mut StepBuffers, f: impl FnOnce(&[f32], &[f32], &mut [f32])) -> Tensor {
    check_grad_out(layer, saved.shape(), grad_out);
    let g = contiguous_in(grad_out, &mut bufs.grad_copy);
    let dx = bufs.grad.out(saved.shape());
    with_two_slices::<f32, f32, _>(saved, &g, |ss, gs| dx.with_slice_mut::<f32, _>(|d| f(ss, gs, d)));
    dx
}
