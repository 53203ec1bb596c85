use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        lin: Linear<3, 1>,
    }
    fn forward(x: [B, 3]) -> [1] {
        lin(x.sum())
    }
}

fn main() {}
