//! The eager dense layers: PyTorch's names, state-dict keys, shapes, reprs, seeded init, train/eval
//! behaviour, values against the fixtures of tests/fixtures/gen_dense_fixtures.py, and errors.

use crate::dense_support;

use dense_support::{close, fixture};
use fusenet::nn::*;
use fusenet::{Error, Module, Tensor, manual_seed};

fn keys(m: &dyn Module) -> Vec<String> {
    m.state_dict_keys()
}

fn set(t: &Tensor, v: &[f32]) {
    t.with_slice_mut::<f32, _>(|s| s.copy_from_slice(v));
}

#[test]
fn batch_norm_layers_match_torch_in_train_and_eval() {
    let fx = fixture("batchnorm");
    // BatchNorm1d(3) on [6, 3] with momentum 0.1.
    let mut bn = BatchNorm1d::<3>::new();
    set(&bn.weight.as_ref().unwrap().value(), &fx.f("bn1d_w"));
    set(&bn.bias.as_ref().unwrap().value(), &fx.f("bn1d_b"));
    set(&bn.running_mean.as_ref().unwrap().value(), &fx.f("bn1d_rm0"));
    set(&bn.running_var.as_ref().unwrap().value(), &fx.f("bn1d_rv0"));
    let y = bn.forward(&fx.t("bn1d_x"));
    close("bn1d y", &y.to_vec::<f32>(), &fx.f("bn1d_y"), 2e-6);
    close("bn1d rm", &bn.running_mean.as_ref().unwrap().value().to_vec::<f32>(), &fx.f("bn1d_rm"), 2e-6);
    close("bn1d rv", &bn.running_var.as_ref().unwrap().value().to_vec::<f32>(), &fx.f("bn1d_rv"), 2e-6);
    assert_eq!(bn.num_batches_tracked.as_ref().unwrap().value().to_vec::<i64>(), [1]);
    bn.eval();
    assert!(!bn.is_training());
    close("bn1d eval y", &bn.forward(&fx.t("bn1d_x")).to_vec::<f32>(), &fx.f("bn1d_ey"), 2e-6);
    assert_eq!(bn.num_batches_tracked.as_ref().unwrap().value().to_vec::<i64>(), [1], "eval does not count");

    // BatchNorm2d(2, momentum=None) after two batches: the cumulative average uses 1/3.
    let bn2 = BatchNorm2d::<2>::with_options(BatchNormOptions { momentum: None, ..Default::default() });
    let mut sd = fusenet::StateDict::new();
    for (k, f) in [("weight", "w"), ("bias", "b"), ("running_mean", "rm0"), ("running_var", "rv0")] {
        sd.insert(k, fx.t(&format!("bn2d_cum_{f}")));
    }
    sd.insert("num_batches_tracked", Tensor::from_vec(vec![2i64], &[]));
    let mut bn2 = bn2;
    bn2.load_state_dict(&sd).unwrap();
    let y = bn2.forward(&fx.t("bn2d_cum_x"));
    close("bn2d_cum y", &y.to_vec::<f32>(), &fx.f("bn2d_cum_y"), 2e-6);
    close("bn2d_cum rm", &bn2.running_mean.as_ref().unwrap().value().to_vec::<f32>(), &fx.f("bn2d_cum_rm"), 2e-6);
    close("bn2d_cum rv", &bn2.running_var.as_ref().unwrap().value().to_vec::<f32>(), &fx.f("bn2d_cum_rv"), 2e-6);
    assert_eq!(bn2.num_batches_tracked.as_ref().unwrap().value().to_vec::<i64>(), fx.i("bn2d_cum_nbt"));
    assert_eq!(bn2.to_string(), "BatchNorm2d(2, eps=1e-05, momentum=None, affine=True, bias=True, track_running_stats=True)");
}

#[test]
fn batch_norm_flags_keys_and_reprs() {
    let bn = BatchNorm1d::<4>::new();
    assert_eq!(keys(&bn), ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    assert_eq!(bn.weight.as_ref().unwrap().value().to_vec::<f32>(), [1.0; 4]);
    assert_eq!(bn.running_var.as_ref().unwrap().value().to_vec::<f32>(), [1.0; 4]);
    assert_eq!(bn.num_batches_tracked.as_ref().unwrap().shape(), &[] as &[usize]);
    let bare = BatchNorm1d::<4>::with_options(BatchNormOptions { affine: false, track_running_stats: false, momentum: None, ..Default::default() });
    // nn.BatchNorm1d(4, momentum=None, affine=False, track_running_stats=False)
    assert_eq!(bare.to_string(), "BatchNorm1d(4, eps=1e-05, momentum=None, affine=False, bias=False, track_running_stats=False)");
    assert!(keys(&bare).is_empty());
    // Without running stats, eval mode still normalises with the batch statistics.
    let mut bare = bare;
    bare.eval();
    let y = bare.forward(&Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0], &[2, 4]));
    assert!((y.to_vec::<f32>()[0] + 1.0).abs() < 1e-4);
    // nn.BatchNorm1d(3, eps=0.001, momentum=0.01)
    let bn = BatchNorm1d::<3>::with_options(BatchNormOptions { eps: 1e-3, momentum: Some(0.01), ..Default::default() });
    assert_eq!(bn.to_string(), "BatchNorm1d(3, eps=0.001, momentum=0.01, affine=True, bias=True, track_running_stats=True)");
}

