//! What the `Layer` impls of the activation, softmax, dropout and embedding layers keep between
//! `forward_train` and `backward`, and the slice plumbing their backwards share.

use super::kernel_call::expect_f32;
use crate::tensor::{Element, Tensor};

/// One tensor a call site keeps for its backward, as a handle (no copy): the input for
/// `LeakyReLU`, `GELU`, `ELU`, `SiLU` (their derivatives read `x`), the output for `Softmax`
/// and `LogSoftmax` (theirs read `y`), the `i64` indices for `Embedding`.
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
#[derive(Debug, Default)]
pub struct SavedTensor {
    saved: Option<Tensor>,
}

impl SavedTensor {
    pub(crate) fn save(&mut self, t: Tensor) {
        self.saved = Some(t);
    }

    /// The saved tensor; panics, naming the layer, when `forward_train` did not run first (or
    /// `backward` runs twice for one `forward_train`).
    pub(crate) fn take(&mut self, layer: &str) -> Tensor {
        self.saved.take().unwrap_or_else(|| {
            panic!("{layer}::backward: nothing saved; call forward_train first (and backward once per forward_train)")
        })
    }
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

/// The input gradient of an elementwise (or per-row) backward: a new tensor of `saved`'s shape
/// written by `f(saved, grad_out, grad_in)` over contiguous `f32` slices, each tensor locked once.
/// Panics, naming both shapes, when `grad_out` does not have `saved`'s shape.
pub(crate) fn backward_like(layer: &str, saved: &Tensor, grad_out: &Tensor, f: impl FnOnce(&[f32], &[f32], &mut [f32])) -> Tensor {
    check_grad_out(layer, saved.shape(), grad_out);
    let (s, g) = (saved.contiguous(), grad_out.contiguous());
    let mut dx = vec![0f32; s.numel()];
    with_two_slices::<f32, f32, _>(&s, &g, |ss, gs| f(ss, gs, &mut dx));
    Tensor::from_vec(dx, s.shape())
}
