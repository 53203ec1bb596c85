//! The built-in `Layer` impls (`Linear`, `ReLU`, `Sigmoid`, `Tanh`, `Identity`, `Flatten`) through
//! the finite-difference harness (`fusenet::graph::gradcheck`), their contract's edge cases, and
//! the harness itself rejecting wrong backwards.

use fusenet::graph::gradcheck::{Tolerance, assert_layer, check_layer, sample};
use fusenet::module::Layer;
use fusenet::nn::{Flatten, Identity, Linear, LinearCtx, ReLU, Sigmoid, Tanh};
use fusenet::prelude::*;

/// `sample` pushed at least `gap` away from 0 (ReLU's kink).
fn away_from_zero(shape: &[usize], seed: u64, gap: f32) -> Tensor {
    let x = sample(shape, seed);
    let v = x.to_vec::<f32>().into_iter().map(|v| if v >= 0.0 { v + gap } else { v - gap }).collect();
    Tensor::from_vec(v, shape)
}

#[test]
fn linear_matches_finite_differences_for_any_leading_dims() {
    manual_seed(0);
    let lin = Linear::<5, 3>::new();
    for shape in [&[4, 5][..], &[2, 3, 5], &[5], &[1, 2, 1, 5]] {
        let r = assert_layer(&lin, &sample(shape, 1), Tolerance::default());
        assert_eq!(r.checked, shape.iter().product::<usize>() + 5 * 3 + 3);
    }
    let no_bias = Linear::<5, 3>::no_bias();
    assert_layer(&no_bias, &sample(&[4, 5], 2), Tolerance::default());
}

#[test]
fn linear_respects_requires_grad_per_parameter() {
    let lin = Linear::<4, 2>::new();
    lin.weight.set_requires_grad(false);
    // check_layer also fails if a frozen parameter receives a gradient.
    assert_layer(&lin, &sample(&[3, 4], 3), Tolerance::default());
    let mut ctx = LinearCtx::default();
    lin.forward_train(&sample(&[3, 4], 3), &mut ctx);
    lin.backward(&mut ctx, &Tensor::ones(&[3, 2]), false);
    assert!(lin.weight.grad().is_none());
    assert_eq!(lin.bias.as_ref().unwrap().grad().unwrap().to_vec::<f32>(), [3.0, 3.0]);
}

#[test]
fn activations_identity_and_flatten_match_finite_differences() {
    let x = away_from_zero(&[3, 4], 4, 0.05);
    assert_layer(&ReLU, &x, Tolerance::default());
    assert_layer(&Sigmoid, &x.mul(3.0), Tolerance::default());
    assert_layer(&Tanh, &x.mul(2.0), Tolerance::default());
    assert_layer(&Identity, &x, Tolerance::default());
    assert_layer(&Flatten::default(), &sample(&[2, 3, 2, 2], 5), Tolerance::default());
    assert_layer(&Flatten::new(0, 1), &sample(&[2, 3, 2], 6), Tolerance::default());
}

#[test]
fn parameter_free_layers_save_handles_not_copies() {
    let x = sample(&[2, 3], 7);
    let mut ctx = Default::default();
    let y = ReLU.forward_train(&x, &mut ctx);
    let gx = ReLU.backward(&mut ctx, &Tensor::ones(&[2, 3]), true).unwrap();
    assert_eq!(gx.to_vec::<f32>(), y.to_vec::<f32>().iter().map(|&v| if v > 0.0 { 1.0 } else { 0.0 }).collect::<Vec<_>>());
    let g = Tensor::ones(&[2, 3]);
    assert!(Identity.backward(&mut (), &g, true).unwrap().shares_storage(&g));
    // A Flatten backward of a contiguous gradient is a view.
    let mut fctx = Default::default();
    Flatten::default().forward_train(&Tensor::zeros(&[2, 3, 4]), &mut fctx);
    let g = Tensor::ones(&[2, 12]);
    assert!(Flatten::default().backward(&mut fctx, &g, true).unwrap().shares_storage(&g));
}

#[test]
fn a_linear_in_steady_state_writes_its_gradients_into_the_same_buffers() {
    let lin = Linear::<8, 4>::new();
    let x = sample(&[16, 8], 8);
    let g = sample(&[16, 4], 9);
    let step = || {
        let mut ctx = LinearCtx::default();
        lin.forward_train(&x, &mut ctx);
        lin.backward(&mut ctx, &g, false);
    };
    let ptr = |p: &Param| p.grad().unwrap().with_slice(|s: &[f32]| s.as_ptr());
    step();
    let first = lin.weight.grad().unwrap().clone();
    let (w, b) = (ptr(&lin.weight), ptr(lin.bias.as_ref().unwrap()));
    for _ in 0..3 {
        lin.zero_grad();
        step();
        assert_eq!((ptr(&lin.weight), ptr(lin.bias.as_ref().unwrap())), (w, b));
    }
    assert!(lin.weight.grad().unwrap().equal(&first), "zero_grad + backward gives one step's gradient");
}

