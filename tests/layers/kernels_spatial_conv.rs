//! Convolutions against PyTorch (`tests/fixtures/gen_spatial_fixtures.py`): outputs, input
//! gradients and weight/bias gradients for stride 2, padding 1, dilation, groups, 1-d and 3-d.

use fusenet::module::Layer;
use fusenet::nn::{Conv1d, Conv2d, Conv3d, ConvOptions};

use crate::spatial_support;
use spatial_support::*;


#[test]
fn conv2d_stride_2() {
    // nn.Conv2d(2, 4, 3, stride=2) on [2, 2, 7, 6]
    check_against_torch("conv2d_stride2", &mut Conv2d::<2, 4, 3>::new().stride(2));
}

#[test]
fn conv2d_padding_1() {
    // nn.Conv2d(3, 2, 3, padding=1) on [2, 3, 5, 5]
    check_against_torch("conv2d_pad1", &mut Conv2d::<3, 2, 3>::new().padding(1));
}

#[test]
fn conv2d_dilation_2_non_square() {
    // nn.Conv2d(2, 3, (3, 2), dilation=2, padding=(2, 1)) on [1, 2, 7, 6]
    check_against_torch("conv2d_dilation2", &mut Conv2d::<2, 3, 3, 2>::new().dilation(2).padding([2, 1]));
}

#[test]
fn conv2d_groups_2_without_bias() {
    // nn.Conv2d(4, 6, 3, groups=2, stride=(1, 2), bias=False) on [2, 4, 5, 6]
    let mut conv = Conv2d::<4, 6, 3>::with_options(ConvOptions::default().groups(2).stride([1, 2]).bias(false));
    check_against_torch("conv2d_groups2", &mut conv);
}

#[test]
fn conv1d_strided_padded() {
    // nn.Conv1d(3, 4, 3, stride=2, padding=1) on [2, 3, 9]
    check_against_torch("conv1d", &mut Conv1d::<3, 4, 3>::new().stride(2).padding(1));
}

#[test]
fn conv3d_padded() {
    // nn.Conv3d(2, 3, (2, 3, 2), padding=(1, 1, 0)) on [1, 2, 3, 4, 4]
    check_against_torch("conv3d", &mut Conv3d::<2, 3, 2, 3, 2>::new().padding([1, 1, 0]));
}

#[test]
fn gradients_accumulate_over_two_backwards() {
    let sd = fixture("conv2d_pad1");
    let mut conv = Conv2d::<3, 2, 3>::new().padding(1);
    load_params(&sd, &mut conv);
    for _ in 0..2 {
        let mut ctx = Default::default();
        conv.forward_train(get(&sd, "x"), &mut ctx);
        assert!(conv.backward(&mut ctx, get(&sd, "grad_out"), false).is_none());
    }
    assert_close("2 × grad of weight", &conv.weight.grad().expect("grad"), &get(&sd, "g.weight").mul(2.0));
}
