//! `summary()`, `graph_dot()` and `STATE_DICT_KEYS` of `network!` types.

use fusenet::nn::{BatchNorm2d, Conv2d, ConvOptions, Embedding, Flatten, LayerNorm, Linear, MaxPool2d, ReLU};
use fusenet::prelude::*;

use crate::seed_networks::{FixedHiddenMlp, Mlp, NestMlp, NestNet, Tied};

network! {
    pub struct LeNet = Sequential(
        Conv2d<1, 6, 5> = Conv2d::new().padding(2),
        ReLU,
        MaxPool2d = MaxPool2d::new(2),
        Conv2d<6, 16, 5>,
        ReLU,
        MaxPool2d = MaxPool2d::new(2),
        Flatten,
        Linear<_, 120>,
        ReLU,
        Linear<120, 84>,
        ReLU,
        Linear<84, 10>,
    ) : [B, 1, 28, 28];
}

network! {
    /// Params, a persistent and a non-persistent buffer, norms, an embedding, a bias-free linear
    /// and an array of layers under a flattened rename.
    pub struct Mixed {
        emb: Embedding<10, 8>,
        #[init(zeros)] scale: Param<[8]>,
        #[init(zeros)] stat: Buffer<[8]>,
        #[init(zeros)] #[persistent = false] scratch: Buffer<[8]>,
        norm: LayerNorm = LayerNorm::new(&[8]),
        proj: Linear<8, 8> = Linear::no_bias(),
        #[module(flatten, rename = "block {}")] blocks: [Linear<8, 8>; 2],
    }
    fn forward(x: [B, 3]) -> [B, 3, 8] {
        let mut h = norm(emb(x) * scale);
        for b in blocks { h = relu(b(h)); }
        proj(h)
    }
}

network! {
    pub struct ConvBn {
        conv: Conv2d<3, 4, 3> = Conv2d::with_options(ConvOptions::default().padding(1).bias(false)),
        bn: BatchNorm2d<4>,
        layers: [Linear<8, 8>; 2],
    }
    fn forward(x: [B, 3, 8, 8]) -> [B, 4, 8, 8] {
        let mut h = relu(bn(conv(x)));
        for l in layers { h = l(h); }
        h
    }
}

#[test]
fn lenet_summary_verbatim() {
    let net = LeNet::new();
    let want = "\
LeNet (input [B, 1, 28, 28])
==============================================
Layer (type)          Output Shape     Param #
==============================================
0 (Conv2d<1, 6, 5>)   [B, 6, 28, 28]       156
1 (ReLU)              [B, 6, 28, 28]         0
2 (MaxPool2d)         [B, 6, 14, 14]         0
3 (Conv2d<6, 16, 5>)  [B, 16, 10, 10]    2,416
4 (ReLU)              [B, 16, 10, 10]        0
5 (MaxPool2d)         [B, 16, 5, 5]          0
6 (Flatten)           [B, 400]               0
7 (Linear<400, 120>)  [B, 120]          48,120
8 (ReLU)              [B, 120]               0
9 (Linear<120, 84>)   [B, 84]           10,164
10 (ReLU)             [B, 84]                0
11 (Linear<84, 10>)   [B, 10]              850
==============================================
Total params: 61,706
";
    assert_eq!(net.summary(), want);
    assert_eq!(net.num_parameters(), 61_706);
}

#[test]
fn mlp_summary_verbatim() {
    let net = Mlp::new();
    let want = "\
Mlp (input [B, 20])
===============================================
Layer (type)              Output Shape  Param #
===============================================
hidden (Linear<20, 256>)  [B, 256]        5,376
relu                      [B, 256]            0
out (Linear<256, 10>)     [B, 10]         2,570
===============================================
Total params: 7,946
";
    assert_eq!(net.summary(), want);
    assert_eq!(net.num_parameters(), 20 * 256 + 256 + 256 * 10 + 10);
}

