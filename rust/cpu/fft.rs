//! FFT convolution: real FFTs over the convolved axes, lengths padded to fast sizes; one transform
//! of the whole array, or overlap-add tiles that each take one small transform.
//!
//! Arrays are handled with their axes permuted so that the broadcast ("batch") axes come first and
//! the convolved axes last. One [`Spectral`] plan serves both algorithms: it places a real tile in a
//! zero-padded buffer, takes a real FFT along the last convolved axis and complex FFTs along the
//! others, and on the way back writes only the window of the circular convolution that is wanted.
//!
//! * Whole array: one tile, the circular length on each axis just long enough that the kept window
//!   does not alias (`full` needs `n + k - 1`, `valid` only `n`). Every step is threaded inside.
//! * Overlap-add (scipy's `oaconvolve`): the *output* is cut into blocks; each reads the input
//!   segment it depends on (block + kernel - 1 samples, zero outside the input), so blocks are
//!   independent, write disjoint parts of the output, and run as parallel tasks.
//!
//! The kernel's spectrum is computed once per call and carries the `1 / prod(lengths)` scale of the
//! unnormalised inverse transforms.

use crate::cpu::threads;
use crate::element::Real;
use crate::params::AxisWindow;
use ndarray::{ArrayD, ArrayViewD, ArrayViewMut2, ArrayViewMutD, Axis, IxDyn, Slice, Zip};
use num_complex::Complex;
use rayon::prelude::*;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftPlanner};
use std::sync::{Arc, LazyLock, Mutex};

/// Real types with FFT plans, cached process-wide (planning is not free, and a rustfft planner
/// reuses what it planned before).
pub trait FftElement: Real {
    /// The planners of this type.
    fn planners() -> &'static Planners<Self>;
}

/// The process-wide planners of one element type.
pub struct Planners<T: realfft::FftNum> {
    real: Mutex<RealFftPlanner<T>>,
    complex: Mutex<FftPlanner<T>>,
}

impl<T: realfft::FftNum> Planners<T> {
    fn new() -> Self {
        Planners {
            real: Mutex::new(RealFftPlanner::new()),
            complex: Mutex::new(FftPlanner::new()),
        }
    }
}

macro_rules! fft_element {
    ($t:ty) => {
        impl FftElement for $t {
            fn planners() -> &'static Planners<Self> {
                static PLANNERS: LazyLock<Planners<$t>> = LazyLock::new(Planners::new);
                &PLANNERS
            }
        }
    };
}
fft_element!(f32);
fft_element!(f64);

/// True convolution of `x` and `k` over `axes` (sorted, distinct); along the other axes the two
/// broadcast (equal lengths, or one of them 1). `windows[i]` is the part of the full convolution kept
/// along `axes[i]`. `block`: `None` for one FFT of the whole padded array, `Some(b)` to cut the output
/// into blocks of about `b[i]` samples along `axes[i]` (overlap-add), each its own FFT of a fast length.
pub fn convolve<T: FftElement>(
    x: ArrayViewD<T>,
    k: ArrayViewD<T>,
    axes: &[usize],
    windows: &[AxisWindow],
    block: Option<&[usize]>,
) -> ArrayD<T> {
    let mut out = ArrayD::zeros(IxDyn(&output_shape(x.shape(), k.shape(), axes, windows)));
    convolve_into(x, k, axes, windows, block, out.view_mut());
    out
}

/// Shape of [`convolve`]'s result: the windows along `axes`, the broadcast length elsewhere.
pub fn output_shape(
    x_shape: &[usize],
    k_shape: &[usize],
    axes: &[usize],
    windows: &[AxisWindow],
) -> Vec<usize> {
    let mut shape: Vec<usize> = x_shape
        .iter()
        .zip(k_shape)
        .map(|(&a, &b)| a.max(b))
        .collect();
    for (&a, w) in axes.iter().zip(windows) {
        shape[a] = w.out_len;
    }
    shape
}

