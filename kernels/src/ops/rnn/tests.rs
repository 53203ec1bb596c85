use super::*;
use crate::ops::gradcheck::{check, dot, fill};

struct Out {
    y: Vec<f64>,
    h_n: Vec<f64>,
    c_n: Vec<f64>,
    saved: Vec<f64>,
}

struct Case {
    g: RnnGeom,
    x: Vec<f64>,
    w_ih: Vec<f64>,
    w_hh: Vec<f64>,
    b_ih: Vec<f64>,
    b_hh: Vec<f64>,
    h0: Vec<f64>,
    c0: Vec<f64>,
    bias: bool,
    init: bool,
}

impl Case {
    fn new(mode: RnnMode, reverse: bool, bias: bool, init: bool) -> Case {
        let g = RnnGeom { mode, seq: 3, batch: 2, input: 3, hidden: 2, reverse };
        let gh = g.gate_rows();
        Case {
            g,
            x: fill(g.seq * g.batch * g.input, 1, -1.0, 1.0),
            w_ih: fill(gh * g.input, 2, -0.8, 0.8),
            w_hh: fill(gh * g.hidden, 3, -0.8, 0.8),
            b_ih: fill(gh, 4, -0.5, 0.5),
            b_hh: fill(gh, 5, -0.5, 0.5),
            h0: fill(g.batch * g.hidden, 6, -1.0, 1.0),
            c0: fill(g.batch * g.hidden, 7, -1.0, 1.0),
            bias,
            init,
        }
    }

    fn weights<'a>(&self, w_ih: &'a [f64], w_hh: &'a [f64], b_ih: &'a [f64], b_hh: &'a [f64]) -> RnnWeights<'a, f64> {
        RnnWeights { w_ih, w_hh, b_ih: self.bias.then_some(b_ih), b_hh: self.bias.then_some(b_hh) }
    }

    fn lstm(&self) -> bool {
        self.g.mode == RnnMode::Lstm
    }

    #[allow(clippy::too_many_arguments)]
    fn run(&self, x: &[f64], w_ih: &[f64], w_hh: &[f64], b_ih: &[f64], b_hh: &[f64], h0: &[f64], c0: &[f64]) -> Out {
        let g = &self.g;
        let bh = g.batch * g.hidden;
        let mut o = Out { y: vec![f64::NAN; g.seq * bh], h_n: vec![f64::NAN; bh], c_n: vec![f64::NAN; bh], saved: vec![f64::NAN; rnn_saved_len(g)] };
        let mut scratch = vec![f64::NAN; rnn_scratch_len(g)];
        let (h0, c0) = (self.init.then_some(h0), (self.init && self.lstm()).then_some(c0));
        let c_n = self.lstm().then_some(&mut o.c_n[..]);
        rnn_forward(g, x, &self.weights(w_ih, w_hh, b_ih, b_hh), h0, c0, &mut o.y, &mut o.h_n, c_n, &mut o.saved, &mut scratch);
        o
    }
}

#[test]
fn backward_through_time_matches_finite_differences() {
    for mode in [RnnMode::Tanh, RnnMode::Relu, RnnMode::Lstm, RnnMode::Gru] {
        for (reverse, bias, init) in [(false, true, true), (true, true, true), (false, false, false), (true, true, false)] {
            let c = Case::new(mode, reverse, bias, init);
            let g = c.g;
            let bh = g.batch * g.hidden;
            let (gy, ghn, gcn) = (fill(g.seq * bh, 8, -1.0, 1.0), fill(bh, 9, -1.0, 1.0), fill(bh, 10, -1.0, 1.0));
            let loss = |o: &Out| dot(&gy, &o.y) + dot(&ghn, &o.h_n) + if c.lstm() { dot(&gcn, &o.c_n) } else { 0.0 };
            let out = c.run(&c.x, &c.w_ih, &c.w_hh, &c.b_ih, &c.b_hh, &c.h0, &c.c0);
            let mut scratch = vec![f64::NAN; rnn_scratch_len(&g)];
            let mut dx = vec![f64::NAN; c.x.len()];
            let (mut dh0, mut dc0) = (vec![f64::NAN; bh], vec![f64::NAN; bh]);
            let (mut dwi, mut dwh, mut dbi, mut dbh) = (vec![0.25; c.w_ih.len()], vec![0.25; c.w_hh.len()], vec![0.25; g.gate_rows()], vec![0.25; g.gate_rows()]);
            let grads = RnnWeightGrads { w_ih: Some(&mut dwi), w_hh: Some(&mut dwh), b_ih: Some(&mut dbi), b_hh: Some(&mut dbh) };
            let (h0, c0) = (c.init.then_some(&c.h0[..]), (c.init && c.lstm()).then_some(&c.c0[..]));
            rnn_backward(
                &g,
                &c.x,
                &c.weights(&c.w_ih, &c.w_hh, &c.b_ih, &c.b_hh),
                h0,
                c0,
                &out.y,
                &out.saved,
                Some(&gy),
                Some(&ghn),
                c.lstm().then_some(&gcn[..]),
                &mut scratch,
                Some(&mut dx),
                Some(&mut dh0),
                c.lstm().then_some(&mut dc0[..]),
                grads,
            );
            for v in dwi.iter_mut().chain(&mut dwh).chain(&mut dbi).chain(&mut dbh) {
                *v -= 0.25; // accumulated onto 0.25
            }
            let name = format!("{mode:?} reverse={reverse} bias={bias} h0={init}");
            check(&format!("{name} dx"), &c.x, &dx, |x| loss(&c.run(x, &c.w_ih, &c.w_hh, &c.b_ih, &c.b_hh, &c.h0, &c.c0)));
            check(&format!("{name} dW_ih"), &c.w_ih, &dwi, |w| loss(&c.run(&c.x, w, &c.w_hh, &c.b_ih, &c.b_hh, &c.h0, &c.c0)));
            check(&format!("{name} dW_hh"), &c.w_hh, &dwh, |w| loss(&c.run(&c.x, &c.w_ih, w, &c.b_ih, &c.b_hh, &c.h0, &c.c0)));
            if bias {
                check(&format!("{name} db_ih"), &c.b_ih, &dbi, |b| loss(&c.run(&c.x, &c.w_ih, &c.w_hh, b, &c.b_hh, &c.h0, &c.c0)));
                check(&format!("{name} db_hh"), &c.b_hh, &dbh, |b| loss(&c.run(&c.x, &c.w_ih, &c.w_hh, &c.b_ih, b, &c.h0, &c.c0)));
            }
            if init {
                check(&format!("{name} dh0"), &c.h0, &dh0, |h| loss(&c.run(&c.x, &c.w_ih, &c.w_hh, &c.b_ih, &c.b_hh, h, &c.c0)));
            } else {
                // With no h0 the gradient that would flow into it is still reported.
                let h0z = vec![0.0; bh];
                let with = Case { init: true, h0: h0z.clone(), c0: h0z.clone(), ..Case::new(mode, reverse, bias, true) };
                check(&format!("{name} dh0 at zeros"), &h0z, &dh0, |h| loss(&with.run(&c.x, &c.w_ih, &c.w_hh, &c.b_ih, &c.b_hh, h, &h0z)));
            }
            if c.lstm() && init {
                check(&format!("{name} dc0"), &c.c0, &dc0, |cc| loss(&c.run(&c.x, &c.w_ih, &c.w_hh, &c.b_ih, &c.b_hh, &c.h0, cc)));
            }
        }
    }
}

