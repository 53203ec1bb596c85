//! Background workers that build batches ahead of the training loop.
//!
//! PyTorch's multi-process loading, with threads: batch `k` goes to worker `k % num_workers`
//! over that worker's bounded task channel; results come back on one bounded channel and are put
//! back in order. At most `prefetch_factor * num_workers` batches are dispatched and not yet
//! handed out, so memory stays flat however slow the consumer is.
//!
//! Worker `w` seeds its thread's default generator with `base_seed + w`, as PyTorch's worker
//! loop calls `torch.manual_seed(base_seed + worker_id)`, so a dataset that draws random numbers in
//! `get` sees the numbers it would see in PyTorch's worker `w`.
//!
//! Dropping the pool closes the task channels (idle workers see the end and return) and the
//! result channel (a worker that finishes a batch finds no receiver and returns), then joins every
//! thread: no worker outlives its iterator.

use crate::rng;
use std::any::Any;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, JoinHandle};

/// Builds the batch for a list of dataset indices.
pub(crate) type Fetch<B> = Arc<dyn Fn(&[usize]) -> B + Send + Sync>;

type Outcome<B> = (usize, Result<B, Box<dyn Any + Send>>);

pub(crate) struct WorkerPool<B> {
    tasks: Vec<SyncSender<(usize, Vec<usize>)>>,
    results: Option<Receiver<Outcome<B>>>,
    handles: Vec<JoinHandle<()>>,
    /// Finished batches that arrived before their turn.
    ready: HashMap<usize, B>,
    /// The next batch number to dispatch / to hand out.
    dispatched: usize,
    delivered: usize,
    max_in_flight: usize,
}

impl<B: Send + 'static> WorkerPool<B> {
    pub(crate) fn new(num_workers: usize, prefetch_factor: usize, base_seed: u64, fetch: Fetch<B>) -> WorkerPool<B> {
        let max_in_flight = num_workers * prefetch_factor;
        let (result_tx, results) = mpsc::sync_channel::<Outcome<B>>(max_in_flight);
        let mut tasks = Vec::with_capacity(num_workers);
        let mut handles = Vec::with_capacity(num_workers);
        for w in 0..num_workers {
            let (task_tx, task_rx) = mpsc::sync_channel::<(usize, Vec<usize>)>(prefetch_factor);
            let result_tx = result_tx.clone();
            let fetch = Arc::clone(&fetch);
            let handle = thread::Builder::new()
                .name(format!("fusenet-data-worker-{w}"))
                .spawn(move || {
                    rng::manual_seed(base_seed.wrapping_add(w as u64));
                    while let Ok((k, indices)) = task_rx.recv() {
                        let outcome = panic::catch_unwind(AssertUnwindSafe(|| fetch(&indices)));
                        if result_tx.send((k, outcome)).is_err() {
                            break;
                        }
                    }
                })
                .unwrap_or_else(|e| panic!("DataLoader: cannot start worker thread {w}: {e}"));
            tasks.push(task_tx);
            handles.push(handle);
        }
        WorkerPool { tasks, results: Some(results), handles, ready: HashMap::new(), dispatched: 0, delivered: 0, max_in_flight }
    }

    /// Whether another batch may be dispatched without passing the in-flight bound.
    pub(crate) fn has_room(&self) -> bool {
        self.dispatched - self.delivered < self.max_in_flight
    }

    /// How many batches have been dispatched.
    pub(crate) fn dispatched(&self) -> usize {
        self.dispatched
    }

    /// Sends the next batch's indices to its worker.
    pub(crate) fn dispatch(&mut self, indices: Vec<usize>) {
        let k = self.dispatched;
        let worker = k % self.tasks.len();
        // The channel holds `prefetch_factor` tasks and a worker never has more outstanding, so
        // this does not block; it fails only if the worker is gone, which `next` reports.
        let _ = self.tasks[worker].send((k, indices));
        self.dispatched += 1;
    }

    /// The next batch in order, or `None` when every dispatched batch has been handed out.
    /// A panic inside a worker is resumed here, on the caller's thread.
    pub(crate) fn next(&mut self) -> Option<B> {
        if self.delivered == self.dispatched {
            return None;
        }
        let want = self.delivered;
        let batch = loop {
            if let Some(b) = self.ready.remove(&want) {
                break b;
            }
            let results = self.results.as_ref()?;
            match results.recv() {
                Ok((k, Ok(b))) => {
                    self.ready.insert(k, b);
                }
                Ok((_, Err(payload))) => panic::resume_unwind(payload),
                Err(_) => panic!("DataLoader: a worker thread exited before delivering batch {want}"),
            }
        };
        self.delivered += 1;
        Some(batch)
    }
}

impl<B> Drop for WorkerPool<B> {
    fn drop(&mut self) {
        self.tasks.clear();
        self.results = None;
        for h in self.handles.drain(..) {
            // A worker's own panics are caught and forwarded, so join fails only if forwarding
            // itself panicked; there is nothing more to report while dropping.
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivers_in_order_with_uneven_work() {
        let fetch: Fetch<Vec<usize>> = Arc::new(|idx: &[usize]| {
            // Later batches finish first.
            thread::sleep(std::time::Duration::from_millis(5 * (3 - idx[0] as u64 % 4)));
            idx.to_vec()
        });
        let mut pool = WorkerPool::new(3, 2, 0, fetch);
        let mut got = Vec::new();
        let mut next_task = 0;
        loop {
            while pool.has_room() && next_task < 10 {
                pool.dispatch(vec![next_task]);
                next_task += 1;
            }
            match pool.next() {
                Some(b) => got.push(b[0]),
                None => break,
            }
        }
        assert_eq!(got, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn in_flight_is_bounded() {
        let fetch: Fetch<usize> = Arc::new(|idx: &[usize]| idx[0]);
        let mut pool = WorkerPool::new(2, 3, 0, fetch);
        let mut n = 0;
        while pool.has_room() {
            pool.dispatch(vec![n]);
            n += 1;
        }
        assert_eq!(n, 6);
        assert_eq!(pool.next(), Some(0));
        assert!(pool.has_room());
    }
}
