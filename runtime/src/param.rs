//! Trainable parameters and non-trained buffers.

use crate::tensor::Tensor;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

struct ParamInner {
    value: Tensor,
    grad: Mutex<GradSlot>,
    requires_grad: AtomicBool,
}

/// The gradient and, after `zero_grad`, the buffer it lived in, kept for the next backward.
#[derive(Default)]
struct GradSlot {
    grad: Option<Tensor>,
    spare: Option<Tensor>,
}

/// How many tensors (handles and views) share `t`'s storage.
fn handles(t: &Tensor) -> usize {
    Arc::strong_count(&t.storage)
}

impl GradSlot {
    /// The buffer the next gradient is written into, and whether it holds the current gradient
    /// (`true`: add into it) or stale values (`false`: overwrite it). Reuses the spare when it
    /// has the shape and nobody else holds it; allocates otherwise.
    fn buffer(&mut self, shape: &[usize]) -> (Tensor, bool) {
        if let Some(g) = &self.grad {
            if !g.is_contiguous() {
                // A view set by `set_grad`: continue in a dense copy.
                self.grad = Some(g.clone());
            }
            return (self.grad.as_ref().map(Tensor::shallow_clone).expect("set above"), true);
        }
        let buf = self.take_spare(shape);
        let handle = buf.shallow_clone();
        self.grad = Some(buf);
        (handle, false)
    }

    /// The spare buffer when it has `shape`, is dense and nobody else holds it; a new one
    /// otherwise.
    fn take_spare(&mut self, shape: &[usize]) -> Tensor {
        match self.spare.take() {
            Some(s) if s.shape() == shape && s.is_contiguous() && handles(&s) == 1 => s,
            _ => Tensor::zeros(shape),
        }
    }
}

/// A trainable tensor, as `nn.Parameter`: a value, a gradient that is `None` until the first
/// backward, and a `requires_grad` flag.
///
/// Gradient buffers are reused: [`Param::zero_grad`] makes `grad()` `None`, as PyTorch's
/// `zero_grad(set_to_none=True)`, but keeps the buffer, and the next backward writes into it
/// instead of allocating — unless someone still holds a handle onto the old gradient (from
/// [`Param::grad`]), which then keeps its values, as in PyTorch.
///
/// [`Clone`] makes an independent copy (value and grad). [`Param::share`] makes a second handle
/// onto the same parameter, which is how one layer sits at two places in a network (tied weights):
/// a write through one handle is seen through the other, and both feed one gradient.
///
/// ```
/// use fusenet_runtime::{Param, Tensor};
/// let w = Param::new(Tensor::zeros(&[2, 3]));
/// assert!(w.grad().is_none());
/// let tied = w.share();
/// tied.value().fill_(1.0);
/// assert_eq!(w.value().sum_all(), 6.0);
/// ```
pub struct Param {
    inner: Arc<ParamInner>,
}

impl Param {
    /// Wraps `value` as a parameter with `requires_grad = true`.
    pub fn new(value: Tensor) -> Param {
        Param {
            inner: Arc::new(ParamInner {
                value,
                grad: Mutex::new(GradSlot::default()),
                requires_grad: AtomicBool::new(true),
            }),
        }
    }

    /// The value itself, borrowed (no new handle): for code that only reads it during a call,
    /// as generated forwards do on every step.
    ///
    /// ```
    /// use fusenet_runtime::{Param, Tensor};
    /// let p = Param::new(Tensor::ones(&[2]));
    /// assert_eq!(p.value_ref().shape(), &[2]);
    /// ```
    pub fn value_ref(&self) -> &Tensor {
        &self.inner.value
    }

    /// A handle onto the value's storage: writes through it change the parameter.
    pub fn value(&self) -> Tensor {
        self.inner.value.shallow_clone()
    }

    /// PyTorch's `param.data`: the same as [`Param::value`].
    pub fn data(&self) -> Tensor {
        self.value()
    }

    /// The shape of the value.
    pub fn shape(&self) -> &[usize] {
        self.inner.value.shape()
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.inner.value.numel()
    }

    /// The accumulated gradient, or `None` before the first backward or after `zero_grad`.
    pub fn grad(&self) -> Option<Tensor> {
        self.lock_grad().grad.as_ref().map(Tensor::shallow_clone)
    }

    /// Runs `f(value, grad)` with the gradient locked once and no handles made, for optimisers
    /// (one update per step, no allocation). `f` must not call this parameter's grad methods.
    ///
    /// ```
    /// use fusenet_runtime::{Param, Tensor};
    /// let w = Param::new(Tensor::ones(&[2]));
    /// w.set_grad(Some(Tensor::ones(&[2])));
    /// w.with_value_and_grad(|v, g| v.add_scaled_(g.unwrap(), -1.0));
    /// assert_eq!(w.value().to_vec::<f32>(), [0.0, 0.0]);
    /// ```
    pub fn with_value_and_grad<R>(&self, f: impl FnOnce(&Tensor, Option<&Tensor>) -> R) -> R {
        let slot = self.lock_grad();
        f(&self.inner.value, slot.grad.as_ref())
    }

