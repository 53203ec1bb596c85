//! Gradients of `network!`-generated backwards against central finite differences.
//!
//! The runtime is f32 only, so the check uses a step of 1e-2 and accepts
//! `|analytic − numeric| ≤ 1e-3 · max(1, |numeric|)` (the largest error measured over these
//! tests is 9e-5; a gradient off by 2% in one op fails). The loss is `Σ y ⊙ r` with a fixed random
//! `r`, so every output element carries a different weight. Inputs of ops with kinks (`relu`,
//! `abs`, `leaky_relu`) are kept away from the kink by more than the step.

use fusenet::module::Layer;
use fusenet::nn::{AvgPool2d, Conv1d, Conv2d, Flatten, Linear, MaxPool2d, ReLU};
use fusenet::prelude::*;

const STEP: f32 = 1e-2;
const TOL: f32 = 1e-3;

fn loss<L: Layer>(net: &L, x: &Tensor, r: &Tensor) -> f32 {
    Layer::forward(net, x).mul(r).sum_all()
}

fn close(analytic: f32, numeric: f32) -> bool {
    (analytic - numeric).abs() <= TOL * numeric.abs().max(1.0)
}

/// Checks the input gradient and every parameter gradient of `net` at `x`.
fn gradcheck<L: Layer>(net: &L, x: &Tensor) {
    let y = Layer::forward(net, x);
    let r = Tensor::rand(y.shape()).sub(0.5);
    for (_, p) in net.named_parameters() {
        p.zero_grad();
    }
    let mut ctx = Default::default();
    let y2 = net.forward_train(x, &mut ctx);
    assert!(y2.allclose(&y, 1e-6, 1e-6), "forward_train and forward differ");
    let gx = net.backward(&mut ctx, &r, true).expect("input gradient was asked for");
    assert_eq!(gx.shape(), x.shape(), "input gradient shape");
    let x = x.clone();
    let n = x.numel();
    let flat = x.reshape(-1);
    let gflat = gx.contiguous().reshape(-1);
    for i in 0..n {
        let old = flat.get(i);
        flat.set(i, old + STEP);
        let up = loss(net, &x, &r);
        flat.set(i, old - STEP);
        let down = loss(net, &x, &r);
        flat.set(i, old);
        let numeric = (up - down) / (2.0 * STEP);
        let analytic = gflat.get(i);
        assert!(close(analytic, numeric), "d/dx[{i}]: analytic {analytic}, numeric {numeric}");
    }
    for (name, p) in net.named_parameters() {
        let g = p.grad().unwrap_or_else(|| panic!("no gradient for {name}")).contiguous().reshape(-1);
        let v = p.value().reshape(-1);
        for i in 0..p.numel() {
            let old = v.get(i);
            v.set(i, old + STEP);
            let up = loss(net, &x, &r);
            v.set(i, old - STEP);
            let down = loss(net, &x, &r);
            v.set(i, old);
            let numeric = (up - down) / (2.0 * STEP);
            let analytic = g.get(i);
                assert!(close(analytic, numeric), "d/d{name}[{i}]: analytic {analytic}, numeric {numeric}");
        }
    }
}

/// `x` with every element moved at least `margin` away from 0.
fn away_from_zero(x: Tensor, margin: f32) -> Tensor {
    let s = x.sign();
    let s = Tensor::where_cond(&s.eq(0.0), 1.0, &s);
    x.add(s.mul(margin))
}

fn input(shape: &[usize]) -> Tensor {
    away_from_zero(Tensor::randn(shape), 0.1)
}

network! { struct Primer; fn forward(x: [..]) -> [..] { x * x + 2.0 * x + 2.0 } }

#[test]
fn primer_dy_dx_is_6_at_2() {
    let f = Primer::new();
    let x = Tensor::scalar(2.0);
    let mut ctx = Default::default();
    let y = f.forward_train(&x, &mut ctx);
    assert_eq!(y.item(), 10.0);
    assert_eq!(f.backward(&mut ctx, &Tensor::scalar(1.0), true).unwrap().item(), 6.0);
    assert!(f.backward(&mut ctx, &Tensor::scalar(1.0), false).is_none());
}

network! { struct Unary; fn forward(x: [B, 3]) -> [B, 3] {
    relu(x) + sigmoid(x) * tanh(x) - exp(x * 0.5) + abs(x) + x.neg() * 0.3 + leaky_relu(x, 0.2) + x.pow(3.0) * 0.1
} }

