//! The machinery every optimiser shares: groups, per-parameter state, the step loop.
//!
//! An optimiser is [`Optim<R>`] for an [`UpdateRule`] `R` that says how one parameter is updated;
//! [`Sgd`](super::Sgd), [`Adam`](super::Adam), ... are aliases with builder methods of their own.

use super::json::{self, Obj};
use super::state::{self, OptimizerState};
use super::{Optimizer, ParamGroup};
use crate::error::Result;
use crate::param::Param;
use crate::tensor::DType;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The state of one parameter: PyTorch's `optimizer.state[p]`. `buffers[k]` is the buffer named
/// `R::BUFFERS[k]`, `None` until the update first needs it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamState {
    /// PyTorch's `state["step"]`, a float32 counter (only for rules with `HAS_STEP`).
    pub step: f32,
    pub buffers: [Option<Vec<f32>>; 3],
}

impl ParamState {
    /// The buffer at `k`, created as `numel` copies of `init` if absent.
    pub fn buffer(&mut self, k: usize, numel: usize, init: f32) -> &mut Vec<f32> {
        self.buffers[k].get_or_insert_with(|| vec![init; numel])
    }
}

/// How one parameter is updated, plus what a saved state holds for it.
pub trait UpdateRule: 'static {
    /// The group's hyper-parameters besides `lr`.
    type Options: Clone + std::fmt::Debug + PartialEq;
    /// PyTorch's class name (`"SGD"`), stored in the state dict.
    const NAME: &'static str;
    /// Names of the state buffers, as PyTorch's `state[p]` keys (at most three).
    const BUFFERS: &'static [&'static str];
    /// The buffers a saved state must hold for a parameter that has state at all.
    const REQUIRED: &'static [&'static str];
    /// Whether the state has a `step` counter.
    const HAS_STEP: bool;

    /// PyTorch's defaults.
    fn default_options() -> Self::Options;
    /// The checks PyTorch's constructor makes on single values, with its messages.
    fn check(lr: f64, o: &Self::Options) -> std::result::Result<(), String>;
    /// Checks across values (SGD's nesterov), made at `step` and when a group is added, so that
    /// builder methods may come in any order.
    fn check_combination(o: &Self::Options) -> std::result::Result<(), String> {
        let _ = o;
        Ok(())
    }
    fn options_to_json(o: &Self::Options, out: &mut Obj);
    fn options_from_json(m: &Obj) -> std::result::Result<Self::Options, String>;
    /// `Some(lr as f32)` when the update with these options is `p ← p − lr·grad` (no state), so
    /// that it may be applied inside the backward (see [`FusedUpdate`](super::FusedUpdate)).
    fn plain_lr(lr: f64, o: &Self::Options) -> Option<f32> {
        let _ = (lr, o);
        None
    }
    /// The state a parameter has before its first step, for rules where PyTorch creates it in the
    /// constructor (Adagrad); `None` for lazily created state.
    fn initial_state(numel: usize, o: &Self::Options) -> Option<ParamState> {
        let _ = (numel, o);
        None
    }
    /// One update of `p` from `g`, creating missing buffers.
    fn update(p: &mut [f32], g: &[f32], st: &mut ParamState, lr: f64, o: &Self::Options);
}

/// An optimiser over parameter groups with the update rule `R`.
pub struct Optim<R: UpdateRule> {
    pub(crate) groups: Vec<ParamGroup<R::Options>>,
    pub(crate) defaults: (f64, R::Options),
    pub(crate) state: HashMap<usize, ParamState, BuildHasherDefault<IdHasher>>,
}

/// Hashes a parameter id (the address of its shared state) with one multiply and a fold, where
/// the default SipHash would cost about as much as a tiny layer's update: `step` looks every
/// parameter up once.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_usize(&mut self, id: usize) {
        let h = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // Addresses are aligned: fold the high bits down so the low (bucket) bits vary.
        self.0 = h ^ (h >> 32);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// `x ≥ 0`, false for NaN (PyTorch's `not 0.0 <= x` checks).
pub(crate) fn nonneg(x: f64) -> bool {
    x >= 0.0
}

fn expect_ok(r: std::result::Result<(), String>) {
    if let Err(msg) = r {
        panic!("{msg}");
    }
}

impl<R: UpdateRule> Optim<R> {
    /// An optimiser with one group holding `params`, PyTorch's defaults and learning rate `lr`.
    ///
    /// Panics on an empty parameter list, a duplicate parameter, a parameter that is not f32 or
    /// an invalid `lr`.
    pub fn new<P: Borrow<Param>>(params: impl IntoIterator<Item = P>, lr: f64) -> Optim<R> {
        let options = R::default_options();
        expect_ok(R::check(lr, &options));
        let params: Vec<Param> = params.into_iter().map(|p| p.borrow().share()).collect();
        assert!(!params.is_empty(), "optimizer got an empty parameter list");
        let mut opt = Optim { groups: Vec::new(), defaults: (lr, options.clone()), state: HashMap::default() };
        opt.add_param_group(ParamGroup { params, lr, options });
        opt
    }