#[test]
#[should_panic(expected = "BatchNorm2d: expected 4D input (got 2D input of shape [2, 6])")]
fn batch_norm_2d_rejects_2d_input() {
    BatchNorm2d::<6>::new().forward(&Tensor::zeros(&[2, 6]));
}

#[test]
#[should_panic(expected = "BatchNorm1d: expected input with 3 channels (dim 1), but got input of shape [2, 4]")]
fn batch_norm_rejects_wrong_channels() {
    BatchNorm1d::<3>::new().forward(&Tensor::zeros(&[2, 4]));
}

#[test]
fn layer_norm_matches_torch() {
    let fx = fixture("layernorm");
    let ln = LayerNorm::new(&[2, 5]);
    assert_eq!(keys(&ln), ["weight", "bias"]);
    assert_eq!(ln.to_string(), "LayerNorm((2, 5), eps=1e-05, elementwise_affine=True, bias=True)");
    set(&ln.weight.as_ref().unwrap().value(), &fx.f("w"));
    set(&ln.bias.as_ref().unwrap().value(), &fx.f("b"));
    let y = ln.forward(&fx.t("x"));
    assert_eq!(y.shape(), &[3, 2, 5]);
    close("layer_norm y", &y.to_vec::<f32>(), &fx.f("y"), 2e-6);
    let plain = LayerNorm::with_options(&[5], 1e-6, false, true);
    assert_eq!(plain.to_string(), "LayerNorm((5,), eps=1e-06, elementwise_affine=False, bias=False)");
    assert!(keys(&plain).is_empty());
    assert_eq!(LayerNorm::with_options(&[3, 4], 1e-5, true, false).to_string(), "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=False)");
}

#[test]
#[should_panic(expected = "Given normalized_shape=[10], expected input with shape [*, 10], but got input of size[2, 5]")]
fn layer_norm_shape_mismatch_panics() {
    LayerNorm::new(&[10]).forward(&Tensor::zeros(&[2, 5]));
}

#[test]
fn embedding_seeded_init_padding_and_errors() {
    let fx = fixture("init");
    manual_seed(0);
    let emb = Embedding::<10, 3>::new();
    assert_eq!(emb.weight.value().to_vec::<f32>(), fx.f("emb"), "torch.manual_seed(0); nn.Embedding(10, 3)");
    manual_seed(1);
    let pad = Embedding::<6, 4>::with_padding_idx(2);
    assert_eq!(pad.weight.value().to_vec::<f32>(), fx.f("emb_pad"), "torch.manual_seed(1); nn.Embedding(6, 4, padding_idx=2)");
    assert_eq!(pad.to_string(), "Embedding(6, 4, padding_idx=2)");
    assert_eq!(Embedding::<10, 3>::with_padding_idx(-1).padding_idx, Some(9));
    assert_eq!(emb.to_string(), "Embedding(10, 3)");
    assert_eq!(keys(&emb), ["weight"]);

    let fx = fixture("embedding");
    set(&emb.weight.value(), &fx.f("weight"));
    let out = emb.forward(&fx.t("idx")).unwrap();
    assert_eq!(out.shape(), &[2, 4, 3]);
    assert_eq!(out.to_vec::<f32>(), fx.f("out"));
    let err = emb.forward(&Tensor::from_vec(vec![3i64, 10], &[2])).unwrap_err();
    assert!(matches!(err, Error::Kernel(_)));
    assert!(err.to_string().contains("index 10 is not in [0, 10)"), "{err}");
    assert!(emb.forward(&Tensor::from_vec(vec![-1i64], &[1])).is_err());
}

