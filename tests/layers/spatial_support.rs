//! Shared by the spatial and recurrent fixture tests: reading `tests/fixtures/spatial/*.safetensors`
//! (written by `tests/fixtures/gen_spatial_fixtures.py`), loading PyTorch's parameters into a layer,
//! and comparing tensors and gradients with PyTorch's.
#![allow(dead_code)]

use fusenet::io;
use fusenet::module::Layer;
use fusenet::prelude::*;

/// Reads `tests/fixtures/spatial/<name>.safetensors` (written by `gen_spatial_fixtures.py`).
pub fn fixture(name: &str) -> StateDict {
    let path = format!("{}/tests/fixtures/spatial/{name}.safetensors", env!("CARGO_MANIFEST_DIR"));
    io::load_dict(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn get<'a>(sd: &'a StateDict, key: &str) -> &'a Tensor {
    sd.get(key).unwrap_or_else(|| panic!("fixture has no `{key}`"))
}

/// Loads the `p.<name>` tensors into `m`, checking that its keys are exactly PyTorch's
/// (safetensors stores them sorted, so the sets are compared).
pub fn load_params(sd: &StateDict, m: &mut dyn Module) {
    let mut params = StateDict::new();
    for (k, v) in sd.iter() {
        if let Some(name) = k.strip_prefix("p.") {
            params.insert(name, v.clone());
        }
    }
    let mut torch_keys: Vec<&str> = params.keys().collect();
    let mut ours = m.state_dict_keys();
    torch_keys.sort_unstable();
    ours.sort_unstable();
    assert_eq!(ours, torch_keys, "state_dict keys");
    m.load_state_dict(&params).expect("fixture parameters load");
}

/// `|a − b| ≤ 1e-5 + 1e-4·|b|` elementwise, with equal shapes.
pub fn assert_close(what: &str, got: &Tensor, want: &Tensor) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (a, b)) in got.to_vec::<f32>().iter().zip(want.to_vec::<f32>()).enumerate() {
        assert!((a - b).abs() <= 1e-5 + 1e-4 * b.abs(), "{what}[{i}]: got {a}, PyTorch {b}");
    }
}

/// Runs `forward_train` and `backward` on the fixture's input and gradient, and compares the
/// output, the input gradient and every parameter gradient with PyTorch's.
pub fn check_against_torch<L: Layer>(name: &str, layer: &mut L) {
    let sd = fixture(name);
    load_params(&sd, layer);
    let mut ctx = L::Ctx::default();
    let y = layer.forward_train(get(&sd, "x"), &mut ctx);
    assert_close(&format!("{name}: y"), &y, get(&sd, "y"));
    assert_close(&format!("{name}: eager forward"), &Layer::forward(layer, get(&sd, "x")), get(&sd, "y"));
    let gx = layer.backward(&mut ctx, get(&sd, "grad_out"), true).expect("input gradient");
    assert_close(&format!("{name}: gx"), &gx, get(&sd, "gx"));
    for (k, p) in layer.named_parameters() {
        let g = p.grad().unwrap_or_else(|| panic!("{name}: no gradient in {k}"));
        assert_close(&format!("{name}: grad of {k}"), &g, get(&sd, &format!("g.{k}")));
    }
}
