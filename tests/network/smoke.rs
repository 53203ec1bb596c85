use fusenet::module::Layer;
use fusenet::prelude::*;

use crate::seed_networks::{FixedHiddenMlp, Mlp, Seq481};

network! {
    /// The primer's y = x² + 2x + 2.
    struct F;
    fn forward(x: [..]) -> [..] { x * x + 2.0 * x + 2.0 }
}


#[test]
fn primer() {
    let f = F::new();
    let x = Tensor::scalar(2.0);
    let mut ctx = Default::default();
    let y = f.forward_train(&x, &mut ctx);
    assert_eq!(y.item(), 10.0);
    let g = f.backward(&mut ctx, &Tensor::ones_like(&y), true).unwrap();
    assert_eq!(g.item(), 6.0);
}

#[test]
fn mlp() {
    let n = Mlp::new();
    let y = n.forward(&Tensor::rand(&[2, 20]));
    assert_eq!(y.shape(), &[2, 10]);
    let f = FixedHiddenMlp::new();
    let y = f.forward(&Tensor::rand(&[2, 20]));
    assert_eq!(y.shape(), &[] as &[usize]);
    let s = Seq481::new();
    assert_eq!(s.state_dict_keys(), ["0.weight", "0.bias", "2.weight", "2.bias"]);
}
