use fusenet::prelude::*;

network! {
    struct Net;
    fn forward(x: [B, 3, 4]) -> [..] {
        x.permute([0, 2])
    }
}

fn main() {}