/// [`convolve`] into `out`, of [`output_shape`]; every element is written, none read.
pub fn convolve_into<T: FftElement>(
    x: ArrayViewD<T>,
    k: ArrayViewD<T>,
    axes: &[usize],
    windows: &[AxisWindow],
    block: Option<&[usize]>,
    mut out: ArrayViewMutD<T>,
) {
    assert_eq!(
        out.shape(),
        output_shape(x.shape(), k.shape(), axes, windows).as_slice(),
        "fft::convolve_into: output shape"
    );
    if out.is_empty() {
        return;
    }
    if x.is_empty() || k.is_empty() {
        out.fill(T::zero());
        return;
    }
    if axes.is_empty() {
        Zip::from(&mut out)
            .and_broadcast(&x)
            .and_broadcast(&k)
            .for_each(|o, &a, &b| *o = a * b);
        return;
    }
    // Batch axes first, convolved axes last.
    let batch: Vec<usize> = (0..x.ndim()).filter(|d| !axes.contains(d)).collect();
    let perm: Vec<usize> = batch.iter().chain(axes).copied().collect();
    let geometry = Geometry {
        batch: batch.len(),
        x_len: axes.iter().map(|&a| x.shape()[a]).collect(),
        k_len: axes.iter().map(|&a| k.shape()[a]).collect(),
        windows: windows.to_vec(),
    };
    let xp = x.permuted_axes(perm.clone());
    let kp = k.permuted_axes(perm.clone());
    let outp = out.permuted_axes(perm);
    match block {
        None => geometry.whole(xp, kp, outp),
        Some(b) => geometry.overlap_add(xp, kp, outp, b),
    }
}

/// The smallest length `>= n` whose FFT is fast (factors 2, 3, 5 and 7 only).
pub fn next_fast_len(n: usize) -> usize {
    let mut m = n.max(1);
    loop {
        let mut r = m;
        for p in [2, 3, 5, 7] {
            while r.is_multiple_of(p) {
                r /= p;
            }
        }
        if r == 1 {
            return m;
        }
        m += 1;
    }
}

/// The shortest circular convolution length along one axis from which `window` of the full linear
/// convolution (input `n`, kernel `k` samples) can be read without aliasing: the full result has
/// support `0 .. n + k - 1`, and index `o` of the window is clean when neither `o - L` nor `o + L`
/// falls inside that support.
pub fn circular_len(n: usize, k: usize, window: AxisWindow) -> usize {
    let full = n + k - 1;
    (full - window.full_offset).max(window.full_offset + window.out_len)
}

/// Overlap-add: the circular length of a block of `b` output samples with a kernel of `k` samples,
/// padded to a fast length, and the (possibly larger) block that length serves.
pub fn block_geometry(b: usize, k: usize) -> (usize, usize) {
    let len = next_fast_len(b + k - 1);
    (len, len + 1 - k)
}

/// Lengths along the convolved axes, and what to keep; the arrays it works on are permuted (batch
/// axes first, `batch` of them).
struct Geometry {
    batch: usize,
    x_len: Vec<usize>,
    k_len: Vec<usize>,
    windows: Vec<AxisWindow>,
}

impl Geometry {
    /// One transform of the whole array.
    fn whole<T: FftElement>(&self, x: ArrayViewD<T>, k: ArrayViewD<T>, out: ArrayViewMutD<T>) {
        let lens: Vec<usize> = (0..self.windows.len())
            .map(|i| next_fast_len(circular_len(self.x_len[i], self.k_len[i], self.windows[i])))
            .collect();
        let plan = Spectral::<T>::new(self.batch, lens);
        let parallel = threads::parallel(plan.work(x.len().max(k.len())));
        let zeros = vec![0; self.windows.len()];
        let k_spec = plan.kernel(k, parallel);
        let x_spec = plan.forward(x, &zeros, parallel);
        let product = multiply(x_spec, &k_spec, parallel);
        let offsets: Vec<usize> = self.windows.iter().map(|w| w.full_offset).collect();
        plan.inverse_into(product, &offsets, out, parallel);
    }

