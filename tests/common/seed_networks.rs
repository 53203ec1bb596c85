//! The seed models of d2l ch. 5 written with `network!`, shared by the `network` binary (PyTorch
//! parity: keys, weights, outputs, gradients) and the `alloc` binary (warm training steps that
//! allocate nothing). Each binary uses some of them.
#![allow(dead_code)]

use fusenet::nn::{Linear, ReLU};
use fusenet::prelude::*;

network! {
    /// d2l's MLP.
    pub struct Mlp {
        hidden: Linear<20, 256>,
        out: Linear<256, 10>,
    }
    fn forward(x: [B, 20]) -> [B, 10] {
        out(relu(hidden(x)))
    }
}

network! { pub struct Seq481 = Sequential(Linear<4, 8>, ReLU, Linear<8, 1>); }

network! {
    #[module(name = "MySequential")]
    pub struct MySequential = Sequential(Linear<20, 256>, ReLU, Linear<256, 10>);
}

network! { pub struct NestNet = Sequential(Linear<20, 64>, ReLU, Linear<64, 32>, ReLU); }

network! {
    pub struct NestMlp {
        net: NestNet,
        linear: Linear<32, 16>,
    }
    fn forward(x: [B, 20]) -> [B, 16] {
        linear(net(x))
    }
}

network! {
    /// A constant, a layer used twice, a data-dependent loop, a 0-d result.
    pub struct FixedHiddenMlp {
        #[constant(rand)] pub rand_weight: [20, 20],
        linear: Linear<20, 20>,
    }
    fn forward(x: [B, 20]) -> [] {
        let x = linear(x);
        let x = relu(mm(x, rand_weight) + 1.0);
        let mut x = linear(x);
        while x.abs().sum() > 1.0 { x /= 2.0; }
        x.sum()
    }
}

network! { pub struct Chimera = Sequential(NestMlp, Linear<16, 20>, FixedHiddenMlp); }

network! { pub struct Block1 = Sequential(Linear<4, 8>, ReLU, Linear<8, 4>, ReLU); }

network! {
    #[module(name = "Sequential")]
    pub struct Block2 {
        #[module(flatten, rename = "block {}")] blocks: [Block1; 4],
    }
    fn forward(x: [B, 4]) -> [B, 4] {
        let mut x = x;
        for b in blocks { x = b(x); }
        x
    }
}

network! { pub struct RgNet = Sequential(Block2, Linear<4, 1>); }

network! {
    /// The tied net: keys 2.* and 4.* are one parameter; both calls add to its gradient.
    #[module(name = "Sequential")]
    pub struct Tied {
        #[module(rename = "0")] first: Linear<4, 8>,
        #[module(rename = "1")] a1: ReLU,
        #[module(rename = "2")] pub shared: Linear<8, 8>,
        #[module(rename = "3")] a2: ReLU,
        #[module(rename = "4")] #[share(shared)] pub shared_again: Linear<8, 8>,
        #[module(rename = "5")] a3: ReLU,
        #[module(rename = "6")] last: Linear<8, 1>,
    }
    fn forward(x: [B, 4]) -> [B, 1] {
        last(a3(shared_again(a2(shared(a1(first(x)))))))
    }
}

network! {
    pub struct MyLinear<const IN: usize, const UNITS: usize> {
        #[init(randn)] weight: Param<[IN, UNITS]>,
        #[init(randn)] bias: Param<[UNITS]>,
    }
    fn forward(x: [B, IN]) -> [B, UNITS] { relu(matmul(x, weight) + bias) }
}

network! { pub struct MyLinearSeq = Sequential(MyLinear<64, 8>, MyLinear<8, 1>); }

network! {
    pub struct CenteredLayer;
    fn forward(x: [..]) -> [..] { x - x.mean() }
}

network! { pub struct CenteredSeq = Sequential(Linear<8, 128>, CenteredLayer); }
