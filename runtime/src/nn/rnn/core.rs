//! What `RNN`, `LSTM` and `GRU` share: the stacked, possibly bidirectional parameters, the
//! forward over layers and directions (with inter-layer dropout) and its backward.

use super::{RnnOptions, mode_name};
use crate::init;
use crate::module::{Visitor, VisitorMut};
use crate::nn::conv::grad::with_grad_slice;
use crate::param::Param;
use crate::rng::with_default_generator;
use crate::tensor::Tensor;
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
/// outputs and gate activations, the dropout masks and the initial state.
#[derive(Debug, Default)]
pub struct RnnCtx {
    saved: Option<Saved>,
}

#[derive(Debug)]
struct Saved {
    out_shape: Vec<usize>,
    x_shape: Vec<usize>,
    t: usize,
    b: usize,
    layer_inputs: Vec<Vec<f32>>,
    outs: Vec<Vec<f32>>,
    gates: Vec<Vec<f32>>,
    masks: Vec<Option<Vec<f32>>>,
    h0: Option<Vec<f32>>,
    c0: Option<Vec<f32>>,
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

fn f32s(p: &Param) -> Vec<f32> {
    p.value().to_vec::<f32>()
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

    /// The input in time-major order, `(T, B)`, the output shape; panics in PyTorch's words.
    fn prepare(&self, x: &Tensor) -> (Vec<f32>, usize, usize, Vec<usize>) {
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
        let xt = if bf { x.transpose(0, 1) } else { x.shallow_clone() };
        let out_shape = match s.len() {
            2 => vec![t, width],
            _ if bf => vec![b, t, width],
            _ => vec![t, b, width],
        };
        (xt.contiguous().to_vec::<f32>(), t, b, out_shape)
    }

    /// `[L·D, B, H]` (or `[L·D, H]` unbatched) as a vector; panics naming both shapes.
    fn state(&self, what: &str, h: &Tensor, batched: bool, b: usize) -> Vec<f32> {
        let ld = self.opts.num_layers * self.opts.directions();
        let want: Vec<usize> = if batched { vec![ld, b, self.hidden] } else { vec![ld, self.hidden] };
        assert!(h.shape() == want, "{}: Expected {what} size {want:?}, got {:?}", mode_name(self.mode), h.shape());
        h.contiguous().to_vec::<f32>()
    }

    /// Whether a tensor of rank `dim` is laid out `[B, T, ·]`.
    fn batch_first(&self, dim: usize) -> bool {
        self.opts.batch_first && dim == 3
    }

    /// Time-major `[T, B, W]` data back to the caller's layout `shape`.
    fn to_layout(v: Vec<f32>, t: usize, b: usize, shape: &[usize], batch_first: bool) -> Tensor {
        let tm = Tensor::from_vec(v, &[t, b, shape[shape.len() - 1]]);
        if batch_first { tm.transpose(0, 1).contiguous() } else { tm.reshape(shape) }
    }

    /// The forward over all layers and directions: `(output, h_n, c_n)`; saves into `ctx` when given.
    pub fn run(&self, x: &Tensor, h0: Option<&Tensor>, c0: Option<&Tensor>, ctx: Option<&mut RnnCtx>) -> (Tensor, Tensor, Option<Tensor>) {
        let lstm = self.mode == RnnMode::Lstm;
        let batched = x.dim() == 3;
        let (x_tm, t, b, out_shape) = self.prepare(x);
        let h0 = h0.map(|h| self.state("hidden", h, batched, b));
        let c0 = if lstm { c0.map(|c| self.state("cell", c, batched, b)) } else { None };
        let (d, h) = (self.opts.directions(), self.hidden);
        let bh = b * h;
        let ld = self.opts.num_layers * d;
        let mut h_n = vec![0f32; ld * bh];
        let mut c_n = lstm.then(|| vec![0f32; ld * bh]);
        let keep = ctx.is_some();
        let (mut inputs, mut outs, mut gates, mut masks) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut layer_in = x_tm;
        for layer in 0..self.opts.num_layers {
            let mut out = vec![0f32; t * b * d * h];
            for dir in 0..d {
                let k = layer * d + dir;
                let g = self.geom(layer, dir, t, b);
                let p = &self.params[k];
                let (wi, wh) = (f32s(&p.weight_ih), f32s(&p.weight_hh));
                let (bi, bhh) = (p.bias_ih.as_ref().map(f32s), p.bias_hh.as_ref().map(f32s));
                let w = RnnWeights { w_ih: &wi, w_hh: &wh, b_ih: bi.as_deref(), b_hh: bhh.as_deref() };
                let mut y = vec![0f32; t * bh];
                let mut saved = vec![0f32; rnn_saved_len(&g)];
                let mut scratch = vec![0f32; rnn_scratch_len(&g)];
                let (h0k, c0k) = (h0.as_ref().map(|v| &v[k * bh..(k + 1) * bh]), c0.as_ref().map(|v| &v[k * bh..(k + 1) * bh]));
                let cn = c_n.as_mut().map(|c| &mut c[k * bh..(k + 1) * bh]);
                rnn_forward(&g, &layer_in, &w, h0k, c0k, &mut y, &mut h_n[k * bh..(k + 1) * bh], cn, &mut saved, &mut scratch);
                for (dst, src) in out.chunks_exact_mut(d * h).zip(y.chunks_exact(h)) {
                    dst[dir * h..(dir + 1) * h].copy_from_slice(src);
                }
                if keep {
                    outs.push(y);
                    gates.push(saved);
                }
            }
            let mask = (self.training && self.opts.dropout > 0.0 && layer + 1 < self.opts.num_layers).then(|| {
                let mut mask = vec![0f32; out.len()];
                with_default_generator(|g| mask.iter_mut().for_each(|u| *u = g.uniform_f32()));
                let mut dropped = vec![0f32; out.len()];
                dropout_forward(self.opts.dropout, &out, &mut mask, &mut dropped);
                out = dropped;
                mask
            });
            if keep {
                inputs.push(std::mem::replace(&mut layer_in, out));
                masks.push(mask);
            } else {
                layer_in = out;
            }
        }
        let state_shape: Vec<usize> = if batched { vec![ld, b, h] } else { vec![ld, h] };
        let y = Self::to_layout(layer_in, t, b, &out_shape, self.batch_first(x.dim()));
        if let Some(ctx) = ctx {
            let x_shape = x.shape().to_vec();
            ctx.saved = Some(Saved { out_shape, x_shape, t, b, layer_inputs: inputs, outs, gates, masks, h0, c0 });
        }
        (y, Tensor::from_vec(h_n, &state_shape), c_n.map(|c| Tensor::from_vec(c, &state_shape)))
    }

    /// Backward through time and layers from the gradients of the output and of the final
    /// states (`None` = zeros); accumulates every parameter gradient.
    pub fn backward(&self, ctx: &mut RnnCtx, grad_out: Option<&Tensor>, grad_hn: Option<&Tensor>, grad_cn: Option<&Tensor>, need_input_grad: bool) -> RnnGrads {
        let name = mode_name(self.mode);
        let s = ctx.saved.take().unwrap_or_else(|| {
            panic!("{name}::backward: nothing saved; call forward_train first (and backward once per forward_train)")
        });
        let (t, b, d, h) = (s.t, s.b, self.opts.directions(), self.hidden);
        let (bh, batched) = (b * h, s.x_shape.len() == 3);
        let mut dy: Option<Vec<f32>> = grad_out.map(|g| {
            assert!(g.shape() == s.out_shape, "{name}::backward: the output had shape {:?}, got a gradient of shape {:?}", s.out_shape, g.shape());
            (if self.batch_first(g.dim()) { g.transpose(0, 1) } else { g.shallow_clone() }).contiguous().to_vec::<f32>()
        });
        let ghn = grad_hn.map(|g| self.state("grad of h_n", g, batched, b));
        let gcn = grad_cn.map(|g| self.state("grad of c_n", g, batched, b));
        let ld = self.opts.num_layers * d;
        let mut dh0 = s.h0.as_ref().map(|_| vec![0f32; ld * bh]);
        let mut dc0 = s.c0.as_ref().map(|_| vec![0f32; ld * bh]);
        for layer in (0..self.opts.num_layers).rev() {
            if let (Some(mask), Some(g)) = (&s.masks[layer], dy.as_mut()) {
                let before = g.clone();
                dropout_backward(mask, &before, g);
            }
            let x_in = &s.layer_inputs[layer];
            let need_dx = layer > 0 || need_input_grad;
            let mut dx_layer = need_dx.then(|| vec![0f32; x_in.len()]);
            for dir in 0..d {
                let k = layer * d + dir;
                let g = self.geom(layer, dir, t, b);
                let p = &self.params[k];
                let (wi, wh) = (f32s(&p.weight_ih), f32s(&p.weight_hh));
                let (bi, bhh) = (p.bias_ih.as_ref().map(f32s), p.bias_hh.as_ref().map(f32s));
                let w = RnnWeights { w_ih: &wi, w_hh: &wh, b_ih: bi.as_deref(), b_hh: bhh.as_deref() };
                let dy_dir: Option<Vec<f32>> = dy.as_ref().map(|g| g.chunks_exact(d * h).flat_map(|r| r[dir * h..(dir + 1) * h].iter().copied()).collect());
                let part = |v: &Option<Vec<f32>>| v.as_ref().map(|v| v[k * bh..(k + 1) * bh].to_vec());
                let (h0k, c0k, ghnk, gcnk) = (part(&s.h0), part(&s.c0), part(&ghn), part(&gcn));
                let mut dx = need_dx.then(|| vec![0f32; x_in.len()]);
                let mut scratch = vec![0f32; rnn_scratch_len(&g)];
                let dh0k = dh0.as_mut().map(|v| &mut v[k * bh..(k + 1) * bh]);
                let dc0k = dc0.as_mut().map(|v| &mut v[k * bh..(k + 1) * bh]);
                with_grad_slice(Some(&p.weight_ih), |gwi| {
                    with_grad_slice(Some(&p.weight_hh), |gwh| {
                        with_grad_slice(p.bias_ih.as_ref(), |gbi| {
                            with_grad_slice(p.bias_hh.as_ref(), |gbh| {
                                let grads = RnnWeightGrads { w_ih: gwi, w_hh: gwh, b_ih: gbi, b_hh: gbh };
                                rnn_backward(
                                    &g,
                                    x_in,
                                    &w,
                                    h0k.as_deref(),
                                    c0k.as_deref(),
                                    &s.outs[k],
                                    &s.gates[k],
                                    dy_dir.as_deref(),
                                    ghnk.as_deref(),
                                    gcnk.as_deref(),
                                    &mut scratch,
                                    dx.as_deref_mut(),
                                    dh0k,
                                    dc0k,
                                    grads,
                                )
                            })
                        })
                    })
                });
                if let (Some(acc), Some(dx)) = (dx_layer.as_mut(), dx) {
                    acc.iter_mut().zip(dx).for_each(|(a, v)| *a += v);
                }
            }
            dy = dx_layer;
        }
        let state_shape: Vec<usize> = if batched { vec![ld, b, h] } else { vec![ld, h] };
        RnnGrads {
            input: if need_input_grad { dy.map(|v| Self::to_layout(v, t, b, &s.x_shape, self.batch_first(s.x_shape.len()))) } else { None },
            h0: dh0.map(|v| Tensor::from_vec(v, &state_shape)),
            c0: dc0.map(|v| Tensor::from_vec(v, &state_shape)),
        }
    }
}