    /// Overlap-add blocks of about `block[i]` output samples along convolved axis `i`.
    fn overlap_add<T: FftElement>(
        &self,
        x: ArrayViewD<T>,
        k: ArrayViewD<T>,
        mut out: ArrayViewMutD<T>,
        block: &[usize],
    ) {
        let m = self.windows.len();
        let (lens, blocks): (Vec<usize>, Vec<usize>) = (0..m)
            .map(|i| block_geometry(block[i].max(1), self.k_len[i]))
            .unzip();
        let plan = Spectral::<T>::new(self.batch, lens.clone());
        let tiles: usize = (0..m)
            .map(|i| self.windows[i].out_len.div_ceil(blocks[i]))
            .product();
        let parallel = tiles > 1 && threads::parallel(tiles * plan.work(1));
        let k_spec = plan.kernel(k, parallel);
        // Output tile at origin o (per axis) reads the input from s = o + offset - (k - 1): the
        // samples x[s ..s + block + k - 1] that exist, placed at s's position in the tile buffer.
        let tile = |origin: &[usize], mut out_tile: ArrayViewMutD<T>| {
            let mut xt = x.view();
            let mut place = vec![0; m];
            for i in 0..m {
                let s = (origin[i] + self.windows[i].full_offset) as isize
                    - (self.k_len[i] as isize - 1);
                let lo = s.max(0);
                let hi = (s + (blocks[i] + self.k_len[i] - 1) as isize).min(self.x_len[i] as isize);
                if lo >= hi {
                    out_tile.fill(T::zero()); // it reads only zero padding
                    return;
                }
                xt.slice_axis_inplace(Axis(self.batch + i), Slice::from(lo..hi));
                place[i] = (lo - s) as usize;
            }
            let x_spec = plan.forward(xt, &place, false);
            let product = multiply(x_spec, &k_spec, false);
            let offsets: Vec<usize> = self.k_len.iter().map(|&n| n - 1).collect();
            plan.inverse_into(product, &offsets, out_tile, false);
        };
        for_each_tile(
            out.view_mut(),
            self.batch,
            &blocks,
            &vec![0; m],
            parallel,
            &tile,
        );
    }
}

/// Calls `f(origin, tile)` for the tiles of `blocks[i]` samples along axes `batch + i` of `out`.
fn for_each_tile<T: Send, F>(
    mut out: ArrayViewMutD<T>,
    batch: usize,
    blocks: &[usize],
    origin: &[usize],
    parallel: bool,
    f: &F,
) where
    F: Fn(&[usize], ArrayViewMutD<T>) + Sync,
{
    let i = origin.len() - blocks.len();
    let Some((&b, rest)) = blocks.split_first() else {
        f(origin, out);
        return;
    };
    let axis = Axis(batch + i);
    let run = |(t, tile): (usize, ArrayViewMutD<T>)| {
        let mut origin = origin.to_vec();
        origin[i] = t * b;
        for_each_tile(tile, batch, rest, &origin, parallel, f);
    };
    let tiles: Vec<_> = out.axis_chunks_iter_mut(axis, b).enumerate().collect();
    if parallel {
        tiles.into_par_iter().for_each(run);
    } else {
        tiles.into_iter().for_each(run);
    }
}

/// FFT plans for one tile shape: circular lengths `lens` along the convolved axes (the last
/// `lens.len()` axes of the permuted arrays, after `batch` broadcast axes).
struct Spectral<T: FftElement> {
    batch: usize,
    lens: Vec<usize>,
    r2c: Arc<dyn RealToComplex<T>>,
    c2r: Arc<dyn ComplexToReal<T>>,
    /// Forward and inverse complex FFTs along the convolved axes but the last.
    forward: Vec<Arc<dyn Fft<T>>>,
    inverse: Vec<Arc<dyn Fft<T>>>,
}

