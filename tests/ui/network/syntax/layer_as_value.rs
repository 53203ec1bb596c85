use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        hidden: Linear<3, 3>,
    }
    fn forward(x: [B, 3]) -> [B, 3] {
        hidden + x
    }
}

fn main() {}
