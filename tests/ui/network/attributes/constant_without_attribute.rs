use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        rand_weight: [20, 20],
    }
    fn forward(x: [B, 20]) -> [B, 20] {
        mm(x, rand_weight)
    }
}

fn main() {}
