//! The four workloads of issue 6, shared by `benches/train_step.rs` (criterion timings) and
//! `benches/train_rss.rs` (one training run per process, for peak resident memory).
//!
//! A training step is PyTorch's
//! `opt.zero_grad(set_to_none=True); loss = ce(net(x), t); loss.backward(); opt.step()`:
//! `forward_train`, `CrossEntropyLoss::forward_backward_with` (mean reduction, fixed labels, its
//! buffers kept in a `LossCtx`),
//! `backward` (no gradient for the input), `Sgd::step` (lr 0.01, no momentum) and `zero_grad`.
//! Inference is `Layer::forward` (nothing saved).
//!
//! All four networks are one-line `network!` `Sequential`s.

#![allow(dead_code)]

use fusenet::module::Layer;
use fusenet::nn::loss::CrossEntropyLoss;
use fusenet::nn::LossCtx;
use fusenet::nn::{Conv2d, Flatten, Linear, MaxPool2d, ReLU};
use fusenet::optim::{FusedUpdate, Optimizer, Sgd};
use fusenet::prelude::*;

network! {
    /// `Sequential(Linear(20, 256), ReLU(), Linear(256, 10))`: the d2l seed MLP.
    pub struct SeedMlp = Sequential(Linear<20, 256>, ReLU, Linear<256, 10>);
}

network! {
    /// `Sequential(Linear(784, 256), ReLU(), Linear(256, 256), ReLU(), Linear(256, 10))`.
    pub struct MnistMlp = Sequential(Linear<784, 256>, ReLU, Linear<256, 256>, ReLU, Linear<256, 10>);
}

network! {
    /// Three 1024-wide hidden layers: 1024-1024-1024-1024-10.
    pub struct WideMlp = Sequential(
        Linear<1024, 1024>, ReLU, Linear<1024, 1024>, ReLU, Linear<1024, 1024>, ReLU, Linear<1024, 10>
    );
}

network! {
    /// LeNet-5 with ReLU and max pooling, on `[N, 1, 28, 28]`: conv(1→6,5)-relu-maxpool2-
    /// conv(6→16,5)-relu-maxpool2-flatten-fc(256→120)-relu-fc(120→84)-relu-fc(84→10).
    pub struct LeNet = Sequential(
        Conv2d<1, 6, 5>, ReLU, MaxPool2d = MaxPool2d::new(2),
        Conv2d<6, 16, 5>, ReLU, MaxPool2d = MaxPool2d::new(2),
        Flatten, Linear<_, 120>, ReLU, Linear<120, 84>, ReLU, Linear<84, 10>,
    ) : [B, 1, 28, 28];
}

/// One workload: its name, batch, input shape and the FLOPs of one step.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub name: &'static str,
    pub batch: usize,
    /// Input shape after the batch dim.
    pub input: &'static [usize],
}

/// The four workloads of issue 6.
pub const SPECS: [Spec; 4] = [
    Spec { name: "seed_mlp_b2", batch: 2, input: &[20] },
    Spec { name: "mnist_mlp_b128", batch: 128, input: &[784] },
    Spec { name: "wide_mlp_b512", batch: 512, input: &[1024] },
    Spec { name: "lenet_b64", batch: 64, input: &[1, 28, 28] },
];

/// A network with its training state, fixed input and fixed labels.
pub trait Step: Send {
    /// One training step; returns the loss.
    fn train_step(&mut self) -> f32;
    /// Whether the steps apply the SGD update inside the backward (`Layer::backward_with`)
    /// instead of `backward` then `Sgd::step`; the parameters come out the same.
    fn set_fused(&mut self, on: bool);
    /// One inference forward; returns the logits.
    fn infer(&self) -> Tensor;
    /// One training step with each piece timed, in seconds:
    /// `[forward_train, loss forward+backward, backward, opt.step, zero_grad]`.
    fn train_step_pieces(&mut self) -> [f64; 5];
}

pub struct Runner<N: Layer> {
    net: N,
    ctx: N::Ctx,
    opt: Sgd,
    fused: bool,
    loss: CrossEntropyLoss,
    /// The loss's kept buffers (its value, gradient and scratch), reused every step.
    loss_ctx: LossCtx,
    x: Tensor,
    labels: Tensor,
}

impl<N: Layer> Runner<N> {
    fn new(net: N, spec: &Spec) -> Runner<N> {
        let mut shape = vec![spec.batch];
        shape.extend_from_slice(spec.input);
        let x = Tensor::randn(&shape);
        let labels = Tensor::from_vec((0..spec.batch as i64).map(|i| i % 10).collect::<Vec<i64>>(), &[spec.batch]);
        let opt = Sgd::new(net.parameters(), 0.01);
        Runner { net, ctx: Default::default(), opt, fused: false, loss: CrossEntropyLoss::new(), loss_ctx: LossCtx::default(), x, labels }
    }
}

impl<N: Layer> Runner<N> {
    fn backward(&mut self, grad: &Tensor) {
        let update: Option<&dyn FusedUpdate> = if self.fused { Some(&self.opt) } else { None };
        self.net.backward_with(&mut self.ctx, grad, false, update);
    }
}

impl<N: Layer + Send> Step for Runner<N> {
    fn set_fused(&mut self, on: bool) {
        self.fused = on;
    }

