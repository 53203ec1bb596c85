//! Issue 5's parity test: a conv + BatchNorm2d + maxpool + Linear + LayerNorm model, built with
//! `#[derive(Module)]` and a hand-chained `Layer` impl (eager, no `network!`), against PyTorch
//! (`tests/fixtures/mixed/`, from `tests/fixtures/gen_mixed_fixtures.py`, which documents every
//! key): the state-dict keys and their order, the seeded init, and in training mode and in
//! evaluation mode the forward output, `∂L/∂x` and every parameter gradient, plus the running
//! statistics and `num_batches_tracked` after the training forward.
//!
//! Tolerance: `RTOL = 1e-5` relative everywhere (`layer_support::assert_close`: relative to each
//! element, with a tenth of the tensor's largest magnitude as a floor). The references are PyTorch's
//! float64 results rounded to f32, so the bound measures our f32 error alone; no looser bound is
//! needed, except for the conv bias in training mode, whose exact gradient is 0 (see
//! `assert_grad`). The seeded init is compared bit for bit.

use crate::layer_support;

use fusenet::module::Layer;
use fusenet::nn::{
    BatchNorm2d, BatchNormCtx, Conv2d, ConvCtx, Flatten, FlattenCtx, LayerNorm, LayerNormCtx, Linear, LinearCtx, MaxPool2d,
    PoolCtx, ReLU, SavedOutput,
};
use fusenet::prelude::*;
use layer_support::assert_close;

const RTOL: f32 = 1e-5;

/// `nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
/// nn.Flatten(), nn.Linear(4 * 4 * 4, 10), nn.LayerNorm(10))` on `[N, 1, 8, 8]`.
#[derive(Module)]
#[module(name = "Sequential")]
struct ConvBnLn(Conv2d<1, 4, 3>, BatchNorm2d<4>, ReLU, MaxPool2d, Flatten, Linear<64, 10>, LayerNorm);

impl ConvBnLn {
    /// Built in PyTorch's order, so that after `manual_seed(0)` the weights equal torch's.
    fn new() -> Self {
        ConvBnLn(Conv2d::new().padding(1), BatchNorm2d::new(), ReLU, MaxPool2d::new(2), Flatten::default(), Linear::new(), LayerNorm::new(&[10]))
    }
}

impl Layer for ConvBnLn {
    type Ctx = (ConvCtx, BatchNormCtx, SavedOutput, PoolCtx, FlattenCtx, LinearCtx, LayerNormCtx);

    fn forward(&self, x: &Tensor) -> Tensor {
        let x = Layer::forward(&self.0, x);
        let x = Layer::forward(&self.1, &x);
        let x = Layer::forward(&self.2, &x);
        let x = Layer::forward(&self.3, &x);
        let x = Layer::forward(&self.4, &x);
        let x = Layer::forward(&self.5, &x);
        Layer::forward(&self.6, &x)
    }

    fn forward_train(&self, x: &Tensor, ctx: &mut Self::Ctx) -> Tensor {
        let x = self.0.forward_train(x, &mut ctx.0);
        let x = self.1.forward_train(&x, &mut ctx.1);
        let x = self.2.forward_train(&x, &mut ctx.2);
        let x = self.3.forward_train(&x, &mut ctx.3);
        let x = self.4.forward_train(&x, &mut ctx.4);
        let x = self.5.forward_train(&x, &mut ctx.5);
        self.6.forward_train(&x, &mut ctx.6)
    }

    fn backward(&self, ctx: &mut Self::Ctx, g: &Tensor, need_input_grad: bool) -> Option<Tensor> {
        let g = self.6.backward(&mut ctx.6, g, true)?;
        let g = self.5.backward(&mut ctx.5, &g, true)?;
        let g = self.4.backward(&mut ctx.4, &g, true)?;
        let g = self.3.backward(&mut ctx.3, &g, true)?;
        let g = self.2.backward(&mut ctx.2, &g, true)?;
        let g = self.1.backward(&mut ctx.1, &g, true)?;
        self.0.backward(&mut ctx.0, &g, need_input_grad)
    }
}

