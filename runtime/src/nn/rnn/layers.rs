//! The typed layers `RNN<I, H>`, `LSTM<I, H>`, `GRU<I, H>` around [`RnnCore`].

use super::core::{RnnCore, RnnCtx, RnnGrads, RnnLayerParams};
use super::{RnnOptions, extra_repr, mode_name};
use crate::module::{Module, Visitor, VisitorMut};
use crate::tensor::Tensor;
use fusenet_kernels::ops::rnn::RnnMode;

macro_rules! recurrent {
    ($(#[$doc:meta])* $name:ident, $mode:expr) => {
        $(#[$doc])*
        pub struct $name<const I: usize, const H: usize> {
            core: RnnCore,
        }

        impl<const I: usize, const H: usize> $name<I, H> {
            /// One layer with PyTorch's defaults, initialised as PyTorch does.
            pub fn new() -> Self {
                Self::with_options(RnnOptions::default())
            }

            /// The layer with the given options; every parameter from U(−1/√H, 1/√H), drawn in
            /// PyTorch's parameter order (seeded values equal PyTorch's).
            pub fn with_options(o: RnnOptions) -> Self {
                let mode = $mode;
                let mode = if mode == RnnMode::Tanh && o.relu { RnnMode::Relu } else { mode };
                $name { core: RnnCore::new(mode, I, H, o) }
            }

            /// The options.
            pub fn options(&self) -> RnnOptions {
                self.core.opts
            }

            /// The parameters of `layer` (`reverse` for the second direction).
            pub fn layer_params(&self, layer: usize, reverse: bool) -> &RnnLayerParams {
                let d = self.core.opts.directions();
                assert!(layer < self.core.opts.num_layers && (!reverse || d == 2), "{}: no layer {layer} (reverse={reverse})", mode_name(self.core.mode));
                &self.core.params[layer * d + usize::from(reverse)]
            }

            /// PyTorch's `reset_parameters`.
            pub fn reset_parameters(&self) {
                self.core.reset_parameters()
            }

            /// The eager forward, returning the output only (`[T, B, D·H]`, `[B, T, D·H]` with
            /// `batch_first`, or `[T, D·H]` unbatched), from a zero initial state.
            pub fn forward(&self, x: &Tensor) -> Tensor {
                self.core.run(x, None, None, &mut RnnCtx::default()).0
            }

            /// The backward of [`Self::forward_train_with_state`]: from the gradients of the
            /// output and of the final state (`None` = zeros), accumulates every parameter
            /// gradient and returns `∂L/∂x` (when `need_input_grad`) and the initial state's
            /// gradients (when an initial state was given).
            pub fn backward_with_state(&self, ctx: &mut RnnCtx, grad_out: Option<&Tensor>, grad_h_n: Option<&Tensor>, grad_c_n: Option<&Tensor>, need_input_grad: bool) -> RnnGrads {
                self.core.backward(ctx, grad_out, grad_h_n, grad_c_n, need_input_grad)
            }
        }

        impl<const I: usize, const H: usize> Default for $name<I, H> {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<const I: usize, const H: usize> Module for $name<I, H> {
            fn visit<'a>(&'a self, v: &mut dyn Visitor<'a>) {
                self.core.visit(v)
            }
            fn visit_mut(&mut self, v: &mut dyn VisitorMut) {
                self.core.visit_mut(v)
            }
            fn type_name(&self) -> &'static str {
                stringify!($name)
            }
            fn extra_repr(&self) -> String {
                extra_repr(I, H, &self.core.opts)
            }
            fn set_training_self(&mut self, on: bool) {
                self.core.training = on;
            }
            fn training_self(&self) -> Option<bool> {
                Some(self.core.training)
            }
            fn share(&self) -> Self {
                $name { core: self.core.share() }
            }
            crate::__module_boilerplate!();
        }

        /// The keys of `new()`: one layer, one direction, with biases.
        impl<const I: usize, const H: usize> crate::module::ConstKeys for $name<I, H> {
            const STATE_DICT_KEYS: Option<&'static [&'static str]> = Some(&["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]);
        }

        impl<const I: usize, const H: usize> std::fmt::Display for $name<I, H> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                crate::module::fmt_module(self, f)
            }
        }

        /// As a [`Layer`](crate::module::Layer) the recurrent layer maps the input sequence to
        /// the output sequence (zero initial state; the final state is dropped).
        impl<const I: usize, const H: usize> crate::module::Layer for $name<I, H> {
            type Ctx = RnnCtx;

            fn forward(&self, x: &Tensor) -> Tensor {
                self.core.run(x, None, None, &mut RnnCtx::default()).0
            }

            fn forward_train(&self, x: &Tensor, ctx: &mut RnnCtx) -> Tensor {
                self.core.run(x, None, None, ctx).0
            }

            fn backward(&self, ctx: &mut RnnCtx, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
                self.core.backward(ctx, Some(grad_out), None, None, need_input_grad).input
            }
        }
    };
}

