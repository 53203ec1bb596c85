use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        lin: Linear<20, 10>,
    }
    fn forward(x: [B, 20]) -> [B, 5] {
        lin(x)
    }
}

fn main() {}
