//! d2l 5.5 "File I/O", in Rust: tensors, lists and dicts to files and back, then an MLP's state
//! dict saved, loaded into a fresh clone, and the outputs compared. Files are safetensors, which
//! PyTorch reads with `safetensors.torch.load_file`.
//! Run with `cargo run --release --example read_write`.

use fusenet::io;
use fusenet::nn::Linear;
use fusenet::prelude::*;

/// d2l's MLP: `hidden = Linear(20, 256)`, `output = Linear(256, 10)`.
#[derive(Module)]
#[module(name = "MLP")]
struct Mlp {
    hidden: Linear<20, 256>,
    output: Linear<256, 10>,
}

impl Mlp {
    fn new() -> Mlp {
        Mlp { hidden: Linear::new(), output: Linear::new() }
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        self.output.forward(&self.hidden.forward(x).relu())
    }
}

fn main() -> fusenet::Result<()> {
    let dir = std::env::temp_dir().join(format!("fusenet-read-write-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|source| fusenet::Error::Io { path: dir.clone(), source })?;

    // A tensor.
    let x = Tensor::arange_i64(4);
    io::save(dir.join("x-file"), &x)?;
    let x2 = io::load(dir.join("x-file"))?;
    println!("x2 = {x2}");

    // A list of tensors.
    let y = Tensor::zeros(&[4]);
    io::save_list(dir.join("x-files"), &[&x, &y])?;
    let loaded = io::load_list(dir.join("x-files"))?;
    println!("(x2, y2) = ({}, {})", loaded[0], loaded[1]);

    // A dict of tensors.
    io::save_dict(dir.join("mydict"), [("x", &x), ("y", &y)])?;
    let mydict2 = io::load_dict(dir.join("mydict"))?;
    println!("mydict2 = {mydict2}");

    // Model parameters.
    let net = Mlp::new();
    let x = Tensor::randn(&[2, 20]);
    let y = net.forward(&x);
    io::save_state_dict(dir.join("mlp.params"), &net.state_dict())?;

    let mut clone = Mlp::new();
    clone.load_state_dict(&io::load_state_dict_file(dir.join("mlp.params"))?)?;
    clone.eval();
    println!("{clone}");

    let y_clone = clone.forward(&x);
    println!("Y_clone == Y:\n{}", y_clone.eq(&y));

    std::fs::remove_dir_all(&dir).map_err(|source| fusenet::Error::Io { path: dir.clone(), source })?;
    Ok(())
}
