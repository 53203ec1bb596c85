use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        lin: Linear<20, _>,
    }
    fn forward(x: [B, 20]) -> [..] {
        lin(x)
    }
}

fn main() {}
