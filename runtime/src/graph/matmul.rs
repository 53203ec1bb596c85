//! The backward of `torch.matmul`, including its vector and batched-broadcast cases.

use super::broadcast::sum_to_shape;
use crate::tensor::{Tensor, broadcast_shapes};

/// The shape of `a @ b` under `torch.matmul`'s rules; panics naming both shapes when they do not
/// multiply.
fn matmul_shape(a: &[usize], b: &[usize]) -> Vec<usize> {
    assert!(!a.is_empty() && !b.is_empty(), "matmul_backward: both operands need at least 1 dim, got {a:?} and {b:?}");
    let k_a = a[a.len() - 1];
    let k_b = if b.len() == 1 { b[0] } else { b[b.len() - 2] };
    assert!(k_a == k_b, "matmul_backward: shapes {a:?} and {b:?} cannot be multiplied ({k_a} != {k_b})");
    let batch_a = if a.len() > 2 { &a[..a.len() - 2] } else { &[][..] };
    let batch_b = if b.len() > 2 { &b[..b.len() - 2] } else { &[][..] };
    let mut out = broadcast_shapes(batch_a, batch_b);
    if a.len() > 1 {
        out.push(a[a.len() - 2]);
    }
    if b.len() > 1 {
        out.push(b[b.len() - 1]);
    }
    out
}

/// Backward of `y = torch.matmul(a, b)`: returns `(∂L/∂a, ∂L/∂b)`, each only when asked.
///
/// With both operands viewed as (batches of) matrices — a 1-D `a` as `[1, k]`, a 1-D `b` as
/// `[k, 1]`, and `g` unsqueezed to match — the formulas are `∂L/∂a = g·bᵀ` and `∂L/∂b = aᵀ·g`,
/// batched with broadcasting, then summed over the batch dims each operand was broadcast along
/// ([`sum_to_shape`]) and viewed back at the operand's shape. Two vectors (a dot product, `g`
/// 0-d) give `g·b` and `g·a`. When `b` is a matrix and `a` is batched, `∂L/∂b` is one GEMM over
/// the flattened batch (`[B·m, k]ᵀ · [B·m, n]`), with no per-batch temporary.
///
/// Panics when the shapes do not multiply or `g` does not have the output's shape, naming them.
///
/// ```
/// use fusenet_runtime::{Tensor, graph::matmul_backward};
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// let v = Tensor::from_vec(vec![1.0f32, -1.0], &[2]);
/// // y = a @ v, L = Σ y: ∂L/∂a = 1·vᵀ per row, ∂L/∂v = aᵀ·1 = column sums.
/// let (ga, gv) = matmul_backward(&a, &v, &Tensor::ones(&[2]), true, true);
/// assert_eq!(ga.unwrap().to_vec::<f32>(), [1.0, -1.0, 1.0, -1.0]);
/// assert_eq!(gv.unwrap().to_vec::<f32>(), [4.0, 6.0]);
/// ```
pub fn matmul_backward(a: &Tensor, b: &Tensor, g: &Tensor, need_a: bool, need_b: bool) -> (Option<Tensor>, Option<Tensor>) {
    let y = matmul_shape(a.shape(), b.shape());
    assert!(
        g.shape() == y,
        "matmul_backward: {:?} @ {:?} gives shape {y:?}, but the gradient has shape {:?}",
        a.shape(),
        b.shape(),
        g.shape()
    );
    if a.dim() == 1 && b.dim() == 1 {
        return (need_a.then(|| b.mul(g)), need_b.then(|| a.mul(g)));
    }
    let a2 = if a.dim() == 1 { a.unsqueeze(0) } else { a.shallow_clone() };
    let b2 = if b.dim() == 1 { b.unsqueeze(1) } else { b.shallow_clone() };
    let mut g2 = g.shallow_clone();
    if b.dim() == 1 {
        g2 = g2.unsqueeze(-1);
    }
    if a.dim() == 1 {
        g2 = g2.unsqueeze(-2);
    }
    let ga = need_a.then(|| {
        let full = g2.matmul(&b2.transpose(-1, -2));
        sum_to_shape(&full, a2.shape()).reshape(a.shape())
    });
    let gb = need_b.then(|| {
        let full = if a2.dim() > 2 && b2.dim() == 2 {
            let k = a2.shape()[a2.dim() - 1];
            let n = g2.shape()[g2.dim() - 1];
            let rows: usize = a2.shape()[..a2.dim() - 1].iter().product();
            let af = a2.reshape([rows, k]);
            let gf = g2.reshape([rows, n]);
            af.t().matmul(&gf)
        } else {
            a2.transpose(-1, -2).matmul(&g2)
        };
        sum_to_shape(&full, b2.shape()).reshape(b.shape())
    });
    (ga, gb)
}
