//! Trainable parameters and non-trained buffers.

use crate::tensor::Tensor;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

struct ParamInner {
    value: Tensor,
    grad: Mutex<Option<Tensor>>,
    requires_grad: AtomicBool,
}

/// A trainable tensor, as `nn.Parameter`: a value, a gradient that is `None` until the first
/// backward, and a `requires_grad` flag.
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
                grad: Mutex::new(None),
                requires_grad: AtomicBool::new(true),
            }),
        }
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
        self.lock_grad().as_ref().map(Tensor::shallow_clone)
    }

    /// Replaces the gradient.
    pub fn set_grad(&self, grad: Option<Tensor>) {
        if let Some(g) = &grad {
            assert_eq!(g.shape(), self.shape(), "set_grad: gradient shape {:?} does not match parameter shape {:?}", g.shape(), self.shape());
        }
        *self.lock_grad() = grad;
    }

    /// Adds `g` into the gradient, creating it on first use (what backward does).
    pub fn accumulate_grad(&self, g: &Tensor) {
        let mut slot = self.lock_grad();
        match slot.as_ref() {
            Some(acc) => acc.add_(g),
            None => *slot = Some(g.clone()),
        }
    }

    /// PyTorch's `zero_grad(set_to_none=True)`: the gradient becomes `None`.
    pub fn zero_grad(&self) {
        *self.lock_grad() = None;
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

    fn lock_grad(&self) -> std::sync::MutexGuard<'_, Option<Tensor>> {
        self.inner.grad.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clone for Param {
    /// An independent copy: new storage for the value and the grad.
    fn clone(&self) -> Param {
        let p = Param::new(self.inner.value.clone());
        p.set_requires_grad(self.requires_grad());
        *p.lock_grad() = self.lock_grad().as_ref().map(Tensor::clone);
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
