//! Entry points of the convolution layers: array shapes and torch's arguments in, checked
//! [`ConvParams`] out (every message names the parameter and the value received), and the passes
//! on the device `device=` picks: the kernels of [`crate::cpu::conv`] or [`crate::gpu::conv`] with
//! the same geometry. The caller sets the CPU threads (`threads::with_workers`).

use crate::cpu::conv::{self as cpu, ConvElement};
use crate::error::{value_error, Result};
use crate::ops::device::{self, on_gpu, Device, Request};
use crate::params::{ConvAxis, ConvParams};

/// CPU seconds per multiply-add of a layer pass, for `device='auto'` (about 3e-11 s: 2 AVX2 cores
/// ran the VGG block's 64->64 3x3 passes, batch 64 of 8x8, at 33-47 GMAC/s in
/// benches/bench_gpu_train.py).
const CPU_SECONDS_PER_MAC: f64 = 3e-11;

/// Element types whose layer passes have both kernels: float32 and float64 (on the GPU where the
/// adapter has `SHADER_F64`).
#[cfg(feature = "gpu")]
pub trait LayerElement: ConvElement + crate::gpu::GpuElement {}
/// Element types whose layer passes have both kernels (this build has no GPU backend).
#[cfg(not(feature = "gpu"))]
pub trait LayerElement: ConvElement {}
impl LayerElement for f32 {}
impl LayerElement for f64 {}

/// The device for one pass of `p` (each pass has the forward's multiply-adds) moving `samples`.
pub fn pick<T>(request: Request, p: &ConvParams, samples: usize) -> Device {
    device::select(request, || device::Work {
        macs: p.macs() as f64,
        bytes: (samples * std::mem::size_of::<T>()) as f64,
        cpu_seconds: p.macs() as f64 * CPU_SECONDS_PER_MAC,
        f64: std::mem::size_of::<T>() == 8,
    })
}

/// `y = conv(x, w) + bias` on `device` (from [`pick`]).
#[cfg_attr(not(feature = "gpu"), allow(unused_variables))]
pub fn forward_on<T: LayerElement>(
    device: Device,
    x: &[T],
    w: &[T],
    bias: Option<&[T]>,
    p: &ConvParams,
    y: &mut [T],
) -> Result<()> {
    match device {
        Device::Gpu => on_gpu!(crate::gpu::conv::forward(x, w, bias, p, y)),
        Device::Cpu => {
            cpu::forward(x, w, bias, p, y);
            Ok(())
        }
    }
}

/// The data gradient `dx = conv^T(dy, w)` on `device`.
#[cfg_attr(not(feature = "gpu"), allow(unused_variables))]
pub fn backward_data_on<T: LayerElement>(
    device: Device,
    dy: &[T],
    w: &[T],
    p: &ConvParams,
    dx: &mut [T],
) -> Result<()> {
    match device {
        Device::Gpu => on_gpu!(crate::gpu::conv::backward_data(dy, w, p, dx)),
        Device::Cpu => {
            cpu::backward_data(dy, w, p, dx);
            Ok(())
        }
    }
}

/// The weight gradient on `device`.
#[cfg_attr(not(feature = "gpu"), allow(unused_variables))]
pub fn backward_weight_on<T: LayerElement>(
    device: Device,
    dy: &[T],
    x: &[T],
    p: &ConvParams,
    dw: &mut [T],
) -> Result<()> {
    match device {
        Device::Gpu => on_gpu!(crate::gpu::conv::backward_weight(dy, x, p, dw)),
        Device::Cpu => {
            cpu::backward_weight(dy, x, p, dw);
            Ok(())
        }
    }
}

/// Per spatial axis (height, width): stride, padding `(lo, hi)`, dilation.
pub type Axes2<T> = [T; 2];

fn check_4d(name: &str, shape: &[usize]) -> Result<[usize; 4]> {
    match shape {
        &[a, b, c, d] => Ok([a, b, c, d]),
        _ => value_error!("{name} must have 4 dimensions (N, C, H, W); got shape {shape:?}"),
    }
}

