//! `StateDict` printing, checked verbatim against Python 3.11 / PyTorch 2.15:
//! `torch.manual_seed(0); net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))`,
//! then `str(net[2].state_dict())` and `str(net.state_dict())` (the literals below are those weights).

use crate::tensor;
use crate::StateDict;

fn layer2() -> StateDict {
    let mut sd = StateDict::new();
    sd.insert("weight", tensor![[0.0186, -0.1813, 0.0598, -0.3301, -0.2555, -0.1823, 0.2231, 0.2073]]);
    sd.insert("bias", tensor![-0.1568]);
    sd
}

#[test]
fn prints_like_python_ordered_dict() {
    assert_eq!(
        layer2().to_string(),
        "OrderedDict([('weight', tensor([[ 0.0186, -0.1813,  0.0598, -0.3301, -0.2555, -0.1823,  0.2231,  \
         0.2073]])), ('bias', tensor([-0.1568]))])"
    );
}

#[test]
fn multi_line_tensors_keep_their_own_indentation() {
    let mut sd = StateDict::new();
    sd.insert(
        "0.weight",
        tensor![
            [-0.0037, 0.2682, -0.4115, -0.3680],
            [-0.1926, 0.1341, -0.0099, 0.3964],
            [-0.0444, 0.1323, -0.1511, -0.0983],
            [-0.4777, -0.3311, -0.2061, 0.0185],
            [0.1977, 0.3000, -0.3390, -0.2177],
            [0.1816, 0.4152, -0.1029, 0.3742],
            [-0.0806, 0.0529, 0.4527, -0.4638],
            [-0.3148, -0.1266, -0.1949, 0.4320]
        ],
    );
    sd.insert("0.bias", tensor![-0.3241, -0.2302, -0.3493, -0.4683, -0.2919, 0.4298, 0.2231, 0.2423]);
    for (k, v) in layer2() {
        sd.insert(format!("2.{k}"), v);
    }
    let expected = "OrderedDict([('0.weight', tensor([[-0.0037,  0.2682, -0.4115, -0.3680],\n        [-0.1926,  0.1341, -0.0099,  0.3964],\n        [-0.0444,  0.1323, -0.1511, -0.0983],\n        [-0.4777, -0.3311, -0.2061,  0.0185],\n        [ 0.1977,  0.3000, -0.3390, -0.2177],\n        [ 0.1816,  0.4152, -0.1029,  0.3742],\n        [-0.0806,  0.0529,  0.4527, -0.4638],\n        [-0.3148, -0.1266, -0.1949,  0.4320]])), ('0.bias', tensor([-0.3241, -0.2302, -0.3493, -0.4683, -0.2919,  0.4298,  0.2231,  0.2423])), ('2.weight', tensor([[ 0.0186, -0.1813,  0.0598, -0.3301, -0.2555, -0.1823,  0.2231,  0.2073]])), ('2.bias', tensor([-0.1568]))])";
    assert_eq!(sd.to_string(), expected);
}

#[test]
fn empty_and_quoted_keys() {
    assert_eq!(StateDict::new().to_string(), "OrderedDict()");
    let mut sd = StateDict::new();
    sd.insert("it's", tensor![1]);
    // str(OrderedDict([("it's", torch.tensor([1]))]))
    assert_eq!(sd.to_string(), "OrderedDict([(\"it's\", tensor([1]))])");
}
