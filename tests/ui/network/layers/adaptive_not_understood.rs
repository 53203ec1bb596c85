use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{AdaptiveAvgPool2d};

network! {
    struct Net = Sequential(AdaptiveAvgPool2d = AdaptiveAvgPool2d::new((7, 7))) : [B, 2, 8, 8];
}

fn main() {}
