//! Devices: where a tensor's storage lives, and the boundary a compute backend implements.
//!
//! Only the CPU exists today. The CUDA backend (a later issue) fills in [`device_count`] and
//! implements [`Backend`] for its device buffers; until then every `try_` function falls back to
//! the CPU, and asking for `Cuda(i)` explicitly is an [`Error::Device`].
//!
//! ```
//! use fusenet_runtime::device::{try_all_gpus, try_gpu, Device};
//! let dev = try_gpu(0);                      // d2l's try_gpu(): the CPU when there is no GPU
//! assert_eq!(dev.to_string(), if fusenet_runtime::device::device_count() > 0 { "cuda:0" } else { "cpu" });
//! assert!(!try_all_gpus().is_empty());
//! assert_eq!("cuda:1".parse::<Device>().unwrap(), Device::Cuda(1));
//! ```

use crate::error::{Error, Result};

/// A compute device, as `torch.device`: `cpu` or `cuda:<index>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Device {
    #[default]
    Cpu,
    Cuda(usize),
}

impl Device {
    pub fn is_cpu(self) -> bool {
        self == Device::Cpu
    }

    pub fn is_cuda(self) -> bool {
        matches!(self, Device::Cuda(_))
    }

    /// The device index: `Some(i)` for `Cuda(i)`, `None` for the CPU (as `torch.device.index`).
    pub fn index(self) -> Option<usize> {
        match self {
            Device::Cpu => None,
            Device::Cuda(i) => Some(i),
        }
    }

    /// `Ok(())` when the device exists on this machine, else an [`Error::Device`] that says why.
    pub fn check_available(self) -> Result<()> {
        match self {
            Device::Cpu => Ok(()),
            Device::Cuda(i) => {
                let n = device_count();
                if i < n {
                    Ok(())
                } else if n == 0 {
                    Err(Error::Device(format!(
                        "CUDA device {i} requested but no CUDA device is available \
                         (this build of fusenet has no CUDA backend; use try_gpu({i}) to fall back to the CPU)"
                    )))
                } else {
                    Err(Error::Device(format!(
                        "CUDA device {i} requested but only {n} CUDA device(s) are available (cuda:0..cuda:{})",
                        n - 1
                    )))
                }
            }
        }
    }
}

impl std::fmt::Display for Device {
    /// PyTorch's spelling: `cpu`, `cuda:0`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

impl std::str::FromStr for Device {
    type Err = Error;

    /// Parses `"cpu"`, `"cuda"` (device 0) and `"cuda:<i>"`, as `torch.device(s)` does. Whether the
    /// device exists is not checked here; see [`Device::check_available`].
    fn from_str(s: &str) -> Result<Device> {
        match s.trim() {
            "cpu" => Ok(Device::Cpu),
            "cuda" => Ok(Device::Cuda(0)),
            other => other
                .strip_prefix("cuda:")
                .and_then(|i| i.parse().ok())
                .map(Device::Cuda)
                .ok_or_else(|| Error::Device(format!("invalid device string {s:?}: expected \"cpu\", \"cuda\" or \"cuda:<index>\""))),
        }
    }
}

/// The number of CUDA devices this build can use, as `torch.cuda.device_count()`.
///
/// Always 0 until the CUDA backend exists; that backend replaces the body of the private
/// `cuda_device_count` (probing the driver only when its libraries are present, so that the call
/// never panics).
pub fn device_count() -> usize {
    cuda_device_count()
}

fn cuda_device_count() -> usize {
    0
}

/// d2l's `try_gpu(i)`: `Cuda(i)` if that device exists, else the CPU.
pub fn try_gpu(i: usize) -> Device {
    if i < device_count() { Device::Cuda(i) } else { Device::Cpu }
}

/// d2l's `try_all_gpus()`: every CUDA device, or `[Cpu]` when there is none.
pub fn try_all_gpus() -> Vec<Device> {
    match device_count() {
        0 => vec![Device::Cpu],
        n => (0..n).map(Device::Cuda).collect(),
    }
}

/// The boundary between the runtime and a compute device: memory and transfers.
///
/// Buffers are raw bytes, so the runtime stays dtype- and backend-neutral: a tensor moves to a
/// device as its little-endian element bytes. The CPU implements it with `Vec<u8>`
/// ([`CpuBackend`]); the CUDA backend will implement it with device allocations (and a stream that
/// `synchronize` waits on). Every method returns [`Error::Device`] rather than panicking when the
/// device fails.
pub trait Backend: Send + Sync {
    /// Device memory holding raw bytes.
    type Buffer: Send + Sync;

