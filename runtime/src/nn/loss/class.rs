//! `NLLLoss` and `CrossEntropyLoss` over class indices.

use super::{Reduction, loss_module, out_shape};
use crate::error::Result;
use super::LossCtx;
use crate::nn::kernel_call::{expect_f32, map_f32, with_opt_slice};
use crate::nn::saved_layer::contiguous_in;
use crate::param::Buffer;
use crate::tensor::{DType, Tensor};
use fusenet_kernels::ops::loss::class::{ClassGeom, ClassLoss, cross_entropy_backward, cross_entropy_forward, nll_forward};

/// The geometry of `input` `[N, C, d…]` (or unbatched `[C]`) against `target` `[N, d…]` (`[]`);
/// panics with both shapes when they do not fit.
fn geometry(loss: &str, input: &Tensor, target: &Tensor) -> ClassGeom {
    assert!(
        target.dtype() == DType::I64,
        "{loss}: expected a target of class indices of dtype torch.int64, but got {} (class-probability targets are not supported)",
        target.dtype().torch_name()
    );
    let (x, t) = (input.shape(), target.shape());
    let fits = match x.len() {
        0 => false,
        1 => t.is_empty(),
        _ => t.len() == x.len() - 1 && t[0] == x[0] && t[1..] == x[2..],
    };
    assert!(fits, "{loss}: expected input [N, C, d1, ...] (or [C]) and target [N, d1, ...] (or []), got input {x:?} and target {t:?}");
    if x.len() == 1 {
        ClassGeom { n: 1, c: x[0], d: 1 }
    } else {
        ClassGeom { n: x[0], c: x[1], d: x[2..].iter().product() }
    }
}

fn run(
    loss: &str,
    input: &Tensor,
    target: &Tensor,
    weight: Option<&Buffer>,
    opts: ClassLoss,
    kernel: impl FnOnce(&ClassGeom, &[f32], &[i64], Option<&[f32]>, &mut [f32]) -> fusenet_kernels::error::KernelResult,
) -> Result<Tensor> {
    let g = geometry(loss, input, target);
    let w = weight.map(|w| w.value().to_vec::<f32>());
    if let Some(w) = &w {
        assert!(w.len() == g.c, "{loss}: weight has {} elements, expected one per class ({})", w.len(), g.c);
    }
    let t = target.contiguous();
    let mut res = Ok(());
    let out = map_f32(loss, input, &out_shape(opts.reduction, target.shape()), |xs, out| {
        res = t.with_slice::<i64, _>(|ts| kernel(&g, xs, ts, w.as_deref(), out));
    });
    res?;
    Ok(out)
}

/// `−w_t·x_t` on log-probabilities, PyTorch's `nn.NLLLoss(weight=None, ignore_index=-100)`.
/// `Mean` divides by the summed weights of the non-ignored targets.
#[derive(Debug)]
pub struct NLLLoss {
    /// Per-class weights `[C]` (a buffer, as in PyTorch).
    pub weight: Option<Buffer>,
    pub ignore_index: i64,
    pub reduction: Reduction,
}

impl NLLLoss {
    /// `nn.NLLLoss()`.
    pub fn new() -> Self {
        NLLLoss { weight: None, ignore_index: -100, reduction: Reduction::Mean }
    }
    /// `nn.NLLLoss(weight, ignore_index=..., reduction=...)`.
    pub fn with_options(weight: Option<Tensor>, ignore_index: i64, reduction: Reduction) -> Self {
        NLLLoss { weight: weight.map(Buffer::new), ignore_index, reduction }
    }
    /// The eager forward on log-probabilities `[N, C, d…]` and class indices `[N, d…]`; a target
    /// outside `[0, C)` (other than `ignore_index`) is an [`Error::Kernel`](crate::Error::Kernel).
    pub fn forward(&self, input: &Tensor, target: &Tensor) -> Result<Tensor> {
        let opts = ClassLoss { reduction: self.reduction, ignore_index: self.ignore_index, label_smoothing: 0.0 };
        run("NLLLoss", input, target, self.weight.as_ref(), opts, |g, x, t, w, out| nll_forward(g, &opts, x, t, w, out))
    }
    fn share_impl(&self) -> Self {
        NLLLoss { weight: self.weight.as_ref().map(Buffer::share), ignore_index: self.ignore_index, reduction: self.reduction }
    }
}

impl Default for NLLLoss {
    fn default() -> Self {
        Self::new()
    }
}

loss_module!(
    NLLLoss, "NLLLoss",
    |s, v| if let Some(w) = &s.weight { v.buffer("weight", w) },
    |s, v| if let Some(w) = &mut s.weight { v.buffer("weight", w) }
);

/// `log_softmax` over the class dim followed by NLL, with label smoothing: PyTorch's
/// `nn.CrossEntropyLoss(weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0)`.
///
/// With smoothing `ε` the loss of a position is `(1 − ε)·NLL + (ε/C)·(−Σ_c w_c·logp_c)`.
#[derive(Debug)]
pub struct CrossEntropyLoss {
    /// Per-class weights `[C]` (a buffer, as in PyTorch).
    pub weight: Option<Buffer>,
    pub ignore_index: i64,
    pub reduction: Reduction,
    pub label_smoothing: f64,
}

