//! A steady-state training step of a `network!` model (forward_train, backward, SGD step,
//! zero_grad) makes no heap allocation after its first call at a batch size: every op result,
//! saved value and gradient lives in a buffer of the kept context, the built-in layers keep theirs
//! in their own contexts, and the GEMM keeps its packing buffers per thread. Covered: the seed
//! models, loops (`while`, `for` over arrays and `Vec`s), tied layers, losses with targets, and the
//! benchmark's MNIST MLP (batch 128) and LeNet (convolutions and pooling). Counted on all threads
//! (rayon's workers included) by the binary's allocator (`counting.rs`), holding its lock. The
//! one exception is rayon's: its injector allocates a block per 63 jobs handed to the pool from
//! outside it (see `counting.rs`), so those blocks are counted apart, at most one per step. A
//! loop that runs inside the pool (`fusenet::pool::in_pool`) hands it no such job and allocates
//! nothing at all: the last test checks that.

use fusenet::module::Layer;
use fusenet::nn::{Conv2d, Flatten, Linear, MaxPool2d, ReLU};
use fusenet::optim::{Optimizer, Sgd};
use fusenet::prelude::*;
use fusenet::Tensor;

use crate::counting::{self, Counts};
use crate::seed_networks::*;

/// Steps counted after the warm-up.
const STEPS: usize = 3;


network! {
    /// The benchmark's MNIST MLP (GEMMs on the packed path).
    pub struct MnistMlp = Sequential(Linear<784, 256>, ReLU, Linear<256, 256>, ReLU, Linear<256, 10>);
}

network! {
    /// The benchmark's LeNet: convolutions, pooling and flatten are runtime layers.
    pub struct LeNet = Sequential(
        Conv2d<1, 6, 5>, ReLU, MaxPool2d = MaxPool2d::new(2),
        Conv2d<6, 16, 5>, ReLU, MaxPool2d = MaxPool2d::new(2),
        Flatten, Linear<_, 120>, ReLU, Linear<120, 84>, ReLU, Linear<84, 10>,
    ) : [B, 1, 28, 28];
}

network! {
    /// A `Vec` of blocks whose length is chosen at run time.
    pub struct VecBlocks {
        blocks: Vec<Block1> = (0..3).map(|_| Block1::new()).collect(),
    }
    fn forward(x: [B, 4]) -> [B, 4] {
        let mut x = x;
        for b in blocks { x = b(x); }
        x
    }
}


network! {
    /// Broadcasts, a softmax, a reduction over a dim, a transpose and a division.
    pub struct Mixed {
        lin: Linear<6, 6>,
        #[init(ones)] scale: Param<[6]>,
    }
    fn forward(x: [B, 6]) -> [B] {
        let h = tanh(lin(x)) * scale;
        let p = softmax(h, 1);
        let q = matmul(p, transpose(h, 0, 1));
        sum(q / (exp(h.sum()) + 2.0), 1) + mean(sigmoid(h), 1)
    }
}

network! {
    /// `cross_entropy` against class indices: a network with a target, not a `Layer`.
    pub struct ClassNet { fc: Linear<8, 4> }
    fn forward(x: [B, 8], target: [B] as i64) -> [] {
        cross_entropy(relu(fc(x)), target)
    }
}

network! {
    /// An unreduced `mse_loss` averaged afterwards: the loss's gradient arrives broadcast.
    pub struct MseNet { fc: Linear<8, 3> }
    fn forward(x: [B, 8], y: [B, 3] as f32) -> [] {
        mean(mse_loss(fc(x), y, reduction = "none"))
    }
}

network! {
    pub struct BceLogitsNet { fc: Linear<8, 3> }
    fn forward(x: [B, 8], y: [B, 3] as f32) -> [] {
        binary_cross_entropy_with_logits(fc(x), y, reduction = "sum")
    }
}

network! {
    /// `max` over everything and along a dim, with and without `keepdim`.
    pub struct MaxNet { lin: Linear<6, 5> }
    fn forward(x: [B, 6]) -> [B, 1] {
        let h = tanh(lin(x));
        max(h, 1, true) + max(h) * 0.5 + max(h * 2.0, -1).sum() * 0.1
    }
}

network! {
    pub struct JoinNet { a: Linear<4, 3>, b: Linear<4, 2> }
    fn forward(x: [B, 4]) -> [B, 12] {
        let h = cat([a(x), relu(b(x)), x], 1);
        let s = stack([h, h * 2.0], 1);
        reshape(s, [-1, 18]).sum(1, true) + cat([h, h * 0.5, x], 1).sum(1, true) + cat([x, x, x], 1)
    }
}

