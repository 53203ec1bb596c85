use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{BatchNorm2d, Conv2d};

network! {
    struct Net = Sequential(Conv2d<3, 16, 3>, BatchNorm2d<6>) : [B, 3, 8, 8];
}

fn main() {}