network! { struct Positive; fn forward(x: [B, 3]) -> [B, 3] { log(x) + sqrt(x) + 1.0 / x - 2.0 - x } }

#[test]
fn unary_ops() {
    manual_seed(1);
    gradcheck(&Unary::new(), &input(&[2, 3]));
    gradcheck(&Positive::new(), &Tensor::rand(&[2, 3]).add(0.5));
}

network! { struct Broadcast {
    #[init(randn)] row: Param<[3]>,
    #[init(randn)] col: Param<[2, 1]>,
    #[init(randn)] one: Param<[1]>,
} fn forward(x: [2, 3]) -> [2, 3] {
    (x + row) * col - one / (x * x + 1.0) + x / (col * col + 1.0) - row
} }

#[test]
fn broadcasting_binary_ops() {
    manual_seed(2);
    gradcheck(&Broadcast::new(), &input(&[2, 3]));
}

network! { struct Reductions {
    #[init(randn)] w: Param<[3, 4]>,
} fn forward(x: [B, 3]) -> [B, 1] {
    let h = mm(x, w);
    let a = h.sum(1, true) + mean(h, -1, true) * 2.0;
    let b = sum(h, 0) + h.mean(0);
    a + b.sum() * 0.1 + mean(h) + x.sum(1, true) * softmax(h, 1).sum(1, true) + log_softmax(h, 1).mean(1, true)
} }

#[test]
fn reductions_matmul_softmax() {
    manual_seed(3);
    gradcheck(&Reductions::new(), &input(&[2, 3]));
}

network! { struct Transposes {
    #[init(randn)] w: Param<[2, 3]>,
} fn forward(x: [2, 3]) -> [3, 3] {
    matmul(transpose(x, 0, 1), w) + t(w).matmul(x) * 0.5
} }

#[test]
fn transpose_ops() {
    manual_seed(4);
    gradcheck(&Transposes::new(), &input(&[2, 3]));
}

network! {
    struct Mlp {
        hidden: Linear<5, 7>,
        out: Linear<_, 2>,
    }
    fn forward(x: [B, 5]) -> [B, 2] { out(relu(hidden(x))) }
}

#[test]
fn linear_layers_and_lazy_in_features() {
    manual_seed(5);
    let net = Mlp::new();
    assert_eq!(net.out.weight.shape(), &[2, 7]);
    gradcheck(&net, &input(&[3, 5]));
}

network! {
    /// The d2l tied net: `shared` is called twice, both contributions accumulate.
    struct Tied {
        first: Linear<4, 8>,
        shared: Linear<8, 8>,
        last: Linear<8, 1>,
    }
    fn forward(x: [B, 4]) -> [B, 1] {
        let h = relu(first(x));
        let h = relu(shared(h));
        let h = relu(shared(h));
        last(h)
    }
}

#[test]
fn tied_layer_accumulates_both_calls() {
    manual_seed(6);
    gradcheck(&Tied::new(), &Tensor::rand(&[2, 4]));
}

network! {
    struct Halving {
        #[constant(rand)] k: [3, 3],
        lin: Linear<3, 3>,
    }
    fn forward(x: [B, 3]) -> [] {
        let mut x = lin(mm(x, k) + 1.0);
        while x.abs().sum() > 1.0 { x /= 2.0; }
        x.sum()
    }
}

#[test]
fn while_loop_halves_the_gradient_per_iteration() {
    manual_seed(7);
    let net = Halving::new();
    let x = Tensor::rand(&[2, 3]).add(1.0);
    // Count the iterations the forward runs and check the gradient scales by 2^-n.
    let mut ctx = Default::default();
    let y = net.forward_train(&x, &mut ctx);
    let gx = net.backward(&mut ctx, &Tensor::scalar(1.0), true).unwrap();
    let pre = Layer::forward(&net.lin, &x.matmul(&net.k).add(1.0)).abs().sum_all();
    let n = (pre.log2().ceil()).max(0.0);
    assert!(n >= 1.0, "the loop must run for this test to mean something");
    assert!((y.item() - Layer::forward(&net.lin, &x.matmul(&net.k).add(1.0)).sum_all() / 2f32.powf(n)).abs() < 1e-5);
    // ∂y/∂x = (Σ_j W_jk) · kᵀ / 2^n for every row.
    let w = net.lin.weight.value();
    let expect = w.sum_dim(0, false).unsqueeze(0).matmul(&net.k.t()).div(2f32.powf(n)).expand([2, 3]);
    assert!(gx.allclose(&expect, 1e-5, 1e-6), "{gx} vs {expect}");
    gradcheck(&net, &x);
}

