use fusenet::nn::Linear;
use fusenet::Module;

#[derive(Module)]
struct Net {
    #[module(rename = "block {}")]
    blocks: Vec<Linear<4, 4>>,
}

fn main() {}
