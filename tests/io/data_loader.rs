//! DataLoader: batching, drop_last, shuffling that equals PyTorch's epoch order for a seed (and
//! leaves the generator where PyTorch leaves it), and worker threads that deliver the same batches
//! in the same order, stay within their prefetch bound and stop when the iterator is dropped.
//!
//! Expected orders come from PyTorch 2.x in the venv; each test names the Python it ran.

use fusenet::data::{DataLoader, Dataset, TensorDataset};
use fusenet::rng::Generator;
use fusenet::{Tensor, manual_seed};
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Every epoch's batches as index lists, for a loader over `0..n` as `i64`.
fn epochs(loader: &DataLoader<Vec<i64>, Tensor>, count: usize) -> Vec<Vec<Vec<i64>>> {
    (0..count).map(|_| loader.iter().map(|b| b.to_vec::<i64>()).collect()).collect()
}

fn range(n: i64) -> Vec<i64> {
    (0..n).collect()
}

#[test]
fn batches_keep_order_and_shapes() {
    let x = Tensor::arange(30.0).reshape([10, 3]);
    let y = Tensor::arange_i64(10);
    let loader = DataLoader::new(TensorDataset::new((x, y)), 4);
    assert_eq!((loader.len(), loader.batch_size()), (3, 4));
    let batches: Vec<(Tensor, Tensor)> = loader.iter().collect();
    assert_eq!(batches.len(), 3);
    let shapes: Vec<(Vec<usize>, Vec<usize>)> =
        batches.iter().map(|(x, y)| (x.shape().to_vec(), y.shape().to_vec())).collect();
    assert_eq!(shapes, [(vec![4, 3], vec![4]), (vec![4, 3], vec![4]), (vec![2, 3], vec![2])]);
    assert_eq!(batches[1].0.to_vec::<f32>(), (12..24).map(|v| v as f32).collect::<Vec<_>>());
    assert_eq!(batches[2].1.to_vec::<i64>(), [8, 9]);
    // The iterator knows how many batches are left.
    let mut it = loader.iter();
    assert_eq!(it.len(), 3);
    it.next();
    assert_eq!(it.size_hint(), (2, Some(2)));
}

#[test]
fn drop_last_drops_only_a_partial_batch() {
    let loader = DataLoader::new(range(10), 4).drop_last(true);
    assert_eq!(loader.len(), 2);
    assert_eq!(epochs(&loader, 1)[0], [vec![0, 1, 2, 3], vec![4, 5, 6, 7]]);
    let exact = DataLoader::new(range(8), 4).drop_last(true);
    assert_eq!((exact.len(), exact.iter().count()), (2, 2));
    let tiny = DataLoader::new(range(3), 4).drop_last(true);
    assert!(tiny.is_empty());
    assert_eq!(tiny.iter().count(), 0);
    let kept = DataLoader::new(range(3), 4);
    assert_eq!(epochs(&kept, 1)[0], [vec![0, 1, 2]]);
    let empty = DataLoader::new(Vec::<i64>::new(), 4).num_workers(2);
    assert_eq!((empty.len(), empty.iter().count()), (0, 0));
}

#[test]
fn seeded_shuffle_is_deterministic_and_reshuffles_every_epoch() {
    let a = epochs(&DataLoader::new(range(50), 7).seed(123), 4);
    let b = epochs(&DataLoader::new(range(50), 7).seed(123), 4);
    assert_eq!(a, b);
    for epoch in &a {
        let mut all: Vec<i64> = epoch.concat();
        assert_ne!(all, range(50), "an epoch came out unshuffled");
        all.sort_unstable();
        assert_eq!(all, range(50), "an epoch is not a permutation");
    }
    for i in 0..a.len() {
        for j in i + 1..a.len() {
            assert_ne!(a[i], a[j], "epochs {i} and {j} have the same order");
        }
    }
    let c = epochs(&DataLoader::new(range(50), 7).seed(124), 1);
    assert_ne!(a[0], c[0]);
}

