//! Buffers that outlive one training step: the memory a generated network (or a [`Layer`]'s
//! context) writes its results into, so that a steady-state step allocates nothing.
//!
//! A [`Slot`] holds at most one tensor. [`Slot::out`] hands back that tensor's storage for the
//! next result when nobody else holds a handle to it (the previous step's handles have been
//! dropped) and it is large enough; otherwise it allocates a new one and keeps it. A result
//! that a caller still holds is therefore never overwritten: reuse is decided by the storage's
//! reference count, as copy-on-write would be.
//!
//! [`Layer`]: crate::module::Layer

use crate::tensor::{Element, Tensor, contiguous_strides};
use std::sync::Arc;

/// A reusable output buffer.
///
/// ```
/// use fusenet_runtime::graph::Slot;
/// let mut s = Slot::default();
/// let a = s.out(&[2, 3]);
/// let p = a.with_slice(|v: &[f32]| v.as_ptr());
/// drop(a);
/// let b = s.out(&[3, 2]); // the same storage: nobody else held it
/// assert_eq!(b.with_slice(|v: &[f32]| v.as_ptr()), p);
/// let c = s.out(&[3, 2]); // `b` is still alive, so `c` gets fresh memory
/// assert_ne!(c.with_slice(|v: &[f32]| v.as_ptr()), p);
/// ```
#[derive(Default)]
pub struct Slot {
    held: Option<Tensor>,
    /// The held storage's length in elements (read once, not under its lock on every call).
    len: usize,
}

impl Slot {
    /// A contiguous `f32` tensor of `shape` whose elements the caller overwrites (they hold
    /// stale values or zeros). See the module docs for when the storage is reused.
    pub fn out(&mut self, shape: &[usize]) -> Tensor {
        self.out_of::<f32>(shape)
    }

    /// [`Slot::out`] for any element type.
    pub fn out_of<T: Element>(&mut self, shape: &[usize]) -> Tensor {
        let numel: usize = shape.iter().product();
        if let Some(t) = &self.held
            && Arc::strong_count(&t.storage) == 1
            && t.dtype() == T::DTYPE
            && self.len >= numel
        {
            return t.view_with(shape, contiguous_strides(shape), 0);
        }
        let t = Tensor::zeros_dtype(shape, T::DTYPE);
        self.held = Some(t.shallow_clone());
        self.len = numel;
        t
    }

    /// The tensor written last, if any (a handle onto the kept storage).
    pub fn get(&self) -> Option<&Tensor> {
        self.held.as_ref()
    }

    /// Drops the kept storage.
    pub fn clear(&mut self) {
        self.held = None;
        self.len = 0;
    }
}

