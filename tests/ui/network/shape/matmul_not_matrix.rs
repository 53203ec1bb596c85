use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        #[init(randn)] w: Param<[4, 2]>,
    }
    fn forward(x: [B, 3, 4]) -> [B, 3, 2] {
        matmul(x, w)
    }
}

fn main() {}
