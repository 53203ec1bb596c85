use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        #[init(randn)] w: Param<[10, 5]>,
    }
    fn forward(x: [B, 20]) -> [B, 5] {
        mm(x, w)
    }
}

fn main() {}
