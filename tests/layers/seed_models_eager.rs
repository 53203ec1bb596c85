//! The seed networks, built with `#[derive(Module)]` and the built-in `Layer` impls chained by
//! hand (eager, no `network!`), against PyTorch's forward and gradients
//! (`tests/fixtures/network/*.safetensors`, from `tests/fixtures/gen_network_fixtures.py`).
//!
//! Tolerance: `RTOL = 1e-5` relative (see `layer_support::assert_close`) everywhere. Our f32
//! sums and GEMMs run in a different order from PyTorch's (and reductions accumulate in f64), so
//! bits differ; the deepest chains here (rgnet: 9 Linears; chimera: 5 Linears, a 20×20 product
//! and 5 halvings) stay within 1e-5 too, so no looser bound is needed.

use crate::layer_support;
use crate::module_support;

use fusenet::graph;
use fusenet::module::Layer;
use fusenet::nn::{Linear, LinearCtx, ReLU, SavedOutput};
use fusenet::prelude::*;
use layer_support::{Fixture, assert_close, check_against_fixture};
use module_support::*;

const RTOL: f32 = 1e-5;

/// Whether layer `index` of a sequence must return its input gradient: all but the first always,
/// the first when the caller asked.
fn need_at(index: usize, need: bool) -> bool {
    index != 0 || need
}

/// `Layer` for a tuple struct whose fields are applied in order (PyTorch's `Sequential`). The
/// field indices are listed forwards and then backwards (macro_rules cannot reverse a list).
macro_rules! sequential {
    ($ty:ty { $($i:tt: $l:ty),+ } rev [$($r:tt),+]) => {
        impl Layer for $ty {
            type Ctx = ($(<$l as Layer>::Ctx,)+);
            fn forward(&self, x: &Tensor) -> Tensor {
                let mut x = x.shallow_clone();
                $(x = Layer::forward(&self.$i, &x);)+
                x
            }
            fn forward_train(&self, x: &Tensor, ctx: &mut Self::Ctx) -> Tensor {
                let mut x = x.shallow_clone();
                $(x = Layer::forward_train(&self.$i, &x, &mut ctx.$i);)+
                x
            }
            fn backward(&self, ctx: &mut Self::Ctx, g: &Tensor, need: bool) -> Option<Tensor> {
                let mut g = Some(g.shallow_clone());
                $(g = Layer::backward(&self.$r, &mut ctx.$r, g.as_ref()?, need_at($r, need));)+
                g
            }
        }
    };
}

// ----- the seed models -----

impl Layer for Mlp {
    type Ctx = (LinearCtx, SavedOutput, LinearCtx);
    fn forward(&self, x: &Tensor) -> Tensor {
        Layer::forward(&self.out, &Layer::forward(&ReLU, &Layer::forward(&self.hidden, x)))
    }
    fn forward_train(&self, x: &Tensor, ctx: &mut Self::Ctx) -> Tensor {
        let h = self.hidden.forward_train(x, &mut ctx.0);
        let r = ReLU.forward_train(&h, &mut ctx.1);
        self.out.forward_train(&r, &mut ctx.2)
    }
    fn backward(&self, ctx: &mut Self::Ctx, g: &Tensor, need: bool) -> Option<Tensor> {
        let g = self.out.backward(&mut ctx.2, g, true)?;
        let g = ReLU.backward(&mut ctx.1, &g, true)?;
        self.hidden.backward(&mut ctx.0, &g, need)
    }
}

sequential!(Seq481 { 0: Linear<4, 8>, 1: ReLU, 2: Linear<8, 1> } rev [2, 1, 0]);

/// d2l's `MySequential(Linear(20, 256), ReLU(), Linear(256, 10))`, with typed children so the
/// layers can be chained (module_support's `MySequential` holds `Box<dyn Module>`s).
#[derive(Module)]
#[module(name = "MySequential")]
struct MySeqLayers(Linear<20, 256>, ReLU, Linear<256, 10>);
sequential!(MySeqLayers { 0: Linear<20, 256>, 1: ReLU, 2: Linear<256, 10> } rev [2, 1, 0]);

sequential!(NestSeq { 0: Linear<20, 64>, 1: ReLU, 2: Linear<64, 32>, 3: ReLU } rev [3, 2, 1, 0]);

