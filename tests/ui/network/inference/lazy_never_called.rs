use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        used: Linear<4, 4>,
        unused: Linear<_, 10>,
    }
    fn forward(x: [B, 4]) -> [B, 4] {
        used(x)
    }
}

fn main() {}
