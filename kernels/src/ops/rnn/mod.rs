//! Recurrent layers over a whole sequence, one layer and one direction per call: Elman RNN
//! (`tanh` or `relu`), LSTM and GRU, with PyTorch's gate order and formulas; backward through
//! time.
//!
//! Shapes (time-major, row-major): `x` `[T, B, I]`, `y` `[T, B, H]` (the hidden state after each
//! step), `h0`, `h_n`, `c0`, `c_n` `[B, H]`; `W_ih` `[G·H, I]`, `W_hh` `[G·H, H]`, `b_ih`, `b_hh`
//! `[G·H]` with `G` = 1 (RNN), 4 (LSTM: gates i, f, g, o) or 3 (GRU: r, z, n). With
//! `a = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh` split into gates:
//! - RNN: `h_t = tanh(a)` or `relu(a)`;
//! - LSTM: `c_t = σ(a_f)⊙c_{t−1} + σ(a_i)⊙tanh(a_g)`, `h_t = σ(a_o)⊙tanh(c_t)`;
//! - GRU: `r = σ(·_r)`, `z = σ(·_z)`, `n = tanh(W_in x_t + b_in + r⊙(W_hn h_{t−1} + b_hn))`,
//!   `h_t = (1 − z)⊙n + z⊙h_{t−1}`.
//!
//! A `reverse` layer (the second direction of a bidirectional RNN) runs from `t = T−1` down to 0;
//! `y[t]` is still the state after reading `x[t]`. A missing `h0`/`c0` is zeros.
//!
//! The forward projects all inputs with one GEMM (`X·W_ihᵀ`, `[T·B, G·H]`) and then runs one
//! `[B, H]·W_hhᵀ` GEMM per step; it saves ([`rnn_saved_len`]) the activated gates (and LSTM's
//! cell states, GRU's `W_hn h + b_hn`) for the backward, which runs one GEMM per step for
//! `∂L/∂h_{t−1}` and finishes with whole-sequence GEMMs for `∂L/∂x`, `∂L/∂W_ih` and `∂L/∂W_hh`.
//!
//! ```
//! use fusenet_kernels::ops::rnn::*;
//! // One tanh unit, weights 0.5 (input) and 1 (recurrent), no bias: h_t = tanh(0.5·x_t + h_{t−1}).
//! let g = RnnGeom { mode: RnnMode::Tanh, seq: 2, batch: 1, input: 1, hidden: 1, reverse: false };
//! let w = RnnWeights { w_ih: &[0.5f64], w_hh: &[1.0], b_ih: None, b_hh: None };
//! let (mut y, mut h_n) = ([0.0; 2], [0.0]);
//! let mut scratch = vec![0.0; rnn_scratch_len(&g)];
//! rnn_forward(&g, &[2.0, -1.0], &w, None, None, &mut y, &mut h_n, None, &mut [], &mut scratch);
//! let h1 = 1f64.tanh();
//! assert_eq!(y, [h1, (h1 - 0.5).tanh()]);
//! assert_eq!(h_n, [y[1]]);
//! ```

mod backward;
mod forward;

pub use backward::rnn_backward;
pub use forward::rnn_forward;

/// The cell of a recurrent layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RnnMode {
    /// `h_t = tanh(a)` (PyTorch's `nn.RNN`, `nonlinearity='tanh'`).
    Tanh,
    /// `h_t = relu(a)` (`nonlinearity='relu'`).
    Relu,
    /// `nn.LSTM`: gates i, f, g, o.
    Lstm,
    /// `nn.GRU`: gates r, z, n.
    Gru,
}

impl RnnMode {
    /// Gates per hidden unit: 1, 1, 4, 3.
    pub fn gates(self) -> usize {
        match self {
            RnnMode::Tanh | RnnMode::Relu => 1,
            RnnMode::Lstm => 4,
            RnnMode::Gru => 3,
        }
    }
}

/// The sizes of one layer in one direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RnnGeom {
    pub mode: RnnMode,
    /// `T`, the sequence length.
    pub seq: usize,
    /// `B`.
    pub batch: usize,
    /// `I`, the input features.
    pub input: usize,
    /// `H`, the hidden size.
    pub hidden: usize,
    /// Run from the last time step to the first.
    pub reverse: bool,
}

impl RnnGeom {
    /// `G·H`, the rows of `W_ih` and `W_hh`.
    pub fn gate_rows(&self) -> usize {
        self.mode.gates() * self.hidden
    }

    /// The time index of step `s`.
    pub(crate) fn time(&self, s: usize) -> usize {
        if self.reverse { self.seq - 1 - s } else { s }
    }

