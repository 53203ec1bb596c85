use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! { struct Block = Sequential(Linear<4, 4>, ReLU); }

network! {
    struct Net {
        blocks: Vec<Block>,
    }
    fn forward(x: [B, 4]) -> [B, 4] {
        let mut x = x;
        for b in blocks { x = b(x); }
        x
    }
}

fn main() {}
