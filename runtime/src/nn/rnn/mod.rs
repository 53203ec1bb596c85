//! `RNN`, `LSTM`, `GRU`: PyTorch's recurrent layers (`num_layers`, `bias`, `batch_first`,
//! `dropout`, `bidirectional`), on the kernels of `fusenet_kernels::ops::rnn`.

mod core;
mod layers;

pub use self::core::{RnnCtx, RnnGrads, RnnLayerParams};
pub use layers::{GRU, LSTM, RNN};

use fusenet_kernels::ops::rnn::RnnMode;

/// The keyword arguments of a recurrent layer, with PyTorch's defaults (`num_layers=1,
/// nonlinearity='tanh', bias=True, batch_first=False, dropout=0, bidirectional=False`).
///
/// ```
/// use fusenet_runtime::nn::{LSTM, RnnOptions};
/// let lstm = LSTM::<10, 20>::with_options(RnnOptions::default().num_layers(2).batch_first(true));
/// assert_eq!(lstm.to_string(), "LSTM(10, 20, num_layers=2, batch_first=True)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RnnOptions {
    pub num_layers: usize,
    /// `nonlinearity='relu'` (for [`RNN`] only; LSTM and GRU ignore it).
    pub relu: bool,
    pub bias: bool,
    pub batch_first: bool,
    /// Dropout on the outputs of every layer but the last, in training mode.
    pub dropout: f64,
    pub bidirectional: bool,
}

impl Default for RnnOptions {
    fn default() -> Self {
        RnnOptions { num_layers: 1, relu: false, bias: true, batch_first: false, dropout: 0.0, bidirectional: false }
    }
}

impl RnnOptions {
    /// `num_layers=`.
    pub fn num_layers(mut self, n: usize) -> Self {
        self.num_layers = n;
        self
    }
    /// `nonlinearity='relu'` (`true`) or `'tanh'`.
    pub fn relu(mut self, on: bool) -> Self {
        self.relu = on;
        self
    }
    /// `bias=`.
    pub fn bias(mut self, on: bool) -> Self {
        self.bias = on;
        self
    }
    /// `batch_first=`: input and output are `[B, T, ·]` instead of `[T, B, ·]`.
    pub fn batch_first(mut self, on: bool) -> Self {
        self.batch_first = on;
        self
    }
    /// `dropout=`.
    pub fn dropout(mut self, p: f64) -> Self {
        self.dropout = p;
        self
    }
    /// `bidirectional=`.
    pub fn bidirectional(mut self, on: bool) -> Self {
        self.bidirectional = on;
        self
    }

    /// 2 when bidirectional, else 1.
    pub fn directions(&self) -> usize {
        if self.bidirectional { 2 } else { 1 }
    }
}

/// PyTorch's `RNNBase.extra_repr`.
fn extra_repr(input: usize, hidden: usize, o: &RnnOptions) -> String {
    let mut s = format!("{input}, {hidden}");
    if o.num_layers != 1 {
        s += &format!(", num_layers={}", o.num_layers);
    }
    if !o.bias {
        s += ", bias=False";
    }
    if o.batch_first {
        s += ", batch_first=True";
    }
    if o.dropout != 0.0 {
        s += &format!(", dropout={}", super::kernel_call::py_float(o.dropout));
    }
    if o.bidirectional {
        s += ", bidirectional=True";
    }
    s
}

fn mode_name(mode: RnnMode) -> &'static str {
    match mode {
        RnnMode::Tanh | RnnMode::Relu => "RNN",
        RnnMode::Lstm => "LSTM",
        RnnMode::Gru => "GRU",
    }
}

#[cfg(test)]
mod tests;