impl CrossEntropyLoss {
    /// `nn.CrossEntropyLoss()`.
    pub fn new() -> Self {
        CrossEntropyLoss { weight: None, ignore_index: -100, reduction: Reduction::Mean, label_smoothing: 0.0 }
    }
    /// `nn.CrossEntropyLoss(weight, ignore_index=..., reduction=..., label_smoothing=...)`.
    /// Panics unless `0 ≤ label_smoothing ≤ 1`.
    pub fn with_options(weight: Option<Tensor>, ignore_index: i64, reduction: Reduction, label_smoothing: f64) -> Self {
        assert!((0.0..=1.0).contains(&label_smoothing), "label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}");
        CrossEntropyLoss { weight: weight.map(Buffer::new), ignore_index, reduction, label_smoothing }
    }
    /// The eager forward on logits `[N, C, d…]` (or `[C]`) and class indices `[N, d…]` (or `[]`);
    /// a target outside `[0, C)` (other than `ignore_index`) is an
    /// [`Error::Kernel`](crate::Error::Kernel).
    pub fn forward(&self, input: &Tensor, target: &Tensor) -> Result<Tensor> {
        let opts = ClassLoss { reduction: self.reduction, ignore_index: self.ignore_index, label_smoothing: self.label_smoothing };
        run("CrossEntropyLoss", input, target, self.weight.as_ref(), opts, |g, x, t, w, out| {
            let mut log_probs = vec![0f32; x.len()];
            cross_entropy_forward(g, &opts, x, t, w, &mut log_probs, out)
        })
    }
    /// The loss and its gradient with respect to `input` (for `∂L/∂loss = 1`), in one call:
    /// what a training step needs. With `Mean` and no weights, `∂L/∂x = (softmax(x) − onehot(t)) / N`
    /// (label smoothing mixes the one-hot with `1/C`).
    ///
    /// ```
    /// use fusenet_runtime::{nn::loss::CrossEntropyLoss, tensor};
    /// let (loss, grad) = CrossEntropyLoss::new().forward_backward(&tensor![[0.0, 0.0]], &tensor![1]).unwrap();
    /// assert!((loss.item() - 2f32.ln()).abs() < 1e-6);
    /// assert_eq!(grad.to_vec::<f32>(), [0.5, -0.5]);
    /// ```
    pub fn forward_backward(&self, input: &Tensor, target: &Tensor) -> Result<(Tensor, Tensor)> {
        self.forward_backward_with(input, target, &mut LossCtx::default())
    }

    /// [`CrossEntropyLoss::forward_backward`] writing the loss, the gradient and the
    /// log-probabilities into `ctx`, reused from call to call: no heap allocation once it has
    /// run at a batch size (see [`LossCtx`]).
    pub fn forward_backward_with(&self, input: &Tensor, target: &Tensor, ctx: &mut LossCtx) -> Result<(Tensor, Tensor)> {
        let g = geometry("CrossEntropyLoss", input, target);
        expect_f32("CrossEntropyLoss", "input", input);
        let opts = ClassLoss { reduction: self.reduction, ignore_index: self.ignore_index, label_smoothing: self.label_smoothing };
        let w = self.weight.as_ref().map(|w| w.value().contiguous());
        if let Some(w) = &w {
            assert!(w.numel() == g.c, "CrossEntropyLoss: weight has {} elements, expected one per class ({})", w.numel(), g.c);
        }
        let x = contiguous_in(input, &mut ctx.input_copy);
        let t = target.contiguous();
        let loss = ctx.loss.out(&out_shape(opts.reduction, target.shape()));
        let grad = ctx.grad.out(input.shape());
        ctx.seed.resize(loss.numel(), 1.0);
        ctx.log_probs.resize(x.numel(), 0.0);
        let (seed, log_probs) = (&ctx.seed[..loss.numel()], &mut ctx.log_probs);
        with_opt_slice(w.as_ref(), |ws| {
            x.with_slice::<f32, _>(|xs| {
                t.with_slice::<i64, _>(|ts| {
                    loss.with_slice_mut::<f32, _>(|ls| cross_entropy_forward(&g, &opts, xs, ts, ws, log_probs, ls))?;
                    grad.with_slice_mut::<f32, _>(|gs| cross_entropy_backward(&g, &opts, log_probs, ts, ws, seed, gs))
                })
            })
        })?;
        Ok((loss, grad))
    }

    fn share_impl(&self) -> Self {
        CrossEntropyLoss {
            weight: self.weight.as_ref().map(Buffer::share),
            ignore_index: self.ignore_index,
            reduction: self.reduction,
            label_smoothing: self.label_smoothing,
        }
    }
}

impl Default for CrossEntropyLoss {
    fn default() -> Self {
        Self::new()
    }
}

loss_module!(
    CrossEntropyLoss, "CrossEntropyLoss",
    |s, v| if let Some(w) = &s.weight { v.buffer("weight", w) },
    |s, v| if let Some(w) = &mut s.weight { v.buffer("weight", w) }
);
