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
