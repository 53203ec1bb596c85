//! The parameter-free elementwise layers `ReLU`, `Sigmoid`, `Tanh` and `Identity`: a call is
//! inlined as the op of the same name.

use crate::network::ops::Unary;

#[derive(Clone, Copy, Debug)]
pub enum Activation {
    Relu,
    Sigmoid,
    Tanh,
    Identity,
}

pub fn by_name(name: &str) -> Option<Activation> {
    Some(match name {
        "ReLU" => Activation::Relu,
        "Sigmoid" => Activation::Sigmoid,
        "Tanh" => Activation::Tanh,
        "Identity" => Activation::Identity,
        _ => return None,
    })
}

/// The op a call lowers to; `None` for `Identity` (the call is its argument).
pub fn op(a: Activation) -> Option<Unary> {
    match a {
        Activation::Relu => Some(Unary::Relu),
        Activation::Sigmoid => Some(Unary::Sigmoid),
        Activation::Tanh => Some(Unary::Tanh),
        Activation::Identity => None,
    }
}