impl<T: FftElement> Spectral<T> {
    fn new(batch: usize, lens: Vec<usize>) -> Self {
        let planners = T::planners();
        let last = *lens.last().expect("at least one convolved axis");
        let (r2c, c2r) = {
            let mut real = planners.real.lock().unwrap_or_else(|e| e.into_inner());
            (real.plan_fft_forward(last), real.plan_fft_inverse(last))
        };
        let mut complex = planners.complex.lock().unwrap_or_else(|e| e.into_inner());
        let middle = &lens[..lens.len() - 1];
        let forward = middle
            .iter()
            .map(|&n| complex.plan_fft_forward(n))
            .collect();
        let inverse = middle
            .iter()
            .map(|&n| complex.plan_fft_inverse(n))
            .collect();
        Spectral {
            batch,
            lens,
            r2c,
            c2r,
            forward,
            inverse,
        }
    }

    /// Samples of the spectrum: the half-length last axis times the others.
    fn spectrum_points(&self) -> usize {
        let last = self.lens.len() - 1;
        self.lens[..last].iter().product::<usize>() * (self.lens[last] / 2 + 1)
    }

    /// A size in multiply-add equivalents for [`threads::parallel`]: `batch_points` real samples
    /// per batch position of the tile, each touched by `log2(L)` butterflies.
    fn work(&self, batch_points: usize) -> usize {
        let per_tile = self.spectrum_points() as f64;
        let log = per_tile.log2().max(1.0);
        (per_tile * log) as usize * batch_points.max(1)
    }

    /// The kernel's spectrum, scaled by `1 / prod(lens)` for the unnormalised inverse.
    fn kernel(&self, k: ArrayViewD<T>, parallel: bool) -> ArrayD<Complex<T>> {
        let nb = self.batch;
        let longer = (0..self.lens.len()).any(|i| k.shape()[nb + i] > self.lens[i]);
        let folded;
        let k = if longer {
            // Longer than the circular length (a 'same' or 'valid' window can need less than the
            // kernel): wrapped onto it, which leaves the circular convolution unchanged.
            let mut shape = k.shape().to_vec();
            for (i, &len) in self.lens.iter().enumerate() {
                shape[nb + i] = shape[nb + i].min(len);
            }
            let mut f = ArrayD::<T>::zeros(IxDyn(&shape));
            for (mut idx, &v) in k.indexed_iter() {
                for (i, &len) in self.lens.iter().enumerate() {
                    idx[nb + i] %= len;
                }
                f[&idx] = f[&idx] + v;
            }
            folded = f;
            folded.view()
        } else {
            k
        };
        let mut spec = self.forward(k, &vec![0; self.lens.len()], parallel);
        let n: f64 = self.lens.iter().map(|&l| l as f64).product();
        let scale = T::from(1.0 / n).expect("a float");
        spec.mapv_inplace(|v| v * scale);
        spec
    }

    /// The spectrum of `x` (permuted: batch axes, then convolved axes) placed at `place[i]` in a
    /// zero buffer of `lens[i]` samples along each convolved axis.
    fn forward(&self, x: ArrayViewD<T>, place: &[usize], parallel: bool) -> ArrayD<Complex<T>> {
        let (nb, m) = (self.batch, self.lens.len());
        let last_len = self.lens[m - 1];
        let mut shape = x.shape()[..nb].to_vec();
        shape.extend_from_slice(&self.lens[..m - 1]);
        shape.push(last_len / 2 + 1);
        let mut spec = ArrayD::<Complex<T>>::zeros(IxDyn(&shape));
        {
            // The rows of the buffer that hold samples of x; the others stay zero.
            let mut rows = spec.view_mut();
            for (i, &at) in place[..m - 1].iter().enumerate() {
                let n = x.shape()[nb + i];
                rows.slice_axis_inplace(Axis(nb + i), Slice::from(at..at + n));
            }
            let axis = Axis(nb + m - 1);
            let (at, n) = (place[m - 1], x.shape()[nb + m - 1]);
            let r2c = &self.r2c;
            let init = || (vec![T::zero(); last_len], r2c.make_scratch_vec());
            let row = |(buf, scratch): &mut (Vec<T>, Vec<Complex<T>>), (mut s, xl): Lane<T>| {
                buf.fill(T::zero());
                buf[at..at + n]
                    .iter_mut()
                    .zip(xl)
                    .for_each(|(b, &v)| *b = v);
                let s = s.as_slice_mut().expect("spectrum rows are contiguous");
                r2c.process_with_scratch(buf, s, scratch)
                    .expect("lengths match the plan");
            };
            let zip = Zip::from(rows.lanes_mut(axis)).and(x.lanes(axis));
            if parallel {
                zip.into_par_iter().for_each_init(init, row);
            } else {
                let mut state = init();
                zip.for_each(|s, xl| row(&mut state, (s, xl)));
            }
        }
        for (i, fft) in self.forward.iter().enumerate() {
            fft_along(&mut spec, nb + i, fft.as_ref(), parallel);
        }
        spec
    }

