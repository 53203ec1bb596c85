//! im2col (vol2col) over a whole batch, and its adjoint col2im, in 3-d (1-d and 2-d convolutions
//! are 3-d ones with leading unit axes).
//!
//! `col` is `[c·kd·kh·kw, N·od·oh·ow]`: row `r = ((ci·kd + a)·kh + b)·kw + e`, column
//! `n·L + (zd·oh + zh)·ow + zw` (`L = od·oh·ow`) holds
//! `x[n, ci, zd·sd − pd + a·dd, zh·sh − ph + b·dh, zw·sw − pw + e·dw]`, or 0 where that index
//! falls in the padding. Rows are contiguous, so the rows of one channel group are one block
//! and a group's GEMM sees a plain row-major `[C_in/G·K, N·L]` matrix.

use crate::cpu::parallel::par_threshold;
use crate::real::Real;
use rayon::prelude::*;

/// One image's convolution geometry in 3-d.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Vol {
    pub c: usize,
    pub input: [usize; 3],
    pub output: [usize; 3],
    pub kernel: [usize; 3],
    pub stride: [usize; 3],
    pub padding: [usize; 3],
    pub dilation: [usize; 3],
}

impl Vol {
    /// `∏kernel`.
    pub fn taps(&self) -> usize {
        self.kernel.iter().product()
    }

    /// `∏output`.
    pub fn out_len(&self) -> usize {
        self.output.iter().product()
    }

    /// `∏input`.
    pub fn in_len(&self) -> usize {
        self.input.iter().product()
    }

    /// The rows of the column matrix, `c·∏kernel`.
    pub fn rows(&self) -> usize {
        self.c * self.taps()
    }

    /// Stride 1, no padding, dilation 1 (LeNet's case): every output row of a column row is one
    /// contiguous run of an input row, so [`im2col`] and [`col2im`] copy whole rows.
    pub fn simple(&self) -> bool {
        self.stride == [1; 3] && self.padding == [0; 3] && self.dilation == [1; 3]
    }

    /// For a [`simple`](Self::simple) geometry: where, in its channel plane, row `r` reads for
    /// output position 0; output row `(zd, zh)` reads from `offset + (zd·ih + zh)·iw` on.
    #[inline]
    fn tap_offset(&self, r: usize) -> usize {
        let [_, kh, kw] = self.kernel;
        let [_, ih, iw] = self.input;
        let tap = r % self.taps();
        let (a, b, e) = (tap / (kh * kw), (tap / kw) % kh, tap % kw);
        (a * ih + b) * iw + e
    }

    /// The output positions `o` in `[lo, hi)` along `axis` whose input index
    /// `o·stride − padding + tap·dilation` lies inside the input; the others read padding.
    #[inline]
    fn valid(&self, axis: usize, tap: usize) -> (usize, usize) {
        let (inp, out, s) = (self.input[axis] as isize, self.output[axis], self.stride[axis] as isize);
        let off = (tap * self.dilation[axis]) as isize - self.padding[axis] as isize;
        let lo = if off >= 0 { 0 } else { ((-off + s - 1) / s) as usize };
        let last = inp - 1 - off; // o·s ≤ last
        let hi = if last < 0 { 0 } else { (last / s) as usize + 1 };
        let hi = hi.min(out);
        (lo.min(hi), hi)
    }

    /// Visits the runs of one image's part of row `r` (`L` entries): a [`Seg::Read`] run of
    /// `len` entries `part[col + i]` that read `x_c[x + i·step]` (`x_c` the image's channel
    /// plane of the row, channel `r / K`), or a [`Seg::Pad`] run that reads the zero padding.
    #[inline]
    fn for_each_segment(&self, r: usize, mut f: impl FnMut(Seg)) {
        let [od, oh, ow] = self.output;
        let [_, kh, kw] = self.kernel;
        let [_, ih, iw] = self.input;
        let [sd, sh, sw] = self.stride;
        let [pd, ph, pw] = self.padding;
        let [dd, dh, dw] = self.dilation;
        let tap = r % self.taps();
        let (a, b, e) = (tap / (kh * kw), (tap / kw) % kh, tap % kw);
        let plane = oh * ow;
        let pad = |f: &mut dyn FnMut(Seg), col: usize, len: usize| {
            if len > 0 {
                f(Seg::Pad { col, len })
            }
        };
        let (d_lo, d_hi) = self.valid(0, a);
        let (h_lo, h_hi) = self.valid(1, b);
        let (w_lo, w_hi) = self.valid(2, e);
        pad(&mut f, 0, d_lo * plane);
        pad(&mut f, d_hi * plane, (od - d_hi) * plane);
        for zd in d_lo..d_hi {
            let id = zd * sd + a * dd - pd;
            let pbase = zd * plane;
            pad(&mut f, pbase, h_lo * ow);
            pad(&mut f, pbase + h_hi * ow, (oh - h_hi) * ow);
            for zh in h_lo..h_hi {
                let ihh = zh * sh + b * dh - ph;
                let rbase = pbase + zh * ow;
                pad(&mut f, rbase, w_lo);
                pad(&mut f, rbase + w_hi, ow - w_hi);
                if w_hi > w_lo {
                    let x = (id * ih + ihh) * iw + w_lo * sw + e * dw - pw;
                    f(Seg::Read { col: rbase + w_lo, x, len: w_hi - w_lo, step: sw });
                }
            }
        }
    }
}

