//! After the first step, an optimiser step allocates nothing: state buffers are made once, and
//! the update runs in place on the locked parameter and grad storages. Counted on all threads
//! (2^19 elements run on rayon) by the binary's allocator (`counting.rs`), holding its lock. The
//! one exception is rayon's: its injector allocates a block per 63 jobs handed to the pool from
//! outside it (see `counting.rs`), so those blocks are counted apart, at most one per step.

use fusenet::optim::*;
use fusenet::{Param, Tensor};

use crate::counting::{self, Counts};

/// Steps counted after the warm-up.
const STEPS: usize = 3;

/// Allocations made by `STEPS` steps after 2 warm-up steps.
fn steady_state_allocs<O: Optimizer>(opt: &mut O) -> Counts {
    for _ in 0..2 {
        opt.step();
    }
    counting::split_during(|| {
        for _ in 0..STEPS {
            opt.step();
        }
    })
}

fn params(n: usize) -> (Param, Param) {
    let (w, b) = (Param::new(Tensor::full(&[n / 8, 8], 0.5)), Param::new(Tensor::full(&[8], -0.5)));
    w.set_grad(Some(Tensor::full(&[n / 8, 8], 0.1)));
    b.set_grad(Some(Tensor::full(&[8], 0.2)));
    (w, b)
}

#[test]
fn steady_state_steps_do_not_allocate() {
    let _lock = counting::exclusive();
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
            // Nothing but rayon's injector blocks, at most one per step (a step hands the pool
            // fewer than 63 jobs).
            assert_eq!(allocs.others, 0, "{name} on {n} elements: {allocs:?} in {STEPS} steady-state steps");
            assert!(allocs.injector_blocks <= STEPS, "{name} on {n} elements: {allocs:?} in {STEPS} steady-state steps");
        }
    }
}