/// Adds the contribution `g` into a value's gradient `acc` (`None` before the first), as
/// [`accumulate`](super::accumulate) does, but storing a sum only in `buf`: the first
/// contribution is kept as it is (a handle, no copy), a second is summed into `buf`'s storage,
/// and later ones are added there in place. In a steady-state step this allocates nothing.
///
/// Panics when the shapes differ, naming both.
///
/// ```
/// use fusenet_runtime::{Tensor, graph::{Slot, accumulate_into}};
/// let (mut acc, mut buf) = (None, Slot::default());
/// let g = Tensor::ones(&[2]);
/// accumulate_into(&mut acc, g.shallow_clone(), &mut buf);
/// accumulate_into(&mut acc, g.shallow_clone(), &mut buf);
/// accumulate_into(&mut acc, g.shallow_clone(), &mut buf);
/// assert_eq!(acc.unwrap().to_vec::<f32>(), [3.0, 3.0]);
/// assert_eq!(g.to_vec::<f32>(), [1.0, 1.0], "a contribution is never written through");
/// ```
pub fn accumulate_into(acc: &mut Option<Tensor>, g: Tensor, buf: &mut Slot) {
    let Some(a) = acc else {
        *acc = Some(g);
        return;
    };
    assert!(
        a.shape() == g.shape(),
        "accumulate: the gradient so far has shape {:?} but the new contribution has shape {:?}",
        a.shape(),
        g.shape()
    );
    // `a` is buf's own storage (held by `buf` and by `a`, nobody else): add in place.
    let owned = buf.get().is_some_and(|b| b.shares_storage(a) && Arc::strong_count(&b.storage) == 2);
    if owned && a.is_contiguous() && !a.shares_storage(&g) {
        a.add_(&g);
        return;
    }
    let out = buf.out(a.shape());
    super::fused::map_into(&out, [&*a, &g], |[x, y]| x + y);
    *acc = Some(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ptr(t: &Tensor) -> *const f32 {
        t.with_slice(|v: &[f32]| v.as_ptr())
    }

    #[test]
    fn a_smaller_result_reuses_a_larger_storage() {
        let mut s = Slot::default();
        let p = ptr(&s.out(&[4, 5]));
        let t = s.out(&[2, 5]);
        assert_eq!(ptr(&t), p);
        assert_eq!(t.shape(), &[2, 5]);
        assert!(t.is_contiguous());
        drop(t);
        assert_ne!(ptr(&s.out(&[5, 5])), p, "too small: a new storage");
    }

    #[test]
    fn a_slot_of_another_dtype_is_not_reused() {
        let mut s = Slot::default();
        drop(s.out(&[3]));
        let t = s.out_of::<i64>(&[3]);
        assert_eq!(t.dtype(), crate::tensor::DType::I64);
    }

    #[test]
    fn fan_in_of_three_adds_into_the_buffer() {
        let (mut acc, mut buf) = (None, Slot::default());
        let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
        accumulate_into(&mut acc, a.shallow_clone(), &mut buf);
        assert!(acc.as_ref().unwrap().shares_storage(&a), "the first contribution is not copied");
        accumulate_into(&mut acc, a.shallow_clone(), &mut buf);
        accumulate_into(&mut acc, Tensor::full(&[2], 10.0), &mut buf);
        assert_eq!(acc.as_ref().unwrap().to_vec::<f32>(), [12.0, 14.0]);
        assert_eq!(a.to_vec::<f32>(), [1.0, 2.0]);
        assert!(acc.as_ref().unwrap().shares_storage(buf.get().unwrap()));
    }

    #[test]
    #[should_panic(expected = "gradient so far has shape [2] but the new contribution has shape [3]")]
    fn mismatched_contributions_panic_naming_both_shapes() {
        let (mut acc, mut buf) = (None, Slot::default());
        accumulate_into(&mut acc, Tensor::ones(&[2]), &mut buf);
        accumulate_into(&mut acc, Tensor::ones(&[3]), &mut buf);
    }
}

/// The slots of one call of a generated network's inference `forward`, taken from a per-thread
/// pool (`home`, one per network type) at the start of the call and put back when dropped, so
/// that repeated inference reuses its buffers as a training step does (a result still held by a
/// caller is never overwritten: [`Slot::out`] then allocates). A call nested in another of the
/// same type finds the pool empty and starts from fresh slots.
///
/// ```
/// use fusenet_runtime::graph::{ForwardSlots, Slot};
/// use std::cell::RefCell;
/// std::thread_local! { static POOL: RefCell<Vec<Slot>> = const { RefCell::new(Vec::new()) }; }
/// let p = {
///     let mut s = ForwardSlots::take(&POOL, 2);
///     let [_, b] = s.first::<2>();
///     b.out(&[4]).with_slice(|v: &[f32]| v.as_ptr())
/// };
/// let mut s = ForwardSlots::take(&POOL, 2);
/// let [_, b] = s.first::<2>();
/// assert_eq!(b.out(&[4]).with_slice(|v: &[f32]| v.as_ptr()), p, "the buffer came back");
/// ```
pub struct ForwardSlots {
    slots: Vec<Slot>,
    home: &'static std::thread::LocalKey<std::cell::RefCell<Vec<Slot>>>,
}

impl ForwardSlots {
    /// `n` slots from `home` (fresh ones where it holds fewer).
    pub fn take(home: &'static std::thread::LocalKey<std::cell::RefCell<Vec<Slot>>>, n: usize) -> ForwardSlots {
        let mut slots = home.try_with(|c| c.try_borrow_mut().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default()).unwrap_or_default();
        slots.resize_with(n.max(slots.len()), Slot::default);
        ForwardSlots { slots, home }
    }

    /// The first `N` slots (`N` at most the `n` given to [`ForwardSlots::take`]) as an array,
    /// which generated code destructures into one `&mut Slot` per op.
    pub fn first<const N: usize>(&mut self) -> &mut [Slot; N] {
        (&mut self.slots[..N]).try_into().expect("N slots were taken")
    }
}

impl Drop for ForwardSlots {
    fn drop(&mut self) {
        let slots = std::mem::take(&mut self.slots);
        // During thread teardown the pool may be gone: the slots are then simply dropped.
        let _ = self.home.try_with(|c| {
            if let Ok(mut v) = c.try_borrow_mut() {
                *v = slots;
            }
        });
    }
}