impl Layer for NestMLP {
    type Ctx = (<NestSeq as Layer>::Ctx, LinearCtx);
    fn forward(&self, x: &Tensor) -> Tensor {
        Layer::forward(&self.linear, &Layer::forward(&self.net, x))
    }
    fn forward_train(&self, x: &Tensor, ctx: &mut Self::Ctx) -> Tensor {
        let h = self.net.forward_train(x, &mut ctx.0);
        self.linear.forward_train(&h, &mut ctx.1)
    }
    fn backward(&self, ctx: &mut Self::Ctx, g: &Tensor, need: bool) -> Option<Tensor> {
        let g = self.linear.backward(&mut ctx.1, g, true)?;
        self.net.backward(&mut ctx.0, &g, need)
    }
}

/// FixedHiddenMLP's saved values: the two calls of `linear` (one parameter set, two contexts),
/// the input of the constant product, the ReLU output, and the loop's trip count.
#[derive(Default)]
pub struct FixedHiddenCtx {
    first: LinearCtx,
    mm_input: Option<Tensor>,
    relu: SavedOutput,
    second: LinearCtx,
    trips: usize,
    out_shape: Vec<usize>,
}

impl FixedHiddenMLP {
    /// `relu(h @ rand_weight + 1)`.
    fn hidden(&self, h: &Tensor) -> Tensor {
        let p = h.mm(&self.rand_weight);
        p.add_(1.0);
        p
    }

    /// `while x.abs().sum() > 1 { x /= 2 }`, returning the trip count.
    fn halve_until_small(z: &Tensor) -> usize {
        let mut trips = 0;
        while z.abs().sum().item() > 1.0 {
            z.div_(2.0);
            trips += 1;
        }
        trips
    }
}

impl Layer for FixedHiddenMLP {
    type Ctx = FixedHiddenCtx;
    fn forward(&self, x: &Tensor) -> Tensor {
        let h = Layer::forward(&self.linear, x);
        let r = self.hidden(&h).relu();
        let z = Layer::forward(&self.linear, &r);
        Self::halve_until_small(&z);
        z.sum()
    }
    fn forward_train(&self, x: &Tensor, ctx: &mut Self::Ctx) -> Tensor {
        let h = self.linear.forward_train(x, &mut ctx.first);
        let r = ReLU.forward_train(&self.hidden(&h), &mut ctx.relu);
        ctx.mm_input = Some(h);
        // `z` is a fresh tensor that `linear` did not save, so halving it in place is safe.
        let z = self.linear.forward_train(&r, &mut ctx.second);
        ctx.trips = Self::halve_until_small(&z);
        ctx.out_shape = z.shape().to_vec();
        z.sum()
    }
    fn backward(&self, ctx: &mut Self::Ctx, g: &Tensor, need: bool) -> Option<Tensor> {
        // y = Σ z / 2^trips
        let gz = graph::sum_backward(g, &ctx.out_shape).div(2f32.powi(ctx.trips as i32));
        let gr = self.linear.backward(&mut ctx.second, &gz, true)?;
        let gp = ReLU.backward(&mut ctx.relu, &gr, true)?;
        let h = ctx.mm_input.take().expect("forward_train first");
        let (gh, _) = graph::matmul_backward(&h, &self.rand_weight, &gp, true, false);
        self.linear.backward(&mut ctx.first, &gh?, need)
    }
}

sequential!(Chimera { 0: NestMLP, 1: Linear<16, 20>, 2: FixedHiddenMLP } rev [2, 1, 0]);

sequential!(Block1 { 0: Linear<4, 8>, 1: ReLU, 2: Linear<8, 4>, 3: ReLU } rev [3, 2, 1, 0]);

impl Layer for Block2 {
    type Ctx = [<Block1 as Layer>::Ctx; 4];
    fn forward(&self, x: &Tensor) -> Tensor {
        self.blocks.iter().fold(x.shallow_clone(), |x, b| Layer::forward(b, &x))
    }
    fn forward_train(&self, x: &Tensor, ctx: &mut Self::Ctx) -> Tensor {
        self.blocks.iter().zip(ctx.iter_mut()).fold(x.shallow_clone(), |x, (b, c)| b.forward_train(&x, c))
    }
    fn backward(&self, ctx: &mut Self::Ctx, g: &Tensor, need: bool) -> Option<Tensor> {
        let mut g = g.shallow_clone();
        for (i, (b, c)) in self.blocks.iter().zip(ctx.iter_mut()).enumerate().rev() {
            match b.backward(c, &g, need_at(i, need)) {
                Some(next) => g = next,
                None => return None,
            }
        }
        Some(g)
    }
}

