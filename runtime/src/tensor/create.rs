//! Tensor creation, dtype conversion, and in-place fills (constant, copy, random).
//!
//! Random fills draw from PyTorch's generator ([`crate::rng`]) in PyTorch's order, so after
//! `manual_seed(s)` a contiguous `rand`/`randn`/`randint`/`uniform_`/`normal_` equals torch's
//! bit for bit. On a non-contiguous view elements are drawn in storage order (the order PyTorch's
//! iterator visits a permuted view), and `normal_` uses the scalar Box–Muller path, as PyTorch does.

use super::binary::{Scalar, elementwise};
use super::{DType, Data, Element, Tensor, dtype_panic};
use crate::rng::{Generator, with_default_generator};

impl Tensor {
    /// An `f32` tensor of `shape` filled with `value` (`torch.full`).
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// assert_eq!(Tensor::full(&[2], 7.0).to_vec::<f32>(), [7.0, 7.0]);
    /// ```
    pub fn full(shape: &[usize], value: f32) -> Tensor {
        Tensor::from_vec(vec![value; shape.iter().product()], shape)
    }

    /// A tensor of `shape` and `dtype` filled with `value` converted to `dtype`.
    ///
    /// ```
    /// use fusenet_runtime::{DType, Tensor};
    /// assert_eq!(Tensor::full_dtype(&[2], 3, DType::I64).to_vec::<i64>(), [3, 3]);
    /// ```
    pub fn full_dtype(shape: &[usize], value: impl Into<Scalar>, dtype: DType) -> Tensor {
        let n = shape.iter().product();
        let v = value.into();
        let data = match dtype {
            DType::F32 => Data::F32(vec![v.as_f64() as f32; n]),
            DType::I64 => Data::I64(vec![scalar_to_i64(v); n]),
            DType::Bool => Data::Bool(vec![v.as_f64() != 0.0; n]),
        };
        Tensor::from_data(data, shape)
    }

