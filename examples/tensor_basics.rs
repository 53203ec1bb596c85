//! The PyTorch primer's tensor section, in Rust, in the primer's order: creation, arithmetic,
//! in-place ops, broadcasting, indexing, reshaping, products and reductions, activations, the
//! bridge to plain Rust data (NumPy's role), and devices. Run with
//! `cargo run --release --example tensor_basics`.
//!
//! Each printed value is headed by the Python it translates (`# torch.zeros(3, 2)`). Tensors print
//! exactly as PyTorch prints them; shapes print as Rust slices (`[2, 3]` for `torch.Size([2, 3])`).
//! The random numbers are drawn from PyTorch's generator after `manual_seed(0)`, so they equal
//! what the same Python prints after `torch.manual_seed(0)` and the same sequence of draws.

use fusenet::device::{device_count, try_gpu};
use fusenet::nn::{GELU, LeakyReLU, ReLU};
use fusenet::prelude::*;
use fusenet::{s, tensor};
use std::fmt::{self, Write};

/// Creation: `empty`, `zeros`, `ones`, `rand`, `randn`, `arange`, dtypes, `new_*`, `*_like`.
fn creation(out: &mut String) -> fmt::Result {
    writeln!(out, "## Creating tensors")?;
    // torch.empty's values are unspecified; fusenet's are zeros.
    let x = Tensor::empty(&[3, 2]);
    writeln!(out, "# torch.empty(3, 2)\n{:?}", x.shape())?;
    writeln!(out, "# torch.zeros(3, 2)\n{}", Tensor::zeros(&[3, 2]))?;
    writeln!(out, "# torch.ones(3, 2)\n{}", Tensor::ones(&[3, 2]))?;
    writeln!(out, "# torch.rand(2, 2)\n{}", Tensor::rand(&[2, 2]))?;
    writeln!(out, "# torch.randn(2, 2)\n{}", Tensor::randn(&[2, 2]))?;
    // Integer arguments give int64, as in PyTorch; `Tensor::arange_step(0, 10, 2)` is the f32 form.
    writeln!(out, "# torch.arange(0, 10, 2)\n{}", Tensor::arange_step_i64(0, 10, 2))?;
    writeln!(out, "# torch.zeros(5, 3, dtype=torch.long)\n{}", Tensor::zeros_dtype(&[5, 3], DType::I64))?;
    let x = tensor![5.5, 3.0];
    writeln!(out, "# torch.tensor([5.5, 3])\n{x}")?;
    // `new_*` keeps x's dtype (fusenet has f32, i64 and bool; there is no `dtype=torch.double`).
    let x = x.new_ones([2, 3]);
    writeln!(out, "# x.new_ones(2, 3)\n{x}")?;
    let x = Tensor::randn_like(&x);
    writeln!(out, "# torch.randn_like(x)\n{x}")?;
    writeln!(out, "# x.size()\n{:?}", x.size())
}

/// Elementwise arithmetic, `out=`, and the in-place `_` methods.
fn arithmetic(out: &mut String) -> fmt::Result {
    writeln!(out, "## Arithmetic")?;
    let x = tensor![3, 2, 1];
    let y = tensor![1, 2, 3];
    // The operators take references (`&x + &y`) so that x and y stay usable.
    writeln!(out, "# x + y\n{}", &x + &y)?;
    writeln!(out, "# x - y\n{}", &x - &y)?;
    writeln!(out, "# x * y\n{}", &x * &y)?;
    writeln!(out, "# x / y\n{}", &x / &y)?; // true division: int64 / int64 is float
    // `torch.add(x, y, out=result)` writes into an existing tensor; in Rust that is `copy_` of the
    // sum (or simply `let result = &x + &y;` when no existing storage needs to be reused).
    let result = Tensor::zeros_dtype(&[3], DType::I64);
    result.copy_(&(&x + &y));
    writeln!(out, "# torch.add(x, y, out=result)\n{result}")?;
    // In-place ops take `&self`: a tensor is a handle, and the write is seen by every view of it.
    y.add_(&x);
    writeln!(out, "# y.add_(x)\n{y}")?;

    let x = tensor![10.0, 20.0, 30.0];
    x.add_(2.0);
    writeln!(out, "# x.add_(2)\n{x}")?;
    x.sub_(3.0);
    writeln!(out, "# x.sub_(3)\n{x}")?;
    x.mul_(5.0);
    writeln!(out, "# x.mul_(5)\n{x}")?;
    x.div_(2.0);
    writeln!(out, "# x.div_(2)\n{x}")
}

