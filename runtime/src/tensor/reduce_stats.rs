//! Moments and normalised exponentials: `var`, `std` (for BatchNorm's statistics), and the eager
//! `softmax`/`log_softmax`. All need `f32` tensors and accumulate in `f64`.

use super::{Lane, lane_layout, non_negative, read_all, reduce_dim};
use crate::tensor::Tensor;
use fusenet_kernels::cpu::parallel;

/// `Σ (x − mean)² / (n − correction)` by two passes in `f64`; NaN when `n ≤ correction`.
fn var_of(values: impl Iterator<Item = f32> + Clone, n: usize, correction: usize) -> f64 {
    if n <= correction {
        return f64::NAN;
    }
    let mean = values.clone().map(|x| x as f64).sum::<f64>() / n as f64;
    let ss: f64 = values.map(|x| (x as f64 - mean).powi(2)).sum();
    ss / (n - correction) as f64
}

impl Tensor {
    /// The variance of all elements: `Σ (x − x̄)² / (n − 1)` when `unbiased` (PyTorch's default),
    /// else `/ n`. NaN when there are too few elements.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::arange(4.0); // 0, 1, 2, 3
    /// assert_eq!(x.var(true).item(), 5.0 / 3.0);
    /// assert_eq!(x.var(false).item(), 1.25);
    /// ```
    pub fn var(&self, unbiased: bool) -> Tensor {
        self.require_float("var");
        let x = self.contiguous();
        let v = x.with_slice(|s: &[f32]| var_of(s.iter().copied(), s.len(), unbiased as usize));
        Tensor::scalar(v as f32)
    }

    /// The variance along `dim` (see [`Tensor::var`]).
    pub fn var_dim(&self, dim: isize, unbiased: bool, keepdim: bool) -> Tensor {
        self.require_float("var");
        reduce_dim(self, "var", dim, keepdim, move |l: Lane<'_, f32>| var_of(l.iter(), l.len, unbiased as usize) as f32)
    }

    /// The standard deviation of all elements: `√var`.
    pub fn std(&self, unbiased: bool) -> Tensor {
        self.var(unbiased).sqrt()
    }

    /// The standard deviation along `dim`.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 3.0, 2.0, 2.0], &[2, 2]);
    /// assert_eq!(x.std_dim(1, false, false).to_vec::<f32>(), [1.0, 0.0]);
    /// ```
    pub fn std_dim(&self, dim: isize, unbiased: bool, keepdim: bool) -> Tensor {
        self.var_dim(dim, unbiased, keepdim).sqrt()
    }

    /// `softmax(x)ᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m)` along `dim`, with `m` the lane maximum, so
    /// large inputs do not overflow.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let p = Tensor::from_vec(vec![1000.0f32, 1000.0, 0.0, 0.0], &[2, 2]).softmax(1);
    /// assert_eq!(p.to_vec::<f32>(), [0.5, 0.5, 0.5, 0.5]);
    /// ```
    pub fn softmax(&self, dim: isize) -> Tensor {
        self.map_lanes_f32("softmax", dim, |lane, out| {
            let m = lane_max(lane);
            let mut total = 0f64;
            for (o, x) in out.iter_mut().zip(lane.iter()) {
                *o = (x - m).exp();
                total += *o as f64;
            }
            let inv = (1.0 / total) as f32;
            out.iter_mut().for_each(|o| *o *= inv);
        })
    }

    /// `log_softmax(x)ᵢ = xᵢ − m − ln Σⱼ e^(xⱼ − m)` along `dim`, computed without forming the
    /// softmax (so it stays finite where the softmax underflows to 0).
    pub fn log_softmax(&self, dim: isize) -> Tensor {
        self.map_lanes_f32("log_softmax", dim, |lane, out| {
            let m = lane_max(lane);
            let total: f64 = lane.iter().map(|x| ((x - m).exp()) as f64).sum();
            let lse = m + total.ln() as f32;
            for (o, x) in out.iter_mut().zip(lane.iter()) {
                *o = x - lse;
            }
        })
    }

    /// Runs `f` on every lane along `dim`, writing a lane of the same length; the result has
    /// `self`'s shape and is contiguous.
    fn map_lanes_f32(&self, op: &str, dim: isize, f: impl Fn(Lane<'_, f32>, &mut [f32]) + Sync + Send) -> Tensor {
        assert!(
            self.dtype() == crate::tensor::DType::F32,
            "\"{op}\" not implemented for '{}'",
            crate::tensor::binary::type_word(self.dtype())
        );
        let d = self.wrap_dim(dim);
        let t = non_negative(self);
        let (outer, bases, len, stride) = lane_layout(&t, d);
        let out = read_all(&[&t], |data| {
            let all = f32::slice_of(data[0]);
            parallel::map_lanes(all, &bases, len, stride, f)
        });
        if self.dim() == 0 {
            return Tensor::from_vec(out, &[]);
        }
        // `out` is lane-major (dim `d` last); view it in the original dim order.
        let mut lane_major = outer.clone();
        lane_major.push(len);
        let lm = Tensor::from_vec(out, &lane_major);
        let mut strides = lm.strides;
        let inner = strides.pop().expect("rank ≥ 1");
        strides.insert(d, inner);
        lm.view_with(self.shape, strides, 0).contiguous()
    }
}

/// The lane maximum (NaN if the lane holds one, so the lane's output is NaN as in PyTorch).
fn lane_max(lane: Lane<'_, f32>) -> f32 {
    lane.iter().fold(f32::NEG_INFINITY, |m, x| if x.is_nan() || m.is_nan() { f32::NAN } else { m.max(x) })
}

trait SliceOf {
    fn slice_of(d: &crate::tensor::Data) -> &[f32];
}

impl SliceOf for f32 {
    fn slice_of(d: &crate::tensor::Data) -> &[f32] {
        <f32 as crate::tensor::Element>::slice(d).expect("checked f32")
    }
}
