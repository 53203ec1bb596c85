use fusenet::nn::Linear;
use fusenet::Module;

#[derive(Module)]
#[module(skip)]
struct Net {
    #[module(flatten, rename = "block")]
    blocks: Vec<Linear<4, 4>>,
    #[module(rename = "a.b")]
    out: Linear<4, 2>,
    #[module(name = "Head")]
    head: Linear<2, 1>,
}

fn main() {}