    /// The device this backend drives.
    fn device(&self) -> Device;

    /// Allocates `bytes` zeroed bytes on the device.
    fn alloc(&self, bytes: usize) -> Result<Self::Buffer>;

    /// Copies `src` from the host into `dst`; the lengths must match.
    fn copy_host_to_device(&self, src: &[u8], dst: &mut Self::Buffer) -> Result<()>;

    /// Copies `src` from the device into `dst` on the host; the lengths must match.
    fn copy_device_to_host(&self, src: &Self::Buffer, dst: &mut [u8]) -> Result<()>;

    /// Waits until every queued operation on the device has finished.
    fn synchronize(&self) -> Result<()>;
}

/// The host as a [`Backend`]: buffers are `Vec<u8>` and copies are `memcpy`.
///
/// ```
/// use fusenet_runtime::device::{Backend, CpuBackend};
/// let cpu = CpuBackend;
/// let mut buf = cpu.alloc(3)?;
/// cpu.copy_host_to_device(&[1, 2, 3], &mut buf)?;
/// let mut back = [0u8; 3];
/// cpu.copy_device_to_host(&buf, &mut back)?;
/// assert_eq!(back, [1, 2, 3]);
/// assert!(cpu.copy_host_to_device(&[1, 2], &mut buf).is_err());
/// # Ok::<(), fusenet_runtime::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuBackend;

impl Backend for CpuBackend {
    type Buffer = Vec<u8>;

    fn device(&self) -> Device {
        Device::Cpu
    }

    fn alloc(&self, bytes: usize) -> Result<Vec<u8>> {
        let mut v = Vec::new();
        v.try_reserve_exact(bytes)
            .map_err(|e| Error::Device(format!("cannot allocate {bytes} bytes on the cpu: {e}")))?;
        v.resize(bytes, 0);
        Ok(v)
    }

    fn copy_host_to_device(&self, src: &[u8], dst: &mut Vec<u8>) -> Result<()> {
        check_len("copy_host_to_device", src.len(), dst.len())?;
        dst.copy_from_slice(src);
        Ok(())
    }

    fn copy_device_to_host(&self, src: &Vec<u8>, dst: &mut [u8]) -> Result<()> {
        check_len("copy_device_to_host", src.len(), dst.len())?;
        dst.copy_from_slice(src);
        Ok(())
    }

    fn synchronize(&self) -> Result<()> {
        Ok(())
    }
}

fn check_len(op: &str, src: usize, dst: usize) -> Result<()> {
    if src == dst {
        Ok(())
    } else {
        Err(Error::Device(format!("{op}: source has {src} bytes but destination has {dst}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_round_trip() {
        for d in [Device::Cpu, Device::Cuda(0), Device::Cuda(3)] {
            assert_eq!(d.to_string().parse::<Device>().unwrap(), d);
        }
        assert_eq!(Device::Cuda(3).to_string(), "cuda:3");
        assert_eq!("cuda".parse::<Device>().unwrap(), Device::Cuda(0));
        for bad in ["gpu", "cuda:", "cuda:-1", "cuda:x", ""] {
            let e = bad.parse::<Device>().unwrap_err();
            assert!(e.to_string().contains("invalid device string"), "{e}");
        }
    }

    #[test]
    fn accessors() {
        assert!(Device::Cpu.is_cpu() && !Device::Cpu.is_cuda());
        assert_eq!(Device::Cuda(2).index(), Some(2));
        assert_eq!(Device::Cpu.index(), None);
        assert_eq!(Device::default(), Device::Cpu);
    }

    #[test]
    fn cpu_backend_alloc_is_zeroed() {
        let buf = CpuBackend.alloc(5).unwrap();
        assert_eq!(buf, vec![0; 5]);
        assert_eq!(CpuBackend.device(), Device::Cpu);
        CpuBackend.synchronize().unwrap();
        let mut out = [0u8; 4];
        assert!(CpuBackend.copy_device_to_host(&buf, &mut out).is_err());
    }
}
