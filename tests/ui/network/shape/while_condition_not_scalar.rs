use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net;
    fn forward(x: [B, 20]) -> [B, 20] {
        let mut x = x;
        while x.abs() > 1.0 { x = x / 2.0; }
        x
    }
}

fn main() {}
