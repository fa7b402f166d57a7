//! Entry points of the scipy.ndimage-style filters: separable passes (correlation, mean, min, max
//! along axes, one after another) and rank filters (median over a footprint), with NaN handled
//! in one place.
//!
//! NaN: the linear passes spread NaN over every window that holds one, as any correlation does.
//! The min/max/median kernels compare with the SIMD `min`/`max` rule, which does not propagate
//! NaN, so when the input holds NaN the windows that contain one are found afterwards (a max pass
//! over a NaN mask with the same window and boundary) and set to NaN: a window with a NaN gives
//! NaN, as `numpy.max` or `numpy.median` of it would.

use crate::cpu::separable::{AxisOp, Op, PassElement};
use crate::cpu::{rank, separable, threads};
use crate::error::{value_error, Error, Result};
use crate::ops::cost;
use crate::ops::device::{self, Device, Request};
use crate::ops::DeviceElement;
use crate::params::Boundary;
use ndarray::ArrayViewD;
use rayon::prelude::*;

/// What one pass along an axis computes over each window.
#[derive(Debug, Clone, PartialEq)]
pub enum PassOp<T> {
    /// `sum_m w[m] * window[m]` (correlate1d).
    Correlate(Vec<T>),
    /// The mean of `size` samples (uniform_filter1d).
    Mean(usize),
    /// The minimum of `size` samples.
    Min(usize),
    /// The maximum of `size` samples.
    Max(usize),
}

impl<T> PassOp<T> {
    /// The window length.
    pub fn len(&self) -> usize {
        match self {
            PassOp::Correlate(w) => w.len(),
            PassOp::Mean(k) | PassOp::Min(k) | PassOp::Max(k) => *k,
        }
    }

    /// Whether the window is empty (never valid).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One pass: `out[i] = op(ext(x)[i + start .. i + start + len])` along `axis`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass<T> {
    /// The filtered axis.
    pub axis: usize,
    /// What each window gives.
    pub op: PassOp<T>,
    /// Offset of window sample 0 from the output index.
    pub start: isize,
    /// Samples outside the input.
    pub boundary: Boundary<T>,
}

/// Element types of the ndimage filters: floats run every op, integers (as i64) min, max and rank.
pub trait NdElement: PassElement {
    /// A NaN of the type, or None for integers.
    fn nan() -> Option<Self>;
}

impl NdElement for f32 {
    fn nan() -> Option<Self> {
        Some(f32::NAN)
    }
}

impl NdElement for f64 {
    fn nan() -> Option<Self> {
        Some(f64::NAN)
    }
}

impl NdElement for i64 {
    fn nan() -> Option<Self> {
        None
    }
}

fn axis_op<T: Copy>(p: &Pass<T>) -> AxisOp<'_, T> {
    let op = match &p.op {
        PassOp::Correlate(w) => Op::Correlate(w),
        PassOp::Mean(k) => Op::Mean(*k),
        PassOp::Min(k) => Op::Min(*k),
        PassOp::Max(k) => Op::Max(*k),
    };
    AxisOp {
        op,
        start: p.start,
        boundary: p.boundary,
    }
}

/// The checks of [`filter_passes`] (shared with the GPU path): lengths, axes, non-empty windows,
/// and float types for the linear passes.
fn check_passes<T: NdElement>(
    x: &[T],
    shape: &[usize],
    passes: &[Pass<T>],
    out: &[T],
) -> Result<()> {
    check_shape(x, shape, out)?;
    let nd = shape.len();
    for p in passes {
        if p.axis >= nd {
            return value_error!("axis {} is out of range for {nd} dimensions", p.axis);
        }
        if p.op.is_empty() {
            return value_error!("filter size must be at least 1; got a window of 0 samples");
        }
        let linear = matches!(p.op, PassOp::Correlate(_) | PassOp::Mean(_));
        if linear && T::nan().is_none() {
            return Err(Error::Type(
                "correlation and mean passes compute in float32 or float64; got int64".into(),
            ));
        }
    }
    Ok(())
}

