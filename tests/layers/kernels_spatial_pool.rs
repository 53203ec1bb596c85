//! Pooling layers against PyTorch (`tests/fixtures/gen_spatial_fixtures.py`): outputs and input
//! gradients.

use fusenet::nn::{AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d};

use crate::spatial_support;
use spatial_support::*;


#[test]
fn max_pool2d_ceil_mode_padded() {
    // nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True) on [2, 3, 7, 6]
    check_against_torch("maxpool2d", &mut MaxPool2d::new(3).stride(2).padding(1).ceil_mode(true));
}

#[test]
fn max_pool1d_dilated() {
    // nn.MaxPool1d(2, stride=1, dilation=2) on [2, 2, 8]
    check_against_torch("maxpool1d_dilation", &mut MaxPool1d::new(2).stride(1).dilation(2));
}

#[test]
fn avg_pool2d_without_padding_in_the_count() {
    // nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False) on [2, 3, 7, 6]
    let mut pool = AvgPool2d::new(3).stride(2).padding(1).ceil_mode(true).count_include_pad(false);
    check_against_torch("avgpool2d", &mut pool);
}

#[test]
fn avg_pool2d_counting_the_padding() {
    // nn.AvgPool2d(2, padding=1) on [1, 2, 5, 5]
    check_against_torch("avgpool2d_pad", &mut AvgPool2d::new(2).padding(1));
}

#[test]
fn avg_pool1d() {
    // nn.AvgPool1d(3, stride=2) on [2, 3, 9]
    check_against_torch("avgpool1d", &mut AvgPool1d::new(3).stride(2));
}

#[test]
fn adaptive_avg_pool2d() {
    // nn.AdaptiveAvgPool2d((3, 2)) on [2, 3, 5, 7]
    check_against_torch("adaptive_avgpool2d", &mut AdaptiveAvgPool2d::new([3, 2]));
}
