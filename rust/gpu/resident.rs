//! Arrays that stay in device memory between kernels: the storage of GPU-resident tensors
//! (`Tensor.to('gpu')`, `Module.to('gpu')`).
//!
//! A [`DeviceArray`] is a flat buffer of `len` elements of one [`Dtype`]; shapes live with the
//! caller (several arrays of different shapes may share one buffer, as numpy views do). Kernels
//! read device arrays and return new ones; the only writes into an existing array are the
//! optimiser steps, [`DeviceArray::assign`] and [`DeviceArray::scatter`]. Every array fits one storage-buffer binding, so
//! that any kernel can bind it whole; a larger upload is refused.

use crate::error::{value_error, Error, Result};
use crate::gpu::context::{Gpu, Shader};
use crate::gpu::correlate::gpu_for;
use bytemuck::Pod;
use std::sync::Arc;

const GATHER: Shader = Shader {
    name: "strided_gather",
    source: include_str!("shaders/strided_gather.wgsl"),
};
const SCATTER: Shader = Shader {
    name: "strided_scatter",
    source: include_str!("shaders/strided_scatter.wgsl"),
};

/// The element types a device array holds. Integer tensors (class targets, pooling indices) are
/// stored as int32: WGSL has no 64-bit integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// float32.
    F32,
    /// float64 (adapters with `SHADER_F64`).
    F64,
    /// int32.
    I32,
}

impl Dtype {
    /// The numpy name.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "float32",
            Dtype::F64 => "float64",
            Dtype::I32 => "int32",
        }
    }
}

/// A Rust element type with its [`Dtype`].
pub trait Stored: Pod + Default {
    /// Its dtype.
    const ELEM: Dtype;
}

impl Stored for f32 {
    const ELEM: Dtype = Dtype::F32;
}
impl Stored for f64 {
    const ELEM: Dtype = Dtype::F64;
}
impl Stored for i32 {
    const ELEM: Dtype = Dtype::I32;
}

/// A flat array in device memory (cheap to clone: the buffer is shared).
#[derive(Clone, Debug)]
pub struct DeviceArray {
    buf: Arc<wgpu::Buffer>,
    len: usize,
    dtype: Dtype,
}

/// The GPU, checked for `dtype` (float64 needs `SHADER_F64`).
pub fn gpu_for_dtype(dtype: Dtype) -> Result<&'static Gpu> {
    match dtype {
        Dtype::F64 => gpu_for::<f64>(),
        _ => gpu_for::<f32>(),
    }
}

impl DeviceArray {
    /// A device array holding `data`.
    pub fn upload<T: Stored>(data: &[T]) -> Result<Self> {
        let gpu = gpu_for_dtype(T::ELEM)?;
        fits(gpu, data.len(), T::ELEM)?;
        let buf = gpu.upload("tensor", data, 0)?;
        Ok(Self::from_buffer(buf, data.len(), T::ELEM))
    }

    /// A kernel's output buffer of `len` elements of `dtype`, wrapped.
    pub fn from_buffer(buf: wgpu::Buffer, len: usize, dtype: Dtype) -> Self {
        DeviceArray {
            buf: Arc::new(buf),
            len,
            dtype,
        }
    }

    /// A new, uninitialised array of `len` elements (kernels write every element).
    pub fn output(gpu: &Gpu, len: usize, dtype: Dtype) -> Result<Self> {
        fits(gpu, len, dtype)?;
        let buf = match dtype {
            Dtype::F32 => gpu.output::<f32>("tensor", len)?,
            Dtype::F64 => gpu.output::<f64>("tensor", len)?,
            Dtype::I32 => gpu.output::<i32>("tensor", len)?,
        };
        Ok(Self::from_buffer(buf, len, dtype))
    }

    /// A new array of `len` zeros.
    pub fn zeros(gpu: &Gpu, len: usize, dtype: Dtype) -> Result<Self> {
        let out = Self::output(gpu, len, dtype)?;
        if len > 0 {
            gpu.record(|enc| enc.clear_buffer(&out.buf, 0, None))?;
        }
        Ok(out)
    }

    /// The elements, copied back to host memory (waits for the device).
    pub fn download<T: Stored>(&self) -> Result<Vec<T>> {
        self.expect_dtype(T::ELEM, "array")?;
        let mut out = vec![T::default(); self.len];
        gpu_for_dtype(self.dtype)?.read_into(&self.buf, &mut out)?;
        Ok(out)
    }

