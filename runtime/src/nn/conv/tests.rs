// Expected values are PyTorch's printed f64 reprs of f32 numbers.
#![allow(clippy::excessive_precision)]

use super::*;
use crate::graph::gradcheck::{Tolerance, assert_layer, sample};
use crate::module::Layer;
use crate::rng::manual_seed;

// torch.manual_seed(0); c = nn.Conv2d(1, 6, 5); c.weight.flatten()[:3], c.bias[-2:]
#[test]
fn seeded_init_equals_torch() {
    manual_seed(0);
    let c = Conv2d::<1, 6, 5>::new();
    let w = c.weight.value().to_vec::<f32>();
    let b = c.bias.as_ref().map(|b| b.value().to_vec::<f32>()).unwrap_or_default();
    assert_eq!(w[..3], [-0.0014973640209063888f32, 0.10728871822357178, -0.16460902988910675]);
    assert_eq!(b[4..], [0.10812821239233017f32, -0.1928863823413849]);
}

// torch.manual_seed(0); c = nn.Conv2d(4, 8, 3, groups=2); c.weight.flatten()[-2:], c.bias[:2]
// torch.manual_seed(0); c = nn.Conv1d(3, 2, 4); c.weight.flatten()[:2], c.bias
#[test]
fn seeded_init_uses_fan_in_over_groups() {
    manual_seed(0);
    let c = Conv2d::<4, 8, 3>::with_options(ConvOptions::default().groups(2));
    let w = c.weight.value().to_vec::<f32>();
    assert_eq!(w[w.len() - 2..], [0.22377891838550568f32, -0.017046377062797546]);
    assert_eq!(c.bias.as_ref().map(|b| b.value().to_vec::<f32>()[..2].to_vec()), Some(vec![-0.21173641085624695f32, -0.1117410734295845]));
    manual_seed(0);
    let c = Conv1d::<3, 2, 4>::new();
    assert_eq!(c.weight.value().to_vec::<f32>()[..2], [-0.0021612588316202164f32, 0.15485791862010956]);
    assert_eq!(c.bias.as_ref().map(|b| b.value().to_vec::<f32>()), Some(vec![-0.046529628336429596f32, 0.030545899644494057]));
}

#[test]
fn reprs_match_torch() {
    // repr(nn.Conv2d(1, 6, (3, 5), stride=2, padding=1, dilation=2, bias=False))
    let c = Conv2d::<1, 6, 3, 5>::with_options(ConvOptions::default().stride(2).padding(1).dilation(2).bias(false));
    assert_eq!(c.to_string(), "Conv2d(1, 6, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1), dilation=(2, 2), bias=False)");
    assert_eq!(c.weight.shape(), &[6, 1, 3, 5]);
    // repr(nn.Conv1d(4, 8, 3, groups=2))
    let c = Conv1d::<4, 8, 3>::with_options(ConvOptions::default().groups(2));
    assert_eq!(c.to_string(), "Conv1d(4, 8, kernel_size=(3,), stride=(1,), groups=2)");
    assert_eq!(c.state_dict_keys(), ["weight", "bias"]);
    let c = Conv2d::<1, 1, 3>::new().stride([1, 2]);
    assert_eq!(c.to_string(), "Conv2d(1, 1, kernel_size=(3, 3), stride=(1, 2))");
}

#[test]
fn layer_gradients_match_finite_differences() {
    let c = Conv2d::<2, 4, 3>::with_options(ConvOptions::default().stride(2).padding(1).groups(2));
    assert_layer(&c, &sample(&[2, 2, 5, 4], 1), Tolerance::default());
    let c = Conv1d::<3, 2, 2>::new().dilation(2);
    assert_layer(&c, &sample(&[3, 6], 2), Tolerance::default()); // unbatched
    let c = Conv3d::<1, 2, 2, 1, 2>::with_options(ConvOptions::default().bias(false));
    assert_layer(&c, &sample(&[1, 1, 3, 2, 3], 3), Tolerance::default());
}

#[test]
fn frozen_weight_gets_no_gradient() {
    let c = Conv2d::<1, 2, 2>::new();
    c.weight.set_requires_grad(false);
    let x = sample(&[1, 1, 3, 3], 4);
    let mut ctx = ConvCtx::default();
    c.forward_train(&x, &mut ctx);
    assert!(c.backward(&mut ctx, &Tensor::ones(&[1, 2, 2, 2]), false).is_none());
    assert!(c.weight.grad().is_none());
    assert_eq!(c.bias.as_ref().and_then(|b| b.grad()).map(|g| g.to_vec::<f32>()), Some(vec![4.0, 4.0]));
}

#[test]
#[should_panic(expected = "Given groups=1, weight of size [2, 2, 3, 3], expected input[1, 1, 4, 4] to have 2 channels, but got 1 channels instead")]
fn wrong_channel_count_panics_as_torch() {
    Conv2d::<2, 2, 3>::new().forward(&Tensor::zeros(&[1, 1, 4, 4]));
}

#[test]
#[should_panic(expected = "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]")]
fn wrong_rank_panics_as_torch() {
    Conv2d::<2, 2, 3>::new().forward(&Tensor::zeros(&[2, 3]));
}

#[test]
#[should_panic(expected = "Kernel size can't be greater than actual input size")]
fn kernel_larger_than_input_panics() {
    Conv2d::<1, 1, 5>::new().forward(&Tensor::zeros(&[1, 1, 4, 4]));
}

#[test]
#[should_panic(expected = "in_channels must be divisible by groups")]
fn groups_must_divide_channels() {
    Conv2d::<3, 4, 3>::with_options(ConvOptions::default().groups(2));
}

#[test]
#[should_panic(expected = "Conv2d::backward: no saved input")]
fn backward_without_forward_train_panics() {
    let c = Conv2d::<1, 1, 1>::new();
    c.backward(&mut ConvCtx::default(), &Tensor::ones(&[1, 1, 1, 1]), true);
}
