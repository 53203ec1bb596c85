//! The primer examples (`examples/tensor_basics.rs`, `nn_module_basics.rs`, `containers.rs`)
//! print what PyTorch prints. Each example file is compiled here as a module and its
//! `transcript()` (everything `main` prints) is checked against blocks that PyTorch printed for the
//! same Python after `torch.manual_seed(0)` and the same sequence of draws (the Python of each
//! block is its `# ...` heading line, which the transcript carries too).

#[path = "../../examples/containers.rs"]
mod containers;
#[path = "../../examples/nn_module_basics.rs"]
mod nn_module_basics;
#[path = "../../examples/tensor_basics.rs"]
mod tensor_basics;

/// Asserts that `transcript` contains each block, in the given order.
fn assert_blocks_in_order(transcript: &str, blocks: &[&str]) {
    let mut from = 0;
    for block in blocks {
        match transcript[from..].find(block) {
            Some(i) => from += i + block.len(),
            None => panic!("missing (or out of order) in the transcript:\n{block}\n--- transcript ---\n{transcript}"),
        }
    }
}

#[test]
fn tensor_basics_prints_what_torch_prints() {
    let t = tensor_basics::transcript();
    assert_blocks_in_order(
        &t,
        &[
            "# torch.rand(2, 2)\ntensor([[0.4963, 0.7682],\n        [0.0885, 0.1320]])\n",
            "# torch.randn(2, 2)\ntensor([[-2.1788,  0.5684],\n        [-1.0845, -1.3986]])\n",
            "# torch.arange(0, 10, 2)\ntensor([0, 2, 4, 6, 8])\n",
            "# torch.tensor([5.5, 3])\ntensor([5.5000, 3.0000])\n",
            "# torch.randn_like(x)\ntensor([[ 0.4033,  0.8380, -0.7193],\n        [-0.4033, -0.5966,  0.1820]])\n",
            "# x - y\ntensor([ 2,  0, -2])\n",
            "# x / y\ntensor([3.0000, 1.0000, 0.3333])\n",
            "# y.add_(x)\ntensor([4, 4, 4])\n",
            "# x.mul_(5)\ntensor([ 45.,  95., 145.])\n",
            "# x.div_(2)\ntensor([22.5000, 47.5000, 72.5000])\n",
            "# torch.arange(3).reshape(3, 1) + torch.arange(2)\ntensor([[0, 1],\n        [1, 2],\n        [2, 3]])\n",
            "# x[:, 1]\ntensor([0.5529, 0.1852, 0.9320, 0.1507])\n",
            "# x[0, 0] = 100; x[:, 2] = 0\ntensor([[1.0000e+02, 5.5291e-01, 0.0000e+00],\n        [3.6165e-02, 1.8523e-01, 0.0000e+00],\n",
            "# x_t.view(6, 4)\nerror: view size is not compatible with input tensor's size and stride (at least one \
             dimension spans across two contiguous subspaces). Use .reshape(...) instead.\n",
            "# x.squeeze() / squeeze(0) / squeeze(2)\n[3, 4] [3, 1, 4, 1] [1, 3, 4, 1]\n",
            "tensor([[[ 0,  1,  2,  3],\n         [ 4,  5,  6,  7],\n         [ 8,  9, 10, 11]],\n\n        [[12, 13, 14, 15],",
            "# x.expand(4, 3)\ntensor([[-0.1635, -0.2505, -1.0882],\n        [-0.1635, -0.2505, -1.0882],\n",
            "# a @ b\ntensor([[20., 23., 26., 29.],\n        [56., 68., 80., 92.]])\n",
            "# a.sum(), a.mean(), a.max()\ntensor(15.) tensor(2.5000) tensor(5.)\n",
            "# nn.GELU()(x)\ntensor([ 0.0022,  0.1378, -0.1690, -0.1688,  1.3153,  1.9162,  0.5979,  1.9435,\n         0.5485, -0.1538])\n",
            "# a.add_(1); a, b\ntensor([2., 2., 2., 2., 2.])\n[2.0, 2.0, 2.0, 2.0, 2.0]\n",
        ],
    );
    // The NumPy-bridge copy is a copy; the device section falls back to the CPU.
    assert!(t.contains("# (the copy from to_vec is unchanged)\n[1.0, 1.0, 1.0, 1.0, 1.0]\n"));
    assert!(t.contains("# x = torch.randn(3, 4).to(device); x.device\ncpu\n") || fusenet::device::device_count() > 0);
}

