// Expected values are PyTorch's printed f64 reprs of f32 numbers.
#![allow(clippy::excessive_precision)]

//! The `bn_net` architecture, `nn.Sequential(nn.Conv2d(1, 6, 5), nn.BatchNorm2d(6), nn.ReLU())`,
//! against PyTorch's key lists, shapes, module list and repr (`tests/fixtures/state_dict_keys.tsv`,
//! `named_*.tsv`, `repr_bn_net.txt`).

use crate::module_support;

use fusenet::module::Layer;
use fusenet::nn::{BatchNorm2d, Conv2d, ReLU};
use fusenet::prelude::*;
use module_support::assert_matches_torch;

/// `nn.Sequential(nn.Conv2d(1, 6, 5), nn.BatchNorm2d(6), nn.ReLU())`.
#[derive(Module)]
#[module(name = "Sequential")]
struct BnNet(Conv2d<1, 6, 5>, BatchNorm2d<6>, ReLU);

#[test]
fn bn_net_keys_shapes_and_repr_match_torch() {
    let net = BnNet(Conv2d::new(), BatchNorm2d::new(), ReLU);
    assert_matches_torch("bn_net", &net);
}

#[test]
fn bn_net_seeded_weights_and_forward() {
    // torch.manual_seed(0); net = nn.Sequential(nn.Conv2d(1, 6, 5), nn.BatchNorm2d(6), nn.ReLU())
    // net[0].weight.flatten()[:3]
    manual_seed(0);
    let mut net = BnNet(Conv2d::new(), BatchNorm2d::new(), ReLU);
    let w = net.0.weight.value().to_vec::<f32>();
    assert_eq!(w[..3], [-0.0014973640209063888f32, 0.10728871822357178, -0.16460902988910675]);
    let x = Tensor::randn(&[2, 1, 28, 28]);
    let y = net.2.forward(&net.1.forward(&Layer::forward(&net.0, &x)));
    assert_eq!(y.shape(), &[2, 6, 24, 24]);
    assert!(y.to_vec::<f32>().iter().all(|&v| v >= 0.0));
    // Training mode normalises with the batch statistics: each channel has mean ≈ 0 before ReLU.
    let z = net.1.forward(&Layer::forward(&net.0, &x)).to_vec::<f32>();
    for c in 0..6 {
        let mean: f64 = (0..2).flat_map(|n| z[(n * 6 + c) * 576..(n * 6 + c + 1) * 576].iter()).map(|&v| v as f64).sum::<f64>() / 1152.0;
        assert!(mean.abs() < 1e-5, "channel {c} mean {mean}");
    }
    net.eval();
    assert!(!net.is_training());
}
