//! `#[derive(Module)]` and the `Module` trait against PyTorch: architectures and their keys,
//! attributes, `apply`, `ModuleDict`, `ConstKeys`, tied layers and `load_state_dict`.

#[path = "../common/module_support.rs"]
mod module_support;

mod apply;
mod arch;
mod attrs;
mod bn_net;
mod const_keys;
mod dict;
mod load;
mod tied;
