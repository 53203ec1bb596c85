//! Every form of the language compiles: named fields, unit struct, const generics, `Param`,
//! `Buffer`, constants, `_` inference, `let`/`let mut`, reassignment, compound assignment,
//! `while`, `for` over an array of layers, method and function forms, and the Sequential line.
use fusenet::module::Layer;
use fusenet::nn::{Flatten, Identity, Linear, ReLU, Sigmoid, Tanh};
use fusenet::prelude::*;

network! {
    /// A doc comment passes through.
    pub struct Mlp {
        hidden: Linear<20, 256>,
        out: Linear<256, 10>,
    }
    fn forward(x: [B, 20]) -> [B, 10] {
        out(relu(hidden(x)))
    }
}

network! {
    pub struct FixedHiddenMlp {
        #[constant(rand)] rand_weight: [20, 20],
        linear: Linear<20, 20>,
    }
    fn forward(x: [B, 20]) -> [] {
        let x = linear(x);
        let x = relu(mm(x, rand_weight) + 1.0);
        let mut x = linear(x);
        while x.abs().sum() > 1 { x /= 2; }
        x.sum()
    }
}

network! {
    pub struct CenteredLayer;
    fn forward(x: [..]) -> [..] { x - x.mean() }
}

network! {
    pub struct MyLinear<const IN: usize, const UNITS: usize> {
        #[init(randn)] weight: Param<[IN, UNITS]>,
        #[init(randn)] bias: Param<[UNITS]>,
    }
    fn forward(x: [B, IN]) -> [B, UNITS] { relu(matmul(x, weight) + bias) }
}

network! {
    pub struct Buffers {
        #[init(zeros)] running: Buffer<[4]>,
        #[init(ones)] #[persistent = false] scale: Buffer<[4]>,
        #[init(normal(0.0, 0.01))] w: Param<[4, 4]>,
        #[init(uniform(-1.0, 1.0))] b: Param<[4]>,
        #[init(constant(0.5))] c: Param<[1]>,
        #[init(xavier_uniform)] xw: Param<[4, 4]>,
        #[init(kaiming_uniform)] kw: Param<[4, 4]>,
        #[module(rename = "head")] lin: Linear<_, 2>,
        act: Sigmoid,
        t: Tanh,
        id: Identity,
        flat: Flatten,
    }
    fn forward(x: [B, 4]) -> [B, 2] {
        let mut h = (x - running) * scale;
        h = h.matmul(w) + b * c;
        h += mm(h, xw).tanh() + mm(h, kw).sigmoid();
        h = softmax(h, 1) + log_softmax(h, -1) + leaky_relu(h, 0.1) + h.pow(2.0) + h.exp().log().sqrt();
        lin(flat(id(t(act(h)))))
    }
}

network! { pub struct Block = Sequential(Linear<4, 8>, ReLU, Linear<8, 4>, ReLU); }
network! { pub struct Lazy = Sequential(Linear<_, 256>, ReLU, Linear<256, 10>) : [B, 20]; }
network! { pub struct Stack = Sequential(MyLinear<64, 8>, MyLinear<8, 1>); }
network! {
    pub struct Rg {
        blocks: [Block; 4],
        out: Linear<4, 1>,
    }
    fn forward(x: [B, 4]) -> [B, 1] {
        let mut x = x;
        for b in blocks { x = b(x); }
        out(x)
    }
}
network! { pub struct Chimera = Sequential(Mlp, Linear<10, 20>, FixedHiddenMlp); }

fn main() {
    let x = Tensor::rand(&[2, 20]);
    let _ = Mlp::new().forward(&x);
    let _ = Chimera::new().forward(&x);
    let _ = Lazy::new().forward(&x);
    let mut ctx = Default::default();
    let y = Buffers::new().forward_train(&Tensor::rand(&[2, 4]), &mut ctx);
    let _ = Buffers::new().backward(&mut ctx, &y, true);
    let _ = (CenteredLayer::new(), Stack::new(), Rg::new());
}
