use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        lin: Linear<_, 4>,
    }
    fn forward(x: [B, 20]) -> [B, 4] {
        let a = lin(x);
        lin(x.sum(1, true)) + a
    }
}

fn main() {}
