//! `Embedding<NUM, DIM>`: PyTorch's `nn.Embedding(NUM, DIM, padding_idx=None)`.

use crate::error::Result;
use crate::init;
use crate::module::{Module, Visitor, VisitorMut};
use crate::param::Param;
use crate::tensor::{DType, Tensor};
use fusenet_kernels::ops::embedding::{EmbeddingGeom, embedding_forward};

/// A lookup table of `NUM` vectors of size `DIM`: `weight` `[NUM, DIM]`, initialised from
/// N(0, 1) as PyTorch (same draws after the same seed), with the `padding_idx` row zeroed.
///
/// The forward maps `i64` indices of any shape `[*]` to `[*, DIM]`. An index outside
/// `[0, NUM)` comes from data, so it is an [`Error::Kernel`](crate::Error::Kernel), not a panic.
/// The backward (in the kernels) gives the `padding_idx` row no gradient. `max_norm`,
/// `scale_grad_by_freq` and `sparse` are not supported.
///
/// ```
/// use fusenet_runtime::{Module, Tensor, manual_seed};
/// use fusenet_runtime::nn::Embedding;
/// manual_seed(0);
/// let emb = Embedding::<10, 3>::with_padding_idx(0);
/// assert_eq!(emb.to_string(), "Embedding(10, 3, padding_idx=0)");
/// let y = emb.forward(&Tensor::from_vec(vec![0i64, 4, 4, 9], &[2, 2])).unwrap();
/// assert_eq!(y.shape(), &[2, 2, 3]);
/// assert_eq!(y.to_vec::<f32>()[..3], [0.0; 3]);
/// assert!(emb.forward(&Tensor::from_vec(vec![10i64], &[1])).is_err());
/// ```
pub struct Embedding<const NUM: usize, const DIM: usize> {
    /// `[NUM, DIM]`.
    pub weight: Param,
    /// The row that stays zero and gets no gradient.
    pub padding_idx: Option<usize>,
}

impl<const NUM: usize, const DIM: usize> Embedding<NUM, DIM> {
    /// `nn.Embedding(NUM, DIM)`.
    pub fn new() -> Self {
        let e = Embedding { weight: Param::new(Tensor::zeros(&[NUM, DIM])), padding_idx: None };
        e.reset_parameters();
        e
    }

    /// `nn.Embedding(NUM, DIM, padding_idx=idx)`; a negative index counts from the end, as PyTorch.
    /// Panics when it is outside `[-NUM, NUM)`.
    pub fn with_padding_idx(idx: isize) -> Self {
        let n = NUM as isize;
        assert!((-n..n).contains(&idx), "Padding_idx must be within num_embeddings (got {idx} for {NUM} embeddings)");
        let e = Embedding {
            weight: Param::new(Tensor::zeros(&[NUM, DIM])),
            padding_idx: Some(if idx < 0 { (idx + n) as usize } else { idx as usize }),
        };
        e.reset_parameters();
        e
    }

    /// PyTorch's `reset_parameters`: N(0, 1), then the padding row set to 0.
    pub fn reset_parameters(&self) {
        init::normal_(&self.weight, 0.0, 1.0);
        if let Some(p) = self.padding_idx {
            self.weight.value().with_slice_mut::<f32, _>(|w| w[p * DIM..(p + 1) * DIM].fill(0.0));
        }
    }

    /// Looks up `indices` (`i64`, any shape) → `[*indices.shape, DIM]`.
    pub fn forward(&self, indices: &Tensor) -> Result<Tensor> {
        assert!(
            indices.dtype() == DType::I64,
            "Embedding: expected indices of dtype torch.int64, but got {}",
            indices.dtype().torch_name()
        );
        let idx = indices.contiguous();
        let mut shape = indices.shape().to_vec();
        shape.push(DIM);
        let mut out = vec![0f32; idx.numel() * DIM];
        let g = EmbeddingGeom { num: NUM, dim: DIM };
        idx.with_slice::<i64, _>(|is| self.weight.value().with_slice::<f32, _>(|w| embedding_forward(&g, is, w, &mut out)))?;
        Ok(Tensor::from_vec(out, &shape))
    }
}

impl<const NUM: usize, const DIM: usize> Default for Embedding<NUM, DIM> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const NUM: usize, const DIM: usize> Module for Embedding<NUM, DIM> {
    fn visit<'a>(&'a self, v: &mut dyn Visitor<'a>) {
        v.param("weight", &self.weight);
    }
    fn visit_mut(&mut self, v: &mut dyn VisitorMut) {
        v.param("weight", &mut self.weight);
    }
    fn type_name(&self) -> &'static str {
        "Embedding"
    }
    fn extra_repr(&self) -> String {
        match self.padding_idx {
            Some(p) => format!("{NUM}, {DIM}, padding_idx={p}"),
            None => format!("{NUM}, {DIM}"),
        }
    }
    fn share(&self) -> Self {
        Embedding { weight: self.weight.share(), padding_idx: self.padding_idx }
    }
    crate::__module_boilerplate!();
}

