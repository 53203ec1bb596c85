//! `BCELoss` and `BCEWithLogitsLoss`.

use super::{Reduction, loss_module, out_shape, same_shape};
use crate::error::Result;
use crate::nn::kernel_call::{expect_f32, map_f32};
use crate::param::Buffer;
use crate::tensor::Tensor;
use fusenet_kernels::ops::loss::bce::{bce_forward, bce_with_logits_forward};

/// The weight broadcast to `shape`, as a contiguous vector.
fn expand_to(w: &Buffer, shape: &[usize]) -> Vec<f32> {
    w.value().expand(shape).contiguous().to_vec::<f32>()
}

/// `−w·[t·ln x + (1 − t)·ln(1 − x)]` on probabilities `x`, each log clamped at −100: PyTorch's
/// `nn.BCELoss(weight=None)`. The optional `weight` (a buffer, as in PyTorch) broadcasts to the
/// input. An input outside [0, 1] is an error.
#[derive(Debug, Default)]
pub struct BCELoss {
    pub weight: Option<Buffer>,
    pub reduction: Reduction,
}

impl BCELoss {
    /// `nn.BCELoss()`.
    pub fn new() -> Self {
        BCELoss { weight: None, reduction: Reduction::Mean }
    }
    /// `nn.BCELoss(weight, reduction)`.
    pub fn with_options(weight: Option<Tensor>, reduction: Reduction) -> Self {
        BCELoss { weight: weight.map(Buffer::new), reduction }
    }
    /// The eager forward.
    pub fn forward(&self, input: &Tensor, target: &Tensor) -> Result<Tensor> {
        same_shape("BCELoss", input, target);
        expect_f32("BCELoss", "target", target);
        let t = target.contiguous();
        let w = self.weight.as_ref().map(|w| expand_to(w, input.shape()));
        let red = self.reduction;
        let mut res = Ok(());
        let out = map_f32("BCELoss", input, &out_shape(red, input.shape()), |xs, out| {
            res = t.with_slice::<f32, _>(|ts| bce_forward(red, xs, ts, w.as_deref(), out));
        });
        res?;
        Ok(out)
    }
    fn share_impl(&self) -> Self {
        BCELoss { weight: self.weight.as_ref().map(Buffer::share), reduction: self.reduction }
    }
}

loss_module!(
    BCELoss, "BCELoss",
    |s, v| if let Some(w) = &s.weight { v.buffer("weight", w) },
    |s, v| if let Some(w) = &mut s.weight { v.buffer("weight", w) }
);

/// `w·[(1 − t)·x − (1 + (p − 1)·t)·ln σ(x)]` on logits `x`, stable for any `x`: PyTorch's
/// `nn.BCEWithLogitsLoss(weight=None, pos_weight=None)`. `pos_weight` `p` has one value per class
/// of the last dimension.
#[derive(Debug, Default)]
pub struct BCEWithLogitsLoss {
    pub weight: Option<Buffer>,
    pub pos_weight: Option<Buffer>,
    pub reduction: Reduction,
}

impl BCEWithLogitsLoss {
    /// `nn.BCEWithLogitsLoss()`.
    pub fn new() -> Self {
        BCEWithLogitsLoss { weight: None, pos_weight: None, reduction: Reduction::Mean }
    }
    /// `nn.BCEWithLogitsLoss(weight, reduction=..., pos_weight=...)`.
    pub fn with_options(weight: Option<Tensor>, pos_weight: Option<Tensor>, reduction: Reduction) -> Self {
        BCEWithLogitsLoss { weight: weight.map(Buffer::new), pos_weight: pos_weight.map(Buffer::new), reduction }
    }
    /// The eager forward.
    pub fn forward(&self, input: &Tensor, target: &Tensor) -> Tensor {
        same_shape("BCEWithLogitsLoss", input, target);
        expect_f32("BCEWithLogitsLoss", "target", target);
        let t = target.contiguous();
        let w = self.weight.as_ref().map(|w| expand_to(w, input.shape()));
        let last = input.shape().last().copied().unwrap_or(1);
        let pw = self.pos_weight.as_ref().map(|p| expand_to(p, &[last]));
        let red = self.reduction;
        map_f32("BCEWithLogitsLoss", input, &out_shape(red, input.shape()), |xs, out| {
            t.with_slice::<f32, _>(|ts| bce_with_logits_forward(red, xs, ts, w.as_deref(), pw.as_deref(), out))
        })
    }
    fn share_impl(&self) -> Self {
        BCEWithLogitsLoss {
            weight: self.weight.as_ref().map(Buffer::share),
            pos_weight: self.pos_weight.as_ref().map(Buffer::share),
            reduction: self.reduction,
        }
    }
}

loss_module!(
    BCEWithLogitsLoss, "BCEWithLogitsLoss",
    |s, v| {
        if let Some(w) = &s.weight { v.buffer("weight", w) }
        if let Some(p) = &s.pos_weight { v.buffer("pos_weight", p) }
    },
    |s, v| {
        if let Some(w) = &mut s.weight { v.buffer("weight", w) }
        if let Some(p) = &mut s.pos_weight { v.buffer("pos_weight", p) }
    }
);
