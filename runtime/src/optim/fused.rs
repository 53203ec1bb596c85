//! Optimiser steps applied inside the backward pass, where a parameter's gradient becomes final.
//!
//! Plain SGD is `p ← p − lr·∂L/∂p`. When the backward computes `∂L/∂W = Gᵀ·X` for a `Linear`
//! whose weight nothing else reads afterwards, the update can follow at once, while the gradient
//! is in cache: the gradient is never stored (no lock, no handle, no second pass over memory in
//! `step`), and [`Optimizer::step`](super::Optimizer::step) then finds no gradient to apply for
//! it. The arithmetic is the step's, so the parameters equal those of `backward` then `step`. `network!` generates such a backward
//! ([`Layer::backward_with`](crate::module::Layer::backward_with)) and uses the fused form only
//! where the result is the same as `backward` followed by `step` (see [`fused_lr`]).
//!
//! ```
//! use fusenet_runtime::{Param, Tensor, optim::{FusedUpdate, Optimizer, Sgd}};
//! let p = Param::new(Tensor::ones(&[2]));
//! let opt = Sgd::new([p.share()], 0.1);
//! assert_eq!(opt.fused_lr(&p), Some(0.1));
//! assert_eq!(Sgd::new([p.share()], 0.1).momentum(0.9).fused_lr(&p), None);
//! ```

use super::core::{Optim, UpdateRule};
use crate::param::Param;

/// An optimiser that can apply its update to a parameter during the backward pass.
pub trait FusedUpdate {
    /// `Some(lr)` when this optimiser's step for `p` is exactly `p ← p − lr·grad` (plain SGD:
    /// no momentum, weight decay or maximize) and `p` is one of its parameters; `None` otherwise.
    fn fused_lr(&self, p: &Param) -> Option<f32>;
}

impl<R: UpdateRule> FusedUpdate for Optim<R> {
    fn fused_lr(&self, p: &Param) -> Option<f32> {
        let group = self.groups.iter().find(|g| g.params.iter().any(|q| q.same_as(p)))?;
        R::plain_lr(group.lr, &group.options)
    }
}

/// The largest parameter (in elements) whose update is fused. What fusing saves is the step's
/// per-parameter work (locks, handles, a second pass over a cold gradient), which only small
/// parameters notice: `scripts/bench.sh` at `9a4f3bb`, fusing every parameter, gave
/// seed_mlp_b2 4.6 → 4.2 µs a step, but mnist_mlp_b128 1.09 → 1.13 ms and wide_mlp_b512 35.5 →
/// 37.2 ms (the update of a 0.2–1 M-element weight right after its gradient GEMM is slower than
/// in `step`, whose pass starts from every thread's own half of memory).
pub const FUSE_MAX_NUMEL: usize = 1 << 14;

/// The learning rate with which the backward may update `p` in place of storing its gradient,
/// or `None` when it must store the gradient. Besides `update`'s consent
/// ([`FusedUpdate::fused_lr`]), the parameter must require a gradient and have none yet (no
/// accumulation across backwards was asked for), hold at most [`FUSE_MAX_NUMEL`] elements, and
/// exactly two handles may exist: the layer's and the optimiser's. A parameter tied to a second
/// field, or shared with another module, is read again later in the backward (or by that
/// module), which must see its old value.
pub fn fused_lr(update: Option<&dyn FusedUpdate>, p: &Param) -> Option<f32> {
    // The cheap checks first: `fused_lr` looks `p` up among the optimiser's parameters.
    if p.numel() > FUSE_MAX_NUMEL || !p.requires_grad() || p.handles() != 2 {
        return None;
    }
    let lr = update?.fused_lr(p)?;
    (!p.has_grad()).then_some(lr)
}
