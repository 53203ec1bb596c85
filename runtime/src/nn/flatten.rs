//! `Flatten`: merges a range of dimensions.

use crate::module::{Module, Visitor, VisitorMut};
use crate::tensor::Tensor;

/// PyTorch's `nn.Flatten(start_dim=1, end_dim=-1)`: `[B, C, H, W] → [B, C·H·W]` by default.
///
/// ```
/// use fusenet_runtime::nn::Flatten;
/// assert_eq!(Flatten::default().to_string(), "Flatten(start_dim=1, end_dim=-1)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flatten {
    pub start_dim: isize,
    pub end_dim: isize,
}

impl Flatten {
    /// `nn.Flatten(start_dim, end_dim)`.
    pub fn new(start_dim: isize, end_dim: isize) -> Flatten {
        Flatten { start_dim, end_dim }
    }

    /// The eager forward: `x.flatten(start_dim, end_dim)`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        x.flatten(self.start_dim, self.end_dim)
    }
}

impl Default for Flatten {
    fn default() -> Flatten {
        Flatten { start_dim: 1, end_dim: -1 }
    }
}

impl Module for Flatten {
    fn visit<'a>(&'a self, _v: &mut dyn Visitor<'a>) {}
    fn visit_mut(&mut self, _v: &mut dyn VisitorMut) {}
    fn type_name(&self) -> &'static str {
        "Flatten"
    }
    fn extra_repr(&self) -> String {
        format!("start_dim={}, end_dim={}", self.start_dim, self.end_dim)
    }
    fn share(&self) -> Flatten {
        *self
    }
    crate::__module_boilerplate!();
}

impl std::fmt::Display for Flatten {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::module::fmt_module(self, f)
    }
}

/// What a `Flatten` call site keeps for its backward: the input's shape.
#[derive(Debug, Default)]
pub struct FlattenCtx {
    shape: Option<Vec<usize>>,
}

/// The backward reshapes the gradient back to the input's shape (a view when possible).
///
/// ```
/// use fusenet_runtime::module::Layer;
/// use fusenet_runtime::nn::Flatten;
/// use fusenet_runtime::Tensor;
/// let mut ctx = Default::default();
/// let y = Flatten::default().forward_train(&Tensor::zeros(&[2, 3, 4]), &mut ctx);
/// assert_eq!(y.shape(), &[2, 12]);
/// let gx = Flatten::default().backward(&mut ctx, &Tensor::ones(&[2, 12]), true).unwrap();
/// assert_eq!(gx.shape(), &[2, 3, 4]);
/// ```
impl crate::module::Layer for Flatten {
    type Ctx = FlattenCtx;

    fn forward(&self, x: &Tensor) -> Tensor {
        Flatten::forward(self, x)
    }

    fn forward_train(&self, x: &Tensor, ctx: &mut FlattenCtx) -> Tensor {
        ctx.shape = Some(x.shape().to_vec());
        Flatten::forward(self, x)
    }

    fn backward(&self, ctx: &mut FlattenCtx, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
        let shape = ctx.shape.take().expect(
            "Flatten::backward: no saved shape; call forward_train first (and backward once per forward_train)",
        );
        need_input_grad.then(|| crate::graph::flatten_backward(grad_out, &shape))
    }
}
