//! Pooling layers against PyTorch (`tests/fixtures/gen_spatial_fixtures.py`): outputs and input
//! gradients.

use fusenet::module::Layer;
use fusenet::nn::{AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d};
use fusenet::prelude::*;
use fusenet::io;

/// Reads `tests/fixtures/spatial/<name>.safetensors` (written by `gen_spatial_fixtures.py`).
fn fixture(name: &str) -> StateDict {
    let path = format!("{}/tests/fixtures/spatial/{name}.safetensors", env!("CARGO_MANIFEST_DIR"));
    io::load_dict(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn get<'a>(sd: &'a StateDict, key: &str) -> &'a Tensor {
    sd.get(key).unwrap_or_else(|| panic!("fixture has no `{key}`"))
}

/// Loads the `p.<name>` tensors into `m`, checking that its keys are exactly PyTorch's
/// (safetensors stores them sorted, so the sets are compared).
fn load_params(sd: &StateDict, m: &mut dyn Module) {
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
fn assert_close(what: &str, got: &Tensor, want: &Tensor) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (a, b)) in got.to_vec::<f32>().iter().zip(want.to_vec::<f32>()).enumerate() {
        assert!((a - b).abs() <= 1e-5 + 1e-4 * b.abs(), "{what}[{i}]: got {a}, PyTorch {b}");
    }
}

/// Runs `forward_train` and `backward` on the fixture's input and gradient, and compares the
/// output, the input gradient and every parameter gradient with PyTorch's.
fn check_against_torch<L: Layer>(name: &str, layer: &mut L) {
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

#[test]
fn max_pool2d_ceil_mode_padded() {
    // nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True) on [2, 3, 7, 6]
    check_against_torch("maxpool2d", &mut MaxPool2d::new(3).stride(2).padding(1).ceil_mode(true));
}

#[test]
fn max_pool1d_dilated() {
    // nn.MaxPool1d(2, stride=1, dilation=2) on [2, 2, 8]
    check_against_torch("maxpool1d_dilation", &mut MaxPool1d::new(2).stride(1).dilation(2));
}

#[test]
fn avg_pool2d_without_padding_in_the_count() {
    // nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False) on [2, 3, 7, 6]
    let mut pool = AvgPool2d::new(3).stride(2).padding(1).ceil_mode(true).count_include_pad(false);
    check_against_torch("avgpool2d", &mut pool);
}

#[test]
fn avg_pool2d_counting_the_padding() {
    // nn.AvgPool2d(2, padding=1) on [1, 2, 5, 5]
    check_against_torch("avgpool2d_pad", &mut AvgPool2d::new(2).padding(1));
}

#[test]
fn avg_pool1d() {
    // nn.AvgPool1d(3, stride=2) on [2, 3, 9]
    check_against_torch("avgpool1d", &mut AvgPool1d::new(3).stride(2));
}

#[test]
fn adaptive_avg_pool2d() {
    // nn.AdaptiveAvgPool2d((3, 2)) on [2, 3, 5, 7]
    check_against_torch("adaptive_avgpool2d", &mut AdaptiveAvgPool2d::new([3, 2]));
}