/// Broadcasting: the smaller operand is stretched without copying.
fn broadcasting(out: &mut String) -> fmt::Result {
    writeln!(out, "## Broadcasting")?;
    let a = tensor![1, 2, 3];
    let b = tensor![10];
    let b_repeated = b.repeat([3]);
    writeln!(out, "# b.repeat(3)\n{b_repeated}")?;
    writeln!(out, "# a + b.repeat(3)\n{}", &a + &b_repeated)?;
    writeln!(out, "# a + b\n{}", &a + &b)?;
    let col = Tensor::arange_i64(3).reshape([3, 1]);
    writeln!(out, "# torch.arange(3).reshape(3, 1) + torch.arange(2)\n{}", &col + &Tensor::arange_i64(2))
}

/// Python's indexing with `s![]`: views, assignment through them, single elements.
fn indexing(out: &mut String) -> fmt::Result {
    writeln!(out, "## Indexing and slicing")?;
    let x = Tensor::rand(&[4, 3]);
    writeln!(out, "# x = torch.rand(4, 3)\n{x}")?;
    writeln!(out, "# x[:, 1]\n{}", x.slice(s![.., 1]))?;
    writeln!(out, "# x[1:3, ::2]\n{}", x.slice(s![1..3, ..;2]))?;
    x.set([0, 0], 100.0); // x[0, 0] = 100
    x.slice_assign(s![.., 2], 0.0); // x[:, 2] = 0
    writeln!(out, "# x[0, 0] = 100; x[:, 2] = 0\n{x}")?;
    // `x.get([1, 1])` reads one element; `x.slice(s![1, 1]).item()` is the literal translation.
    writeln!(out, "# x[1, 1].item()\n{}", x.slice(s![1, 1]).item())
}

/// `view` vs `reshape`, and the other shape methods of the primer.
fn reshaping(out: &mut String) -> fmt::Result {
    writeln!(out, "## Reshaping")?;
    let x = Tensor::randn(&[2, 3, 4]);
    writeln!(out, "# x.is_contiguous()\n{}", py_bool(x.is_contiguous()))?;
    let y = x.view([6, 4]);
    writeln!(out, "# x.view(6, 4).shape\n{:?}", y.shape())?;
    writeln!(out, "# x.view(-1, 8).shape\n{:?}", x.view([-1, 8]).shape())?;
    let x_t = x.transpose(1, 2);
    writeln!(out, "# x.transpose(1, 2).is_contiguous()\n{}", py_bool(x_t.is_contiguous()))?;
    // A programmer's mistake panics with PyTorch's message; caught here only to print it.
    writeln!(out, "# x_t.view(6, 4)\nerror: {}", panic_message(|| x_t.view([6, 4])))?;
    writeln!(out, "# x_t.reshape(6, 4).shape\n{:?}", x_t.reshape([6, 4]).shape())?;

    let x = Tensor::randn(&[3, 4]);
    let (u0, u1, u2) = (x.unsqueeze(0), x.unsqueeze(1), x.unsqueeze(2));
    writeln!(out, "# x.unsqueeze(0/1/2).shape\n{:?} {:?} {:?}", u0.shape(), u1.shape(), u2.shape())?;
    let x = Tensor::randn(&[1, 3, 1, 4, 1]);
    let (all, s0, s2) = (x.squeeze(), x.squeeze_dim(0), x.squeeze_dim(2));
    writeln!(out, "# x.squeeze() / squeeze(0) / squeeze(2)\n{:?} {:?} {:?}", all.shape(), s0.shape(), s2.shape())?;
    let x = Tensor::randn(&[2, 3, 4]);
    let (f, f1) = (x.flatten(0, -1), x.flatten(1, -1));
    writeln!(out, "# x.flatten() / x.flatten(start_dim=1)\n{:?} {:?}", f.shape(), f1.shape())?;
    let u = Tensor::arange_i64(24).unflatten(0, [2, 3, 4]);
    writeln!(out, "# torch.unflatten(torch.arange(24), 0, (2, 3, 4))\n{u}")?;
    let x = Tensor::randn(&[2, 3, 4]);
    let (t, p) = (x.transpose(1, 2), x.permute([2, 0, 1]));
    writeln!(out, "# x.transpose(1, 2) / x.permute(2, 0, 1)\n{:?} {:?}", t.shape(), p.shape())?;
    let m = Tensor::randn(&[3, 4]);
    writeln!(out, "# m.t()\n{:?}", m.t().shape())?;
    let x = Tensor::randn(&[1, 3]);
    writeln!(out, "# x = torch.randn(1, 3)\n{x}")?;
    let e = x.expand([4, 3]); // a view: stride 0 along the new rows, no copy
    writeln!(out, "# x.expand(4, 3)\n{e}")?;
    writeln!(out, "# x.repeat(4, 1).shape\n{:?}", x.repeat([4, 1]).shape())?;
    let (a, b) = (tensor![1, 2, 3], tensor![4, 5, 6]);
    writeln!(out, "# torch.stack([a, b], dim=0)\n{}", Tensor::stack(&[&a, &b], 0))?;
    writeln!(out, "# torch.cat([a, b], dim=0)\n{}", Tensor::cat(&[&a, &b], 0))
}

