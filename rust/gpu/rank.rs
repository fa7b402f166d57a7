//! The launchers of the order-statistic kernels: minimum and maximum along one axis
//! (`shaders/extreme_pass.wgsl`, the passes of ndimage's minimum/maximum filters) and rank filters
//! over 2-D planes with any footprint of at most [`MAX_TAPS`] taps (`shaders/rank_filter.wgsl`,
//! ndimage's median filter). Comparisons round nothing, so the values are the CPU kernels'.
//!
//! Rows (min/max) and planes (rank) are independent, so inputs larger than one buffer binding run
//! in chunks of whole rows or planes; a single row or plane larger than a binding is cut into
//! tiles of outputs, each tile's input block with its halo gathered on the host with the boundary
//! applied (the kernel then never reads outside it). NaN: WGSL's comparisons may drop NaN, so where
//! the input holds one, a flag per sample travels with it and the kernels give NaN to every window
//! that reads one.

use crate::error::{value_error, Error, Result};
use crate::gpu::context::{Gpu, Shader};
use crate::gpu::correlate::{boundary_code, gpu_for, GpuElement};
use crate::params::Boundary;
use bytemuck::{Pod, Zeroable};
use num_traits::Float;

const EXTREME_PASS: Shader = Shader {
    name: "extreme_pass",
    source: concat!(
        include_str!("shaders/extreme_pass.wgsl"),
        include_str!("shaders/boundary.wgsl")
    ),
};

const RANK_FILTER: Shader = Shader {
    name: "rank_filter",
    source: concat!(
        include_str!("shaders/rank_filter.wgsl"),
        include_str!("shaders/boundary.wgsl")
    ),
};

/// The most footprint taps the rank kernel sorts per window (its `MAX_TAPS`).
pub const MAX_TAPS: usize = 64;

/// Invocations per workgroup in both kernels.
const GROUP: usize = 256;

/// `extreme_pass.wgsl`'s `Params`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct PassUniform {
    outer: u32,
    n: i32,
    inner: u32,
    k: i32,
    start: i32,
    boundary: i32,
    is_max: u32,
    has_nan: u32,
    fill_is_nan: u32,
    groups_x: u32,
    pad: [u32; 2],
}

/// `rank_filter.wgsl`'s `Params`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct RankUniform {
    planes: u32,
    h: i32,
    w: i32,
    count: u32,
    rank: u32,
    start_h: i32,
    start_w: i32,
    boundary: i32,
    has_nan: u32,
    fill_is_nan: u32,
    groups_x: u32,
    pad: u32,
}

fn int<I: TryFrom<usize>>(v: usize, what: &str) -> Result<I> {
    I::try_from(v).map_err(|_| Error::Value(format!("{what} {v} is too large for the GPU kernels")))
}

fn offset(v: isize) -> Result<i32> {
    i32::try_from(v).map_err(|_| Error::Value(format!("offset {v} is too large for the GPU")))
}

/// What the kernels read besides the input: `[fill, NaN]`, whether the fill value is NaN, and the
/// NaN flags of `x` (`None` when it holds no NaN).
struct NanInfo<T> {
    consts: [T; 2],
    fill_is_nan: bool,
    flags: Option<Vec<u32>>,
}

impl<T: Float> NanInfo<T> {
    fn of(x: &[T], boundary: &Boundary<T>) -> Self {
        let fill = match boundary {
            Boundary::Fill(v) => *v,
            _ => T::zero(),
        };
        let flags = x
            .iter()
            .any(|v| v.is_nan())
            .then(|| x.iter().map(|v| v.is_nan() as u32).collect());
        NanInfo {
            consts: [fill, T::nan()],
            fill_is_nan: matches!(boundary, Boundary::Fill(v) if v.is_nan()),
            flags,
        }
    }

    /// The flags of samples `a..b` (one placeholder when there are none).
    fn flags(&self, a: usize, b: usize) -> &[u32] {
        match &self.flags {
            Some(f) => &f[a..b],
            None => &[0],
        }
    }
}

/// The GPU for `T`, and how many units (rows or planes of `unit` samples) each launch takes; 0 when
/// one unit is larger than a binding (the caller tiles it).
fn gpu_and_units<T: GpuElement>(units: usize, unit: usize) -> Result<(&'static Gpu, usize)> {
    let gpu = gpu_for::<T>()?;
    let cap = elements_per_binding::<T>(gpu);
    if unit > cap {
        return Ok((gpu, 0));
    }
    Ok((gpu, (cap / unit.max(1)).clamp(1, units.max(1))))
}

fn elements_per_binding<T>(gpu: &Gpu) -> usize {
    gpu.max_binding_bytes() as usize / std::mem::size_of::<T>()
}

/// A plane of `h x w` (row-major) read through a window of `kh x kw` taps starting at `start`,
/// in tiles of outputs whose input blocks (with halos) fit `cap` samples.
struct Tiling<'a, T> {
    x: &'a [T],
    dims: (usize, usize),
    window: (usize, usize),
    start: (isize, isize),
    boundary: Boundary<T>,
}