/// A run of entries of one image's part of a row of `col` (see [`Vol::for_each_segment`]).
#[derive(Clone, Copy)]
enum Seg {
    Read { col: usize, x: usize, len: usize, step: usize },
    Pad { col: usize, len: usize },
}

/// Fills `col` (`[c·K, n·L]`) from the batch `x` (`[n, c, *input]`); rows in parallel when large.
pub(crate) fn im2col<T: Real>(v: &Vol, n: usize, x: &[T], col: &mut [T]) {
    let (l, plane, img) = (v.out_len(), v.in_len(), v.c * v.in_len());
    debug_assert_eq!(col.len(), v.rows() * n * l);
    debug_assert_eq!(x.len(), n * img);
    if col.is_empty() {
        return;
    }
    if v.simple() {
        return im2col_simple(v, n, x, col);
    }
    let fill = |r: usize, row: &mut [T]| {
        let ci = r / v.taps();
        for (i, part) in row.chunks_exact_mut(l).enumerate() {
            let xc = &x[i * img + ci * plane..i * img + (ci + 1) * plane];
            v.for_each_segment(r, |seg| match seg {
                Seg::Read { col: c, x: s, len, step: 1 } => part[c..c + len].copy_from_slice(&xc[s..s + len]),
                Seg::Read { col: c, x: s, len, step } => {
                    part[c..c + len].iter_mut().enumerate().for_each(|(j, o)| *o = xc[s + j * step]);
                }
                Seg::Pad { col: c, len } => part[c..c + len].fill(T::zero()),
            });
        }
    };
    let row_len = n * l;
    if col.len() < par_threshold() {
        col.chunks_exact_mut(row_len).enumerate().for_each(|(r, row)| fill(r, row));
    } else {
        col.par_chunks_exact_mut(row_len).enumerate().for_each(|(r, row)| fill(r, row));
    }
}

/// Writes `x = col2im(col)` (`[n, c, *input]`): every entry of `col` added onto the input
/// element it was read from. Images in parallel when large.
pub(crate) fn col2im<T: Real>(v: &Vol, n: usize, col: &[T], x: &mut [T]) {
    let (l, plane, img) = (v.out_len(), v.in_len(), v.c * v.in_len());
    debug_assert_eq!(col.len(), v.rows() * n * l);
    debug_assert_eq!(x.len(), n * img);
    if x.is_empty() {
        return;
    }
    if v.simple() {
        return col2im_simple(v, n, col, x);
    }
    let row_len = n * l;
    let one = |i: usize, xi: &mut [T]| {
        xi.fill(T::zero());
        for r in 0..v.rows() {
            let part = &col[r * row_len + i * l..r * row_len + (i + 1) * l];
            let ci = r / v.taps();
            let xc = &mut xi[ci * plane..(ci + 1) * plane];
            v.for_each_segment(r, |seg| match seg {
                Seg::Read { col: c, x: d, len, step: 1 } => {
                    xc[d..d + len].iter_mut().zip(&part[c..c + len]).for_each(|(o, &g)| *o += g);
                }
                Seg::Read { col: c, x: d, len, step } => {
                    part[c..c + len].iter().enumerate().for_each(|(j, &g)| xc[d + j * step] += g);
                }
                Seg::Pad { .. } => {}
            });
        }
    };
    if col.len() < par_threshold() {
        x.chunks_exact_mut(img).enumerate().for_each(|(i, xi)| one(i, xi));
    } else {
        x.par_chunks_exact_mut(img).enumerate().for_each(|(i, xi)| one(i, xi));
    }
}

/// `dst = src` for a short run: fixed 8-element blocks (moves LLVM keeps inline, where a
/// variable-length `copy_from_slice` of 8 or 24 elements is a `memmove` call), then the rest.
#[inline(always)]
fn copy_run<T: Copy>(dst: &mut [T], src: &[T]) {
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d, s) in (&mut d).zip(&mut s) {
        let s: &[T; 8] = s.try_into().expect("8 elements");
        let d: &mut [T; 8] = d.try_into().expect("8 elements");
        *d = *s;
    }
    for (d, s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d = *s;
    }
}

