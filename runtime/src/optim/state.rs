//! An optimiser's state dict: per-parameter tensors plus the groups' hyper-parameters.

use super::core::{Optim, ParamState, UpdateRule};
use super::json::{self, Obj};
use crate::error::{Error, Result};
use crate::io::{self, Metadata};
use crate::state_dict::StateDict;
use crate::tensor::{DType, Tensor};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Metadata key holding the optimiser's kind (`"Adam"`).
pub const KIND_KEY: &str = "optimizer";
/// Metadata key holding the groups as JSON: `[{"lr": 0.1, "momentum": 0.9, ..., "params": [0, 1]}]`.
pub const GROUPS_KEY: &str = "param_groups";

/// What [`Optimizer::state_dict`](super::Optimizer::state_dict) returns: PyTorch's
/// `{"state": {...}, "param_groups": [...]}` laid out for a safetensors file.
///
/// - `tensors` has `state.<i>.<name>` for parameter `i` (numbered across groups in order, as
///   PyTorch numbers them) and each state entry: `state.0.step` (0-d f32), `state.0.exp_avg`, ...
/// - `metadata` has [`KIND_KEY`] and [`GROUPS_KEY`] (each group's hyper-parameters and the indices
///   of its parameters, as JSON).
///
/// ```
/// use fusenet_runtime::optim::{Adam, Optimizer};
/// use fusenet_runtime::{Param, Tensor};
/// let w = Param::new(Tensor::ones(&[2]));
/// let mut opt = Adam::new([&w], 1e-3);
/// w.set_grad(Some(Tensor::ones(&[2])));
/// opt.step();
/// let sd = opt.state_dict();
/// assert_eq!(sd.tensors.keys().collect::<Vec<_>>(), ["state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq"]);
/// assert_eq!(sd.metadata["optimizer"], "Adam");
/// ```
#[derive(Debug, Default)]
pub struct OptimizerState {
    pub tensors: StateDict,
    pub metadata: Metadata,
}

impl OptimizerState {
    /// The optimiser kind that wrote this state (`"SGD"`, `"Adam"`, ...).
    pub fn kind(&self) -> Option<&str> {
        self.metadata.get(KIND_KEY).map(String::as_str)
    }

    /// Writes the state as a safetensors file (atomically, as every fusenet save).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        io::save_state_dict_with_metadata(path, &self.tensors, &self.metadata)
    }

    /// Reads a file written by [`OptimizerState::save`].
    pub fn load(path: impl AsRef<Path>) -> Result<OptimizerState> {
        let (tensors, metadata) = io::load_dict_with_metadata(path)?;
        Ok(OptimizerState { tensors, metadata })
    }
}

pub(crate) fn save<R: UpdateRule>(opt: &Optim<R>) -> OptimizerState {
    let mut tensors = StateDict::new();
    let mut groups = Vec::new();
    let mut index = 0usize;
    for g in &opt.groups {
        let mut m = Obj::new();
        m.insert("lr".into(), json::num(g.lr));
        R::options_to_json(&g.options, &mut m);
        let ids: Vec<Value> = (index..index + g.params.len()).map(Value::from).collect();
        m.insert("params".into(), Value::Array(ids));
        groups.push(Value::Object(m));
        for p in &g.params {
            let fresh;
            let st = match opt.state.get(&p.id()) {
                Some(st) => Some(st),
                None => {
                    fresh = R::initial_state(p.numel(), &g.options);
                    fresh.as_ref()
                }
            };
            if let Some(st) = st {
                if R::HAS_STEP {
                    tensors.insert(format!("state.{index}.step"), Tensor::scalar(st.step));
                }
                for (name, b) in R::BUFFERS.iter().zip(&st.buffers) {
                    if let Some(b) = b {
                        tensors.insert(format!("state.{index}.{name}"), Tensor::from_vec(b.clone(), p.shape()));
                    }
                }
            }
            index += 1;
        }
    }
    let mut metadata = Metadata::new();
    metadata.insert(KIND_KEY.into(), R::NAME.into());
    metadata.insert(GROUPS_KEY.into(), Value::Array(groups).to_string());
    OptimizerState { tensors, metadata }
}

fn err(msg: String) -> Error {
    Error::OptimizerState(msg)
}

