//! Optimiser steps on GPU-resident parameters, in place (`shaders/sgd_step.wgsl`,
//! `shaders/adam_step.wgsl`): the updates of `sigconv.optim`, one fused kernel per step and
//! parameter. Hyper-parameters are rounded to the parameter's dtype, as numpy rounds the Python
//! floats of the CPU update.

use crate::error::{value_error, Result};
use crate::gpu::context::{Gpu, Shader};
use crate::gpu::elementwise::wgsl;
use crate::gpu::resident::{gpu_for_dtype, DeviceArray, Dtype};
use bytemuck::{Pod, Zeroable};

const SGD: Shader = Shader {
    name: "sgd_step",
    source: include_str!("shaders/sgd_step.wgsl"),
};
const ADAM: Shader = Shader {
    name: "adam_step",
    source: include_str!("shaders/adam_step.wgsl"),
};

/// The shaders' `Params`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Uniform {
    len: u32,
    groups_x: u32,
    flags: u32,
    pad: u32,
}

/// SGD's settings for one step (see `sigconv.optim.SGD`).
#[derive(Debug, Clone, Copy)]
pub struct SgdStep {
    /// The learning rate.
    pub lr: f64,
    /// The momentum (0: none).
    pub momentum: f64,
    /// The dampening.
    pub dampening: f64,
    /// The L2 weight decay (0: none).
    pub weight_decay: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
    /// Ascend instead of descend.
    pub maximize: bool,
    /// The momentum buffer is new: it takes the gradient.
    pub first: bool,
}

/// Adam's settings for one step (see `sigconv.optim.Adam`).
#[derive(Debug, Clone, Copy)]
pub struct AdamStep {
    /// The learning rate.
    pub lr: f64,
    /// The decay rates of the moments.
    pub betas: (f64, f64),
    /// Added to the denominator.
    pub eps: f64,
    /// The weight decay (0: none).
    pub weight_decay: f64,
    /// AdamW's decoupled weight decay instead of L2.
    pub decoupled: bool,
    /// AMSGrad: the running maximum of the second moment.
    pub amsgrad: bool,
    /// Ascend instead of descend.
    pub maximize: bool,
    /// The step number, from 1.
    pub step: u64,
}

/// Checks that the state arrays match `x` and returns the GPU.
fn check(x: &DeviceArray, others: &[(&DeviceArray, &str)]) -> Result<&'static Gpu> {
    if x.dtype() == Dtype::I32 {
        return value_error!("only floating GPU tensors can be optimised");
    }
    for (a, name) in others {
        a.expect(x.dtype(), x.len(), name)?;
        if a.shares_buffer(x) {
            return value_error!("{name} must not share memory with the parameter");
        }
    }
    gpu_for_dtype(x.dtype())
}

/// The scalars `h` in the parameter's dtype.
fn scalars(gpu: &Gpu, dtype: Dtype, h: &[f64]) -> Result<wgpu::Buffer> {
    if dtype == Dtype::F64 {
        gpu.upload("hyper-parameters", h, 0)
    } else {
        let h32: Vec<f32> = h.iter().map(|&v| v as f32).collect();
        gpu.upload("hyper-parameters", &h32, 0)
    }
}

/// A one-element placeholder for a state buffer the step does not use.
fn unused(gpu: &Gpu, dtype: Dtype) -> Result<DeviceArray> {
    DeviceArray::output(gpu, 1, dtype)
}

fn run(
    gpu: &Gpu,
    shader: Shader,
    x: &DeviceArray,
    flags: u32,
    h: &wgpu::Buffer,
    state: &[&wgpu::Buffer],
) -> Result<()> {
    if x.is_empty() {
        return Ok(());
    }
    let grid = gpu.flat_grid(x.len(), 256);
    let u = Uniform {
        len: x.len() as u32,
        groups_x: grid[0],
        flags,
        pad: 0,
    };
    let pipeline = gpu.pipeline(shader, "main", wgsl(x.dtype()), &[])?;
    let ubuf = gpu.uniform(&u)?;
    let mut bound = vec![&ubuf, h];
    bound.extend_from_slice(state);
    gpu.dispatch(&pipeline, &bound, grid)
}

/// One SGD step: `x` (and the momentum buffer `buf`, when momentum is on) updated from `grad`.
pub fn sgd_step(
    x: &DeviceArray,
    grad: &DeviceArray,
    buf: Option<&DeviceArray>,
    s: &SgdStep,
) -> Result<()> {
    let mut others = vec![(grad, "grad")];
    if let Some(b) = buf {
        others.push((b, "momentum_buffer"));
    }
    let gpu = check(x, &others)?;
    let momentum = s.momentum != 0.0;
    if momentum && buf.is_none() {
        return value_error!("SGD with momentum needs a momentum buffer");
    }
    let flags = s.maximize as u32
        | ((s.weight_decay != 0.0) as u32) << 1
        | (momentum as u32) << 2
        | (s.first as u32) << 3
        | (s.nesterov as u32) << 4;
    let h = scalars(
        gpu,
        x.dtype(),
        &[s.lr, s.momentum, 1.0 - s.dampening, s.weight_decay],
    )?;
    let spare = unused(gpu, x.dtype())?;
    let b = buf.unwrap_or(&spare);
    run(
        gpu,
        SGD,
        x,
        flags,
        &h,
        &[grad.buffer(), x.buffer(), b.buffer()],
    )
}

/// One Adam (AdamW with `decoupled`) step: `x` and the moments `m`, `v` (and `vmax` with AMSGrad)
/// updated from `grad`.
pub fn adam_step(
    x: &DeviceArray,
    grad: &DeviceArray,
    m: &DeviceArray,
    v: &DeviceArray,
    vmax: Option<&DeviceArray>,
    s: &AdamStep,
) -> Result<()> {
    let mut others = vec![(grad, "grad"), (m, "exp_avg"), (v, "exp_avg_sq")];
    if let Some(a) = vmax {
        others.push((a, "max_exp_avg_sq"));
    }
    let gpu = check(x, &others)?;
    if s.amsgrad && vmax.is_none() {
        return value_error!("AMSGrad needs a max_exp_avg_sq buffer");
    }
    if s.step == 0 {
        return value_error!("Adam's step count starts at 1");
    }
    let (b1, b2) = s.betas;
    let wd = s.weight_decay != 0.0;
    let flags = s.maximize as u32
        | ((wd && !s.decoupled) as u32) << 1
        | ((wd && s.decoupled) as u32) << 2
        | (s.amsgrad as u32) << 3;
    let t = s.step as f64; // powf: the pow of the CPU update (Python's b ** t)
    let (bc1, bc2) = (1.0 - b1.powf(t), 1.0 - b2.powf(t));
    let h = scalars(
        gpu,
        x.dtype(),
        &[
            b1,
            1.0 - b1,
            b2,
            1.0 - b2,
            s.weight_decay,
            1.0 - s.lr * s.weight_decay,
            s.lr / bc1,
            bc2.sqrt(),
            s.eps,
        ],
    )?;
    let spare = unused(gpu, x.dtype())?;
    let a = vmax.unwrap_or(&spare);
    run(
        gpu,
        ADAM,
        x,
        flags,
        &h,
        &[
            grad.buffer(),
            x.buffer(),
            m.buffer(),
            v.buffer(),
            a.buffer(),
        ],
    )
}
