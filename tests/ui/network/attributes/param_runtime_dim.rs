use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        #[init(zeros)] bias: Param<[B, 3]>,
    }
    fn forward(x: [B, 3]) -> [B, 3] {
        x + bias
    }
}

fn main() {}