pub(crate) fn load<R: UpdateRule>(opt: &mut Optim<R>, saved: &OptimizerState) -> Result<()> {
    match saved.kind() {
        Some(k) if k == R::NAME => {}
        Some(k) => return Err(err(format!("the optimizer state dict is for {k}, it cannot be loaded into {}", R::NAME))),
        None => return Err(err(format!("the optimizer state dict has no {KIND_KEY:?} metadata entry"))),
    }
    let text = saved.metadata.get(GROUPS_KEY).ok_or_else(|| err(format!("the optimizer state dict has no {GROUPS_KEY:?} metadata entry")))?;
    let parsed: Value = serde_json::from_str(text).map_err(|e| err(format!("{GROUPS_KEY:?} metadata is not valid JSON: {e}")))?;
    let saved_groups = parsed.as_array().ok_or_else(|| err(format!("{GROUPS_KEY:?} metadata is not a JSON list")))?;
    if saved_groups.len() != opt.groups.len() {
        return Err(err(format!(
            "loaded state dict has a different number of parameter groups ({} saved, {} in the optimizer)",
            saved_groups.len(),
            opt.groups.len()
        )));
    }

    // Group hyper-parameters, and the saved parameter ids mapped to (group, position).
    let mut settings = Vec::new();
    let mut id_map: HashMap<u64, (usize, usize)> = HashMap::new();
    for (gi, (sg, g)) in saved_groups.iter().zip(&opt.groups).enumerate() {
        let m = sg.as_object().ok_or_else(|| err(format!("param group {gi} is not a JSON object")))?;
        let ids = m.get("params").and_then(Value::as_array).ok_or_else(|| err(format!("param group {gi} has no \"params\" list")))?;
        if ids.len() != g.params.len() {
            return Err(err(format!(
                "loaded state dict contains a parameter group that doesn't match the size of optimizer's group: \
                 group {gi} has {} parameters in the state dict and {} in the optimizer",
                ids.len(),
                g.params.len()
            )));
        }
        for (pi, id) in ids.iter().enumerate() {
            let id = id.as_u64().ok_or_else(|| err(format!("param group {gi}: parameter id {id} is not a non-negative integer")))?;
            if id_map.insert(id, (gi, pi)).is_some() {
                return Err(err(format!("parameter id {id} appears twice in the saved param groups")));
            }
        }
        let lr = json::f64_of(m, "lr").map_err(|e| err(format!("param group {gi}: {e}")))?;
        let options = R::options_from_json(m).map_err(|e| err(format!("param group {gi}: {e}")))?;
        R::check(lr, &options).and_then(|_| R::check_combination(&options)).map_err(|e| err(format!("param group {gi}: {e}")))?;
        settings.push((lr, options));
    }

    // Per-parameter state, validated completely before anything changes.
    let mut problems = Vec::new();
    let mut states: HashMap<(usize, usize), ParamState> = HashMap::new();
    let mut has_step: HashMap<(usize, usize), bool> = HashMap::new();
    for (key, t) in saved.tensors.iter() {
        let Some((id, name)) = key.strip_prefix("state.").and_then(|r| r.split_once('.')) else {
            problems.push(format!("unexpected key {key:?} (expected state.<param>.<name>)"));
            continue;
        };
        let Some(&(gi, pi)) = id.parse::<u64>().ok().and_then(|id| id_map.get(&id)) else {
            problems.push(format!("{key}: no param group lists parameter {id}"));
            continue;
        };
        if t.dtype() != DType::F32 {
            problems.push(format!("{key}: dtype {:?}, expected F32", t.dtype()));
            continue;
        }
        let shape = opt.groups[gi].params[pi].shape();
        let st = states.entry((gi, pi)).or_default();
        if name == "step" && R::HAS_STEP {
            if t.numel() != 1 {
                problems.push(format!("{key}: step has shape {:?}, expected a single number", t.shape()));
            } else {
                st.step = t.to_vec::<f32>()[0];
                has_step.insert((gi, pi), true);
            }
        } else if let Some(k) = R::BUFFERS.iter().position(|b| *b == name) {
            if t.shape() != shape {
                problems.push(format!("size mismatch for {key}: shape {:?} in the state dict, the parameter has shape {shape:?}", t.shape()));
            } else {
                st.buffers[k] = Some(t.to_vec::<f32>());
            }
        } else {
            problems.push(format!("{key}: {} keeps no state named {name:?}", R::NAME));
        }
    }
    for (&(gi, pi), st) in &states {
        let index = id_of(&id_map, gi, pi);
        if R::HAS_STEP && !has_step.contains_key(&(gi, pi)) {
            problems.push(format!("state.{index}: the \"step\" entry is missing"));
        }
        for name in R::REQUIRED {
            let k = R::BUFFERS.iter().position(|b| b == name).expect("REQUIRED names a buffer");
            if st.buffers[k].is_none() {
                problems.push(format!("state.{index}: the {name:?} entry is missing"));
            }
        }
    }
    if !problems.is_empty() {
        problems.sort();
        return Err(err(format!("Error(s) in loading the {} state dict:\n\t{}", R::NAME, problems.join("\n\t"))));
    }

    for (g, (lr, options)) in opt.groups.iter_mut().zip(settings) {
        g.lr = lr;
        g.options = options;
    }
    opt.state.clear();
    for ((gi, pi), st) in states {
        opt.state.insert(opt.groups[gi].params[pi].id(), st);
    }
    Ok(())
}

fn id_of(id_map: &HashMap<u64, (usize, usize)>, gi: usize, pi: usize) -> u64 {
    id_map.iter().find(|(_, v)| **v == (gi, pi)).map(|(k, _)| *k).unwrap_or(u64::MAX)
}
