use fusenet::nn::{Linear, ReLU};
use fusenet::Module;

#[derive(Module)]
enum Layer {
    Dense(Linear<4, 4>),
    Act(ReLU),
}

fn main() {}