recurrent!(
    /// An Elman RNN, PyTorch's `nn.RNN(I, H)`: `h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)`
    /// (`relu` with [`RnnOptions::relu`]), stacked `num_layers` deep.
    ///
    /// ```
    /// use fusenet_runtime::{Module, Tensor};
    /// use fusenet_runtime::nn::{RNN, RnnOptions};
    /// let rnn = RNN::<10, 20>::with_options(RnnOptions::default().num_layers(2).bidirectional(true));
    /// assert_eq!(rnn.to_string(), "RNN(10, 20, num_layers=2, bidirectional=True)");
    /// assert_eq!(rnn.state_dict_keys()[4..6], ["weight_ih_l0_reverse", "weight_hh_l0_reverse"]);
    /// let (y, h_n) = rnn.forward_with_state(&Tensor::zeros(&[5, 3, 10]), None);
    /// assert_eq!((y.shape(), h_n.shape()), (&[5usize, 3, 40][..], &[4usize, 3, 20][..]));
    /// ```
    RNN, RnnMode::Tanh
);

recurrent!(
    /// A long short-term memory layer, PyTorch's `nn.LSTM(I, H)`: with gates i, f, g, o stacked
    /// in `weight_ih_l{k}` (`[4H, in]`) and `weight_hh_l{k}` (`[4H, H]`),
    /// `c_t = σ(f)⊙c_{t−1} + σ(i)⊙tanh(g)`, `h_t = σ(o)⊙tanh(c_t)`.
    ///
    /// ```
    /// use fusenet_runtime::{Module, Tensor, manual_seed};
    /// use fusenet_runtime::nn::{LSTM, RnnOptions};
    /// manual_seed(0);
    /// let lstm = LSTM::<10, 20>::with_options(RnnOptions::default().num_layers(2).batch_first(true));
    /// assert_eq!(lstm.state_dict_keys()[..4], ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]);
    /// assert_eq!(lstm.layer_params(1, false).weight_ih.shape(), &[80, 20]);
    /// let (y, (h_n, c_n)) = lstm.forward_with_state(&Tensor::zeros(&[3, 5, 10]), None);
    /// assert_eq!(y.shape(), &[3, 5, 20]);
    /// assert_eq!((h_n.shape(), c_n.shape()), (&[2usize, 3, 20][..], &[2usize, 3, 20][..]));
    /// ```
    LSTM, RnnMode::Lstm
);

recurrent!(
    /// A gated recurrent unit layer, PyTorch's `nn.GRU(I, H)`: gates r, z, n,
    /// `n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn))`, `h_t = (1 − z)⊙n + z⊙h_{t−1}`.
    ///
    /// ```
    /// use fusenet_runtime::{Module, Tensor};
    /// use fusenet_runtime::nn::{GRU, RnnOptions};
    /// let gru = GRU::<4, 8>::with_options(RnnOptions::default().num_layers(2).dropout(0.1));
    /// assert_eq!(gru.to_string(), "GRU(4, 8, num_layers=2, dropout=0.1)");
    /// assert_eq!(gru.forward(&Tensor::zeros(&[6, 4])).shape(), &[6, 8]); // unbatched
    /// ```
    GRU, RnnMode::Gru
);

impl<const I: usize, const H: usize> RNN<I, H> {
    /// `(output, h_n)` from the initial state `h0` (`[L·D, B, H]`, zeros when `None`).
    pub fn forward_with_state(&self, x: &Tensor, h0: Option<&Tensor>) -> (Tensor, Tensor) {
        let (y, h, _) = self.core.run(x, h0, None, &mut RnnCtx::default());
        (y, h)
    }

    /// [`Self::forward_with_state`] that saves into `ctx` for [`Self::backward_with_state`].
    pub fn forward_train_with_state(&self, x: &Tensor, h0: Option<&Tensor>, ctx: &mut RnnCtx) -> (Tensor, Tensor) {
        let (y, h, _) = self.core.run(x, h0, None, ctx);
        (y, h)
    }
}

impl<const I: usize, const H: usize> GRU<I, H> {
    /// `(output, h_n)` from the initial state `h0` (`[L·D, B, H]`, zeros when `None`).
    pub fn forward_with_state(&self, x: &Tensor, h0: Option<&Tensor>) -> (Tensor, Tensor) {
        let (y, h, _) = self.core.run(x, h0, None, &mut RnnCtx::default());
        (y, h)
    }

    /// [`Self::forward_with_state`] that saves into `ctx` for [`Self::backward_with_state`].
    pub fn forward_train_with_state(&self, x: &Tensor, h0: Option<&Tensor>, ctx: &mut RnnCtx) -> (Tensor, Tensor) {
        let (y, h, _) = self.core.run(x, h0, None, ctx);
        (y, h)
    }
}

impl<const I: usize, const H: usize> LSTM<I, H> {
    /// `(output, (h_n, c_n))` from the initial state `(h0, c0)` (zeros when `None`).
    pub fn forward_with_state(&self, x: &Tensor, state: Option<(&Tensor, &Tensor)>) -> (Tensor, (Tensor, Tensor)) {
        let (y, h, c) = self.core.run(x, state.map(|s| s.0), state.map(|s| s.1), &mut RnnCtx::default());
        (y, (h, c.expect("an LSTM has a cell state")))
    }

    /// [`Self::forward_with_state`] that saves into `ctx` for [`Self::backward_with_state`].
    pub fn forward_train_with_state(&self, x: &Tensor, state: Option<(&Tensor, &Tensor)>, ctx: &mut RnnCtx) -> (Tensor, (Tensor, Tensor)) {
        let (y, h, c) = self.core.run(x, state.map(|s| s.0), state.map(|s| s.1), ctx);
        (y, (h, c.expect("an LSTM has a cell state")))
    }
}