/// Every `network!` whose keys are all known at expansion time: the const equals the run time keys.
#[test]
fn state_dict_keys_const_matches_run_time() {
    fn same(c: &[&str], keys: Vec<String>) {
        assert_eq!(c, keys.iter().map(String::as_str).collect::<Vec<_>>());
    }
    same(LeNet::STATE_DICT_KEYS, LeNet::new().state_dict_keys());
    same(Mlp::STATE_DICT_KEYS, Mlp::new().state_dict_keys());
    same(NestNet::STATE_DICT_KEYS, NestNet::new().state_dict_keys());
    same(FixedHiddenMlp::STATE_DICT_KEYS, FixedHiddenMlp::new().state_dict_keys());
    same(Tied::STATE_DICT_KEYS, Tied::new().state_dict_keys());
    same(Mixed::STATE_DICT_KEYS, Mixed::new().state_dict_keys());
    same(ConvBn::STATE_DICT_KEYS, ConvBn::new().state_dict_keys());
    assert_eq!(Tied::STATE_DICT_KEYS, ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "6.weight", "6.bias"]);
    assert_eq!(
        Mixed::STATE_DICT_KEYS,
        ["scale", "stat", "emb.weight", "norm.weight", "norm.bias", "proj.weight", "block 0.weight", "block 0.bias", "block 1.weight", "block 1.bias"]
    );
    assert_eq!(
        ConvBn::STATE_DICT_KEYS,
        ["conv.weight", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked", "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    );
}

/// Summaries of networks with shared layers, loops, Params and opaque layers: the total equals
/// `num_parameters()`.
#[test]
fn summary_totals_equal_num_parameters() {
    fn total(s: &str) -> usize {
        let line = s.lines().find_map(|l| l.strip_prefix("Total params: ")).expect("a total line");
        line.replace(',', "").parse().expect("a number")
    }
    for (s, n) in [
        (NestMlp::new().summary(), NestMlp::new().num_parameters()),
        (FixedHiddenMlp::new().summary(), FixedHiddenMlp::new().num_parameters()),
        (Tied::new().summary(), Tied::new().num_parameters()),
        (Mixed::new().summary(), Mixed::new().num_parameters()),
        (ConvBn::new().summary(), ConvBn::new().num_parameters()),
    ] {
        println!("{s}");
        assert_eq!(total(&s), n, "{s}");
    }
    assert!(Tied::new().summary().contains("(recursive)"));
}

/// The DOT text is a `digraph` with balanced braces, one forward and one backward cluster,
/// every edge between declared nodes, and the expected node count.
#[test]
fn graph_dot_structure() {
    fn nodes(dot: &str) -> Vec<String> {
        dot.lines().filter(|l| l.contains("[label=")).map(|l| l.trim().split(' ').next().unwrap_or("").to_string()).collect()
    }
    for (dot, fwd, bwd) in [(LeNet::graph_dot(), 13, 13), (Mlp::graph_dot(), 4, 4)] {
        println!("{dot}");
        assert!(dot.starts_with("digraph "), "{dot}");
        assert_eq!(dot.matches('{').count(), dot.matches('}').count());
        assert!(dot.contains("subgraph cluster_forward {") && dot.contains("subgraph cluster_backward {"));
        let ns = nodes(&dot);
        assert_eq!(ns.iter().filter(|n| n.starts_with('f')).count(), fwd, "{dot}");
        assert_eq!(ns.iter().filter(|n| n.starts_with('b')).count(), bwd, "{dot}");
        assert!(ns.contains(&"grad_out".to_string()));
        for l in dot.lines().filter(|l| l.contains(" -> ")) {
            let mut parts = l.trim().trim_end_matches(';').split(" -> ");
            let a = parts.next().unwrap_or("");
            let b = parts.next().unwrap_or("").split(' ').next().unwrap_or("");
            assert!(ns.iter().any(|n| n == a) && ns.iter().any(|n| n == b), "edge to an undeclared node: {l}");
        }
    }
    // What was fused: Linear + ReLU is one GEMM with its epilogue, and ReLU's derivative is
    // applied in the pass that sums the bias gradient.
    let dot = Mlp::graph_dot();
    assert!(dot.contains("label=\"fused: GEMM + epilogue\"") && dot.contains("label=\"fused: mask + bias grad\""), "{dot}");
    let dot = FixedHiddenMlp::graph_dot();
    assert!(dot.contains("label=\"fused: one pass\""), "relu(mm(x, w) + 1.0) is one pass: {dot}");
    assert!(dot.contains("subgraph cluster_forward_loop") && dot.contains("subgraph cluster_backward_loop"), "{dot}");
}

/// The DOT text is valid Graphviz: `dot -Tsvg` accepts it (skipped with a note when Graphviz is not installed).
#[test]
fn graph_dot_renders_with_graphviz() {
    let Ok(mut child) = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        println!("skipped: Graphviz `dot` is not installed");
        return;
    };
    use std::io::Write;
    child.stdin.take().expect("stdin").write_all(LeNet::graph_dot().as_bytes()).expect("write");
    let out = child.wait_with_output().expect("dot runs");
    assert!(out.status.success(), "dot rejected the graph: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
}
