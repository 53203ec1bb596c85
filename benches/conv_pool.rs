//! Forward + backward timings of LeNet's convolution and pooling layers (batch 64, f32), through
//! the `Layer` API a `network!` step uses (a persistent ctx, the returned tensors dropped).
//!
//! `cargo bench --bench conv_pool` prints the median and minimum of 200 repetitions per layer
//! (after 20 warm-up ones); conv2 also without `dx` and forward only, to split its time.
//! `cargo bench --bench conv_pool -- shapes` adds other small layers (batch 32).
//! Timings are reported, never asserted.

use fusenet::Tensor;
use fusenet::module::Layer;
use fusenet::nn::{Conv2d, MaxPool2d};
use std::hint::black_box;
use std::time::Instant;

/// `(median, minimum)` in µs; the minimum is the steadier figure on a busy machine.
fn median_us(mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..20 {
        f();
    }
    let mut t: Vec<f64> = (0..200)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    t.sort_by(f64::total_cmp);
    (t[t.len() / 2], t[0])
}

fn step<L: Layer>(layer: &L, x: &Tensor, gy: &Tensor, ctx: &mut L::Ctx, need_dx: bool) {
    let y = layer.forward_train(x, ctx);
    black_box(&y);
    drop(y);
    black_box(layer.backward(ctx, gy, need_dx));
}

fn main() {
    fusenet::manual_seed(0);
    let n = 64;
    let x1 = Tensor::randn(&[n, 1, 28, 28]);
    let x2 = Tensor::randn(&[n, 6, 12, 12]);
    let conv1 = Conv2d::<1, 6, 5>::new();
    let conv2 = Conv2d::<6, 16, 5>::new();
    let pool = MaxPool2d::new(2);
    let p1 = Tensor::randn(&[n, 6, 24, 24]);
    let p2 = Tensor::randn(&[n, 16, 8, 8]);
    let (g1, g2) = (Tensor::randn(&[n, 6, 24, 24]), Tensor::randn(&[n, 16, 8, 8]));
    let (gp1, gp2) = (Tensor::randn(&[n, 6, 12, 12]), Tensor::randn(&[n, 16, 4, 4]));

    let mut c1 = Default::default();
    let mut c2 = Default::default();
    let mut c3 = Default::default();
    let mut c4 = Default::default();
    let (mut c5, mut c6) = (Default::default(), Default::default());
    let rows = [
        ("conv1 1->6 k5 28x28 (no dx)", median_us(|| step(&conv1, &x1, &g1, &mut c1, false))),
        ("conv2 6->16 k5 12x12 (+dx)", median_us(|| step(&conv2, &x2, &g2, &mut c2, true))),
        ("conv2 6->16 k5 12x12 (no dx)", median_us(|| step(&conv2, &x2, &g2, &mut c5, false))),
        ("conv2 6->16 k5 12x12 forward", median_us(|| drop(black_box(conv2.forward_train(&x2, &mut c6))))),
        ("maxpool2 6x24x24", median_us(|| step(&pool, &p1, &gp1, &mut c3, true))),
        ("maxpool2 16x8x8", median_us(|| step(&pool, &p2, &gp2, &mut c4, true))),
    ];
    for (name, (med, min)) in rows {
        println!("{name:32} median {med:9.1} µs, min {min:9.1} µs  (forward_train + backward, batch {n})");
    }
    if std::env::args().any(|a| a == "shapes") {
        shapes();
    }
}

/// `conv_pool shapes`: other small layers, for the direct multi-channel convolution's
/// applicability rule (forward + backward with `dx`, batch 32).
fn shapes() {
    fn row<L: Layer>(name: &str, layer: &L, x: &[usize], y: &[usize]) {
        let (x, gy, mut ctx) = (Tensor::randn(x), Tensor::randn(y), Default::default());
        let (med, min) = median_us(|| step(layer, &x, &gy, &mut ctx, true));
        println!("{name:32} median {med:9.1} µs, min {min:9.1} µs  (forward_train + backward, batch 32)");
    }
    let n = 32;
    row("conv 16->32 k3 p1 16x16", &Conv2d::<16, 32, 3>::new().padding(1), &[n, 16, 16, 16], &[n, 32, 16, 16]);
    row("conv 32->64 k3 p1 8x8", &Conv2d::<32, 64, 3>::new().padding(1), &[n, 32, 8, 8], &[n, 64, 8, 8]);
    row("conv 3->8 k5 p2 16x16", &Conv2d::<3, 8, 5>::new().padding(2), &[n, 3, 16, 16], &[n, 8, 16, 16]);
    row("conv 16->32 k3 p1 32x32", &Conv2d::<16, 32, 3>::new().padding(1), &[n, 16, 32, 32], &[n, 32, 32, 32]);
    row("conv 64->128 k3 p1 8x8", &Conv2d::<64, 128, 3>::new().padding(1), &[n, 64, 8, 8], &[n, 128, 8, 8]);
}
