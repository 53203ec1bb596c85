//! Checkpoints resume a run exactly, and bad checkpoints are typed errors.

use fusenet::data::{DataLoader, TensorDataset};
use fusenet::nn::Linear;
use fusenet::nn::loss::CrossEntropyLoss;
use fusenet::optim::{Optimizer, Sgd};
use fusenet::rng::{self, Generator};
use fusenet::train::{Checkpoint, train_epoch};
use fusenet::{DType, Error, Module, Tensor, manual_seed};

fn data() -> TensorDataset<(Tensor, Tensor)> {
    manual_seed(11);
    let x = Tensor::randn(&[40, 4]);
    let y = Tensor::randint(0, 3, &[40]);
    TensorDataset::new((x, y))
}

type Loader = DataLoader<TensorDataset<(Tensor, Tensor)>, (Tensor, Tensor)>;

fn run(net: &mut Linear<4, 3>, opt: &mut Sgd, loader: &Loader, epochs: usize) {
    let mut ctx = Default::default();
    for _ in 0..epochs {
        train_epoch(net, &mut ctx, opt, &CrossEntropyLoss::new(), loader, |_, _| {}).unwrap();
    }
}

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("fusenet-{name}-{}.safetensors", std::process::id()))
}

#[test]
fn resumed_run_equals_uninterrupted_run() {
    // Uninterrupted: 4 epochs.
    manual_seed(0);
    let mut net = Linear::<4, 3>::new();
    let mut opt = Sgd::new(net.parameters(), 0.1).momentum(0.9);
    let loader = DataLoader::new(data(), 8).shuffle(true).seed(5);
    run(&mut net, &mut opt, &loader, 4);
    let want = net.state_dict();

    // Interrupted after 2 epochs, saved, and continued from the file by fresh objects.
    manual_seed(0);
    let mut net = Linear::<4, 3>::new();
    let mut opt = Sgd::new(net.parameters(), 0.1).momentum(0.9);
    let loader = DataLoader::new(data(), 8).shuffle(true).seed(5);
    run(&mut net, &mut opt, &loader, 2);
    let path = temp("resume");
    let ck = Checkpoint {
        epoch: 2,
        model: net.state_dict(),
        optimizer: opt.state_dict(),
        rng: rng::get_rng_state(),
        loader_rng: loader.generator_state().map(|g| g.get_state()),
    };
    ck.save(&path).unwrap();
    drop((net, opt, loader));

    manual_seed(1234); // a different state, which the checkpoint must replace
    let ck = Checkpoint::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(ck.epoch, 2);
    let mut net = Linear::<4, 3>::new();
    net.load_state_dict(&ck.model).unwrap();
    let mut opt = Sgd::new(net.parameters(), 0.1).momentum(0.9);
    opt.load_state_dict(&ck.optimizer).unwrap();
    assert!(rng::set_rng_state(&ck.rng));
    let g = Generator::from_state(ck.loader_rng.as_ref().expect("the loader has a generator")).unwrap();
    let loader = DataLoader::new(data(), 8).shuffle(true).generator(g);
    run(&mut net, &mut opt, &loader, 2);

    for ((k, a), (_, b)) in want.iter().zip(net.state_dict().iter()) {
        assert_eq!(a.to_vec::<f32>(), b.to_vec::<f32>(), "{k} differs after resuming");
    }
}

#[test]
fn checkpoint_of_another_architecture_is_a_typed_error() {
    let other = Linear::<5, 3>::new();
    let opt = Sgd::new(other.parameters(), 0.1);
    let path = temp("other-arch");
    Checkpoint { epoch: 1, model: other.state_dict(), optimizer: opt.state_dict(), rng: rng::get_rng_state(), loader_rng: None }
        .save(&path)
        .unwrap();
    let ck = Checkpoint::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let mut net = Linear::<4, 3>::new();
    let err = net.load_state_dict(&ck.model).expect_err("shapes differ");
    assert!(matches!(err, Error::LoadStateDict(_)), "{err}");
    assert!(err.to_string().contains("weight"), "{err}");
}

#[test]
fn a_plain_state_dict_file_is_not_a_checkpoint() {
    let path = temp("not-a-checkpoint");
    fusenet::io::save_state_dict(&path, &Linear::<2, 2>::new().state_dict()).unwrap();
    let err = Checkpoint::load(&path).expect_err("no epoch");
    std::fs::remove_file(&path).unwrap();
    assert!(err.to_string().contains("not a fusenet checkpoint"), "{err}");
    assert!(err.to_string().contains("not-a-checkpoint"), "the message names the file: {err}");
}

#[test]
fn damaged_generator_state_is_an_error() {
    let path = temp("bad-rng");
    let mut tensors = fusenet::StateDict::new();
    tensors.insert("rng.default.words", Tensor::zeros_dtype(&[3], DType::I64));
    let mut meta = fusenet::io::Metadata::new();
    meta.insert("fusenet.epoch".into(), "1".into());
    for (k, v) in [("index", "0"), ("seed", "0"), ("next_normal", "none")] {
        meta.insert(format!("rng.default.{k}"), v.into());
    }
    fusenet::io::save_state_dict_with_metadata(&path, &tensors, &meta).unwrap();
    let err = Checkpoint::load(&path).expect_err("3 words are not a generator");
    std::fs::remove_file(&path).unwrap();
    assert!(err.to_string().contains("not a valid generator state"), "{err}");
}
