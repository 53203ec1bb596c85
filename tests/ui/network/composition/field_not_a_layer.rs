use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        inner: u32,
    }
    fn forward(x: [B, 3]) -> [B, 3] {
        inner(x)
    }
}

fn main() {}
