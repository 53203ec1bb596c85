use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        lin: Linear<3, 3>,
    }
    fn forward(x: [B, 3]) -> [B, 3] {
        let mut x = x;
        for b in lin { x = b(x); }
        x
    }
}

fn main() {}