#[test]
fn a_layer_used_twice_accumulates_into_shared_parameters() {
    manual_seed(0);
    let shared = Linear::<3, 3>::new();
    let x = sample(&[2, 3], 10);
    let (mut c1, mut c2) = (LinearCtx::default(), LinearCtx::default());
    let h = shared.forward_train(&x, &mut c1);
    let y = shared.forward_train(&h, &mut c2);
    let g = Tensor::ones(y.shape());
    let gh = shared.backward(&mut c2, &g, true).unwrap();
    shared.backward(&mut c1, &gh, false);
    // dW = gᵀ·h + ghᵀ·x
    let want = g.t().matmul(&h).add(gh.t().matmul(&x));
    assert!(shared.weight.grad().unwrap().allclose(&want, 1e-6, 1e-6));
}

#[test]
#[should_panic(expected = "Linear::backward: no saved input; call forward_train first")]
fn backward_without_forward_train_panics() {
    let lin = Linear::<2, 2>::new();
    lin.backward(&mut LinearCtx::default(), &Tensor::ones(&[1, 2]), true);
}

#[test]
#[should_panic(expected = "ReLU::backward: no saved output")]
fn a_second_backward_on_one_context_panics() {
    let mut ctx = Default::default();
    ReLU.forward_train(&Tensor::ones(&[2]), &mut ctx);
    ReLU.backward(&mut ctx, &Tensor::ones(&[2]), true);
    ReLU.backward(&mut ctx, &Tensor::ones(&[2]), true);
}

#[test]
#[should_panic(expected = "Linear<4, 2>::backward: the input had shape [3, 4], so the gradient must have shape [3, 2], got [3, 4]")]
fn linear_backward_rejects_a_gradient_of_the_wrong_shape() {
    let lin = Linear::<4, 2>::new();
    let mut ctx = LinearCtx::default();
    lin.forward_train(&Tensor::ones(&[3, 4]), &mut ctx);
    lin.backward(&mut ctx, &Tensor::ones(&[3, 4]), true);
}

// ----- the harness catches wrong layers -----

/// A `Linear` wrapper with a deliberate mistake in its backward.
#[derive(Module)]
struct Faulty {
    lin: Linear<3, 2>,
    #[module(skip)]
    fault: Fault,
}

#[derive(Clone, Copy)]
enum Fault {
    None,
    /// Overwrites the weight gradient instead of adding to it.
    Overwrites,
    /// Returns twice the input gradient.
    DoubleInputGrad,
    /// Returns an input gradient although none was asked for.
    IgnoresNeed,
}

impl Layer for Faulty {
    type Ctx = LinearCtx;
    fn forward(&self, x: &Tensor) -> Tensor {
        Layer::forward(&self.lin, x)
    }
    fn forward_train(&self, x: &Tensor, ctx: &mut LinearCtx) -> Tensor {
        self.lin.forward_train(x, ctx)
    }
    fn backward(&self, ctx: &mut LinearCtx, g: &Tensor, need: bool) -> Option<Tensor> {
        if matches!(self.fault, Fault::Overwrites) {
            self.lin.zero_grad();
        }
        let gx = self.lin.backward(ctx, g, true).unwrap();
        match self.fault {
            Fault::DoubleInputGrad => need.then(|| gx.mul(2.0)),
            Fault::IgnoresNeed => Some(gx),
            _ => need.then_some(gx),
        }
    }
}

#[test]
fn the_harness_rejects_wrong_backwards() {
    let x = sample(&[2, 3], 11);
    let run = |fault| check_layer(&Faulty { lin: Linear::new(), fault }, &x, Tolerance::default());
    assert!(run(Fault::None).is_ok());
    assert!(run(Fault::Overwrites).unwrap_err().contains("did not accumulate into `lin.weight`"));
    let e = run(Fault::DoubleInputGrad).unwrap_err();
    assert!(e.contains("Faulty: ∂L/∂x[0, 0]: backward gives"), "{e}");
    assert!(run(Fault::IgnoresNeed).unwrap_err().contains("backward(.., false) returned an input gradient"));
}

#[test]
fn kinks_can_be_skipped_for_relu_networks() {
    // Inputs right at ReLU's kink: the plain check fails there, the kink-aware one skips them.
    let x = Tensor::from_vec(vec![0.001f32, -0.002, 0.5, -0.5], &[4]);
    assert!(check_layer(&ReLU, &x, Tolerance::default()).is_err());
    let r = check_layer(&ReLU, &x, Tolerance::with_kinks()).unwrap();
    assert_eq!((r.checked, r.skipped), (2, 2));
}
