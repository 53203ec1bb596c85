//! Fused optimiser updates: one pass over a parameter, its gradient and its state buffers.
//!
//! Each function is PyTorch's single-tensor (`foreach=False`) update for one parameter, with every
//! tensor op of `torch/optim/<name>.py` applied to one element at a time in the same order.
//! PyTorch's CPU kernels (AVX2/AVX512 builds) evaluate `add(x, alpha=a)`, `addcmul` and `lerp` as
//! fused multiply-adds; these loops use [`f32::mul_add`] at exactly those places, so a step equals
//! PyTorch's bit for bit (checked in `tests/optim/parity.rs`). Scalars that PyTorch computes in
//! Python (`f64`) and casts to the tensor's dtype arrive here already cast: the `*Step` structs
//! hold `f32`s.
//!
//! On x86-64 the loops are compiled a second time with the `fma` target feature and chosen at run
//! time; without it `mul_add` is the (exact, slower) libm `fmaf`, so results never depend on the
//! CPU. (A third copy with AVX-512F, 16 lanes, measured no faster: seed_mlp_b2's SGD step 0.8 →
//! 0.9 µs, wide_mlp_b512's 0.94 → 1.15 ms; the update is bound by memory and per-call costs.)
//! Slices must all have the parameter's length (optional buffers are empty when absent).
//! From [`par_threshold`] elements the pass is split in halves on rayon until the pieces are at
//! most [`PAR_MIN_CHUNK`] long; the update is elementwise, so the schedule never changes a bit.
//!
//! ```
//! use fusenet_kernels::cpu::optim::{sgd_step, SgdStep};
//! let mut p = [1.0f32, 2.0];
//! let g = [0.5f32, -1.0];
//! let cfg = SgdStep { neg_lr: -0.1, weight_decay: 0.0, momentum: 0.0, one_minus_dampening: 1.0, nesterov: false, maximize: false };
//! sgd_step(&mut p, &g, &mut [], false, &cfg);
//! assert_eq!(p, [(-0.1f32).mul_add(0.5, 1.0), (-0.1f32).mul_add(-1.0, 2.0)]);
//! ```

use super::parallel::{PAR_MIN_CHUNK, par_threshold};

/// The slices one update touches: the parameter, its gradient and up to three state buffers.
/// An absent buffer is an empty slice.
struct Lanes<'a> {
    p: &'a mut [f32],
    g: &'a [f32],
    s: [&'a mut [f32]; 3],
}

fn split_opt(s: &mut [f32], mid: usize) -> (&mut [f32], &mut [f32]) {
    if s.is_empty() { (s, &mut []) } else { s.split_at_mut(mid) }
}

