//! Running a training loop on the compute pool's own threads.
//!
//! The parallel kernels (GEMM panels, convolution chunks, large elementwise passes) fork on
//! rayon's global pool. Forked from a thread outside the pool, each one is injected into the
//! pool's queue, a worker is woken to take it, and the caller sleeps until a worker wakes it
//! again: two thread wake-ups per parallel op, which a LeNet step (dozens of such ops) pays for in
//! every step. Forked from a pool thread, the same op splits in place: the forking thread runs its
//! half at once and the other worker, still spinning from the op before, steals the rest. OpenMP
//! frameworks (PyTorch on the CPU) get this for free, since the thread that calls them is part of
//! their thread team. [`in_pool`] gives fusenet the same: it moves a whole loop onto the pool.

use crate::rng;
use fusenet_kernels::cpu::parallel::Warm;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Runs `f` on a thread of rayon's global pool (at once when already on a pool thread) and returns
/// its result. The caller's default generator goes with it and comes back after, so
/// [`manual_seed`](crate::manual_seed) before the call still decides dropout masks and random
/// tensors made inside it.
///
/// `fit` runs its epochs this way; a hand-written training loop gets the same by running inside
/// it. On the 2-core machine (`train_rss pieces`, step medians): MNIST MLP at batch 128
/// 1.09 ms from outside the pool, 1.05 on a pool thread, 0.76 with the other worker kept awake
/// (the private `keep_warm`) and 0.71 with the lower loop threshold that allows (`par_threshold`).
///
/// ```
/// use fusenet_runtime::{manual_seed, pool::in_pool, Tensor};
/// manual_seed(7);
/// let inside = in_pool(|| Tensor::rand(&[3]).to_vec::<f32>());
/// manual_seed(7);
/// assert_eq!(inside, Tensor::rand(&[3]).to_vec::<f32>());
/// ```
pub fn in_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() {
        return f();
    }
    let caller = rng::replace_default(rng::Generator::new(rng::DEFAULT_SEED));
    let done = AtomicBool::new(false);
    let (result, caller) = rayon::scope(|s| {
        let _busy = Busy::enter();
        let home = rayon::current_thread_index();
        // With the other workers awake, smaller loops pay off in parallel.
        let _warm = (rayon::current_num_threads() > 1).then(Warm::enter);
        for _ in 1..rayon::current_num_threads() {
            let done = &done;
            s.spawn(move |_| keep_warm(done, home));
        }
        let worker = rng::replace_default(caller);
        // A panic of `f` is carried out after both generators are back in place; either way the
        // other workers' loops end here, or the scope would wait for them forever.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        done.store(true, Ordering::Release);
        (result, rng::replace_default(worker))
    });
    rng::replace_default(caller);
    result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Runs pool work as it appears until `done`, so that this worker is awake when the loop's next
/// parallel op forks instead of asleep in the kernel (rayon puts an idle worker to sleep after
/// about 32 fruitless rounds, and waking it takes tens of microseconds). After [`SPINS`] empty
/// polls it offers its core to the OS between polls, so that other threads (a data loader's
/// workers) still run.
///
/// It gives up, leaving the worker to rayon's own idling, in three cases: on `home` (the thread
/// that runs the loop), when it would sit on top of a loop or another `keep_warm` on this
/// thread's stack (a worker waiting inside a fork may run any pending job, this one too, and
/// spinning there would stop what lies beneath it), and after [`IDLE_LIMIT`] without work. The
/// last bounds the stall when loops from several outside threads share the pool and a worker's
/// stack holds a fork of one loop beneath the `keep_warm` of another.
fn keep_warm(done: &AtomicBool, home: Option<usize>) {
    if rayon::current_thread_index() == home || Busy::depth() > 0 {
        return;
    }
    let _busy = Busy::enter();
    let (mut idle, mut since) = (0u32, Instant::now());
    while !done.load(Ordering::Acquire) {
        if let Some(rayon::Yield::Executed) = rayon::yield_now() {
            (idle, since) = (0, Instant::now());
        } else if idle < SPINS {
            idle += 1;
            std::hint::spin_loop();
        } else if since.elapsed() > IDLE_LIMIT {
            return;
        } else {
            std::thread::yield_now();
        }
    }
}

