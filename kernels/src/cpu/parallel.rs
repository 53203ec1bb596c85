//! Elementwise loops and reductions over contiguous slices, parallel on rayon above a size
//! threshold.
//!
//! Below [`PAR_THRESHOLD`] elements every loop runs on the calling thread: rayon's fork/join
//! overhead (a few microseconds) would dominate. Above it, slices are split into blocks of at least
//! [`PAR_MIN_CHUNK`] elements. Reductions are deterministic: blocks are a fixed partition of the
//! slice and their partial results are combined left to right on the calling thread, so a result
//! never depends on how rayon scheduled the blocks.

use rayon::prelude::*;
use std::cell::Cell;

/// Element count from which elementwise maps and reductions run on rayon.
///
/// Chosen with `cargo bench --bench eager_ops` on the shared 2-core development machine (medians,
/// serial → parallel, µs): add 13.3 → 21.7 at 10^5, 604 → 474 at 10^6, 17 820 → 12 300 at 10^7;
/// exp 177 → 190 at 10^5, 1 855 → 1 795 at 10^6; sum 13.6 → 18.4 at 10^5, 1 881 → 1 508 at 10^7.
/// At 2^15–2^16 the parallel loop lost 1.6–4× (fork/join cost on busy cores). Serial wins
/// everywhere up to 10^5 and parallel wins or ties from 10^6, so the threshold sits between: 2^18.
/// Re-measure on a machine with more (or idle) cores; the crossover moves down as cores free up.
pub const PAR_THRESHOLD: usize = 1 << 18;

/// [`PAR_THRESHOLD`] for a thread whose pool is kept awake (a loop inside
/// `fusenet::pool::in_pool`): a fork there is taken at once by a spinning worker instead of
/// waking a sleeping one, so loops pay off from fewer elements. Measured on the 2-core machine
/// with `train_rss pieces` (in the pool, alternated runs, step medians in ms) at 2^14 / 2^15 /
/// 2^18: mnist_mlp_b128 0.73–0.74 / 0.71–0.72 / 0.79–0.80 (its SGD update 0.085 → 0.039),
/// lenet_b64 0.87–0.88 / 0.87–0.88 / 0.98–0.99.
pub const PAR_THRESHOLD_WARM: usize = 1 << 15;

thread_local! {
    /// Whether this thread runs a loop whose pool is kept awake (see [`Warm`]).
    static WARM: Cell<bool> = const { Cell::new(false) };
}

/// The element count from which this thread's loops run on rayon: [`PAR_THRESHOLD_WARM`] while
/// a [`Warm`] guard is alive on this thread, else [`PAR_THRESHOLD`]. Every loop of this crate
/// computes the same bits either way (each element, lane or block is computed alone, and
/// reductions combine a fixed partition in order), so this decides speed only.
///
/// ```
/// use fusenet_kernels::cpu::parallel::{par_threshold, Warm, PAR_THRESHOLD, PAR_THRESHOLD_WARM};
/// assert_eq!(par_threshold(), PAR_THRESHOLD);
/// let warm = Warm::enter();
/// assert_eq!(par_threshold(), PAR_THRESHOLD_WARM);
/// drop(warm);
/// assert_eq!(par_threshold(), PAR_THRESHOLD);
/// ```
pub fn par_threshold() -> usize {
    if WARM.with(Cell::get) {
        PAR_THRESHOLD_WARM
    } else {
        PAR_THRESHOLD
    }
}

/// Marks the current thread as running with its pool kept awake, until dropped (restoring what
/// was there before, so guards nest).
pub struct Warm {
    before: bool,
}

impl Warm {
    pub fn enter() -> Warm {
        Warm {
            before: WARM.with(|w| w.replace(true)),
        }
    }
}

impl Drop for Warm {
    fn drop(&mut self) {
        WARM.with(|w| w.set(self.before));
    }
}

/// The smallest block of a parallel loop, so that each rayon task amortises its scheduling.
pub const PAR_MIN_CHUNK: usize = 1 << 14;

/// How a loop is scheduled: by the threshold (`Auto`, what every op uses), or forced, which the
/// `eager_ops` benchmark uses to measure both sides of [`PAR_THRESHOLD`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Auto,
    Serial,
    Parallel,
}

