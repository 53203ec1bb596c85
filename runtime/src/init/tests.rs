use super::*;
use crate::rng::manual_seed;

fn first3(t: &Tensor) -> Vec<f32> {
    t.to_vec::<f32>()[..3].to_vec()
}

// torch.manual_seed(1); w = torch.empty(3, 5); nn.init.xavier_uniform_(w)
#[test]
fn xavier_uniform_equals_torch() {
    manual_seed(1);
    let w = Tensor::zeros(&[3, 5]);
    xavier_uniform_(&w, 1.0);
    assert_eq!(first3(&w), [0.44623100757598877f32, -0.3822447657585144, -0.16788896918296814]);
}

// torch.manual_seed(1); w = torch.empty(3, 5); nn.init.xavier_normal_(w, gain=2.0)   (15 < 16: scalar path)
#[test]
fn xavier_normal_equals_torch() {
    manual_seed(1);
    let w = Tensor::zeros(&[3, 5]);
    xavier_normal_(&w, 2.0);
    assert_eq!(first3(&w), [0.6613521575927734f32, 0.266924113035202, 0.06167725846171379]);
}

// torch.manual_seed(1); nn.init.normal_(torch.empty(3, 5), 0, 0.01)   (std 0.01 kept in double)
#[test]
fn normal_small_tensor_equals_torch() {
    manual_seed(1);
    let w = Tensor::zeros(&[3, 5]);
    normal_(&w, 0.0, 0.01);
    assert_eq!(first3(&w), [0.006613521836698055f32, 0.0026692410465329885, 0.0006167725659906864]);
}

// torch.manual_seed(1); w = nn.init.normal_(torch.empty(8, 4), 0, 0.01)   (32 >= 16: vector path)
#[test]
fn normal_large_tensor_equals_torch() {
    manual_seed(1);
    let w = Param::new(Tensor::zeros(&[8, 4]));
    normal_(&w, 0.0, 0.01);
    let v = w.value().to_vec::<f32>();
    assert_eq!(v[..3], [-0.015255958773195744f32, -0.0075023178942501545, -0.006539809051901102]);
    assert_eq!(v[31], -0.001316232024691999f32);
}

// torch.manual_seed(1); nn.init.kaiming_normal_(torch.empty(6, 2, 3, 3), mode='fan_out', nonlinearity='relu')
#[test]
fn kaiming_normal_conv_fan_out_equals_torch() {
    manual_seed(1);
    let w = Tensor::zeros(&[6, 2, 3, 3]);
    kaiming_normal_(&w, 0.0, FanMode::FanOut, Nonlinearity::Relu);
    assert_eq!(first3(&w), [-0.29360106587409973f32, -0.14438217878341675, -0.12585867941379547]);
}

// torch.manual_seed(1); nn.init.kaiming_uniform_(torch.empty(6, 2, 3, 3))
#[test]
fn kaiming_uniform_defaults_equal_torch() {
    manual_seed(1);
    let w = Tensor::zeros(&[6, 2, 3, 3]);
    kaiming_uniform_(&w, 0.0, FanMode::FanIn, Nonlinearity::LeakyRelu);
    assert_eq!(first3(&w), [0.2974873483181f32, -0.2548298239707947, -0.11192598193883896]);
}

#[test]
fn constants() {
    let w = Tensor::zeros(&[2, 2]);
    constant_(&w, 42.0);
    assert_eq!(w.to_vec::<f32>(), [42.0; 4]);
    ones_(&w);
    assert_eq!(w.to_vec::<f32>(), [1.0; 4]);
    zeros_(&w);
    assert_eq!(w.to_vec::<f32>(), [0.0; 4]);
}

#[test]
fn writes_through_a_strided_view() {
    let w = Tensor::zeros(&[2, 3]);
    constant_(&w.t(), 5.0);
    assert_eq!(w.to_vec::<f32>(), [5.0; 6]);
}

#[test]
fn uniform_stays_in_range() {
    manual_seed(3);
    let w = Tensor::zeros(&[100]);
    uniform_(&w, -10.0, 10.0);
    assert!(w.to_vec::<f32>().iter().all(|&x| (-10.0..10.0).contains(&x)));
}

// nn.init.calculate_gain('leaky_relu'), ('tanh'), ('selu')
#[test]
fn gains() {
    assert_eq!(calculate_gain(Nonlinearity::LeakyRelu, None), 1.4141428569978354);
    assert_eq!(calculate_gain(Nonlinearity::Tanh, None), 1.6666666666666667);
    assert_eq!(calculate_gain(Nonlinearity::Selu, None), 0.75);
    assert_eq!(calculate_gain(Nonlinearity::Conv2d, None), 1.0);
    assert_eq!(calculate_gain(Nonlinearity::LeakyRelu, Some(0.0)), 2f64.sqrt());
}

#[test]
fn fans() {
    assert_eq!(calculate_fan_in_and_fan_out(&[8, 4]), (4, 8));
    assert_eq!(calculate_fan_in_and_fan_out(&[16, 6, 5, 5]), (150, 400));
}

#[test]
#[should_panic(expected = "fewer than 2 dimensions")]
fn fan_of_a_vector_panics() {
    xavier_uniform_(&Tensor::zeros(&[5]), 1.0);
}

// torch: nn.init.constant_(torch.tensor([1, 2]), 3.0) -> tensor([3, 3])
#[test]
fn constant_fills_integer_tensors_like_torch() {
    let t = Tensor::from_vec(vec![1i64, 2], &[2]);
    constant_(&t, 3.0);
    assert_eq!(t.to_vec::<i64>(), [3, 3]);
}

#[test]
#[should_panic(expected = "uniform_")]
fn uniform_on_integer_tensor_panics() {
    uniform_(&Tensor::from_vec(vec![1i64, 2], &[2]), 0.0, 1.0);
}
