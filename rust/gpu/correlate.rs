//! The launcher of the correlation kernels (`shaders/correlate1d.wgsl`, `shaders/correlate2d.wgsl`).
//!
//! Geometry as [`crate::cpu::direct::correlate_into`]: `out[o] = sum_m ext(x)[o + start + m] * w[m]`
//! over 1-D and 2-D arrays (length-1 axes of N-d arrays are dropped first), with any [`Boundary`].
//!
//! An input or output larger than one buffer binding (128 MiB on lavapipe) is cut into output tiles;
//! each tile's input block, with its halo, is gathered on the host with the boundary already applied
//! (so the kernel reads it with start 0 and never leaves it), run, and copied back into place.

use crate::error::{Error, Result};
use crate::gpu::context::{self, Gpu, Pipeline, Shader};
use crate::gpu::launch::{Profiler, Timings};
use crate::params::Boundary;
use bytemuck::{Pod, Zeroable};
use ndarray::ArrayViewD;

/// Element types the GPU kernels compute in.
pub trait GpuElement:
    Pod + Default + PartialEq + std::ops::AddAssign + Send + Sync + 'static
{
    /// The WGSL type.
    const WGSL: &'static str;
    /// The numpy name, for messages.
    const DTYPE: &'static str;
}

impl GpuElement for f32 {
    const WGSL: &'static str = "f32";
    const DTYPE: &'static str = "float32";
}

impl GpuElement for f64 {
    const WGSL: &'static str = "f64";
    const DTYPE: &'static str = "float64";
}

const CORRELATE_1D: Shader = Shader {
    name: "correlate1d",
    source: concat!(
        include_str!("shaders/correlate1d.wgsl"),
        include_str!("shaders/boundary.wgsl")
    ),
};

const CORRELATE_2D: Shader = Shader {
    name: "correlate2d",
    source: concat!(
        include_str!("shaders/correlate2d.wgsl"),
        include_str!("shaders/boundary.wgsl")
    ),
};

/// Outputs per workgroup: 16 x 16 in 2-D, 256 in 1-D (the shaders' TILE).
const TILE_2D: usize = 16;
const TILE_1D: usize = 256;

/// The uniform parameters of both correlation shaders (their `Params`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Params {
    in_h: i32,
    in_w: i32,
    out_h: i32,
    out_w: i32,
    k_h: i32,
    k_w: i32,
    start_h: i32,
    start_w: i32,
    boundary: i32,
    groups_x: u32,
    pad: [u32; 2],
}

pub(crate) fn boundary_code<T>(b: &Boundary<T>) -> i32 {
    match b {
        Boundary::Fill(_) => 0,
        Boundary::Wrap => 1,
        Boundary::Symm => 2,
        Boundary::Mirror => 3,
        Boundary::Nearest => 4,
    }
}

/// The GPU context, and a `TypeError` for float64 where the adapter has no `SHADER_F64`.
pub fn gpu_for<T: GpuElement>() -> Result<&'static Gpu> {
    let gpu = context::get()?;
    if T::WGSL == "f64" && !gpu.summary.f64 {
        return Err(Error::Type(format!(
            "device='gpu' computes in float32 on this adapter ({} does not offer SHADER_F64); \
             got float64: pass float32 arrays, or use device='cpu'",
            gpu.summary.name
        )));
    }
    Ok(gpu)
}

fn to_i32(v: usize, what: &str) -> Result<i32> {
    i32::try_from(v)
        .map_err(|_| Error::Value(format!("{what} {v} is too large for the GPU kernels")))
}

fn start_i32(v: isize) -> Result<i32> {
    i32::try_from(v).map_err(|_| Error::Value(format!("start offset {v} is too large for the GPU")))
}