/// `tests/fixtures/mixed/conv_bn_ln.safetensors`.
struct Fixture(StateDict);

impl Fixture {
    fn load() -> Fixture {
        let path = format!("{}/tests/fixtures/mixed/conv_bn_ln.safetensors", env!("CARGO_MANIFEST_DIR"));
        Fixture(fusenet::io::load_dict(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
    }

    fn get(&self, key: &str) -> Tensor {
        self.0.get(key).unwrap_or_else(|| panic!("conv_bn_ln: no `{key}` in the fixture")).shallow_clone()
    }

    /// The entries under `prefix`, prefix removed, in the fixture's order.
    fn prefixed(&self, prefix: &str) -> StateDict {
        let mut sd = StateDict::new();
        for (k, t) in self.0.iter() {
            if let Some(rest) = k.strip_prefix(prefix) {
                sd.insert(rest, t.shallow_clone());
            }
        }
        sd
    }
}

fn torch_keys() -> Vec<String> {
    let path = format!("{}/tests/fixtures/mixed/conv_bn_ln_keys.txt", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")).lines().map(String::from).collect()
}

/// A model with the fixture's `prefix` state dict loaded.
fn loaded(fx: &Fixture, prefix: &str) -> ConvBnLn {
    let mut net = ConvBnLn::new();
    net.load_state_dict(&fx.prefixed(prefix)).unwrap_or_else(|e| panic!("loading `{prefix}*`: {e}"));
    net
}

/// Every state-dict entry of `net` equals the fixture's `prefix` entry: floats within `RTOL`,
/// `num_batches_tracked` exactly.
fn assert_state_matches(net: &ConvBnLn, fx: &Fixture, prefix: &str) {
    for (k, ours) in net.state_dict().iter() {
        let want = fx.get(&format!("{prefix}{k}"));
        if want.dtype() == DType::I64 {
            assert_eq!(ours.to_vec::<i64>(), want.to_vec::<i64>(), "{prefix}{k}");
        } else {
            assert_close(&format!("{prefix}{k}"), ours, &want, RTOL);
        }
    }
}

/// One `forward_train` + `backward(grad_y)`, compared with the fixture's `mode` entries.
fn check_step(net: &ConvBnLn, fx: &Fixture, mode: &str) {
    net.zero_grad();
    let mut ctx = Default::default();
    let y = net.forward_train(&fx.get("x"), &mut ctx);
    assert_close(&format!("{mode}.y"), &y, &fx.get(&format!("{mode}.y")), RTOL);
    let gx = net.backward(&mut ctx, &fx.get("grad_y"), true).expect("an input gradient");
    assert_close(&format!("{mode}.grad_x"), &gx, &fx.get(&format!("{mode}.grad_x")), RTOL);
    let params = net.named_parameters();
    assert_eq!(params.len(), fx.prefixed(&format!("{mode}.grad.")).len(), "one gradient per parameter");
    for (k, p) in params {
        let got = p.grad().unwrap_or_else(|| panic!("{k} has no gradient"));
        assert_grad(&format!("{mode}.grad.{k}"), &got, fx);
    }
}

/// `∂L/∂θ` against the fixture's `key`. One exception: in training mode the conv bias feeds a
/// BatchNorm that subtracts each channel's batch mean, so its gradient is exactly 0 in exact
/// arithmetic (PyTorch's f64 gives ~1e-16); ours is the f32 rounding of a sum of 192 cancelling
/// terms, so it is held to `RTOL` of the conv weight gradient's largest element instead.
fn assert_grad(key: &str, got: &Tensor, fx: &Fixture) {
    let want = fx.get(key);
    if key == "train.grad.0.bias" {
        let scale = fx.get("train.grad.0.weight").to_vec::<f32>().iter().fold(0f32, |m, v| m.max(v.abs()));
        for (i, (g, w)) in got.to_vec::<f32>().iter().zip(want.to_vec::<f32>()).enumerate() {
            assert!(w.abs() < 1e-12, "the fixture's conv bias gradient should be 0, got {w}");
            assert!(g.abs() <= RTOL * scale, "{key}[{i}]: ours {g}, exactly 0 (bound {})", RTOL * scale);
        }
    } else {
        assert_close(key, got, &want, RTOL);
    }
}

#[test]
fn state_dict_keys_order_shapes_and_dtypes_match_torch() {
    let net = ConvBnLn::new();
    let keys = torch_keys();
    assert_eq!(net.state_dict_keys(), keys);
    let fx = Fixture::load();
    for (k, t) in net.state_dict().iter() {
        let want = fx.get(&format!("init.{k}"));
        assert_eq!((t.shape(), t.dtype()), (want.shape(), want.dtype()), "{k}");
    }
    assert_eq!(
        net.to_string(),
        "Sequential(\n  (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n  \
         (1): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n  \
         (2): ReLU()\n  (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n  \
         (4): Flatten(start_dim=1, end_dim=-1)\n  (5): Linear(in_features=64, out_features=10, bias=True)\n  \
         (6): LayerNorm((10,), eps=1e-05, elementwise_affine=True, bias=True)\n)"
    );
}

#[test]
fn seeded_init_and_inputs_equal_torch_bit_for_bit() {
    let fx = Fixture::load();
    manual_seed(0);
    let net = ConvBnLn::new();
    for (k, t) in net.state_dict().iter() {
        assert!(t.equal(&fx.get(&format!("init.{k}"))), "init.{k} differs from torch.manual_seed(0)'s");
    }
    // The draws after the model's: x = torch.randn(3, 1, 8, 8), grad_y = torch.randn(3, 10).
    assert!(Tensor::randn(&[3, 1, 8, 8]).equal(&fx.get("x")));
    assert!(Tensor::randn(&[3, 10]).equal(&fx.get("grad_y")));
}

#[test]
fn train_mode_matches_torch_with_running_statistics_updated_once() {
    let fx = Fixture::load();
    let net = loaded(&fx, "param.");
    assert!(net.is_training());
    check_step(&net, &fx, "train");
    // Parameters untouched, running_mean/var moved by momentum 0.1, num_batches_tracked = 1.
    assert_state_matches(&net, &fx, "train.state.");
    assert_eq!(net.1.num_batches_tracked.as_ref().unwrap().value().to_vec::<i64>(), [1]);

    // Inference in training mode (`with torch.no_grad(): net(x)`) normalises with the batch
    // statistics and updates the running statistics too, exactly once.
    let net = loaded(&fx, "param.");
    assert_close("train.y (forward)", &Layer::forward(&net, &fx.get("x")), &fx.get("train.y"), RTOL);
    assert_state_matches(&net, &fx, "train.state.");
}

#[test]
fn eval_mode_matches_torch_and_leaves_the_running_statistics_alone() {
    let fx = Fixture::load();
    let mut net = loaded(&fx, "train.state.");
    net.eval();
    assert!(!net.1.training_self().unwrap());
    assert_close("eval.y (forward)", &Layer::forward(&net, &fx.get("x")), &fx.get("eval.y"), RTOL);
    check_step(&net, &fx, "eval");
    assert_state_matches(&net, &fx, "train.state.");

    // The same sequence as the fixture: a training step, then eval mode on the updated model.
    let mut net = loaded(&fx, "param.");
    check_step(&net, &fx, "train");
    net.eval();
    check_step(&net, &fx, "eval");
    net.train();
    assert!(net.1.training_self().unwrap());
}

#[test]
fn backward_without_an_input_gradient_still_fills_every_parameter_gradient() {
    let fx = Fixture::load();
    let net = loaded(&fx, "param.");
    let mut ctx = Default::default();
    net.forward_train(&fx.get("x"), &mut ctx);
    assert!(net.backward(&mut ctx, &fx.get("grad_y"), false).is_none());
    for (k, p) in net.named_parameters() {
        assert_grad(&format!("train.grad.{k}"), &p.grad().unwrap(), &fx);
    }
}
