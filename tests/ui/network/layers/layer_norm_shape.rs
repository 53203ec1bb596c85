use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{LayerNorm, Linear};

network! {
    struct Net {
        lin: Linear<8, 32>,
        norm: LayerNorm = LayerNorm::new(&[64]),
    }
    fn forward(x: [B, 8]) -> [B, 32] {
        norm(lin(x))
    }
}

fn main() {}
