use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net {
        hidden: Linear<20, 64>,
        out: Linear<32, 10>,
        #[init(randn)] scale: Param<[7]>,
    }
    fn forward(x: [B, 20]) -> [B, 10] {
        let h = relu(hidden(x));
        let g = swish(h);
        let y = out(h);
        y * scale
    }
}

fn main() {}
