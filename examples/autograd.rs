//! The PyTorch primer's "Autograd" section, in Rust. Run with
//! `cargo run --release --example autograd`.
//!
//! PyTorch records a graph at run time (`requires_grad=True`, then `y.backward()`). Here the
//! function is a `network!` and its backward is derived at compile time: `forward_train` keeps
//! what the backward needs, `backward` returns `dy/dx` — the same numbers, no tape.

use fusenet::module::Layer;
use fusenet::prelude::*;

network! {
    /// `y = x² + 2x + 2` (PyTorch: `y = x**2 + 2*x + 2`).
    struct Quadratic;
    fn forward(x: [..]) -> [..] {
        x * x + 2.0 * x + 2.0
    }
}

network! {
    /// `y = x * 2`.
    struct Double;
    fn forward(x: [..]) -> [..] {
        x * 2.0
    }
}

fn main() {
    // x = torch.tensor(2.0, requires_grad=True); y = x**2 + 2*x + 2
    let x = Tensor::scalar(2.0);
    let f = Quadratic::new();
    let mut ctx = Default::default();
    let y = f.forward_train(&x, &mut ctx);
    println!("{y}");

    // y.backward(); print(x.grad)  →  dy/dx = 2x + 2 = 6 at x = 2
    let grad = f.backward(&mut ctx, &Tensor::ones_like(&y), true).expect("asked for dy/dx");
    println!("{grad}");

    // With gradient tracking: y = x * 2, then the gradient of y.sum() (PyTorch's `y.backward()`
    // needs a scalar y: for this 3-element y it raises "grad can be implicitly created only for
    // scalar outputs", so the primer's "Works fine" holds for `y.sum().backward()`).
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let double = Double::new();
    let mut ctx = Default::default();
    let y = double.forward_train(&x, &mut ctx);
    let grad = double.backward(&mut ctx, &Tensor::ones_like(&y), true).expect("asked for dy/dx");
    println!("{grad}");

    // torch.no_grad(): the inference forward saves nothing, so there is nothing to differentiate.
    let z = Layer::forward(&double, &x);
    println!("{z}");
}
