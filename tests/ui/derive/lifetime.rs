use fusenet::nn::Linear;
use fusenet::Module;

#[derive(Module)]
struct View<'a> {
    layer: &'a Linear<4, 4>,
}

fn main() {}