/// Correlation on the GPU into `out` (C order, `out_shape`); see the module docs. `timings`, when
/// given, receives the seconds of upload, compute and download (the device is drained between them).
pub fn correlate_into<T: GpuElement>(
    x: ArrayViewD<T>,
    w: ArrayViewD<T>,
    start: &[isize],
    out: &mut [T],
    out_shape: &[usize],
    boundary: Boundary<T>,
    timings: Option<&mut Timings>,
) -> Result<()> {
    let ndim = out_shape.len();
    if x.ndim() != ndim || w.ndim() != ndim || start.len() != ndim {
        return Err(Error::Value(format!(
            "input, weights, start and out_shape need one length per axis; got {}, {}, {} and {ndim}",
            x.ndim(),
            w.ndim(),
            start.len()
        )));
    }
    if out.len() != out_shape.iter().product::<usize>() {
        return Err(Error::Value(format!(
            "out holds {} elements; out_shape {out_shape:?} needs {}",
            out.len(),
            out_shape.iter().product::<usize>()
        )));
    }
    let gpu = gpu_for::<T>()?;
    if out.is_empty() {
        return Ok(());
    }
    if w.is_empty() {
        out.fill(T::default());
        return Ok(());
    }
    // With no samples to extend, every read is the fill value (zero for the other boundaries).
    let boundary = if x.is_empty() {
        Boundary::Fill(match boundary {
            Boundary::Fill(v) => v,
            _ => T::default(),
        })
    } else {
        boundary
    };
    // Drop the axes where everything has length 1 and the one sample read is the input's own.
    let keep: Vec<usize> = (0..ndim)
        .filter(|&d| {
            let single = x.shape()[d] == 1 && w.shape()[d] == 1 && out_shape[d] == 1;
            !(single && boundary.source_index(start[d], 1) == Some(0))
        })
        .collect();
    if keep.len() > 2 {
        return Err(Error::Value(format!(
            "device='gpu' runs 1-D and 2-D correlations; got {}-D arrays of shapes {:?} and {:?} \
             (use device='cpu')",
            keep.len(),
            x.shape(),
            w.shape()
        )));
    }
    let dims = |shape: &[usize]| -> (usize, usize) {
        match keep.as_slice() {
            [a, b] => (shape[*a], shape[*b]),
            [a] => (1, shape[*a]),
            _ => (1, 1),
        }
    };
    let (s_h, s_w) = match keep.as_slice() {
        [a, b] => (start[*a], start[*b]),
        [a] => (0, start[*a]),
        _ => (0, 0),
    };
    let xs = x.as_standard_layout();
    let ws = w.as_standard_layout();
    let problem = Problem {
        x: xs.as_slice().expect("standard layout"),
        x_dims: dims(x.shape()),
        w: ws.as_slice().expect("standard layout"),
        k_dims: dims(w.shape()),
        start: (s_h, s_w),
        out_dims: dims(out_shape),
        boundary,
    };
    problem.run(gpu, out, Profiler::new(timings))
}

/// A 2-D correlation (1-D: one row), C order.
struct Problem<'a, T> {
    x: &'a [T],
    x_dims: (usize, usize),
    w: &'a [T],
    k_dims: (usize, usize),
    start: (isize, isize),
    out_dims: (usize, usize),
    boundary: Boundary<T>,
}