impl<const NUM: usize, const DIM: usize> crate::module::ConstKeys for Embedding<NUM, DIM> {
    const STATE_DICT_KEYS: Option<&'static [&'static str]> = Some(&["weight"]);
}

impl<const NUM: usize, const DIM: usize> std::fmt::Display for Embedding<NUM, DIM> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::module::fmt_module(self, f)
    }
}

// ----- `Layer`: the indices saved for the backward -----

use super::conv::grad::with_grad_slice;
use super::saved_layer::{SavedTensor, check_grad_out, contiguous_in, write_from};
use crate::tensor::Dims;
use fusenet_kernels::ops::embedding::embedding_backward;

/// `forward_train` saves a handle onto the `i64` indices; `backward` scatter-adds `g` into
/// `weight.grad` (`dW[idx[i]] += g[i]`, none for `padding_idx`).
///
/// The input is a tensor of indices, which has no gradient: `backward` returns `None` whatever
/// `need_input_grad` says (PyTorch's `indices.grad` stays `None` too), so an `Embedding` is the
/// first layer of a differentiated chain.
///
/// `Layer::forward` and `forward_train` panic with [`Error::Kernel`](crate::Error::Kernel)'s
/// message on an index outside `[0, NUM)` (a `Layer` returns a tensor, as PyTorch raises
/// `IndexError`); call the eager [`Embedding::forward`] to get the `Result` instead.
///
/// ```
/// use fusenet_runtime::module::Layer;
/// use fusenet_runtime::nn::Embedding;
/// use fusenet_runtime::{Param, Tensor};
/// let mut emb = Embedding::<3, 2>::new();
/// emb.weight = Param::new(Tensor::zeros(&[3, 2]));
/// let mut ctx = Default::default();
/// let idx = Tensor::from_vec(vec![2i64, 0, 2], &[3]);
/// assert_eq!(emb.forward_train(&idx, &mut ctx).shape(), &[3, 2]);
/// let g = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
/// assert!(emb.backward(&mut ctx, &g, true).is_none()); // indices have no gradient
/// assert_eq!(emb.weight.grad().unwrap().to_vec::<f32>(), [3.0, 4.0, 0.0, 0.0, 6.0, 8.0]);
/// ```
impl<const NUM: usize, const DIM: usize> crate::module::Layer for Embedding<NUM, DIM> {
    type Ctx = SavedTensor;

    /// The output is `[*indices.shape, DIM]`; the indices may have any shape.
    const OUT_DIMS: &'static [usize] = &[DIM];

    fn forward(&self, indices: &Tensor) -> Tensor {
        Embedding::forward(self, indices).unwrap_or_else(|e| panic!("Embedding: {e}"))
    }

    /// Writes the rows into the call site's output buffer (no allocation in steady state) and
    /// keeps a handle onto the indices.
    fn forward_train(&self, indices: &Tensor, ctx: &mut SavedTensor) -> Tensor {
        ctx.clear();
        assert!(
            indices.dtype() == DType::I64,
            "Embedding: expected indices of dtype torch.int64, but got {}",
            indices.dtype().torch_name()
        );
        let idx = indices.contiguous();
        let mut shape = Dims::from_slice(indices.shape());
        shape.push(DIM);
        let g = EmbeddingGeom { num: NUM, dim: DIM };
        let w = self.weight.value().contiguous();
        let y = write_from::<i64>(&idx, &shape, &mut ctx.bufs.out, |is, out| {
            w.with_slice::<f32, _>(|ws| embedding_forward(&g, is, ws, out)).unwrap_or_else(|e| panic!("Embedding: {e}"))
        });
        ctx.save(idx);
        y
    }

    fn backward(&self, ctx: &mut SavedTensor, grad_out: &Tensor, _need_input_grad: bool) -> Option<Tensor> {
        let idx = ctx.take("Embedding");
        let mut want = Dims::from_slice(idx.shape());
        want.push(DIM);
        check_grad_out("Embedding", &want, grad_out);
        let gy = contiguous_in(grad_out, &mut ctx.bufs.grad_copy);
        let g = EmbeddingGeom { num: NUM, dim: DIM };
        with_grad_slice(Some(&self.weight), |dw| {
            if let Some(dw) = dw {
                idx.with_slice::<i64, _>(|is| gy.with_slice::<f32, _>(|gs| embedding_backward(&g, is, self.padding_idx, gs, dw)))
                    .expect("the indices were checked by the forward");
            }
        });
        None
    }
}
