//! `std::ops` operators for tensors: `+ - * /` between tensors (owned or borrowed) and with
//! `f32`/`i64` scalars on either side, unary `-`, and the compound assignments, which are in
//! place and write through views as PyTorch's `x += y` does.
//!
//! ```
//! use fusenet_runtime::Tensor;
//! let x = Tensor::arange(3.0);
//! let y = &x * 2.0 + 1.0;            // [1, 3, 5]
//! let z = 1.0 - &y / &x.add(1.0);    // rsub: [0, -0.5, -2/3]
//! let mut w = x.shallow_clone();
//! w += &y;                           // in place: x sees it too
//! assert_eq!(x.to_vec::<f32>(), [1.0, 4.0, 7.0]);
//! assert_eq!((-&z).to_vec::<f32>()[1], 0.5);
//! ```

use super::{Add, Div, Mul, Sub, binary, binary_assign};
use crate::tensor::Tensor;
use std::ops;

macro_rules! tensor_ops {
    ($($Trait:ident $method:ident $Assign:ident $assign:ident => $Op:ident;)*) => {$(
        impl ops::$Trait<&Tensor> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor { binary::<$Op>(self, rhs) }
        }
        impl ops::$Trait<Tensor> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor { binary::<$Op>(self, &rhs) }
        }
        impl ops::$Trait<&Tensor> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor { binary::<$Op>(&self, rhs) }
        }
        impl ops::$Trait<Tensor> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor { binary::<$Op>(&self, &rhs) }
        }
        impl ops::$Assign<&Tensor> for Tensor {
            fn $assign(&mut self, rhs: &Tensor) { binary_assign::<$Op>(self, rhs) }
        }
        impl ops::$Assign<Tensor> for Tensor {
            fn $assign(&mut self, rhs: Tensor) { binary_assign::<$Op>(self, &rhs) }
        }
        scalar_ops!($Trait $method $Assign $assign => $Op; f32, i64);
    )*};
}

macro_rules! scalar_ops {
    ($Trait:ident $method:ident $Assign:ident $assign:ident => $Op:ident; $($s:ty),*) => {$(
        impl ops::$Trait<$s> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: $s) -> Tensor { binary::<$Op>(self, &super::Scalar::from(rhs).to_tensor()) }
        }
        impl ops::$Trait<$s> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: $s) -> Tensor { binary::<$Op>(&self, &super::Scalar::from(rhs).to_tensor()) }
        }
        impl ops::$Trait<&Tensor> for $s {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor { binary::<$Op>(&super::Scalar::from(self).to_tensor(), rhs) }
        }
        impl ops::$Trait<Tensor> for $s {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor { binary::<$Op>(&super::Scalar::from(self).to_tensor(), &rhs) }
        }
        impl ops::$Assign<$s> for Tensor {
            fn $assign(&mut self, rhs: $s) { binary_assign::<$Op>(self, &super::Scalar::from(rhs).to_tensor()) }
        }
    )*};
}

tensor_ops! {
    Add add AddAssign add_assign => Add;
    Sub sub SubAssign sub_assign => Sub;
    Mul mul MulAssign mul_assign => Mul;
    Div div DivAssign div_assign => Div;
}

impl ops::Neg for &Tensor {
    type Output = Tensor;
    /// `-x`; panics on a bool tensor, as PyTorch does.
    fn neg(self) -> Tensor {
        Tensor::neg(self)
    }
}

impl ops::Neg for Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        Tensor::neg(&self)
    }
}
