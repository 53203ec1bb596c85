use super::*;
use crate::graph::gradcheck::{Tolerance, assert_layer, sample};
use crate::module::{Layer, Module};

#[test]
fn reprs_match_torch() {
    // repr(nn.MaxPool2d((2, 3), stride=1, padding=1, ceil_mode=True)), repr(nn.MaxPool1d(3)), ...
    assert_eq!(MaxPool2d::new([2, 3]).stride(1).padding(1).ceil_mode(true).to_string(), "MaxPool2d(kernel_size=(2, 3), stride=1, padding=1, dilation=1, ceil_mode=True)");
    assert_eq!(MaxPool1d::new(3).to_string(), "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)");
    assert_eq!(MaxPool3d::new(2).to_string(), "MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
    // nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False): the flags are not printed
    assert_eq!(AvgPool2d::new(3).stride(2).padding(1).ceil_mode(true).count_include_pad(false).to_string(), "AvgPool2d(kernel_size=3, stride=2, padding=1)");
    assert_eq!(AvgPool1d::new(3).stride(1).padding(1).to_string(), "AvgPool1d(kernel_size=(3,), stride=(1,), padding=(1,))");
    assert_eq!(AvgPool3d::new(2).to_string(), "AvgPool3d(kernel_size=2, stride=2, padding=0)");
    assert_eq!(AdaptiveAvgPool2d::new([None, Some(3)]).to_string(), "AdaptiveAvgPool2d(output_size=(None, 3))");
    assert_eq!(AdaptiveAvgPool3d::new([Some(1), None, Some(2)]).to_string(), "AdaptiveAvgPool3d(output_size=(1, None, 2))");
    assert_eq!(AdaptiveAvgPool1d::new(4).to_string(), "AdaptiveAvgPool1d(output_size=4)");
    assert!(MaxPool2d::new(2).state_dict_keys().is_empty());
}

#[test]
fn shapes_batched_and_unbatched() {
    assert_eq!(MaxPool2d::new(2).forward(&Tensor::zeros(&[6, 5, 5])).shape(), &[6, 2, 2]);
    assert_eq!(MaxPool2d::new(2).ceil_mode(true).forward(&Tensor::zeros(&[1, 6, 5, 5])).shape(), &[1, 6, 3, 3]);
    assert_eq!(AvgPool1d::new(2).forward(&Tensor::zeros(&[2, 3, 7])).shape(), &[2, 3, 3]);
    assert_eq!(AdaptiveAvgPool2d::new([None, Some(3)]).forward(&Tensor::zeros(&[2, 3, 7, 8])).shape(), &[2, 3, 7, 3]);
    assert_eq!(AvgPool3d::new(2).forward(&Tensor::zeros(&[1, 2, 4, 4, 5])).shape(), &[1, 2, 2, 2, 2]);
}

#[test]
fn layer_gradients_match_finite_differences() {
    let x = sample(&[2, 3, 5, 6], 7);
    // Max pooling has kinks where two window values are within the step of each other.
    assert_layer(&MaxPool2d::new(3).stride(2).padding(1).ceil_mode(true), &x, Tolerance::with_kinks());
    assert_layer(&MaxPool2d::new(2).dilation(2).stride(1), &x, Tolerance::with_kinks());
    assert_layer(&AvgPool2d::new(3).stride(2).padding(1).count_include_pad(false), &x, Tolerance::default());
    assert_layer(&AvgPool2d::new([2, 3]).divisor_override(4), &x, Tolerance::default());
    assert_layer(&AdaptiveAvgPool2d::new([2, 4]), &x, Tolerance::default());
    let x1 = sample(&[3, 9], 8);
    assert_layer(&MaxPool1d::new(3).stride(2), &x1, Tolerance::with_kinks());
    assert_layer(&AvgPool1d::new(2).padding(1), &x1, Tolerance::default());
    assert_layer(&AdaptiveAvgPool1d::new(4), &x1, Tolerance::default());
    let x3 = sample(&[1, 2, 3, 4, 4], 9);
    assert_layer(&MaxPool3d::new(2), &x3, Tolerance::with_kinks());
    assert_layer(&AvgPool3d::new([1, 2, 2]).stride(1), &x3, Tolerance::default());
    assert_layer(&AdaptiveAvgPool3d::new(2), &x3, Tolerance::default());
}

#[test]
fn max_pool_backward_routes_to_the_argmax() {
    let pool = MaxPool2d::new(2);
    let x = Tensor::from_vec(vec![1.0f32, 5.0, 2.0, 0.0, 3.0, 4.0, 7.0, 1.0], &[1, 1, 2, 4]);
    let mut ctx = PoolCtx::default();
    assert_eq!(pool.forward_train(&x, &mut ctx).to_vec::<f32>(), [5.0, 7.0]);
    let gx = pool.backward(&mut ctx, &Tensor::from_vec(vec![10.0f32, 20.0], &[1, 1, 1, 2]), true).unwrap();
    assert_eq!(gx.to_vec::<f32>(), [0.0, 10.0, 0.0, 0.0, 0.0, 0.0, 20.0, 0.0]);
    let mut ctx = PoolCtx::default();
    pool.forward_train(&x, &mut ctx);
    assert!(pool.backward(&mut ctx, &Tensor::ones(&[1, 1, 1, 2]), false).is_none());
}

#[test]
#[should_panic(expected = "MaxPool2d: non-empty 3D or 4D (batch mode) tensor expected for input, but got shape [4, 4]")]
fn wrong_rank_panics() {
    MaxPool2d::new(2).forward(&Tensor::zeros(&[4, 4]));
}

#[test]
#[should_panic(expected = "MaxPool2d::backward: the input had shape [1, 1, 4, 4], so the gradient must have shape [1, 1, 2, 2], got [1, 1, 4, 4]")]
fn wrong_gradient_shape_panics() {
    let pool = MaxPool2d::new(2);
    let mut ctx = PoolCtx::default();
    pool.forward_train(&Tensor::zeros(&[1, 1, 4, 4]), &mut ctx);
    pool.backward(&mut ctx, &Tensor::zeros(&[1, 1, 4, 4]), true);
}
