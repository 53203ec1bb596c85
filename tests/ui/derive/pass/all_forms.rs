//! Every field form compiles: named, tuple, unit, generic, arrays, Vec, Option, Box, skip,
//! rename, flatten, name, crate.
use fusenet::nn::{Linear, ReLU};
use fusenet::{Buffer, Module, Param, Tensor};

#[derive(Module)]
struct Named {
    w: Param,
    b: Buffer,
    layer: Linear<2, 2>,
    list: [ReLU; 2],
    vec: Vec<Box<dyn Module>>,
    opt: Option<Linear<2, 1>>,
    boxed: Box<Linear<1, 1>>,
    #[module(skip)]
    constant: Tensor,
    #[module(rename = "block 0")]
    renamed: ReLU,
    #[module(flatten, rename = "head {}")]
    heads: Vec<Linear<2, 2>>,
}

#[derive(Module)]
#[module(name = "Sequential", crate = "fusenet")]
struct Tuple(Linear<2, 2>, ReLU);

#[derive(Module)]
struct Unit;

#[derive(Module)]
struct Generic<A, B: Module, const N: usize>
where
    A: Module,
{
    a: A,
    bs: [B; N],
    #[module(skip)]
    n: [usize; N],
}

fn main() {
    let g = Generic { a: Tuple(Linear::new(), ReLU), bs: [Unit, Unit], n: [1, 2] };
    let _: &dyn Module = &g;
    let _ = g.share().state_dict();
    let _ = <Named as Module>::type_name;
    let _ = Unit::STATE_DICT_KEYS;
}