    /// `f32` zeros.
    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 0.0)
    }

    /// `f32` ones.
    pub fn ones(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 1.0)
    }

    /// `torch.empty`: an `f32` tensor whose values are unspecified (here: zeros).
    pub fn empty(shape: &[usize]) -> Tensor {
        Tensor::zeros(shape)
    }

    /// Zeros of `dtype`.
    pub fn zeros_dtype(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::full_dtype(shape, 0, dtype)
    }

    /// Zeros with `other`'s shape and dtype (`torch.zeros_like`).
    pub fn zeros_like(other: &Tensor) -> Tensor {
        Tensor::full_dtype(&other.shape, 0, other.dtype())
    }

    /// Ones with `other`'s shape and dtype.
    pub fn ones_like(other: &Tensor) -> Tensor {
        Tensor::full_dtype(&other.shape, 1, other.dtype())
    }

    /// `value` with `other`'s shape and dtype.
    pub fn full_like(other: &Tensor, value: impl Into<Scalar>) -> Tensor {
        Tensor::full_dtype(&other.shape, value, other.dtype())
    }

    /// A 0-d `f32` tensor (`torch.tensor(3.5)`).
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let s = Tensor::scalar(3.5);
    /// assert_eq!((s.dim(), s.item()), (0, 3.5));
    /// ```
    pub fn scalar(value: f32) -> Tensor {
        Tensor::from_vec(vec![value], &[])
    }

    /// A 0-d tensor of any element type (`Tensor::from_scalar(3i64)`).
    pub fn from_scalar<T: Element>(value: T) -> Tensor {
        Tensor::from_vec(vec![value], &[])
    }

    /// A contiguous copy of `data` with `shape`. Panics when the element counts differ.
    pub fn from_slice<T: Element>(data: &[T], shape: &[usize]) -> Tensor {
        Tensor::from_vec(data.to_vec(), shape)
    }

    /// `torch.arange(end)` as `f32`: `0, 1, …` below `end`.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// assert_eq!(Tensor::arange(3.5).to_vec::<f32>(), [0.0, 1.0, 2.0, 3.0]);
    /// ```
    pub fn arange(end: f32) -> Tensor {
        Tensor::arange_step(0.0, end, 1.0)
    }

    /// `torch.arange(start, end, step)` as `f32`: `⌈(end − start) / step⌉` values
    /// `start + i·step`, computed in `f64` and rounded once, as PyTorch does. The bounds are `f64`
    /// (Python floats), so `arange_step(0, 1, 0.1)` ends in `0.9` exactly as torch's does.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// assert_eq!(Tensor::arange_step(1.0, 2.5, 0.5).to_vec::<f32>(), [1.0, 1.5, 2.0]);
    /// ```
    pub fn arange_step(start: impl Into<f64>, end: impl Into<f64>, step: impl Into<f64>) -> Tensor {
        let (s, e, st) = (start.into(), end.into(), step.into());
        assert!(st != 0.0, "step must be nonzero");
        assert!(
            (st > 0.0 && e >= s) || (st < 0.0 && e <= s),
            "upper bound and lower bound inconsistent with step sign"
        );
        let n = ((e - s) / st).ceil() as usize;
        Tensor::from_vec((0..n).map(|i| (s + st * i as f64) as f32).collect(), &[n])
    }

    /// `torch.arange(n)`, which is `int64`: `0, 1, …, n − 1`.
    ///
    /// ```
    /// use fusenet_runtime::{DType, Tensor};
    /// let x = Tensor::arange_i64(12);
    /// assert_eq!((x.dtype(), x.numel()), (DType::I64, 12));
    /// ```
    pub fn arange_i64(n: i64) -> Tensor {
        let n = n.max(0);
        Tensor::from_vec((0..n).collect(), &[n as usize])
    }

    /// `torch.linspace(start, end, steps)`: evenly spaced `f32`s, the first half stepped from
    /// `start` and the second half back from `end`, as PyTorch computes them.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// assert_eq!(Tensor::linspace(0.0, 1.0, 5).to_vec::<f32>(), [0.0, 0.25, 0.5, 0.75, 1.0]);
    /// ```
    pub fn linspace(start: f32, end: f32, steps: usize) -> Tensor {
        if steps == 1 {
            return Tensor::from_vec(vec![start], &[1]);
        }
        let step = (end - start) / (steps as f32 - 1.0);
        let half = steps / 2;
        let v = (0..steps)
            .map(|i| if i < half { start + step * i as f32 } else { end - step * (steps - 1 - i) as f32 })
            .collect();
        Tensor::from_vec(v, &[steps])
    }

    /// The `n×n` identity matrix (`torch.eye(n)`).
    pub fn eye(n: usize) -> Tensor {
        let mut v = vec![0.0f32; n * n];
        v.iter_mut().step_by(n + 1).for_each(|x| *x = 1.0);
        Tensor::from_vec(v, &[n, n])
    }

    /// `f32` samples of U[0, 1) from the default generator (`torch.rand`).
    ///
    /// ```
    /// use fusenet_runtime::{Tensor, manual_seed};
    /// manual_seed(0);
    /// // torch.manual_seed(0); torch.rand(3)
    /// assert_eq!(Tensor::rand(&[3]).to_vec::<f32>(), [0.496_256_6, 0.768_221_8, 0.088_477_43]);
    /// ```
    pub fn rand(shape: &[usize]) -> Tensor {
        with_default_generator(|g| Tensor::rand_with(shape, g))
    }

    /// `f32` samples of N(0, 1) from the default generator (`torch.randn`).
    pub fn randn(shape: &[usize]) -> Tensor {
        with_default_generator(|g| Tensor::randn_with(shape, g))
    }

    /// [`Tensor::rand`] drawing from `g`.
    pub fn rand_with(shape: &[usize], g: &mut Generator) -> Tensor {
        let t = Tensor::zeros(shape);
        t.uniform_with_(0.0, 1.0, g);
        t
    }

    /// [`Tensor::randn`] drawing from `g`.
    pub fn randn_with(shape: &[usize], g: &mut Generator) -> Tensor {
        let t = Tensor::zeros(shape);
        t.normal_with_(0.0, 1.0, g);
        t
    }

    /// `i64` samples uniform on `[low, high)` (`torch.randint(low, high, shape)`).
    ///
    /// ```
    /// use fusenet_runtime::{Tensor, manual_seed};
    /// manual_seed(0);
    /// // torch.manual_seed(0); torch.randint(0, 10, (4,))
    /// assert_eq!(Tensor::randint(0, 10, &[4]).to_vec::<i64>(), [4, 9, 3, 0]);
    /// ```
    pub fn randint(low: i64, high: i64, shape: &[usize]) -> Tensor {
        with_default_generator(|g| Tensor::randint_with(low, high, shape, g))
    }

    /// [`Tensor::randint`] drawing from `g`: `low + w mod (high − low)`, with `w` a 32-bit word,
    /// or a 64-bit one when the range reaches 2^32, as PyTorch.
    pub fn randint_with(low: i64, high: i64, shape: &[usize], g: &mut Generator) -> Tensor {
        assert!(low < high, "random_ expects 'from' to be less than 'to', but got from={low} >= to={high}");
        let range = high.wrapping_sub(low) as u64;
        let n = shape.iter().product();
        let v = (0..n)
            .map(|_| {
                let w = if range >= 1 << 32 { g.next_u64() } else { g.next_u32() as u64 };
                (w % range).wrapping_add(low as u64) as i64
            })
            .collect();
        Tensor::from_vec(v, shape)
    }

    /// U[0, 1) samples with `other`'s shape (`torch.rand_like`; `other` must be `f32`).
    pub fn rand_like(other: &Tensor) -> Tensor {
        float_only("rand_like", other);
        Tensor::rand(&other.shape)
    }

    /// N(0, 1) samples with `other`'s shape (`torch.randn_like`; `other` must be `f32`).
    pub fn randn_like(other: &Tensor) -> Tensor {
        float_only("randn_like", other);
        Tensor::randn(&other.shape)
    }

    /// Writes `value` (converted to the dtype) into every element, through views.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::zeros(&[2, 2]);
    /// x.t().fill_(1.5);
    /// assert_eq!(x.sum_all(), 6.0);
    /// ```
    pub fn fill_(&self, value: impl Into<Scalar>) {
        let v = value.into();
        match self.dtype() {
            DType::F32 => elementwise::map_assign("fill_", self, |_: f32| v.as_f64() as f32),
            DType::I64 => elementwise::map_assign("fill_", self, |_: i64| scalar_to_i64(v)),
            DType::Bool => elementwise::map_assign("fill_", self, |_: bool| v.as_f64() != 0.0),
        }
    }

    /// `fill_(0)`.
    pub fn zero_(&self) {
        self.fill_(0)
    }

    /// Copies `src`, broadcast to `self`'s shape and converted to its dtype, into `self`
    /// (`tensor.copy_(src)`). `src` may alias `self`.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::zeros(&[2, 3]);
    /// x.copy_(&Tensor::arange_i64(3));
    /// assert_eq!(x.to_vec::<f32>(), [0.0, 1.0, 2.0, 0.0, 1.0, 2.0]);
    /// ```
    pub fn copy_(&self, src: &Tensor) {
        let src = src.to_dtype(self.dtype());
        match self.dtype() {
            DType::F32 => elementwise::zip_assign("copy_", self, &src, |_: f32, y: f32| y),
            DType::I64 => elementwise::zip_assign("copy_", self, &src, |_: i64, y: i64| y),
            DType::Bool => elementwise::zip_assign("copy_", self, &src, |_: bool, y: bool| y),
        }
    }

    /// Fills with U[from, to) from the default generator (`tensor.uniform_(from, to)`).
    pub fn uniform_(&self, from: f32, to: f32) {
        with_default_generator(|g| self.uniform_with_(from, to, g))
    }

    /// Fills with N(mean, std²) from the default generator (`tensor.normal_(mean, std)`).
    pub fn normal_(&self, mean: f32, std: f32) {
        with_default_generator(|g| self.normal_with_(mean, std, g))
    }

    /// [`Tensor::uniform_`] drawing from `g`.
    pub fn uniform_with_(&self, from: f32, to: f32, g: &mut Generator) {
        float_only("uniform_", self);
        assert!(from <= to, "uniform_ expects to return a [from, to) range, but found from={from} > to={to}");
        self.fill_random(|out| g.fill_uniform(out, from as f64, to as f64));
    }

    /// [`Tensor::normal_`] drawing from `g`.
    pub fn normal_with_(&self, mean: f32, std: f32, g: &mut Generator) {
        float_only("normal_", self);
        assert!(std >= 0.0, "normal expects std >= 0.0, but found std {std}");
        self.normal_f64_with_(mean as f64, std as f64, g);
    }

    /// `normal_` with `f64` mean and std, as PyTorch takes them (`nn.init.normal_` uses this).
    pub(crate) fn normal_f64_with_(&self, mean: f64, std: f64, g: &mut Generator) {
        if self.is_contiguous() {
            self.fill_random(|out| g.fill_normal(out, mean, std));
        } else {
            self.fill_random(|out| out.iter_mut().for_each(|x| *x = g.normal_f64(mean, std) as f32));
        }
    }

    /// Runs `draw` on a buffer of `numel` values and stores them in storage order.
    fn fill_random(&self, draw: impl FnOnce(&mut [f32])) {
        elementwise::check_writable(self);
        if self.is_contiguous() {
            return self.with_slice_mut(draw);
        }
        let mut offsets: Vec<usize> = self.offsets().collect();
        offsets.sort_unstable();
        let mut values = vec![0.0f32; offsets.len()];
        draw(&mut values);
        let mut data = self.storage.write();
        let all = f32::slice_mut(&mut data).expect("checked f32");
        for (o, v) in offsets.into_iter().zip(values) {
            all[o] = v;
        }
    }

    /// Converts to `dtype` as PyTorch casts: float to int truncates toward zero (NaN becomes 0
    /// here; PyTorch leaves it undefined), anything non-zero is `true`. Returns a view of `self`
    /// (no copy) when the dtype already matches, like `tensor.to(dtype)`.
    ///
    /// ```
    /// use fusenet_runtime::{DType, Tensor};
    /// let x = Tensor::from_vec(vec![-1.7f32, 2.9, 0.0], &[3]);
    /// assert_eq!(x.to_dtype(DType::I64).to_vec::<i64>(), [-1, 2, 0]);
    /// assert_eq!(x.bool().to_vec::<bool>(), [true, true, false]);
    /// ```
    pub fn to_dtype(&self, dtype: DType) -> Tensor {
        use elementwise::map;
        match (self.dtype(), dtype) {
            (a, b) if a == b => self.shallow_clone(),
            (DType::F32, DType::I64) => map("to", self, |x: f32| x as i64),
            (DType::F32, DType::Bool) => map("to", self, |x: f32| x != 0.0),
            (DType::I64, DType::F32) => map("to", self, |x: i64| x as f32),
            (DType::I64, DType::Bool) => map("to", self, |x: i64| x != 0),
            (DType::Bool, DType::F32) => map("to", self, |x: bool| x as u8 as f32),
            (DType::Bool, DType::I64) => map("to", self, |x: bool| x as i64),
            _ => unreachable!("every pair of distinct dtypes is listed"),
        }
    }

    /// `to_dtype(DType::F32)`.
    pub fn float(&self) -> Tensor {
        self.to_dtype(DType::F32)
    }

    /// `to_dtype(DType::I64)`.
    pub fn long(&self) -> Tensor {
        self.to_dtype(DType::I64)
    }

    /// `to_dtype(DType::Bool)`.
    pub fn bool(&self) -> Tensor {
        self.to_dtype(DType::Bool)
    }
}

/// A scalar as `i64`: floats truncate toward zero.
pub(crate) fn scalar_to_i64(v: Scalar) -> i64 {
    match v {
        Scalar::Int(i) => i,
        other => other.as_f64() as i64,
    }
}

fn float_only(op: &str, t: &Tensor) {
    if t.dtype() != DType::F32 {
        dtype_panic::<f32>(op, t.dtype());
    }
}


#[cfg(test)]
#[path = "create_tests.rs"]
mod tests;
