//! im2col (vol2col) and its adjoint col2im, for one image in 3-d (1-d and 2-d convolutions are
//! 3-d ones with leading unit axes).
//!
//! `col` is `[c·kd·kh·kw, od·oh·ow]`; row `((ci·kd + a)·kh + b)·kw + e`, column
//! `(zd·oh + zh)·ow + zw` holds `x[ci, zd·sd − pd + a·dd, zh·sh − ph + b·dh, zw·sw − pw + e·dw]`,
//! or 0 where that index falls in the padding.

use crate::real::Real;

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

    /// The column matrix's length, `c·∏kernel·∏output`.
    pub fn col_len(&self) -> usize {
        self.c * self.taps() * self.out_len()
    }

    /// Whether `col` equals the image itself (1×1×1 kernel, stride 1, no padding).
    pub fn is_identity(&self) -> bool {
        self.kernel == [1; 3] && self.stride == [1; 3] && self.padding == [0; 3]
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

    /// Visits, row by row of `col`, every run of output positions along the last axis: a
    /// [`Seg::Read`] run of `len` entries `col[col + i]` that read `x[x + i·step]`, or a
    /// [`Seg::Pad`] run that reads the zero padding.
    #[inline]
    fn for_each_segment(&self, mut f: impl FnMut(Seg)) {
        let [od, oh, ow] = self.output;
        let [kd, kh, kw] = self.kernel;
        let [_, ih, iw] = self.input;
        let [sd, sh, sw] = self.stride;
        let [pd, ph, pw] = self.padding;
        let [dd, dh, dw] = self.dilation;
        let plane = oh * ow;
        let pad = |f: &mut dyn FnMut(Seg), col: usize, len: usize| {
            if len > 0 {
                f(Seg::Pad { col, len })
            }
        };
        let mut row = 0;
        for ci in 0..self.c {
            let xc = ci * self.in_len();
            for a in 0..kd {
                let (d_lo, d_hi) = self.valid(0, a);
                for b in 0..kh {
                    let (h_lo, h_hi) = self.valid(1, b);
                    for e in 0..kw {
                        let (w_lo, w_hi) = self.valid(2, e);
                        let base = row * od * plane;
                        pad(&mut f, base, d_lo * plane);
                        pad(&mut f, base + d_hi * plane, (od - d_hi) * plane);
                        for zd in d_lo..d_hi {
                            let id = zd * sd + a * dd - pd;
                            let pbase = base + zd * plane;
                            pad(&mut f, pbase, h_lo * ow);
                            pad(&mut f, pbase + h_hi * ow, (oh - h_hi) * ow);
                            for zh in h_lo..h_hi {
                                let ihh = zh * sh + b * dh - ph;
                                let rbase = pbase + zh * ow;
                                pad(&mut f, rbase, w_lo);
                                pad(&mut f, rbase + w_hi, ow - w_hi);
                                if w_hi > w_lo {
                                    let x = xc + (id * ih + ihh) * iw + w_lo * sw + e * dw - pw;
                                    f(Seg::Read { col: rbase + w_lo, x, len: w_hi - w_lo, step: sw });
                                }
                            }
                        }
                        row += 1;
                    }
                }
            }
        }
    }
}

/// A run of entries of one row of `col` (see [`Vol::for_each_segment`]).
#[derive(Clone, Copy)]
enum Seg {
    Read { col: usize, x: usize, len: usize, step: usize },
    Pad { col: usize, len: usize },
}

/// Fills `col` (`[c·K, L]`) from one image `x` (`[c, *input]`).
pub(crate) fn im2col<T: Real>(v: &Vol, x: &[T], col: &mut [T]) {
    debug_assert_eq!(col.len(), v.col_len());
    debug_assert_eq!(x.len(), v.c * v.in_len());
    v.for_each_segment(|seg| match seg {
        Seg::Read { col: c, x: s, len, step: 1 } => col[c..c + len].copy_from_slice(&x[s..s + len]),
        Seg::Read { col: c, x: s, len, step } => {
            col[c..c + len].iter_mut().enumerate().for_each(|(i, o)| *o = x[s + i * step]);
        }
        Seg::Pad { col: c, len } => col[c..c + len].fill(T::zero()),
    });
}

/// Adds every entry of `col` onto the input element it was read from: `x += col2im(col)` (call
/// with a zeroed `x` to write it).
pub(crate) fn col2im_add<T: Real>(v: &Vol, col: &[T], x: &mut [T]) {
    debug_assert_eq!(col.len(), v.col_len());
    debug_assert_eq!(x.len(), v.c * v.in_len());
    v.for_each_segment(|seg| match seg {
        Seg::Read { col: c, x: d, len, step: 1 } => {
            x[d..d + len].iter_mut().zip(&col[c..c + len]).for_each(|(o, &g)| *o += g);
        }
        Seg::Read { col: c, x: d, len, step } => {
            col[c..c + len].iter().enumerate().for_each(|(i, &g)| x[d + i * step] += g);
        }
        Seg::Pad { .. } => {}
    });
}
