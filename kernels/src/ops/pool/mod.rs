//! Pooling over `D` spatial axes (`D` = 1, 2 or 3), per channel plane: [`max`] (PyTorch's
//! `max_pool1d/2d/3d`, with argmax indices for the backward), [`avg`] (`avg_pool*` and
//! `adaptive_avg_pool*`).
//!
//! Shapes: `x` `[N, C, *input]`, `y` `[N, C, *output]` (`P = N·C` planes). Window `o` along an
//! axis covers the input positions `o·stride − padding + k·dilation`, `k < kernel`, and
//! `output = ⌊(input + 2·padding − dilation·(kernel − 1) − 1 + (ceil_mode ? stride − 1 : 0)) / stride⌋ + 1`,
//! less one when `ceil_mode` makes the last window start past the padded input (PyTorch's
//! `pooling_output_shape`). Padding is at most half the dilated kernel, so every window holds
//! at least one input element.
//!
//! ```
//! use fusenet_kernels::ops::pool::{PoolGeom, max::max_pool_forward};
//! let g = PoolGeom::<2>::new(1, 1, [2, 4], [2, 2]); // stride = kernel
//! let x = [1.0f32, 5.0, 2.0, 0.0,
//!          3.0, 4.0, 7.0, 1.0];
//! let (mut y, mut idx) = ([0.0; 2], [0; 2]);
//! max_pool_forward(&g, &x, &mut y, &mut idx);
//! assert_eq!((y, idx), ([5.0, 7.0], [1, 6])); // indices into each H·W plane, as torch's
//! ```

pub mod avg;
pub mod max;
#[cfg(target_arch = "x86_64")]
mod max_avx512;

use crate::ops::rows::for_each_row;

/// The geometry of a pooling window sliding over `D` spatial axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PoolGeom<const D: usize> {
    /// The batch size.
    pub n: usize,
    /// Channels (each `[N, C]` plane is pooled on its own).
    pub c: usize,
    /// The spatial input size.
    pub input: [usize; D],
    /// The window size.
    pub kernel: [usize; D],
    /// The window step (PyTorch's default is the kernel size).
    pub stride: [usize; D],
    /// Implicit padding on both sides (−∞ for max pooling, 0 for average pooling).
    pub padding: [usize; D],
    /// The spacing of window taps (max pooling only; 1 for average pooling).
    pub dilation: [usize; D],
    /// Round the output size up instead of down.
    pub ceil_mode: bool,
}

/// PyTorch's `pooling_output_shape`, or `None` when the result is below 1.
///
/// ```
/// use fusenet_kernels::ops::pool::pool_output_len;
/// assert_eq!(pool_output_len(24, 2, 2, 0, 1, false), Some(12));
/// assert_eq!(pool_output_len(5, 2, 2, 0, 1, false), Some(2));
/// assert_eq!(pool_output_len(5, 2, 2, 0, 1, true), Some(3));
/// // F.max_pool1d(torch.zeros(1, 1, 5), 2, stride=3, padding=1, ceil_mode=True): a 3rd window would start in the padding
/// assert_eq!(pool_output_len(5, 2, 3, 1, 1, true), Some(2));
/// ```
pub fn pool_output_len(input: usize, kernel: usize, stride: usize, padding: usize, dilation: usize, ceil_mode: bool) -> Option<usize> {
    let num = (input + 2 * padding) as isize - (dilation * (kernel.max(1) - 1)) as isize - 1 + if ceil_mode { stride as isize - 1 } else { 0 };
    let mut out = num.div_euclid(stride.max(1) as isize) + 1;
    if ceil_mode && (out - 1) * stride as isize >= (input + padding) as isize {
        out -= 1;
    }
    (out >= 1).then_some(out as usize)
}

impl<const D: usize> PoolGeom<D> {
    /// `kernel` windows with PyTorch's defaults: `stride = kernel`, no padding, dilation 1,
    /// `ceil_mode = false`.
    pub fn new(n: usize, c: usize, input: [usize; D], kernel: [usize; D]) -> Self {
        PoolGeom { n, c, input, kernel, stride: kernel, padding: [0; D], dilation: [1; D], ceil_mode: false }
    }

    /// The spatial output size; panics, in PyTorch's words, when it is below 1.
    pub fn output(&self) -> [usize; D] {
        let out: [Option<usize>; D] = std::array::from_fn(|i| {
            pool_output_len(self.input[i], self.kernel[i], self.stride[i], self.padding[i], self.dilation[i], self.ceil_mode)
        });
        if out.iter().any(Option::is_none) {
            let show = |v: Vec<String>| v.join("x");
            panic!(
                "pool: Given input size: ({}x{}). Calculated output size: ({}x{}). Output size is too small",
                self.c,
                show(self.input.iter().map(usize::to_string).collect()),
                self.c,
                show(out.iter().map(|o| o.map_or("0".into(), |v| v.to_string())).collect())
            );
        }
        out.map(|o| o.unwrap_or(0))
    }

