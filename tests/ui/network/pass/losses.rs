//! Networks with target inputs and loss built-ins.
use fusenet::prelude::*;
use fusenet::nn::Linear;

network! {
    struct Clf { fc: Linear<784, 10> }
    fn forward(x: [B, 784], target: [B] as i64) -> [] {
        cross_entropy(fc(x), target)
    }
}

network! {
    struct Reg { fc: Linear<4, 2> }
    fn forward(x: [B, 4], y: [B, 2] as f32, w: [B, 2] as f32,) -> [B, 2] {
        mse_loss(fc(x), y, "none") * w + l1_loss(fc(x), y, reduction = "sum")
    }
}

fn main() {
    let net = Clf::new();
    let mut ctx = Default::default();
    let x = Tensor::zeros(&[2, 784]);
    let t = Tensor::from_vec(vec![1i64, 9], &[2]);
    let loss: fusenet::Result<Tensor> = net.forward_train(&x, &t, &mut ctx);
    let _ = loss.map(|l| l.item());
    let _: Option<Tensor> = net.backward(&mut ctx, 1.0, false);
    let r = Reg::new();
    let y: Tensor = r.forward(&Tensor::zeros(&[3, 4]), &Tensor::zeros(&[3, 2]), &Tensor::ones(&[3, 2]));
    let mut ctx = Default::default();
    let _ = r.forward_train(&Tensor::zeros(&[3, 4]), &Tensor::zeros(&[3, 2]), &Tensor::ones(&[3, 2]), &mut ctx);
    let _ = r.backward(&mut ctx, &Tensor::ones_like(&y), true);
}