/// Runs `passes` one after the other (the first reads `x`, the last writes `out`). A pass along
/// the second-to-last axis followed by one along the last runs fused ([`separable::pass_2d`]).
pub fn filter_passes<T: NdElement>(
    x: &[T],
    shape: &[usize],
    passes: &[Pass<T>],
    out: &mut [T],
) -> Result<()> {
    check_passes(x, shape, passes, out)?;
    let nd = shape.len();
    if passes.is_empty() || x.is_empty() {
        out.copy_from_slice(x);
        return Ok(());
    }
    // Steps: (first pass, fused with the next one).
    let mut steps = Vec::new();
    let mut i = 0;
    while i < passes.len() {
        let fused = nd >= 2
            && i + 1 < passes.len()
            && passes[i].axis == nd - 2
            && passes[i + 1].axis == nd - 1;
        steps.push((i, fused));
        i += 1 + fused as usize;
    }
    let extreme: Vec<(usize, usize, isize, Boundary<T>)> = passes
        .iter()
        .filter_map(|p| match p.op {
            PassOp::Min(k) | PassOp::Max(k) => Some((p.axis, k, p.start, p.boundary)),
            _ => None,
        })
        .collect();
    // Returns whether the step's input may hold NaN (probed by the fused kernel, else unknown).
    let run = |src: &[T], (i, fused): (usize, bool), dst: &mut [T], probe: bool| -> bool {
        if fused {
            separable::pass_2d(
                src,
                shape,
                axis_op(&passes[i]),
                axis_op(&passes[i + 1]),
                probe,
                dst,
            )
        } else {
            separable::pass(src, shape, passes[i].axis, axis_op(&passes[i]), dst);
            true
        }
    };
    let probe = !extreme.is_empty();
    let n = steps.len();
    let mut tmp = if n > 1 {
        vec![T::ZERO; x.len()]
    } else {
        Vec::new()
    };
    let mut maybe_nan = true;
    for (s, &step) in steps.iter().enumerate() {
        // Ping-pong so that the last step lands in `out`.
        let to_out = (n - 1 - s) % 2 == 0;
        match (s, to_out) {
            (0, true) => maybe_nan = run(x, step, out, probe),
            (0, false) => maybe_nan = run(x, step, &mut tmp, probe),
            (_, true) => _ = run(&tmp, step, out, false),
            (_, false) => _ = run(out, step, &mut tmp, false),
        }
    }
    // Min/max passes: windows holding NaN become NaN.
    if !extreme.is_empty() {
        nan_windows(x, shape, &extreme, maybe_nan, out);
    }
    Ok(())
}

/// Rows `rows` (along axis 0) of [`filter_passes`]'s result, bit for bit, computing only what
/// they need: the passes before the last one along axis 0 run on the whole input, that one writes
/// only `rows`, and the passes after it run on those rows. (A dask chunk's edge is repaired this
/// way from a strip: the strip's other rows are never filtered.) Linear passes only: min and max
/// passes look at their NaN windows again over the whole input.
pub fn filter_rows<T: NdElement>(
    x: &[T],
    shape: &[usize],
    passes: &[Pass<T>],
    rows: std::ops::Range<usize>,
    out: &mut [T],
) -> Result<()> {
    let n0 = shape.first().copied().unwrap_or(0);
    if rows.start > rows.end || rows.end > n0 {
        return value_error!("rows {rows:?} are not within the {n0} rows of axis 0");
    }
    let inner: usize = shape.iter().skip(1).product();
    let sub_shape: Vec<usize> = std::iter::once(rows.len())
        .chain(shape.iter().skip(1).copied())
        .collect();
    check_passes(x, shape, passes, x)?;
    check_buffers::<T>(shape, passes, threads::current_threads())?;
    if out.len() != rows.len() * inner {
        return value_error!(
            "out holds {} samples; expected {}",
            out.len(),
            rows.len() * inner
        );
    }
    if passes
        .iter()
        .any(|p| matches!(p.op, PassOp::Min(_) | PassOp::Max(_)))
    {
        return value_error!("filter_rows runs correlation and mean passes only");
    }
    let Some(k0) = passes.iter().rposition(|p| p.axis == 0) else {
        // No pass mixes rows: the rows alone go through every pass.
        let part = &x[rows.start * inner..rows.end * inner];
        return filter_passes(part, &sub_shape, passes, out);
    };
    let head_out;
    let src = if k0 > 0 {
        let mut whole = vec![T::ZERO; x.len()];
        filter_passes(x, shape, &passes[..k0], &mut whole)?;
        head_out = whole;
        &head_out[..]
    } else {
        x
    };
    let fused = shape.len() == 2 && passes.get(k0 + 1).is_some_and(|p| p.axis == 1);
    let tail = &passes[k0 + 1 + fused as usize..];
    let mut mid = if tail.is_empty() {
        Vec::new()
    } else {
        vec![T::ZERO; out.len()]
    };
    let dst: &mut [T] = if tail.is_empty() { out } else { &mut mid };
    if fused {
        separable::pass_2d_rows(
            src,
            shape,
            axis_op(&passes[k0]),
            axis_op(&passes[k0 + 1]),
            false,
            rows,
            dst,
        );
    } else {
        separable::pass_rows(src, shape, axis_op(&passes[k0]), rows, dst);
    }
    if !tail.is_empty() {
        filter_passes(&mid, &sub_shape, tail, out)?;
    }
    Ok(())
}

