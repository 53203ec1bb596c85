use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Conv2d};

network! {
    struct Net {
        c1: Conv2d<1, 6, 3> = Conv2d::new().stride(STRIDE),
    }
    fn forward(x: [B, 1, 28, 28]) -> [..] {
        c1(x)
    }
}
const STRIDE: usize = 2;
network! {
    struct Unused;
    fn forward(x: [..]) -> [..] { x }
}

fn main() {}
