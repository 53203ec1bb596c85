//! Built-in layers with constructors, in the struct and the Sequential forms, and the new ops.
use fusenet::module::Layer;
use fusenet::nn::{
    AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, Conv1d, Conv2d, Conv3d, ConvOptions, Dropout, ELU, Embedding, Flatten, GELU, LayerNorm,
    LeakyReLU, Linear, LogSoftmax, MaxPool1d, MaxPool2d, ReLU, SiLU, Softmax,
};
use fusenet::prelude::*;

network! {
    pub struct LeNet = Sequential(
        Conv2d<1, 6, 5> = Conv2d::new().padding(2), ReLU, MaxPool2d = MaxPool2d::new(2),
        Conv2d<6, 16, 5>, ReLU, MaxPool2d = MaxPool2d::new(2),
        Flatten, Linear<_, 120>, ReLU, Linear<120, 84>, ReLU, Linear<84, 10>,
    ) : [B, 1, 28, 28];
}

network! {
    pub struct Mixed {
        c3: Conv3d<2, 4, 3> = Conv3d::with_options(ConvOptions::default().padding([1, 0, 0]).groups(2)),
        c1: Conv1d<_, 8, 3> = Conv1d::new().stride(2).dilation(1),
        pool: MaxPool1d = MaxPool1d::new(2).ceil_mode(true),
        gap: AdaptiveAvgPool2d = AdaptiveAvgPool2d::new([None, Some(1)]),
        avg: AvgPool2d = AvgPool2d::new([2, 1]).count_include_pad(false),
        norm: LayerNorm = LayerNorm::new(&[8]),
        bn: BatchNorm1d<8>,
        drop: Dropout = Dropout::new(0.1),
        acts: [LeakyReLU; 2] = LeakyReLU::new(0.2),
        gelu: GELU,
        elu: ELU = ELU::new(1.0),
        silu: SiLU,
        sm: Softmax = Softmax::new(-1),
        lsm: LogSoftmax = LogSoftmax::new(1),
        emb: Embedding<10, 8>,
        head: Linear<_, 3>,
    }
    fn forward(x: [B, 2, 5, 4, 4]) -> [B, 3] {
        let h = c3(x);                               // [B, 4, 5, 2, 2]
        let h = reshape(h, [-1, 4, 20]);             // [B, 4, 20]
        let h = pool(c1(h));                         // [B, 8, 9] → [B, 8, 5]
        let h = gap(h.unsqueeze(3)).squeeze(3);      // [B, 8, 5]
        let h = avg(h.unsqueeze(0)).squeeze(0);      // [B/2.., ..]: [B, 4, 5] after pooling dim -2 by 2
        let h = cat([h, h], 1);                      // [B, 8, 5]
        let mut h = drop(bn(norm(h.permute([0, 2, 1])).permute([0, 2, 1])));
        for a in acts { h = a(h); }
        let h = silu(elu(gelu(h))) + sm(h) + lsm(h);
        let h = stack([h.max(2), h.mean(2)], 1);     // [B, 2, 8]
        head(flatten(h, 1))
    }
}

fn main() {
    let net = LeNet::new();
    let y = net.forward_typed(&Typed::new(Tensor::zeros(&[2, 1, 28, 28])).unwrap());
    assert_eq!(y.tensor().shape(), &[2, 10]);
    let _ = Mixed::new;
    let _ = <Mixed as Layer>::IN_DIMS;
}
