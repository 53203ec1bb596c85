use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct MyLinear<const IN: usize, const UNITS: usize> {
        #[init(randn)] weight: Param<[IN, UNITS]>,
        #[init(randn)] bias: Param<[IN]>,
    }
    fn forward(x: [B, IN]) -> [B, UNITS] {
        relu(matmul(x, weight) + bias)
    }
}

fn main() {}