#[test]
fn seeded_epochs_equal_pytorch() {
    // g = torch.Generator().manual_seed(s)
    // dl = DataLoader(list(range(10)), batch_size=3, shuffle=True, generator=g)
    // [[b.tolist() for b in dl] for _ in range(3)], torch.rand(2, generator=g)
    type Epochs<'a> = [[&'a [i64]; 4]; 3];
    let cases: [(u64, Epochs, [f32; 2]); 2] = [
        (
            0,
            [
                [&[3, 7, 5], &[2, 0, 8], &[1, 6, 9], &[4]],
                [&[1, 3, 2], &[7, 5, 9], &[0, 6, 4], &[8]],
                [&[6, 8, 5], &[7, 2, 4], &[1, 0, 3], &[9]],
            ],
            [0.726_236_5, 0.701_080_2],
        ),
        (
            7,
            [
                [&[1, 3, 5], &[7, 9, 4], &[6, 2, 8], &[0]],
                [&[5, 1, 6], &[0, 9, 7], &[8, 4, 3], &[2]],
                [&[4, 3, 2], &[8, 1, 0], &[6, 5, 9], &[7]],
            ],
            [0.441_367_5, 0.555_047_9],
        ),
    ];
    for (seed, want, rand_after) in cases {
        for workers in [0, 2] {
            let loader = DataLoader::new(range(10), 3).seed(seed).num_workers(workers);
            let got = epochs(&loader, 3);
            let want: Vec<Vec<Vec<i64>>> = want.iter().map(|e| e.iter().map(|b| b.to_vec()).collect()).collect();
            assert_eq!(got, want, "seed {seed}, {workers} workers");
            let mut g = loader.generator_state().expect("a seeded loader owns a generator");
            assert_eq!(Tensor::rand_with(&[2], &mut g).to_vec::<f32>(), rand_after, "generator after the epochs, seed {seed}");
        }
    }
}

#[test]
fn drop_last_epochs_equal_pytorch() {
    // g = torch.Generator().manual_seed(1)
    // dl = DataLoader(list(range(10)), batch_size=4, shuffle=True, generator=g, drop_last=True)
    let loader = DataLoader::new(range(10), 4).seed(1).drop_last(true);
    let want = [
        [vec![4, 6, 9, 2], vec![3, 1, 0, 7]],
        [vec![6, 8, 5, 1], vec![3, 7, 2, 4]],
        [vec![5, 6, 9, 4], vec![3, 2, 7, 8]],
    ];
    assert_eq!(epochs(&loader, 3), want.map(|e| e.to_vec()));
    let mut g = loader.generator_state().unwrap();
    assert_eq!(Tensor::rand_with(&[1], &mut g).to_vec::<f32>(), [0.176_790_12]); // torch.rand(1, generator=g)
}

#[test]
fn an_abandoned_epoch_leaves_the_generator_where_pytorch_does() {
    // g = torch.Generator().manual_seed(2); dl = DataLoader(list(range(10)), 3, shuffle=True, generator=g)
    // epoch 1: break after the first batch; epoch 2: complete; then torch.rand(1, generator=g)
    for workers in [0, 3] {
        let loader = DataLoader::new(range(10), 3).seed(2).num_workers(workers);
        let first = loader.iter().next().unwrap().to_vec::<i64>();
        assert_eq!(first, [1, 0, 8]);
        let second = epochs(&loader, 1).remove(0);
        assert_eq!(second, [vec![5, 4, 9], vec![6, 2, 3], vec![0, 8, 7], vec![1]]);
        let mut g = loader.generator_state().unwrap();
        assert_eq!(Tensor::rand_with(&[1], &mut g).to_vec::<f32>(), [0.175_508_86], "{workers} workers");
    }
}

#[test]
fn shuffle_without_a_generator_follows_manual_seed() {
    // torch.manual_seed(5); dl = DataLoader(list(range(10)), batch_size=5, shuffle=True)
    // two epochs, then torch.rand(1)
    manual_seed(5);
    let loader = DataLoader::new(range(10), 5).shuffle(true);
    assert!(loader.generator_state().is_none());
    let got = epochs(&loader, 2);
    assert_eq!(got, [[vec![8, 3, 0, 5, 9], vec![1, 6, 2, 4, 7]], [vec![5, 8, 9, 7, 2], vec![0, 4, 1, 3, 6]]]);
    assert_eq!(Tensor::rand(&[1]).to_vec::<f32>(), [0.033_264_637]);
    // Without shuffling PyTorch still draws a base seed per epoch: torch.rand(1) is then 0.9201.
    manual_seed(5);
    let plain = DataLoader::new(range(10), 5);
    assert_eq!(epochs(&plain, 2)[1], [vec![0, 1, 2, 3, 4], vec![5, 6, 7, 8, 9]]);
    assert_eq!(Tensor::rand(&[1]).to_vec::<f32>(), [0.920_103_43]);
}