/// Empty polls before [`keep_warm`] yields its core between polls. `train_rss pieces`, 2 runs each
/// on a busy machine, step medians (ms) at 0 / 200 / 2,000 / 20,000: MNIST MLP 0.84–0.87 /
/// 0.83–0.86 / 0.80–0.81 / 0.75–0.83, LeNet 1.08–1.09 / 1.07–1.08 / 0.99–1.07 / 1.00–1.06. The
/// last two tie; the shorter spin leaves the core to other threads sooner.
const SPINS: u32 = 2_000;

/// How long [`keep_warm`] waits without finding work before it gives up: well above the gaps
/// between a training step's parallel ops (microseconds) and between steps (a batch's loading).
const IDLE_LIMIT: Duration = Duration::from_millis(20);

thread_local! {
    /// How many loops of [`in_pool`] and [`keep_warm`]s this thread is running, nested.
    static BUSY: Cell<usize> = const { Cell::new(0) };
}

/// One level of [`BUSY`], left when dropped.
struct Busy;

impl Busy {
    fn enter() -> Busy {
        BUSY.with(|b| b.set(b.get() + 1));
        Busy
    }
    fn depth() -> usize {
        BUSY.with(Cell::get)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        BUSY.with(|b| b.set(b.get() - 1));
    }
}

#[cfg(test)]
mod tests {
    use super::in_pool;
    use crate::{Tensor, manual_seed};

    #[test]
    fn runs_on_a_pool_thread_and_inline_when_nested() {
        assert_eq!(rayon::current_thread_index(), None, "tests run outside the pool");
        let (outer, inner) = in_pool(|| (rayon::current_thread_index(), in_pool(rayon::current_thread_index)));
        assert!(outer.is_some(), "in_pool runs its closure on a pool thread");
        assert_eq!(outer, inner, "a nested call runs on the same thread");
    }

    /// Parallel sums of a large vector, forked from inside the loop many times.
    fn forks(n: usize) -> f64 {
        use rayon::prelude::*;
        let v: Vec<f64> = (0..1 << 16).map(|i| i as f64).collect();
        (0..n).map(|_| v.par_chunks(1 << 10).map(|c| c.iter().sum::<f64>()).sum::<f64>()).sum()
    }

    #[test]
    fn loops_from_many_outside_threads_share_the_pool_and_all_finish() {
        // Each loop's `keep_warm` may be picked up by a worker waiting inside another loop's fork:
        // every loop must still finish (no worker spins forever above work it blocks).
        let expected = 50.0 * ((1u64 << 16) * ((1 << 16) - 1) / 2) as f64;
        let threads: Vec<_> = (0..6).map(|_| std::thread::spawn(|| in_pool(|| forks(50)))).collect();
        for t in threads {
            assert_eq!(t.join().expect("no panic"), expected);
        }
    }

    #[test]
    fn a_panic_inside_comes_out_and_leaves_the_pool_and_the_generator_as_they_were() {
        manual_seed(8);
        let expected = Tensor::rand(&[3]).to_vec::<f32>();
        manual_seed(8);
        let caught = std::panic::catch_unwind(|| in_pool(|| -> usize { panic!("inside the loop") }));
        assert!(caught.is_err());
        assert_eq!(Tensor::rand(&[3]).to_vec::<f32>(), expected, "the caller's generator is back");
        assert_eq!(in_pool(|| forks(2)), in_pool(|| forks(2)));
    }

    #[test]
    fn the_callers_generator_goes_and_comes_back() {
        manual_seed(3);
        let expected = (Tensor::rand(&[4]).to_vec::<f32>(), Tensor::rand(&[4]).to_vec::<f32>());
        manual_seed(3);
        let first = in_pool(|| Tensor::rand(&[4]).to_vec::<f32>());
        let second = Tensor::rand(&[4]).to_vec::<f32>();
        assert_eq!((first, second), expected, "draws inside and after continue one stream");
        // A seed set inside stays with the caller.
        in_pool(|| manual_seed(5));
        let after = Tensor::rand(&[2]).to_vec::<f32>();
        manual_seed(5);
        assert_eq!(after, Tensor::rand(&[2]).to_vec::<f32>());
    }
}