impl<T: GpuElement> Problem<'_, T> {
    fn run(&self, gpu: &Gpu, out: &mut [T], mut prof: Profiler) -> Result<()> {
        let size = std::mem::size_of::<T>() as u64;
        let cap = (gpu.max_binding_bytes() / size) as usize; // elements per binding
        let (kh, kw) = self.k_dims;
        let (oh, ow) = self.out_dims;
        let fill = match self.boundary {
            Boundary::Fill(v) => v,
            _ => T::default(),
        };
        if self.w.len() + 1 > cap {
            return Err(Error::Value(format!(
                "the kernel ({kh} x {kw}) is larger than one GPU buffer binding ({} bytes); \
                 use device='cpu'",
                cap as u64 * size
            )));
        }
        let mut weights = self.w.to_vec();
        weights.push(fill);
        // One row read from a one-row input: the 1-D kernel.
        let one_d = self.x_dims.0 == 1
            && kh == 1
            && oh == 1
            && self.boundary.source_index(self.start.0, 1) == Some(0);
        let shader = if one_d { CORRELATE_1D } else { CORRELATE_2D };
        let pipeline = gpu.pipeline(shader, "main", T::WGSL, &[])?;
        let max_groups = gpu.limits.max_compute_workgroups_per_dimension as usize;
        let (max_th, max_tw) = if one_d {
            (1, TILE_1D * max_groups * max_groups)
        } else {
            (TILE_2D * max_groups, TILE_2D * max_groups)
        };
        let wbuf = gpu.upload("weights", &weights, 0)?;

        let whole = self.x.len() <= cap && out.len() <= cap && oh <= max_th && ow <= max_tw;
        if whole {
            let xbuf = gpu.upload("input", self.x, 0)?;
            let obuf = gpu.output::<T>("output", out.len())?;
            prof.mark(gpu, |t| &mut t.upload)?;
            let params = self.params(self.x_dims, self.start, self.out_dims, one_d, true)?;
            launch(gpu, &pipeline, one_d, &params, [&xbuf, &wbuf, &obuf])?;
            prof.mark(gpu, |t| &mut t.compute)?;
            gpu.read_into(&obuf, out)?;
            return prof.mark(gpu, |t| &mut t.download);
        }

        // Tiles of th x tw outputs, whose input blocks (with halos) and outputs fit one binding.
        let mut tw = ow.min(max_tw);
        let rows_fitting = |tw: usize| (cap / (tw + kw - 1)).saturating_sub(kh - 1).min(cap / tw);
        let mut th = rows_fitting(tw).min(oh).min(max_th);
        if th == 0 {
            tw = (cap / kh).saturating_sub(kw - 1).clamp(1, max_tw);
            th = rows_fitting(tw).clamp(1, oh.min(max_th));
        }
        let in_cap = (th + kh - 1) * (tw + kw - 1);
        let xbuf = gpu.upload::<T>("input tile", &[], in_cap)?;
        let obuf = gpu.output::<T>("output tile", th * tw)?;
        let mut block = Vec::with_capacity(in_cap);
        let mut tile_out = vec![T::default(); th * tw];
        let (xh, xw) = self.x_dims;
        for r0 in (0..oh).step_by(th) {
            let rows = th.min(oh - r0);
            let src_rows: Vec<Option<usize>> = (0..rows + kh - 1)
                .map(|r| {
                    self.boundary
                        .source_index(r0 as isize + self.start.0 + r as isize, xh)
                })
                .collect();
            for c0 in (0..ow).step_by(tw) {
                let cols = tw.min(ow - c0);
                let src_cols: Vec<Option<usize>> = (0..cols + kw - 1)
                    .map(|c| {
                        self.boundary
                            .source_index(c0 as isize + self.start.1 + c as isize, xw)
                    })
                    .collect();
                block.clear();
                for sr in &src_rows {
                    match sr {
                        Some(sr) => {
                            let row = &self.x[sr * xw..(sr + 1) * xw];
                            block.extend(src_cols.iter().map(|sc| sc.map_or(fill, |c| row[c])));
                        }
                        None => block.extend(std::iter::repeat_n(fill, src_cols.len())),
                    }
                }
                gpu.write(&xbuf, &block)?;
                prof.mark(gpu, |t| &mut t.upload)?;
                let params = self.params(
                    (rows + kh - 1, cols + kw - 1),
                    (0, 0),
                    (rows, cols),
                    one_d,
                    false,
                )?;
                launch(gpu, &pipeline, one_d, &params, [&xbuf, &wbuf, &obuf])?;
                prof.mark(gpu, |t| &mut t.compute)?;
                if cols == ow {
                    gpu.read_into(&obuf, &mut out[r0 * ow..(r0 + rows) * ow])?;
                } else {
                    let t = &mut tile_out[..rows * cols];
                    gpu.read_into(&obuf, t)?;
                    for (r, src) in t.chunks_exact(cols).enumerate() {
                        let at = (r0 + r) * ow + c0;
                        out[at..at + cols].copy_from_slice(src);
                    }
                }
                prof.mark(gpu, |t| &mut t.download)?;
            }
        }
        if !prof.enabled() {
            gpu.wait()?;
        }
        Ok(())
    }

    /// The shader parameters for an input block of `in_dims` read from `start` into `out_dims`;
    /// `own_boundary` false for gathered tiles (already extended: never read outside).
    fn params(
        &self,
        in_dims: (usize, usize),
        start: (isize, isize),
        out_dims: (usize, usize),
        one_d: bool,
        own_boundary: bool,
    ) -> Result<Params> {
        let groups = if one_d {
            out_dims.1.div_ceil(TILE_1D)
        } else {
            out_dims.1.div_ceil(TILE_2D)
        };
        let groups_x = if one_d { groups.min(65535) } else { groups };
        Ok(Params {
            in_h: to_i32(in_dims.0, "input height")?,
            in_w: to_i32(in_dims.1, "input width")?,
            out_h: to_i32(out_dims.0, "output height")?,
            out_w: to_i32(out_dims.1, "output width")?,
            k_h: to_i32(self.k_dims.0, "kernel height")?,
            k_w: to_i32(self.k_dims.1, "kernel width")?,
            start_h: start_i32(start.0)?,
            start_w: start_i32(start.1)?,
            boundary: if own_boundary {
                boundary_code(&self.boundary)
            } else {
                0
            },
            groups_x: groups_x as u32,
            pad: [0; 2],
        })
    }
}

/// One dispatch of a correlation kernel over the output `params` describes.
fn launch(
    gpu: &Gpu,
    pipeline: &Pipeline,
    one_d: bool,
    params: &Params,
    [x, w, out]: [&wgpu::Buffer; 3],
) -> Result<()> {
    let ubuf = gpu.uniform(params)?;
    let groups = if one_d {
        let n = (params.out_w as usize).div_ceil(TILE_1D);
        let gx = params.groups_x as usize;
        [gx as u32, n.div_ceil(gx.max(1)) as u32, 1]
    } else {
        [
            (params.out_w as usize).div_ceil(TILE_2D) as u32,
            (params.out_h as usize).div_ceil(TILE_2D) as u32,
            1,
        ]
    };
    gpu.dispatch(pipeline, &[&ubuf, x, w, out], groups)
}