impl<T: GpuElement> Tiling<'_, T> {
    /// Runs `kernel(block, (rows, cols))` on each tile's input block (its `rows + kh - 1` by
    /// `cols + kw - 1` samples, boundary applied) and copies the kernel's first `rows x cols`
    /// outputs (block rows `0..rows`, columns `0..cols`, read with the window at the block's corner)
    /// into `out`.
    fn run(
        &self,
        cap: usize,
        out: &mut [T],
        mut kernel: impl FnMut(&[T], (usize, usize)) -> Result<Vec<T>>,
    ) -> Result<()> {
        let ((h, w), (kh, kw)) = (self.dims, self.window);
        let mut tw = w;
        let th = loop {
            let cols = tw + kw - 1;
            if cols * kh <= cap {
                break (cap / cols - (kh - 1)).min(h);
            }
            if tw == 1 {
                return value_error!(
                    "a window of {kh} x {kw} samples does not fit one GPU buffer binding; use \
                     device='cpu'"
                );
            }
            tw = tw.div_ceil(2);
        };
        let fill = match self.boundary {
            Boundary::Fill(v) => v,
            _ => T::default(),
        };
        let mut block = Vec::new();
        for r0 in (0..h).step_by(th) {
            let rows = th.min(h - r0);
            for c0 in (0..w).step_by(tw) {
                let cols = tw.min(w - c0);
                let (bh, bw) = (rows + kh - 1, cols + kw - 1);
                block.clear();
                for r in 0..bh {
                    let sr = self
                        .boundary
                        .source_index(r0 as isize + self.start.0 + r as isize, h);
                    for c in 0..bw {
                        let sc = self
                            .boundary
                            .source_index(c0 as isize + self.start.1 + c as isize, w);
                        block.push(match (sr, sc) {
                            (Some(sr), Some(sc)) => self.x[sr * w + sc],
                            _ => fill,
                        });
                    }
                }
                let res = kernel(&block, (bh, bw))?;
                for r in 0..rows {
                    let at = (r0 + r) * w + c0;
                    out[at..at + cols].copy_from_slice(&res[r * bw..r * bw + cols]);
                }
            }
        }
        Ok(())
    }
}

/// Minimum (`max == false`) or maximum along the middle axis of `x` seen as `(outer, n, inner)`:
/// `out[o, i, j]` over `ext(x)[o, i + start .. i + start + k, j]` (as the CPU's
/// `separable::pass` with `Op::Min` / `Op::Max`, NaN windows giving NaN).
#[allow(clippy::too_many_arguments)]
pub fn extreme_pass<T: GpuElement + Float>(
    x: &[T],
    (outer, n, inner): (usize, usize, usize),
    k: usize,
    start: isize,
    boundary: Boundary<T>,
    max: bool,
    out: &mut [T],
) -> Result<()> {
    let len = outer * n * inner;
    if x.len() != len || out.len() != len {
        return value_error!(
            "extreme_pass: input and output must hold {outer} x {n} x {inner} samples; got {} \
             and {}",
            x.len(),
            out.len()
        );
    }
    if k == 0 {
        return value_error!("filter size must be at least 1; got a window of 0 samples");
    }
    if len == 0 {
        return Ok(());
    }
    let row = n * inner;
    let (gpu, per) = gpu_and_units::<T>(outer, row)?;
    if per == 0 {
        // one row is larger than a binding: each (n, inner) slab (window down its columns), or the
        // (outer, n) rows (window along them), in tiles
        let cap = elements_per_binding::<T>(gpu);
        let tile = |block: &[T], (bh, bw): (usize, usize), along_rows: bool| -> Result<Vec<T>> {
            let mut res = vec![T::zero(); block.len()];
            let dims = if along_rows { (1, bh, bw) } else { (bh, bw, 1) };
            extreme_pass(block, dims, k, 0, Boundary::Nearest, max, &mut res)?;
            Ok(res)
        };
        if inner == 1 {
            let t = Tiling {
                x,
                dims: (outer, n),
                window: (1, k),
                start: (0, start),
                boundary,
            };
            return t.run(cap, out, |b, d| tile(b, d, false));
        }
        for (xs, os) in x.chunks_exact(row).zip(out.chunks_exact_mut(row)) {
            let t = Tiling {
                x: xs,
                dims: (n, inner),
                window: (k, 1),
                start: (start, 0),
                boundary,
            };
            t.run(cap, os, |b, d| tile(b, d, true))?;
        }
        return Ok(());
    }
    let nan = NanInfo::of(x, &boundary);
    let pipeline = gpu.pipeline(EXTREME_PASS, "main", T::WGSL, &[])?;
    let cbuf = gpu.upload("consts", &nan.consts, 0)?;
    for o0 in (0..outer).step_by(per) {
        let o1 = outer.min(o0 + per);
        let (a, b) = (o0 * row, o1 * row);
        let grid = gpu.flat_grid(b - a, GROUP);
        let u = PassUniform {
            outer: int(o1 - o0, "rows")?,
            n: int(n, "axis length")?,
            inner: int(inner, "inner length")?,
            k: int(k, "filter size")?,
            start: offset(start)?,
            boundary: boundary_code(&boundary),
            is_max: max as u32,
            has_nan: nan.flags.is_some() as u32,
            fill_is_nan: nan.fill_is_nan as u32,
            groups_x: grid[0],
            pad: [0; 2],
        };
        let ubuf = gpu.uniform(&u)?;
        let xbuf = gpu.upload("input", &x[a..b], 0)?;
        let fbuf = gpu.upload("nan_flags", nan.flags(a, b), 0)?;
        let obuf = gpu.output::<T>("output", b - a)?;
        gpu.dispatch(&pipeline, &[&ubuf, &xbuf, &cbuf, &fbuf, &obuf], grid)?;
        gpu.read_into(&obuf, &mut out[a..b])?;
    }
    Ok(())
}