/// One update rule applied to a piece of the lanes. `run` must be `#[inline(always)]` so that
/// it is compiled with the features of [`run_fma`].
trait Body: Sync {
    fn run(&self, l: Lanes<'_>);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
fn run_fma<B: Body>(body: &B, l: Lanes<'_>) {
    body.run(l)
}

fn exec<B: Body>(body: &B, l: Lanes<'_>) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports FMA (checked just above), the only feature `run_fma` enables.
        unsafe { run_fma(body, l) };
        return;
    }
    body.run(l)
}

impl<'a> Lanes<'a> {
    fn new(p: &'a mut [f32], g: &'a [f32], s: [&'a mut [f32]; 3], op: &str) -> Lanes<'a> {
        let n = p.len();
        assert_eq!(g.len(), n, "{op}: gradient has {} elements, parameter has {n}", g.len());
        for b in &s {
            assert!(b.is_empty() || b.len() == n, "{op}: state buffer has {} elements, parameter has {n}", b.len());
        }
        Lanes { p, g, s }
    }

    fn split(self, mid: usize) -> (Lanes<'a>, Lanes<'a>) {
        let (p0, p1) = self.p.split_at_mut(mid);
        let (g0, g1) = self.g.split_at(mid);
        let [a, b, c] = self.s;
        let (a0, a1) = split_opt(a, mid);
        let (b0, b1) = split_opt(b, mid);
        let (c0, c1) = split_opt(c, mid);
        (Lanes { p: p0, g: g0, s: [a0, b0, c0] }, Lanes { p: p1, g: g1, s: [a1, b1, c1] })
    }

    /// Runs `body` on the whole lanes, or on halves in parallel while above the chunk size.
    /// Recursive halving allocates nothing, unlike collecting chunk lists.
    fn run<B: Body>(self, parallel: bool, body: &B) {
        let n = self.p.len();
        if !parallel || n <= PAR_MIN_CHUNK {
            exec(body, self);
        } else {
            let (l, r) = self.split(n / 2);
            rayon::join(|| l.run(true, body), || r.run(true, body));
        }
    }

    fn dispatch<B: Body>(self, body: &B) {
        let parallel = self.p.len() >= par_threshold();
        self.run(parallel, body);
    }
}

/// `torch.lerp(start, end, w)` for one element, as PyTorch's CPU kernel computes it: one fused
/// multiply-add from the nearer end (`|w| < 0.5` picks `start`).
#[inline(always)]
pub fn lerp(start: f32, end: f32, w: f32) -> f32 {
    if w.abs() < 0.5 { w.mul_add(end - start, start) } else { (w - 1.0).mul_add(end - start, end) }
}

/// `torch.maximum`: NaN in either operand propagates.
#[inline(always)]
fn maximum(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() { f32::NAN } else { a.max(b) }
}

/// Scalars of one SGD update, cast to `f32` as PyTorch casts them.
#[derive(Clone, Copy, Debug)]
pub struct SgdStep {
    /// `-lr`.
    pub neg_lr: f32,
    pub weight_decay: f32,
    pub momentum: f32,
    /// `1 - dampening`.
    pub one_minus_dampening: f32,
    pub nesterov: bool,
    pub maximize: bool,
}

struct Sgd<'c>(&'c SgdStep, bool);

impl Body for Sgd<'_> {
    #[inline(always)]
    fn run(&self, l: Lanes<'_>) {
        let (c, init_buf) = (self.0, self.1);
        let Lanes { p, g, s: [buf, _, _] } = l;
        let use_buf = c.momentum != 0.0;
        // Plain SGD, the common case, as a branch-free loop that vectorises (the general loop
        // below has five loop-invariant branches that LLVM does not unswitch: ~8× slower).
        // Same operation as the general loop: `p = (−lr)·g + p` in one fused multiply-add.
        if !use_buf && c.weight_decay == 0.0 && !c.maximize {
            for (pi, gi) in p.iter_mut().zip(g.iter()) {
                *pi = c.neg_lr.mul_add(*gi, *pi);
            }
            return;
        }
        // Momentum without weight decay or maximize: the two remaining switches as const
        // generics, so each of the four loops is branch-free.
        if c.weight_decay == 0.0 && !c.maximize {
            match (init_buf, c.nesterov) {
                (false, false) => momentum_loop::<false, false>(c, p, g, buf),
                (false, true) => momentum_loop::<false, true>(c, p, g, buf),
                (true, false) => momentum_loop::<true, false>(c, p, g, buf),
                (true, true) => momentum_loop::<true, true>(c, p, g, buf),
            }
            return;
        }
        for i in 0..p.len() {
            let mut d = if c.maximize { -g[i] } else { g[i] };
            if c.weight_decay != 0.0 {
                d = c.weight_decay.mul_add(p[i], d);
            }
            if use_buf {
                let b = if init_buf { d } else { c.one_minus_dampening.mul_add(d, buf[i] * c.momentum) };
                buf[i] = b;
                d = if c.nesterov { c.momentum.mul_add(b, d) } else { b };
            }
            p[i] = c.neg_lr.mul_add(d, p[i]);
        }
    }
}

/// SGD (`torch.optim.SGD`, single tensor):
///
/// ```text
/// g ← ±grad + wd·p
/// buf ← g                         (first step: `init_buf`)
/// buf ← momentum·buf + (1−dampening)·g
/// g ← g + momentum·buf (nesterov)  or  g ← buf
/// p ← p − lr·g
/// ```
///
/// `buf` is empty when `momentum == 0`. With `init_buf` the buffer's old contents are ignored.
pub fn sgd_step(p: &mut [f32], g: &[f32], buf: &mut [f32], init_buf: bool, c: &SgdStep) {
    assert!(c.momentum == 0.0 || !buf.is_empty() || p.is_empty(), "sgd_step: momentum needs a buffer");
    Lanes::new(p, g, [buf, &mut [], &mut []], "sgd_step").dispatch(&Sgd(c, init_buf));
}

/// The momentum update of [`Sgd`]'s general loop with `weight_decay = 0` and `maximize = false`:
/// `b = init ? g : (1 − dampening)·g + momentum·b`, `d = nesterov ? g + momentum·b : b`,
/// `p = p − lr·d`, with the same fused multiply-adds.
#[inline(always)]
fn momentum_loop<const INIT: bool, const NESTEROV: bool>(c: &SgdStep, p: &mut [f32], g: &[f32], buf: &mut [f32]) {
    for ((pi, &gi), bi) in p.iter_mut().zip(g.iter()).zip(buf.iter_mut()) {
        let b = if INIT { gi } else { c.one_minus_dampening.mul_add(gi, *bi * c.momentum) };
        *bi = b;
        let d = if NESTEROV { c.momentum.mul_add(b, gi) } else { b };
        *pi = c.neg_lr.mul_add(d, *pi);
    }
}

/// Scalars of one Adam/AdamW update.
#[derive(Clone, Copy, Debug)]
pub struct AdamStep {
    /// `1 - lr·weight_decay` for AdamW (decoupled), else `1`.
    pub decay_factor: f32,
    /// `weight_decay` for Adam's L2 penalty (coupled), else `0`.
    pub l2: f32,
    /// `1 - beta1`, the lerp weight.
    pub one_minus_beta1: f32,
    pub beta2: f32,
    pub one_minus_beta2: f32,
    /// `sqrt(1 - beta2^t)`.
    pub bias_correction2_sqrt: f32,
    /// `-lr / (1 - beta1^t)`.
    pub neg_step_size: f32,
    pub eps: f32,
    pub maximize: bool,
}

struct Adam<'c>(&'c AdamStep);

