//! The loss kernels (f32) against PyTorch, each with reduction none/mean/sum: the loss and the
//! input gradient for a fixed grad_out (tests/fixtures/gen_dense_fixtures.py); and the loss
//! modules' eager forwards on the same data.

use crate::dense_support;

use dense_support::{Fixture, close, fixture};
use fusenet::kernels::ops::loss::Reduction;
use fusenet::kernels::ops::loss::bce::*;
use fusenet::kernels::ops::loss::class::*;
use fusenet::kernels::ops::loss::regression::*;
use fusenet::nn::{BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss};
use fusenet::{Error, Tensor};

const TOL: f32 = 2e-6;
const REDS: [(Reduction, &str); 3] = [(Reduction::None, "none"), (Reduction::Mean, "mean"), (Reduction::Sum, "sum")];

fn grad_out(fx: &Fixture, red: Reduction, gy: &str) -> Vec<f32> {
    if red == Reduction::None { fx.f(gy) } else { vec![0.7] }
}

#[test]
fn regression_and_bce_losses_match_torch() {
    let fx = fixture("losses");
    let (xr, tr, p, tp, bw, pw) = (fx.f("xr"), fx.f("tr"), fx.f("p"), fx.f("tp"), fx.f("bw"), fx.f("pw"));
    let bw12: Vec<f32> = (0..12).map(|i| bw[i % 4]).collect(); // weight [4] broadcast over [3, 4]
    for (red, rs) in REDS {
        let gy = grad_out(&fx, red, "gy34");
        let n = red.out_len(12);
        let check = |name: &str, out: &[f32], dx: &[f32]| {
            close(&format!("{name}_{rs}_out"), out, &fx.f(&format!("{name}_{rs}_out")), TOL);
            close(&format!("{name}_{rs}_dx"), dx, &fx.f(&format!("{name}_{rs}_dx")), TOL);
        };
        let (mut out, mut dx) = (vec![0.0; n], vec![0.0; 12]);
        mse_forward(red, &xr, &tr, &mut out);
        mse_backward(red, &xr, &tr, &gy, Some(&mut dx), None);
        check("mse", &out, &dx);
        l1_forward(red, &xr, &tr, &mut out);
        l1_backward(red, &xr, &tr, &gy, Some(&mut dx), None);
        check("l1", &out, &dx);
        for (name, w) in [("bce", None), ("bce_w", Some(&bw12[..]))] {
            bce_forward(red, &p, &tp, w, &mut out).unwrap();
            bce_backward(red, &p, &tp, w, &gy, &mut dx);
            check(name, &out, &dx);
        }
        for (name, w, pos) in [("bcel", None, None), ("bcel_wp", Some(&bw12[..]), Some(&pw[..]))] {
            bce_with_logits_forward(red, &xr, &tp, w, pos, &mut out);
            bce_with_logits_backward(red, &xr, &tp, w, pos, &gy, &mut dx);
            check(name, &out, &dx);
        }
    }
}

#[test]
fn class_losses_match_torch_with_weight_ignore_index_and_label_smoothing() {
    let fx = fixture("losses");
    let (logits, t, w) = (fx.f("logits"), fx.i("ce_t"), fx.f("ce_w"));
    let (logits3, t3) = (fx.f("logits3"), fx.i("ce_t3"));
    let g = ClassGeom { n: 5, c: 4, d: 1 };
    let g3 = ClassGeom { n: 2, c: 4, d: 3 };
    for (red, rs) in REDS {
        let cases: [(&str, &ClassGeom, &[f32], &[i64], Option<&[f32]>, f64, &str); 6] = [
            ("ce", &g, &logits, &t, None, 0.0, "gy5"),
            ("ce_w", &g, &logits, &t, Some(&w), 0.0, "gy5"),
            ("ce_ls", &g, &logits, &t, None, 0.15, "gy5"),
            ("ce_wls", &g, &logits, &t, Some(&w), 0.15, "gy5"),
            ("ce3", &g3, &logits3, &t3, Some(&w), 0.1, "gy23"),
            ("nll", &g, &logits, &t, Some(&w), 0.0, "gy5"),
        ];
        for (name, g, x, t, w, eps, gyk) in cases {
            let opts = ClassLoss { reduction: red, ignore_index: -100, label_smoothing: eps };
            let gy = grad_out(&fx, red, gyk);
            let (mut lp, mut out, mut dx) = (vec![0.0; x.len()], vec![0.0; red.out_len(t.len())], vec![0.0; x.len()]);
            cross_entropy_forward(g, &opts, x, t, w, &mut lp, &mut out).unwrap();
            cross_entropy_backward(g, &opts, &lp, t, w, &gy, &mut dx).unwrap();
            close(&format!("{name}_{rs}_out"), &out, &fx.f(&format!("{name}_{rs}_out")), TOL);
            close(&format!("{name}_{rs}_dx"), &dx, &fx.f(&format!("{name}_{rs}_dx")), TOL);
        }
        // NLL on log-probabilities directly.
        let opts = ClassLoss { reduction: red, ignore_index: -100, label_smoothing: 0.0 };
        let (lp, gy) = (fx.f("nll_lp"), grad_out(&fx, red, "gy5"));
        let (mut out, mut dx) = (vec![0.0; red.out_len(5)], vec![0.0; 20]);
        nll_forward(&g, &opts, &lp, &t, Some(&w), &mut out).unwrap();
        nll_backward(&g, &opts, &t, Some(&w), &gy, &mut dx).unwrap();
        close(&format!("nll_lp_{rs}_out"), &out, &fx.f(&format!("nll_lp_{rs}_out")), TOL);
        close(&format!("nll_lp_{rs}_dx"), &dx, &fx.f(&format!("nll_lp_{rs}_dx")), TOL);
    }
}