    /// Replaces the gradient (`param.grad = g`). `None` also releases the buffer kept for reuse.
    pub fn set_grad(&self, grad: Option<Tensor>) {
        if let Some(g) = &grad {
            assert_eq!(g.shape(), self.shape(), "set_grad: gradient shape {:?} does not match parameter shape {:?}", g.shape(), self.shape());
        }
        let mut slot = self.lock_grad();
        slot.spare = None;
        slot.grad = grad;
    }

    /// Adds `g` into the gradient (what backward does): in place when a gradient exists, else
    /// copied into the reused buffer (allocating only the first time).
    ///
    /// Panics when `g`'s shape is not the parameter's, naming both.
    ///
    /// ```
    /// use fusenet_runtime::{Param, Tensor};
    /// let w = Param::new(Tensor::zeros(&[2]));
    /// w.accumulate_grad(&Tensor::ones(&[2]));
    /// w.accumulate_grad(&Tensor::ones(&[2]));
    /// assert_eq!(w.grad().unwrap().to_vec::<f32>(), [2.0, 2.0]);
    /// w.zero_grad();
    /// assert!(w.grad().is_none());
    /// ```
    pub fn accumulate_grad(&self, g: &Tensor) {
        self.check_grad_shape("accumulate_grad", g);
        self.accumulate_grad_with(|buf, has_grad| if has_grad { buf.add_(g) } else { buf.copy_(g) });
    }

    /// [`Param::accumulate_grad`] for a gradient the caller no longer needs: when there is no
    /// gradient and no reusable buffer, `g` itself becomes the gradient (if it is dense and
    /// nobody else holds it), so nothing is copied.
    pub fn accumulate_grad_owned(&self, g: Tensor) {
        self.check_grad_shape("accumulate_grad_owned", &g);
        {
            let mut slot = self.lock_grad();
            let spare_fits = slot.spare.as_ref().is_some_and(|s| s.is_contiguous() && handles(s) == 1);
            if slot.grad.is_none() && !spare_fits && g.is_contiguous() && handles(&g) == 1 {
                slot.spare = None;
                slot.grad = Some(g);
                return;
            }
        }
        self.accumulate_grad(&g);
    }

    /// Runs `f(buf, has_grad)` on the gradient buffer (contiguous, the parameter's shape), for a
    /// backward that writes its result straight into it (a GEMM with `β = 1`): `has_grad` tells
    /// whether `buf` holds the current gradient (add into it) or stale values (overwrite it).
    /// Afterwards `buf` is the gradient.
    ///
    /// The gradient is locked while `f` runs: `f` must not call this parameter's grad methods.
    ///
    /// ```
    /// use fusenet_runtime::{Param, Tensor};
    /// let w = Param::new(Tensor::zeros(&[2]));
    /// for _ in 0..2 {
    ///     w.accumulate_grad_with(|buf, has_grad| {
    ///         buf.with_slice_mut(|s: &mut [f32]| s.iter_mut().for_each(|v| *v = if has_grad { *v + 1.0 } else { 1.0 }))
    ///     });
    /// }
    /// assert_eq!(w.grad().unwrap().to_vec::<f32>(), [2.0, 2.0]);
    /// ```
    pub fn accumulate_grad_with(&self, f: impl FnOnce(&Tensor, bool)) {
        let mut slot = self.lock_grad();
        let (buf, has_grad) = slot.buffer(self.shape());
        f(&buf, has_grad);
    }

    /// PyTorch's `zero_grad(set_to_none=True)`: the gradient becomes `None`; its buffer is kept
    /// for the next backward (see the type's docs). [`Param::set_grad`]`(None)` releases it.
    pub fn zero_grad(&self) {
        let mut slot = self.lock_grad();
        if let Some(g) = slot.grad.take() {
            slot.spare = Some(g);
        }
    }

    fn check_grad_shape(&self, op: &str, g: &Tensor) {
        assert!(
            g.shape() == self.shape(),
            "{op}: gradient of shape {:?} for a parameter of shape {:?}",
            g.shape(),
            self.shape()
        );
    }

    /// Whether backward computes a gradient for this parameter.
    pub fn requires_grad(&self) -> bool {
        self.inner.requires_grad.load(Ordering::Relaxed)
    }

    /// Freezes (`false`) or unfreezes (`true`) the parameter.
    pub fn set_requires_grad(&self, on: bool) {
        self.inner.requires_grad.store(on, Ordering::Relaxed);
    }

