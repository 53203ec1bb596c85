//! Devices without a GPU: the `try_` functions fall back to the CPU, and asking for CUDA is a
//! clear `Error::Device`. (When a CUDA backend lands, these tests adapt through `device_count()`.)

use fusenet::device::{self, Device, device_count, try_all_gpus, try_gpu};
use fusenet::{Error, Tensor};

#[test]
fn try_gpu_falls_back_to_cpu() {
    let n = device_count();
    for i in 0..4 {
        let want = if i < n { Device::Cuda(i) } else { Device::Cpu };
        assert_eq!(try_gpu(i), want);
    }
    let all = try_all_gpus();
    if n == 0 {
        assert_eq!(all, [Device::Cpu]);
    } else {
        assert_eq!(all, (0..n).map(Device::Cuda).collect::<Vec<_>>());
    }
}

#[test]
fn display_matches_torch() {
    assert_eq!(Device::Cpu.to_string(), "cpu");
    assert_eq!(Device::Cuda(0).to_string(), "cuda:0");
    assert_eq!(format!("{}", Device::Cuda(7)), "cuda:7");
    assert_eq!("cuda:2".parse::<Device>().unwrap(), Device::Cuda(2));
    assert!(matches!("tpu".parse::<Device>(), Err(Error::Device(_))));
}

#[test]
fn cuda_without_a_gpu_is_a_device_error() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    let missing = device_count();
    let err = x.to(Device::Cuda(missing)).unwrap_err();
    match &err {
        Error::Device(msg) => {
            let want = format!("CUDA device {missing} requested but ");
            assert!(msg.starts_with(&want), "{msg}");
        }
        other => panic!("expected Error::Device, got {other:?}"),
    }
    if missing == 0 {
        assert!(err.to_string().contains("no CUDA device is available"), "{err}");
        assert!(Device::Cuda(0).check_available().is_err());
    }
    // The tensor is untouched and still usable.
    assert_eq!(x.to_vec::<f32>(), [1.0, 2.0]);
}

#[test]
fn to_the_same_device_is_a_shallow_handle() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let y = x.to(Device::Cpu).unwrap();
    assert!(y.shares_storage(&x));
    assert_eq!(y.device(), Device::Cpu);
    y.with_slice_mut(|s: &mut [f32]| s[0] = 10.0);
    assert_eq!(x.to_vec::<f32>(), [10.0, 2.0, 3.0]);
    // try_gpu's answer is always a valid target.
    let z = x.to(try_gpu(0)).unwrap();
    assert_eq!(z.device(), try_gpu(0));
    assert!(Device::Cpu.check_available().is_ok());
}

#[test]
fn cpu_backend_moves_bytes() {
    use fusenet::device::{Backend, CpuBackend};
    let cpu = CpuBackend;
    assert_eq!(cpu.device(), Device::Cpu);
    let src: Vec<u8> = (0..=255).collect();
    let mut buf = cpu.alloc(src.len()).unwrap();
    cpu.copy_host_to_device(&src, &mut buf).unwrap();
    cpu.synchronize().unwrap();
    let mut back = vec![0u8; 256];
    cpu.copy_device_to_host(&buf, &mut back).unwrap();
    assert_eq!(back, src);
    assert!(matches!(cpu.copy_device_to_host(&buf, &mut [0u8; 3]), Err(Error::Device(_))));
    let _ = device::device_count();
}

/// `module.to(device)`: the CPU keeps the tensors; an absent GPU is an error that changes nothing.
#[test]
fn module_to_device() {
    use fusenet::nn::Linear;
    use fusenet::prelude::*;
    let mut lin = Linear::<3, 2>::new();
    let before = lin.weight.value().to_vec::<f32>();
    lin.to(Device::Cpu).expect("the CPU is always there");
    assert_eq!(lin.weight.value().device(), Device::Cpu);
    if fusenet::device::device_count() == 0 {
        let err = lin.to(Device::Cuda(0)).expect_err("no GPU here");
        assert!(err.to_string().contains("CUDA device 0"), "{err}");
    }
    assert_eq!(lin.weight.value().to_vec::<f32>(), before);
}