    /// Overwrites every element with those of `src` (same length and dtype), on the device.
    pub fn assign(&self, src: &DeviceArray) -> Result<()> {
        if src.len != self.len || src.dtype != self.dtype {
            return value_error!(
                "cannot copy {} {} elements into {} {} elements",
                src.len,
                src.dtype.name(),
                self.len,
                self.dtype.name()
            );
        }
        let gpu = gpu_for_dtype(self.dtype)?;
        let bytes = (self.len * self.elem_size()) as u64;
        if bytes == 0 {
            return Ok(());
        }
        gpu.record(|enc| {
            enc.copy_buffer_to_buffer(&src.buf, 0, &self.buf, 0, bytes.next_multiple_of(4))
        })
    }

    /// A new array of `len` elements assembled from blocks of others: each `(src, from, to,
    /// count)` copies `count` elements of `src` starting at `from` to `to` (all in elements of
    /// this dtype), in one submission. Concatenation and splitting along any axis.
    pub fn assemble(
        dtype: Dtype,
        len: usize,
        blocks: &[(&DeviceArray, usize, usize, usize)],
    ) -> Result<Self> {
        let gpu = gpu_for_dtype(dtype)?;
        let out = Self::output(gpu, len, dtype)?;
        let size = out.elem_size() as u64;
        for &(src, from, to, count) in blocks {
            src.expect_dtype(dtype, "a block")?;
            if from + count > src.len || to + count > len {
                return value_error!(
                    "a block of {count} elements from {from} (of {}) to {to} (of {len}) does \
                     not fit",
                    src.len
                );
            }
        }
        gpu.record(|enc| {
            for &(src, from, to, count) in blocks {
                if count > 0 {
                    let (a, b, n) = (from as u64 * size, to as u64 * size, count as u64 * size);
                    enc.copy_buffer_to_buffer(&src.buf, a, &out.buf, b, n);
                }
            }
        })?;
        Ok(out)
    }

    /// The array of `shape` with its axes permuted: output axis `d` is input axis `axes[d]` (numpy's
    /// `transpose(axes)`), a new contiguous array.
    pub fn permute(&self, shape: &[usize], axes: &[usize]) -> Result<Self> {
        let nd = shape.len();
        let mut seen = vec![false; nd];
        if axes.len() != nd
            || axes
                .iter()
                .any(|&a| a >= nd || std::mem::replace(&mut seen[a], true))
        {
            return value_error!("axes {axes:?} are not a permutation of {nd} axes");
        }
        if shape.iter().product::<usize>() != self.len {
            return value_error!("shape {shape:?} does not hold {} elements", self.len);
        }
        let mut strides = vec![1isize; nd];
        for d in (0..nd.saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * shape[d + 1] as isize;
        }
        let out_shape: Vec<usize> = axes.iter().map(|&a| shape[a]).collect();
        let out_strides: Vec<isize> = axes.iter().map(|&a| strides[a]).collect();
        self.gather(&out_shape, &out_strides, 0)
    }

    /// A strided view of this array materialised as a new contiguous array of `shape`: its
    /// element at index `(i_0, i_1, ...)` is element `offset + sum of i_d * strides[d]` of this one
    /// (numpy's `as_strided`, then a copy). Strides, in elements, may be 0 (a broadcast) or
    /// negative (a reversal); every position must lie inside the array.
    pub fn gather(&self, shape: &[usize], strides: &[isize], offset: usize) -> Result<Self> {
        let len = self.check_strided(shape, strides, offset)?;
        let gpu = gpu_for_dtype(self.dtype)?;
        let out = Self::output(gpu, len, self.dtype)?;
        self.strided(
            gpu, GATHER, &self.buf, &out.buf, len, shape, strides, offset,
        )?;
        Ok(out)
    }

    /// Writes `src` (contiguous, of `shape`) into this array at the strided positions of
    /// [`DeviceArray::gather`], in place: numpy's `self[index] = src` for a basic index. The
    /// positions must be distinct (no stride 0 over an axis longer than 1, no overlaps).
    pub fn scatter(
        &self,
        src: &DeviceArray,
        shape: &[usize],
        strides: &[isize],
        offset: usize,
    ) -> Result<()> {
        src.expect_dtype(self.dtype, "the values")?;
        let len = self.check_strided(shape, strides, offset)?;
        if src.len != len {
            return value_error!("{} values cannot fill {len} positions", src.len);
        }
        // Distinct when each axis steps past the reach of all shorter-strided axes together.
        let mut axes: Vec<(usize, usize)> = shape
            .iter()
            .zip(strides)
            .filter(|(&n, _)| n > 1)
            .map(|(&n, &s)| (n, s.unsigned_abs()))
            .collect();
        axes.sort_by_key(|&(_, s)| s);
        let mut reach = 0usize;
        for (n, s) in axes {
            if s <= reach {
                return value_error!(
                    "the strided positions {strides:?} over {shape:?} overlap: a scatter \
                     needs distinct positions"
                );
            }
            reach += (n - 1) * s;
        }
        let gpu = gpu_for_dtype(self.dtype)?;
        self.strided(
            gpu, SCATTER, &src.buf, &self.buf, len, shape, strides, offset,
        )
    }

