use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        #[init(zeros)] lin: Linear<3, 3>,
    }
    fn forward(x: [B, 3]) -> [B, 3] {
        lin(x)
    }
}

fn main() {}
