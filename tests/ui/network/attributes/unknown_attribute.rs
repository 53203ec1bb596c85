use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        #[frozen] #[init(zeros)] bias: Param<[3]>,
    }
    fn forward(x: [B, 3]) -> [B, 3] {
        x + bias
    }
}

fn main() {}