    /// Inverse of `spec` along every convolved axis; writes the samples `offsets[i] ..` (as many as
    /// `out` has along each convolved axis) of the circular result into `out`.
    fn inverse_into(
        &self,
        mut spec: ArrayD<Complex<T>>,
        offsets: &[usize],
        mut out: ArrayViewMutD<T>,
        parallel: bool,
    ) {
        let (nb, m) = (self.batch, self.lens.len());
        for (i, fft) in self.inverse.iter().enumerate() {
            fft_along(&mut spec, nb + i, fft.as_ref(), parallel);
        }
        let mut rows = spec.view_mut();
        for (i, &at) in offsets[..m - 1].iter().enumerate() {
            let n = out.shape()[nb + i];
            rows.slice_axis_inplace(Axis(nb + i), Slice::from(at..at + n));
        }
        let axis = Axis(nb + m - 1);
        let last_len = self.lens[m - 1];
        let (at, n) = (offsets[m - 1], out.shape()[nb + m - 1]);
        let c2r = &self.c2r;
        let init = || (vec![T::zero(); last_len], c2r.make_scratch_vec());
        let row = |(buf, scratch): &mut (Vec<T>, Vec<Complex<T>>), (mut o, mut s): LaneOut<T>| {
            let s = s.as_slice_mut().expect("spectrum rows are contiguous");
            // The true values there are real; the other axes' transforms leave rounding noise.
            s[0].im = T::zero();
            if last_len.is_multiple_of(2) {
                s[last_len / 2].im = T::zero();
            }
            c2r.process_with_scratch(s, buf, scratch)
                .expect("lengths match the plan");
            o.iter_mut()
                .zip(&buf[at..at + n])
                .for_each(|(o, &v)| *o = v);
        };
        let zip = Zip::from(out.lanes_mut(axis)).and(rows.lanes_mut(axis));
        if parallel {
            zip.into_par_iter().for_each_init(init, row);
        } else {
            let mut state = init();
            zip.for_each(|o, s| row(&mut state, (o, s)));
        }
    }
}

type Lane<'a, T> = (
    ndarray::ArrayViewMut1<'a, Complex<T>>,
    ndarray::ArrayView1<'a, T>,
);
type LaneOut<'a, T> = (
    ndarray::ArrayViewMut1<'a, T>,
    ndarray::ArrayViewMut1<'a, Complex<T>>,
);

