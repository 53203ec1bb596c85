use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        #[init(zeros)] bias: Param<[10]>,
    }
    fn forward(x: [B, 20]) -> [B, 20] {
        x + bias
    }
}

fn main() {}
