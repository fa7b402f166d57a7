//! `convolve`: true N-d convolution with scipy's modes, and 2-D boundaries.

use crate::cpu::{direct, fft, threads};
use crate::element::Real;
use crate::error::{value_error, Result};
use crate::ops::cost;
use crate::ops::device::{self, Device, Request};
use crate::params::{valid_swap_needed, windows, AxisWindow, Boundary, Method, Mode};
use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD, Axis, IxDyn};

/// Element types `convolve` accepts: the real floats (direct and FFT) and i64 (direct only, exact).
pub trait ConvElement: direct::DirectElement {
    /// Whether this type has an FFT path.
    const HAS_FFT: bool;
    /// FFT convolution into `out` ([`fft::convolve_into`]), for the types that have one.
    fn fft_into(
        x: ArrayViewD<Self>,
        k: ArrayViewD<Self>,
        axes: &[usize],
        windows: &[AxisWindow],
        block: Option<&[usize]>,
        out: ArrayViewMutD<Self>,
    );
}

macro_rules! conv_real {
    ($t:ty) => {
        impl ConvElement for $t {
            const HAS_FFT: bool = true;
            fn fft_into(
                x: ArrayViewD<Self>,
                k: ArrayViewD<Self>,
                axes: &[usize],
                windows: &[AxisWindow],
                block: Option<&[usize]>,
                out: ArrayViewMutD<Self>,
            ) {
                fft::convolve_into(x, k, axes, windows, block, out)
            }
        }
    };
}
conv_real!(f32);
conv_real!(f64);

impl ConvElement for i64 {
    const HAS_FFT: bool = false;
    fn fft_into(
        _: ArrayViewD<Self>,
        _: ArrayViewD<Self>,
        _: &[usize],
        _: &[AxisWindow],
        _: Option<&[usize]>,
        _: ArrayViewMutD<Self>,
    ) {
        unreachable!("i64 has no FFT path; ops::convolve never routes it there")
    }
}

/// Shape of `convolve(x, k, mode)`; errors on mismatched dimensions or `valid` sizes.
pub fn output_shape(mode: Mode, x_shape: &[usize], k_shape: &[usize]) -> Result<Vec<usize>> {
    if x_shape.len() != k_shape.len() {
        return value_error!(
            "in1 and in2 should have the same dimensionality; got {} and {}",
            x_shape.len(),
            k_shape.len()
        );
    }
    let (x_shape, k_shape) = if valid_swap_needed(mode, x_shape, k_shape)? {
        (k_shape, x_shape)
    } else {
        (x_shape, k_shape)
    };
    Ok(windows(mode, x_shape, k_shape)
        .iter()
        .map(|w| w.out_len)
        .collect())
}

/// True convolution of `x` and `k` (same number of dimensions), keeping the part `mode` names
/// (scipy.signal.convolve), with `boundary` for samples outside `x` (scipy.signal.convolve2d).
///
/// In `valid` mode the operands are swapped when `k` is the larger (convolution commutes).
/// `method` is `Auto` (the cost model picks), `Direct`, `Fft` or `OverlapAdd`; the FFT methods need
/// a zero fill boundary and a float type. `workers` as in [`threads::with_workers`].
pub fn convolve<T: ConvElement>(
    x: ArrayViewD<T>,
    k: ArrayViewD<T>,
    mode: Mode,
    boundary: Boundary<T>,
    method: Method,
    workers: Option<usize>,
) -> Result<ArrayD<T>> {
    let mut out = ArrayD::from_elem(IxDyn(&output_shape(mode, x.shape(), k.shape())?), T::ZERO);
    convolve_into(x, k, mode, boundary, method, workers, out.view_mut())?;
    Ok(out)
}

