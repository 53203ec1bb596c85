use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{AvgPool2d};

network! {
    struct Net = Sequential(AvgPool2d = AvgPool2d::new(2).padding(2)) : [B, 2, 8, 8];
}

fn main() {}
