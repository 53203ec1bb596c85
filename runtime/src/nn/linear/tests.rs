use super::*;
use crate::module::Module;
use crate::rng::manual_seed;

// torch.manual_seed(0); l = nn.Linear(4, 8); l.weight.flatten()[:3], l.bias[:3]
#[test]
fn seeded_init_equals_torch() {
    manual_seed(0);
    let l = Linear::<4, 8>::new();
    let w = l.weight.value().to_vec::<f32>();
    let b = l.bias.as_ref().map(|b| b.value().to_vec::<f32>()).unwrap_or_default();
    assert_eq!(w[..3], [-0.003743410110473633f32, 0.26822179555892944, -0.4115225672721863]);
    assert_eq!(b[..3], [-0.32408982515335083f32, -0.23016643524169922, -0.3493202328681946]);
}

// torch.manual_seed(0); l = nn.Linear(20, 256); l.weight.flatten()[-2:], l.bias[-2:]
#[test]
fn seeded_init_equals_torch_large() {
    manual_seed(0);
    let l = Linear::<20, 256>::new();
    let w = l.weight.value().to_vec::<f32>();
    let b = l.bias.as_ref().map(|b| b.value().to_vec::<f32>()).unwrap_or_default();
    assert_eq!(w[w.len() - 2..], [0.11379417777061462f32, 0.02338099665939808]);
    assert_eq!(b[b.len() - 2..], [0.19319655001163483f32, 0.11747867614030838]);
}

#[test]
fn repr_keys_and_features() {
    let l = Linear::<3, 2>::no_bias();
    assert_eq!(l.to_string(), "Linear(in_features=3, out_features=2, bias=False)");
    assert_eq!(l.state_dict_keys(), ["weight"]);
    assert_eq!((l.in_features(), l.out_features()), (3, 2));
    assert!(l.as_linear().is_some_and(|a| a.bias().is_none() && a.in_features() == 3));
}

#[test]
fn forward_is_x_wt_plus_b() {
    let l = Linear::<3, 2>::from_tensors(
        Tensor::from_vec(vec![1.0f32, 2.0, 3.0, -1.0, 0.0, 1.0], &[2, 3]),
        Some(Tensor::from_vec(vec![0.5f32, -0.5], &[2])),
    );
    let x = Tensor::from_vec(vec![1.0f32, 1.0, 1.0, 0.0, 1.0, 2.0], &[2, 3]);
    assert_eq!(l.forward(&x).to_vec::<f32>(), [6.5, -0.5, 8.5, 1.5]);
    let nb = Linear::<3, 2>::from_tensors(l.weight.value().clone(), None);
    assert_eq!(nb.forward(&x).to_vec::<f32>(), [6.0, 0.0, 8.0, 2.0]);
}

#[test]
#[should_panic(expected = "input [2, 4], weight [2, 3]")]
fn forward_wrong_width_names_both_shapes() {
    Linear::<3, 2>::new().forward(&Tensor::zeros(&[2, 4]));
}

#[test]
fn share_ties_parameters() {
    let a = Linear::<2, 2>::new();
    let b = a.share();
    assert!(a.weight.same_as(&b.weight));
    crate::init::constant_(&b.weight, 3.0);
    assert_eq!(a.weight.value().to_vec::<f32>(), [3.0; 4]);
}
