//! Losses as `network!` built-ins: networks with a target input (`target: [B] as i64`), their
//! gradients against central finite differences, a training step whose parameter gradients equal
//! the eager path's (`CrossEntropyLoss::forward_backward` + `Layer::backward`), and a class index
//! out of range reported as an error.
//!
//! The runtime is f32 only: the check uses a step of 1e-2 and accepts
//! `|analytic − numeric| ≤ 2e-3 · max(1, |numeric|)`. Inputs of `l1_loss` are kept away from the
//! kink `a = b` by more than the step.

use fusenet::module::Layer;
use fusenet::nn::{CrossEntropyLoss, Linear};
use fusenet::optim::{Optimizer, Sgd};
use fusenet::prelude::*;

const STEP: f32 = 1e-2;
const TOL: f32 = 2e-3;

network! {
    struct Classifier { fc: Linear<4, 3> }
    fn forward(x: [B, 4], target: [B] as i64) -> [] {
        cross_entropy(fc(x), target)
    }
}

network! {
    /// Per-position classes: logits `[B, C, L]` against `[B, L]`, summed.
    struct Segmenter { #[init(randn)] scale: Param<[3, 1]> }
    fn forward(x: [B, 3, 5], target: [B, 5] as i64) -> [] {
        cross_entropy(x * scale, target, reduction = "sum")
    }
}

network! {
    struct NllNet { fc: Linear<4, 3> }
    fn forward(x: [B, 4], target: [B] as i64) -> [B] {
        nll_loss(log_softmax(tanh(fc(x)), 1), target, "none")
    }
}

network! {
    struct Regressor { fc: Linear<4, 2> }
    fn forward(x: [B, 4], y: [B, 2] as f32) -> [B, 2] {
        mse_loss(fc(x), y, reduction = "none")
    }
}

network! {
    struct L1Net { fc: Linear<4, 2> }
    fn forward(x: [B, 4], y: [B, 2] as f32) -> [] {
        l1_loss(fc(x), y, reduction = "sum")
    }
}

network! {
    struct BceNet { fc: Linear<4, 2> }
    fn forward(x: [B, 4], y: [B, 2] as f32) -> [] {
        binary_cross_entropy(sigmoid(fc(x)), y)
    }
}

network! {
    struct BceLogitsNet { fc: Linear<4, 2> }
    fn forward(x: [B, 4], y: [B, 2] as f32) -> [] {
        binary_cross_entropy_with_logits(fc(x), y)
    }
}

network! {
    /// One input, a loss that cannot fail: still a `Layer`; the gradient reaches `x` both ways.
    struct AutoEncoder { fc: Linear<4, 4> }
    fn forward(x: [B, 4]) -> [] {
        mse_loss(fc(x), x)
    }
}

network! {
    /// One input, a loss that can fail on data: its forward returns a `Result`.
    struct SelfBce;
    fn forward(x: [B, 2]) -> [] {
        binary_cross_entropy(x, x * 0.5)
    }
}

fn close(analytic: f32, numeric: f32) -> bool {
    (analytic - numeric).abs() <= TOL * numeric.abs().max(1.0)
}

/// Checks `gx` and every parameter's gradient (already computed) against finite differences of `f`.
fn check(params: Vec<(String, &Param)>, x: &Tensor, gx: &Tensor, f: impl Fn(&Tensor) -> f32) {
    assert_eq!(gx.shape(), x.shape(), "input gradient shape");
    let x = x.clone();
    let flat = x.reshape(-1);
    let gflat = gx.contiguous().reshape(-1);
    let fd = |t: &Tensor, i: usize| {
        let old = t.get(i);
        t.set(i, old + STEP);
        let up = f(&x);
        t.set(i, old - STEP);
        let down = f(&x);
        t.set(i, old);
        (up - down) / (2.0 * STEP)
    };
    for i in 0..x.numel() {
        let (a, n) = (gflat.get(i), fd(&flat, i));
        assert!(close(a, n), "d/dx[{i}]: analytic {a}, numeric {n}");
    }
    for (name, p) in params {
        let g = p.grad().unwrap_or_else(|| panic!("no gradient for {name}")).contiguous().reshape(-1);
        let v = p.value().reshape(-1);
        for i in 0..p.numel() {
            let (a, n) = (g.get(i), fd(&v, i));
            assert!(close(a, n), "d/d{name}[{i}]: analytic {a}, numeric {n}");
        }
    }
}

/// `Σ y ⊙ r`, a weighted sum so that every element of a `"none"` loss counts differently.
fn weighted(y: &Tensor, r: &Tensor) -> f32 {
    y.mul(r).sum_all()
}

/// A gradient check of a two-input network, whose forward returns `$ok(tensor)`.
macro_rules! gradcheck {
    ($net:expr, $x:expr, $t:expr, $unwrap:expr) => {{
        let (net, x, t) = (&$net, &$x, &$t);
        let y = $unwrap(net.forward(x, t));
        let r = if y.shape().is_empty() { Tensor::scalar(1.0) } else { Tensor::rand(y.shape()).sub(0.5) };
        let mut ctx = Default::default();
        let y2 = $unwrap(net.forward_train(x, t, &mut ctx));
        assert!(y2.allclose(&y, 1e-6, 1e-6), "forward_train and forward differ");
        let gx = net.backward(&mut ctx, &r, true).expect("input gradient was asked for");
        check(net.named_parameters(), x, &gx, |x| weighted(&$unwrap(net.forward(x, t)), &r));
    }};
}

fn ok(r: fusenet::Result<Tensor>) -> Tensor {
    r.expect("the data fits the loss")
}

fn id(t: Tensor) -> Tensor {
    t
}

fn classes(v: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}

#[test]
fn cross_entropy_gradients() {
    manual_seed(1);
    gradcheck!(Classifier::new(), Tensor::randn(&[5, 4]), classes(&[0, 2, 1, 1, 0], &[5]), ok);
}

#[test]
fn cross_entropy_over_positions_with_sum() {
    manual_seed(2);
    let t = classes(&[0, 1, 2, 2, 1, 2, 0, 0, 1, 1], &[2, 5]);
    gradcheck!(Segmenter::new(), Tensor::randn(&[2, 3, 5]), t, ok);
}

#[test]
fn nll_loss_unreduced_gradients() {
    manual_seed(3);
    gradcheck!(NllNet::new(), Tensor::randn(&[4, 4]), classes(&[2, 0, 1, 2], &[4]), ok);
}

#[test]
fn regression_loss_gradients() {
    manual_seed(4);
    gradcheck!(Regressor::new(), Tensor::randn(&[3, 4]), Tensor::randn(&[3, 2]), id);
    let net = L1Net::new();
    let x = Tensor::randn(&[3, 4]);
    // Targets at least 0.5 away from the prediction, so no element crosses the kink of |·|.
    let y = net.fc.forward(&x);
    let y = y.add(Tensor::rand(&[3, 2]).add(0.5).mul(y.sign().add(0.5).sign()));
    gradcheck!(net, x, y, id);
}

#[test]
fn binary_cross_entropy_gradients() {
    manual_seed(5);
    gradcheck!(BceNet::new(), Tensor::randn(&[3, 4]), Tensor::rand(&[3, 2]), ok);
    gradcheck!(BceLogitsNet::new(), Tensor::randn(&[3, 4]), Tensor::rand(&[3, 2]), id);
}

#[test]
fn single_input_loss_is_a_layer_and_differentiates_both_sides() {
    manual_seed(6);
    let net = AutoEncoder::new();
    let x = Tensor::randn(&[3, 4]);
    let mut ctx = Default::default();
    let y = Layer::forward_train(&net, &x, &mut ctx);
    assert_eq!(y.shape(), &[] as &[usize]);
    let gx = Layer::backward(&net, &mut ctx, &Tensor::scalar(1.0), true).unwrap();
    check(net.named_parameters(), &x, &gx, |x| Layer::forward(&net, x).item());
}

#[test]
fn fallible_single_input_returns_a_result() {
    let net = SelfBce::new();
    assert!(net.forward(&Tensor::full(&[2, 2], 0.5)).is_ok());
    let err = net.forward(&Tensor::full(&[2, 2], 1.5)).unwrap_err();
    assert!(err.to_string().contains("1.5"), "{err}");
}

#[test]
fn class_index_out_of_range_is_an_error() {
    manual_seed(7);
    let net = Classifier::new();
    let x = Tensor::randn(&[2, 4]);
    let err = net.forward(&x, &classes(&[0, 3], &[2])).unwrap_err();
    assert!(err.to_string().contains("Target 3 is out of bounds"), "{err}");
    let mut ctx = Default::default();
    let err = net.forward_train(&x, &classes(&[-1, 0], &[2]), &mut ctx).unwrap_err();
    assert!(err.to_string().contains("Target -1 is out of bounds"), "{err}");
}

#[test]
#[should_panic(expected = "expected a target `target` of shape [B]")]
fn target_of_the_wrong_rank_panics() {
    let _ = Classifier::new().forward(&Tensor::zeros(&[2, 4]), &classes(&[0, 1], &[2, 1]));
}

#[test]
#[should_panic(expected = "of dtype torch.int64, got torch.float32")]
fn float_class_target_panics() {
    let _ = Classifier::new().forward(&Tensor::zeros(&[2, 4]), &Tensor::zeros(&[2]));
}

/// A train step through the network equals the eager path, and the SGD step moves the weights
/// by `−lr · grad`.
#[test]
fn train_step_matches_the_eager_path() {
    manual_seed(8);
    let net = Classifier::new();
    let x = Tensor::randn(&[6, 4]);
    let t = classes(&[0, 1, 2, 2, 1, 0], &[6]);

    // Eager: Linear's forward_train, CrossEntropyLoss::forward_backward, Linear's backward.
    let fc: &Linear<4, 3> = &net.fc;
    let mut lctx = Default::default();
    let logits = Layer::forward_train(fc, &x, &mut lctx);
    let (eager_loss, glogits) = CrossEntropyLoss::new().forward_backward(&logits, &t).unwrap();
    Layer::backward(fc, &mut lctx, &glogits, false);
    let eager: Vec<Tensor> = net.parameters().iter().map(|p| p.grad().unwrap().clone()).collect();
    for p in net.parameters() {
        p.zero_grad();
    }

    // The network: forward_train → backward(1.0) → step.
    let before: Vec<Tensor> = net.parameters().iter().map(|p| p.value().clone()).collect();
    let mut ctx = Default::default();
    let loss = net.forward_train(&x, &t, &mut ctx).unwrap();
    assert!((loss.item() - eager_loss.item()).abs() < 1e-6);
    assert!(net.backward(&mut ctx, 1.0, false).is_none());
    let grads: Vec<Tensor> = net.parameters().iter().map(|p| p.grad().unwrap().clone()).collect();
    for (g, e) in grads.iter().zip(&eager) {
        assert!(g.allclose(e, 1e-6, 1e-7), "{:?} vs {:?}", g.to_vec::<f32>(), e.to_vec::<f32>());
    }
    let mut opt = Sgd::new(net.parameters(), 0.1);
    opt.step();
    for ((p, b), g) in net.parameters().iter().zip(&before).zip(&grads) {
        assert!(p.value().allclose(&b.sub(&g.mul(0.1)), 1e-6, 1e-7));
    }
    let after = net.forward(&x, &t).unwrap();
    assert!(after.item() < loss.item(), "one step lowers the loss: {} → {}", loss.item(), after.item());
}