/// Allocations of `STEPS` training steps after 3 warm-up steps, clearing the gradients with
/// `Module::zero_grad` (a user's `net.zero_grad()`) instead of the optimiser's.
fn steady_module_zero_grad<N: Layer>(net: &mut N, x: &Tensor) -> Counts {
    let mut ctx = N::Ctx::default();
    let seed = Tensor::ones(Layer::forward(net, x).shape());
    let step = |net: &mut N, ctx: &mut N::Ctx| {
        drop(net.forward_train(x, ctx));
        net.backward(ctx, &seed, false);
        net.zero_grad();
    };
    for _ in 0..3 {
        step(net, &mut ctx);
    }
    counting::split_during(|| {
        for _ in 0..STEPS {
            step(net, &mut ctx);
        }
    })
}

/// Allocations of `STEPS` training steps after 3 warm-up steps.
fn steady<N: Layer>(net: &mut N, x: &Tensor) -> Counts {
    steady_for(net, x, STEPS, false)
}

/// [`steady`] with the SGD update applied inside the backward (`Layer::backward_with`).
fn steady_fused<N: Layer>(net: &mut N, x: &Tensor) -> Counts {
    steady_for(net, x, STEPS, true)
}

/// Allocations of `steps` training steps after 3 warm-up steps (`fused`: `backward_with` the
/// optimiser instead of `backward`).
fn steady_for<N: Layer>(net: &mut N, x: &Tensor, steps: usize, fused: bool) -> Counts {
    let mut ctx = N::Ctx::default();
    let mut opt = Sgd::new(net.parameters(), 0.01);
    let seed = Layer::forward(net, x).ones_like_shape();
    let mut step = |net: &mut N, ctx: &mut N::Ctx| {
        let y = net.forward_train(x, ctx);
        drop(y);
        let update: Option<&dyn fusenet::optim::FusedUpdate> = if fused { Some(&opt) } else { None };
        net.backward_with(ctx, &seed, false, update);
        opt.step();
        opt.zero_grad();
    };
    for _ in 0..3 {
        step(net, &mut ctx);
    }
    counting::split_during(|| {
        for _ in 0..steps {
            step(net, &mut ctx);
        }
    })
}

/// Allocations of `STEPS` training steps of a network with targets after 3 warm-up steps: `train`
/// runs its `forward_train` and `backward(ctx, 1.0, false)`, then SGD steps.
fn steady_targets(params: Vec<&fusenet::Param>, mut train: impl FnMut()) -> Counts {
    let mut opt = Sgd::new(params, 0.01);
    let mut step = || {
        train();
        opt.step();
        opt.zero_grad();
    };
    for _ in 0..3 {
        step();
    }
    counting::split_during(|| {
        for _ in 0..STEPS {
            step();
        }
    })
}

trait OnesLike {
    fn ones_like_shape(&self) -> Tensor;
}

impl OnesLike for Tensor {
    fn ones_like_shape(&self) -> Tensor {
        Tensor::ones(self.shape())
    }
}