network! { struct Block = Sequential(Linear<4, 8>, ReLU, Linear<8, 4>, ReLU); }

network! {
    struct Stack {
        blocks: [Block; 3],
        head: Linear<4, 1>,
    }
    fn forward(x: [B, 4]) -> [B, 1] {
        let mut x = x;
        for b in blocks { x = b(x); }
        head(x)
    }
}

#[test]
fn for_loop_over_nested_networks() {
    manual_seed(8);
    let net = Stack::new();
    assert_eq!(net.state_dict_keys()[..2], ["blocks.0.0.weight", "blocks.0.0.bias"]);
    gradcheck(&net, &Tensor::rand(&[2, 4]));
}

network! {
    /// `nn.Sequential` built in a loop: a `Vec` whose length is chosen at run time.
    struct VecStack {
        blocks: Vec<Block> = (0..depth()).map(|_| Block::new()).collect(),
        head: Linear<4, 1>,
    }
    fn forward(x: [B, 4]) -> [B, 1] {
        let mut x = x;
        for b in blocks { x = b(x); }
        head(x)
    }
}

fn depth() -> usize {
    std::env::args().count().clamp(2, 2)
}

#[test]
fn for_loop_over_a_vec_of_networks() {
    manual_seed(8);
    let net = VecStack::new();
    assert_eq!(net.blocks.len(), 2);
    let keys = net.state_dict_keys();
    assert_eq!(keys[..2], ["blocks.0.0.weight", "blocks.0.0.bias"]);
    assert_eq!(keys.len(), 2 * 4 + 2);
    // Seeded construction in field order: the same weights as the array version's first blocks.
    manual_seed(8);
    let arr = Stack::new();
    assert_eq!(net.blocks[1].2.weight.value().to_vec::<f32>(), arr.blocks[1].2.weight.value().to_vec::<f32>());
    gradcheck(&net, &Tensor::rand(&[2, 4]));
}

network! {
    struct Centered;
    fn forward(x: [..]) -> [..] { x - mean(x) }
}

network! {
    struct MyLinear<const IN: usize, const UNITS: usize> {
        #[init(randn)] weight: Param<[IN, UNITS]>,
        #[init(randn)] bias: Param<[UNITS]>,
    }
    fn forward(x: [B, IN]) -> [B, UNITS] { relu(matmul(x, weight) + bias) }
}

network! { struct Composed = Sequential(MyLinear<3, 5>, Linear<5, 4>, Centered); }

#[test]
fn composed_custom_layers() {
    manual_seed(9);
    gradcheck(&Centered::new(), &input(&[2, 3]));
    gradcheck(&MyLinear::<3, 2>::new(), &Tensor::rand(&[2, 3]));
    gradcheck(&Composed::new(), &Tensor::rand(&[2, 3]));
}

#[test]
fn input_gradient_only_when_asked_and_params_accumulate() {
    manual_seed(10);
    let net = Mlp::new();
    let x = Tensor::rand(&[3, 5]);
    let mut ctx = Default::default();
    let y = net.forward_train(&x, &mut ctx);
    assert!(net.backward(&mut ctx, &Tensor::ones_like(&y), false).is_none());
    let g1 = net.hidden.weight.grad().unwrap().clone();
    // Like PyTorch, one backward per forward (the saved tensors are freed by the backward).
    let y = net.forward_train(&x, &mut ctx);
    net.backward(&mut ctx, &Tensor::ones_like(&y), false);
    assert!(net.hidden.weight.grad().unwrap().allclose(&g1.mul(2.0), 1e-6, 1e-6));
    net.hidden.weight.set_requires_grad(false);
    net.hidden.weight.zero_grad();
    let y = net.forward_train(&x, &mut ctx);
    net.backward(&mut ctx, &Tensor::ones_like(&y), false);
    assert!(net.hidden.weight.grad().is_none());
}

#[test]
#[should_panic(expected = "backward through the graph a second time")]
fn a_second_backward_for_one_forward_panics_as_in_pytorch() {
    let net = Mlp::new();
    let x = Tensor::rand(&[3, 5]);
    let mut ctx = Default::default();
    let y = net.forward_train(&x, &mut ctx);
    net.backward(&mut ctx, &Tensor::ones_like(&y), false);
    net.backward(&mut ctx, &Tensor::ones_like(&y), false);
}

network! { struct GeluMax; fn forward(x: [B, 4]) -> [B] {
    gelu(x).max(1) + x.max(0, true).sum() * 0.5 + max(x * 2.0) + x.gelu().max(-1, false) * 0.1
} }