/// [`convolve`] into `out`, a C-contiguous array of [`output_shape`] whose previous contents are
/// never read (the Python bindings hand in freshly allocated numpy memory).
pub fn convolve_into<T: ConvElement>(
    x: ArrayViewD<T>,
    k: ArrayViewD<T>,
    mode: Mode,
    boundary: Boundary<T>,
    method: Method,
    workers: Option<usize>,
    mut out: ArrayViewMutD<T>,
) -> Result<()> {
    let shape = output_shape(mode, x.shape(), k.shape())?;
    if out.shape() != shape.as_slice() {
        return value_error!("out has shape {:?}; expected {shape:?}", out.shape());
    }
    let (x, k) = if valid_swap_needed(mode, x.shape(), k.shape())? {
        (k, x)
    } else {
        (x, k)
    };
    let wins = windows(mode, x.shape(), k.shape());
    if !out.is_standard_layout() {
        return value_error!("out must be C-contiguous");
    }
    // Resolved inside the thread setting: the cost model weighs what each method gains from threads.
    let method =
        threads::with_workers(workers, || resolve_method(&x, &k, &wins, boundary, method))?;
    threads::with_workers(workers, || match method {
        Method::Fft | Method::OverlapAdd => {
            let axes: Vec<usize> = (0..x.ndim()).collect();
            let block =
                (method == Method::OverlapAdd).then(|| cost::overlap_add_block(k.shape(), &wins));
            T::fft_into(x, k, &axes, &wins, block.as_deref(), out.view_mut());
        }
        Method::Direct | Method::Auto => {
            let mut flipped = k.view();
            for d in 0..flipped.ndim() {
                flipped.invert_axis(Axis(d));
            }
            let start: Vec<isize> = wins
                .iter()
                .zip(k.shape())
                .map(|(w, &n)| w.correlation_start(n))
                .collect();
            let out_buf = out.as_slice_mut().expect("checked: standard layout");
            direct::correlate_into(x.view(), flipped, &start, out_buf, &shape, boundary)
        }
    });
    Ok(())
}

/// The algorithm that will run: `Auto` resolved by the cost model, the others checked.
fn resolve_method<T: ConvElement>(
    x: &ArrayViewD<T>,
    k: &ArrayViewD<T>,
    wins: &[AxisWindow],
    boundary: Boundary<T>,
    method: Method,
) -> Result<Method> {
    let fft_possible = T::HAS_FFT && boundary == Boundary::Fill(T::ZERO);
    match method {
        Method::Direct => Ok(Method::Direct),
        Method::Auto if !fft_possible => Ok(Method::Direct),
        Method::Auto => Ok(cost::fastest(
            x.shape(),
            k.shape(),
            wins,
            std::mem::size_of::<T>(),
        )),
        // 'fft': whichever FFT algorithm the cost model expects to be faster.
        Method::Fft if fft_possible => Ok(cost::fastest_fft(
            x.shape(),
            k.shape(),
            wins,
            std::mem::size_of::<T>(),
        )),
        Method::OverlapAdd if fft_possible => Ok(method),
        _ => value_error!("method={method:?} needs a float type and a zero 'fill' boundary"),
    }
}