    pub(crate) fn check(&self, op: &str, x: usize, w: &RnnWeights<'_, impl Sized>, y: usize) {
        let (t, b, i, h, gh) = (self.seq, self.batch, self.input, self.hidden, self.gate_rows());
        assert_eq!(x, t * b * i, "{op}: input has {x} elements, expected [{t}, {b}, {i}] = {}", t * b * i);
        assert_eq!(y, t * b * h, "{op}: output has {y} elements, expected [{t}, {b}, {h}] = {}", t * b * h);
        assert_eq!(w.w_ih.len(), gh * i, "{op}: weight_ih has {} elements, expected [{gh}, {i}]", w.w_ih.len());
        assert_eq!(w.w_hh.len(), gh * h, "{op}: weight_hh has {} elements, expected [{gh}, {h}]", w.w_hh.len());
        for (name, b) in [("bias_ih", w.b_ih), ("bias_hh", w.b_hh)] {
            if let Some(b) = b {
                assert_eq!(b.len(), gh, "{op}: {name} has {} elements, expected [{gh}]", b.len());
            }
        }
    }

    pub(crate) fn check_state(&self, op: &str, name: &str, len: usize) {
        let (b, h) = (self.batch, self.hidden);
        assert_eq!(len, b * h, "{op}: {name} has {len} elements, expected [{b}, {h}] = {}", b * h);
    }
}

/// The parameters of one layer and direction.
#[derive(Clone, Copy, Debug)]
pub struct RnnWeights<'a, T> {
    /// `[G·H, I]`.
    pub w_ih: &'a [T],
    /// `[G·H, H]`.
    pub w_hh: &'a [T],
    /// `[G·H]`, or `None` for `bias=False`.
    pub b_ih: Option<&'a [T]>,
    pub b_hh: Option<&'a [T]>,
}

/// Where [`rnn_backward`] accumulates the parameter gradients (each skipped when `None`).
#[derive(Debug, Default)]
pub struct RnnWeightGrads<'a, T> {
    pub w_ih: Option<&'a mut [T]>,
    pub w_hh: Option<&'a mut [T]>,
    pub b_ih: Option<&'a mut [T]>,
    pub b_hh: Option<&'a mut [T]>,
}

/// What the forward saves for the backward: 0 for RNN; LSTM `T·B·4H` activated gates plus
/// `T·B·H` cell states; GRU `T·B·3H` activated gates plus `T·B·H` values of `W_hn h + b_hn`.
pub fn rnn_saved_len(g: &RnnGeom) -> usize {
    match g.mode {
        RnnMode::Tanh | RnnMode::Relu => 0,
        RnnMode::Lstm | RnnMode::Gru => g.seq * g.batch * (g.gate_rows() + g.hidden),
    }
}

/// The scratch space of [`rnn_forward`] and [`rnn_backward`]: the gate gradients of the whole
/// sequence (twice for GRU, whose input- and hidden-side gradients differ) and three `[B, H]`
/// state gradients.
pub fn rnn_scratch_len(g: &RnnGeom) -> usize {
    let per = g.seq * g.batch * g.gate_rows();
    let copies = if g.mode == RnnMode::Gru { 2 } else { 1 };
    per * copies + 3 * g.batch * g.hidden + g.batch * g.gate_rows()
}

/// `C[m×n] (β) += A[m×k] · Bᵀ` for a row-major `B` `[n×k]`.
#[inline]
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_nt<T: crate::real::Real>(m: usize, k: usize, n: usize, a: &[T], b: &[T], beta: T, c: &mut [T]) {
    T::gemm(m, k, n, T::one(), a, k as isize, 1, b, 1, k as isize, beta, c, n as isize, 1);
}

/// `C[m×n] (β) += A[m×k] · B[k×n]`.
#[inline]
pub(crate) fn gemm_nn<T: crate::real::Real>(m: usize, k: usize, n: usize, a: &[T], b: &[T], beta: T, c: &mut [T]) {
    T::gemm(m, k, n, T::one(), a, k as isize, 1, b, n as isize, 1, beta, c, n as isize, 1);
}

/// `C[m×n] (β) += Aᵀ · B` for a row-major `A` `[k×m]` and `B` `[k×n]`.
#[inline]
pub(crate) fn gemm_tn<T: crate::real::Real>(m: usize, k: usize, n: usize, a: &[T], b: &[T], beta: T, c: &mut [T]) {
    T::gemm(m, k, n, T::one(), a, 1, m as isize, b, n as isize, 1, beta, c, n as isize, 1);
}

#[inline]
pub(crate) fn sigmoid<T: crate::real::Real>(v: T) -> T {
    T::one() / (T::one() + (-v).exp())
}

#[cfg(test)]
mod tests;
