//! The training loop: one epoch of updates, an evaluation pass, and `fit` around both.

use super::Criterion;
use crate::data::{DataLoader, Dataset};
use crate::error::Result;
use crate::module::Layer;
use crate::optim::Optimizer;
use crate::pool::in_pool;
use crate::tensor::Tensor;
use std::time::Instant;

/// What one epoch of [`fit`] measured.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochStats {
    /// 1-based.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (weighted by batch size).
    pub train_loss: f64,
    /// Mean loss on the evaluation set.
    pub test_loss: f64,
    /// Fraction of evaluation samples whose arg-max prediction equals the label.
    pub test_accuracy: f64,
    /// Training samples per second.
    pub throughput: f64,
    /// The training loss of every batch, in order (for loss curves).
    pub batch_losses: Vec<f64>,
}

/// Options of [`fit`].
#[derive(Clone, Debug)]
pub struct FitOptions {
    pub epochs: usize,
    /// Show an `indicatif` progress bar with the running loss and throughput.
    pub progress: bool,
    /// Print one line per epoch: train loss, test loss, accuracy.
    pub print: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { epochs: 1, progress: true, print: true }
    }
}

/// One pass over `loader`: for each batch `(x, t)`, `forward_train`, the loss and its gradient,
/// `backward`, `step`, `zero_grad` — the seeds' hand-written loop. Returns the loss of each batch.
/// The backward is `backward_with` the optimiser ([`Optimizer::as_fused`]), so plain SGD updates
/// a network's `Linear` layers inside it; the parameters are those of `backward` then `step`.
///
/// `ctx` is the model's training context: keep one and pass it every time, so its buffers are
/// reused from step to step.
pub fn train_epoch<M, O, C, D>(
    model: &mut M,
    ctx: &mut M::Ctx,
    optimizer: &mut O,
    criterion: &C,
    loader: &DataLoader<D, (Tensor, Tensor)>,
    mut on_batch: impl FnMut(usize, f64),
) -> Result<Vec<f64>>
where
    M: Layer,
    O: Optimizer,
    C: Criterion,
    D: Dataset + 'static,
{
    model.train();
    let mut losses = Vec::with_capacity(loader.len());
    let mut loss_ctx = C::Ctx::default();
    for (x, t) in loader {
        let y = model.forward_train(&x, ctx);
        let (loss, grad) = criterion.loss_and_grad_with(&y, &t, &mut loss_ctx)?;
        drop(y);
        model.backward_with(ctx, &grad, false, optimizer.as_fused());
        optimizer.step();
        optimizer.zero_grad();
        let loss = loss.item() as f64;
        losses.push(loss);
        on_batch(x.shape()[0], loss);
    }
    Ok(losses)
}

/// Mean loss and arg-max accuracy of `model` on `loader`, in eval mode and without saving
/// anything for backward (PyTorch's `model.eval()` under `torch.no_grad()`).
pub fn evaluate<M, C, D>(model: &mut M, criterion: &C, loader: &DataLoader<D, (Tensor, Tensor)>) -> Result<(f64, f64)>
where
    M: Layer,
    C: Criterion,
    D: Dataset + 'static,
{
    model.eval();
    let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
    for (x, t) in loader {
        let y = model.forward(&x);
        let n = x.shape()[0];
        loss_sum += criterion.loss(&y, &t)?.item() as f64 * n as f64;
        correct += y.argmax_dim(1, false).eq(&t).sum().item_i64() as usize;
        seen += n;
    }
    model.train();
    let seen = seen.max(1) as f64;
    Ok((loss_sum / seen, correct as f64 / seen))
}

/// Trains `model` for `options.epochs` epochs and evaluates it after each; returns the stats.
/// Each epoch runs on the compute pool's threads ([`in_pool`]).
///
/// ```no_run
/// # use fusenet_runtime::{data::*, nn::{Linear, loss::CrossEntropyLoss}, optim::Sgd, train::*, Module, Tensor};
/// # let (x, y) = (Tensor::rand(&[64, 4]), Tensor::zeros_dtype(&[64], fusenet_runtime::DType::I64));
/// let mut net = Linear::<4, 3>::new();
/// let mut opt = Sgd::new(net.parameters(), 0.1);
/// let train = DataLoader::new(TensorDataset::new((x.shallow_clone(), y.shallow_clone())), 16).shuffle(true).seed(0);
/// let test = DataLoader::new(TensorDataset::new((x, y)), 64);
/// let stats = fit(&mut net, &mut opt, &CrossEntropyLoss::new(), &train, &test, &FitOptions::default()).unwrap();
/// ```
pub fn fit<M, O, C, D, E>(
    model: &mut M,
    optimizer: &mut O,
    criterion: &C,
    train: &DataLoader<D, (Tensor, Tensor)>,
    test: &DataLoader<E, (Tensor, Tensor)>,
    options: &FitOptions,
) -> Result<Vec<EpochStats>>
where
    M: Layer + Send,
    O: Optimizer + Send,
    C: Criterion + Sync,
    D: Dataset + 'static,
    E: Dataset + 'static,
{
    let mut ctx = M::Ctx::default();
    let mut history = Vec::with_capacity(options.epochs);
    for epoch in 1..=options.epochs {
        let bar = options.progress.then(|| progress_bar(epoch, options.epochs, train.len()));
        let start = Instant::now();
        let (mut samples, mut running) = (0usize, 0.0f64);
        // On the pool's threads, the step's parallel ops fork in place (see `pool::in_pool`).
        let losses = in_pool(|| {
            train_epoch(model, &mut ctx, optimizer, criterion, train, |n, loss| {
                samples += n;
                running = if running == 0.0 { loss } else { 0.95 * running + 0.05 * loss };
                if let Some(bar) = &bar {
                    bar.set_message(format!("loss {running:.4}  {:.0} samples/s", samples as f64 / start.elapsed().as_secs_f64()));
                    bar.inc(1);
                }
            })
        })?;
        let throughput = samples as f64 / start.elapsed().as_secs_f64().max(1e-9);
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        let (test_loss, test_accuracy) = in_pool(|| evaluate(model, criterion, test))?;
        let train_loss = losses.iter().sum::<f64>() / losses.len().max(1) as f64;
        if options.print {
            println!(
                "epoch {epoch:>3}/{}: train loss {train_loss:.4}, test loss {test_loss:.4}, test accuracy {:.2}%, {throughput:.0} samples/s",
                options.epochs,
                100.0 * test_accuracy
            );
        }
        history.push(EpochStats { epoch, train_loss, test_loss, test_accuracy, throughput, batch_losses: losses });
    }
    Ok(history)
}

fn progress_bar(epoch: usize, epochs: usize, batches: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(batches as u64);
    let style = indicatif::ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(format!("{epoch}/{epochs}"));
    bar
}