impl Body for Adam<'_> {
    #[inline(always)]
    fn run(&self, l: Lanes<'_>) {
        let c = self.0;
        let Lanes { p, g, s: [m, v, vmax] } = l;
        let amsgrad = !vmax.is_empty();
        // The common configurations (Adam or AdamW, no amsgrad, no L2 term, no maximize) as
        // branch-free loops; the switches that remain become const generics.
        if !amsgrad && c.l2 == 0.0 && !c.maximize {
            let small = c.one_minus_beta1.abs() < 0.5;
            match (c.decay_factor != 1.0, small) {
                (false, false) => adam_loop::<false, false>(c, p, g, m, v),
                (false, true) => adam_loop::<false, true>(c, p, g, m, v),
                (true, false) => adam_loop::<true, false>(c, p, g, m, v),
                (true, true) => adam_loop::<true, true>(c, p, g, m, v),
            }
            return;
        }
        for i in 0..p.len() {
            let mut d = if c.maximize { -g[i] } else { g[i] };
            if c.decay_factor != 1.0 {
                p[i] *= c.decay_factor;
            }
            if c.l2 != 0.0 {
                d = c.l2.mul_add(p[i], d);
            }
            m[i] = lerp(m[i], d, c.one_minus_beta1);
            v[i] = (c.one_minus_beta2 * d).mul_add(d, v[i] * c.beta2);
            let second = if amsgrad {
                vmax[i] = maximum(vmax[i], v[i]);
                vmax[i]
            } else {
                v[i]
            };
            let denom = second.sqrt() / c.bias_correction2_sqrt + c.eps;
            p[i] += c.neg_step_size * m[i] / denom;
        }
    }
}

