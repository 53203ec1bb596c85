//! `apply` with the seeds' init functions; values equal PyTorch's after the same seeds
//! (`torch.manual_seed(0); net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))`).

use crate::module_support;

use fusenet::init;
use fusenet::nn::{Linear, ReLU};
use fusenet::prelude::*;
use module_support::*;

fn net() -> Seq481 {
    manual_seed(0);
    Seq481(Linear::new(), ReLU, Linear::new())
}

fn row(p: &Param, r: usize) -> Vec<f32> {
    let v = p.value().to_vec::<f32>();
    let cols = p.shape()[1];
    v[r * cols..(r + 1) * cols].to_vec()
}

/// `def init_normal(m): if type(m) == nn.Linear: normal_(m.weight, 0, 0.01); zeros_(m.bias)`
fn init_normal(_: &str, m: &mut dyn Module) {
    if let Some(l) = m.as_linear() {
        init::normal_(l.weight(), 0.0, 0.01);
        if let Some(b) = l.bias() {
            init::zeros_(b);
        }
    }
}

// torch.manual_seed(1); net.apply(init_normal); net[0].weight[0], net[2].weight[0]
#[test]
fn init_normal_equals_torch() {
    let mut net = net();
    manual_seed(1);
    net.apply(&mut init_normal);
    assert_eq!(row(&net.0.weight, 0), [-0.015255958773195744f32, -0.0075023178942501545, -0.006539809051901102, -0.01609484665095806]);
    assert_eq!(
        row(&net.2.weight, 0),
        [
            -0.0042119515128433704f32,
            -0.005107000004500151,
            -0.01572665199637413,
            -0.0012324776034802198,
            0.035869892686605453,
            -0.018312901258468628,
            0.015987003222107887,
            -0.012770070694386959
        ]
    );
    assert!(net.0.bias.as_ref().is_some_and(|b| b.value().to_vec::<f32>() == [0.0; 8]));
}

#[test]
fn init_constant() {
    let mut net = net();
    net.apply(&mut |_, m| {
        if let Some(l) = m.as_linear() {
            init::constant_(l.weight(), 1.0);
            l.bias().into_iter().for_each(init::zeros_);
        }
    });
    assert_eq!(row(&net.0.weight, 0), [1.0; 4]);
    assert_eq!(net.2.bias.as_ref().map(|b| b.value().to_vec::<f32>()), Some(vec![0.0]));
}

// torch.manual_seed(2); net[0].apply(init_xavier); net[2].apply(init_42)
#[test]
fn init_xavier_on_one_layer_and_42_on_another() {
    let mut net = net();
    manual_seed(2);
    net.0.apply(&mut |_, m| {
        if let Some(l) = m.as_linear() {
            init::xavier_uniform_(l.weight(), 1.0);
        }
    });
    net.2.apply(&mut |_, m| {
        if m.is::<Linear<8, 1>>() {
            init::constant_(m.get_parameter("weight").expect("weight"), 42.0);
        }
    });
    assert_eq!(row(&net.0.weight, 0), [0.1622033268213272f32, -0.1682732254266739, 0.1939089596271515, -0.03611748665571213]);
    assert_eq!(row(&net.2.weight, 0), [42.0; 8]);
}

// torch.manual_seed(3); net.apply(my_init)
#[test]
fn my_init_zeroes_small_weights() {
    let mut net = net();
    manual_seed(3);
    let mut printed = Vec::new();
    net.apply(&mut |_, m| {
        if let Some(l) = m.as_linear() {
            // print("Init", *[(name, param.shape) for name, param in m.named_parameters()][0])
            let (name, p) = m.named_parameters().into_iter().next().expect("a parameter");
            printed.push(format!("Init {name} {:?}", p.shape()));
            init::uniform_(l.weight(), -10.0, 10.0);
            let w = l.weight().value();
            w.mul_(&w.abs().ge(5.0).float());
        }
    });
    assert_eq!(printed, ["Init weight [8, 4]", "Init weight [1, 8]"]);
    assert_eq!(row(&net.0.weight, 0), [-9.914730072021484f32, -7.888612747192383, 0.0, -9.46090316772461]);
    assert_eq!(row(&net.0.weight, 1), [0.0f32, -8.797674179077148, 5.43731689453125, 0.0]);
    assert_eq!(row(&net.2.weight, 0), [-7.2127580642700195f32, -8.968962669372559, -8.667083740234375, 0.0, 0.0, -9.913511276245117, 0.0, 0.0]);
}

#[test]
fn apply_is_post_order_with_paths() {
    let mut net = RgNet::new();
    let mut seen = Vec::new();
    net.apply(&mut |path, m| seen.push(format!("{path}:{}", m.type_name())));
    assert_eq!(seen.len(), 1 + 1 + 4 * 5 + 1);
    assert_eq!(seen[..5], ["0.block 0.0:Linear", "0.block 0.1:ReLU", "0.block 0.2:Linear", "0.block 0.3:ReLU", "0.block 0:Sequential"]);
    assert_eq!(seen[seen.len() - 3..], ["0:Sequential", "1:Linear", ":Sequential"]);
}

// shared = nn.Linear(8, 8); t = nn.Sequential(..., shared, ReLU, shared, ...); t.apply(f) calls f
// on Linear, ReLU, Linear, ReLU, ReLU, Linear, Sequential: the second `shared` is skipped.
#[test]
fn apply_visits_a_shared_layer_once() {
    let mut net = Tied::new();
    let mut seen = Vec::new();
    net.apply(&mut |_, m| seen.push(m.type_name()));
    assert_eq!(seen, ["Linear", "ReLU", "Linear", "ReLU", "ReLU", "Linear", "Sequential"]);
}

#[test]
fn downcast_mut_in_apply() {
    let mut net = net();
    net.apply(&mut |_, m| {
        if let Some(l) = m.downcast_mut::<Linear<4, 8>>() {
            l.bias = None;
        }
    });
    assert_eq!(net.state_dict_keys(), ["0.weight", "2.weight", "2.bias"]);
    assert_eq!(net.0.to_string(), "Linear(in_features=4, out_features=8, bias=False)");
}
