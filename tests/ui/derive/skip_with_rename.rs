use fusenet::Module;

#[derive(Module)]
struct Net {
    #[module(skip, rename = "w")]
    width: usize,
}

fn main() {}