#[test]
fn nn_module_basics_prints_what_torch_prints() {
    let t = nn_module_basics::transcript();
    assert_blocks_in_order(
        &t,
        &[
            "# print(relu)\nReluLayer()\n",
            "tensor([[1.5410, 0.0000, 0.0000],\n        [0.5684, 0.0000, 0.0000]])\n",
            "# print(fclayer)\nMyFCLayer()\n",
            "tensor([[-0.7508, -7.8421,  1.1279, -3.5463,  2.9585,  4.8345, -7.5527, -9.9616,\n         -2.1877, -4.7738]])\n",
            "tensor([[ 0.2869, -0.2428,  0.5385,  1.6271,  0.3047, -5.5400,  1.3669,  1.4051,\n         -1.5893, -1.6389]])\n",
            "# print(model)\nNeuralNetwork(\n  (flatten): Flatten(start_dim=1, end_dim=-1)\n  (stack): LinearReluStack(\n    \
             (stack): Sequential(\n      (0): Linear(in_features=784, out_features=100, bias=True)\n      (1): ReluLayer()\n      \
             (2): Linear(in_features=100, out_features=100, bias=True)\n      (3): ReluLayer()\n      (4): MyFCLayer()\n    )\n  )\n)\n",
            "tensor([[ 1.2181,  0.0326,  1.0775, -2.0237, -3.6471,  1.8577, -1.2941, -0.7500,\n          1.1437, -1.6080]])\n",
            "# named_parameters\n('0.weight', [100, 25]) ('0.bias', [100]) ('2.weight', [10, 100]) ('2.bias', [10])\n",
            "tensor([-4.4308e-03,  2.0793e-02,  1.7931e-02, -3.4555e-05]) tensor([0., 0., 0., 0.])\n",
            "# mlp[2].apply(xavier_init); mlp[2].weight[0, :4]\ntensor([-0.0382, -0.1710,  0.1392,  0.0293])\n",
            "Linear(in_features=8, out_features=8, bias=True)\nReLU()\nReLU()\nLinear(in_features=8, out_features=1, bias=True)\n",
            "Buffers:\n\trunning_mean: [128]\n\trunning_var: [128]\n\tnum_batches_tracked: []\nParameters:\n\tweight: [128]\n\tbias: [128]\n",
        ],
    );
}

#[test]
fn containers_print_what_torch_prints() {
    let t = containers::transcript();
    assert_blocks_in_order(
        &t,
        &[
            "  (0): Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n  (1): ReLU()\n  \
             (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n",
            "['0.weight', '0.bias', '3.weight', '3.bias']\n",
            "[32, 1]\ntensor([[-0.2116],\n        [-0.2543],\n        [-0.2359]])\n",
            "# print(mlp)\nMySequential(\n  (0): Linear(in_features=25, out_features=100, bias=True)\n",
            "MyModel(\n  (layers): ModuleList(\n    (0-49): 50 x Linear(in_features=100, out_features=100, bias=True)\n  )\n)\n",
            "100 ['layers.49.weight', 'layers.49.bias']\n",
            "tensor([[ 0.0592, -0.1143,  0.0229,  0.1435],\n        [ 0.0592, -0.1143,  0.0229,  0.1435]])\n",
            "(0-2): 3 x Linear(in_features=100, out_features=100, bias=True)",
            "Sequential(\n  (0): Linear(in_features=4, out_features=8, bias=True)\n  (1): ReLU()\n  (2): Linear(in_features=8, out_features=2, bias=True)\n)\n",
            "['conv', 'fc'] ['layers.conv.weight', 'layers.conv.bias', 'layers.fc.weight', 'layers.fc.bias']\n",
            "tensor([[-0.3310, -0.4821, -0.3305,  0.1034,  0.0246,  0.0148, -0.0565, -0.4750,\n          0.1486, -0.2842],\n",
            "    (lrelu): LeakyReLU(negative_slope=0.01)\n    (relu): ReLU()\n",
            "# model(x, 'conv', 'lrelu').shape, [0, 0]\n[1, 10, 4, 4]\ntensor([[-0.0030, -0.0069,  0.6150,  0.0492],\n",
            "# model(x, 'pool', 'relu').shape, [0, 0]\n[1, 10, 2, 2]\ntensor([[0.9277, 1.0247],\n        [2.1276, 1.0735]])\n",
        ],
    );
}
