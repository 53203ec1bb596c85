use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear};

network! {
    struct Net {
        #[init(zeros)] w: Param<[4, 4]> = Param::new(),
    }
    fn forward(x: [B, 4]) -> [B, 4] { mm(x, w) }
}

fn main() {}
