//! Moving tensors between devices.

use super::Tensor;
use crate::device::Device;
use crate::error::Result;

impl Tensor {
    /// PyTorch's `x.to(device)`: the tensor on `device`.
    ///
    /// When the tensor is already there, the result is a second handle onto the same storage
    /// (PyTorch returns `self`, so a write through one is seen through the other). Moving to a
    /// device that does not exist is an [`Error::Device`](crate::Error::Device); this build has no
    /// CUDA backend, so every `Cuda(i)` is such an error (use [`try_gpu`](crate::device::try_gpu)
    /// to fall back to the CPU).
    ///
    /// ```
    /// use fusenet_runtime::{Device, Tensor, device::try_gpu};
    /// let x = Tensor::zeros(&[2, 3]);
    /// let y = x.to(Device::Cpu)?;
    /// assert!(y.shares_storage(&x));
    /// let z = x.to(try_gpu(0))?;                  // the CPU when there is no GPU
    /// assert_eq!(z.device(), try_gpu(0));
    /// if fusenet_runtime::device::device_count() == 0 {
    ///     let err = x.to(Device::Cuda(0)).unwrap_err();
    ///     assert!(err.to_string().starts_with("CUDA device 0 requested but no CUDA device is available"));
    /// }
    /// # Ok::<(), fusenet_runtime::Error>(())
    /// ```
    pub fn to(&self, device: Device) -> Result<Tensor> {
        device.check_available()?;
        if device == self.device() {
            return Ok(self.shallow_clone());
        }
        // Reached only once a CUDA backend reports devices: the copy goes through its `Backend`.
        Err(crate::Error::Device(format!(
            "moving a tensor from {} to {device} is not implemented by this build",
            self.device()
        )))
    }
}
