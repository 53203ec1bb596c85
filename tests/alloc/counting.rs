//! The counting global allocator of this binary, shared by all its tests.
//!
//! It counts every allocation (`alloc`, `alloc_zeroed`, `realloc`) on every thread, rayon's
//! workers included: the claim under test is "no allocation on any thread". Two kinds are also
//! counted apart:
//! - over-aligned allocations (alignment ≥ 32): GEMM packing buffers;
//! - [`injector_blocks`]: a job that a thread outside rayon's pool (a test's thread, a user's
//!   training loop) hands to the pool goes through the global injector, a queue of 63-job blocks
//!   (`crossbeam_deque::Injector`): every 63rd job pushed allocates the next block. A warm step
//!   that runs parallel kernels therefore allocates one block per 63 parallel regions, amortised;
//!   which step it falls on depends on every job pushed since the process started (so on the
//!   other tests that ran before), not on the step.
//!
//! The test harness runs tests in parallel, and the counters are global, so every test of this
//! binary holds [`exclusive`] for its whole body, counting or not: while one test counts, every
//! other test is waiting for the lock. The harness itself allocates around each test (on the
//! finished test's thread, on its main thread when it records the result and starts the next test,
//! and on that next test's thread before its body runs); [`exclusive`] returns only once that has
//! settled, so a count taken under it holds the code under test alone.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

struct Counting;

/// Every allocation, on every thread.
static ALLOCS: AtomicUsize = AtomicUsize::new(0);
/// Those of them with an alignment of at least 32 bytes.
static OVER_ALIGNED: AtomicUsize = AtomicUsize::new(0);
/// Those of them with the layout of a block of rayon's injector.
static INJECTOR_BLOCKS: AtomicUsize = AtomicUsize::new(0);

/// The size of `crossbeam_deque::Injector`'s `Block<rayon_core::job::JobRef>`: a next pointer and
/// 63 slots, each a `JobRef` (two pointers) and a state word.
const INJECTOR_BLOCK_SIZE: usize = 8 + 63 * (16 + 8);

fn note(layout: Layout) {
    ALLOCS.fetch_add(1, Ordering::Relaxed);
    if layout.align() >= 32 {
        OVER_ALIGNED.fetch_add(1, Ordering::Relaxed);
    }
    if layout.size() == INJECTOR_BLOCK_SIZE && layout.align() == 8 {
        INJECTOR_BLOCKS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: forwards to the system allocator unchanged; only counts calls (in atomics, which never
// allocate).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(layout);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations so far, all threads together.
pub fn allocations() -> usize {
    ALLOCS.load(Ordering::SeqCst)
}

/// Over-aligned (≥ 32-byte) allocations so far, all threads together.
pub fn over_aligned() -> usize {
    OVER_ALIGNED.load(Ordering::SeqCst)
}

/// Allocations so far with the layout of a block of rayon's injector (see the module doc), all
/// threads together.
pub fn injector_blocks() -> usize {
    INJECTOR_BLOCKS.load(Ordering::SeqCst)
}

/// The allocations, on any thread, made while `f` runs. Call it under [`exclusive`].
pub fn during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = allocations();
    let r = f();
    (r, allocations() - before)
}

/// What some code allocated, on any thread: blocks of rayon's injector apart from the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Every allocation that is not an injector block.
    pub others: usize,
    /// Blocks of rayon's injector (one per 63 jobs pushed into the pool from outside it).
    pub injector_blocks: usize,
}

/// What `f` allocated, on any thread, its injector blocks told apart. Call it under [`exclusive`].
pub fn split_during(f: impl FnOnce()) -> Counts {
    let (all, blocks) = (allocations(), injector_blocks());
    f();
    let injector_blocks = injector_blocks() - blocks;
    Counts { others: allocations() - all - injector_blocks, injector_blocks }
}

static LOCK: Mutex<()> = Mutex::new(());

/// Threads that held [`LOCK`] and have not exited yet (decremented by [`Exit`]'s destructor).
static LIVE_HOLDERS: AtomicUsize = AtomicUsize::new(0);

/// A thread-local whose destructor runs when a thread that held the lock exits, after the
/// harness has sent that test's result.
struct Exit;

impl Drop for Exit {
    fn drop(&mut self) {
        LIVE_HOLDERS.fetch_sub(1, Ordering::SeqCst);
    }
}

thread_local! {
    static EXIT: Exit = const { Exit };
    static HELD_BEFORE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// How long nothing may allocate before a test starts.
const QUIET: Duration = Duration::from_millis(15);
/// The most one waits for that (then the test runs anyway; a count it takes may then fail).
const PATIENCE: Duration = Duration::from_secs(10);

/// Takes the binary's lock (for the caller's whole test: keep the guard) and waits until the
/// harness's work around earlier tests is over: the threads of earlier holders have exited and no
/// thread has allocated for a while. A poisoned lock (an earlier test panicked) is taken anyway.
#[must_use = "the lock is held only while the guard lives"]
pub fn exclusive() -> MutexGuard<'static, ()> {
    let guard = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let start = Instant::now();
    // A thread that held the lock before (the harness ran two tests on one thread) counts itself.
    let own = usize::from(HELD_BEFORE.with(|h| h.replace(true)));
    while LIVE_HOLDERS.load(Ordering::SeqCst) > own && start.elapsed() < PATIENCE {
        std::thread::sleep(Duration::from_millis(1));
    }
    if own == 0 {
        LIVE_HOLDERS.fetch_add(1, Ordering::SeqCst);
        // Registers the destructor (which itself allocates; not yet counted by anyone).
        EXIT.with(|_| ());
    }
    let mut seen = allocations();
    let mut quiet_since = Instant::now();
    while quiet_since.elapsed() < QUIET && start.elapsed() < PATIENCE {
        std::thread::sleep(Duration::from_millis(1));
        let now = allocations();
        if now != seen {
            (seen, quiet_since) = (now, Instant::now());
        }
    }
    guard
}
