//! The primer's "train & eval" section (seed 002: Dropout, BatchNorm, `model.train()` /
//! `model.eval()`), in Rust. Run with `cargo run --release --example train_eval`.
//!
//! The seed prints nothing in that section, so this example prints what it explains:
//! - `Dropout` zeroes elements at random in training mode and scales the kept ones by
//!   `1/(1 − p)`; in evaluation mode it is the identity.
//! - `BatchNorm1d` normalises with the batch's statistics in training mode and moves its
//!   `running_mean`/`running_var` towards them; in evaluation mode it normalises with the running
//!   statistics and leaves them alone.
//! - `train()`/`eval()` on a model switch every such layer inside it.
//!
//! Each section starts from `manual_seed(0)`, after which the weights and inputs equal PyTorch's
//! after `torch.manual_seed(0)` (so do the printed running statistics); Dropout's masks do not
//! (PyTorch draws them through MKL's generator), though their statistics do.

use fusenet::module::Layer;
use fusenet::nn::{BatchNorm1d, Dropout, Linear};
use fusenet::prelude::*;

/// The primer's `ModelWithBatchNorm`: `fc2(relu(bn1(fc1(x))))`.
#[derive(Module)]
struct ModelWithBatchNorm {
    fc1: Linear<784, 256>,
    bn1: BatchNorm1d<256>,
    fc2: Linear<256, 10>,
}

impl ModelWithBatchNorm {
    fn new() -> Self {
        ModelWithBatchNorm { fc1: Linear::new(), bn1: BatchNorm1d::new(), fc2: Linear::new() }
    }
    /// Inference (`with torch.no_grad()`): nothing is saved for a backward.
    fn forward(&self, x: &Tensor) -> Tensor {
        self.fc2.forward(&self.bn1.forward(&self.fc1.forward(x)).relu())
    }
}

/// The primer's `NeuralNetWithDropout` (its layers are not shown there): `fc2(dropout(relu(fc1(x))))`.
#[derive(Module)]
struct NeuralNetWithDropout {
    fc1: Linear<784, 128>,
    dropout: Dropout,
    fc2: Linear<128, 10>,
}

impl NeuralNetWithDropout {
    fn new() -> Self {
        NeuralNetWithDropout { fc1: Linear::new(), dropout: Dropout::new(0.2), fc2: Linear::new() }
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        self.fc2.forward(&Layer::forward(&self.dropout, &self.fc1.forward(x).relu()))
    }
}

fn zeros_fraction(t: &Tensor) -> f64 {
    let v = t.to_vec::<f32>();
    v.iter().filter(|&&e| e == 0.0).count() as f64 / v.len() as f64
}

fn head(t: &Tensor, n: usize) -> Vec<f32> {
    t.to_vec::<f32>().into_iter().take(n).map(|v| (v * 1e4).round() / 1e4).collect()
}

fn main() {
    manual_seed(0);

    // ----- Dropout -----
    // dropout = nn.Dropout(p=0.2); x = torch.randn(32, 100); x_dropped = dropout(x)
    println!("== Dropout ==");
    let mut dropout = Dropout::new(0.2);
    println!("{dropout}");
    let x = Tensor::randn(&[32, 100]);
    let x_dropped = Layer::forward(&dropout, &x);
    println!("x[0, :6]                   {:?}", head(&x, 6));
    println!("train: x_dropped[0, :6]    {:?}", head(&x_dropped, 6));
    println!("train: fraction zeroed     {:.3} (p = 0.2)", zeros_fraction(&x_dropped));
    let kept = x_dropped.to_vec::<f32>().into_iter().zip(x.to_vec::<f32>()).find(|(d, _)| *d != 0.0);
    println!("train: kept values are x * {} (1/(1 - p))", kept.map_or(0.0, |(d, x)| d / x));
    dropout.eval();
    let x_eval = Layer::forward(&dropout, &x);
    println!("eval:  x_dropped[0, :6]    {:?}", head(&x_eval, 6));
    println!("eval:  identical to x?     {}", x_eval.equal(&x));

    // ----- BatchNorm -----
    println!("\n== BatchNorm1d ==");
    manual_seed(0); // Dropout drew its mask differently from PyTorch: start this section afresh
    let mut model = ModelWithBatchNorm::new();
    println!("{model}");
    let running_mean = |m: &ModelWithBatchNorm| head(&m.bn1.running_mean.as_ref().expect("tracked").value(), 4);
    let batches_tracked = |m: &ModelWithBatchNorm| m.bn1.num_batches_tracked.as_ref().expect("tracked").value().to_vec::<i64>()[0];
    let train_data = Tensor::rand(&[64, 784]);
    let test_data = Tensor::rand(&[8, 784]);
    println!("before:                  running_mean[:4] {:?}, num_batches_tracked {}", running_mean(&model), batches_tracked(&model));
    // Training mode: output = model(train_data) normalises with the batch's statistics.
    model.train();
    let output = model.forward(&train_data);
    println!("after train forward:     running_mean[:4] {:?}, num_batches_tracked {}", running_mean(&model), batches_tracked(&model));
    println!("train output {:?}", output.shape());
    // So a sample's output depends on the rest of its batch (and each training forward, this
    // one too, moves the running statistics).
    let in_pair = model.forward(&train_data.narrow(0, 0, 2));
    println!("train: sample 0 in its batch of 64 vs in a batch of 2: {:?} vs {:?}", head(&output, 3), head(&in_pair, 3));
    println!("after 2nd train forward: running_mean[:4] {:?}, num_batches_tracked {}", running_mean(&model), batches_tracked(&model));
    let stats_before_eval = running_mean(&model);
    model.eval();
    let predictions = model.forward(&test_data);
    println!("after eval forward:      running_mean[:4] {:?}, num_batches_tracked {}", running_mean(&model), batches_tracked(&model));
    println!("eval: running statistics unchanged? {}", running_mean(&model) == stats_before_eval);
    // In evaluation mode each sample is normalised with the running statistics, on its own.
    let one = model.forward(&test_data.narrow(0, 0, 1));
    println!("eval: sample 0 in its batch vs alone: {:?} vs {:?}", head(&predictions, 3), head(&one, 3));

    // ----- model.train() / model.eval() -----
    println!("\n== train() / eval() ==");
    let mut model = NeuralNetWithDropout::new();
    // Training mode (enables dropout, batch norm updates)
    model.train();
    let output = model.forward(&train_data);
    let again = model.forward(&train_data);
    println!("training: {}; two forwards agree? {}", model.is_training(), output.equal(&again));
    // Evaluation mode (disables dropout, uses running stats)
    model.eval();
    let predictions = model.forward(&test_data);
    let again = model.forward(&test_data);
    println!("training: {}; two forwards agree? {}", model.is_training(), predictions.equal(&again));
    println!("predictions[0] {:?}", head(&predictions, 10));
}
