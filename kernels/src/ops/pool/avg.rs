//! Average pooling (`avg_pool1d/2d/3d`) and adaptive average pooling (`adaptive_avg_pool*`).
//!
//! Average pooling, as PyTorch's CPU kernel: along each axis the window `[o·s − p, o·s − p + k)`
//! is first clipped to the padded input `[−p, input + p)` (its length there is the
//! `count_include_pad` divisor), then to the input (the summed elements, and the divisor without
//! `count_include_pad`); `divisor_override` replaces the divisor. `dilation` must be 1.
//!
//! Adaptive average pooling to `output`: window `o` along an axis of length `I` is
//! `[⌊o·I/O⌋, ⌈(o+1)·I/O⌉)` (PyTorch's `start_index`/`end_index`); the divisor is its size.
//!
//! Backwards: each output's gradient divided by its divisor is added to every input element of
//! its window (`grad_in` written: zeroed first).
//!
//! ```
//! use fusenet_kernels::ops::pool::{PoolGeom, avg::{AvgPoolOptions, avg_pool_forward, adaptive_avg_pool_forward}};
//! let mut g = PoolGeom::<1>::new(1, 1, [4], [3]);
//! (g.stride, g.padding) = ([2], [1]);
//! let x = [1.0f32, 2.0, 3.0, 4.0];
//! let mut y = [0.0; 2];
//! avg_pool_forward(&g, AvgPoolOptions::default(), &x, &mut y);
//! assert_eq!(y, [1.0, 3.0]); // (0 + 1 + 2)/3, (2 + 3 + 4)/3
//! avg_pool_forward(&g, AvgPoolOptions { count_include_pad: false, divisor_override: None }, &x, &mut y);
//! assert_eq!(y, [1.5, 3.0]);
//! let mut z = [0.0; 3];
//! adaptive_avg_pool_forward(1, [4], [3], &x, &mut z); // windows [0,2), [1,3), [2,4)
//! assert_eq!(z, [1.5, 2.5, 3.5]);
//! ```

use super::{PoolGeom, for_each_plane};
use crate::real::Real;

/// `count_include_pad` and `divisor_override` (PyTorch's defaults: `true`, `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AvgPoolOptions {
    pub count_include_pad: bool,
    pub divisor_override: Option<usize>,
}

impl Default for AvgPoolOptions {
    fn default() -> Self {
        AvgPoolOptions { count_include_pad: true, divisor_override: None }
    }
}

/// One window along one axis: the summed input range and the two lengths a divisor can use.
#[derive(Clone, Copy)]
struct Span {
    lo: usize,
    hi: usize,
    padded: usize,
}

fn span(o: usize, input: usize, k: usize, s: usize, p: usize) -> Span {
    let start = (o * s) as isize - p as isize;
    let end = (start + k as isize).min((input + p) as isize);
    let padded = (end - start).max(0) as usize;
    let (lo, hi) = (start.max(0) as usize, end.min(input as isize).max(0) as usize);
    Span { lo: lo.min(hi), hi, padded }
}

fn adaptive_span(o: usize, input: usize, output: usize) -> Span {
    let lo = o * input / output;
    let hi = ((o + 1) * input).div_ceil(output);
    Span { lo, hi, padded: hi - lo }
}

/// Sums, over every output of a plane, the windows `spans(axis, o)`; `emit(at, window, divisor)`.
fn windows3(output: [usize; 3], spans: impl Fn(usize, usize) -> Span, mut emit: impl FnMut(usize, [Span; 3])) {
    let mut at = 0;
    for zd in 0..output[0] {
        let sd = spans(0, zd);
        for zh in 0..output[1] {
            let sh = spans(1, zh);
            for zw in 0..output[2] {
                emit(at, [sd, sh, spans(2, zw)]);
                at += 1;
            }
        }
    }
}

fn divisor<T: Real>(w: &[Span; 3], o: AvgPoolOptions) -> T {
    let n = match (o.divisor_override, o.count_include_pad) {
        (Some(d), _) => d,
        (None, true) => w.iter().map(|s| s.padded).product(),
        (None, false) => w.iter().map(|s| s.hi - s.lo).product(),
    };
    T::from_usize(n)
}

fn sum3<T: Real>(xp: &[T], input: [usize; 3], w: &[Span; 3]) -> T {
    let mut acc = T::zero();
    for d in w[0].lo..w[0].hi {
        for h in w[1].lo..w[1].hi {
            let row = (d * input[1] + h) * input[2];
            for &v in &xp[row + w[2].lo..row + w[2].hi] {
                acc += v;
            }
        }
    }
    acc
}

fn spread3<T: Real>(dxp: &mut [T], input: [usize; 3], w: &[Span; 3], g: T) {
    for d in w[0].lo..w[0].hi {
        for h in w[1].lo..w[1].hi {
            let row = (d * input[1] + h) * input[2];
            dxp[row + w[2].lo..row + w[2].hi].iter_mut().for_each(|v| *v += g);
        }
    }
}