/// FFT convolution over `axes` (scipy.signal.fftconvolve / oaconvolve): the other axes broadcast.
/// `blocked` selects overlap-add blocks sized by the cost model.
pub fn fft_convolve<T: Real + ConvElement>(
    x: ArrayViewD<T>,
    k: ArrayViewD<T>,
    mode: Mode,
    axes: &[usize],
    blocked: bool,
    workers: Option<usize>,
) -> Result<ArrayD<T>> {
    if x.ndim() != k.ndim() {
        return value_error!(
            "in1 and in2 should have the same dimensionality; got {} and {}",
            x.ndim(),
            k.ndim()
        );
    }
    for w in axes.windows(2) {
        if w[0] >= w[1] {
            return value_error!("axes must be sorted and distinct; got {axes:?}");
        }
    }
    if let Some(&a) = axes.iter().find(|&&a| a >= x.ndim()) {
        return value_error!(
            "axes entry {a} is out of range for arrays of {} dimensions",
            x.ndim()
        );
    }
    for d in (0..x.ndim()).filter(|d| !axes.contains(d)) {
        let (a, b) = (x.shape()[d], k.shape()[d]);
        if a != b && a != 1 && b != 1 {
            return value_error!(
                "incompatible shapes for in1 and in2 on axis {d} (not convolved): {a} and {b}"
            );
        }
    }
    let xs: Vec<usize> = axes.iter().map(|&a| x.shape()[a]).collect();
    let ks: Vec<usize> = axes.iter().map(|&a| k.shape()[a]).collect();
    let (x, mut k, xs, ks) = if valid_swap_needed(mode, &xs, &ks)? {
        (k, x, ks, xs)
    } else {
        (x, k, xs, ks)
    };
    if mode == Mode::Same {
        // 'same' keeps in1's shape on every axis (scipy centres the whole result on it): where in1
        // has length 1 on a broadcast axis, that is the middle sample of in2's broadcast.
        for d in (0..x.ndim()).filter(|d| !axes.contains(d)) {
            let n = k.shape()[d];
            if x.shape()[d] == 1 && n > 1 {
                k.slice_axis_inplace(Axis(d), ndarray::Slice::from((n - 1) / 2..n.div_ceil(2)));
            }
        }
    }
    let wins = windows(mode, &xs, &ks);
    let block = blocked.then(|| cost::overlap_add_block(&ks, &wins));
    let shape = fft::output_shape(x.shape(), k.shape(), axes, &wins);
    let mut out = ArrayD::zeros(IxDyn(&shape));
    threads::with_workers(workers, || {
        T::fft_into(x, k, axes, &wins, block.as_deref(), out.view_mut())
    });
    Ok(out)
}

/// Which of `direct` / `fft` the cost model picks (scipy's `choose_conv_method` answers).
pub fn choose<T: ConvElement>(x_shape: &[usize], k_shape: &[usize], mode: Mode) -> Result<Method> {
    if x_shape.len() != k_shape.len() {
        return value_error!(
            "in1 and in2 should have the same dimensionality; got {} and {}",
            x_shape.len(),
            k_shape.len()
        );
    }
    let (x_shape, k_shape) = if valid_swap_needed(mode, x_shape, k_shape)? {
        (k_shape, x_shape)
    } else {
        (x_shape, k_shape)
    };
    if !T::HAS_FFT {
        return Ok(Method::Direct);
    }
    let wins = windows(mode, x_shape, k_shape);
    Ok(
        match cost::fastest(x_shape, k_shape, &wins, std::mem::size_of::<T>()) {
            Method::Direct => Method::Direct,
            _ => Method::Fft,
        },
    )
}

/// Element types that `device=` may send to the GPU: float32 and float64 (feature `gpu`); the
/// others (int64) raise TypeError on `device='gpu'` and stay on the CPU under `'auto'`.
pub trait DeviceElement: Copy {
    /// Whether a GPU kernel computes this type.
    const ON_GPU: bool;
    /// [`crate::gpu::correlate_into`] for this type.
    fn gpu_correlate(
        x: ArrayViewD<Self>,
        w: ArrayViewD<Self>,
        start: &[isize],
        out: &mut [Self],
        out_shape: &[usize],
        boundary: Boundary<Self>,
    ) -> Result<()>;
    /// [`crate::gpu::rank::extreme_pass`] for this type.
    fn gpu_extreme_pass(
        x: &[Self],
        dims: (usize, usize, usize),
        k: usize,
        start: isize,
        boundary: Boundary<Self>,
        max: bool,
        out: &mut [Self],
    ) -> Result<()>;
    /// [`crate::gpu::rank::rank_filter_2d`] for this type.
    fn gpu_rank_2d(
        x: &[Self],
        planes: (usize, usize, usize),
        taps: &[(usize, usize)],
        rank: usize,
        start: (isize, isize),
        boundary: Boundary<Self>,
        out: &mut [Self],
    ) -> Result<()>;
}

