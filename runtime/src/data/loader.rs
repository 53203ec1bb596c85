//! [`DataLoader`]: batches of a [`Dataset`], optionally shuffled, optionally built ahead by
//! worker threads.

use super::collate::Collate;
use super::dataset::Dataset;
use super::sampler::{EpochOrder, RandomSource};
use super::workers::{Fetch, WorkerPool};
use crate::rng::Generator;
use std::sync::{Arc, Mutex};

/// PyTorch's `torch.utils.data.DataLoader` for map-style datasets.
///
/// Each pass (`for batch in &loader`) is one epoch: with shuffling on, every epoch draws a new
/// permutation. `len()` is the number of batches. Batches are built by [`Collate`] (the default,
/// like `default_collate`) or by a closure given to [`DataLoader::with_collate`].
///
/// ```
/// use fusenet_runtime::Tensor;
/// use fusenet_runtime::data::{DataLoader, TensorDataset};
/// let x = Tensor::arange(20.0).reshape([10, 2]);
/// let y = Tensor::arange_i64(10);
/// // DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True,
/// //            generator=torch.Generator().manual_seed(0))
/// let loader = DataLoader::new(TensorDataset::new((x, y)), 4).seed(0);
/// assert_eq!(loader.len(), 3);
/// let batches: Vec<(Tensor, Tensor)> = loader.iter().collect();
/// assert_eq!(batches[0].0.shape(), &[4, 2]);
/// assert_eq!(batches[0].1.to_vec::<i64>(), [3, 7, 5, 2]); // PyTorch's first batch
/// assert_eq!(batches[2].1.shape(), &[2]);
/// ```
///
/// # Agreement with PyTorch
/// With `.seed(s)` (or `.generator(Generator::new(s))`), the order of every epoch, one after
/// another, equals PyTorch's `DataLoader(ds, batch_size, shuffle=True, drop_last,
/// generator=torch.Generator().manual_seed(s))` with `num_workers=0`, including the random numbers
/// PyTorch draws and throws away. With `.shuffle(true)` and no generator, the order comes from the
/// calling thread's default generator as PyTorch's comes from its global one, so
/// `manual_seed(s)` followed by the same loops gives the same epochs. Like PyTorch, starting an
/// epoch draws a 64-bit "base seed" from that generator even without shuffling. A loop abandoned
/// halfway leaves the generator where PyTorch's single-process loader leaves it;
/// `num_workers` changes none of this (PyTorch's worker processes prefetch indices, so they may
/// draw the end-of-epoch numbers earlier than here).
///
/// # Workers
/// `num_workers(n)` builds batches on `n` background threads. Batches arrive in the same order, with
/// the same contents, as with `num_workers(0)`. At most `prefetch_factor * n` batches are built
/// ahead. Dropping the iterator stops and joins the threads; a panic in the dataset or the collate
/// function is resumed on the thread that iterates. Batch `k` is built by worker `k % n`, whose
/// default generator is seeded with the epoch's base seed plus `w`, as PyTorch seeds its workers: a
/// dataset that draws random numbers in `get` (random augmentation) gets PyTorch's numbers, which
/// differ from the single-threaded ones, as they do in PyTorch.
pub struct DataLoader<D: Dataset, B> {
    dataset: Arc<D>,
    collate: Arc<dyn Fn(Vec<D::Item>) -> B + Send + Sync>,
    batch_size: usize,
    drop_last: bool,
    shuffle: bool,
    generator: Option<Arc<Mutex<Generator>>>,
    num_workers: usize,
    prefetch_factor: usize,
}

impl<D> DataLoader<D, <D::Item as Collate>::Batch>
where
    D: Dataset + 'static,
    D::Item: Collate,
{
    /// A loader that batches with [`Collate`]: no shuffling, no workers, the last batch kept.
    /// Panics when `batch_size` is 0. (To keep a handle on the dataset, pass an `Arc` of it.)
    pub fn new(dataset: D, batch_size: usize) -> Self {
        DataLoader::with_collate(dataset, batch_size, <D::Item as Collate>::collate)
    }
}

impl<D: Dataset + 'static, B: 'static> DataLoader<D, B> {
    /// A loader whose batches are `collate(items)` (PyTorch's `collate_fn`).
    ///
    /// ```
    /// use fusenet_runtime::data::DataLoader;
    /// let loader = DataLoader::with_collate(vec![1, 2, 3, 4, 5], 2, |items: Vec<i32>| items.iter().sum::<i32>());
    /// assert_eq!(loader.iter().collect::<Vec<_>>(), [3, 7, 5]);
    /// ```
    pub fn with_collate(
        dataset: D,
        batch_size: usize,
        collate: impl Fn(Vec<D::Item>) -> B + Send + Sync + 'static,
    ) -> Self {
        assert!(batch_size > 0, "batch_size should be a positive integer value, but got batch_size={batch_size}");
        DataLoader {
            dataset: Arc::new(dataset),
            collate: Arc::new(collate),
            batch_size,
            drop_last: false,
            shuffle: false,
            generator: None,
            num_workers: 0,
            prefetch_factor: 2,
        }
    }

