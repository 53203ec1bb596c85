use fusenet::prelude::*;
use fusenet::nn::Linear;

network! {
    struct Net { lin: Linear<20, 10> }
    fn forward(x: [B, 20]) -> [B, 10] { lin(x) }
}

fn main() {
    let net = Net::new();
    let x: Typed<(Dyn, C<19>)> = Typed::new(Tensor::zeros(&[4, 19])).unwrap();
    let _ = net.forward_typed(&x);
}