/// In-place complex FFT of every lane of `spec` (standard layout) along `axis`. Lanes are strided,
/// so they are gathered a few columns at a time into a contiguous buffer, transformed together and
/// scattered back.
fn fft_along<T: FftElement>(
    spec: &mut ArrayD<Complex<T>>,
    axis: usize,
    fft: &dyn Fft<T>,
    parallel: bool,
) {
    let shape = spec.shape();
    let outer: usize = shape[..axis].iter().product();
    let len = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    // Columns per gather: wide enough that each row segment read spans several cache lines, few
    // enough that the gathered block (columns x len) stays in L2.
    const L2_BYTES: usize = 512 * 1024;
    let columns = (L2_BYTES / (len * size_of::<Complex<T>>())).clamp(4, 64);
    let mut view = spec
        .view_mut()
        .into_shape_with_order((outer, len, inner))
        .expect("standard layout");
    let init = || {
        (
            vec![Complex::default(); len * columns],
            vec![Complex::default(); fft.get_inplace_scratch_len()],
        )
    };
    let transform = |(buf, scratch): &mut (Vec<Complex<T>>, Vec<Complex<T>>),
                     mut block: ArrayViewMut2<Complex<T>>| {
        let b = block.ncols();
        let buf = &mut buf[..b * len];
        for (r, row) in block.rows().into_iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                buf[c * len + r] = v;
            }
        }
        fft.process_with_scratch(buf, scratch);
        for (r, mut row) in block.rows_mut().into_iter().enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = buf[c * len + r];
            }
        }
    };
    if parallel {
        view.axis_iter_mut(Axis(0))
            .into_par_iter()
            .for_each(|mut plane| {
                plane
                    .axis_chunks_iter_mut(Axis(1), columns)
                    .into_par_iter()
                    .for_each_init(init, transform)
            });
    } else {
        let mut state = init();
        for mut plane in view.axis_iter_mut(Axis(0)) {
            for block in plane.axis_chunks_iter_mut(Axis(1), columns) {
                transform(&mut state, block);
            }
        }
    }
}

/// `x * k` with the batch axes broadcast, reusing `x`'s buffer when it has the result's shape.
fn multiply<T: FftElement>(
    mut x: ArrayD<Complex<T>>,
    k: &ArrayD<Complex<T>>,
    parallel: bool,
) -> ArrayD<Complex<T>> {
    let shape: Vec<usize> = x
        .shape()
        .iter()
        .zip(k.shape())
        .map(|(&a, &b)| a.max(b))
        .collect();
    if x.shape() == shape.as_slice() {
        let zip = Zip::from(&mut x).and_broadcast(k);
        if parallel {
            zip.par_for_each(|a, &b| *a = *a * b);
        } else {
            zip.for_each(|a, &b| *a = *a * b);
        }
        return x;
    }
    let mut product = ArrayD::zeros(IxDyn(&shape));
    let zip = Zip::from(&mut product).and_broadcast(&x).and_broadcast(k);
    if parallel {
        zip.par_for_each(|p, &a, &b| *p = a * b);
    } else {
        zip.for_each(|p, &a, &b| *p = a * b);
    }
    product
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Mode;

    #[test]
    fn fast_lengths() {
        assert_eq!(next_fast_len(0), 1);
        assert_eq!(next_fast_len(11), 12);
        assert_eq!(next_fast_len(2078), 2100);
        assert_eq!(next_fast_len(1024), 1024);
        assert_eq!(next_fast_len(1031), 1050);
    }

    #[test]
    fn circular_lengths_keep_windows_clean() {
        let (n, k) = (10, 4);
        assert_eq!(circular_len(n, k, AxisWindow::new(Mode::Full, n, k)), 13);
        assert_eq!(circular_len(n, k, AxisWindow::new(Mode::Valid, n, k)), 10);
        // same: offset 1, 10 samples: 13 - 1 = 12 > 1 + 10.
        assert_eq!(circular_len(n, k, AxisWindow::new(Mode::Same, n, k)), 12);
        // a kernel longer than the input in 'same' mode
        assert_eq!(circular_len(2, 5, AxisWindow::new(Mode::Same, 2, 5)), 4);
    }

    #[test]
    fn block_lengths_are_fast() {
        assert_eq!(block_geometry(100, 33), (135, 103));
        let (len, b) = block_geometry(24576, 8193);
        assert_eq!(len, next_fast_len(24576 + 8192));
        assert!(b >= 24576);
    }
}