#[test]
fn loss_modules_match_torch() {
    let fx = fixture("losses");
    for (red, rs) in REDS {
        let want = |k: &str| fx.f(&format!("{k}_{rs}_out"));
        let got = MSELoss::with_reduction(red).forward(&fx.t("xr"), &fx.t("tr"));
        assert_eq!(got.shape(), if red == Reduction::None { &[3usize, 4][..] } else { &[] });
        close("MSELoss", &got.to_vec::<f32>(), &want("mse"), TOL);
        close("L1Loss", &L1Loss::with_reduction(red).forward(&fx.t("xr"), &fx.t("tr")).to_vec::<f32>(), &want("l1"), TOL);
        let bce = BCELoss::with_options(Some(fx.t("bw")), red).forward(&fx.t("p"), &fx.t("tp")).unwrap();
        close("BCELoss", &bce.to_vec::<f32>(), &want("bce_w"), TOL);
        let bcel = BCEWithLogitsLoss::with_options(Some(fx.t("bw")), Some(fx.t("pw")), red).forward(&fx.t("xr"), &fx.t("tp"));
        close("BCEWithLogitsLoss", &bcel.to_vec::<f32>(), &want("bcel_wp"), TOL);
        let ce = CrossEntropyLoss::with_options(Some(fx.t("ce_w")), -100, red, 0.15).forward(&fx.t("logits"), &fx.t("ce_t")).unwrap();
        close("CrossEntropyLoss", &ce.to_vec::<f32>(), &want("ce_wls"), TOL);
        let ce3 = CrossEntropyLoss::with_options(Some(fx.t("ce_w")), -100, red, 0.1).forward(&fx.t("logits3"), &fx.t("ce_t3")).unwrap();
        assert_eq!(ce3.shape(), if red == Reduction::None { &[2usize, 3][..] } else { &[] });
        close("CrossEntropyLoss 3d", &ce3.to_vec::<f32>(), &want("ce3"), TOL);
        let nll = NLLLoss::with_options(Some(fx.t("ce_w")), -100, red).forward(&fx.t("nll_lp"), &fx.t("ce_t")).unwrap();
        close("NLLLoss", &nll.to_vec::<f32>(), &want("nll_lp"), TOL);
    }
}

#[test]
fn data_errors_are_runtime_errors() {
    let logits = Tensor::zeros(&[2, 3]);
    let err = CrossEntropyLoss::new().forward(&logits, &Tensor::from_vec(vec![1i64, 3], &[2])).unwrap_err();
    assert!(matches!(err, Error::Kernel(_)));
    assert_eq!(err.to_string(), "Target 3 is out of bounds: expected a class index in [0, 3) (or the ignore_index)");
    let err = NLLLoss::new().forward(&logits, &Tensor::from_vec(vec![-1i64, 0], &[2])).unwrap_err();
    assert!(err.to_string().contains("Target -1 is out of bounds"), "{err}");
    let err = BCELoss::new().forward(&Tensor::from_vec(vec![1.5f32], &[1]), &Tensor::ones(&[1])).unwrap_err();
    assert!(err.to_string().contains("between 0 and 1"), "{err}");
}

#[test]
#[should_panic(expected = "MSELoss: target size ([3]) must be the same as input size ([2])")]
fn shape_mismatch_panics_naming_both_shapes() {
    MSELoss::new().forward(&Tensor::zeros(&[2]), &Tensor::zeros(&[3]));
}

#[test]
#[should_panic(expected = "expected input [N, C, d1, ...] (or [C]) and target [N, d1, ...] (or []), got input [2, 3] and target [3]")]
fn class_loss_shape_mismatch_panics() {
    let _ = CrossEntropyLoss::new().forward(&Tensor::zeros(&[2, 3]), &Tensor::from_vec(vec![0i64, 1, 2], &[3]));
}

/// `CrossEntropyLoss::forward_backward` returns `forward`'s value and its gradient: checked by
/// central differences of `forward`, with class weights and label smoothing.
#[test]
fn cross_entropy_forward_backward_matches_finite_differences() {
    fusenet::manual_seed(3);
    let x = Tensor::randn(&[4, 5]);
    let t = fusenet::tensor![1, 0, 4, 2];
    let loss = CrossEntropyLoss::with_options(Some(Tensor::rand(&[5])), -100, Reduction::Mean, 0.1);
    let (value, grad) = loss.forward_backward(&x, &t).unwrap();
    assert_eq!(value.item(), loss.forward(&x, &t).unwrap().item());
    let (g, h) = (grad.to_vec::<f32>(), 1e-2f32);
    for i in 0..x.numel() {
        let at = |d: f32| {
            let xp = x.clone();
            xp.set([i / 5, i % 5], x.get([i / 5, i % 5]) + d);
            loss.forward(&xp, &t).unwrap().item()
        };
        let numeric = (at(h) - at(-h)) / (2.0 * h);
        assert!((numeric - g[i]).abs() < 2e-3, "element {i}: numeric {numeric}, backward {}", g[i]);
    }
}