/// `dst += src` for a short run, in 8-element blocks.
#[inline(always)]
fn add_run<T: Real>(dst: &mut [T], src: &[T]) {
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d, s) in (&mut d).zip(&mut s) {
        for (d, &s) in d.iter_mut().zip(s) {
            *d += s;
        }
    }
    for (d, s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d += *s;
    }
}

/// [`im2col`] for a [`Vol::simple`] geometry: each output row of a column row is the input row
/// run `x_c[offset + (zd·ih + zh)·iw ..][..ow]`.
fn im2col_simple<T: Real>(v: &Vol, n: usize, x: &[T], col: &mut [T]) {
    let row_len = n * v.out_len();
    if col.len() >= par_threshold() {
        col.par_chunks_exact_mut(row_len).enumerate().for_each(|(r, row)| fill_row(v, n, x, r, row));
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU supports AVX-512F (checked just above), the only requirement.
        unsafe { im2col_serial_avx512(v, n, x, col) };
        return;
    }
    im2col_serial(v, n, x, col);
}

/// The serial loop of [`im2col_simple`], compiled again with AVX-512 below: the copies are
/// bound by how many bytes a move carries (16 without it).
#[inline(always)]
fn im2col_serial<T: Real>(v: &Vol, n: usize, x: &[T], col: &mut [T]) {
    for (r, row) in col.chunks_exact_mut(n * v.out_len()).enumerate() {
        fill_row(v, n, x, r, row);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn im2col_serial_avx512<T: Real>(v: &Vol, n: usize, x: &[T], col: &mut [T]) {
    im2col_serial(v, n, x, col);
}

/// Row `r` of the column matrix (all `n` images) for a [`Vol::simple`] geometry.
#[inline(always)]
fn fill_row<T: Real>(v: &Vol, n: usize, x: &[T], r: usize, row: &mut [T]) {
    let (l, plane, img) = (v.out_len(), v.in_len(), v.c * v.in_len());
    let [od, oh, ow] = v.output;
    let [_, ih, iw] = v.input;
    let ci = r / v.taps();
    let off = v.tap_offset(r);
    for (i, part) in row.chunks_exact_mut(l).enumerate().take(n) {
        let xc = &x[i * img + ci * plane..i * img + (ci + 1) * plane];
        let mut dst = part.chunks_exact_mut(ow);
        for zd in 0..od {
            for zh in 0..oh {
                let s = off + (zd * ih + zh) * iw;
                copy_run(dst.next().expect("oh·ow entries"), &xc[s..s + ow]);
            }
        }
    }
}

/// [`col2im`] for a [`Vol::simple`] geometry: each output row's entries added back onto their
/// input row run, column rows in order (the order of the general loop).
fn col2im_simple<T: Real>(v: &Vol, n: usize, col: &[T], x: &mut [T]) {
    let img = v.c * v.in_len();
    if col.len() >= par_threshold() {
        x.par_chunks_exact_mut(img).enumerate().for_each(|(i, xi)| add_image(v, n, col, i, xi));
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU supports AVX-512F (checked just above), the only requirement.
        unsafe { col2im_serial_avx512(v, n, col, x) };
        return;
    }
    col2im_serial(v, n, col, x);
}

/// The serial loop of [`col2im_simple`] (compiled again with AVX-512 below).
#[inline(always)]
fn col2im_serial<T: Real>(v: &Vol, n: usize, col: &[T], x: &mut [T]) {
    for (i, xi) in x.chunks_exact_mut(v.c * v.in_len()).enumerate() {
        add_image(v, n, col, i, xi);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn col2im_serial_avx512<T: Real>(v: &Vol, n: usize, col: &[T], x: &mut [T]) {
    col2im_serial(v, n, col, x);
}

/// Image `i`'s input gradient `xi` from the column gradient `col` (`[c·K, n·L]`).
#[inline(always)]
fn add_image<T: Real>(v: &Vol, n: usize, col: &[T], i: usize, xi: &mut [T]) {
    let (l, plane) = (v.out_len(), v.in_len());
    let [od, oh, ow] = v.output;
    let [_, ih, iw] = v.input;
    let row_len = n * l;
    xi.fill(T::zero());
    for r in 0..v.rows() {
        let part = &col[r * row_len + i * l..r * row_len + (i + 1) * l];
        let ci = r / v.taps();
        let off = v.tap_offset(r);
        let xc = &mut xi[ci * plane..(ci + 1) * plane];
        let mut src = part.chunks_exact(ow);
        for zd in 0..od {
            for zh in 0..oh {
                let d = off + (zd * ih + zh) * iw;
                add_run(&mut xc[d..d + ow], src.next().expect("oh·ow entries"));
            }
        }
    }
}
