//! Broadcasting binary arithmetic: `y = a ∘ b` with `a` and `b` broadcast to `g`'s shape.
//!
//! Each helper returns `(∂L/∂a, ∂L/∂b)`, each computed only when asked (`need_a`, `need_b`) and
//! reduced to its operand's shape with [`sum_to_shape`]. A scalar operand (`x * 2.0`) needs no
//! helper: its gradient is `g * 2.0`.

use super::broadcast::sum_to_shape;
use crate::tensor::{Tensor, broadcast_shapes};

/// Panics unless `a ∘ b` has `g`'s shape, naming all three.
fn check(op: &str, a: &[usize], b: &[usize], g: &Tensor) {
    let y = broadcast_shapes(a, b);
    assert!(
        y == g.shape(),
        "{op}: operands of shapes {a:?} and {b:?} give an output of shape {y:?}, but the gradient has shape {:?}",
        g.shape()
    );
}

/// Backward of `y = a + b` (shapes only): `∂L/∂a = sum_to_shape(g, a)`, `∂L/∂b = sum_to_shape(g, b)`.
///
/// ```
/// use fusenet_runtime::{Tensor, graph::add_backward};
/// let (ga, gb) = add_backward(&[2, 3], &[3], &Tensor::ones(&[2, 3]), true, true);
/// assert_eq!((ga.unwrap().shape(), gb.unwrap().to_vec::<f32>()), (&[2usize, 3][..], vec![2.0; 3]));
/// ```
pub fn add_backward(a: &[usize], b: &[usize], g: &Tensor, need_a: bool, need_b: bool) -> (Option<Tensor>, Option<Tensor>) {
    check("add_backward", a, b, g);
    (need_a.then(|| sum_to_shape(g, a)), need_b.then(|| sum_to_shape(g, b)))
}

/// Backward of `y = a − b` (shapes only): `∂L/∂a = sum_to_shape(g, a)`, `∂L/∂b = −sum_to_shape(g, b)`.
pub fn sub_backward(a: &[usize], b: &[usize], g: &Tensor, need_a: bool, need_b: bool) -> (Option<Tensor>, Option<Tensor>) {
    check("sub_backward", a, b, g);
    (need_a.then(|| sum_to_shape(g, a)), need_b.then(|| sum_to_shape(g, b).neg()))
}

/// Backward of `y = a · b`: `∂L/∂a = sum_to_shape(g·b, a)`, `∂L/∂b = sum_to_shape(g·a, b)`.
pub fn mul_backward(a: &Tensor, b: &Tensor, g: &Tensor, need_a: bool, need_b: bool) -> (Option<Tensor>, Option<Tensor>) {
    check("mul_backward", a.shape(), b.shape(), g);
    (need_a.then(|| sum_to_shape(&g.mul(b), a.shape())), need_b.then(|| sum_to_shape(&g.mul(a), b.shape())))
}

/// Backward of `y = a / b`: `∂L/∂a = sum_to_shape(g / b, a)`,
/// `∂L/∂b = sum_to_shape(−g·a / b², b)`.
///
/// ```
/// use fusenet_runtime::{Tensor, graph::div_backward};
/// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let b = Tensor::from_vec(vec![4.0f32], &[1]);
/// let (ga, gb) = div_backward(&a, &b, &Tensor::ones(&[2]), true, true);
/// assert_eq!(ga.unwrap().to_vec::<f32>(), [0.25, 0.25]);
/// assert_eq!(gb.unwrap().to_vec::<f32>(), [-3.0 / 16.0]);
/// ```
pub fn div_backward(a: &Tensor, b: &Tensor, g: &Tensor, need_a: bool, need_b: bool) -> (Option<Tensor>, Option<Tensor>) {
    check("div_backward", a.shape(), b.shape(), g);
    let ga = need_a.then(|| sum_to_shape(&g.div(b), a.shape()));
    let gb = need_b.then(|| {
        let t = g.mul(a);
        t.div_(b.square());
        t.neg_();
        sum_to_shape(&t, b.shape())
    });
    (ga, gb)
}
