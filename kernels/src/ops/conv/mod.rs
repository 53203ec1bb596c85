//! N-d convolution (PyTorch's `conv1d`/`conv2d`/`conv3d`, zero padding): im2col (vol2col) plus
//! the one GEMM, and for 2-d convolutions of one input channel (stride 1, no dilation) a direct
//! loop for the forward and the parameter gradients (`direct.rs`), and for small multi-channel
//! 2-d layers in `f32` on AVX-512F direct loops for the forward, `dx` and `dW` (`multi.rs`).
//!
//! Shapes (row-major): `x` `[N, C_in, *input]`, `W` `[C_out, C_in/groups, *kernel]`, `b` `[C_out]`,
//! `y` `[N, C_out, *output]`, where along each spatial axis
//! `output = ⌊(input + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1`.
//!
//! Forward, over a chunk of `B` images at once (`G = groups`, `K = ∏kernel`, `L = ∏output`):
//! `col = im2col(x)` is `[C_in·K, B·L]` (row `(c, k)`, column `n·L + l` holds the input value
//! that kernel tap `k` of channel `c` sees at output position `l` of image `n`, 0 in the
//! padding); one GEMM per group, `Y[g] = W[g] · col[g]` (`[C_out/G, B·L]`, with `W[g]` the
//! `[C_out/G, C_in/G·K]` block of group `g`), and one pass lays `Y` out as `y` `[B, C_out, L]`
//! adding `b`. A chunk holds as many images as fit a cache-sized scratch (all of a small batch).
//!
//! Backward (`dY = grad_out`, laid out as `[C_out, B·L]`): `dW[g] += dY[g] · col[g]ᵀ`,
//! `db += Σ_{n,l} dY`, and `dx = col2im(Wᵀ[g] · dY[g])` (col2im is the adjoint of im2col: it adds
//! each column entry back onto the input element it was read from).
//!
//! The caller gives `scratch` of [`conv_scratch_len`] elements (one chunk's column matrix and
//! GEMM result); results do not depend on its contents on entry.
//!
//! ```
//! use fusenet_kernels::ops::conv::{Conv2dGeom, conv_forward, conv_backward, conv_scratch_len};
//! // One 3×3 image, one 2×2 kernel of ones: y[i][j] = the sum of a 2×2 window.
//! let g = Conv2dGeom { n: 1, c_in: 1, c_out: 1, groups: 1, input: [3, 3], kernel: [2, 2],
//!                      stride: [1, 1], padding: [0, 0], dilation: [1, 1] };
//! assert_eq!(g.output(), [2, 2]);
//! let x: Vec<f32> = (1..=9).map(|v| v as f32).collect();
//! let w = [1.0f32; 4];
//! let mut scratch = vec![0.0; conv_scratch_len(&g)];
//! let mut y = [0.0; 4];
//! conv_forward(&g, &x, &w, Some(&[0.5]), &mut y, &mut scratch);
//! assert_eq!(y, [12.5, 16.5, 24.5, 28.5]);
//! let (mut dx, mut dw, mut db) = ([0.0; 9], [0.0; 4], [0.0]);
//! conv_backward(&g, &x, &w, &[1.0; 4], &mut scratch, Some(&mut dx), Some(&mut dw), Some(&mut db));
//! assert_eq!(dx, [1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0]); // how many windows cover each pixel
//! assert_eq!((dw, db), ([12.0, 16.0, 24.0, 28.0], [4.0]));
//! ```

mod cpu;
mod direct;
#[cfg(target_arch = "x86_64")]
mod direct_avx512;
mod im2col;
mod multi;
#[cfg(target_arch = "x86_64")]
mod multi_avx512;
#[cfg(target_arch = "x86_64")]
mod multi_dw_avx512;

pub use cpu::{conv_backward, conv_forward, conv_scratch_len};

/// The geometry of a `D`-dimensional convolution (`D` = 1, 2 or 3); see the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConvGeom<const D: usize> {
    /// The batch size.
    pub n: usize,
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Channel groups: input channel block `g` only meets output channel block `g`. Divides both
    /// `c_in` and `c_out`.
    pub groups: usize,
    /// The spatial input size (`[L]`, `[H, W]` or `[D, H, W]`).
    pub input: [usize; D],
    /// The kernel size.
    pub kernel: [usize; D],
    /// The stride (at least 1).
    pub stride: [usize; D],
    /// Zero padding on both sides.
    pub padding: [usize; D],
    /// The spacing between kernel taps (at least 1).
    pub dilation: [usize; D],
}

/// A 1-d convolution: `x` `[N, C_in, L]`.
pub type Conv1dGeom = ConvGeom<1>;
/// A 2-d convolution: `x` `[N, C_in, H, W]`.
pub type Conv2dGeom = ConvGeom<2>;
/// A 3-d convolution: `x` `[N, C_in, D, H, W]`.
pub type Conv3dGeom = ConvGeom<3>;

