//! After the first step, an optimiser step allocates nothing: state buffers are made once, and
//! the update runs in place on the locked parameter and grad storages. Counted with a global
//! allocator (one test in this binary, so no other test allocates meanwhile).

use fusenet::optim::*;
use fusenet::{Param, Tensor};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by 3 steps after 2 warm-up steps.
fn steady_state_allocs<O: Optimizer>(opt: &mut O) -> usize {
    for _ in 0..2 {
        opt.step();
    }
    let before = ALLOCS.load(Ordering::SeqCst);
    for _ in 0..3 {
        opt.step();
    }
    ALLOCS.load(Ordering::SeqCst) - before
}

fn params(n: usize) -> (Param, Param) {
    let (w, b) = (Param::new(Tensor::full(&[n / 8, 8], 0.5)), Param::new(Tensor::full(&[8], -0.5)));
    w.set_grad(Some(Tensor::full(&[n / 8, 8], 0.1)));
    b.set_grad(Some(Tensor::full(&[8], 0.2)));
    (w, b)
}

#[test]
fn steady_state_steps_do_not_allocate() {
    // 4096 elements run on the calling thread; 2^19 run on rayon.
    for n in [4096, 1 << 19] {
        let (w, b) = params(n);
        let counts = [
            ("SGD", steady_state_allocs(&mut Sgd::new([&w, &b], 0.1).momentum(0.9).nesterov(true).weight_decay(0.01))),
            ("Adam", steady_state_allocs(&mut Adam::new([&w, &b], 1e-3).amsgrad(true).weight_decay(0.01))),
            ("AdamW", steady_state_allocs(&mut AdamW::new([&w, &b], 1e-3))),
            ("RMSprop", steady_state_allocs(&mut Rmsprop::new([&w, &b], 1e-2).centered(true).momentum(0.9))),
            ("Adagrad", steady_state_allocs(&mut Adagrad::new([&w, &b], 1e-2).lr_decay(0.1))),
            ("Adadelta", steady_state_allocs(&mut Adadelta::new([&w, &b], 1.0))),
        ];
        for (name, allocs) in counts {
            assert_eq!(allocs, 0, "{name} on {n} elements: {allocs} allocations in 3 steady-state steps");
        }
    }
}
