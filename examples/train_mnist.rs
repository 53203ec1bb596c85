//! The main job: train a LeNet-style CNN (written with `network!`) on the bundled MNIST subset (8,000 training and 2,000 test
//! digits under `data/mnist/`), print per-epoch loss and accuracy, save the model as safetensors
//! and write a loss curve. Run with `cargo run --release --example train_mnist` (8 epochs of Adam,
//! lr 1e-3, batch 64: 96.6% test accuracy in about 2 s of training on 2 cores).

use fusenet::data::mnist::Mnist;
use fusenet::data::{DataLoader, Dataset};
use fusenet::nn::loss::CrossEntropyLoss;
use fusenet::nn::{Conv2d, Flatten, Linear, MaxPool2d, ReLU};
use fusenet::optim::Adam;
use fusenet::prelude::*;
use fusenet::train::{FitOptions, fit};

network! {
    /// LeNet-5 (with ReLU and max pooling): every shape below is checked at compile time, and
    /// `Linear<_, 120>` infers its 400 inputs from the flattened `[B, 16, 5, 5]`.
    pub struct LeNet = Sequential(
        Conv2d<1, 6, 5> = Conv2d::new().padding(2),
        ReLU,
        MaxPool2d = MaxPool2d::new(2),
        Conv2d<6, 16, 5>,
        ReLU,
        MaxPool2d = MaxPool2d::new(2),
        Flatten,
        Linear<_, 120>,
        ReLU,
        Linear<120, 84>,
        ReLU,
        Linear<84, 10>,
    ) : [B, 1, 28, 28];
}

fn main() -> fusenet::Result<()> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist");
    let train = Mnist::load(dir, true)?.normalize();
    let test = Mnist::load(dir, false)?.normalize();
    println!("MNIST subset: {} training and {} test digits", train.len(), test.len());

    manual_seed(0);
    let mut net = LeNet::new();
    println!("{net}");
    net.print_summary();
    let mut opt = Adam::new(net.parameters(), 1e-3);
    let train = DataLoader::new(train.into_dataset(), 64).shuffle(true).seed(0).num_workers(1);
    let test = DataLoader::new(test.into_dataset(), 500);
    let start = std::time::Instant::now();
    let history = fit(&mut net, &mut opt, &CrossEntropyLoss::new(), &train, &test, &FitOptions { epochs: 8, ..Default::default() })?;
    let last = history.last().expect("at least one epoch");
    println!("trained in {:.1} s: test accuracy {:.2}%", start.elapsed().as_secs_f64(), 100.0 * last.test_accuracy);

    let out = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/target/train_mnist"));
    std::fs::create_dir_all(out).map_err(|source| fusenet::Error::Io { path: out.to_path_buf(), source })?;
    fusenet::io::save_state_dict(out.join("mnist_model.safetensors"), &net.state_dict())?;
    let losses: Vec<f64> = history.iter().flat_map(|e| e.batch_losses.iter().copied()).collect();
    plot_losses(&out.join("loss_curve.svg"), &losses, train.len()).map_err(|e| fusenet::Error::Format { path: out.join("loss_curve.svg"), msg: e })?;
    println!("saved {} and {}", out.join("mnist_model.safetensors").display(), out.join("loss_curve.svg").display());
    Ok(())
}

/// The training loss of every batch against the epoch, as an SVG line chart.
fn plot_losses(path: &std::path::Path, losses: &[f64], batches_per_epoch: usize) -> Result<(), String> {
    use plotters::prelude::*;
    let root = SVGBackend::new(path, (800, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let epochs = losses.len() as f64 / batches_per_epoch.max(1) as f64;
    let top = losses.iter().cloned().fold(0.0, f64::max) * 1.05;
    let mut chart = ChartBuilder::on(&root)
        .caption("train_mnist: training loss per batch", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..epochs, 0.0..top)
        .map_err(|e| e.to_string())?;
    chart.configure_mesh().x_desc("epoch").y_desc("cross-entropy loss").draw().map_err(|e| e.to_string())?;
    let points = losses.iter().enumerate().map(|(i, &l)| (i as f64 / batches_per_epoch as f64, l));
    chart.draw_series(LineSeries::new(points, &BLUE)).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}