/// Refuses windows whose working buffers cannot be allocated: the CPU kernels keep a padded line
/// of `n + size - 1` samples per pass, and minimum and maximum passes `size` samples per column of
/// a block of up to 256, allocations that would otherwise abort the process or panic (scipy raises
/// MemoryError there), one set per thread. `size=10**12` fails here at once.
fn check_buffers<T>(shape: &[usize], passes: &[Pass<T>], threads: usize) -> Result<()> {
    for p in passes {
        let (n, k) = (shape.get(p.axis).copied().unwrap_or(1), p.op.len());
        let inner: usize = shape.get(p.axis + 1..).map_or(1, |s| s.iter().product());
        let block = match p.op {
            PassOp::Min(_) | PassOp::Max(_) => k.checked_mul(inner.clamp(1, 256)),
            _ => Some(0),
        };
        let need = n
            .checked_add(k)
            .zip(block)
            .and_then(|(line, block)| line.max(block).checked_mul(threads.max(1)));
        let fits = need.is_some_and(|need| Vec::<T>::new().try_reserve_exact(need).is_ok());
        if !fits {
            return value_error!(
                "the filter window of {k} samples along axis {} is too large: its working buffer \
                 cannot be allocated",
                p.axis
            );
        }
    }
    Ok(())
}

/// [`filter_passes`] on the device `request` picks, with `workers` threads on the CPU.
///
/// The GPU runs every pass along its axis, one after the other with the intermediate result
/// brought back to the host between passes: correlation and mean passes as a 1-D correlation
/// ([`DeviceElement::gpu_correlate`], every boundary), minimum and maximum passes with
/// [`DeviceElement::gpu_extreme_pass`] (exact). `'auto'` keeps minimum and maximum passes on the
/// CPU (their GPU cost is not modelled).
pub fn filter_passes_on<T: NdElement + DeviceElement + num_traits::NumCast>(
    request: Request,
    x: &[T],
    shape: &[usize],
    passes: &[Pass<T>],
    out: &mut [T],
    workers: Option<usize>,
) -> Result<()> {
    check_buffers::<T>(
        shape,
        passes,
        workers.unwrap_or_else(rayon::current_num_threads),
    )?;
    let linear = passes
        .iter()
        .all(|p| matches!(p.op, PassOp::Correlate(_) | PassOp::Mean(_)));
    let device = match request {
        Request::Auto if !linear || !T::ON_GPU => Device::Cpu,
        _ => device::select(request, || {
            let size = std::mem::size_of::<T>();
            let (mut macs, mut cpu_seconds) = (0.0, 0.0);
            for p in passes {
                let mut taps = vec![1; shape.len()];
                taps[p.axis] = p.op.len();
                macs += x.len() as f64 * p.op.len() as f64;
                cpu_seconds += cost::direct_seconds(shape, &taps, size);
            }
            device::Work {
                macs,
                // every pass uploads its input and downloads its output
                bytes: (2 * passes.len() * x.len() * size) as f64,
                cpu_seconds,
                f64: size == 8,
            }
        }),
    };
    match device {
        Device::Cpu => threads::with_workers(workers, || filter_passes(x, shape, passes, out)),
        Device::Gpu => gpu_passes(x, shape, passes, out),
    }
}

/// `passes` on the GPU: each linear one a 1-D correlation along its axis, each min/max one an
/// extreme pass.
fn gpu_passes<T: NdElement + DeviceElement + num_traits::NumCast>(
    x: &[T],
    shape: &[usize],
    passes: &[Pass<T>],
    out: &mut [T],
) -> Result<()> {
    check_passes(x, shape, passes, out)?;
    if passes.is_empty() || x.is_empty() {
        out.copy_from_slice(x);
        return Ok(());
    }
    // The previous pass's result, read by the next one (the first reads `x`).
    let mut prev: Vec<T> = Vec::new();
    for (i, p) in passes.iter().enumerate() {
        let src: &[T] = if i == 0 { x } else { &prev };
        let dims = separable::split_axis(shape, p.axis);
        match &p.op {
            PassOp::Correlate(w) => gpu_correlate_pass(src, dims, w, p, out)?,
            PassOp::Mean(k) => {
                let v = <T as num_traits::NumCast>::from(1.0 / *k as f64).unwrap_or_default();
                gpu_correlate_pass(src, dims, &vec![v; *k], p, out)?
            }
            PassOp::Min(k) | PassOp::Max(k) => {
                let max = matches!(p.op, PassOp::Max(_));
                T::gpu_extreme_pass(src, dims, *k, p.start, p.boundary, max, out)?
            }
        }
        if i + 1 < passes.len() {
            prev.clear();
            prev.extend_from_slice(out);
        }
    }
    Ok(())
}

