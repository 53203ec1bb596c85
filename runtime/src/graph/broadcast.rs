//! Reducing broadcast gradients, and summing fan-out contributions.

use crate::tensor::Tensor;
use std::sync::Arc;

/// Reduces a broadcast gradient to an operand's shape, as PyTorch's `grad.sum_to_size(shape)`.
///
/// If `y = f(a, …)` broadcast `a` (shape `shape`) to `grad`'s shape, then
/// `∂L/∂a[j] = Σ { grad[i] : i broadcasts from j }`: the leading dims that broadcasting prepended
/// are summed away, and every dim where `shape` has size 1 and `grad` does not is summed with
/// `keepdim`. When the shapes are already equal, `grad` itself is returned (a handle, no copy).
///
/// Panics when `shape` does not broadcast to `grad`'s shape, naming both.
///
/// ```
/// use fusenet_runtime::{Tensor, graph::sum_to_shape};
/// let g = Tensor::arange(6.0).reshape([2, 3]);
/// assert_eq!(sum_to_shape(&g, &[3]).to_vec::<f32>(), [3.0, 5.0, 7.0]);
/// assert_eq!(sum_to_shape(&g, &[2, 1]).to_vec::<f32>(), [3.0, 12.0]);
/// assert_eq!(sum_to_shape(&g, &[]).item(), 15.0);
/// ```
pub fn sum_to_shape(grad: &Tensor, shape: &[usize]) -> Tensor {
    if grad.shape() == shape {
        return grad.shallow_clone();
    }
    let (r, n) = (grad.dim(), shape.len());
    let fits = n <= r && shape.iter().zip(&grad.shape()[r - n..]).all(|(&s, &g)| s == g || s == 1);
    assert!(fits, "sum_to_shape: size {shape:?} is not expandable to size {:?} (the gradient's shape)", grad.shape());
    let lead = r - n;
    let mut out = if lead > 0 {
        // All prepended dims in one reduction: view them as one dim, then sum it.
        let rows: usize = grad.shape()[..lead].iter().product();
        let mut merged = vec![rows];
        merged.extend_from_slice(&grad.shape()[lead..]);
        grad.reshape(&merged).sum_dim(0, false)
    } else {
        grad.shallow_clone()
    };
    for (d, &s) in shape.iter().enumerate() {
        if s == 1 && out.shape()[d] != 1 {
            out = out.sum_dim(d as isize, true);
        }
    }
    out
}

/// Adds one gradient contribution into an accumulator, for a value used more than once (fan-out):
/// `acc ← g` the first time, `acc ← acc + g` after.
///
/// The addition is in place only when `acc` is a dense tensor that no other handle sees (so a view
/// returned by another helper, or a gradient still needed elsewhere, is never written through);
/// otherwise a new tensor is made. Panics when the shapes differ, naming both.
///
/// ```
/// use fusenet_runtime::{Tensor, graph::accumulate};
/// let mut acc = None;
/// accumulate(&mut acc, Tensor::ones(&[2]));
/// accumulate(&mut acc, Tensor::full(&[2], 2.0));
/// assert_eq!(acc.unwrap().to_vec::<f32>(), [3.0, 3.0]);
/// ```
pub fn accumulate(acc: &mut Option<Tensor>, g: Tensor) {
    match acc {
        None => *acc = Some(g),
        Some(a) => {
            assert!(
                a.shape() == g.shape(),
                "accumulate: the gradient so far has shape {:?} but the new contribution has shape {:?}",
                a.shape(),
                g.shape()
            );
            if is_private_dense(a) && !a.shares_storage(&g) {
                a.add_(&g);
            } else if is_private_dense(&g) {
                g.add_(&*a);
                *a = g;
            } else {
                *a = a.add(&g);
            }
        }
    }
}

/// Whether `t` is contiguous and the only handle onto its storage (so writing into it is invisible
/// to everyone else).
pub(crate) fn is_private_dense(t: &Tensor) -> bool {
    t.is_contiguous() && Arc::strong_count(&t.storage) == 1
}
