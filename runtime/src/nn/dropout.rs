//! `Dropout { p }`: PyTorch's `nn.Dropout(p=0.5)`.

use super::kernel_call::{expect_f32, py_float};
use crate::module::{Module, Visitor, VisitorMut};
use crate::rng::with_default_generator;
use crate::tensor::Tensor;
use fusenet_kernels::ops::dropout::dropout_forward;

/// Zeroes each element with probability `p` in training mode and scales the kept ones by
/// `1/(1 − p)`; the identity in evaluation mode (`eval()`).
///
/// The keep-mask is drawn from the default generator, one `uniform_f32` per element in order
/// (element kept when the draw is `< 1 − p`). PyTorch draws its mask through MKL's Bernoulli
/// generator, so after the same `manual_seed` the masks differ; the distribution is the same.
///
/// ```
/// use fusenet_runtime::{Module, Tensor, manual_seed};
/// use fusenet_runtime::nn::Dropout;
/// let mut drop = Dropout::new(0.5);
/// assert_eq!(drop.to_string(), "Dropout(p=0.5, inplace=False)");
/// manual_seed(0);
/// let y = drop.forward(&Tensor::ones(&[1000]));
/// assert!(y.to_vec::<f32>().iter().all(|&v| v == 0.0 || v == 2.0));
/// drop.eval();
/// assert_eq!(drop.forward(&Tensor::ones(&[3])).to_vec::<f32>(), [1.0; 3]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    /// The probability of zeroing an element.
    pub p: f64,
    training: bool,
}

impl Dropout {
    /// `nn.Dropout(p)`, in training mode. Panics unless `0 ≤ p ≤ 1`, as PyTorch.
    pub fn new(p: f64) -> Self {
        assert!((0.0..=1.0).contains(&p), "dropout probability has to be between 0 and 1, but got {p}");
        Dropout { p, training: true }
    }

    /// The eager forward: a new tensor in training mode, a handle onto `x` in evaluation mode.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        if !self.training {
            return x.shallow_clone();
        }
        self.forward_with_mask(x).0
    }

    /// The training-mode forward: `(y, mask)`, with the scaled keep-mask `m` (`1/(1 − p)` or 0
    /// per element) such that `y = x ⊙ m`.
    fn forward_with_mask(&self, x: &Tensor) -> (Tensor, Tensor) {
        expect_f32("Dropout", "input", x);
        let x = x.contiguous();
        let mut mask = vec![0f32; x.numel()];
        with_default_generator(|g| mask.iter_mut().for_each(|u| *u = g.uniform_f32()));
        let mut y = vec![0f32; x.numel()];
        x.with_slice::<f32, _>(|xs| dropout_forward(self.p, xs, &mut mask, &mut y));
        (Tensor::from_vec(y, x.shape()), Tensor::from_vec(mask, x.shape()))
    }
}

impl Default for Dropout {
    fn default() -> Self {
        Dropout::new(0.5)
    }
}

impl Module for Dropout {
    fn visit<'a>(&'a self, _v: &mut dyn Visitor<'a>) {}
    fn visit_mut(&mut self, _v: &mut dyn VisitorMut) {}
    fn type_name(&self) -> &'static str {
        "Dropout"
    }
    fn extra_repr(&self) -> String {
        format!("p={}, inplace=False", py_float(self.p))
    }
    fn set_training_self(&mut self, on: bool) {
        self.training = on;
    }
    fn training_self(&self) -> Option<bool> {
        Some(self.training)
    }
    fn share(&self) -> Self {
        *self
    }
    crate::__module_boilerplate!();
}

impl crate::module::ConstKeys for Dropout {
    const STATE_DICT_KEYS: Option<&'static [&'static str]> = Some(&[]);
}

impl std::fmt::Display for Dropout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::module::fmt_module(self, f)
    }
}

// ----- `Layer`: the mask saved for the backward -----

use super::saved_layer::{StepBuffers, backward_into, check_grad_out, forward_into};
use crate::graph::Slot;
use crate::tensor::Dims;
use fusenet_kernels::ops::dropout::dropout_backward;

#[derive(Debug)]
enum Saved {
    /// Evaluation mode: the identity on a tensor of this shape.
    Identity(Dims<usize>),
    /// Training mode: the scaled keep-mask (a handle onto the ctx's mask buffer).
    Mask(Tensor),
}

/// What a `Dropout` call site keeps for its backward: the scaled keep-mask of a training-mode
/// forward (one `f32` per element, in a buffer reused from step to step), or only the shape in
/// evaluation mode; and the buffers the output and the input gradient are written into.
///
/// ```
/// use fusenet_runtime::module::Layer;
/// use fusenet_runtime::nn::{Dropout, DropoutCtx};
/// use fusenet_runtime::{Tensor, manual_seed};
/// manual_seed(0);
/// let drop = Dropout::new(0.5);
/// let mut ctx = DropoutCtx::default();
/// let y = drop.forward_train(&Tensor::ones(&[8]), &mut ctx);
/// let gx = drop.backward(&mut ctx, &Tensor::ones(&[8]), true).unwrap();
/// assert_eq!(gx.to_vec::<f32>(), y.to_vec::<f32>()); // the same mask: 2 where kept, 0 where dropped
/// ```
#[derive(Default)]
pub struct DropoutCtx {
    saved: Option<Saved>,
    mask: Slot,
    bufs: StepBuffers,
}

impl std::fmt::Debug for DropoutCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DropoutCtx").field("saved", &self.saved).finish_non_exhaustive()
    }
}

/// In training mode `forward_train` draws the mask from this thread's default generator (as the
/// eager forward does: reseeding with `manual_seed` reproduces it) into the call site's mask
/// buffer; `backward` returns `∂L/∂x = g ⊙ m` with the saved mask `m` (`1/(1 − p)` where kept,
/// 0 where dropped). In evaluation mode both are the identity (handles onto `x` and `g`, no copy).
impl crate::module::Layer for Dropout {
    type Ctx = DropoutCtx;

    fn forward(&self, x: &Tensor) -> Tensor {
        Dropout::forward(self, x)
    }

    fn forward_train(&self, x: &Tensor, ctx: &mut DropoutCtx) -> Tensor {
        ctx.saved = None;
        if !self.training {
            ctx.saved = Some(Saved::Identity(x.shape().into()));
            return x.shallow_clone();
        }
        let mask = ctx.mask.out(x.shape());
        mask.with_slice_mut::<f32, _>(|m| with_default_generator(|g| m.iter_mut().for_each(|u| *u = g.uniform_f32())));
        let p = self.p;
        let (_, y) = forward_into("Dropout", x, &mut ctx.bufs, |xs, ys| mask.with_slice_mut::<f32, _>(|m| dropout_forward(p, xs, m, ys)));
        ctx.saved = Some(Saved::Mask(mask));
        y
    }

    fn backward(&self, ctx: &mut DropoutCtx, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
        let saved = ctx.saved.take().expect("Dropout::backward: nothing saved; call forward_train first (and backward once per forward_train)");
        match saved {
            Saved::Identity(shape) => {
                check_grad_out("Dropout", &shape, grad_out);
                need_input_grad.then(|| grad_out.shallow_clone())
            }
            Saved::Mask(mask) => need_input_grad.then(|| backward_into("Dropout", &mask, grad_out, &mut ctx.bufs, dropout_backward)),
        }
    }
}
