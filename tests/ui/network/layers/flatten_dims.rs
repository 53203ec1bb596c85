use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Flatten};

network! {
    struct Net = Sequential(Flatten = Flatten::new(2, 1)) : [B, 2, 4, 4];
}

fn main() {}
