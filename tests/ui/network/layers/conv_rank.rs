use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Conv2d};

network! {
    struct Net = Sequential(Conv2d<3, 6, 3>) : [B, 3, 32];
}

fn main() {}