    fn train_step(&mut self) -> f32 {
        let y = self.net.forward_train(&self.x, &mut self.ctx);
        let (loss, grad) = self.loss.forward_backward_with(&y, &self.labels, &mut self.loss_ctx).expect("labels are in range");
        self.backward(&grad);
        self.opt.step();
        self.opt.zero_grad();
        loss.item()
    }

    fn infer(&self) -> Tensor {
        Layer::forward(&self.net, &self.x)
    }

    fn train_step_pieces(&mut self) -> [f64; 5] {
        let t0 = std::time::Instant::now();
        let y = self.net.forward_train(&self.x, &mut self.ctx);
        let t1 = std::time::Instant::now();
        let (_loss, grad) = self.loss.forward_backward_with(&y, &self.labels, &mut self.loss_ctx).expect("labels are in range");
        let t2 = std::time::Instant::now();
        self.backward(&grad);
        let t3 = std::time::Instant::now();
        self.opt.step();
        let t4 = std::time::Instant::now();
        self.opt.zero_grad();
        let t5 = std::time::Instant::now();
        [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4].map(|d| d.as_secs_f64())
    }
}

/// One GEMM `C[m, n] = op(A)[m, k]·op(B)[k, n]`: `(m, k, n, a_transposed, b_transposed)`.
pub type Gemm = (usize, usize, usize, bool, bool);

/// The GEMMs of one step of `spec`, as [`Gemm`]s, for the floor
/// that `gemm_floor` times: `(forward, train step)`. Linear `[B, in] -> [B, out]` with weight
/// `[out, in]`: forward `X·Wᵀ`, weight gradient `Gᵀ·X`, input gradient `G·W` (not for the first
/// layer). A convolution is its im2col GEMM per sample: `W[c_out, c_in·k²]·cols[c_in·k², h·w]`,
/// weight gradient `G·colsᵀ`, input gradient `Wᵀ·G` (then col2im, not counted).
pub fn gemms(spec: &Spec) -> (Vec<Gemm>, Vec<Gemm>) {
    let b = spec.batch;
    type Fc = Vec<(usize, usize)>;
    type Conv = Vec<(usize, usize, usize)>;
    let (fc, convs): (Fc, Conv) = match spec.name {
        "seed_mlp_b2" => (vec![(20, 256), (256, 10)], vec![]),
        "mnist_mlp_b128" => (vec![(784, 256), (256, 256), (256, 10)], vec![]),
        "wide_mlp_b512" => (vec![(1024, 1024), (1024, 1024), (1024, 1024), (1024, 10)], vec![]),
        // (c_out, c_in·k², output pixels)
        _ => (vec![(256, 120), (120, 84), (84, 10)], vec![(6, 25, 576), (16, 150, 64)]),
    };
    let (mut fwd, mut train) = (Vec::new(), Vec::new());
    for (i, &(co, kk, px)) in convs.iter().enumerate() {
        for _ in 0..b {
            fwd.push((co, kk, px, false, false));
            train.push((co, kk, px, false, false));
            train.push((co, px, kk, false, true));
            if i > 0 {
                train.push((kk, co, px, true, false));
            }
        }
    }
    for (i, &(inp, out)) in fc.iter().enumerate() {
        fwd.push((b, inp, out, false, true));
        train.push((b, inp, out, false, true));
        train.push((out, b, inp, true, false));
        if i > 0 || !convs.is_empty() {
            train.push((b, out, inp, false, false));
        }
    }
    (fwd, train)
}

/// Runs `list` once through `fusenet::kernels::cpu::gemm::sgemm` on preallocated buffers: the
/// arithmetic of a step with nothing else (no allocation, no elementwise pass, no locking).
pub fn run_gemms(list: &[Gemm], scratch: &mut [Vec<f32>; 3]) {
    use fusenet::kernels::cpu::gemm::sgemm;
    for &(m, k, n, ta, tb) in list {
        for (buf, len) in scratch.iter_mut().zip([m * k, k * n, m * n]) {
            if buf.len() < len {
                buf.resize(len, 0.01);
            }
        }
        let [a, bm, c] = scratch;
        let (rsa, csa) = if ta { (1, m as isize) } else { (k as isize, 1) };
        let (rsb, csb) = if tb { (1, k as isize) } else { (n as isize, 1) };
        sgemm(m, k, n, 1.0, &a[..m * k], rsa, csa, &bm[..k * n], rsb, csb, 0.0, &mut c[..m * n], n as isize, 1);
    }
}

/// The workload `name`, built after `manual_seed(0)`; `None` for an unknown name.
pub fn build(name: &str) -> Option<(Spec, Box<dyn Step>)> {
    let spec = *SPECS.iter().find(|s| s.name == name)?;
    manual_seed(0);
    let step: Box<dyn Step> = match name {
        "seed_mlp_b2" => Box::new(Runner::new(SeedMlp::new(), &spec)),
        "mnist_mlp_b128" => Box::new(Runner::new(MnistMlp::new(), &spec)),
        "wide_mlp_b512" => Box::new(Runner::new(WideMlp::new(), &spec)),
        "lenet_b64" => Box::new(Runner::new(LeNet::new(), &spec)),
        _ => return None,
    };
    Some((spec, step))
}