/// One linear pass on the GPU: `weights` correlated along the middle axis of `src` seen as
/// `(outer, n, inner)`.
fn gpu_correlate_pass<T: DeviceElement>(
    src: &[T],
    (outer, n, inner): (usize, usize, usize),
    weights: &[T],
    p: &Pass<T>,
    out: &mut [T],
) -> Result<()> {
    let k = weights.len();
    if inner == 1 {
        // rows of an (outer, n) matrix, the kernel along them
        let xv = ArrayViewD::from_shape(vec![outer, n], src).expect("sizes checked");
        let wv = ArrayViewD::from_shape(vec![1, k], weights).expect("sizes checked");
        return T::gpu_correlate(xv, wv, &[0, p.start], out, &[outer, n], p.boundary);
    }
    // columns of each (n, inner) slab
    let wv = ArrayViewD::from_shape(vec![k, 1], weights).expect("sizes checked");
    let slab = n * inner;
    for (s, d) in src.chunks_exact(slab).zip(out.chunks_exact_mut(slab)) {
        let xv = ArrayViewD::from_shape(vec![n, inner], s).expect("sizes checked");
        T::gpu_correlate(xv, wv.view(), &[p.start, 0], d, &[n, inner], p.boundary)?;
    }
    Ok(())
}

/// [`rank_filter`] on the device `request` picks, with `workers` threads on the CPU. The GPU
/// ([`DeviceElement::gpu_rank_2d`]) filters the last two axes (the last one for 1-D input) with a
/// footprint of at most [`crate::gpu::rank::MAX_TAPS`] samples, of length 1 and origin 0 along the
/// other axes; `'auto'` keeps the CPU (the GPU's cost is not modelled).
#[allow(clippy::too_many_arguments)]
pub fn rank_filter_on<T: NdElement + DeviceElement>(
    request: Request,
    x: &[T],
    shape: &[usize],
    footprint: &[bool],
    fshape: &[usize],
    rank: usize,
    start: &[isize],
    boundary: Boundary<T>,
    out: &mut [T],
    workers: Option<usize>,
) -> Result<()> {
    if request != Request::Gpu {
        return threads::with_workers(workers, || {
            rank_filter(x, shape, footprint, fshape, rank, start, boundary, out)
        });
    }
    check_rank(x, shape, footprint, fshape, rank, start, out)?;
    let nd = shape.len();
    if nd == 0 {
        return value_error!(
            "device='gpu' runs rank filters of 1-D and larger arrays; got a 0-D one"
        );
    }
    let lead = nd.saturating_sub(2);
    if (0..lead).any(|d| fshape[d] != 1 || start[d] != 0) {
        return value_error!(
            "device='gpu' runs rank filters over the last two axes; got a footprint of shape \
             {fshape:?} (use device='cpu')"
        );
    }
    let (h, w, kh, kw, st) = if nd == 1 {
        (1, shape[0], 1, fshape[0], (0, start[0]))
    } else {
        let (a, b) = (nd - 2, nd - 1);
        (
            shape[a],
            shape[b],
            fshape[a],
            fshape[b],
            (start[a], start[b]),
        )
    };
    let taps: Vec<(usize, usize)> = (0..kh)
        .flat_map(|a| (0..kw).map(move |b| (a, b)))
        .filter(|&(a, b)| footprint[a * kw + b])
        .collect();
    if x.is_empty() {
        return Ok(());
    }
    let planes = x.len() / (h * w);
    T::gpu_rank_2d(x, (planes, h, w), &taps, rank, st, boundary, out)
}

/// The checks of [`rank_filter`] (shared with the GPU path): lengths, one footprint length and
/// origin per axis, a non-empty footprint, a rank within it; returns the footprint's count.
fn check_rank<T>(
    x: &[T],
    shape: &[usize],
    footprint: &[bool],
    fshape: &[usize],
    rank: usize,
    start: &[isize],
    out: &[T],
) -> Result<usize> {
    check_shape(x, shape, out)?;
    let nd = shape.len();
    if fshape.len() != nd
        || start.len() != nd
        || footprint.len() != fshape.iter().product::<usize>()
    {
        return value_error!(
            "footprint and origin need one length per axis of the input ({nd}); got footprint \
             shape {fshape:?} and {} origins",
            start.len()
        );
    }
    let count = footprint.iter().filter(|&&f| f).count();
    if count == 0 {
        return value_error!(
            "footprint must select at least one sample; got an all-false footprint"
        );
    }
    if rank >= count {
        return value_error!("rank must lie in [0, {count}) for this footprint; got {rank}");
    }
    Ok(count)
}

