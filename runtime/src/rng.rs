//! Random number generation that reproduces PyTorch's CPU generator bit for bit.
//!
//! PyTorch's default CPU generator is an MT19937 engine. `torch.manual_seed(s); torch.rand(n)` draws
//! one 32-bit word per element and keeps its low 24 bits: `u = (w & 0xFFFFFF) * 2^-24`. [`Generator`]
//! does the same, so `manual_seed(0); Tensor::rand(&[3])` gives PyTorch's
//! `tensor([0.4963, 0.7682, 0.0885])`, and a `Linear` built after the same seed has the same weights.
//!
//! The default generator is per thread (PyTorch's is per process): tests that seed it do not
//! disturb each other when the test harness runs them on parallel threads.

use fusenet_kernels::cpu::normal::normal_fill_16;
use std::cell::RefCell;

const N: usize = 624;
const M: usize = 397;

/// An MT19937 engine with PyTorch's seeding and its float transforms.
///
/// ```
/// use fusenet_runtime::rng::Generator;
/// let mut g = Generator::new(0);
/// assert_eq!(g.uniform_f32(), 0.496_256_6);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Generator {
    state: [u32; N],
    index: usize,
    seed: u64,
    /// The second Box–Muller sample of a scalar normal draw, kept as PyTorch keeps it.
    next_normal: Option<f64>,
}

/// A generator's full state, for checkpoints: 624 words, the position, the seed and the cached
/// normal sample.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratorState {
    pub words: Vec<u32>,
    pub index: usize,
    pub seed: u64,
    pub next_normal: Option<f64>,
}

impl Generator {
    /// An engine seeded as `torch.Generator().manual_seed(seed)` is.
    pub fn new(seed: u64) -> Generator {
        let mut state = [0u32; N];
        state[0] = seed as u32;
        for i in 1..N {
            let prev = state[i - 1];
            state[i] = 1_812_433_253u32.wrapping_mul(prev ^ (prev >> 30)).wrapping_add(i as u32);
        }
        Generator { state, index: N, seed, next_normal: None }
    }

    /// The seed this engine was created with.
    pub fn initial_seed(&self) -> u64 {
        self.seed
    }

    fn twist(&mut self) {
        for k in 0..N {
            let y = (self.state[k] & 0x8000_0000) | (self.state[(k + 1) % N] & 0x7fff_ffff);
            let mag = if y & 1 == 1 { 0x9908_b0df } else { 0 };
            self.state[k] = self.state[(k + M) % N] ^ (y >> 1) ^ mag;
        }
        self.index = 0;
    }

    /// The next 32-bit word (PyTorch's `random()`).
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// The next 64-bit word, built from two 32-bit words, high first (PyTorch's `random64()`).
    pub fn next_u64(&mut self) -> u64 {
        let hi = self.next_u32() as u64;
        let lo = self.next_u32() as u64;
        (hi << 32) | lo
    }

    /// U[0, 1) with 24 random bits, as `torch.rand` draws a float32.
    pub fn uniform_f32(&mut self) -> f32 {
        (self.next_u32() & 0x00ff_ffff) as f32 * (1.0 / 16_777_216.0)
    }

