//! What `RNN`, `LSTM` and `GRU` share: the stacked, possibly bidirectional parameters, the
//! forward over layers and directions (with inter-layer dropout) and its backward.

use super::{RnnOptions, mode_name};
use crate::init;
use crate::module::{Visitor, VisitorMut};
use crate::nn::conv::grad::with_grad_slice;
use crate::param::Param;
use crate::rng::with_default_generator;
use crate::graph::Slot;
use crate::nn::kernel_call::{param_value, with_opt_slice};
use crate::tensor::{Dims, Tensor};
use fusenet_kernels::ops::dropout::{dropout_backward, dropout_forward};
use fusenet_kernels::ops::rnn::{RnnGeom, RnnMode, RnnWeightGrads, RnnWeights, rnn_backward, rnn_forward, rnn_saved_len, rnn_scratch_len};

/// The parameters of one layer and direction, PyTorch's `weight_ih_l{k}[_reverse]`,
/// `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}`: `[G·H, in]`, `[G·H, H]`, `[G·H]`, `[G·H]`
/// with the gates stacked in PyTorch's order (LSTM i, f, g, o; GRU r, z, n).
pub struct RnnLayerParams {
    pub weight_ih: Param,
    pub weight_hh: Param,
    pub bias_ih: Option<Param>,
    pub bias_hh: Option<Param>,
}

/// The gradients a recurrent backward returns: `∂L/∂x` when asked, and `∂L/∂h0` (`∂L/∂c0`) when
/// the forward was given an initial state.
#[derive(Debug, Default)]
pub struct RnnGrads {
    pub input: Option<Tensor>,
    pub h0: Option<Tensor>,
    pub c0: Option<Tensor>,
}

/// What a recurrent call site keeps for its backward: every layer's input, each direction's
/// outputs and gate activations, the dropout masks and the initial state; and the buffers the
/// outputs, the gradients and the scratch space are written into. Every buffer is reused from
/// step to step (vectors are resized, which allocates nothing at an unchanged size).
#[derive(Default)]
pub struct RnnCtx {
    saved: Option<Meta>,
    /// `num_layers + 1` time-major sequences: the input, then each layer's output.
    layer_inputs: Vec<Vec<f32>>,
    /// One per layer and direction: its output `[T, B, H]` and its saved gates.
    outs: Vec<Vec<f32>>,
    gates: Vec<Vec<f32>>,
    /// One per layer (empty when that layer's output is not dropped).
    masks: Vec<Vec<f32>>,
    h0: Vec<f32>,
    c0: Vec<f32>,
    scratch: Vec<f32>,
    tmp: Vec<f32>,
    // Backward buffers.
    dy: Vec<f32>,
    dx_layer: Vec<f32>,
    dx_dir: Vec<f32>,
    dy_dir: Vec<f32>,
    ghn: Vec<f32>,
    gcn: Vec<f32>,
    out: Slot,
    h_n: Slot,
    c_n: Slot,
    grad: Slot,
    grad_h0: Slot,
    grad_c0: Slot,
}

impl std::fmt::Debug for RnnCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RnnCtx").field("saved", &self.saved).finish_non_exhaustive()
    }
}

/// The shapes of what a forward saved.
#[derive(Debug, Clone, Copy)]
struct Meta {
    out_shape: Dims<usize>,
    x_shape: Dims<usize>,
    t: usize,
    b: usize,
    has_h0: bool,
    has_c0: bool,
}

/// The shared state of the three layer types.
pub(crate) struct RnnCore {
    pub mode: RnnMode,
    pub input: usize,
    pub hidden: usize,
    pub opts: RnnOptions,
    pub params: Vec<RnnLayerParams>,
    pub training: bool,
}