/// Adam / AdamW (`torch.optim.Adam`, single tensor, non-capturable):
///
/// ```text
/// g ← ±grad;  p ← p·(1 − lr·wd) (AdamW)  or  g ← g + wd·p (Adam)
/// m ← lerp(m, g, 1−β₁);  v ← β₂·v + (1−β₂)·g·g;  v̂ ← max(v̂, v) (amsgrad)
/// p ← p − (lr / (1−β₁ᵗ))·m / (sqrt(v or v̂) / sqrt(1−β₂ᵗ) + eps)
/// ```
///
/// `max_exp_avg_sq` is empty unless amsgrad.
pub fn adam_step(p: &mut [f32], g: &[f32], exp_avg: &mut [f32], exp_avg_sq: &mut [f32], max_exp_avg_sq: &mut [f32], c: &AdamStep) {
    Lanes::new(p, g, [exp_avg, exp_avg_sq, max_exp_avg_sq], "adam_step").dispatch(&Adam(c));
}


/// [`Adam`]'s loop without amsgrad, L2 term or maximize: `DECAY` is AdamW's `p *= 1 − lr·wd`,
/// `SMALL_W` picks the branch of [`lerp`] that its loop-invariant weight takes. Same operations
/// as the general loop, in the same order.
#[inline(always)]
fn adam_loop<const DECAY: bool, const SMALL_W: bool>(c: &AdamStep, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    let w = c.one_minus_beta1;
    for (((pi, &d), mi), vi) in p.iter_mut().zip(g.iter()).zip(m.iter_mut()).zip(v.iter_mut()) {
        if DECAY {
            *pi *= c.decay_factor;
        }
        *mi = if SMALL_W { w.mul_add(d - *mi, *mi) } else { (w - 1.0).mul_add(d - *mi, d) };
        *vi = (c.one_minus_beta2 * d).mul_add(d, *vi * c.beta2);
        let denom = vi.sqrt() / c.bias_correction2_sqrt + c.eps;
        *pi += c.neg_step_size * *mi / denom;
    }
}

/// Scalars of one RMSprop update.
#[derive(Clone, Copy, Debug)]
pub struct RmspropStep {
    pub neg_lr: f32,
    pub weight_decay: f32,
    pub alpha: f32,
    pub one_minus_alpha: f32,
    pub eps: f32,
    pub momentum: f32,
    pub maximize: bool,
}

struct Rmsprop<'c>(&'c RmspropStep);

impl Body for Rmsprop<'_> {
    #[inline(always)]
    fn run(&self, l: Lanes<'_>) {
        let c = self.0;
        let Lanes { p, g, s: [sq, ga, buf] } = l;
        let (centered, use_buf) = (!ga.is_empty(), c.momentum > 0.0);
        for i in 0..p.len() {
            let mut d = if c.maximize { -g[i] } else { g[i] };
            if c.weight_decay != 0.0 {
                d = c.weight_decay.mul_add(p[i], d);
            }
            sq[i] = (c.one_minus_alpha * d).mul_add(d, sq[i] * c.alpha);
            let avg = if centered {
                ga[i] = lerp(ga[i], d, c.one_minus_alpha);
                (-ga[i]).mul_add(ga[i], sq[i]).sqrt()
            } else {
                sq[i].sqrt()
            } + c.eps;
            if use_buf {
                buf[i] = buf[i] * c.momentum + d / avg;
                p[i] = c.neg_lr.mul_add(buf[i], p[i]);
            } else {
                p[i] += c.neg_lr * d / avg;
            }
        }
    }
}

