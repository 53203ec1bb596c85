use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Mlp {
        hidden: Linear<20, 128>,
        out: Linear<256, 10>,
    }
    fn forward(x: [B, 20]) -> [B, 10] {
        out(relu(hidden(x)))
    }
}

fn main() {}