    /// The element count of `shape`, checked: one stride per axis and every position inside this
    /// array (ValueError otherwise).
    fn check_strided(&self, shape: &[usize], strides: &[isize], offset: usize) -> Result<usize> {
        if shape.len() != strides.len() {
            return value_error!(
                "{} strides for a shape of {} axes",
                strides.len(),
                shape.len()
            );
        }
        let len: usize = shape.iter().product();
        if len == 0 {
            return Ok(0);
        }
        let (mut lo, mut hi) = (offset as i128, offset as i128);
        for (&n, &s) in shape.iter().zip(strides) {
            let span = (n as i128 - 1) * s as i128;
            if span < 0 {
                lo += span;
            } else {
                hi += span;
            }
        }
        if lo < 0 || hi >= self.len as i128 {
            return value_error!(
                "the strided positions from {offset} by {strides:?} over {shape:?} reach \
                 [{lo}, {hi}], outside an array of {} elements",
                self.len
            );
        }
        Ok(len)
    }

    /// Runs the strided gather or scatter kernel over `len` elements (checked by the caller), in
    /// 32-bit words: a float64 element is a trailing axis of two words.
    #[allow(clippy::too_many_arguments)]
    fn strided(
        &self,
        gpu: &Gpu,
        shader: Shader,
        src: &wgpu::Buffer,
        dst: &wgpu::Buffer,
        len: usize,
        shape: &[usize],
        strides: &[isize],
        offset: usize,
    ) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        let words = self.elem_size() / 4;
        let mut dims: Vec<isize> = shape.iter().map(|&n| n as isize).collect();
        let mut steps: Vec<isize> = strides.iter().map(|&s| s * words as isize).collect();
        if words == 2 {
            dims.push(2);
            steps.push(1);
        }
        let too_large = || Error::Value("a tensor too large for the GPU's strided copy".into());
        let geometry: Vec<i32> = dims
            .iter()
            .chain(&steps)
            .map(|&v| i32::try_from(v))
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| too_large())?;
        let total = len * words;
        let u = [
            u32::try_from(total).map_err(|_| too_large())?,
            dims.len() as u32,
            gpu.flat_grid(total, 256)[0],
            u32::try_from(offset * words).map_err(|_| too_large())?,
        ];
        let pipeline = gpu.pipeline(shader, "main", "f32", &[])?;
        let gbuf = gpu.upload("strides", &geometry, 0)?;
        gpu.dispatch(
            &pipeline,
            &[&gpu.uniform(&u)?, &gbuf, src, dst],
            gpu.flat_grid(total, 256),
        )
    }

    /// The buffer, for binding.
    pub fn buffer(&self) -> &wgpu::Buffer {
        &self.buf
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The element type.
    pub fn dtype(&self) -> Dtype {
        self.dtype
    }

    /// Whether `self` and `other` are the same buffer.
    pub fn shares_buffer(&self, other: &DeviceArray) -> bool {
        Arc::ptr_eq(&self.buf, &other.buf)
    }

    fn elem_size(&self) -> usize {
        match self.dtype {
            Dtype::F64 => 8,
            _ => 4,
        }
    }

    /// `Ok` when the array holds `dtype`; TypeError naming `name` otherwise.
    pub fn expect_dtype(&self, dtype: Dtype, name: &str) -> Result<()> {
        if self.dtype == dtype {
            Ok(())
        } else {
            Err(Error::Type(format!(
                "{name} must be a {} GPU tensor; got {}",
                dtype.name(),
                self.dtype.name()
            )))
        }
    }

    /// `Ok` when the array holds `len` elements of `dtype`; ValueError/TypeError naming `name`.
    pub fn expect(&self, dtype: Dtype, len: usize, name: &str) -> Result<&wgpu::Buffer> {
        self.expect_dtype(dtype, name)?;
        if self.len != len {
            return value_error!("{name} must have {len} elements; got {}", self.len);
        }
        Ok(&self.buf)
    }
}

/// ValueError unless `len` elements of `dtype` fit one buffer binding.
fn fits(gpu: &Gpu, len: usize, dtype: Dtype) -> Result<()> {
    let size = if dtype == Dtype::F64 { 8 } else { 4 };
    let bytes = len as u64 * size;
    if bytes > gpu.max_binding_bytes() {
        return value_error!(
            "a GPU tensor of {bytes} bytes is larger than one GPU buffer binding ({} bytes): \
             GPU-resident tensors must fit one binding; keep this one in host memory",
            gpu.max_binding_bytes()
        );
    }
    Ok(())
}