/// RMSprop (`torch.optim.RMSprop`, single tensor):
///
/// ```text
/// g ← ±grad + wd·p;  s ← α·s + (1−α)·g·g
/// avg ← sqrt(s − ḡ·ḡ) with ḡ ← lerp(ḡ, g, 1−α) (centered)  or  sqrt(s);  avg ← avg + eps
/// buf ← momentum·buf + g/avg;  p ← p − lr·buf    (momentum > 0)
/// p ← p − lr·g/avg                                 (otherwise)
/// ```
///
/// `grad_avg` is empty unless centered, `momentum_buffer` empty unless `momentum > 0`.
pub fn rmsprop_step(p: &mut [f32], g: &[f32], square_avg: &mut [f32], grad_avg: &mut [f32], momentum_buffer: &mut [f32], c: &RmspropStep) {
    assert!(c.momentum <= 0.0 || !momentum_buffer.is_empty() || p.is_empty(), "rmsprop_step: momentum needs a buffer");
    Lanes::new(p, g, [square_avg, grad_avg, momentum_buffer], "rmsprop_step").dispatch(&Rmsprop(c));
}

/// Scalars of one Adagrad update.
#[derive(Clone, Copy, Debug)]
pub struct AdagradStep {
    /// `-lr / (1 + (t−1)·lr_decay)`.
    pub neg_clr: f32,
    pub weight_decay: f32,
    pub eps: f32,
    pub maximize: bool,
}

struct Adagrad<'c>(&'c AdagradStep);

impl Body for Adagrad<'_> {
    #[inline(always)]
    fn run(&self, l: Lanes<'_>) {
        let c = self.0;
        let Lanes { p, g, s: [sum, _, _] } = l;
        for i in 0..p.len() {
            let mut d = if c.maximize { -g[i] } else { g[i] };
            if c.weight_decay != 0.0 {
                d = c.weight_decay.mul_add(p[i], d);
            }
            sum[i] = d.mul_add(d, sum[i]);
            let std = sum[i].sqrt() + c.eps;
            p[i] += c.neg_clr * d / std;
        }
    }
}

/// Adagrad (`torch.optim.Adagrad`, dense, single tensor):
///
/// ```text
/// g ← ±grad + wd·p;  sum ← sum + g·g;  p ← p − clr·g / (sqrt(sum) + eps)
/// ```
pub fn adagrad_step(p: &mut [f32], g: &[f32], sum: &mut [f32], c: &AdagradStep) {
    Lanes::new(p, g, [sum, &mut [], &mut []], "adagrad_step").dispatch(&Adagrad(c));
}

/// Scalars of one Adadelta update.
#[derive(Clone, Copy, Debug)]
pub struct AdadeltaStep {
    pub neg_lr: f32,
    pub weight_decay: f32,
    pub rho: f32,
    pub one_minus_rho: f32,
    pub eps: f32,
    pub maximize: bool,
}

struct Adadelta<'c>(&'c AdadeltaStep);

impl Body for Adadelta<'_> {
    #[inline(always)]
    fn run(&self, l: Lanes<'_>) {
        let c = self.0;
        let Lanes { p, g, s: [sq, acc, _] } = l;
        for i in 0..p.len() {
            let mut d = if c.maximize { -g[i] } else { g[i] };
            if c.weight_decay != 0.0 {
                d = c.weight_decay.mul_add(p[i], d);
            }
            sq[i] = (c.one_minus_rho * d).mul_add(d, sq[i] * c.rho);
            let std = (sq[i] + c.eps).sqrt();
            let delta = (acc[i] + c.eps).sqrt() / std * d;
            acc[i] = (c.one_minus_rho * delta).mul_add(delta, acc[i] * c.rho);
            p[i] = c.neg_lr.mul_add(delta, p[i]);
        }
    }
}