    /// U[0, 1) with 53 random bits, as PyTorch draws a double.
    pub fn uniform_f64(&mut self) -> f64 {
        (self.next_u64() & ((1u64 << 53) - 1)) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// One N(mean, std²) draw in double precision, with PyTorch's caching of the second sample.
    pub fn normal_f64(&mut self, mean: f64, std: f64) -> f64 {
        if let Some(z) = self.next_normal.take() {
            return z * std + mean;
        }
        let u1 = self.uniform_f64();
        let u2 = self.uniform_f64();
        let r = (-2.0 * (-u2).ln_1p()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u1;
        self.next_normal = Some(r * theta.sin());
        r * theta.cos() * std + mean
    }

    /// Fills `out` with U[from, to) as `tensor.uniform_(from, to)` does for float32:
    /// `u·(to − from) + from` with `u` a 24-bit uniform and the arithmetic in `f64`
    /// (checked against torch on 10⁵ draws with bounds other than [0, 1)).
    pub fn fill_uniform(&mut self, out: &mut [f32], from: f64, to: f64) {
        let (from, range) = (from as f32 as f64, (to as f32 - from as f32) as f64);
        for x in out {
            *x = (self.uniform_f32() as f64 * range + from) as f32;
        }
    }

    /// Fills `out` with N(mean, std²) exactly as `tensor.normal_(mean, std)` does for a contiguous
    /// float32 tensor: below 16 elements, scalar Box–Muller in `f64` (with its cached second
    /// sample); from 16 on, all uniforms first, then blocks of 16 through PyTorch's vectorised
    /// transform (`kernels::cpu::normal`), and a ragged tail redrawn and transformed as the last 16.
    pub fn fill_normal(&mut self, out: &mut [f32], mean: f64, std: f64) {
        let n = out.len();
        if n < 16 {
            for x in out.iter_mut() {
                *x = self.normal_f64(mean, std) as f32;
            }
            return;
        }
        let (mean, std) = (mean as f32, std as f32);
        for x in out.iter_mut() {
            *x = self.uniform_f32();
        }
        out.chunks_exact_mut(16).for_each(|block| normal_fill_16(block, mean, std));
        if !n.is_multiple_of(16) {
            let tail = &mut out[n - 16..];
            for x in tail.iter_mut() {
                *x = self.uniform_f32();
            }
            normal_fill_16(tail, mean, std);
        }
    }

    /// Snapshot of the full state.
    pub fn get_state(&self) -> GeneratorState {
        GeneratorState {
            words: self.state.to_vec(),
            index: self.index,
            seed: self.seed,
            next_normal: self.next_normal,
        }
    }

    /// Restores a snapshot taken by [`Generator::get_state`]; `None` if it is malformed.
    pub fn from_state(s: &GeneratorState) -> Option<Generator> {
        let state: [u32; N] = s.words.as_slice().try_into().ok()?;
        (s.index <= N).then_some(Generator { state, index: s.index, seed: s.seed, next_normal: s.next_normal })
    }
}

/// PyTorch's default seed when none is set.
pub const DEFAULT_SEED: u64 = 67_280_421_310_721;

thread_local! {
    static DEFAULT: RefCell<Generator> = RefCell::new(Generator::new(DEFAULT_SEED));
}

/// Seeds this thread's default generator, as `torch.manual_seed(seed)` seeds PyTorch's.
pub fn manual_seed(seed: u64) {
    DEFAULT.with(|g| *g.borrow_mut() = Generator::new(seed));
}

/// Puts `g` in place of this thread's default generator and returns the one it replaces (how
/// [`crate::pool::in_pool`] carries the caller's generator to a pool thread and back).
pub(crate) fn replace_default(g: Generator) -> Generator {
    DEFAULT.with(|d| std::mem::replace(&mut *d.borrow_mut(), g))
}

/// Runs `f` with this thread's default generator.
pub fn with_default_generator<R>(f: impl FnOnce(&mut Generator) -> R) -> R {
    DEFAULT.with(|g| f(&mut g.borrow_mut()))
}

/// The state of this thread's default generator (`torch.get_rng_state()`).
pub fn get_rng_state() -> GeneratorState {
    with_default_generator(|g| g.get_state())
}

/// Restores this thread's default generator (`torch.set_rng_state(s)`); `false` if `s` is malformed.
pub fn set_rng_state(s: &GeneratorState) -> bool {
    match Generator::from_state(s) {
        Some(g) => {
            with_default_generator(|d| *d = g);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rand_matches_pytorch_seed_0() {
        // torch.manual_seed(0); torch.rand(3)
        let mut g = Generator::new(0);
        let got: Vec<f32> = (0..3).map(|_| g.uniform_f32()).collect();
        assert_eq!(got, vec![0.496_256_6, 0.768_221_8, 0.088_477_43]);
    }

    #[test]
    fn randn_small_matches_pytorch_seed_0() {
        // torch.manual_seed(0); torch.randn(3) -> [1.5410, -0.2934, -2.1788]
        let mut g = Generator::new(0);
        let mut out = [0f32; 3];
        g.fill_normal(&mut out, 0.0, 1.0);
        let want = [1.540_996_1f32, -0.293_428_9, -2.178_789_4];
        for (a, b) in out.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{out:?}");
        }
    }

    #[test]
    fn randn_blocks_match_pytorch_seed_0() {
        // torch.manual_seed(0); torch.randn(20): first four and last four.
        let mut g = Generator::new(0);
        let mut out = [0f32; 20];
        g.fill_normal(&mut out, 0.0, 1.0);
        let head = [-1.125_839_8f32, -1.152_360_2, -0.250_578_6, -0.433_878_8];
        let tail = [0.931_826_6f32, 1.259_009_2, 2.004_980_6, 0.053_736_9];
        for (a, b) in out[..4].iter().chain(&out[16..]).zip(head.iter().chain(&tail)) {
            assert!((a - b).abs() < 1e-5, "{out:?}");
        }
    }

    #[test]
    fn state_round_trips() {
        let mut g = Generator::new(7);
        g.next_u32();
        let s = g.get_state();
        let a: Vec<u32> = (0..5).map(|_| g.next_u32()).collect();
        let mut h = Generator::from_state(&s).expect("valid state");
        let b: Vec<u32> = (0..5).map(|_| h.next_u32()).collect();
        assert_eq!(a, b);
    }
}