/// The TypeError of `device='gpu'` for element types no GPU kernel computes.
fn no_gpu_kernel_for_int64() -> Result<()> {
    Err(crate::error::Error::Type(
        "device='gpu' computes in float32 (and float64 where the adapter offers it); got int64: \
         pass float32 arrays, or use device='cpu'"
            .into(),
    ))
}

/// `$call` with the `gpu` feature; else GpuUnavailable (after naming `$args` as used).
macro_rules! gpu_call {
    ($call:expr, $($args:expr),*) => {{
        #[cfg(feature = "gpu")]
        {
            $call
        }
        #[cfg(not(feature = "gpu"))]
        {
            let _ = ($($args),*);
            device::gpu_available()
        }
    }};
}

macro_rules! device_float {
    ($t:ty) => {
        impl DeviceElement for $t {
            const ON_GPU: bool = true;
            fn gpu_correlate(
                x: ArrayViewD<Self>,
                w: ArrayViewD<Self>,
                start: &[isize],
                out: &mut [Self],
                out_shape: &[usize],
                boundary: Boundary<Self>,
            ) -> Result<()> {
                gpu_call!(
                    crate::gpu::correlate_into(x, w, start, out, out_shape, boundary, None),
                    x,
                    w,
                    start,
                    out,
                    out_shape,
                    boundary
                )
            }
            fn gpu_extreme_pass(
                x: &[Self],
                dims: (usize, usize, usize),
                k: usize,
                start: isize,
                boundary: Boundary<Self>,
                max: bool,
                out: &mut [Self],
            ) -> Result<()> {
                gpu_call!(
                    crate::gpu::rank::extreme_pass(x, dims, k, start, boundary, max, out),
                    x,
                    dims,
                    k,
                    start,
                    boundary,
                    max,
                    out
                )
            }
            fn gpu_rank_2d(
                x: &[Self],
                planes: (usize, usize, usize),
                taps: &[(usize, usize)],
                rank: usize,
                start: (isize, isize),
                boundary: Boundary<Self>,
                out: &mut [Self],
            ) -> Result<()> {
                gpu_call!(
                    crate::gpu::rank::rank_filter_2d(x, planes, taps, rank, start, boundary, out),
                    x,
                    planes,
                    taps,
                    rank,
                    start,
                    boundary,
                    out
                )
            }
        }
    };
}
device_float!(f32);
device_float!(f64);

impl DeviceElement for i64 {
    const ON_GPU: bool = false;
    fn gpu_correlate(
        _: ArrayViewD<Self>,
        _: ArrayViewD<Self>,
        _: &[isize],
        _: &mut [Self],
        _: &[usize],
        _: Boundary<Self>,
    ) -> Result<()> {
        no_gpu_kernel_for_int64()
    }
    fn gpu_extreme_pass(
        _: &[Self],
        _: (usize, usize, usize),
        _: usize,
        _: isize,
        _: Boundary<Self>,
        _: bool,
        _: &mut [Self],
    ) -> Result<()> {
        no_gpu_kernel_for_int64()
    }
    fn gpu_rank_2d(
        _: &[Self],
        _: (usize, usize, usize),
        _: &[(usize, usize)],
        _: usize,
        _: (isize, isize),
        _: Boundary<Self>,
        _: &mut [Self],
    ) -> Result<()> {
        no_gpu_kernel_for_int64()
    }
}

/// The device `request` resolves to for a correlation producing `out_shape` with `k_shape` taps.
fn pick_device<T: ConvElement + DeviceElement>(
    request: Request,
    in_len: usize,
    k_shape: &[usize],
    out_shape: &[usize],
    cpu_seconds: impl FnOnce() -> f64,
) -> Device {
    if request == Request::Auto && !T::ON_GPU {
        return Device::Cpu;
    }
    device::select(request, || {
        let outs: f64 = out_shape.iter().map(|&n| n as f64).product();
        let taps: f64 = k_shape.iter().map(|&n| n as f64).product();
        let bytes = (in_len as f64 + taps + outs) * std::mem::size_of::<T>() as f64;
        device::Work {
            macs: outs * taps,
            bytes,
            cpu_seconds: cpu_seconds(),
            f64: std::mem::size_of::<T>() == 8,
        }
    })
}