sequential!(RgNet { 0: Block2, 1: Linear<4, 1> } rev [1, 0]);

sequential!(Tied {
    0: Linear<4, 8>, 1: ReLU, 2: Linear<8, 8>, 3: ReLU, 4: Linear<8, 8>, 5: ReLU, 6: Linear<8, 1>
} rev [6, 5, 4, 3, 2, 1, 0]);

/// MyLinear's saved input and ReLU output.
#[derive(Default)]
pub struct MyLinearCtx {
    x: Option<Tensor>,
    y: SavedOutput,
}

impl Layer for MyLinear {
    type Ctx = MyLinearCtx;
    fn forward(&self, x: &Tensor) -> Tensor {
        x.matmul(&self.weight.value()).add(self.bias.value()).relu()
    }
    fn forward_train(&self, x: &Tensor, ctx: &mut Self::Ctx) -> Tensor {
        ctx.x = Some(x.shallow_clone());
        let pre = x.matmul(&self.weight.value()).add(self.bias.value());
        ReLU.forward_train(&pre, &mut ctx.y)
    }
    fn backward(&self, ctx: &mut Self::Ctx, g: &Tensor, need: bool) -> Option<Tensor> {
        let gp = ReLU.backward(&mut ctx.y, g, true)?;
        let x = ctx.x.take().expect("forward_train first");
        graph::add_at_b_to_grad(&self.weight, &x, &gp); // W.grad += xᵀ·g
        graph::add_row_sum_to_grad(&self.bias, &gp);
        need.then(|| gp.matmul(&self.weight.value().t()))
    }
}

sequential!(MyLinearSeq { 0: MyLinear, 1: MyLinear } rev [1, 0]);

/// d2l's CenteredLayer: `x - x.mean()`.
#[derive(Module)]
struct CenteredLayer;

impl Layer for CenteredLayer {
    type Ctx = Vec<usize>;
    fn forward(&self, x: &Tensor) -> Tensor {
        x.sub(x.mean())
    }
    fn forward_train(&self, x: &Tensor, ctx: &mut Vec<usize>) -> Tensor {
        *ctx = x.shape().to_vec();
        x.sub(x.mean())
    }
    fn backward(&self, ctx: &mut Vec<usize>, g: &Tensor, need: bool) -> Option<Tensor> {
        if !need {
            return None;
        }
        // y = x − m, m = mean(x): ∂L/∂x = g + mean_backward(−Σ g).
        let (gx, gm) = graph::sub_backward(ctx, &[], g, true, true);
        let mut acc = gx;
        graph::accumulate(&mut acc, graph::mean_backward(&gm?, ctx));
        acc
    }
}

#[derive(Module)]
#[module(name = "Sequential")]
struct CenteredSeq(Linear<8, 128>, CenteredLayer);
sequential!(CenteredSeq { 0: Linear<8, 128>, 1: CenteredLayer } rev [1, 0]);

// ----- the tests -----

/// Seeding as the fixture did reproduces PyTorch's initial parameters bit for bit.
fn assert_seeded_init(fx: &Fixture, net: &dyn Module) {
    let want = fx.state_dict();
    let ours = net.state_dict();
    // A safetensors file keeps its keys sorted, not in state_dict order.
    let sorted = |sd: &StateDict| {
        let mut k: Vec<String> = sd.keys().map(String::from).collect();
        k.sort();
        k
    };
    assert_eq!(sorted(&ours), sorted(&want), "{}: state_dict keys", fx.name);
    for (k, t) in ours.iter() {
        assert!(t.equal(want.get(k).expect("same keys")), "{}: seeded `{k}` differs from torch.manual_seed(0)'s", fx.name);
    }
}

#[test]
fn mlp() {
    let fx = Fixture::load("mlp");
    manual_seed(0);
    let mut net = Mlp { hidden: Linear::new(), out: Linear::new() };
    assert_seeded_init(&fx, &net);
    check_against_fixture(&fx, &mut net, RTOL);
}

#[test]
fn seq_4_8_1() {
    let fx = Fixture::load("seq_4_8_1");
    manual_seed(0);
    let mut net = Seq481(Linear::new(), ReLU, Linear::new());
    assert_seeded_init(&fx, &net);
    check_against_fixture(&fx, &mut net, RTOL);
}