/// Adadelta (`torch.optim.Adadelta`, single tensor):
///
/// ```text
/// g ← ±grad + wd·p;  s ← ρ·s + (1−ρ)·g·g
/// δ ← sqrt(a + eps) / sqrt(s + eps) · g;  a ← ρ·a + (1−ρ)·δ·δ;  p ← p − lr·δ
/// ```
pub fn adadelta_step(p: &mut [f32], g: &[f32], square_avg: &mut [f32], acc_delta: &mut [f32], c: &AdadeltaStep) {
    Lanes::new(p, g, [square_avg, acc_delta, &mut []], "adadelta_step").dispatch(&Adadelta(c));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, seed: u32) -> Vec<f32> {
        (0..n).map(|i| (((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8) as f32 / 16_777_216.0) - 0.5).collect()
    }

    const ADAM: AdamStep = AdamStep {
        decay_factor: 0.999,
        l2: 0.0,
        one_minus_beta1: 0.1,
        beta2: 0.999,
        one_minus_beta2: 0.001,
        bias_correction2_sqrt: 0.05,
        neg_step_size: -0.01,
        eps: 1e-8,
        maximize: false,
    };

    /// The branch-free fast paths (plain SGD, momentum with and without nesterov) give the same
    /// bits as the general loop: `maximize` with a negated gradient takes the general loop.
    #[test]
    fn sgd_fast_paths_equal_the_general_loop() {
        let (p0, g) = (data(1003, 1), data(1003, 2));
        let neg_g: Vec<f32> = g.iter().map(|x| -x).collect();
        for (momentum, nesterov) in [(0.0, false), (0.9, false), (0.9, true)] {
            let fast = SgdStep { neg_lr: -0.1, weight_decay: 0.0, momentum, one_minus_dampening: 0.7, nesterov, maximize: false };
            let general = SgdStep { maximize: true, ..fast };
            let (mut pf, mut pg) = (p0.clone(), p0.clone());
            let (mut bf, mut bg) = (vec![0.0; p0.len()], vec![0.0; p0.len()]);
            let with_buf = momentum != 0.0;
            for step in 0..3 {
                let (bf, bg): (&mut [f32], &mut [f32]) = if with_buf { (&mut bf, &mut bg) } else { (&mut [], &mut []) };
                sgd_step(&mut pf, &g, bf, step == 0, &fast);
                sgd_step(&mut pg, &neg_g, bg, step == 0, &general);
            }
            assert_eq!(pf, pg, "momentum {momentum}, nesterov {nesterov}");
            assert_eq!(bf, bg);
        }
    }

    /// Adam's and AdamW's branch-free loops give the same bits as the general loop (reached here
    /// through `maximize` with a negated gradient), for both branches of the `lerp`.
    #[test]
    fn adam_fast_paths_equal_the_general_loop() {
        let (p0, g) = (data(1003, 3), data(1003, 4));
        let neg_g: Vec<f32> = g.iter().map(|x| -x).collect();
        for (decay_factor, one_minus_beta1) in [(1.0, 0.1), (0.999, 0.1), (1.0, 0.7), (0.999, 0.7)] {
            let fast = AdamStep { decay_factor, one_minus_beta1, ..ADAM };
            let general = AdamStep { maximize: true, ..fast };
            let (mut pf, mut pg) = (p0.clone(), p0.clone());
            let (mut mf, mut vf, mut mg, mut vg) = (vec![0.0; 1003], vec![0.0; 1003], vec![0.0; 1003], vec![0.0; 1003]);
            for _ in 0..3 {
                adam_step(&mut pf, &g, &mut mf, &mut vf, &mut [], &fast);
                adam_step(&mut pg, &neg_g, &mut mg, &mut vg, &mut [], &general);
            }
            assert_eq!((pf, mf, vf), (pg, mg, vg), "decay {decay_factor}, 1 - beta1 {one_minus_beta1}");
        }
    }

    /// A parallel pass over a large slice equals serial passes over small pieces of it.
    #[test]
    fn parallel_split_matches_serial_pieces() {
        let n = super::super::parallel::PAR_THRESHOLD * 2 + 77;
        let g = data(n, 1);
        let (mut p, mut m, mut v, mut vm) = (data(n, 2), data(n, 3), data(n, 4).iter().map(|x| x * x).collect::<Vec<_>>(), vec![0.01f32; n]);
        let (mut p2, mut m2, mut v2, mut vm2) = (p.clone(), m.clone(), v.clone(), vm.clone());
        adam_step(&mut p, &g, &mut m, &mut v, &mut vm, &ADAM);
        let k = 1000;
        for i in (0..n).step_by(k) {
            let e = (i + k).min(n);
            adam_step(&mut p2[i..e], &g[i..e], &mut m2[i..e], &mut v2[i..e], &mut vm2[i..e], &ADAM);
        }
        assert!(p == p2 && m == m2 && v == v2 && vm == vm2);
    }

    #[test]
    fn sgd_momentum_first_step_copies_gradient() {
        let c = SgdStep { neg_lr: -0.5, weight_decay: 0.0, momentum: 0.9, one_minus_dampening: 0.5, nesterov: false, maximize: false };
        let mut p = [1.0f32];
        let mut buf = [123.0f32];
        sgd_step(&mut p, &[2.0], &mut buf, true, &c);
        assert_eq!((p[0], buf[0]), (0.0, 2.0)); // dampening not applied on the first step (torch)
        sgd_step(&mut p, &[2.0], &mut buf, false, &c);
        assert_eq!(buf[0], 0.5f32.mul_add(2.0, 2.0 * 0.9));
    }

    #[test]
    fn amsgrad_keeps_the_maximum_and_propagates_nan() {
        let mut p = [0.0f32, 0.0];
        let (mut m, mut v, mut vm) = ([0.0f32; 2], [0.0f32; 2], [5.0f32, f32::NAN]);
        adam_step(&mut p, &[1.0, 1.0], &mut m, &mut v, &mut vm, &ADAM);
        assert_eq!(vm[0], 5.0);
        assert!(vm[1].is_nan() && p[1].is_nan());
    }

    /// The FMA-compiled path and the portable one give the same bits.
    #[test]
    fn fma_and_portable_paths_agree() {
        let n = 1000;
        let g = data(n, 7);
        let c = AdadeltaStep { neg_lr: -1.0, weight_decay: 0.01, rho: 0.9, one_minus_rho: 0.1, eps: 1e-6, maximize: false };
        let (mut p, mut sq, mut acc) = (data(n, 8), vec![0.0f32; n], vec![0.0f32; n]);
        let (mut p2, mut sq2, mut acc2) = (p.clone(), sq.clone(), acc.clone());
        for _ in 0..3 {
            exec(&Adadelta(&c), Lanes::new(&mut p, &g, [&mut sq, &mut acc, &mut []], "t"));
            Adadelta(&c).run(Lanes::new(&mut p2, &g, [&mut sq2, &mut acc2, &mut []], "t"));
        }
        assert!(p == p2 && sq == sq2 && acc == acc2);
    }

    #[test]
    fn lerp_matches_both_branches() {
        assert_eq!(lerp(1.0, 3.0, 0.25), 1.5);
        assert_eq!(lerp(1.0, 3.0, 0.75), 2.5);
        assert_eq!(lerp(1.0, 3.0, 1.0), 3.0);
    }

    #[test]
    #[should_panic(expected = "adagrad_step: gradient has 1 elements, parameter has 2")]
    fn length_mismatch_panics() {
        let c = AdagradStep { neg_clr: -0.1, weight_decay: 0.0, eps: 1e-10, maximize: false };
        adagrad_step(&mut [0.0, 0.0], &[1.0], &mut [0.0, 0.0], &c);
    }
}
