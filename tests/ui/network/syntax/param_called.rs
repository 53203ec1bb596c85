use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        #[init(randn)] weight: Param<[3, 3]>,
    }
    fn forward(x: [B, 3]) -> [B, 3] {
        weight(x)
    }
}

fn main() {}