/// The geometry of `conv(x, w)`: `x` `(N, C_in, H, W)`, `w` `(C_out, C_in / groups, kH, kW)`.
pub fn conv_params(
    x_shape: &[usize],
    w_shape: &[usize],
    stride: Axes2<usize>,
    padding: Axes2<(usize, usize)>,
    dilation: Axes2<usize>,
    groups: usize,
) -> Result<ConvParams> {
    let [n, c, h, w] = check_4d("input", x_shape)?;
    let [co, ci_g, kh, kw] = check_4d("weight", w_shape)?;
    if groups == 0 {
        return value_error!("groups must be positive; got {groups}");
    }
    if ci_g * groups != c {
        return value_error!(
            "weight of shape {w_shape:?} with groups={groups} expects input with {} channels, but \
             got {c} channels (input shape {x_shape:?})",
            ci_g * groups
        );
    }
    if co % groups != 0 {
        return value_error!(
            "out_channels ({co}, weight.shape[0]) must be divisible by groups ({groups})"
        );
    }
    let hx = ConvAxis::forward(h, kh, stride[0], padding[0], dilation[0])?;
    let wx = ConvAxis::forward(w, kw, stride[1], padding[1], dilation[1])?;
    ConvParams::new(n, c, co, groups, hx, wx)
}

/// The geometry of the convolution whose data gradient is `conv_transpose(x, w)`: `x`
/// `(N, C_in, H, W)`, `w` `(C_in, C_out / groups, kH, kW)`. That convolution maps the transposed
/// output `(N, C_out, H_out, W_out)` onto `x`'s shape with the same weight.
pub fn conv_transpose_params(
    x_shape: &[usize],
    w_shape: &[usize],
    stride: Axes2<usize>,
    padding: Axes2<usize>,
    output_padding: Axes2<usize>,
    dilation: Axes2<usize>,
    groups: usize,
) -> Result<ConvParams> {
    let [n, c, h, w] = check_4d("input", x_shape)?;
    let [ci, co_g, kh, kw] = check_4d("weight", w_shape)?;
    if groups == 0 {
        return value_error!("groups must be positive; got {groups}");
    }
    if ci != c {
        return value_error!(
            "weight of shape {w_shape:?} expects input with {ci} channels (weight.shape[0]), but \
             got {c} channels (input shape {x_shape:?})"
        );
    }
    if ci % groups != 0 {
        return value_error!("in_channels ({ci}) must be divisible by groups ({groups})");
    }
    let ax = |i: usize, len: usize, k: usize| {
        ConvAxis::transposed(
            len,
            k,
            stride[i],
            padding[i],
            output_padding[i],
            dilation[i],
        )
    };
    ConvParams::new(n, co_g * groups, ci, groups, ax(0, h, kh)?, ax(1, w, kw)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_messages() {
        let p = conv_params(
            &[2, 4, 9, 9],
            &[6, 2, 3, 3],
            [1, 2],
            [(1, 1), (0, 0)],
            [1, 1],
            2,
        )
        .unwrap();
        assert_eq!(p.output_shape(), [2, 6, 9, 4]);
        let e = conv_params(&[2, 4, 9, 9], &[6, 4, 3, 3], [1, 1], [(0, 0); 2], [1, 1], 2);
        assert!(format!("{e:?}").contains("expects input with 8 channels"));
        let e = conv_params(&[2, 4, 9], &[6, 4, 3, 3], [1, 1], [(0, 0); 2], [1, 1], 1);
        assert!(format!("{e:?}").contains("4 dimensions"));
        let t = conv_transpose_params(
            &[1, 4, 5, 5],
            &[4, 3, 3, 3],
            [2, 2],
            [1, 1],
            [1, 0],
            [1, 1],
            2,
        )
        .unwrap();
        // torch.nn.functional.conv_transpose2d(torch.zeros(1, 4, 5, 5), torch.zeros(4, 3, 3, 3),
        // stride=2, padding=1, output_padding=(1, 0), groups=2).shape == (1, 6, 10, 9)
        assert_eq!(t.input_shape(), [1, 6, 10, 9]);
        assert_eq!(t.output_shape(), [1, 4, 5, 5]);
    }
}