#[test]
fn lstm_and_gru_single_steps_match_the_formulas() {
    // One step, one unit, one input: the cell formulas written out.
    let (x, h0, c0) = (0.7f64, -0.3f64, 0.4f64);
    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
    let w_ih = [0.1, 0.2, 0.3, 0.4];
    let w_hh = [-0.5, 0.6, -0.7, 0.8];
    let b = [0.05, -0.05, 0.1, -0.1];
    let g = RnnGeom { mode: RnnMode::Lstm, seq: 1, batch: 1, input: 1, hidden: 1, reverse: false };
    let (mut y, mut hn, mut cn, mut saved) = ([0.0], [0.0], [0.0], vec![0.0; rnn_saved_len(&g)]);
    let w = RnnWeights { w_ih: &w_ih, w_hh: &w_hh, b_ih: Some(&b), b_hh: None };
    rnn_forward(&g, &[x], &w, Some(&[h0]), Some(&[c0]), &mut y, &mut hn, Some(&mut cn), &mut saved, &mut vec![0.0; rnn_scratch_len(&g)]);
    let a: Vec<f64> = (0..4).map(|k| w_ih[k] * x + w_hh[k] * h0 + b[k]).collect();
    let c = sig(a[1]) * c0 + sig(a[0]) * a[2].tanh();
    assert!((cn[0] - c).abs() < 1e-15);
    assert!((y[0] - sig(a[3]) * c.tanh()).abs() < 1e-15);
    let g = RnnGeom { mode: RnnMode::Gru, ..g };
    let (bi, bh) = ([0.1, 0.2, 0.3], [-0.1, 0.4, -0.2]);
    let w = RnnWeights { w_ih: &w_ih[..3], w_hh: &w_hh[..3], b_ih: Some(&bi), b_hh: Some(&bh) };
    let mut saved = vec![0.0; rnn_saved_len(&g)];
    rnn_forward(&g, &[x], &w, Some(&[h0]), None, &mut y, &mut hn, None, &mut saved, &mut vec![0.0; rnn_scratch_len(&g)]);
    let r = sig(w_ih[0] * x + bi[0] + w_hh[0] * h0 + bh[0]);
    let z = sig(w_ih[1] * x + bi[1] + w_hh[1] * h0 + bh[1]);
    let n = (w_ih[2] * x + bi[2] + r * (w_hh[2] * h0 + bh[2])).tanh();
    assert!((y[0] - ((1.0 - z) * n + z * h0)).abs() < 1e-15);
}

#[test]
#[should_panic(expected = "rnn_forward: weight_hh has 6 elements, expected [8, 2]")]
fn wrong_weight_shape_panics() {
    let g = RnnGeom { mode: RnnMode::Lstm, seq: 1, batch: 1, input: 1, hidden: 2, reverse: false };
    let w = RnnWeights { w_ih: &[0.0f32; 8], w_hh: &[0.0; 6], b_ih: None, b_hh: None };
    rnn_forward(&g, &[0.0], &w, None, None, &mut [0.0; 2], &mut [0.0; 2], None, &mut [0.0; 10], &mut [0.0; 100]);
}
