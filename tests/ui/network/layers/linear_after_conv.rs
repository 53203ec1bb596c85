use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Conv2d, Flatten, Linear};

network! {
    struct Net = Sequential(Conv2d<1, 16, 5>, Flatten, Linear<400, 10>) : [B, 1, 28, 28];
}

fn main() {}