    /// `N·C`.
    pub fn planes(&self) -> usize {
        self.n * self.c
    }

    /// `∏input`.
    pub fn in_plane(&self) -> usize {
        self.input.iter().product()
    }

    /// `∏output`.
    pub fn out_plane(&self) -> usize {
        self.output().iter().product()
    }

    /// Panics unless the geometry is valid (PyTorch's checks) and `x`, `y` have its lengths.
    pub(crate) fn check(&self, op: &str, x: usize, y: usize) {
        assert!((1..=3).contains(&D), "{op}: only 1, 2 or 3 spatial dims are supported, got {D}");
        for i in 0..D {
            let (k, s, p, d) = (self.kernel[i], self.stride[i], self.padding[i], self.dilation[i]);
            assert!(k > 0, "{op}: kernel_size must be greater than zero, but got {:?}", self.kernel);
            assert!(s > 0, "{op}: stride must be greater than zero, but got {:?}", self.stride);
            assert!(d > 0, "{op}: dilation must be greater than zero, but got {:?}", self.dilation);
            assert!(
                p <= ((k - 1) * d).div_ceil(2), // half of the effective kernel (k − 1)·d + 1, rounded down
                "{op}: pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} and dilation={d}"
            );
        }
        let (xi, yo) = (self.planes() * self.in_plane(), self.planes() * self.out_plane());
        assert_eq!(x, xi, "{op}: input has {x} elements, expected [{}, {}, {:?}] = {xi}", self.n, self.c, self.input);
        assert_eq!(y, yo, "{op}: output has {y} elements, expected [{}, {}, {:?}] = {yo}", self.n, self.c, self.output());
    }

    /// The geometry in 3-d, with leading unit axes.
    pub(crate) fn in3(&self) -> Axes3 {
        let pad3 = |a: [usize; D], fill: usize| -> [usize; 3] { std::array::from_fn(|i| if i + D < 3 { fill } else { a[i + D - 3] }) };
        Axes3 {
            input: pad3(self.input, 1),
            output: pad3(self.output(), 1),
            kernel: pad3(self.kernel, 1),
            stride: pad3(self.stride, 1),
            padding: pad3(self.padding, 0),
            dilation: pad3(self.dilation, 1),
        }
    }
}

/// A pooling geometry in 3-d.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Axes3 {
    pub input: [usize; 3],
    pub output: [usize; 3],
    pub kernel: [usize; 3],
    pub stride: [usize; 3],
    pub padding: [usize; 3],
    pub dilation: [usize; 3],
}

impl Axes3 {
    /// The taps `k` of window `o` along `axis` that fall inside the input: `[lo, hi)`, and the
    /// window's first position `o·stride − padding`.
    #[inline]
    pub fn taps(&self, axis: usize, o: usize) -> (usize, usize, isize) {
        let start = (o * self.stride[axis]) as isize - self.padding[axis] as isize;
        let d = self.dilation[axis] as isize;
        let lo = if start >= 0 { 0 } else { ((-start + d - 1) / d) as usize };
        let last = self.input[axis] as isize - 1 - start;
        let hi = if last < 0 { 0 } else { ((last / d) as usize + 1).min(self.kernel[axis]) };
        (lo.min(hi), hi, start)
    }

    pub fn in_plane(&self) -> usize {
        self.input.iter().product()
    }

    pub fn out_plane(&self) -> usize {
        self.output.iter().product()
    }
}

/// Runs `f(plane, out_plane, aux_plane)` over the planes of `out` and of `aux` (an output of the
/// same plane layout, e.g. argmax indices), in parallel for large work.
pub(crate) fn for_each_plane2<A: Send, B: Send>(
    out: &mut [A],
    aux: &mut [B],
    plane: usize,
    cost: usize,
    f: impl Fn(usize, &mut [A], &mut [B]) + Sync + Send,
) {
    use crate::cpu::parallel::par_threshold;
    use rayon::prelude::*;
    if plane == 0 {
        return;
    }
    if out.len().saturating_mul(cost.max(1)) < par_threshold() {
        out.chunks_mut(plane).zip(aux.chunks_mut(plane)).enumerate().for_each(|(i, (o, a))| f(i, o, a));
    } else {
        out.par_chunks_mut(plane).zip(aux.par_chunks_mut(plane)).enumerate().for_each(|(i, (o, a))| f(i, o, a));
    }
}

/// Runs `f(plane, out_plane)` over the planes of `out`, in parallel for large work.
pub(crate) fn for_each_plane<A: Send>(out: &mut [A], plane: usize, cost: usize, f: impl Fn(usize, &mut [A]) + Sync + Send) {
    for_each_row(out, plane, cost, f);
}

#[cfg(test)]
mod tests;