    /// A group for `params` with the optimiser's current defaults, to adjust and pass to
    /// [`Optimizer::add_param_group`].
    pub fn default_group<P: Borrow<Param>>(&self, params: impl IntoIterator<Item = P>) -> ParamGroup<R::Options> {
        ParamGroup { params: params.into_iter().map(|p| p.borrow().share()).collect(), lr: self.defaults.0, options: self.defaults.1.clone() }
    }

    /// The learning rate for every group added so far and every later default group.
    pub fn lr(mut self, lr: f64) -> Self {
        expect_ok(R::check(lr, &self.defaults.1));
        self.defaults.0 = lr;
        self.groups.iter_mut().for_each(|g| g.lr = lr);
        self
    }

    /// Applies `set` to the defaults and every group, then checks the values (builder methods).
    pub(crate) fn with_option(mut self, set: impl Fn(&mut R::Options)) -> Self {
        set(&mut self.defaults.1);
        expect_ok(R::check(self.defaults.0, &self.defaults.1));
        for g in &mut self.groups {
            set(&mut g.options);
            expect_ok(R::check(g.lr, &g.options));
        }
        self
    }

    /// The state of `p`, if it has any (PyTorch's `optimizer.state[p]`).
    pub fn state_of(&self, p: &Param) -> Option<&ParamState> {
        self.state.get(&p.id())
    }
}

/// Runs `f` on the parameter's elements (written back) and its grad's, each storage locked once;
/// `None` when the parameter has no grad. A contiguous parameter with a contiguous grad of its
/// own (the normal case) is updated in place with no allocation.
fn with_slices<T>(name: &str, p: &Param, f: impl FnOnce(&mut [f32], &[f32]) -> T) -> Option<T> {
    p.with_value_and_grad(|value, grad| {
        let grad = grad?;
        assert!(value.dtype() == DType::F32, "{name}: can only optimize f32 parameters, got a parameter of dtype {:?}", value.dtype());
        assert!(grad.dtype() == DType::F32, "{name}: the grad of a parameter of shape {:?} has dtype {:?}, expected F32", value.shape(), grad.dtype());
        // A grad that aliases the value (or is strided) is copied, so that the two locks never
        // nest on one storage and the kernel sees contiguous slices.
        let copy;
        let grad = if grad.shares_storage(value) || !grad.is_contiguous() {
            copy = grad.clone();
            &copy
        } else {
            grad
        };
        Some(if value.is_contiguous() {
            value.with_slice_mut(|pv| grad.with_slice(|gv| f(pv, gv)))
        } else {
            let tmp = value.clone();
            let out = tmp.with_slice_mut(|pv| grad.with_slice(|gv| f(pv, gv)));
            value.copy_(&tmp);
            out
        })
    })
}

impl<R: UpdateRule> Optimizer for Optim<R> {
    type Options = R::Options;

    fn as_fused(&self) -> Option<&dyn super::FusedUpdate> {
        Some(self)
    }

    fn step(&mut self) {
        for g in &self.groups {
            expect_ok(R::check(g.lr, &g.options).and_then(|_| R::check_combination(&g.options)));
        }
        for group in &self.groups {
            for p in &group.params {
                let state = &mut self.state;
                with_slices(R::NAME, p, |pv, gv| {
                    let st = state.entry(p.id()).or_insert_with(|| R::initial_state(pv.len(), &group.options).unwrap_or_default());
                    R::update(pv, gv, st, group.lr, &group.options)
                });
            }
        }
    }

    fn param_groups(&self) -> &[ParamGroup<R::Options>] {
        &self.groups
    }

    fn param_groups_mut(&mut self) -> &mut [ParamGroup<R::Options>] {
        &mut self.groups
    }

    fn add_param_group(&mut self, group: ParamGroup<R::Options>) {
        expect_ok(R::check(group.lr, &group.options).and_then(|_| R::check_combination(&group.options)));
        for (i, p) in group.params.iter().enumerate() {
            assert!(
                p.value().dtype() == DType::F32,
                "optimizer can only optimize f32 parameters, but a parameter of shape {:?} has dtype {:?}",
                p.shape(),
                p.value().dtype()
            );
            assert!(!group.params[..i].iter().any(|q| q.same_as(p)), "optimizer contains a parameter group with duplicate parameters");
            assert!(
                !self.groups.iter().flat_map(|g| &g.params).any(|q| q.same_as(p)),
                "some parameters appear in more than one parameter group"
            );
        }
        self.groups.push(group);
    }

    fn state_dict(&self) -> OptimizerState {
        state::save::<R>(self)
    }

    fn load_state_dict(&mut self, saved: &OptimizerState) -> Result<()> {
        state::load::<R>(self, saved)
    }
}

impl<R: UpdateRule> std::fmt::Debug for Optim<R> {
    /// As PyTorch prints an optimiser: the class name and each group's hyper-parameters.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} (", R::NAME)?;
        for (i, g) in self.groups.iter().enumerate() {
            let mut m = Obj::new();
            m.insert("lr".into(), json::num(g.lr));
            R::options_to_json(&g.options, &mut m);
            writeln!(f, "Parameter Group {i}")?;
            for (k, v) in m {
                writeln!(f, "    {k}: {v}")?;
            }
        }
        write!(f, ")")
    }
}