    /// A second handle onto the same parameter (value, grad and flag).
    pub fn share(&self) -> Param {
        Param { inner: Arc::clone(&self.inner) }
    }

    /// Whether `self` and `other` are handles onto one parameter.
    pub fn same_as(&self, other: &Param) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// A key that identifies the parameter, equal for every shared handle.
    pub fn id(&self) -> usize {
        Arc::as_ptr(&self.inner) as usize
    }

    /// Runs `f` on a contiguous scratch tensor of the parameter's shape (stale contents) that is
    /// not its gradient: the kept gradient buffer when there is one, which stays kept (so a
    /// steady state allocates nothing). For a gradient applied at once instead of stored.
    pub(crate) fn with_scratch<R>(&self, f: impl FnOnce(&Tensor) -> R) -> R {
        let mut slot = self.lock_grad();
        let buf = slot.take_spare(self.shape());
        let out = f(&buf);
        slot.spare = Some(buf);
        out
    }

    /// How many handles onto this parameter exist (the layer's, an optimiser's, shares).
    pub(crate) fn handles(&self) -> usize {
        Arc::strong_count(&self.inner)
    }

    /// Whether a gradient is stored (`grad().is_some()` without a new handle).
    pub(crate) fn has_grad(&self) -> bool {
        self.lock_grad().grad.is_some()
    }

    fn lock_grad(&self) -> std::sync::MutexGuard<'_, GradSlot> {
        self.inner.grad.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clone for Param {
    /// An independent copy: new storage for the value and the grad.
    fn clone(&self) -> Param {
        let p = Param::new(self.inner.value.clone());
        p.set_requires_grad(self.requires_grad());
        p.lock_grad().grad = self.lock_grad().grad.clone();
        p
    }
}

impl std::fmt::Debug for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Param(shape={:?}, requires_grad={})", self.shape(), self.requires_grad())
    }
}

impl std::fmt::Display for Param {
    /// As PyTorch prints a parameter: `Parameter containing:\ntensor([...], requires_grad=True)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Parameter containing:")?;
        let flag = if self.requires_grad() { "requires_grad=True" } else { "requires_grad=False" };
        f.write_str(&self.inner.value.repr_with_suffixes(&[flag]))
    }
}

/// A non-trained tensor that belongs to a module, as `register_buffer`: BatchNorm's running
/// statistics. A persistent buffer is in the state dict; a non-persistent one is not.
pub struct Buffer {
    value: Tensor,
    /// Atomic so that `#[module(persistent = ...)]` can set it during a shared-borrow traversal.
    persistent: AtomicBool,
}

impl Buffer {
    /// A persistent buffer (in the state dict).
    pub fn new(value: Tensor) -> Buffer {
        Buffer { value, persistent: AtomicBool::new(true) }
    }

    /// A non-persistent buffer (`register_buffer(..., persistent=False)`): not in the state dict.
    pub fn non_persistent(value: Tensor) -> Buffer {
        Buffer { value, persistent: AtomicBool::new(false) }
    }

    /// A handle onto the buffer's storage.
    pub fn value(&self) -> Tensor {
        self.value.shallow_clone()
    }

    /// Whether the buffer is saved in the state dict.
    pub fn is_persistent(&self) -> bool {
        self.persistent.load(Ordering::Relaxed)
    }

    /// Marks the buffer persistent (in the state dict) or not. `#[module(persistent = false)]`
    /// on a field calls this, so the attribute wins over how the buffer was built.
    pub fn set_persistent(&self, on: bool) {
        self.persistent.store(on, Ordering::Relaxed);
    }

    /// Replaces the tensor (the new one may have another shape).
    pub fn set(&mut self, value: Tensor) {
        self.value = value;
    }

    /// A second handle onto the same storage.
    pub fn share(&self) -> Buffer {
        Buffer { value: self.value.shallow_clone(), persistent: AtomicBool::new(self.is_persistent()) }
    }

    pub fn shape(&self) -> &[usize] {
        self.value.shape()
    }
}

impl Clone for Buffer {
    fn clone(&self) -> Buffer {
        Buffer { value: self.value.clone(), persistent: AtomicBool::new(self.is_persistent()) }
    }
}