/// Rank `rank` (0-based) of the samples under a footprint, over `planes` planes of `h x w`:
/// `out[q, y, x]` over `ext(x)[q, y + start.0 + a, x + start.1 + b]` for each tap `(a, b)` of
/// `taps` (at most [`MAX_TAPS`]); as the CPU's `rank_filter` on 2-D planes, NaN windows giving NaN.
pub fn rank_filter_2d<T: GpuElement + Float>(
    x: &[T],
    (planes, h, w): (usize, usize, usize),
    taps: &[(usize, usize)],
    rank: usize,
    start: (isize, isize),
    boundary: Boundary<T>,
    out: &mut [T],
) -> Result<()> {
    let len = planes * h * w;
    if x.len() != len || out.len() != len {
        return value_error!(
            "rank_filter_2d: input and output must hold {planes} x {h} x {w} samples; got {} and \
             {}",
            x.len(),
            out.len()
        );
    }
    if taps.is_empty() || taps.len() > MAX_TAPS {
        return value_error!(
            "device='gpu' runs rank filters of 1 to {MAX_TAPS} footprint samples; got {} (use \
             device='cpu')",
            taps.len()
        );
    }
    if rank >= taps.len() {
        return value_error!(
            "rank must lie in [0, {}) for this footprint; got {rank}",
            taps.len()
        );
    }
    if len == 0 {
        return Ok(());
    }
    let plane = h * w;
    let (gpu, per) = gpu_and_units::<T>(planes, plane)?;
    if per == 0 {
        // one plane is larger than a binding: each plane in tiles
        let cap = elements_per_binding::<T>(gpu);
        let kh = taps.iter().map(|t| t.0).max().unwrap_or(0) + 1;
        let kw = taps.iter().map(|t| t.1).max().unwrap_or(0) + 1;
        for (xs, os) in x.chunks_exact(plane).zip(out.chunks_exact_mut(plane)) {
            let t = Tiling {
                x: xs,
                dims: (h, w),
                window: (kh, kw),
                start,
                boundary,
            };
            t.run(cap, os, |block, (bh, bw)| {
                let mut res = vec![T::zero(); block.len()];
                rank_filter_2d(
                    block,
                    (1, bh, bw),
                    taps,
                    rank,
                    (0, 0),
                    Boundary::Nearest,
                    &mut res,
                )?;
                Ok(res)
            })?;
        }
        return Ok(());
    }
    let nan = NanInfo::of(x, &boundary);
    let flat_taps = taps
        .iter()
        .flat_map(|&(a, b)| [a, b])
        .map(|v| int::<i32>(v, "footprint"))
        .collect::<Result<Vec<_>>>()?;
    let pipeline = gpu.pipeline(RANK_FILTER, "main", T::WGSL, &[])?;
    let tbuf = gpu.upload("taps", &flat_taps, 0)?;
    let cbuf = gpu.upload("consts", &nan.consts, 0)?;
    for q0 in (0..planes).step_by(per) {
        let q1 = planes.min(q0 + per);
        let (a, b) = (q0 * plane, q1 * plane);
        let grid = gpu.flat_grid(b - a, GROUP);
        let u = RankUniform {
            planes: int(q1 - q0, "planes")?,
            h: int(h, "height")?,
            w: int(w, "width")?,
            count: taps.len() as u32,
            rank: rank as u32,
            start_h: offset(start.0)?,
            start_w: offset(start.1)?,
            boundary: boundary_code(&boundary),
            has_nan: nan.flags.is_some() as u32,
            fill_is_nan: nan.fill_is_nan as u32,
            groups_x: grid[0],
            pad: 0,
        };
        let ubuf = gpu.uniform(&u)?;
        let xbuf = gpu.upload("input", &x[a..b], 0)?;
        let fbuf = gpu.upload("nan_flags", nan.flags(a, b), 0)?;
        let obuf = gpu.output::<T>("output", b - a)?;
        gpu.dispatch(&pipeline, &[&ubuf, &xbuf, &tbuf, &cbuf, &fbuf, &obuf], grid)?;
        gpu.read_into(&obuf, &mut out[a..b])?;
    }
    Ok(())
}