impl Mode {
    fn parallel(self, len: usize) -> bool {
        match self {
            Mode::Auto => len >= par_threshold(),
            Mode::Serial => false,
            Mode::Parallel => true,
        }
    }
}

/// `out[i] = f(src[i])`, collected into a new vector.
///
/// ```
/// use fusenet_kernels::cpu::parallel::map_unary;
/// assert_eq!(map_unary(&[1.0f32, 4.0], |x| x.sqrt()), vec![1.0, 2.0]);
/// ```
pub fn map_unary<T, U>(src: &[T], f: impl Fn(T) -> U + Sync + Send) -> Vec<U>
where
    T: Copy + Sync,
    U: Send,
{
    map_unary_mode(src, f, Mode::Auto)
}

/// [`map_unary`] with an explicit schedule.
pub fn map_unary_mode<T, U>(src: &[T], f: impl Fn(T) -> U + Sync + Send, mode: Mode) -> Vec<U>
where
    T: Copy + Sync,
    U: Send,
{
    if !mode.parallel(src.len()) {
        src.iter().map(|&x| f(x)).collect()
    } else {
        src.par_iter().with_min_len(PAR_MIN_CHUNK).map(|&x| f(x)).collect()
    }
}

/// `out[i] = f(a[i], b[i])`, collected into a new vector. Panics when the lengths differ.
///
/// ```
/// use fusenet_kernels::cpu::parallel::zip_binary;
/// assert_eq!(zip_binary(&[1, 2], &[10, 20], |a: i64, b: i64| a + b), vec![11, 22]);
/// ```
pub fn zip_binary<A, B, C>(a: &[A], b: &[B], f: impl Fn(A, B) -> C + Sync + Send) -> Vec<C>
where
    A: Copy + Sync,
    B: Copy + Sync,
    C: Send,
{
    zip_binary_mode(a, b, f, Mode::Auto)
}

/// [`zip_binary`] with an explicit schedule.
pub fn zip_binary_mode<A, B, C>(a: &[A], b: &[B], f: impl Fn(A, B) -> C + Sync + Send, mode: Mode) -> Vec<C>
where
    A: Copy + Sync,
    B: Copy + Sync,
    C: Send,
{
    assert_eq!(a.len(), b.len(), "zip_binary: slices of different lengths");
    if !mode.parallel(a.len()) {
        a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
    } else {
        a.par_iter().zip(b.par_iter()).with_min_len(PAR_MIN_CHUNK).map(|(&x, &y)| f(x, y)).collect()
    }
}

/// `dst[i] = f(dst[i])` in place.
pub fn map_inplace<T>(dst: &mut [T], f: impl Fn(T) -> T + Sync + Send)
where
    T: Copy + Send + Sync,
{
    if dst.len() < par_threshold() {
        dst.iter_mut().for_each(|x| *x = f(*x));
    } else {
        dst.par_iter_mut().with_min_len(PAR_MIN_CHUNK).for_each(|x| *x = f(*x));
    }
}

/// `dst[i] = f(dst[i], src[i])` in place. Panics when the lengths differ.
pub fn zip_inplace<T, U>(dst: &mut [T], src: &[U], f: impl Fn(T, U) -> T + Sync + Send)
where
    T: Copy + Send + Sync,
    U: Copy + Sync,
{
    assert_eq!(dst.len(), src.len(), "zip_inplace: slices of different lengths");
    if dst.len() < par_threshold() {
        dst.iter_mut().zip(src).for_each(|(x, &y)| *x = f(*x, y));
    } else {
        dst.par_iter_mut().zip(src.par_iter()).with_min_len(PAR_MIN_CHUNK).for_each(|(x, &y)| *x = f(*x, y));
    }
}

