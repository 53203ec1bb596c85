//! The order of one epoch, drawn from the generators exactly as PyTorch's `DataLoader` draws it.
//!
//! For a loader with `shuffle=True` PyTorch, single-process, consumes random numbers like this:
//! 1. creating the epoch's iterator draws a 64-bit `_base_seed` (`random64()`) from the loader's
//!    generator, or from the default generator when it has none (with or without shuffling);
//! 2. the first batch draws the permutation, `torch.randperm(n, generator)`. Without a loader
//!    generator, `RandomSampler` first draws a seed (`random64() % 2^63`) from the default
//!    generator and permutes with a fresh `torch.Generator().manual_seed(seed)`;
//! 3. when the batch sampler first looks past the last index (at batch `n / batch_size`, the
//!    partial last batch or the end of the epoch), `RandomSampler` runs one more `randperm(n)`
//!    whose result it throws away: `n - 1` more words from the loader's generator.
//!
//! [`EpochOrder`] replays those draws, so seeded epochs equal PyTorch's one after another.

use crate::rng::{self, Generator};
use std::sync::{Arc, Mutex};

/// PyTorch's `torch.randperm(n, generator=g)` on the CPU, value for value.
///
/// Below `u32::MAX / 20` elements it is a Fisher–Yates shuffle from the front: for each `i`,
/// `z = random() % (n - i)` and swap `i` with `i + z` (`n - 1` draws of 32 bits). Above, the
/// inside-out variant with `random64() % (i + 1)`.
///
/// ```
/// use fusenet_runtime::data::randperm;
/// use fusenet_runtime::rng::Generator;
/// // torch.randperm(10, generator=torch.Generator().manual_seed(0)).tolist()
/// assert_eq!(randperm(10, &mut Generator::new(0)), [4, 1, 7, 5, 3, 9, 0, 8, 6, 2]);
/// ```
pub fn randperm(n: usize, generator: &mut Generator) -> Vec<usize> {
    if (n as u64) < u64::from(u32::MAX / 20) {
        let mut perm: Vec<usize> = (0..n).collect();
        for i in 0..n.saturating_sub(1) {
            let z = (generator.next_u32() as u64 % (n - i) as u64) as usize;
            perm.swap(i, i + z);
        }
        perm
    } else {
        randperm_inside_out(n, generator)
    }
}

/// The large-`n` branch of PyTorch's `randperm`: inside-out Fisher–Yates with 64-bit draws.
/// (Transcribed from PyTorch's source; `n` this large is too big to compare with PyTorch in a test.)
fn randperm_inside_out(n: usize, generator: &mut Generator) -> Vec<usize> {
    let mut perm = vec![0usize; n];
    for i in 0..n {
        let z = (generator.next_u64() % (i as u64 + 1)) as usize;
        perm[i] = perm[z];
        perm[z] = i;
    }
    perm
}

/// Advances `generator` past one `randperm(n)` without building it.
fn skip_randperm(n: usize, generator: &mut Generator) {
    if (n as u64) < u64::from(u32::MAX / 20) {
        for _ in 0..n.saturating_sub(1) {
            generator.next_u32();
        }
    } else {
        for _ in 0..n {
            generator.next_u64();
        }
    }
}

/// `torch.empty((), dtype=torch.int64).random_(generator=g)`: 63 random bits.
fn random_i64(generator: &mut Generator) -> u64 {
    generator.next_u64() & (u64::MAX >> 1)
}

/// Where a loader's random numbers come from.
#[derive(Clone)]
pub(crate) enum RandomSource {
    /// The calling thread's default generator (PyTorch's global one): `generator=None`.
    Default,
    /// The loader's own generator: `generator=torch.Generator().manual_seed(s)`.
    Owned(Arc<Mutex<Generator>>),
}

impl RandomSource {
    fn with<R>(&self, f: impl FnOnce(&mut Generator) -> R) -> R {
        match self {
            RandomSource::Default => rng::with_default_generator(f),
            RandomSource::Owned(g) => f(&mut g.lock().unwrap_or_else(|e| e.into_inner())),
        }
    }
}

/// The indices of one epoch, batch by batch, drawn lazily as PyTorch draws them.
pub(crate) struct EpochOrder {
    n: usize,
    batch_size: usize,
    num_batches: usize,
    shuffle: bool,
    source: RandomSource,
    order: Option<Vec<usize>>,
    requested: usize,
    base_seed: u64,
}

