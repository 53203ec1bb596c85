//! Devices: where a tensor's storage lives.

/// A compute device, as `torch.device`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Device {
    #[default]
    Cpu,
    Cuda(usize),
}