    /// Reshuffles every epoch (`shuffle=True`). Without a [`generator`](Self::generator), the
    /// permutation comes from the iterating thread's default generator.
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// Shuffles with a generator of its own, seeded with `seed`: PyTorch's `shuffle=True,
    /// generator=torch.Generator().manual_seed(seed)`.
    pub fn seed(self, seed: u64) -> Self {
        self.generator(Generator::new(seed)).shuffle(true)
    }

    /// Uses `generator` for this loader's random numbers (PyTorch's `generator=`). It does not turn
    /// shuffling on by itself, as in PyTorch.
    pub fn generator(mut self, generator: Generator) -> Self {
        self.generator = Some(Arc::new(Mutex::new(generator)));
        self
    }

    /// Drops the last batch when it would be smaller than `batch_size`.
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// Builds batches on `n` background threads (0: on the iterating thread).
    pub fn num_workers(mut self, n: usize) -> Self {
        self.num_workers = n;
        self
    }

    /// Batches each worker builds ahead (PyTorch's default, 2). Panics when 0.
    pub fn prefetch_factor(mut self, k: usize) -> Self {
        assert!(k > 0, "prefetch_factor should be a positive integer value, but got prefetch_factor={k}");
        self.prefetch_factor = k;
        self
    }

    /// The number of batches in one epoch.
    pub fn len(&self) -> usize {
        let n = self.dataset.len();
        if self.drop_last { n / self.batch_size } else { n.div_ceil(self.batch_size) }
    }

    /// Whether an epoch has no batches.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The dataset.
    pub fn dataset(&self) -> &D {
        &self.dataset
    }

    /// A snapshot of the loader's own generator, if it has one (to checkpoint the shuffling).
    pub fn generator_state(&self) -> Option<Generator> {
        self.generator.as_ref().map(|g| g.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }

    /// Starts an epoch.
    pub fn iter(&self) -> DataLoaderIter<B>
    where
        B: Send,
    {
        let source = match &self.generator {
            Some(g) => RandomSource::Owned(Arc::clone(g)),
            None => RandomSource::Default,
        };
        let order = EpochOrder::start(self.dataset.len(), self.batch_size, self.drop_last, self.shuffle, source);
        let dataset = Arc::clone(&self.dataset);
        let collate = Arc::clone(&self.collate);
        let fetch: Fetch<B> = Arc::new(move |indices: &[usize]| collate(indices.iter().map(|&i| dataset.get(i)).collect()));
        DataLoaderIter { order, fetch, pool: None, num_workers: self.num_workers, prefetch_factor: self.prefetch_factor }
    }
}

impl<D: Dataset + 'static, B: Send + 'static> IntoIterator for &DataLoader<D, B> {
    type Item = B;
    type IntoIter = DataLoaderIter<B>;
    fn into_iter(self) -> DataLoaderIter<B> {
        self.iter()
    }
}

/// One epoch of a [`DataLoader`]. It owns what it needs (the dataset through an `Arc`), so it can
/// outlive the borrow that made it; dropping it early stops its worker threads.
pub struct DataLoaderIter<B> {
    order: EpochOrder,
    fetch: Fetch<B>,
    pool: Option<WorkerPool<B>>,
    num_workers: usize,
    prefetch_factor: usize,
}

impl<B: Send + 'static> Iterator for DataLoaderIter<B> {
    type Item = B;

    fn next(&mut self) -> Option<B> {
        let Some(k) = self.order.request() else {
            self.pool = None; // the epoch is over: stop and join the workers now
            return None;
        };
        if self.num_workers == 0 {
            return Some((self.fetch)(&self.order.batch(k)));
        }
        let pool = self
            .pool
            .get_or_insert_with(|| {
                WorkerPool::new(self.num_workers, self.prefetch_factor, self.order.base_seed(), Arc::clone(&self.fetch))
            });
        let num_batches = self.order.num_batches();
        let order = &self.order;
        let refill = |pool: &mut WorkerPool<B>| {
            while pool.has_room() && pool.dispatched() < num_batches {
                let j = pool.dispatched();
                pool.dispatch(order.batch(j));
            }
        };
        // Keep `prefetch_factor * num_workers` batches being built beyond the one handed out, as
        // PyTorch refills its index queues as soon as a batch arrives. Only the building runs
        // early: the random draws above follow the consumer's requests.
        refill(pool);
        let batch = pool.next();
        refill(pool);
        batch
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.order.remaining();
        (n, Some(n))
    }
}

impl<B: Send + 'static> ExactSizeIterator for DataLoaderIter<B> {}