impl std::fmt::Debug for Buffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Buffer(shape={:?}, persistent={})", self.shape(), self.is_persistent())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ptr(t: &Tensor) -> *const f32 {
        t.with_slice(|s: &[f32]| s.as_ptr())
    }

    #[test]
    fn zero_grad_hides_the_gradient_and_keeps_its_buffer() {
        let p = Param::new(Tensor::zeros(&[2, 3]));
        p.accumulate_grad(&Tensor::ones(&[2, 3]));
        let first = ptr(&p.grad().unwrap());
        p.zero_grad();
        assert!(p.grad().is_none(), "PyTorch's set_to_none: grad is None");
        p.accumulate_grad(&Tensor::full(&[2, 3], 2.0));
        let g = p.grad().unwrap();
        assert_eq!(ptr(&g), first, "the kept buffer was reused");
        assert_eq!(g.to_vec::<f32>(), [2.0; 6], "overwritten, not added to the stale values");
        drop(g);
        p.accumulate_grad(&Tensor::ones(&[2, 3]));
        assert_eq!(p.grad().unwrap().to_vec::<f32>(), [3.0; 6]);
    }

    #[test]
    fn a_gradient_someone_still_holds_is_not_reused() {
        let p = Param::new(Tensor::zeros(&[2]));
        p.accumulate_grad(&Tensor::ones(&[2]));
        let old = p.grad().unwrap();
        p.zero_grad();
        p.accumulate_grad(&Tensor::full(&[2], 5.0));
        assert_eq!(old.to_vec::<f32>(), [1.0, 1.0], "the old handle keeps its values, as in PyTorch");
        assert_eq!(p.grad().unwrap().to_vec::<f32>(), [5.0, 5.0]);
        assert!(!old.shares_storage(&p.grad().unwrap()));
    }

    #[test]
    fn a_live_gradient_accumulates_in_place() {
        let p = Param::new(Tensor::zeros(&[2]));
        p.accumulate_grad(&Tensor::ones(&[2]));
        let h = p.grad().unwrap();
        p.accumulate_grad(&Tensor::ones(&[2]));
        assert_eq!(h.to_vec::<f32>(), [2.0, 2.0], "PyTorch's `.grad +=` is in place");
    }

    #[test]
    fn set_grad_none_releases_the_buffer() {
        let p = Param::new(Tensor::zeros(&[2]));
        p.accumulate_grad(&Tensor::ones(&[2]));
        let first = ptr(&p.grad().unwrap());
        p.set_grad(None);
        // Keep an allocation of the same size alive so the allocator cannot hand the block back.
        let _hold = Tensor::zeros(&[2]);
        p.accumulate_grad(&Tensor::ones(&[2]));
        assert_ne!(ptr(&p.grad().unwrap()), first);
        assert_eq!(p.grad().unwrap().to_vec::<f32>(), [1.0, 1.0]);
    }

    #[test]
    fn accumulate_grad_owned_takes_a_private_tensor() {
        let p = Param::new(Tensor::zeros(&[3]));
        let g = Tensor::ones(&[3]);
        let gp = ptr(&g);
        p.accumulate_grad_owned(g);
        assert_eq!(ptr(&p.grad().unwrap()), gp, "no copy on the first backward");
        // A shared tensor is copied, so the caller's handle is never aliased by the gradient.
        let q = Param::new(Tensor::zeros(&[3]));
        let g = Tensor::ones(&[3]);
        q.accumulate_grad_owned(g.shallow_clone());
        q.accumulate_grad(&Tensor::ones(&[3]));
        assert_eq!(g.to_vec::<f32>(), [1.0; 3]);
        // With a spare buffer, the spare is used and the tensor is dropped.
        let spare = ptr(&p.grad().unwrap());
        p.zero_grad();
        p.accumulate_grad_owned(Tensor::full(&[3], 4.0));
        assert_eq!(ptr(&p.grad().unwrap()), spare);
        assert_eq!(p.grad().unwrap().to_vec::<f32>(), [4.0; 3]);
    }

    #[test]
    fn a_strided_gradient_from_set_grad_still_accumulates() {
        let p = Param::new(Tensor::zeros(&[2, 2]));
        p.set_grad(Some(Tensor::arange(4.0).reshape([2, 2]).t()));
        p.accumulate_grad(&Tensor::ones(&[2, 2]));
        assert_eq!(p.grad().unwrap().to_vec::<f32>(), [1.0, 3.0, 2.0, 4.0]);
    }

    #[test]
    #[should_panic(expected = "accumulate_grad: gradient of shape [3] for a parameter of shape [2, 3]")]
    fn accumulate_grad_rejects_a_broadcastable_but_different_shape() {
        Param::new(Tensor::zeros(&[2, 3])).accumulate_grad(&Tensor::ones(&[3]));
    }

    #[test]
    fn shared_handles_feed_one_gradient() {
        let p = Param::new(Tensor::zeros(&[2]));
        let tied = p.share();
        p.accumulate_grad(&Tensor::ones(&[2]));
        tied.accumulate_grad(&Tensor::ones(&[2]));
        assert_eq!(p.grad().unwrap().to_vec::<f32>(), [2.0, 2.0]);
        tied.zero_grad();
        assert!(p.grad().is_none());
    }
}
