//! Checkpoints: model, optimiser, epoch and generator states in one safetensors file.

use crate::error::{Error, Result};
use crate::io::{self, Metadata};
use crate::optim::OptimizerState;
use crate::rng::GeneratorState;
use crate::state_dict::StateDict;
use crate::tensor::Tensor;
use std::path::Path;

const MODEL: &str = "model.";
const OPTIM: &str = "optim.";
const EPOCH: &str = "fusenet.epoch";

/// Everything a run needs to continue exactly where it stopped: the model's state dict, the
/// optimiser's state, the number of finished epochs, this thread's default generator (dropout
/// masks, shuffles without their own generator) and the data loader's generator.
///
/// The file is one safetensors file, written atomically: keys `model.*` and `optim.*`, the
/// generators' 624-word states as `rng.*.words` (int64), and the rest in the metadata.
///
/// ```
/// use fusenet_runtime::{Module, nn::Linear, optim::{Optimizer, Sgd}, rng, train::Checkpoint};
/// let net = Linear::<2, 1>::new();
/// let opt = Sgd::new(net.parameters(), 0.1);
/// let path = std::env::temp_dir().join(format!("ckpt-doc-{}.safetensors", std::process::id()));
/// let ck = Checkpoint { epoch: 3, model: net.state_dict(), optimizer: opt.state_dict(), rng: rng::get_rng_state(), loader_rng: None };
/// ck.save(&path).unwrap();
/// assert_eq!(Checkpoint::load(&path).unwrap().epoch, 3);
/// # std::fs::remove_file(&path).unwrap();
/// ```
#[derive(Debug)]
pub struct Checkpoint {
    /// Epochs finished when the checkpoint was taken.
    pub epoch: usize,
    pub model: StateDict,
    pub optimizer: OptimizerState,
    /// This thread's default generator ([`crate::rng::get_rng_state`]).
    pub rng: GeneratorState,
    /// The data loader's own generator, if it has one.
    pub loader_rng: Option<GeneratorState>,
}

impl Checkpoint {
    /// Writes the checkpoint (temporary file, fsync, rename).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let mut tensors = StateDict::new();
        let mut meta = Metadata::new();
        for (k, v) in self.model.iter() {
            tensors.insert(format!("{MODEL}{k}"), v.shallow_clone());
        }
        for (k, v) in self.optimizer.tensors.iter() {
            tensors.insert(format!("{OPTIM}{k}"), v.shallow_clone());
        }
        for (k, v) in &self.optimizer.metadata {
            meta.insert(format!("{OPTIM}{k}"), v.clone());
        }
        meta.insert(EPOCH.into(), self.epoch.to_string());
        put_generator(&mut tensors, &mut meta, "rng.default", &self.rng);
        if let Some(g) = &self.loader_rng {
            put_generator(&mut tensors, &mut meta, "rng.loader", g);
        }
        io::save_state_dict_with_metadata(path, &tensors, &meta)
    }

    /// Reads a checkpoint written by [`Checkpoint::save`]. A file that is not one (or is damaged)
    /// is an error naming the file and what is missing.
    pub fn load(path: impl AsRef<Path>) -> Result<Checkpoint> {
        let path = path.as_ref();
        let (tensors, meta) = io::load_dict_with_metadata(path)?;
        let bad = |msg: String| Error::Format { path: path.to_path_buf(), msg };
        let epoch = meta
            .get(EPOCH)
            .ok_or_else(|| bad(format!("not a fusenet checkpoint: no `{EPOCH}` in the metadata")))?
            .parse::<usize>()
            .map_err(|e| bad(format!("`{EPOCH}` is not a number: {e}")))?;
        let mut model = StateDict::new();
        let mut optimizer = OptimizerState::default();
        for (k, v) in tensors.iter() {
            if let Some(key) = k.strip_prefix(MODEL) {
                model.insert(key, v.shallow_clone());
            } else if let Some(key) = k.strip_prefix(OPTIM) {
                optimizer.tensors.insert(key, v.shallow_clone());
            }
        }
        for (k, v) in &meta {
            if let Some(key) = k.strip_prefix(OPTIM) {
                optimizer.metadata.insert(key.to_string(), v.clone());
            }
        }
        let rng = get_generator(&tensors, &meta, "rng.default").map_err(&bad)?.ok_or_else(|| bad("no `rng.default` generator state".into()))?;
        let loader_rng = get_generator(&tensors, &meta, "rng.loader").map_err(&bad)?;
        Ok(Checkpoint { epoch, model, optimizer, rng, loader_rng })
    }
}

fn put_generator(tensors: &mut StateDict, meta: &mut Metadata, name: &str, g: &GeneratorState) {
    let words: Vec<i64> = g.words.iter().map(|&w| w as i64).collect();
    tensors.insert(format!("{name}.words"), Tensor::from_vec(words, &[g.words.len()]));
    meta.insert(format!("{name}.index"), g.index.to_string());
    meta.insert(format!("{name}.seed"), g.seed.to_string());
    // The cached normal sample keeps its exact bits.
    let cached = g.next_normal.map_or_else(|| "none".to_string(), |v| format!("{:016x}", v.to_bits()));
    meta.insert(format!("{name}.next_normal"), cached);
}

fn get_generator(tensors: &StateDict, meta: &Metadata, name: &str) -> std::result::Result<Option<GeneratorState>, String> {
    let Some(words) = tensors.get(&format!("{name}.words")) else {
        return Ok(None);
    };
    if words.dtype() != crate::DType::I64 || words.dim() != 1 {
        return Err(format!("`{name}.words` must be a 1-d int64 tensor, got {:?} {:?}", words.dtype(), words.shape()));
    }
    let words = words.to_vec::<i64>().into_iter().map(|w| u32::try_from(w).map_err(|_| format!("`{name}.words` holds {w}, not a 32-bit word"))).collect::<std::result::Result<Vec<u32>, String>>()?;
    let field = |f: &str| meta.get(&format!("{name}.{f}")).ok_or_else(|| format!("no `{name}.{f}` in the metadata"));
    let index = field("index")?.parse::<usize>().map_err(|e| format!("`{name}.index`: {e}"))?;
    let seed = field("seed")?.parse::<u64>().map_err(|e| format!("`{name}.seed`: {e}"))?;
    let next_normal = match field("next_normal")?.as_str() {
        "none" => None,
        hex => Some(f64::from_bits(u64::from_str_radix(hex, 16).map_err(|e| format!("`{name}.next_normal`: {e}"))?)),
    };
    let state = GeneratorState { words, index, seed, next_normal };
    crate::rng::Generator::from_state(&state).ok_or_else(|| format!("`{name}` is not a valid generator state"))?;
    Ok(Some(state))
}