/// Runs `f` with the weights of one layer and direction as slices (each value locked once).
fn with_weights<R>(p: &RnnLayerParams, f: impl FnOnce(&RnnWeights<'_, f32>) -> R) -> R {
    let (wi, wh) = (p.weight_ih.value().contiguous(), p.weight_hh.value().contiguous());
    let (bi, bh) = (param_value(p.bias_ih.as_ref()), param_value(p.bias_hh.as_ref()));
    wi.with_slice::<f32, _>(|w_ih| {
        wh.with_slice::<f32, _>(|w_hh| {
            with_opt_slice(bi.as_ref(), |b_ih| with_opt_slice(bh.as_ref(), |b_hh| f(&RnnWeights { w_ih, w_hh, b_ih, b_hh })))
        })
    })
}

/// Copies the elements of `x` (`[A, B, W]` when `swap`, else any shape) into `dst`, swapping the
/// first two dims when `swap` (`[A, B, W] → [B, A, W]`).
fn copy_swapped(x: &Tensor, swap: bool, dst: &mut Vec<f32>) {
    let x = x.contiguous();
    dst.resize(x.numel(), 0.0);
    x.with_slice::<f32, _>(|xs| write_swapped(xs, if swap { Some((x.shape()[0], x.shape()[1])) } else { None }, dst))
}

/// `dst = src`, or with `swap = Some((a, b))` the `[a, b, w]` rows of `src` as `[b, a, w]`.
fn write_swapped(src: &[f32], swap: Option<(usize, usize)>, dst: &mut [f32]) {
    match swap {
        None => dst.copy_from_slice(src),
        Some((a, b)) => {
            let w = src.len().checked_div(a * b).unwrap_or(0);
            for i in 0..a {
                for j in 0..b {
                    dst[(j * a + i) * w..(j * a + i + 1) * w].copy_from_slice(&src[(i * b + j) * w..(i * b + j + 1) * w]);
                }
            }
        }
    }
}

impl RnnCore {
    pub fn new(mode: RnnMode, input: usize, hidden: usize, opts: RnnOptions) -> RnnCore {
        let name = mode_name(mode);
        assert!(opts.num_layers >= 1, "{name}: num_layers must be at least 1, got {}", opts.num_layers);
        assert!(hidden >= 1, "{name}: hidden_size must be greater than zero");
        assert!(
            (0.0..=1.0).contains(&opts.dropout),
            "dropout should be a number in range [0, 1] representing the probability of an element being zeroed, got {}",
            opts.dropout
        );
        let gh = mode.gates() * hidden;
        let d = opts.directions();
        let params = (0..opts.num_layers * d)
            .map(|k| {
                let in_size = if k < d { input } else { d * hidden };
                RnnLayerParams {
                    weight_ih: Param::new(Tensor::zeros(&[gh, in_size])),
                    weight_hh: Param::new(Tensor::zeros(&[gh, hidden])),
                    bias_ih: opts.bias.then(|| Param::new(Tensor::zeros(&[gh]))),
                    bias_hh: opts.bias.then(|| Param::new(Tensor::zeros(&[gh]))),
                }
            })
            .collect();
        let core = RnnCore { mode, input, hidden, opts, params, training: true };
        core.reset_parameters();
        core
    }

    /// PyTorch's `reset_parameters`: every parameter from U(−1/√H, 1/√H), in parameter order.
    pub fn reset_parameters(&self) {
        let stdv = 1.0 / (self.hidden as f64).sqrt();
        for p in &self.params {
            for q in [Some(&p.weight_ih), Some(&p.weight_hh), p.bias_ih.as_ref(), p.bias_hh.as_ref()].into_iter().flatten() {
                init::uniform_(q, -stdv, stdv);
            }
        }
    }

    fn suffix(&self, k: usize) -> String {
        let d = self.opts.directions();
        format!("l{}{}", k / d, if k % d == 1 { "_reverse" } else { "" })
    }

    pub fn visit<'a>(&'a self, v: &mut dyn Visitor<'a>) {
        for (k, p) in self.params.iter().enumerate() {
            let s = self.suffix(k);
            v.param(&format!("weight_ih_{s}"), &p.weight_ih);
            v.param(&format!("weight_hh_{s}"), &p.weight_hh);
            if let Some(b) = &p.bias_ih {
                v.param(&format!("bias_ih_{s}"), b);
            }
            if let Some(b) = &p.bias_hh {
                v.param(&format!("bias_hh_{s}"), b);
            }
        }
    }

    pub fn visit_mut(&mut self, v: &mut dyn VisitorMut) {
        let names: Vec<String> = (0..self.params.len()).map(|k| self.suffix(k)).collect();
        for (p, s) in self.params.iter_mut().zip(names) {
            v.param(&format!("weight_ih_{s}"), &mut p.weight_ih);
            v.param(&format!("weight_hh_{s}"), &mut p.weight_hh);
            if let Some(b) = &mut p.bias_ih {
                v.param(&format!("bias_ih_{s}"), b);
            }
            if let Some(b) = &mut p.bias_hh {
                v.param(&format!("bias_hh_{s}"), b);
            }
        }
    }

    pub fn share(&self) -> RnnCore {
        let params = self
            .params
            .iter()
            .map(|p| RnnLayerParams {
                weight_ih: p.weight_ih.share(),
                weight_hh: p.weight_hh.share(),
                bias_ih: p.bias_ih.as_ref().map(Param::share),
                bias_hh: p.bias_hh.as_ref().map(Param::share),
            })
            .collect();
        RnnCore { params, ..*self }
    }

    fn geom(&self, layer: usize, dir: usize, t: usize, b: usize) -> RnnGeom {
        let input = if layer == 0 { self.input } else { self.opts.directions() * self.hidden };
        RnnGeom { mode: self.mode, seq: t, batch: b, input, hidden: self.hidden, reverse: dir == 1 }
    }

    /// `(T, B)` and the output shape of input `x`; panics in PyTorch's words.
    fn prepare(&self, x: &Tensor) -> (usize, usize, Dims<usize>) {
        let name = mode_name(self.mode);
        let s = x.shape();
        assert!(s.len() == 2 || s.len() == 3, "{name}: Expected input to be 2D or 3D, got {}D instead (input of shape {s:?})", s.len());
        assert!(
            s[s.len() - 1] == self.input,
            "{name}: input.size(-1) must be equal to input_size. Expected {}, got {} (input of shape {s:?})",
            self.input,
            s[s.len() - 1]
        );
        crate::nn::kernel_call::expect_f32(name, "input", x);
        let width = self.opts.directions() * self.hidden;
        let bf = self.batch_first(s.len());
        let (t, b) = if s.len() == 2 { (s[0], 1) } else if bf { (s[1], s[0]) } else { (s[0], s[1]) };
        assert!(t > 0, "{name}: the input sequence is empty (shape {s:?})");
        let out_shape: Dims<usize> = match s.len() {
            2 => [t, width].into(),
            _ if bf => [b, t, width].into(),
            _ => [t, b, width].into(),
        };
        (t, b, out_shape)
    }

    /// The shape of a state `[L·D, B, H]` (or `[L·D, H]` unbatched).
    fn state_shape(&self, batched: bool, b: usize) -> Dims<usize> {
        let ld = self.opts.num_layers * self.opts.directions();
        if batched { [ld, b, self.hidden].into() } else { [ld, self.hidden].into() }
    }

    /// Copies a state into `dst`; panics naming both shapes when it is not [`Self::state_shape`].
    fn state(&self, what: &str, h: &Tensor, batched: bool, b: usize, dst: &mut Vec<f32>) {
        let want = self.state_shape(batched, b);
        assert!(h.shape() == want.as_slice(), "{}: Expected {what} size {want:?}, got {:?}", mode_name(self.mode), h.shape());
        copy_swapped(h, false, dst);
    }

    /// Whether a tensor of rank `dim` is laid out `[B, T, ·]`.
    fn batch_first(&self, dim: usize) -> bool {
        self.opts.batch_first && dim == 3
    }

    /// A tensor of `shape` from `slot` holding time-major `[T, B, W]` data in the caller's layout.
    fn to_layout(slot: &mut Slot, v: &[f32], t: usize, b: usize, shape: &[usize], batch_first: bool) -> Tensor {
        let out = slot.out(shape);
        out.with_slice_mut::<f32, _>(|o| write_swapped(v, batch_first.then_some((t, b)), o));
        out
    }

    /// The forward over all layers and directions: `(output, h_n, c_n)`, with what the backward
    /// needs saved in `ctx` and every result written into `ctx`'s buffers.
    pub fn run(&self, x: &Tensor, h0: Option<&Tensor>, c0: Option<&Tensor>, ctx: &mut RnnCtx) -> (Tensor, Tensor, Option<Tensor>) {
        ctx.saved = None;
        let lstm = self.mode == RnnMode::Lstm;
        let batched = x.dim() == 3;
        let (t, b, out_shape) = self.prepare(x);
        let (d, h, layers) = (self.opts.directions(), self.hidden, self.opts.num_layers);
        let bh = b * h;
        ctx.layer_inputs.resize_with(layers + 1, Vec::new);
        ctx.outs.resize_with(layers * d, Vec::new);
        ctx.gates.resize_with(layers * d, Vec::new);
        ctx.masks.resize_with(layers, Vec::new);
        copy_swapped(x, self.batch_first(x.dim()), &mut ctx.layer_inputs[0]);
        let has_h0 = h0.is_some();
        let has_c0 = lstm && c0.is_some();
        if let Some(h0) = h0 {
            self.state("hidden", h0, batched, b, &mut ctx.h0);
        }
        if let Some(c0) = c0.filter(|_| lstm) {
            self.state("cell", c0, batched, b, &mut ctx.c0);
        }
        let state_shape = self.state_shape(batched, b);
        let h_n = ctx.h_n.out(&state_shape);
        let c_n = lstm.then(|| ctx.c_n.out(&state_shape));
        h_n.with_slice_mut::<f32, _>(|hn| {
            let mut run_layers = |mut cn: Option<&mut [f32]>| {
                for layer in 0..layers {
                    let (done, rest) = ctx.layer_inputs.split_at_mut(layer + 1);
                    let (layer_in, out) = (&done[layer], &mut rest[0]);
                    out.resize(t * b * d * h, 0.0);
                    for dir in 0..d {
                        let k = layer * d + dir;
                        let g = self.geom(layer, dir, t, b);
                        let (y, saved) = (&mut ctx.outs[k], &mut ctx.gates[k]);
                        y.resize(t * bh, 0.0);
                        saved.resize(rnn_saved_len(&g), 0.0);
                        ctx.scratch.resize(rnn_scratch_len(&g), 0.0);
                        let h0k = has_h0.then(|| &ctx.h0[k * bh..(k + 1) * bh]);
                        let c0k = has_c0.then(|| &ctx.c0[k * bh..(k + 1) * bh]);
                        let cnk = cn.as_deref_mut().map(|c| &mut c[k * bh..(k + 1) * bh]);
                        with_weights(&self.params[k], |w| {
                            rnn_forward(&g, layer_in, w, h0k, c0k, y, &mut hn[k * bh..(k + 1) * bh], cnk, saved, &mut ctx.scratch)
                        });
                        for (dst, src) in out.chunks_exact_mut(d * h).zip(y.chunks_exact(h)) {
                            dst[dir * h..(dir + 1) * h].copy_from_slice(src);
                        }
                    }
                    let mask = &mut ctx.masks[layer];
                    mask.clear();
                    if self.training && self.opts.dropout > 0.0 && layer + 1 < layers {
                        mask.resize(out.len(), 0.0);
                        with_default_generator(|g| mask.iter_mut().for_each(|u| *u = g.uniform_f32()));
                        ctx.tmp.clear();
                        ctx.tmp.extend_from_slice(out);
                        dropout_forward(self.opts.dropout, &ctx.tmp, mask, out);
                    }
                }
            };
            match &c_n {
                Some(c) => c.with_slice_mut::<f32, _>(|c| run_layers(Some(c))),
                None => run_layers(None),
            }
        });
        let y = Self::to_layout(&mut ctx.out, &ctx.layer_inputs[layers], t, b, &out_shape, self.batch_first(x.dim()));
        ctx.saved = Some(Meta { out_shape, x_shape: x.shape().into(), t, b, has_h0, has_c0 });
        (y, h_n, c_n)
    }

    /// Backward through time and layers from the gradients of the output and of the final
    /// states (`None` = zeros); accumulates every parameter gradient. The returned gradients are
    /// written into `ctx`'s buffers.
    pub fn backward(&self, ctx: &mut RnnCtx, grad_out: Option<&Tensor>, grad_hn: Option<&Tensor>, grad_cn: Option<&Tensor>, need_input_grad: bool) -> RnnGrads {
        let name = mode_name(self.mode);
        let s = ctx.saved.take().unwrap_or_else(|| {
            panic!("{name}::backward: nothing saved; call forward_train first (and backward once per forward_train)")
        });
        let (t, b, d, h) = (s.t, s.b, self.opts.directions(), self.hidden);
        let (bh, batched) = (b * h, s.x_shape.len() == 3);
        let has_dy = grad_out.is_some();
        if let Some(g) = grad_out {
            assert!(g.shape() == s.out_shape.as_slice(), "{name}::backward: the output had shape {:?}, got a gradient of shape {:?}", s.out_shape, g.shape());
            crate::nn::kernel_call::expect_f32(name, "gradient", g);
            copy_swapped(g, self.batch_first(g.dim()), &mut ctx.dy);
        }
        if let Some(g) = grad_hn {
            self.state("grad of h_n", g, batched, b, &mut ctx.ghn);
        }
        if let Some(g) = grad_cn {
            self.state("grad of c_n", g, batched, b, &mut ctx.gcn);
        }
        let state_shape = self.state_shape(batched, b);
        let dh0 = s.has_h0.then(|| ctx.grad_h0.out(&state_shape));
        let dc0 = s.has_c0.then(|| ctx.grad_c0.out(&state_shape));
        let mut dy_valid = has_dy;
        for layer in (0..self.opts.num_layers).rev() {
            if dy_valid && !ctx.masks[layer].is_empty() {
                ctx.tmp.clear();
                ctx.tmp.extend_from_slice(&ctx.dy);
                dropout_backward(&ctx.masks[layer], &ctx.tmp, &mut ctx.dy);
            }
            let x_in = &ctx.layer_inputs[layer];
            let need_dx = layer > 0 || need_input_grad;
            if need_dx {
                ctx.dx_layer.clear();
                ctx.dx_layer.resize(x_in.len(), 0.0);
                ctx.dx_dir.resize(x_in.len(), 0.0);
            }
            for dir in 0..d {
                let k = layer * d + dir;
                let g = self.geom(layer, dir, t, b);
                let p = &self.params[k];
                if dy_valid {
                    ctx.dy_dir.clear();
                    ctx.dy_dir.extend(ctx.dy.chunks_exact(d * h).flat_map(|r| &r[dir * h..(dir + 1) * h]));
                }
                let dy_dir = dy_valid.then_some(&ctx.dy_dir[..]);
                fn part(on: bool, v: &[f32], k: usize, bh: usize) -> Option<&[f32]> {
                    on.then(|| &v[k * bh..(k + 1) * bh])
                }
                let (h0k, c0k) = (part(s.has_h0, &ctx.h0, k, bh), part(s.has_c0, &ctx.c0, k, bh));
                let (ghnk, gcnk) = (part(grad_hn.is_some(), &ctx.ghn, k, bh), part(grad_cn.is_some(), &ctx.gcn, k, bh));
                ctx.scratch.resize(rnn_scratch_len(&g), 0.0);
                let (outs, gates, scratch, dx_dir) = (&ctx.outs[k], &ctx.gates[k], &mut ctx.scratch, &mut ctx.dx_dir);
                with_opt_slice_mut(dh0.as_ref(), |dh0| {
                    with_opt_slice_mut(dc0.as_ref(), |dc0| {
                        let dh0k = dh0.map(|v| &mut v[k * bh..(k + 1) * bh]);
                        let dc0k = dc0.map(|v| &mut v[k * bh..(k + 1) * bh]);
                        with_grad_slice(Some(&p.weight_ih), |gwi| {
                            with_grad_slice(Some(&p.weight_hh), |gwh| {
                                with_grad_slice(p.bias_ih.as_ref(), |gbi| {
                                    with_grad_slice(p.bias_hh.as_ref(), |gbh| {
                                        let grads = RnnWeightGrads { w_ih: gwi, w_hh: gwh, b_ih: gbi, b_hh: gbh };
                                        let dx = need_dx.then_some(&mut dx_dir[..]);
                                        with_weights(p, |w| {
                                            rnn_backward(&g, x_in, w, h0k, c0k, outs, gates, dy_dir, ghnk, gcnk, scratch, dx, dh0k, dc0k, grads)
                                        })
                                    })
                                })
                            })
                        })
                    })
                });
                if need_dx {
                    ctx.dx_layer.iter_mut().zip(&ctx.dx_dir).for_each(|(a, v)| *a += v);
                }
            }
            std::mem::swap(&mut ctx.dy, &mut ctx.dx_layer);
            dy_valid = need_dx;
        }
        let input = (need_input_grad && dy_valid)
            .then(|| Self::to_layout(&mut ctx.grad, &ctx.dy, t, b, &s.x_shape, self.batch_first(s.x_shape.len())));
        RnnGrads { input, h0: dh0, c0: dc0 }
    }
}

/// Runs `f` on the `f32` elements of an optional contiguous tensor, mutably.
fn with_opt_slice_mut<R>(t: Option<&Tensor>, f: impl FnOnce(Option<&mut [f32]>) -> R) -> R {
    match t {
        Some(t) => t.with_slice_mut::<f32, _>(|s| f(Some(s))),
        None => f(None),
    }
}
