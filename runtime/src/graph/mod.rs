//! The backward helpers that `network!`-generated code calls (reached as `::fusenet::__private::ops`),
//! plus the few forward ops the eager tensor API lacks (`gelu`, `leaky_relu`, `erf`).
//!
//! Conventions, shared by every helper:
//! - Tensors are `f32`. `g` is the incoming gradient `∂L/∂y` of an op's output `y`; a helper
//!   returns `∂L/∂(operand)` with the operand's shape.
//! - A helper saves nothing and keeps no state; what it needs from the forward (`x` or `y`) is
//!   passed in. Each doc comment states which one, and the formula.
//! - A result may be a view of `g` (reshape, transpose, split) or a broadcast view with stride 0
//!   (`sum_backward`, `mean_backward`, `sum_dim_backward`). Never write into a result in place;
//!   sum fan-out contributions with [`accumulate`], which adds in place only into a tensor nobody
//!   else sees.
//! - Parameter gradients go through [`add_to_grad`], [`add_at_b_to_grad`] and
//!   [`add_row_sum_to_grad`]: they do nothing for a parameter with `requires_grad == false`, and
//!   accumulate (PyTorch's `.grad +=`) into the parameter's reused buffer.
//! - A programmer's mistake (shapes that do not fit) panics with a message naming both shapes.
//!
//! [`gradcheck`] is the finite-difference harness every backward here and every
//! [`Layer`](crate::module::Layer) is tested with.
//!
//! ```
//! use fusenet_runtime::{Tensor, graph};
//! // y = relu(x) · w with w broadcast over rows: ∂L/∂w = Σ_rows g ⊙ relu(x).
//! let x = Tensor::from_vec(vec![-1.0f32, 2.0, 3.0, -4.0], &[2, 2]);
//! let w = Tensor::from_vec(vec![10.0f32, 20.0], &[2]);
//! let r = x.relu();
//! let g = Tensor::ones(&[2, 2]);
//! let (gr, gw) = graph::mul_backward(&r, &w, &g, true, true);
//! assert_eq!(gw.unwrap().to_vec::<f32>(), [3.0, 2.0]);
//! let gx = graph::relu_backward(&r, &gr.unwrap());
//! assert_eq!(gx.to_vec::<f32>(), [0.0, 20.0, 10.0, 0.0]);
//! ```

mod binary;
mod broadcast;
pub mod elem;
mod fused;
pub mod into;
mod kernel;
mod linear;
mod loss;
mod matmul;
mod param_grad;
mod reduce;
mod shape;
mod slot;
mod softmax;
mod unary;

pub mod gradcheck;

pub use binary::{add_backward, div_backward, mul_backward, sub_backward};
pub use broadcast::{accumulate, sum_to_shape};
pub use fused::{map, map_col_sums, map_into};
pub use slot::{ForwardSlots, Slot, accumulate_into};
pub use loss::{
    GradSeed, Reduction, binary_cross_entropy, binary_cross_entropy_backward, binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_backward, cross_entropy, cross_entropy_backward, l1_loss, l1_loss_backward,
    mse_loss, mse_loss_backward, nll_loss, nll_loss_backward,
};
pub use matmul::matmul_backward;
pub use linear::{linear_backward, linear_input_grad, linear_weight_grads};
pub use param_grad::{add_at_b_to_grad, add_row_sum_to_grad, add_to_grad};
pub use reduce::{
    max_backward, max_backward_into, max_dim_backward, max_dim_backward_into, max_dim_into, max_into, mean_backward,
    mean_dim_backward, min_backward, min_dim_backward, sum_backward, sum_dim_backward,
};
pub use shape::{
    cat_backward, cat_into, expand_backward, flatten_backward, permute_backward, reshape_backward, stack_backward,
    stack_into, transpose_backward,
};
pub use softmax::{log_softmax_backward, softmax_backward};
pub use unary::{
    abs_backward, erf, exp_backward, gelu, gelu_backward, leaky_relu, leaky_relu_backward, log_backward, pow_backward,
    relu_backward, sigmoid_backward, sqrt_backward, tanh_backward,
};

#[cfg(test)]
mod tests_elementwise;
#[cfg(test)]
mod tests_linalg;
#[cfg(test)]
mod tests_reduce_shape;
