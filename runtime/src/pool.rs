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

/// Runs `f` on a thread of rayon's global pool (at once when already on a pool thread) and returns
/// its result. The caller's default generator goes with it and comes back after, so
/// [`manual_seed`](crate::manual_seed) before the call still decides dropout masks and random
/// tensors made inside it.
///
/// `fit` runs its epochs this way; a hand-written training loop gets the same by running inside
/// it. On a 2-core machine, a LeNet step at batch 64 spends about 15% less time per step
/// (`BENCHMARKS.md`, session 5).
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
    let (result, caller) = rayon::scope(move |_| {
        let worker = rng::replace_default(caller);
        let result = f();
        (result, rng::replace_default(worker))
    });
    rng::replace_default(caller);
    result
}

#[cfg(test)]
mod tests {
    use super::in_pool;
    use crate::{Tensor, manual_seed};

    #[test]
    fn runs_on_a_pool_thread_and_inline_when_nested() {
        assert_eq!(
            rayon::current_thread_index(),
            None,
            "tests run outside the pool"
        );
        let (outer, inner) = in_pool(|| {
            (
                rayon::current_thread_index(),
                in_pool(rayon::current_thread_index),
            )
        });
        assert!(outer.is_some(), "in_pool runs its closure on a pool thread");
        assert_eq!(outer, inner, "a nested call runs on the same thread");
    }

    #[test]
    fn the_callers_generator_goes_and_comes_back() {
        manual_seed(3);
        let expected = (
            Tensor::rand(&[4]).to_vec::<f32>(),
            Tensor::rand(&[4]).to_vec::<f32>(),
        );
        manual_seed(3);
        let first = in_pool(|| Tensor::rand(&[4]).to_vec::<f32>());
        let second = Tensor::rand(&[4]).to_vec::<f32>();
        assert_eq!(
            (first, second),
            expected,
            "draws inside and after continue one stream"
        );
        // A seed set inside stays with the caller.
        in_pool(|| manual_seed(5));
        let after = Tensor::rand(&[2]).to_vec::<f32>();
        manual_seed(5);
        assert_eq!(after, Tensor::rand(&[2]).to_vec::<f32>());
    }
}
