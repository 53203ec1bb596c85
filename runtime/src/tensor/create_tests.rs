//! Tests; operands are borrowed on purpose (the `&Tensor` forms are what they test).
#![allow(clippy::needless_borrows_for_generic_args, clippy::excessive_precision)]

use crate::rng::{Generator, manual_seed};
use crate::tensor::{DType, Tensor};

#[test]
fn constant_creators() {
    assert_eq!(Tensor::zeros(&[2, 3]).to_vec::<f32>(), [0.0; 6]);
    assert_eq!(Tensor::ones(&[2]).to_vec::<f32>(), [1.0; 2]);
    assert_eq!(Tensor::empty(&[0, 4]).numel(), 0);
    assert_eq!(Tensor::full_dtype(&[2], true, DType::Bool).to_vec::<bool>(), [true, true]);
    assert_eq!(Tensor::full_dtype(&[1], 2.9, DType::I64).to_vec::<i64>(), [2]);
    let i = Tensor::arange_i64(3);
    assert_eq!(Tensor::zeros_like(&i).to_vec::<i64>(), [0, 0, 0]);
    assert_eq!(Tensor::ones_like(&i).dtype(), DType::I64);
    assert_eq!(Tensor::full_like(&Tensor::zeros(&[2]), 4).to_vec::<f32>(), [4.0, 4.0]);
    let s = Tensor::scalar(2.5);
    assert_eq!((s.shape(), s.item()), (&[] as &[usize], 2.5));
    assert_eq!(Tensor::from_scalar(7i64).item_i64(), 7);
    assert_eq!(Tensor::from_slice(&[1i64, 2, 3, 4], &[2, 2]).shape(), &[2, 2]);
    assert_eq!(Tensor::eye(3).to_vec::<f32>(), [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    assert_eq!(Tensor::eye(0).numel(), 0);
}

#[test]
fn ranges_match_torch() {
    // torch.arange(0, 1, 0.1).tolist()
    let want = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9f64];
    let got = Tensor::arange_step(0.0, 1.0, 0.1).to_vec::<f32>();
    assert_eq!(got, want.map(|x| x as f32));
    assert_eq!(Tensor::arange(3.5).to_vec::<f32>(), [0.0, 1.0, 2.0, 3.0]);
    assert_eq!(Tensor::arange_step(3.0, 0.0, -1.5).to_vec::<f32>(), [3.0, 1.5]);
    assert_eq!(Tensor::arange_i64(4).to_vec::<i64>(), [0, 1, 2, 3]);
    // torch.linspace(0, 1, 7) and torch.linspace(-3.3, 10.1, 6)
    let l = Tensor::linspace(0.0, 1.0, 7).to_vec::<f32>();
    assert_eq!(l, [0.0, 0.16666667, 0.33333334, 0.5, 0.6666666, 0.8333333, 1.0]);
    let l = Tensor::linspace(-3.3, 10.1, 6).to_vec::<f32>();
    assert_eq!(l, [-3.3, -0.6199999, 2.0600002, 4.7400002, 7.42, 10.1]);
    assert_eq!(Tensor::linspace(2.0, 5.0, 1).to_vec::<f32>(), [2.0]);
}

#[test]
#[should_panic(expected = "upper bound and lower bound inconsistent with step sign")]
fn arange_wrong_direction_panics() {
    let _ = Tensor::arange_step(0.0, 1.0, -1.0);
}

#[test]
fn randn_20_matches_torch_seed_0() {
    // torch.manual_seed(0); torch.randn(20).tolist()
    let want = [
        -1.1258398, -1.1523602, -0.25057858, -0.4338788, 0.59883946, -1.5550951, -0.3413604, 1.8530061,
        0.4680964, -0.15771244, 1.4436601, 0.2660494, 1.3893661, 1.5863342, 0.94629836, -0.84367675,
        0.9318266, 1.2590092, 2.0049806, 0.053736903f32,
    ];
    manual_seed(0);
    assert_eq!(Tensor::randn(&[20]).to_vec::<f32>(), want);
    manual_seed(0);
    assert_eq!(Tensor::randn(&[4, 5]).to_vec::<f32>(), want, "shape does not change the draw");
}

#[test]
fn rand_uniform_normal_match_torch() {
    manual_seed(0);
    // torch.manual_seed(0); torch.rand(2, 3)
    let r = Tensor::rand(&[2, 3]).to_vec::<f32>();
    assert_eq!(r, [0.496_256_6, 0.768_221_8, 0.088_477_43, 0.132_030_49, 0.307_422_82, 0.634_078_7]);
    // torch.manual_seed(0); torch.empty(2, 3).uniform_(-2, 2)
    manual_seed(0);
    let u = Tensor::zeros(&[2, 3]);
    u.uniform_(-2.0, 2.0);
    assert_eq!(u.to_vec::<f32>(), [-0.01497364, 1.0728872, -1.6460903, -1.471878, -0.77030873, 0.5363147]);
    // torch.manual_seed(0); torch.empty(5).normal_(3, 0.5)
    manual_seed(0);
    let n = Tensor::zeros(&[5]);
    n.normal_(3.0, 0.5);
    assert_eq!(n.to_vec::<f32>(), [3.770498, 2.8532856, 1.9106053, 3.2842157, 2.4577389]);
}

#[test]
fn explicit_generator_matches_torch() {
    // g = torch.Generator().manual_seed(42); torch.rand(4, generator=g); torch.randn(3, generator=g)
    let mut g = Generator::new(42);
    assert_eq!(Tensor::rand_with(&[4], &mut g).to_vec::<f32>(), [0.88226926, 0.91500396, 0.38286376, 0.95930564]);
    assert_eq!(Tensor::randn_with(&[3], &mut g).to_vec::<f32>(), [0.23446237, 0.23033303, -1.1228564]);
}

#[test]
fn random_fill_of_a_transposed_view_follows_storage_order() {
    // torch.manual_seed(0); x = torch.empty(5, 4).t(); x.normal_(); x[:, 0] and x[0, :2]
    manual_seed(0);
    let base = Tensor::zeros(&[5, 4]);
    let x = base.view_with(vec![4, 5], vec![1, 4], 0);
    x.normal_(0.0, 1.0);
    let v = x.to_vec::<f32>();
    assert_eq!([v[0], v[1]], [1.5409961, -1.0845224]);
    assert_eq!([v[5], v[10]], [-0.2934289, -2.1787894]);
    // torch.manual_seed(0); x = torch.empty(5, 4).t(); x.uniform_(); x[1, 0]
    manual_seed(0);
    x.uniform_(0.0, 1.0);
    assert_eq!(x.to_vec::<f32>()[5], 0.768_221_8);
}

#[test]
fn randint_matches_torch() {
    // torch.manual_seed(0); torch.randint(0, 10, (8,))
    manual_seed(0);
    assert_eq!(Tensor::randint(0, 10, &[8]).to_vec::<i64>(), [4, 9, 3, 0, 3, 9, 7, 3]);
    // torch.manual_seed(0); torch.randint(-5, 2**33, (3,)): 64-bit words past 2^32
    manual_seed(0);
    assert_eq!(Tensor::randint(-5, 1 << 33, &[3]).to_vec::<i64>(), [5_243_342_721, 241_773_721, 1_507_693_265]);
}

#[test]
fn fill_zero_copy_through_views() {
    let x = Tensor::zeros(&[2, 3]);
    x.view_with(vec![2], vec![3], 2).fill_(5); // x[:, 2] = 5
    assert_eq!(x.to_vec::<f32>(), [0.0, 0.0, 5.0, 0.0, 0.0, 5.0]);
    x.copy_(&Tensor::from_slice(&[true, false, true], &[3]));
    assert_eq!(x.to_vec::<f32>(), [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]);
    x.zero_();
    assert_eq!(x.sum_all(), 0.0);
    let i = Tensor::arange_i64(3);
    i.fill_(2.7);
    assert_eq!(i.to_vec::<i64>(), [2, 2, 2]);
}

#[test]
#[should_panic(expected = "output with shape [3] doesn't match the broadcast shape [2, 3]")]
fn copy_cannot_broadcast_self() {
    Tensor::zeros(&[3]).copy_(&Tensor::zeros(&[2, 3]));
}

#[test]
fn dtype_conversions_follow_torch() {
    let x = Tensor::from_slice(&[-1.7f32, 2.9, 0.0, -0.0, f32::NAN], &[5]);
    // torch.tensor([-1.7, 2.9, 0., -0.]).long() -> [-1, 2, 0, 0]
    assert_eq!(x.long().to_vec::<i64>()[..4], [-1, 2, 0, 0]);
    assert_eq!(x.bool().to_vec::<bool>(), [true, true, false, false, true]);
    let b = Tensor::from_slice(&[true, false], &[2]);
    assert_eq!(b.float().to_vec::<f32>(), [1.0, 0.0]);
    assert_eq!(b.long().to_vec::<i64>(), [1, 0]);
    assert_eq!(Tensor::arange_i64(3).to_dtype(DType::Bool).to_vec::<bool>(), [false, true, true]);
    let same = x.float();
    assert!(same.shares_storage(&x), "a no-op conversion is a view, as tensor.to(dtype)");
}

#[test]
#[should_panic(expected = "uniform_: expected a tensor of dtype F32, but got I64")]
fn uniform_on_integers_panics() {
    Tensor::arange_i64(3).uniform_(0.0, 1.0);
}

#[test]
fn randn_bulk_and_normal_with_mean_std_match_torch_bitwise() {
    // Sum of the bit patterns: torch.manual_seed(0); torch.randn(4099).numpy().view(np.uint32).astype(np.uint64).sum()
    let bits = |v: Vec<f32>| v.iter().map(|x| x.to_bits() as u64).sum::<u64>();
    manual_seed(0);
    assert_eq!(bits(Tensor::randn(&[4099]).to_vec()), 8_792_146_151_872);
    // torch.manual_seed(3); torch.empty(50).normal_(0.5, 3.0), same checksum
    manual_seed(3);
    let x = Tensor::zeros(&[50]);
    x.normal_(0.5, 3.0);
    assert_eq!(bits(x.to_vec()), 89_936_312_479);
}