#[test]
fn steady_state_training_steps_do_not_allocate() {
    let _lock = counting::exclusive();
    fusenet::manual_seed(0);
    let counts = [
        ("Mlp", steady(&mut Mlp::new(), &Tensor::randn(&[2, 20]))),
        ("Mlp, Module::zero_grad", steady_module_zero_grad(&mut Mlp::new(), &Tensor::randn(&[2, 20]))),
        ("Tied, Module::zero_grad", steady_module_zero_grad(&mut Tied::new(), &Tensor::randn(&[2, 4]))),
        // Flattened arrays ("block {}" keys) and `Vec` fields: their element names are built on
        // the stack while the tree is walked.
        ("RgNet, Module::zero_grad", steady_module_zero_grad(&mut RgNet::new(), &Tensor::randn(&[2, 4]))),
        ("VecBlocks, Module::zero_grad", steady_module_zero_grad(&mut VecBlocks::new(), &Tensor::randn(&[2, 4]))),
        ("NestMlp", steady(&mut NestMlp::new(), &Tensor::randn(&[2, 20]))),
        ("Mlp, fused SGD", steady_fused(&mut Mlp::new(), &Tensor::randn(&[2, 20]))),
        ("NestMlp, fused SGD", steady_fused(&mut NestMlp::new(), &Tensor::randn(&[2, 20]))),
        ("MnistMlp b128, fused SGD", steady_fused(&mut MnistMlp::new(), &Tensor::randn(&[128, 784]))),
        ("LeNet b16, fused SGD", steady_fused(&mut LeNet::new(), &Tensor::randn(&[16, 1, 28, 28]))),
        ("FixedHiddenMlp", steady(&mut FixedHiddenMlp::new(), &Tensor::randn(&[2, 20]))),
        ("Chimera", steady(&mut Chimera::new(), &Tensor::randn(&[2, 20]))),
        ("RgNet", steady(&mut RgNet::new(), &Tensor::randn(&[2, 4]))),
        ("Tied", steady(&mut Tied::new(), &Tensor::randn(&[2, 4]))),
        ("VecBlocks", steady(&mut VecBlocks::new(), &Tensor::randn(&[2, 4]))),
        ("Mlp b128", steady(&mut Mlp::new(), &Tensor::randn(&[128, 20]))),
        ("MnistMlp b128", steady(&mut MnistMlp::new(), &Tensor::randn(&[128, 784]))),
        ("LeNet b16", steady(&mut LeNet::new(), &Tensor::randn(&[16, 1, 28, 28]))),
        ("MyLinearSeq", steady(&mut MyLinearSeq::new(), &Tensor::randn(&[2, 64]))),
        ("CenteredSeq", steady(&mut CenteredSeq::new(), &Tensor::randn(&[4, 8]))),
        ("Mixed", steady(&mut Mixed::new(), &Tensor::randn(&[3, 6]))),
        ("MaxNet", steady(&mut MaxNet::new(), &Tensor::randn(&[3, 6]))),
        ("JoinNet", steady(&mut JoinNet::new(), &Tensor::randn(&[3, 4]))),
        ("ClassNet", {
            let (net, x, t) = (ClassNet::new(), Tensor::randn(&[4, 8]), Tensor::from_vec(vec![0i64, 3, 1, 2], &[4]));
            let mut ctx = Default::default();
            steady_targets(net.parameters(), || {
                drop(net.forward_train(&x, &t, &mut ctx).expect("the classes are in range"));
                net.backward(&mut ctx, 1.0, false);
            })
        }),
        ("MseNet", {
            let (net, x, y) = (MseNet::new(), Tensor::randn(&[4, 8]), Tensor::randn(&[4, 3]));
            let mut ctx = Default::default();
            steady_targets(net.parameters(), || {
                drop(net.forward_train(&x, &y, &mut ctx));
                net.backward(&mut ctx, 1.0, false);
            })
        }),
        ("BceLogitsNet", {
            let (net, x, y) = (BceLogitsNet::new(), Tensor::randn(&[4, 8]), Tensor::rand(&[4, 3]));
            let mut ctx = Default::default();
            steady_targets(net.parameters(), || {
                drop(net.forward_train(&x, &y, &mut ctx));
                net.backward(&mut ctx, 1.0, false);
            })
        }),
    ];
    // Nothing but rayon's injector blocks, and at most one of those per step (a step hands the
    // pool fewer than 63 jobs).
    let bad: Vec<_> = counts.iter().filter(|(_, n)| n.others != 0 || n.injector_blocks > STEPS).collect();
    assert!(bad.is_empty(), "allocations in {STEPS} steady-state steps: {bad:?} (all: {counts:?})");
    for (name, n) in counts.iter().filter(|(_, n)| n.injector_blocks > 0) {
        eprintln!("{name}: {} block(s) of rayon's injector in {STEPS} steps", n.injector_blocks);
    }
}

/// Training steps run inside rayon's pool (the loop in `fusenet::pool::in_pool`, as `fit` runs
/// its epochs and `README.md` advises for a hand-written loop; its other worker kept awake)
/// push their parallel jobs onto the worker's own deque, never
/// through the injector: nothing at all is allocated, on any thread, over many more steps than
/// a block of the injector holds jobs.
#[test]
fn steps_inside_the_pool_allocate_nothing_at_all() {
    let _lock = counting::exclusive();
    fusenet::manual_seed(0);
    let (mut mnist, x) = (MnistMlp::new(), Tensor::randn(&[128, 784]));
    let (mut lenet, images) = (LeNet::new(), Tensor::randn(&[16, 1, 28, 28]));
    let counts = fusenet::pool::in_pool(|| [steady_for(&mut mnist, &x, 70, false), steady_for(&mut lenet, &images, 70, true)]);
    assert_eq!(counts, [Counts { others: 0, injector_blocks: 0 }; 2], "MnistMlp b128, LeNet b16");
}

/// The inference `forward` of a network of inlined ops (here `Linear` and `ReLU`) takes its
/// buffers from a per-thread pool (`ops::ForwardSlots`): once warm, a call whose result was
/// dropped allocates nothing.
#[test]
fn warm_inference_of_inlined_ops_allocates_nothing() {
    let _lock = counting::exclusive();
    fusenet::manual_seed(0);
    let (mnist, x) = (MnistMlp::new(), Tensor::randn(&[128, 784]));
    let counts = fusenet::pool::in_pool(|| {
        for _ in 0..3 {
            drop(Layer::forward(&mnist, &x));
        }
        counting::split_during(|| {
            for _ in 0..50 {
                drop(Layer::forward(&mnist, &x));
            }
        })
    });
    assert_eq!(counts, Counts { others: 0, injector_blocks: 0 }, "MnistMlp b128, 50 inference calls");
}
