//! Built-in layers inside `network!`: constructors written on the fields, shapes inferred at
//! compile time (checked here against the eager layers at run time), train/eval mode through
//! `Layer`, and the typed entry point.

use fusenet::module::Layer;
use fusenet::nn::{
    AdaptiveAvgPool2d, AvgPool1d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Embedding, Flatten, GELU, LayerNorm, Linear, LogSoftmax,
    MaxPool2d, ReLU,
};
use fusenet::prelude::*;

network! {
    /// The LeNet of `examples/train_mnist.rs`, in the struct form.
    pub struct LeNet {
        c1: Conv2d<1, 6, 5> = Conv2d::new().padding(2),
        p1: MaxPool2d = MaxPool2d::new(2),
        c2: Conv2d<6, 16, 5>,
        p2: MaxPool2d = MaxPool2d::new(2),
        f1: Linear<_, 120>,
        f2: Linear<120, 84>,
        f3: Linear<84, 10>,
    }
    fn forward(x: [B, 1, 28, 28]) -> [B, 10] {
        let h = p1(relu(c1(x)));
        let h = p2(relu(c2(h)));
        f3(relu(f2(relu(f1(flatten(h, 1))))))
    }
}

#[test]
fn lenet_struct_form_infers_400_and_equals_the_eager_layers() {
    manual_seed(0);
    let net = LeNet::new();
    assert_eq!(net.f1.weight.shape(), &[120, 400]);
    assert_eq!(net.c1.padding, [2, 2]);
    let x = Tensor::randn(&[3, 1, 28, 28]);
    let h = net.p1.forward(&net.c1.forward(&x).relu());
    let h = net.p2.forward(&net.c2.forward(&h).relu());
    let y = Layer::forward(&net.f3, &Layer::forward(&net.f2, &Layer::forward(&net.f1, &h.flatten(1, -1)).relu()).relu());
    assert!(net.forward(&x).allclose(&y, 1e-5, 1e-6));
}

/// The gradients of every parameter of `net`, by name, as vectors.
fn grads(net: &impl Module) -> Vec<(String, Vec<f32>)> {
    net.named_parameters()
        .into_iter()
        .map(|(name, p)| (name, p.grad().expect("a gradient").to_vec::<f32>()))
        .collect()
}

#[test]
fn relu_before_a_max_pool_runs_after_it_with_the_same_values_and_gradients() {
    // `p1(relu(c1(x)))` runs as `relu(p1(c1(x)))` (macros/src/network/rewrite.rs). Against the
    // written order, layer by layer: the same output, input gradient and parameter gradients.
    use fusenet::graph::relu_backward;
    manual_seed(4);
    let net = LeNet::new();
    let dot = LeNet::graph_dot();
    assert!(
        dot.contains("relu\\n[B, 6, 14, 14]") && !dot.contains("relu\\n[B, 6, 28, 28]"),
        "ReLU after the pool: {dot}"
    );
    let summary = net.summary();
    let at = |what: &str| {
        summary
            .find(what)
            .unwrap_or_else(|| panic!("{what} in {summary}"))
    };
    assert!(
        at("relu") < at("MaxPool2d"),
        "the summary keeps the written order: {summary}"
    );
    let x = Tensor::randn(&[5, 1, 28, 28]);
    let g = Tensor::randn(&[5, 10]);
    let mut ctx = Default::default();
    let y = net.forward_train(&x, &mut ctx);
    let gx = net.backward(&mut ctx, &g, true).expect("an input gradient");
    let fused = grads(&net);
    net.zero_grad();

    let mut c = [(); 7].map(|_| None::<Box<dyn std::any::Any>>);
    fn fwd<L: Layer>(l: &L, x: &Tensor, slot: &mut Option<Box<dyn std::any::Any>>) -> Tensor {
        let mut ctx = L::Ctx::default();
        let y = l.forward_train(x, &mut ctx);
        *slot = Some(Box::new(ctx));
        y
    }
    fn bwd<L: Layer>(l: &L, g: &Tensor, slot: &mut Option<Box<dyn std::any::Any>>) -> Tensor {
        let ctx = slot
            .as_mut()
            .and_then(|b| b.downcast_mut::<L::Ctx>())
            .expect("the layer's context");
        l.backward(ctx, g, true).expect("an input gradient")
    }
    let a1 = fwd(&net.c1, &x, &mut c[0]).relu();
    let p1 = fwd(&net.p1, &a1, &mut c[1]);
    let a2 = fwd(&net.c2, &p1, &mut c[2]).relu();
    let p2 = fwd(&net.p2, &a2, &mut c[3]);
    let h1 = fwd(&net.f1, &p2.flatten(1, -1), &mut c[4]).relu();
    let h2 = fwd(&net.f2, &h1, &mut c[5]).relu();
    let out = fwd(&net.f3, &h2, &mut c[6]);
    assert!(y.allclose(&out, 1e-6, 1e-6), "forward");
    let g2 = relu_backward(&h2, &bwd(&net.f3, &g, &mut c[6]));
    let g1 = relu_backward(&h1, &bwd(&net.f2, &g2, &mut c[5]));
    let gp2 = bwd(&net.f1, &g1, &mut c[4]).reshape(p2.shape());
    let ga2 = relu_backward(&a2, &bwd(&net.p2, &gp2, &mut c[3]));
    let gp1 = bwd(&net.c2, &ga2, &mut c[2]);
    let ga1 = relu_backward(&a1, &bwd(&net.p1, &gp1, &mut c[1]));
    let eager_gx = bwd(&net.c1, &ga1, &mut c[0]);
    assert!(gx.allclose(&eager_gx, 1e-6, 1e-6), "input gradient");
    for ((name, a), (_, b)) in fused.iter().zip(grads(&net)) {
        let close = a
            .iter()
            .zip(&b)
            .all(|(u, v)| (u - v).abs() <= 1e-5 * (1.0 + v.abs()));
        assert!(close, "{name}: gradients differ");
    }
}

