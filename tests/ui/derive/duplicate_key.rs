use fusenet::nn::Linear;
use fusenet::Module;

#[derive(Module)]
struct Net {
    #[module(rename = "out")]
    first: Linear<4, 4>,
    out: Linear<4, 2>,
}

fn main() {}
