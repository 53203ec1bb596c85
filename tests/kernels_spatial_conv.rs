//! Convolutions against PyTorch (`tests/fixtures/gen_spatial_fixtures.py`): outputs, input
//! gradients and weight/bias gradients for stride 2, padding 1, dilation, groups, 1-d and 3-d.

use fusenet::module::Layer;
use fusenet::nn::{Conv1d, Conv2d, Conv3d, ConvOptions};
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
fn conv2d_stride_2() {
    // nn.Conv2d(2, 4, 3, stride=2) on [2, 2, 7, 6]
    check_against_torch("conv2d_stride2", &mut Conv2d::<2, 4, 3>::new().stride(2));
}

#[test]
fn conv2d_padding_1() {
    // nn.Conv2d(3, 2, 3, padding=1) on [2, 3, 5, 5]
    check_against_torch("conv2d_pad1", &mut Conv2d::<3, 2, 3>::new().padding(1));
}

#[test]
fn conv2d_dilation_2_non_square() {
    // nn.Conv2d(2, 3, (3, 2), dilation=2, padding=(2, 1)) on [1, 2, 7, 6]
    check_against_torch("conv2d_dilation2", &mut Conv2d::<2, 3, 3, 2>::new().dilation(2).padding([2, 1]));
}

#[test]
fn conv2d_groups_2_without_bias() {
    // nn.Conv2d(4, 6, 3, groups=2, stride=(1, 2), bias=False) on [2, 4, 5, 6]
    let mut conv = Conv2d::<4, 6, 3>::with_options(ConvOptions::default().groups(2).stride([1, 2]).bias(false));
    check_against_torch("conv2d_groups2", &mut conv);
}

#[test]
fn conv1d_strided_padded() {
    // nn.Conv1d(3, 4, 3, stride=2, padding=1) on [2, 3, 9]
    check_against_torch("conv1d", &mut Conv1d::<3, 4, 3>::new().stride(2).padding(1));
}

#[test]
fn conv3d_padded() {
    // nn.Conv3d(2, 3, (2, 3, 2), padding=(1, 1, 0)) on [1, 2, 3, 4, 4]
    check_against_torch("conv3d", &mut Conv3d::<2, 3, 2, 3, 2>::new().padding([1, 1, 0]));
}

#[test]
fn gradients_accumulate_over_two_backwards() {
    let sd = fixture("conv2d_pad1");
    let mut conv = Conv2d::<3, 2, 3>::new().padding(1);
    load_params(&sd, &mut conv);
    for _ in 0..2 {
        let mut ctx = Default::default();
        conv.forward_train(get(&sd, "x"), &mut ctx);
        assert!(conv.backward(&mut ctx, get(&sd, "grad_out"), false).is_none());
    }
    assert_close("2 × grad of weight", &conv.weight.grad().expect("grad"), &get(&sd, "g.weight").mul(2.0));
}