/// A deterministic reduction: `fold(acc, index, element)` runs over fixed blocks of
/// [`PAR_MIN_CHUNK`] elements (in parallel above [`PAR_THRESHOLD`]), each block starting from
/// `identity`, and the block results are `combine`d left to right.
///
/// ```
/// use fusenet_kernels::cpu::parallel::fold_chunks;
/// // argmax as (index, value); the first maximum wins.
/// let v = [3.0f32, 7.0, 7.0, 1.0];
/// let best = fold_chunks(&v, (usize::MAX, f32::NEG_INFINITY),
///     |acc, i, x| if x > acc.1 { (i, x) } else { acc },
///     |a, b| if b.1 > a.1 { b } else { a });
/// assert_eq!(best.0, 1);
/// ```
pub fn fold_chunks<T, A>(
    data: &[T],
    identity: A,
    fold: impl Fn(A, usize, T) -> A + Sync + Send,
    combine: impl Fn(A, A) -> A,
) -> A
where
    T: Copy + Sync,
    A: Clone + Send + Sync,
{
    let fold_block = |(block, chunk): (usize, &[T])| {
        let start = block * PAR_MIN_CHUNK;
        chunk.iter().enumerate().fold(identity.clone(), |acc, (i, &x)| fold(acc, start + i, x))
    };
    let partials: Vec<A> = if data.len() < par_threshold() {
        data.chunks(PAR_MIN_CHUNK).enumerate().map(fold_block).collect()
    } else {
        data.par_chunks(PAR_MIN_CHUNK).enumerate().map(fold_block).collect()
    };
    partials.into_iter().fold(identity.clone(), combine)
}

/// Sum of `f32`s accumulated in `f64`: eight interleaved accumulators per block (so the loop
/// vectorises), blocks combined in order. Exact for any sum whose f64 partial sums do not round.
///
/// ```
/// use fusenet_kernels::cpu::parallel::sum_f32;
/// assert_eq!(sum_f32(&[0.1, 0.2, 0.3]), 0.1f32 as f64 + 0.2f32 as f64 + 0.3f32 as f64);
/// ```
pub fn sum_f32(data: &[f32]) -> f64 {
    sum_f32_mode(data, Mode::Auto)
}

/// [`sum_f32`] with an explicit schedule (the result is the same either way).
pub fn sum_f32_mode(data: &[f32], mode: Mode) -> f64 {
    let block_sum = |chunk: &[f32]| {
        let mut acc = [0f64; 8];
        let mut lanes = chunk.chunks_exact(8);
        for l in &mut lanes {
            for (a, &x) in acc.iter_mut().zip(l) {
                *a += x as f64;
            }
        }
        let tail: f64 = lanes.remainder().iter().map(|&x| x as f64).sum();
        acc.iter().sum::<f64>() + tail
    };
    if !mode.parallel(data.len()) {
        // Blocks added in order as they come: no vector of partial sums, so no allocation.
        return data.chunks(PAR_MIN_CHUNK).map(block_sum).sum();
    }
    let partials: Vec<f64> = data.par_chunks(PAR_MIN_CHUNK).map(block_sum).collect();
    partials.iter().sum()
}

/// One lane of a strided reduction: `len` elements at `base + i·stride` of `data`.
#[derive(Clone, Copy, Debug)]
pub struct Lane<'a, T> {
    pub data: &'a [T],
    pub base: usize,
    pub len: usize,
    pub stride: usize,
}

impl<'a, T: Copy> Lane<'a, T> {
    /// The lane's elements in order.
    pub fn iter(&self) -> impl Iterator<Item = T> + Clone + 'a {
        let Lane { data, base, stride, len } = *self;
        (0..len).map(move |i| data[base + i * stride])
    }
}

