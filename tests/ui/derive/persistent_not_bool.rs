use fusenet::prelude::*;

#[derive(Module)]
struct Net {
    #[module(persistent = "no")]
    running_mean: Buffer,
}

fn main() {}
