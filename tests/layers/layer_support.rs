//! Readers for the forward/backward parity fixtures in `tests/fixtures/network/` (written by
//! `tests/fixtures/gen_network_fixtures.py`, which documents every key), and the comparison they
//! are checked with. Shared by the eager `Layer` tests and the `network!` tests.
#![allow(dead_code)]

use fusenet::module::Layer;
use fusenet::{StateDict, Tensor};

/// One model's fixture file.
pub struct Fixture {
    pub name: String,
    pub tensors: StateDict,
}

impl Fixture {
    /// Loads `tests/fixtures/network/<name>.safetensors`.
    pub fn load(name: &str) -> Fixture {
        let path = format!("{}/tests/fixtures/network/{name}.safetensors", env!("CARGO_MANIFEST_DIR"));
        let tensors = fusenet::io::load_dict(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        Fixture { name: name.to_string(), tensors }
    }

    /// The tensor under `key`; panics naming the fixture when it is missing.
    pub fn get(&self, key: &str) -> Tensor {
        self.tensors.get(key).unwrap_or_else(|| panic!("{}: no `{key}` in the fixture", self.name)).shallow_clone()
    }

    pub fn x(&self) -> Tensor {
        self.get("x")
    }
    pub fn y(&self) -> Tensor {
        self.get("y")
    }
    pub fn grad_y(&self) -> Tensor {
        self.get("grad_y")
    }
    pub fn grad_x(&self) -> Tensor {
        self.get("grad_x")
    }

    /// PyTorch's `net.state_dict()` (the `param.*` entries, prefix removed).
    pub fn state_dict(&self) -> StateDict {
        self.prefixed("param.")
    }

    /// `∂L/∂θ` under each parameter's state-dict key (the `grad.*` entries, prefix removed).
    pub fn grads(&self) -> StateDict {
        self.prefixed("grad.")
    }

    fn prefixed(&self, prefix: &str) -> StateDict {
        let mut sd = StateDict::new();
        for (k, t) in self.tensors.iter() {
            if let Some(rest) = k.strip_prefix(prefix) {
                sd.insert(rest, t.shallow_clone());
            }
        }
        sd
    }
}

/// Elementwise `|ours − torch| ≤ rtol·(|torch| + max|torch|/10)`: `rtol` relative to each
/// element, with a tenth of the tensor's largest magnitude as a floor, so that an element much
/// smaller than its neighbours (a small difference of large terms, where any two summation orders
/// disagree in the low bits) is not held to a bound below what f32 can resolve. With `rtol =
/// 1e-5` the floor is 1e-6 of the largest magnitude, about 8 f32 ulps of it: the rounding two
/// orders of a sum of a few dozen such terms may differ by. (At 1e-7, one ulp, Chimera's input
/// gradient failed once the dot-form GEMM summed 16 lanes instead of 8: 1.2e-9 off on an element
/// of 1.7e-5 beside a largest of 6e-3.) Panics naming `what`, the first offending index and both
/// values.
pub fn assert_close(what: &str, ours: &Tensor, torch: &Tensor, rtol: f32) {
    assert_eq!(ours.shape(), torch.shape(), "{what}: shapes differ");
    let (a, b) = (ours.contiguous().to_vec::<f32>(), torch.contiguous().to_vec::<f32>());
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        let tol = rtol * (y.abs() + scale / 10.0);
        assert!((x - y).abs() <= tol, "{what}[{i}]: ours {x}, PyTorch {y} (|difference| {} > {tol})", (x - y).abs());
    }
}

/// Loads the fixture's state dict into `net`, runs `forward`, `forward_train` and `backward` with
/// the fixture's `grad_y`, and compares the output, `∂L/∂x` and every parameter gradient (under
/// every key, so each use of a tied parameter is seen) with PyTorch's within `rtol`.
pub fn check_against_fixture<L: Layer>(fx: &Fixture, net: &mut L, rtol: f32) {
    net.load_state_dict(&fx.state_dict()).unwrap_or_else(|e| panic!("{}: {e}", fx.name));
    let x = fx.x();
    assert_close(&format!("{}: forward", fx.name), &net.forward(&x), &fx.y(), rtol);
    net.zero_grad();
    let mut ctx = L::Ctx::default();
    let y = net.forward_train(&x, &mut ctx);
    assert_close(&format!("{}: forward_train", fx.name), &y, &fx.y(), rtol);
    let gx = net.backward(&mut ctx, &fx.grad_y(), true).expect("an input gradient");
    assert_close(&format!("{}: grad_x", fx.name), &gx, &fx.grad_x(), rtol);
    let grads = fx.grads();
    assert!(!grads.is_empty(), "{}: no parameter gradients in the fixture", fx.name);
    for (key, want) in grads.iter() {
        let p = net.get_parameter(key).unwrap_or_else(|| panic!("{}: no parameter `{key}`", fx.name));
        let got = p.grad().unwrap_or_else(|| panic!("{}: `{key}` has no gradient", fx.name));
        assert_close(&format!("{}: grad of {key}", fx.name), &got, want, rtol);
    }
    let ours: Vec<String> = net.named_parameters().into_iter().map(|(k, _)| k).collect();
    for k in ours {
        assert!(grads.contains_key(&k), "{}: PyTorch has no gradient for our parameter `{k}`", fx.name);
    }
}
