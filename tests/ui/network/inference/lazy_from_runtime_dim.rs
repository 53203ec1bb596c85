use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        lin: Linear<_, 4>,
    }
    fn forward(x: [B, N]) -> [B, 4] {
        lin(x)
    }
}

fn main() {}