/// `⌊(input + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1`, or `None` when the dilated
/// kernel does not fit in the padded input (or `stride` is 0).
///
/// ```
/// use fusenet_kernels::ops::conv::conv_output_len;
/// assert_eq!(conv_output_len(28, 5, 1, 0, 1), Some(24));
/// assert_eq!(conv_output_len(7, 3, 2, 1, 1), Some(4));
/// assert_eq!(conv_output_len(4, 5, 1, 0, 1), None);
/// ```
pub fn conv_output_len(input: usize, kernel: usize, stride: usize, padding: usize, dilation: usize) -> Option<usize> {
    let span = dilation.checked_mul(kernel.checked_sub(1)?)?.checked_add(1)?;
    let padded = input.checked_add(2 * padding)?;
    if stride == 0 || span > padded {
        return None;
    }
    Some((padded - span) / stride + 1)
}

impl<const D: usize> ConvGeom<D> {
    /// The spatial output size; panics (in PyTorch's words) when the kernel does not fit.
    pub fn output(&self) -> [usize; D] {
        std::array::from_fn(|i| {
            conv_output_len(self.input[i], self.kernel[i], self.stride[i], self.padding[i], self.dilation[i])
                .unwrap_or_else(|| {
                    let padded: Vec<usize> = (0..D).map(|j| self.input[j] + 2 * self.padding[j]).collect();
                    let span: Vec<usize> = (0..D).map(|j| self.dilation[j] * (self.kernel[j].max(1) - 1) + 1).collect();
                    panic!(
                        "conv: calculated padded input size per channel: ({}). Kernel size: ({}). Kernel size can't be greater than actual input size",
                        join_x(&padded),
                        join_x(&span)
                    )
                })
        })
    }

    /// `N·C_in·∏input`, the length of `x`.
    pub fn input_len(&self) -> usize {
        self.n * self.c_in * self.input.iter().product::<usize>()
    }

    /// `N·C_out·∏output`, the length of `y`.
    pub fn output_len(&self) -> usize {
        self.n * self.c_out * self.output().iter().product::<usize>()
    }

    /// `C_out·(C_in/groups)·∏kernel`, the length of `W`.
    pub fn weight_len(&self) -> usize {
        self.c_out * (self.c_in / self.groups.max(1)) * self.kernel.iter().product::<usize>()
    }

    /// Panics unless the geometry is valid and the slices have the lengths it implies.
    pub(crate) fn check(&self, op: &str, x: usize, w: usize, b: Option<usize>, y: usize) {
        assert!((1..=3).contains(&D), "{op}: only 1, 2 or 3 spatial dims are supported, got {D}");
        assert!(
            self.groups >= 1 && self.c_in.is_multiple_of(self.groups) && self.c_out.is_multiple_of(self.groups),
            "{op}: groups={} must divide in_channels={} and out_channels={}",
            self.groups,
            self.c_in,
            self.c_out
        );
        assert!(self.stride.iter().all(|&s| s > 0), "{op}: stride should be greater than zero, got {:?}", self.stride);
        assert!(self.dilation.iter().all(|&d| d > 0), "{op}: dilation should be greater than zero, got {:?}", self.dilation);
        assert!(self.kernel.iter().all(|&k| k > 0), "{op}: kernel size should be greater than zero, got {:?}", self.kernel);
        let shape = |c: usize, s: &[usize]| format!("[{}, {c}, {}]", self.n, join_comma(s));
        assert_eq!(x, self.input_len(), "{op}: input has {x} elements, expected {} = {}", shape(self.c_in, &self.input), self.input_len());
        // The message is built only on failure: a passing check allocates nothing.
        let wshape = || format!("[{}, {}, {}]", self.c_out, self.c_in / self.groups, join_comma(&self.kernel));
        assert_eq!(w, self.weight_len(), "{op}: weight has {w} elements, expected {} = {}", wshape(), self.weight_len());
        if let Some(b) = b {
            assert_eq!(b, self.c_out, "{op}: bias has {b} elements, expected [{}]", self.c_out);
        }
        let out = self.output();
        assert_eq!(y, self.output_len(), "{op}: output has {y} elements, expected {} = {}", shape(self.c_out, &out), self.output_len());
    }

    /// The geometry of one image, in 3-d with leading unit axes.
    pub(crate) fn vol(&self) -> im2col::Vol {
        let pad3 = |a: [usize; D], fill: usize| -> [usize; 3] { std::array::from_fn(|i| if i + D < 3 { fill } else { a[i + D - 3] }) };
        im2col::Vol {
            c: self.c_in,
            input: pad3(self.input, 1),
            output: pad3(self.output(), 1),
            kernel: pad3(self.kernel, 1),
            stride: pad3(self.stride, 1),
            padding: pad3(self.padding, 0),
            dilation: pad3(self.dilation, 1),
        }
    }
}

fn join_x(v: &[usize]) -> String {
    v.iter().map(usize::to_string).collect::<Vec<_>>().join(" x ")
}

fn join_comma(v: &[usize]) -> String {
    v.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_multi;