#[test]
fn my_sequential() {
    let fx = Fixture::load("my_sequential");
    manual_seed(0);
    let mut net = MySeqLayers(Linear::new(), ReLU, Linear::new());
    assert_seeded_init(&fx, &net);
    check_against_fixture(&fx, &mut net, RTOL);
}

#[test]
fn nestmlp() {
    let fx = Fixture::load("nestmlp");
    manual_seed(0);
    let mut net = NestMLP::new();
    assert_seeded_init(&fx, &net);
    check_against_fixture(&fx, &mut net, RTOL);
}

#[test]
fn chimera_with_its_while_loop_and_scalar_output() {
    let fx = Fixture::load("chimera");
    manual_seed(0);
    let mut net = Chimera::new();
    assert_seeded_init(&fx, &net);
    assert!(net.2.rand_weight.equal(&fx.get("const.2.rand_weight")), "rand_weight is drawn in PyTorch's order");
    check_against_fixture(&fx, &mut net, RTOL);
    let mut ctx = Default::default();
    net.forward_train(&fx.x(), &mut ctx);
    assert_eq!(ctx.2.trips as i64, fx.get("trips").item_i64(), "the while loop ran as often as PyTorch's");
    assert!(ctx.2.trips > 0);
}

#[test]
fn rgnet() {
    let fx = Fixture::load("rgnet");
    manual_seed(0);
    let mut net = RgNet::new();
    assert_seeded_init(&fx, &net);
    check_against_fixture(&fx, &mut net, RTOL);
}

#[test]
fn tied_layers_accumulate_both_uses() {
    let fx = Fixture::load("tied");
    manual_seed(0);
    let mut net = Tied::new();
    assert_seeded_init(&fx, &net);
    check_against_fixture(&fx, &mut net, RTOL);
    // One gradient for the shared layer, the sum of its two uses (both keys see it).
    assert!(net.2.weight.grad().unwrap().equal(&net.4.weight.grad().unwrap()));
    assert!(net.2.weight.same_as(&net.4.weight));
}

#[test]
fn mylinear_seq() {
    let fx = Fixture::load("mylinear_seq");
    manual_seed(0);
    let mut net = MyLinearSeq(MyLinear::new(64, 8), MyLinear::new(8, 1));
    assert_seeded_init(&fx, &net);
    check_against_fixture(&fx, &mut net, RTOL);
}

#[test]
fn centered_seq() {
    let fx = Fixture::load("centered_seq");
    manual_seed(0);
    let mut net = CenteredSeq(Linear::new(), CenteredLayer);
    assert_seeded_init(&fx, &net);
    check_against_fixture(&fx, &mut net, RTOL);
    // The output is centred, as d2l checks with Y.mean().
    assert!(net.forward(&fx.x()).mean().item().abs() < 1e-6);
}

#[test]
fn gradients_accumulate_over_two_backward_passes_and_zero_grad_clears() {
    let fx = Fixture::load("mlp");
    let mut net = Mlp { hidden: Linear::new(), out: Linear::new() };
    net.load_state_dict(&fx.state_dict()).unwrap();
    for _ in 0..2 {
        let mut ctx = Default::default();
        net.forward_train(&fx.x(), &mut ctx);
        assert!(net.backward(&mut ctx, &fx.grad_y(), false).is_none());
    }
    assert_close("2 × grad of hidden.weight", &net.hidden.weight.grad().unwrap(), &fx.grads().get("hidden.weight").unwrap().mul(2.0), RTOL);
    net.zero_grad();
    assert!(net.parameters().iter().all(|p| p.grad().is_none()));
}

#[test]
fn frozen_parameters_get_no_gradient() {
    let fx = Fixture::load("seq_4_8_1");
    let mut net = Seq481(Linear::new(), ReLU, Linear::new());
    net.load_state_dict(&fx.state_dict()).unwrap();
    net.0.requires_grad_(false);
    let mut ctx = Default::default();
    net.forward_train(&fx.x(), &mut ctx);
    let gx = net.backward(&mut ctx, &fx.grad_y(), true).unwrap();
    assert_close("grad_x through frozen layers", &gx, &fx.grad_x(), RTOL);
    assert!(net.0.weight.grad().is_none() && net.0.bias.as_ref().unwrap().grad().is_none());
    assert_close("grad of 2.weight", &net.2.weight.grad().unwrap(), fx.grads().get("2.weight").unwrap(), RTOL);
}