#[test]
fn gelu_and_max() {
    manual_seed(11);
    // Distinct values, so no max is tied within the finite-difference step.
    let x = Tensor::from_vec(vec![0.3f32, -1.2, 2.1, 0.9, -0.4, 1.5, -2.2, 0.6], &[2, 4]);
    gradcheck(&GeluMax::new(), &x);
}

network! { struct Shapes {
    #[init(randn)] w: Param<[6, 4]>,
} fn forward(x: [2, 3, 4]) -> [4, 2, 6] {
    let a = reshape(x, [-1, 4]) + flatten(x, 0, 1);             // [6, 4]
    let b = view(a * w, [2, _, 4]).permute([1, 0, 2]);          // [3, 2, 4]
    let c = flatten(b, 1).unsqueeze(0).squeeze(0);              // [3, 8]
    let d = cat([c, c * 2.0, sigmoid(c)], 0);                   // [9, 8]
    let e = stack([d.sum(0), d.mean(0) * w.sum()], 0);          // [2, 8]
    let f = e.unsqueeze(2).squeeze();                           // [2, 8]
    let g = reshape(f, [2, 2, 4]).permute([2, 0, 1]);           // [4, 2, 2]
    cat([g, g * g, g.sum(2, true) * g], 2)
} }

#[test]
fn shape_ops() {
    manual_seed(12);
    gradcheck(&Shapes::new(), &input(&[2, 3, 4]));
}

network! {
    /// Built-in layers called through `Layer`, with their shapes checked at compile time.
    struct Convs {
        c1: Conv2d<2, 3, 3> = Conv2d::new().padding(1).stride(2),
        pool: MaxPool2d = MaxPool2d::new(2).stride(1),
        avg: AvgPool2d = AvgPool2d::new([1, 2]),
        c2: Conv2d<_, 2, 2, 1>,
        flat: Flatten = Flatten::new(1, -1),
        head: Linear<_, 3>,
    }
    fn forward(x: [B, 2, 7, 6]) -> [B, 3] {
        // [B, 2, 7, 6] → c1 [B, 3, 4, 3] → pool [B, 3, 3, 2] → avg [B, 3, 3, 1] → c2 [B, 2, 2, 1]
        head(flat(c2(avg(pool(tanh(c1(x)))))))
    }
}

network! {
    struct Conv1dNet = Sequential(Conv1d<2, 4, 3> = Conv1d::new().dilation(2), ReLU, Flatten, Linear<_, 2>) : [B, 2, 9];
}

#[test]
fn conv_pool_layers() {
    manual_seed(13);
    let net = Convs::new();
    assert_eq!(net.head.weight.shape(), &[3, 4], "Linear<_, 3> inferred 2·2·1 = 4 inputs");
    assert_eq!(net.c2.weight.shape(), &[2, 3, 2, 1], "Conv2d<_, ..> inferred 3 input channels");
    let x = input(&[2, 2, 7, 6]);
    assert_eq!(net.forward(&x).shape(), &[2, 3]);
    gradcheck(&net, &x);
    let seq = Conv1dNet::new();
    assert_eq!(seq.3.weight.shape(), &[2, 20], "9 − 2·2 = 5 positions × 4 channels");
    gradcheck(&seq, &input(&[2, 2, 9]));
}

network! {
    /// `unused` is computed but the result does not depend on it.
    struct DeadBranch {
        used: Linear<3, 2>,
        unused: Linear<3, 2>,
    }
    fn forward(x: [B, 3]) -> [B, 2] {
        let dead = relu(unused(x)) * 2.0;
        let y = used(x);
        y
    }
}

#[test]
fn a_value_the_result_does_not_use_gets_no_gradient() {
    manual_seed(12);
    let net = DeadBranch::new();
    let x = Tensor::rand(&[2, 3]);
    let mut ctx = Default::default();
    let y = net.forward_train(&x, &mut ctx);
    let gx = net.backward(&mut ctx, &Tensor::ones_like(&y), true).unwrap();
    // As in PyTorch: a parameter outside the result's graph keeps grad None.
    assert!(net.unused.weight.grad().is_none() && net.unused.bias.as_ref().unwrap().grad().is_none());
    assert!(net.used.weight.grad().is_some());
    // ∂Σy/∂x = Σ_rows W of the used layer only.
    let w = net.used.weight.value();
    assert!(gx.allclose(&w.sum_dim(0, true).expand([2, 3]), 1e-6, 1e-6));
}