#[test]
fn dropout_train_eval_and_repr() {
    let mut d = Dropout::new(0.25);
    assert_eq!(d.to_string(), "Dropout(p=0.25, inplace=False)");
    assert_eq!(Dropout::default().to_string(), "Dropout(p=0.5, inplace=False)");
    assert!(d.is_training());
    manual_seed(3);
    let y = d.forward(&Tensor::ones(&[20000])).to_vec::<f32>();
    let kept = y.iter().filter(|&&v| v != 0.0).count() as f64 / y.len() as f64;
    assert!((kept - 0.75).abs() < 0.02, "{kept}");
    assert!(y.iter().all(|&v| v == 0.0 || (v - 4.0 / 3.0).abs() < 1e-6));
    // Same seed, same mask.
    manual_seed(3);
    assert_eq!(d.forward(&Tensor::ones(&[20000])).to_vec::<f32>(), y);
    d.eval();
    assert!(!d.is_training());
    let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    assert!(d.forward(&x).shares_storage(&x), "eval is the identity");
    assert_eq!(Dropout::new(0.0).forward(&x).to_vec::<f32>(), [1.0, 2.0]);
    assert_eq!(Dropout::new(1.0).forward(&x).to_vec::<f32>(), [0.0, 0.0]);
}

#[test]
#[should_panic(expected = "dropout probability has to be between 0 and 1, but got -0.1")]
fn dropout_bad_p_panics() {
    Dropout::new(-0.1);
}

#[test]
fn activation_modules_reprs_and_values() {
    // repr(nn.LeakyReLU()), repr(nn.GELU()), ... in torch 2.15
    assert_eq!(LeakyReLU::default().to_string(), "LeakyReLU(negative_slope=0.01)");
    assert_eq!(LeakyReLU::new(0.2).to_string(), "LeakyReLU(negative_slope=0.2)");
    assert_eq!(GELU::new().to_string(), "GELU(approximate='none')");
    assert_eq!(GELU::tanh().to_string(), "GELU(approximate='tanh')");
    assert_eq!(ELU::default().to_string(), "ELU(alpha=1.0)");
    assert_eq!(ELU::new(0.5).to_string(), "ELU(alpha=0.5)");
    assert_eq!(SiLU.to_string(), "SiLU()");
    assert_eq!(Softmax::new(1).to_string(), "Softmax(dim=1)");
    assert_eq!(LogSoftmax::new(-1).to_string(), "LogSoftmax(dim=-1)");
    assert!(keys(&GELU::new()).is_empty());

    let fx = fixture("activations");
    let x = fx.t("x");
    let cases: [(&str, Tensor); 4] = [
        ("leaky_relu", LeakyReLU::new(0.2).forward(&x)),
        ("gelu", GELU::new().forward(&x)),
        ("elu", ELU::new(0.7).forward(&x)),
        ("silu", SiLU.forward(&x)),
    ];
    for (name, y) in cases {
        close(name, &y.to_vec::<f32>(), &fx.f(&format!("y_{name}")), 2e-6);
    }
    let fx = fixture("softmax");
    close("Softmax(1)", &Softmax::new(1).forward(&fx.t("x")).to_vec::<f32>(), &fx.f("softmax_y_1"), 2e-6);
    close("LogSoftmax(-1)", &LogSoftmax::new(-1).forward(&fx.t("x")).to_vec::<f32>(), &fx.f("log_softmax_y_2"), 2e-6);
    // A non-contiguous input is made contiguous first.
    let xt = fx.t("x").transpose(0, 2);
    let want = fx.t("softmax_y_2").transpose(0, 2).contiguous().to_vec::<f32>();
    close("Softmax(0) of a view", &Softmax::new(0).forward(&xt).to_vec::<f32>(), &want, 2e-6);
}

#[test]
#[should_panic(expected = "Dimension out of range (expected to be in range of [-2, 1], but got 2)")]
fn softmax_bad_dim_panics() {
    Softmax::new(2).forward(&Tensor::zeros(&[2, 3]));
}

#[test]
fn loss_modules_keys_and_reprs() {
    let ce = CrossEntropyLoss::with_options(Some(Tensor::ones(&[3])), -100, Reduction::Mean, 0.1);
    // list(nn.CrossEntropyLoss(weight=torch.ones(3)).state_dict()) == ['weight']
    assert_eq!(keys(&ce), ["weight"]);
    assert_eq!(ce.to_string(), "CrossEntropyLoss()");
    assert!(keys(&CrossEntropyLoss::new()).is_empty());
    let b = BCEWithLogitsLoss::with_options(None, Some(Tensor::ones(&[3])), Reduction::Sum);
    assert_eq!(keys(&b), ["pos_weight"]);
    assert_eq!(MSELoss::new().to_string(), "MSELoss()");
    assert_eq!(NLLLoss::new().to_string(), "NLLLoss()");
    assert_eq!(L1Loss::new().reduction, Reduction::Mean);
    // An unbatched input [C] with a 0-d target.
    let l = CrossEntropyLoss::new().forward(&Tensor::from_vec(vec![0.0f32, 0.0], &[2]), &Tensor::from_vec(vec![1i64], &[])).unwrap();
    assert!((l.item() - 2f32.ln()).abs() < 1e-6);
}
