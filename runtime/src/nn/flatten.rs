//! `Flatten`: merges a range of dimensions.

use crate::tensor::{Dims, Tensor};

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

hyper_module!(Flatten, "Flatten", |s| format!("start_dim={}, end_dim={}", s.start_dim, s.end_dim));

/// What a `Flatten` call site keeps for its backward: the input's shape (inline, no allocation).
#[derive(Debug, Default)]
pub struct FlattenCtx {
    shape: Option<Dims<usize>>,
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
        ctx.shape = Some(x.shape().into());
        Flatten::forward(self, x)
    }

    fn backward(&self, ctx: &mut FlattenCtx, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
        let shape = ctx.shape.take().expect(
            "Flatten::backward: no saved shape; call forward_train first (and backward once per forward_train)",
        );
        need_input_grad.then(|| crate::graph::flatten_backward(grad_out, &shape))
    }
}

/// PyTorch's `nn.Unflatten(dim, unflattened_size)`: splits dimension `dim` into `sizes`
/// (`[B, 50] → [B, 2, 5, 5]` for `Unflatten::new(1, &[2, 5, 5])`).
///
/// ```
/// use fusenet_runtime::{Tensor, nn::Unflatten};
/// let u = Unflatten::new(1, &[2, 5, 5]);
/// assert_eq!(u.to_string(), "Unflatten(dim=1, unflattened_size=(2, 5, 5))");
/// assert_eq!(u.forward(&Tensor::zeros(&[3, 50])).shape(), &[3, 2, 5, 5]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unflatten {
    pub dim: isize,
    pub sizes: Vec<usize>,
}

impl Unflatten {
    /// `nn.Unflatten(dim, sizes)`.
    pub fn new(dim: isize, sizes: &[usize]) -> Unflatten {
        Unflatten { dim, sizes: sizes.to_vec() }
    }

    /// The eager forward: `x.unflatten(dim, sizes)` (a view when strides allow).
    pub fn forward(&self, x: &Tensor) -> Tensor {
        x.unflatten(self.dim, self.sizes.as_slice())
    }
}

// Python's tuple repr: `(4,)` for one element.
hyper_module!(Unflatten, "Unflatten", |s| {
    let sizes: Vec<String> = s.sizes.iter().map(usize::to_string).collect();
    let tuple = if sizes.len() == 1 { format!("({},)", sizes[0]) } else { format!("({})", sizes.join(", ")) };
    format!("dim={}, unflattened_size={tuple}", s.dim)
});

/// The backward reshapes the gradient back to the input's shape, as for [`Flatten`].
impl crate::module::Layer for Unflatten {
    type Ctx = FlattenCtx;

    fn forward(&self, x: &Tensor) -> Tensor {
        Unflatten::forward(self, x)
    }

    fn forward_train(&self, x: &Tensor, ctx: &mut FlattenCtx) -> Tensor {
        ctx.shape = Some(x.shape().into());
        Unflatten::forward(self, x)
    }

    fn backward(&self, ctx: &mut FlattenCtx, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
        let shape = ctx.shape.take().expect(
            "Unflatten::backward: no saved shape; call forward_train first (and backward once per forward_train)",
        );
        need_input_grad.then(|| crate::graph::flatten_backward(grad_out, &shape))
    }
}

#[cfg(test)]
mod unflatten_tests {
    use super::*;
    use crate::graph::gradcheck::{Tolerance, assert_layer};

    #[test]
    fn repr_matches_torch_for_one_and_many_sizes() {
        // print(nn.Unflatten(-1, (4,)))
        assert_eq!(Unflatten::new(-1, &[4]).to_string(), "Unflatten(dim=-1, unflattened_size=(4,))");
    }

    #[test]
    fn gradient_reshapes_back() {
        assert_layer(&Unflatten::new(1, &[2, 3]), &Tensor::randn(&[2, 6]), Tolerance::default());
    }
}