fn check_avg<const D: usize>(g: &PoolGeom<D>, o: AvgPoolOptions, op: &str) {
    assert!(g.dilation.iter().all(|&d| d == 1), "{op}: average pooling has no dilation, got {:?}", g.dilation);
    assert!(o.divisor_override != Some(0), "{op}: divisor must be not zero");
}

/// `y` (`[N, C, *output]`) = the window averages of `x` (`[N, C, *input]`).
pub fn avg_pool_forward<T: Real, const D: usize>(g: &PoolGeom<D>, o: AvgPoolOptions, x: &[T], y: &mut [T]) {
    g.check("avg_pool_forward", x.len(), y.len());
    check_avg(g, o, "avg_pool_forward");
    let a = g.in3();
    let (ip, op) = (a.in_plane(), a.out_plane());
    let spans = |ax: usize, z: usize| span(z, a.input[ax], a.kernel[ax], a.stride[ax], a.padding[ax]);
    for_each_plane(y, op, g.kernel.iter().product(), |p, yp| {
        let xp = &x[p * ip..(p + 1) * ip];
        windows3(a.output, spans, |at, w| {
            let empty = w.iter().any(|s| s.hi <= s.lo);
            yp[at] = if empty { T::zero() } else { sum3(xp, a.input, &w) / divisor::<T>(&w, o) };
        });
    });
}

/// Writes `grad_in` for [`avg_pool_forward`].
pub fn avg_pool_backward<T: Real, const D: usize>(g: &PoolGeom<D>, o: AvgPoolOptions, grad_out: &[T], grad_in: &mut [T]) {
    g.check("avg_pool_backward", grad_in.len(), grad_out.len());
    check_avg(g, o, "avg_pool_backward");
    let a = g.in3();
    let (ip, op) = (a.in_plane(), a.out_plane());
    let spans = |ax: usize, z: usize| span(z, a.input[ax], a.kernel[ax], a.stride[ax], a.padding[ax]);
    for_each_plane(grad_in, ip, g.kernel.iter().product::<usize>() * op / ip.max(1) + 1, |p, dxp| {
        dxp.fill(T::zero());
        let gp = &grad_out[p * op..(p + 1) * op];
        windows3(a.output, spans, |at, w| {
            if w.iter().all(|s| s.hi > s.lo) {
                spread3(dxp, a.input, &w, gp[at] / divisor::<T>(&w, o));
            }
        });
    });
}

fn pad3<const D: usize>(a: [usize; D]) -> [usize; 3] {
    std::array::from_fn(|i| if i + D < 3 { 1 } else { a[i + D - 3] })
}

fn check_adaptive<const D: usize>(op: &str, planes: usize, input: [usize; D], output: [usize; D], x: usize, y: usize) {
    assert!((1..=3).contains(&D), "{op}: only 1, 2 or 3 spatial dims are supported, got {D}");
    assert!(input.iter().all(|&i| i > 0), "{op}: input spatial size must be positive, got {input:?}");
    assert!(output.iter().all(|&o| o > 0), "{op}: output size must be positive, got {output:?}");
    let (xi, yo) = (planes * input.iter().product::<usize>(), planes * output.iter().product::<usize>());
    assert_eq!(x, xi, "{op}: input has {x} elements, expected {planes} planes of {input:?} = {xi}");
    assert_eq!(y, yo, "{op}: output has {y} elements, expected {planes} planes of {output:?} = {yo}");
}

/// Adaptive average pooling of `planes = N·C` planes of size `input` to size `output`.
pub fn adaptive_avg_pool_forward<T: Real, const D: usize>(planes: usize, input: [usize; D], output: [usize; D], x: &[T], y: &mut [T]) {
    check_adaptive("adaptive_avg_pool_forward", planes, input, output, x.len(), y.len());
    let (i3, o3) = (pad3(input), pad3(output));
    let (ip, op) = (i3.iter().product::<usize>(), o3.iter().product::<usize>());
    let spans = |ax: usize, z: usize| adaptive_span(z, i3[ax], o3[ax]);
    for_each_plane(y, op, ip / op + 1, |p, yp| {
        let xp = &x[p * ip..(p + 1) * ip];
        windows3(o3, spans, |at, w| yp[at] = sum3(xp, i3, &w) / divisor::<T>(&w, AvgPoolOptions::default()));
    });
}

/// Writes `grad_in` for [`adaptive_avg_pool_forward`].
pub fn adaptive_avg_pool_backward<T: Real, const D: usize>(planes: usize, input: [usize; D], output: [usize; D], grad_out: &[T], grad_in: &mut [T]) {
    check_adaptive("adaptive_avg_pool_backward", planes, input, output, grad_in.len(), grad_out.len());
    let (i3, o3) = (pad3(input), pad3(output));
    let (ip, op) = (i3.iter().product::<usize>(), o3.iter().product::<usize>());
    let spans = |ax: usize, z: usize| adaptive_span(z, i3[ax], o3[ax]);
    for_each_plane(grad_in, ip, op / ip + 2, |p, dxp| {
        dxp.fill(T::zero());
        let gp = &grad_out[p * op..(p + 1) * op];
        windows3(o3, spans, |at, w| spread3(dxp, i3, &w, gp[at] / divisor::<T>(&w, AvgPoolOptions::default())));
    });
}