/// The device [`convolve_on`] runs on for these shapes (`zero_fill`: the boundary is a zero fill,
/// so that the CPU could use its FFT).
pub fn choose_device<T: ConvElement + DeviceElement>(
    request: Request,
    x_shape: &[usize],
    k_shape: &[usize],
    mode: Mode,
    zero_fill: bool,
) -> Result<Device> {
    let shape = output_shape(mode, x_shape, k_shape)?;
    let (xs, ks) = if valid_swap_needed(mode, x_shape, k_shape)? {
        (k_shape, x_shape)
    } else {
        (x_shape, k_shape)
    };
    let wins = windows(mode, xs, ks);
    Ok(pick_device::<T>(
        request,
        xs.iter().product(),
        ks,
        &shape,
        || {
            let size = std::mem::size_of::<T>();
            let direct = cost::direct_seconds(&shape, ks, size);
            if T::HAS_FFT && zero_fill && !shape.contains(&0) {
                direct.min(cost::fft_seconds(xs, ks, &wins, size))
            } else {
                direct
            }
        },
    ))
}

/// [`convolve_into`] on the device `request` picks. On the GPU every `method` is the direct
/// correlation kernel (the results agree with the CPU's to rounding).
#[allow(clippy::too_many_arguments)]
pub fn convolve_on<T: ConvElement + DeviceElement>(
    request: Request,
    x: ArrayViewD<T>,
    k: ArrayViewD<T>,
    mode: Mode,
    boundary: Boundary<T>,
    method: Method,
    workers: Option<usize>,
    mut out: ArrayViewMutD<T>,
) -> Result<()> {
    let shape = output_shape(mode, x.shape(), k.shape())?;
    let (xs, ks) = if valid_swap_needed(mode, x.shape(), k.shape())? {
        (k.view(), x.view())
    } else {
        (x.view(), k.view())
    };
    let wins = windows(mode, xs.shape(), ks.shape());
    let zero_fill = boundary == Boundary::Fill(T::ZERO);
    let device = choose_device::<T>(request, x.shape(), k.shape(), mode, zero_fill)?;
    if device == Device::Cpu {
        return convolve_into(x, k, mode, boundary, method, workers, out);
    }
    if out.shape() != shape.as_slice() || !out.is_standard_layout() {
        return value_error!("out must be C-contiguous of shape {shape:?}");
    }
    let mut flipped = ks;
    for d in 0..flipped.ndim() {
        flipped.invert_axis(Axis(d));
    }
    let start: Vec<isize> = wins
        .iter()
        .zip(flipped.shape())
        .map(|(w, &n)| w.correlation_start(n))
        .collect();
    let buf = out.as_slice_mut().expect("checked: standard layout");
    T::gpu_correlate(xs, flipped, &start, buf, &shape, boundary)
}

/// Correlation with an explicit geometry (`out[o] = sum_m ext(x)[o + start + m] * w[m]`, as
/// [`direct::correlate_into`]) on the device `request` picks.
#[allow(clippy::too_many_arguments)]
pub fn correlate_on<T: ConvElement + DeviceElement>(
    request: Request,
    x: ArrayViewD<T>,
    w: ArrayViewD<T>,
    start: &[isize],
    out: &mut [T],
    out_shape: &[usize],
    boundary: Boundary<T>,
    workers: Option<usize>,
) -> Result<()> {
    let device = pick_device::<T>(request, x.len(), w.shape(), out_shape, || {
        cost::direct_seconds(out_shape, w.shape(), std::mem::size_of::<T>())
    });
    match device {
        Device::Gpu => T::gpu_correlate(x, w, start, out, out_shape, boundary),
        Device::Cpu => {
            threads::with_workers(workers, || {
                direct::correlate_into(x, w, start, out, out_shape, boundary)
            });
            Ok(())
        }
    }
}