/// Rank `rank` of the samples under `footprint` (shape `fshape`) at every position.
#[allow(clippy::too_many_arguments)]
pub fn rank_filter<T: NdElement>(
    x: &[T],
    shape: &[usize],
    footprint: &[bool],
    fshape: &[usize],
    rank: usize,
    start: &[isize],
    boundary: Boundary<T>,
    out: &mut [T],
) -> Result<()> {
    let count = check_rank(x, shape, footprint, fshape, rank, start, out)?;
    let nd = shape.len();
    if x.is_empty() {
        return Ok(());
    }
    // The SIMD networks: a full rectangle over at most the last two axes, median rank.
    let full = count == footprint.len();
    let lead_ones = nd < 2 || fshape[..nd - 2].iter().all(|&f| f == 1);
    let (kh, kw) = match nd {
        0 => (0, 0),
        1 => (1, fshape[0]),
        _ => (fshape[nd - 2], fshape[nd - 1]),
    };
    if full && lead_ones && rank == count / 2 && nd >= 1 && rank::has_network(kh, kw) {
        let (h, w) = if nd == 1 {
            (1, shape[0])
        } else {
            (shape[nd - 2], shape[nd - 1])
        };
        let planes = x.len() / (h * w);
        let st = if nd == 1 {
            [0, start[0]]
        } else {
            [start[nd - 2], start[nd - 1]]
        };
        let maybe_nan = rank::median_planes(x, planes, (h, w), (kh, kw), st, boundary, out);
        let mut axes = vec![(nd - 1, kw, st[1], boundary)];
        if nd >= 2 {
            axes.push((nd - 2, kh, st[0], boundary));
        }
        nan_windows(x, shape, &axes, maybe_nan, out);
    } else {
        rank::rank_generic(x, shape, footprint, fshape, rank, start, boundary, out);
    }
    Ok(())
}

fn check_shape<T>(x: &[T], shape: &[usize], out: &[T]) -> Result<()> {
    let n: usize = shape.iter().product();
    if x.len() != n || out.len() != n {
        return value_error!(
            "input of {} samples, output of {} and shape {shape:?} do not agree",
            x.len(),
            out.len()
        );
    }
    Ok(())
}

/// Sets to NaN every output whose rectangular window (one `(axis, size, start, boundary)` per
/// filtered axis) holds a NaN of `x`, or reads a NaN fill value. `maybe_nan` false: a kernel's
/// probe saw no NaN in `x`, so it is not scanned again.
fn nan_windows<T: NdElement>(
    x: &[T],
    shape: &[usize],
    axes: &[(usize, usize, isize, Boundary<T>)],
    maybe_nan: bool,
    out: &mut [T],
) {
    let Some(nan) = T::nan() else { return };
    #[allow(clippy::eq_op)]
    let is_nan = |v: &T| *v != *v;
    let fill_nan = axes
        .iter()
        .any(|(_, _, _, b)| matches!(b, Boundary::Fill(v) if is_nan(v)));
    let any = maybe_nan
        && if threads::parallel(x.len()) {
            x.par_iter().any(is_nan)
        } else {
            x.iter().any(is_nan)
        };
    if !any && !fill_nan {
        return;
    }
    let mask: Vec<i64> = x.iter().map(|v| is_nan(v) as i64).collect();
    let passes: Vec<Pass<i64>> = axes
        .iter()
        .map(|&(axis, k, start, b)| Pass {
            axis,
            op: PassOp::Max(k),
            start,
            boundary: match b {
                Boundary::Fill(v) => Boundary::Fill(is_nan(&v) as i64),
                Boundary::Wrap => Boundary::Wrap,
                Boundary::Symm => Boundary::Symm,
                Boundary::Mirror => Boundary::Mirror,
                Boundary::Nearest => Boundary::Nearest,
            },
        })
        .collect();
    let mut hit = vec![0i64; x.len()];
    filter_passes(&mask, shape, &passes, &mut hit).expect("valid passes");
    for (o, &h) in out.iter_mut().zip(&hit) {
        if h != 0 {
            *o = nan;
        }
    }
}