/// `out[l] = f(lane l)` for lanes starting at each of `bases`; parallel over lanes when the total
/// element count reaches [`PAR_THRESHOLD`].
pub fn reduce_lanes<T, R>(
    data: &[T],
    bases: &[usize],
    len: usize,
    stride: usize,
    f: impl Fn(Lane<'_, T>) -> R + Sync + Send,
) -> Vec<R>
where
    T: Copy + Sync,
    R: Send,
{
    let lane = |&base: &usize| f(Lane { data, base, len, stride });
    if bases.len().saturating_mul(len) < par_threshold() || bases.len() < 2 {
        bases.iter().map(lane).collect()
    } else {
        bases.par_iter().map(lane).collect()
    }
}

/// `f(lane l, out[l·len..(l+1)·len])` for lanes starting at each of `bases`: a lane-to-lane map
/// (softmax), written lane-major into a new vector of `bases.len()·len` elements.
pub fn map_lanes<T, U>(
    data: &[T],
    bases: &[usize],
    len: usize,
    stride: usize,
    f: impl Fn(Lane<'_, T>, &mut [U]) + Sync + Send,
) -> Vec<U>
where
    T: Copy + Sync,
    U: Copy + Default + Send,
{
    let mut out = vec![U::default(); bases.len() * len];
    if len == 0 {
        return out;
    }
    let body = |(out, &base): (&mut [U], &usize)| f(Lane { data, base, len, stride }, out);
    if out.len() < par_threshold() || bases.len() < 2 {
        out.chunks_mut(len).zip(bases).for_each(body);
    } else {
        out.par_chunks_mut(len).zip(bases.par_iter()).for_each(body);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_agree_serial_and_parallel() {
        for n in [0, 1, 7, PAR_THRESHOLD - 1, PAR_THRESHOLD, 3 * PAR_THRESHOLD + 5] {
            let a: Vec<f32> = (0..n).map(|i| i as f32 * 0.5).collect();
            let b: Vec<f32> = (0..n).map(|i| (i % 7) as f32).collect();
            let m = map_unary(&a, |x| x * 2.0);
            assert!(m.iter().enumerate().all(|(i, &y)| y == i as f32));
            let z = zip_binary(&a, &b, |x, y| x - y);
            assert!(z.iter().enumerate().all(|(i, &y)| y == a[i] - b[i]));
            let mut d = a.clone();
            map_inplace(&mut d, |x| x + 1.0);
            assert!(d.iter().zip(&a).all(|(x, y)| *x == y + 1.0));
            zip_inplace(&mut d, &b, |x, y| x * y);
            assert!(d.iter().enumerate().all(|(i, &x)| x == (a[i] + 1.0) * b[i]));
        }
    }

    #[test]
    fn sum_is_accurate_and_deterministic() {
        let n = 3 * PAR_THRESHOLD + 11;
        let v: Vec<f32> = (0..n).map(|i| 1.0 + (i % 3) as f32 * 1e-7).collect();
        let exact: f64 = v.iter().map(|&x| x as f64).sum();
        let got = sum_f32(&v);
        assert!((got - exact).abs() < 1e-9 * exact, "{got} vs {exact}");
        assert_eq!(got, sum_f32(&v), "same input, same bits");
        assert_eq!(sum_f32(&[]), 0.0);
    }

    #[test]
    fn fold_chunks_sees_global_indices() {
        let n = 2 * PAR_THRESHOLD + 3;
        let mut v = vec![0i64; n];
        v[n - 2] = 5;
        v[n - 1] = 5;
        let (idx, max) = fold_chunks(
            &v,
            (usize::MAX, i64::MIN),
            |acc, i, x| if x > acc.1 { (i, x) } else { acc },
            |a, b| if b.1 > a.1 { b } else { a },
        );
        assert_eq!((idx, max), (n - 2, 5));
    }

    #[test]
    fn lanes_reduce_and_map_strided() {
        // A 2×3 row-major matrix; lanes are its columns (stride 3).
        let data = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let sums = reduce_lanes(&data, &[0, 1, 2], 2, 3, |l| l.iter().sum::<f32>());
        assert_eq!(sums, vec![5.0, 7.0, 9.0]);
        let scaled = map_lanes(&data, &[0, 1, 2], 2, 3, |l, out: &mut [f32]| {
            for (o, x) in out.iter_mut().zip(l.iter()) {
                *o = 10.0 * x;
            }
        });
        assert_eq!(scaled, vec![10.0, 40.0, 20.0, 50.0, 30.0, 60.0]);
        let big: Vec<f32> = vec![1.0; 4 * PAR_THRESHOLD];
        let bases: Vec<usize> = (0..4).map(|i| i * PAR_THRESHOLD).collect();
        let s = reduce_lanes(&big, &bases, PAR_THRESHOLD, 1, |l| l.iter().sum::<f32>());
        assert_eq!(s, vec![PAR_THRESHOLD as f32; 4]);
    }
}