#[test]
fn larger_permutation_equals_pytorch() {
    // g = torch.Generator().manual_seed(42)
    // e = [[b.tolist() for b in DataLoader(list(range(1000)), 100, shuffle=True, generator=g)] for _ in range(2)]
    let got = epochs(&DataLoader::new(range(1000), 100).seed(42), 2);
    assert_eq!(got[0][0][..8], [876, 50, 408, 807, 800, 594, 790, 465]);
    assert_eq!(got[0][9][96..], [202, 758, 700, 910]);
    assert_eq!(got[1][0][..8], [845, 639, 391, 826, 975, 8, 138, 240]);
}

#[test]
fn custom_collate_and_shared_dataset() {
    let data = Arc::new(range(7));
    let loader = DataLoader::with_collate(Arc::clone(&data), 3, |items: Vec<i64>| items.iter().sum::<i64>());
    assert_eq!(loader.iter().collect::<Vec<_>>(), [3, 12, 6]);
    assert_eq!(loader.dataset().len(), 7);
    // `&loader` iterates, and can be iterated again.
    let mut sums = Vec::new();
    for s in &loader {
        sums.push(s);
    }
    assert_eq!(sums, [3, 12, 6]);
}

/// A dataset whose `get` takes a little time that varies with the index, counts its calls, and
/// counts the threads that are currently alive having called it (through a thread-local guard
/// whose destructor runs when the thread exits).
struct Slow {
    n: usize,
    calls: Arc<AtomicUsize>,
    live_threads: Arc<AtomicUsize>,
    delay_us: u64,
    panic_at: Option<usize>,
}

struct LiveGuard(Arc<AtomicUsize>);
impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
thread_local! {
    static GUARD: RefCell<Option<LiveGuard>> = const { RefCell::new(None) };
}

impl Slow {
    fn new(n: usize, delay_us: u64) -> Slow {
        Slow { n, calls: Arc::default(), live_threads: Arc::default(), delay_us, panic_at: None }
    }
}

impl Dataset for Slow {
    type Item = Tensor;
    fn len(&self) -> usize {
        self.n
    }
    fn get(&self, index: usize) -> Tensor {
        if std::thread::current().name().is_some_and(|n| n.starts_with("fusenet-data-worker")) {
            GUARD.with(|g| {
                let mut g = g.borrow_mut();
                if g.is_none() {
                    self.live_threads.fetch_add(1, Ordering::SeqCst);
                    *g = Some(LiveGuard(Arc::clone(&self.live_threads)));
                }
            });
        }
        self.calls.fetch_add(1, Ordering::SeqCst);
        assert!(self.panic_at != Some(index), "dataset failed at index {index}");
        std::thread::sleep(Duration::from_micros(self.delay_us * (index as u64 * 7919 % 5)));
        Tensor::full(&[2], index as f32)
    }
}

/// Runs `f` on another thread and fails if it does not finish within `secs` (a hang detector).
fn within<R: Send + 'static>(secs: u64, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(r) => r,
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the thread sent nothing yet returned"),
        },
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("timed out after {secs} s: the loader hung"),
    }
}

#[test]
fn workers_deliver_the_same_batches_in_order() {
    within(60, || {
        for (workers, prefetch) in [(1, 1), (2, 2), (3, 1), (4, 3)] {
            for shuffle_seed in [None, Some(9)] {
                let serial = DataLoader::new(Slow::new(53, 0), 5);
                let threaded = DataLoader::new(Slow::new(53, 200), 5).num_workers(workers).prefetch_factor(prefetch);
                let (serial, threaded) = match shuffle_seed {
                    Some(s) => (serial.seed(s), threaded.seed(s)),
                    None => (serial, threaded),
                };
                for epoch in 0..2 {
                    let a: Vec<Vec<f32>> = serial.iter().map(|b| b.to_vec::<f32>()).collect();
                    let b: Vec<Vec<f32>> = threaded.iter().map(|b| b.to_vec::<f32>()).collect();
                    assert_eq!(a, b, "{workers} workers, prefetch {prefetch}, seed {shuffle_seed:?}, epoch {epoch}");
                    assert_eq!(b.len(), 11);
                }
                assert_eq!(threaded.dataset().live_threads.load(Ordering::SeqCst), 0, "workers outlived a finished epoch");
            }
        }
    });
}

