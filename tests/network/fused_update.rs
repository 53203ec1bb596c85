//! `Layer::backward_with` and a plain-SGD optimiser: the update fused into the backward gives
//! the parameters that `backward` followed by `Sgd::step` gives, and it is fused only where that
//! holds (a `Linear` called once, its parameter held by the layer and the optimiser alone, no
//! stored gradient, plain SGD). The fused update uses the step's arithmetic: the parameters are
//! equal bit for bit.

use fusenet::module::Layer;
use fusenet::nn::{Linear, ReLU};
use fusenet::optim::{Optimizer, Sgd};
use fusenet::prelude::*;

use crate::seed_networks::*;

/// `steps` training steps of `L = Σ y ⊙ r` (fixed `r`) on two identical copies of a network,
/// one unfused (`backward`, `step`), one fused (`backward_with`, `step`); returns both
/// networks' parameters after the steps, and for the fused copy which parameters held a
/// gradient right after its first backward.
fn train_both<L: Layer + Module>(build: impl Fn() -> L, x: &Tensor, momentum: f64, steps: usize) -> (Vec<Tensor>, Vec<Tensor>, Vec<bool>) {
    manual_seed(7);
    let a = build();
    manual_seed(7);
    let b = build();
    let lr = 0.05;
    let sgd = |net: &L| {
        let o = Sgd::new(net.parameters(), lr);
        if momentum > 0.0 { o.momentum(momentum) } else { o }
    };
    let (mut oa, mut ob) = (sgd(&a), sgd(&b));
    let (mut ca, mut cb) = (L::Ctx::default(), L::Ctx::default());
    let mut had_grad = Vec::new();
    for step in 0..steps {
        let ya = a.forward_train(x, &mut ca);
        let r = Tensor::linspace(-1.0, 1.0, ya.numel()).reshape(ya.shape());
        a.backward(&mut ca, &r, false);
        oa.step();
        oa.zero_grad();
        let _ = b.forward_train(x, &mut cb);
        b.backward_with(&mut cb, &r, false, Some(&ob));
        if step == 0 {
            had_grad = b.parameters().iter().map(|p| p.grad().is_some()).collect();
        }
        ob.step();
        ob.zero_grad();
    }
    let vals = |n: &L| n.parameters().iter().map(|p| p.value().clone()).collect::<Vec<_>>();
    (vals(&a), vals(&b), had_grad)
}

fn assert_same(what: &str, a: &[Tensor], b: &[Tensor]) {
    assert_eq!(a.len(), b.len());
    for (k, (p, q)) in a.iter().zip(b).enumerate() {
        let (p, q) = (p.to_vec::<f32>(), q.to_vec::<f32>());
        for (i, (u, v)) in p.iter().zip(&q).enumerate() {
            assert_eq!(u.to_bits(), v.to_bits(), "{what}: parameter {k}[{i}]: unfused {u}, fused {v}");
        }
    }
}

#[test]
fn fused_sgd_equals_backward_then_step_and_stores_no_gradient() {
    let x = Tensor::randn(&[3, 20]);
    let (a, b, had) = train_both(MySequential::new, &x, 0.0, 4);
    assert_same("MySequential", &a, &b);
    // Both Linears are called once: their updates were applied in the backward (the first
    // Linear's bias in the ReLU's backward pass, fused with the mask).
    assert_eq!(had, [false; 4], "which parameters kept a gradient");
}

#[test]
fn nested_networks_fuse_their_layers_and_match() {
    let x = Tensor::randn(&[2, 20]);
    let (a, b, had) = train_both(NestMlp::new, &x, 0.0, 3);
    assert_same("NestMlp", &a, &b);
    assert!(had.iter().any(|h| !h), "some update was fused: {had:?}");
}

#[test]
fn tied_parameters_loops_and_repeated_layers_are_not_fused_and_still_match() {
    let x4 = Tensor::randn(&[5, 4]);
    // `shared` and `shared_again` are two fields holding one parameter: it must not be updated
    // before the second call's backward has read it.
    let (a, b, had) = train_both(Tied::new, &x4, 0.0, 3);
    assert_same("Tied", &a, &b);
    let keys: Vec<String> = Tied::new().named_parameters().into_iter().map(|(k, _)| k).collect();
    let shared = keys.iter().position(|k| k == "2.weight").expect("a 2.weight key");
    assert!(had[shared], "the tied weight kept its gradient: {keys:?} {had:?}");
    // A layer called in a loop (RgNet's blocks) and one called twice (FixedHiddenMlp's
    // `linear`, inside Chimera).
    let (a, b, _) = train_both(RgNet::new, &x4, 0.0, 3);
    assert_same("RgNet", &a, &b);
    let x20 = Tensor::randn(&[2, 20]);
    let (a, b, _) = train_both(Chimera::new, &x20, 0.0, 3);
    assert_same("Chimera", &a, &b);
}

#[test]
fn momentum_is_never_fused() {
    let x = Tensor::randn(&[3, 20]);
    let (a, b, had) = train_both(MySequential::new, &x, 0.9, 3);
    assert_same("MySequential with momentum", &a, &b);
    assert!(had.iter().all(|&h| h), "every parameter kept its gradient: {had:?}");
}

#[test]
fn a_parameter_with_a_gradient_is_accumulated_not_fused() {
    // Gradient accumulation across two backwards: the second must add to the first, as
    // `backward` does, and the step then applies the sum.
    manual_seed(3);
    let net = Seq481::new();
    let opt = Sgd::new(net.parameters(), 0.1);
    let x = Tensor::randn(&[3, 4]);
    let mut ctx = <Seq481 as Layer>::Ctx::default();
    let g = Tensor::ones(&[3, 1]);
    let last = |net: &Seq481| net.named_parameters().into_iter().find(|(k, _)| k == "2.weight").map(|(_, p)| p.share()).expect("2.weight");
    net.forward_train(&x, &mut ctx);
    net.backward(&mut ctx, &g, false);
    let first = last(&net).grad().expect("a gradient").clone();
    net.forward_train(&x, &mut ctx);
    net.backward_with(&mut ctx, &g, false, Some(&opt));
    let second = last(&net).grad().expect("still a gradient");
    assert!(second.allclose(&(&first * 2.0), 1e-6, 1e-6), "accumulated: {second} against 2 x {first}");
}

network! {
    /// A first weight above `FUSE_MAX_NUMEL` (200·100 = 20,000 elements).
    struct Wide = Sequential(Linear<200, 100>, ReLU, Linear<100, 2>);
}

#[test]
fn large_parameters_keep_their_gradient_for_step() {
    const { assert!(200 * 100 > fusenet::optim::FUSE_MAX_NUMEL && 100 * 2 <= fusenet::optim::FUSE_MAX_NUMEL) };
    let x = Tensor::randn(&[3, 200]);
    let (a, b, had) = train_both(Wide::new, &x, 0.0, 3);
    assert_same("Wide", &a, &b);
    assert_eq!(had, [true, false, false, false], "only the large weight kept its gradient");
}
