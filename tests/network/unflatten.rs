//! `Unflatten` inside `network!`: its shape rule and its backward.

use fusenet::graph::gradcheck::{Tolerance, assert_layer};
use fusenet::nn::{Conv2d, Linear, Unflatten};
use fusenet::prelude::*;

network! {
    /// A decoder head: features to a 2×4×4 image, then a 3×3 convolution.
    pub struct Decoder {
        fc: Linear<6, 32>,
        unflat: Unflatten = Unflatten::new(1, &[2, 4, 4]),
        conv: Conv2d<2, 1, 3> = Conv2d::new().padding(1),
    }
    fn forward(x: [B, 6]) -> [B, 1, 4, 4] {
        conv(unflat(fc(x)))
    }
}

#[test]
fn unflatten_shapes_and_gradients() {
    manual_seed(0);
    let net = Decoder::new();
    let x = Tensor::randn(&[3, 6]);
    assert_eq!(net.forward(&x).shape(), &[3, 1, 4, 4]);
    assert_eq!(net.unflat.to_string(), "Unflatten(dim=1, unflattened_size=(2, 4, 4))");
    assert_layer(&net, &x, Tolerance::default());
    assert_eq!(Decoder::STATE_DICT_KEYS, ["fc.weight", "fc.bias", "conv.weight", "conv.bias"]);
}