#[test]
fn workers_prefetch_at_most_their_bound() {
    within(60, || {
        let (workers, prefetch, batch) = (3, 2, 4);
        let loader = DataLoader::new(Slow::new(400, 0), batch).num_workers(workers).prefetch_factor(prefetch);
        let calls = Arc::clone(&loader.dataset().calls);
        let mut it = loader.iter();
        it.next().unwrap();
        // One batch handed out, up to `prefetch * workers` more built ahead, and no more.
        let bound = (1 + prefetch * workers) * batch;
        let start = Instant::now();
        while calls.load(Ordering::SeqCst) < bound && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(calls.load(Ordering::SeqCst), bound, "items fetched while the consumer waits");
        it.next().unwrap();
        let start = Instant::now();
        while calls.load(Ordering::SeqCst) < bound + batch && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(calls.load(Ordering::SeqCst), bound + batch);
    });
}

#[test]
fn dropping_the_iterator_early_stops_every_worker() {
    within(60, || {
        let loader = DataLoader::new(Slow::new(2000, 300), 10).num_workers(4).prefetch_factor(2);
        let live = Arc::clone(&loader.dataset().live_threads);
        let calls = Arc::clone(&loader.dataset().calls);
        let mut it = loader.iter();
        let first = it.next().unwrap();
        assert_eq!(first.shape(), &[10, 2]);
        it.next().unwrap();
        assert!(live.load(Ordering::SeqCst) >= 1, "no worker thread ran");
        drop(it);
        // Drop joins the threads, so their thread-locals are gone by now.
        assert_eq!(live.load(Ordering::SeqCst), 0, "worker threads outlived the iterator");
        let after = calls.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(calls.load(Ordering::SeqCst), after, "items fetched after the iterator was dropped");
        assert!(after <= (2 + 2 * 4) * 10, "fetched {after} items for 2 batches");
        // The loader still works afterwards.
        assert_eq!(loader.iter().take(3).count(), 3);
        assert_eq!(live.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn a_panic_in_a_worker_reaches_the_caller() {
    let result = within(60, || {
        let mut ds = Slow::new(100, 0);
        ds.panic_at = Some(37);
        let loader = DataLoader::new(ds, 10).num_workers(3);
        let live = Arc::clone(&loader.dataset().live_threads);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| loader.iter().count()));
        (caught.map_err(|e| e.downcast_ref::<String>().cloned().unwrap_or_default()), live.load(Ordering::SeqCst))
    });
    let (caught, live) = result;
    assert_eq!(caught, Err("dataset failed at index 37".to_string()));
    assert_eq!(live, 0);
}

#[test]
#[should_panic(expected = "batch_size should be a positive integer value, but got batch_size=0")]
fn zero_batch_size_panics() {
    DataLoader::new(range(3), 0);
}

#[test]
fn same_seed_generator_equals_seed() {
    let a = epochs(&DataLoader::new(range(20), 6).generator(Generator::new(3)).shuffle(true), 2);
    let b = epochs(&DataLoader::new(range(20), 6).seed(3), 2);
    assert_eq!(a, b);
    // A generator alone does not shuffle (PyTorch's shuffle=False, generator=g).
    let plain = epochs(&DataLoader::new(range(5), 5).generator(Generator::new(3)), 1);
    assert_eq!(plain[0], [range(5)]);
}

/// A dataset whose items are draws from the default generator of the thread that builds them.
struct RandomItems;
impl Dataset for RandomItems {
    type Item = f32;
    fn len(&self) -> usize {
        8
    }
    fn get(&self, _: usize) -> f32 {
        Tensor::rand(&[1]).item()
    }
}

#[test]
fn workers_seed_their_generators_as_pytorch_does() {
    // class R(Dataset): __len__ = 8; __getitem__ returns torch.rand(1).item()
    // [b.tolist() for b in DataLoader(R(), batch_size=2, num_workers=2,
    //                                 generator=torch.Generator().manual_seed(3))]
    let loader = DataLoader::new(RandomItems, 2).num_workers(2).generator(Generator::new(3));
    let got: Vec<Vec<f32>> = loader.iter().map(|b| b.to_vec::<f32>()).collect();
    let want = [[0.287_607_6, 0.686_291], [0.747_017_56, 0.829_040_8], [0.602_046_43, 0.694_934_3], [0.682_488_2, 0.693_934_7]];
    assert_eq!(got, want.map(|b| b.to_vec()));
}
