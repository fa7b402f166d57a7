//! Cross-entropy of GPU-resident logits against class indices (`shaders/cross_entropy.wgsl`):
//! per-row losses and the gradient of each row's loss, in one pass; the caller reduces them
//! ([`crate::gpu::reduce`]) and scales the gradient.

use crate::error::{value_error, Error, Result};
use crate::gpu::context::Shader;
use crate::gpu::resident::{gpu_for_dtype, DeviceArray, Dtype};
use bytemuck::{Pod, Zeroable};

const CROSS_ENTROPY: Shader = Shader {
    name: "cross_entropy",
    source: include_str!("shaders/cross_entropy.wgsl"),
};

/// `cross_entropy.wgsl`'s `Params`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Uniform {
    rows: u32,
    classes: u32,
    ignore_index: i32,
    groups_x: u32,
}

/// The losses of `rows` rows of `classes` logits against int32 `targets`, the gradient of each
/// row's loss (`softmax - onehot`, rows x classes), and 1 for each row counted (0 where the
/// target is `ignore_index`). float32 only: WGSL has no float64 `exp` or `log`.
pub fn cross_entropy(
    logits: &DeviceArray,
    targets: &DeviceArray,
    rows: usize,
    classes: usize,
    ignore_index: i32,
) -> Result<(DeviceArray, DeviceArray, DeviceArray)> {
    if logits.dtype() != Dtype::F32 {
        return Err(Error::Type(format!(
            "cross_entropy on the GPU computes in float32 (WGSL has no float64 exp or log); got \
             {} logits",
            logits.dtype().name()
        )));
    }
    logits.expect(Dtype::F32, rows * classes, "input")?;
    targets.expect(Dtype::I32, rows, "target")?;
    if classes == 0 {
        return value_error!("cross_entropy needs at least one class");
    }
    let gpu = gpu_for_dtype(Dtype::F32)?;
    let loss = DeviceArray::output(gpu, rows, Dtype::F32)?;
    let grad = DeviceArray::output(gpu, rows * classes, Dtype::F32)?;
    let valid = DeviceArray::output(gpu, rows, Dtype::F32)?;
    if rows == 0 {
        return Ok((loss, grad, valid));
    }
    let grid = gpu.flat_grid(rows, 256);
    let int = |v: usize, what: &str| {
        u32::try_from(v).map_err(|_| Error::Value(format!("{what} {v} is too large for the GPU")))
    };
    let u = Uniform {
        rows: int(rows, "rows")?,
        classes: int(classes, "classes")?,
        ignore_index,
        groups_x: grid[0],
    };
    let pipeline = gpu.pipeline(CROSS_ENTROPY, "main", "f32", &[])?;
    gpu.dispatch(
        &pipeline,
        &[
            &gpu.uniform(&u)?,
            logits.buffer(),
            targets.buffer(),
            loss.buffer(),
            grad.buffer(),
            valid.buffer(),
        ],
        grid,
    )?;
    Ok((loss, grad, valid))
}