/// `@`, whole-tensor and per-dimension reductions.
fn products_and_reductions(out: &mut String) -> fmt::Result {
    writeln!(out, "## Matrix products and reductions")?;
    let a = Tensor::arange(6.0).reshape([2, 3]);
    let b = Tensor::arange(12.0).reshape([3, 4]);
    writeln!(out, "# a @ b\n{}", a.matmul(&b))?;
    writeln!(out, "# a.sum(), a.mean(), a.max()\n{} {} {}", a.sum(), a.mean(), a.max())?;
    writeln!(out, "# a.sum(dim=0), a.mean(dim=1, keepdim=True)\n{}\n{}", a.sum_dim(0, false), a.mean_dim(1, true))?;
    writeln!(out, "# a.argmax(dim=1)\n{}", a.argmax_dim(1, false))
}

/// The primer's activation functions, as layers and as tensor methods.
fn activations(out: &mut String) -> fmt::Result {
    writeln!(out, "## Activations")?;
    let x = Tensor::randn(&[10]);
    writeln!(out, "# x = torch.randn(10)\n{x}")?;
    writeln!(out, "# nn.ReLU()(x)\n{}", ReLU.forward(&x))?;
    writeln!(out, "# torch.sigmoid(x)\n{}", x.sigmoid())?;
    writeln!(out, "# torch.tanh(x)\n{}", x.tanh())?;
    writeln!(out, "# nn.LeakyReLU(0.1)(x)\n{}", LeakyReLU::new(0.1).forward(&x))?;
    writeln!(out, "# nn.GELU()(x)\n{}", GELU::new().forward(&x))
}

/// NumPy's role is played by plain Rust data: `to_vec` copies out, `from_vec` takes a `Vec`
/// without copying, `with_slice(_mut)` borrows the storage in place, and `shallow_clone` is a
/// second handle onto the same storage (what `b = a.numpy()` shares in PyTorch).
fn rust_data(out: &mut String) -> fmt::Result {
    writeln!(out, "## Bridge to Rust data (NumPy's role)")?;
    let a = Tensor::ones(&[5]);
    let copied: Vec<f32> = a.to_vec(); // a copy: later writes to `a` do not reach it
    let b = a.shallow_clone(); // shares a's storage, as a.numpy() does
    writeln!(out, "# b = a.numpy()\n{:?}", b.to_vec::<f32>())?;
    a.add_(1.0);
    writeln!(out, "# a.add_(1); a, b\n{a}\n{:?}", b.to_vec::<f32>())?;
    writeln!(out, "# (the copy from to_vec is unchanged)\n{copied:?}")?;
    let total = a.with_slice(|s: &[f32]| s.iter().sum::<f32>()); // read in place, no copy
    writeln!(out, "# a.numpy().sum()\n{total}")?;
    // torch.from_numpy(np.ones(5)): the Vec becomes the storage.
    let c = Tensor::from_vec(vec![1.0f32; 5], &[5]);
    c.with_slice_mut(|s: &mut [f32]| s[0] = 7.0); // np_array[0] = 7 seen by the tensor
    writeln!(out, "# c = torch.from_numpy(np.ones(5)); np_array[0] = 7; c\n{c}")
}

/// Devices: `try_gpu` falls back to the CPU, and asking for CUDA explicitly is a clear error.
fn devices(out: &mut String) -> fmt::Result {
    writeln!(out, "## Devices")?;
    writeln!(out, "# torch.cuda.is_available(), torch.cuda.device_count()\n{} {}", py_bool(device_count() > 0), device_count())?;
    let device = try_gpu(0); // torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    let x = Tensor::randn(&[3, 4]).to(device).expect("try_gpu returns a device that exists");
    writeln!(out, "# x = torch.randn(3, 4).to(device); x.device\n{}", x.device())?;
    match x.to(Device::Cuda(0)) {
        Ok(x_gpu) => writeln!(out, "# x.to('cuda').device\n{}", x_gpu.device()),
        Err(e) => writeln!(out, "# x.to('cuda')\nerror: {e}"),
    }
}

/// `True`/`False`, as Python prints a bool.
fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// Runs `f`, which must panic, and returns its panic message without printing it.
fn panic_message<T>(f: impl FnOnce() -> T) -> String {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    match result {
        Ok(_) => "no error".to_owned(),
        Err(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    }
}

/// Everything the example prints, after `manual_seed(0)`.
pub fn transcript() -> String {
    manual_seed(0);
    let mut out = String::new();
    let sections: [fn(&mut String) -> fmt::Result; 9] = [
        creation,
        arithmetic,
        broadcasting,
        indexing,
        reshaping,
        products_and_reductions,
        activations,
        rust_data,
        devices,
    ];
    for section in sections {
        section(&mut out).expect("writing to a String cannot fail");
    }
    out
}

#[allow(dead_code)] // the integration test includes this file as a module and calls `transcript`
fn main() {
    print!("{}", transcript());
}