impl EpochOrder {
    /// Starts an epoch: draws the `_base_seed` (step 1 above).
    pub(crate) fn start(n: usize, batch_size: usize, drop_last: bool, shuffle: bool, source: RandomSource) -> EpochOrder {
        let base_seed = source.with(random_i64);
        let num_batches = if drop_last { n / batch_size } else { n.div_ceil(batch_size) };
        EpochOrder { n, batch_size, num_batches, shuffle, source, order: None, requested: 0, base_seed }
    }

    /// The epoch's `_base_seed`: worker `w` seeds its default generator with `base_seed + w`.
    pub(crate) fn base_seed(&self) -> u64 {
        self.base_seed
    }

    /// The number of batches in the epoch.
    pub(crate) fn num_batches(&self) -> usize {
        self.num_batches
    }

    /// How many batches are left to request.
    pub(crate) fn remaining(&self) -> usize {
        self.num_batches.saturating_sub(self.requested)
    }

    /// Records that the consumer asks for the next batch, making the draws PyTorch makes at that
    /// point (steps 2 and 3). Returns the batch number, or `None` at the end of the epoch.
    pub(crate) fn request(&mut self) -> Option<usize> {
        let k = self.requested;
        if k > self.num_batches {
            return None;
        }
        self.requested += 1;
        if self.order.is_none() {
            self.order = Some(self.draw_order());
        }
        // The fresh generator of a loader without one is gone by now: nothing to advance.
        if self.shuffle && k == self.n / self.batch_size && matches!(self.source, RandomSource::Owned(_)) {
            self.source.with(|g| skip_randperm(self.n, g));
        }
        (k < self.num_batches).then_some(k)
    }

    /// The dataset indices of batch `k`, once the first batch has been requested.
    pub(crate) fn batch(&self, k: usize) -> Vec<usize> {
        let order = self.order.as_deref().unwrap_or(&[]);
        let end = ((k + 1) * self.batch_size).min(self.n);
        order[k * self.batch_size..end].to_vec()
    }

    fn draw_order(&self) -> Vec<usize> {
        if !self.shuffle {
            return (0..self.n).collect();
        }
        match &self.source {
            RandomSource::Owned(_) => self.source.with(|g| randperm(self.n, g)),
            RandomSource::Default => {
                let seed = self.source.with(random_i64);
                randperm(self.n, &mut Generator::new(seed))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn randperm_matches_torch() {
        // torch.randperm(20, generator=torch.Generator().manual_seed(42)).tolist()
        let want = [2, 14, 18, 15, 1, 10, 0, 4, 6, 11, 8, 3, 7, 17, 13, 12, 19, 5, 16, 9];
        assert_eq!(randperm(20, &mut Generator::new(42)), want);
        assert_eq!(randperm(0, &mut Generator::new(0)), [] as [usize; 0]);
        assert_eq!(randperm(1, &mut Generator::new(0)), [0]);
    }

    #[test]
    fn randperm_draws_n_minus_one_words() {
        let mut a = Generator::new(5);
        let mut b = Generator::new(5);
        randperm(100, &mut a);
        skip_randperm(100, &mut b);
        assert_eq!(a, b);
        let mut c = Generator::new(5);
        for _ in 0..99 {
            c.next_u32();
        }
        assert_eq!(a, c);
    }

    #[test]
    fn inside_out_variant_is_a_permutation() {
        let n = 1000;
        let perm = randperm_inside_out(n, &mut Generator::new(1));
        assert_ne!(perm, (0..n).collect::<Vec<_>>());
        let mut sorted = perm.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn epoch_order_batches_and_ends() {
        let src = RandomSource::Owned(Arc::new(Mutex::new(Generator::new(0))));
        let mut e = EpochOrder::start(7, 3, false, false, src.clone());
        assert_eq!((e.num_batches(), e.remaining()), (3, 3));
        let mut got = Vec::new();
        while let Some(k) = e.request() {
            got.push(e.batch(k));
        }
        assert_eq!(got, [vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
        assert_eq!((e.request(), e.remaining()), (None, 0));
        let mut e = EpochOrder::start(7, 3, true, false, src);
        assert_eq!(e.num_batches(), 2);
        assert_eq!((e.request(), e.request(), e.request()), (Some(0), Some(1), None));
        assert_eq!(e.batch(1), [3, 4, 5]);
    }
}
