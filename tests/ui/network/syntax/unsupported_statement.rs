use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net;
    fn forward(x: [B, 3]) -> [B, 3] {
        if true { }
        x
    }
}

fn main() {}