#[test]
fn steps_inside_the_pool_compute_the_same_bits_as_outside() {
    // Inside `in_pool` loops from 2^15 elements run in parallel (outside from 2^18): LeNet at
    // batch 16 (conv outputs of 75,264 elements) takes both paths. Three SGD steps each way.
    use fusenet::nn::loss::CrossEntropyLoss;
    use fusenet::optim::{Optimizer, Sgd};
    let run = |inside: bool| {
        manual_seed(9);
        let net = LeNet::new();
        let x = Tensor::randn(&[16, 1, 28, 28]);
        let t = Tensor::from_vec((0..16).map(|i| i % 10).collect::<Vec<i64>>(), &[16]);
        let steps = || {
            let mut opt = Sgd::new(net.parameters(), 0.1);
            let mut ctx = Default::default();
            for _ in 0..3 {
                let y = net.forward_train(&x, &mut ctx);
                let (_, g) = CrossEntropyLoss::new().forward_backward(&y, &t).expect("labels in range");
                net.backward(&mut ctx, &g, false);
                opt.step();
                opt.zero_grad();
            }
        };
        if inside { fusenet::pool::in_pool(steps) } else { steps() }
        net.parameters().iter().map(|p| p.value().to_vec::<f32>()).collect::<Vec<_>>()
    };
    assert!(run(true) == run(false), "the same parameters bit for bit");
}

#[test]
fn inference_reuses_its_buffers_but_never_overwrites_a_held_result() {
    // The inference forward keeps its buffers in a per-thread pool between calls.
    manual_seed(6);
    let net = LeNet::new();
    let x = Tensor::randn(&[2, 1, 28, 28]);
    let ptr = |t: &Tensor| t.with_slice(|v: &[f32]| v.as_ptr() as usize);
    let a = net.forward(&x);
    let first = a.to_vec::<f32>();
    let b = net.forward(&(&x * 2.0));
    assert_eq!(a.to_vec::<f32>(), first, "a result still held is not overwritten");
    assert_ne!(ptr(&a), ptr(&b));
    let kept = ptr(&b);
    drop((a, b));
    let c = net.forward(&x);
    assert_eq!(c.to_vec::<f32>(), first, "the same input gives the same output");
    assert_eq!(ptr(&c), kept, "the last buffer is reused once nobody holds it");
}

network! {
    pub struct Everything = Sequential(
        Conv2d<3, 4, 3> = Conv2d::with_options(fusenet::nn::ConvOptions::default().stride(2).padding(1).groups(1)),
        BatchNorm2d<4>,
        GELU,
        AdaptiveAvgPool2d = AdaptiveAvgPool2d::new([3, 2]),
        Flatten = Flatten::new(1, -1),
        LayerNorm = LayerNorm::new(&[24]),
        Dropout = Dropout::new(0.5),
        Linear<_, 5>,
        LogSoftmax = LogSoftmax::new(1),
    ) : [B, 3, 9, 9];
}

#[test]
fn sequential_of_every_kind_of_layer_trains_and_evaluates() {
    manual_seed(1);
    let mut net = Everything::new();
    assert_eq!(net.7.weight.shape(), &[5, 24], "4 channels × 3 × 2 after the adaptive pool");
    let x = Tensor::randn(&[4, 3, 9, 9]);
    // Training mode: dropout is active, batch norm updates its running stats.
    let mut ctx = Default::default();
    let y = net.forward_train(&x, &mut ctx);
    assert_eq!(y.shape(), &[4, 5]);
    let gx = net.backward(&mut ctx, &Tensor::ones(&[4, 5]), true).unwrap();
    assert_eq!(gx.shape(), x.shape());
    assert!(net.1.running_mean.as_ref().unwrap().value().abs().sum_all() > 0.0, "running stats updated in training");
    // Eval mode: deterministic.
    net.eval();
    let a = Layer::forward(&net, &x);
    let b = Layer::forward(&net, &x);
    assert!(a.allclose(&b, 0.0, 0.0));
    assert!(a.exp().sum_dim(1, false).allclose(&Tensor::ones(&[4]), 1e-5, 1e-5));
}

network! {
    struct Tokens {
        emb: Embedding<10, 4>,
        norm: BatchNorm1d<4>,
        pool: AvgPool1d = AvgPool1d::new(2),
        head: Linear<_, 2>,
    }
    fn forward(x: [B, 6]) -> [B, 2] {
        let e = emb(x).permute([0, 2, 1]);        // [B, 4, 6]
        let h = pool(norm(e));                     // [B, 4, 3]
        head(relu(h).reshape([-1, 12]))
    }
}

#[test]
fn embedding_indices_and_parameter_gradients() {
    manual_seed(2);
    let net = Tokens::new();
    assert_eq!(net.head.weight.shape(), &[2, 12]);
    let idx = Tensor::from_vec(vec![1i64, 3, 5, 7, 9, 0, 2, 4, 6, 8, 1, 2], &[2, 6]);
    let mut ctx = Default::default();
    let y = net.forward_train(&idx, &mut ctx);
    assert_eq!(y.shape(), &[2, 2]);
    assert!(net.backward(&mut ctx, &Tensor::ones(&[2, 2]), false).is_none());
    assert!(net.emb.weight.grad().expect("embedding gradient").abs().sum_all() > 0.0);
}

network! {
    pub struct Mlp { hidden: Linear<20, 8>, out: Linear<8, 3> }
    fn forward(x: [B, 20]) -> [B, 3] { out(relu(hidden(x))) }
}

network! { pub struct Seq = Sequential(Linear<6, 4>, ReLU, Linear<4, 2>) : [B, 6]; }

#[test]
fn typed_forward_takes_a_checked_typed_tensor() {
    manual_seed(3);
    let net = Mlp::new();
    let t = Tensor::randn(&[5, 20]);
    let x: Typed<(Dyn, C<20>)> = Typed::new(t.shallow_clone()).unwrap();
    let y: Typed<(Dyn, C<3>)> = net.forward_typed(&x);
    assert!(y.tensor().allclose(&net.forward(&t), 0.0, 0.0));
    assert!(Typed::<(Dyn, C<20>)>::new(Tensor::zeros(&[5, 21])).is_err());
    let s = Seq::new();
    let y = s.forward_typed(&Typed::new(Tensor::zeros(&[2, 6])).unwrap());
    assert_eq!(y.into_tensor().shape(), &[2, 2]);
}

#[test]
#[should_panic(expected = "Mlp::forward: expected an input of shape [B, 20], got [5, 21]")]
fn untyped_forward_keeps_its_runtime_check() {
    Mlp::new().forward(&Tensor::zeros(&[5, 21]));
}
