//! Option enums and the output-size formulas, written once.
//!
//! Every convolution in sigconv is expressed per axis by an [`AxisWindow`]: which part of the *full*
//! convolution (length `n + k - 1`) the output keeps. The direct kernels turn that into a correlation
//! start offset, the FFT kernels into a crop of the full result.

use crate::error::{value_error, Result};

/// Which part of the full convolution is returned (scipy's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every point where the inputs overlap: length `n + k - 1`.
    Full,
    /// Same length as the first input, centred on the full result.
    Same,
    /// Only points that do not depend on padding: length `n - k + 1`.
    Valid,
}

impl Mode {
    /// Parses scipy's mode names.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "full" => Ok(Mode::Full),
            "same" => Ok(Mode::Same),
            "valid" => Ok(Mode::Valid),
            other => value_error!("mode must be one of 'full', 'same', 'valid'; got {other:?}"),
        }
    }
}

/// How samples outside the input are taken: scipy.signal.convolve2d's `boundary` and
/// scipy.ndimage's `mode`. Shown for the input `a b c d`:
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Boundary<T> {
    /// A constant value (`fillvalue`, `cval`): `k k | a b c d | k k`. Plain convolution uses zero.
    Fill(T),
    /// Periodic extension: `c d | a b c d | a b`.
    Wrap,
    /// Reflection that repeats the edge sample: `b a | a b c d | d c` (signal `symm`, ndimage `reflect`).
    Symm,
    /// Reflection about the edge sample: `c b | a b c d | c b` (ndimage `mirror`).
    Mirror,
    /// The edge sample repeated: `a a | a b c d | d d` (ndimage `nearest`).
    Nearest,
}

impl<T> Boundary<T> {
    /// Parses scipy.signal's boundary names (`fill`/`pad`, `wrap`/`circular`, `symm`/`symmetric`) and
    /// scipy.ndimage's mode names (`constant`, `reflect`, `mirror`, `nearest`, `wrap`, and the
    /// `grid-constant`, `grid-mirror`, `grid-wrap` aliases, which filters treat as `constant`,
    /// `reflect`, `wrap`). `fill` is the value of `fill`/`constant`.
    pub fn parse(name: &str, fill: T) -> Result<Self> {
        match name {
            "fill" | "pad" | "constant" | "grid-constant" => Ok(Boundary::Fill(fill)),
            "wrap" | "circular" | "grid-wrap" => Ok(Boundary::Wrap),
            "symm" | "symmetric" | "reflect" | "grid-mirror" => Ok(Boundary::Symm),
            "mirror" => Ok(Boundary::Mirror),
            "nearest" => Ok(Boundary::Nearest),
            other => value_error!(
                "boundary must be one of 'fill', 'wrap', 'symm' (scipy.signal) or 'reflect', \
                 'constant', 'nearest', 'mirror', 'wrap' (scipy.ndimage); got {other:?}"
            ),
        }
    }

    /// Maps an index that may lie outside `0..n` to the sample it reads, or `None` for the fill value.
    #[inline]
    pub fn source_index(&self, i: isize, n: usize) -> Option<usize> {
        let n_i = n as isize;
        if (0..n_i).contains(&i) {
            return Some(i as usize);
        }
        if n == 0 {
            return None;
        }
        match self {
            Boundary::Fill(_) => None,
            Boundary::Wrap => Some(i.rem_euclid(n_i) as usize),
            Boundary::Symm => {
                let r = i.rem_euclid(2 * n_i);
                Some(if r < n_i { r } else { 2 * n_i - 1 - r } as usize)
            }
            Boundary::Mirror if n == 1 => Some(0),
            Boundary::Mirror => {
                let period = 2 * n_i - 2;
                let r = i.rem_euclid(period);
                Some(if r < n_i { r } else { period - r } as usize)
            }
            Boundary::Nearest => Some(i.clamp(0, n_i - 1) as usize),
        }
    }
}

/// The algorithm that computes a convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Chosen by sigconv's cost model.
    Auto,
    /// Sliding dot products (SIMD, threaded).
    Direct,
    /// One FFT of the whole padded array.
    Fft,
    /// Overlap-add style block FFT: the output is cut into blocks, each one FFT.
    OverlapAdd,
}

impl Method {
    /// Parses `auto`, `direct`, `fft`, `oa`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "auto" => Ok(Method::Auto),
            "direct" => Ok(Method::Direct),
            "fft" => Ok(Method::Fft),
            "oa" => Ok(Method::OverlapAdd),
            other => value_error!("method must be one of 'auto', 'direct', 'fft'; got {other:?}"),
        }
    }
}

/// The part of the full convolution kept along one axis: `out[o] = full[o + full_offset]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AxisWindow {
    /// Output length along the axis.
    pub out_len: usize,
    /// Index in the full convolution of output sample 0.
    pub full_offset: usize,
}

impl AxisWindow {
    /// The window of `mode` for an input of length `n` and a kernel of length `k`.
    ///
    /// `Valid` needs `n >= k` (callers swap the operands first, see [`valid_swap_needed`]);
    /// lengths of zero give an empty output.
    pub fn new(mode: Mode, n: usize, k: usize) -> Self {
        if n == 0 || k == 0 {
            let out_len = if mode == Mode::Same { n } else { 0 };
            return AxisWindow {
                out_len,
                full_offset: 0,
            };
        }
        match mode {
            Mode::Full => AxisWindow {
                out_len: n + k - 1,
                full_offset: 0,
            },
            Mode::Same => AxisWindow {
                out_len: n,
                full_offset: (k - 1) / 2,
            },
            Mode::Valid => AxisWindow {
                out_len: (n + 1).saturating_sub(k),
                full_offset: k - 1,
            },
        }
    }

    /// Offset, relative to output sample `o`, of the first input sample that the correlation with the
    /// flipped kernel reads: `out[o] = sum_m x[o + start + m] * k[k_len - 1 - m]`.
    pub fn correlation_start(&self, k: usize) -> isize {
        self.full_offset as isize - (k as isize - 1)
    }
}

/// The windows of `mode` on every axis.
pub fn windows(mode: Mode, in_shape: &[usize], k_shape: &[usize]) -> Vec<AxisWindow> {
    in_shape
        .iter()
        .zip(k_shape)
        .map(|(&n, &k)| AxisWindow::new(mode, n, k))
        .collect()
}

/// Whether the operands of a `valid` convolution must be swapped so that the first one is the larger
/// on every axis (scipy's `_inputs_swap_needed`). Errors when neither contains the other.
pub fn valid_swap_needed(mode: Mode, in1: &[usize], in2: &[usize]) -> Result<bool> {
    if mode != Mode::Valid {
        return Ok(false);
    }
    let in1_larger = in1.iter().zip(in2).all(|(a, b)| a >= b);
    let in2_larger = in1.iter().zip(in2).all(|(a, b)| b >= a);
    match (in1_larger, in2_larger) {
        (true, _) => Ok(false),
        (false, true) => Ok(true),
        _ => value_error!(
            "for 'valid' mode, one input must be at least as large as the other in every dimension; \
             got shapes {in1:?} and {in2:?}"
        ),
    }
}

/// Lags of a cross-correlation of lengths `n1` and `n2` (scipy.signal.correlation_lags).
pub fn correlation_lags(n1: usize, n2: usize, mode: Mode) -> Vec<isize> {
    let (n1, n2) = (n1 as isize, n2 as isize);
    let full: Vec<isize> = (-(n2 - 1)..n1).collect();
    match mode {
        Mode::Full => full,
        Mode::Same => {
            // scipy slices the full lags around their midpoint with Python's slice rules (a negative
            // bound counts from the end, bounds clamp), which matter only for an empty second input.
            let len = full.len() as isize;
            let (mid, half) = (len / 2, n1 / 2);
            let python_index = |i: isize| if i < 0 { (i + len).max(0) } else { i.min(len) };
            let lo = python_index(mid - half);
            let hi = python_index(mid + half + n1 % 2);
            full.get(lo as usize..hi.max(lo) as usize)
                .unwrap_or_default()
                .to_vec()
        }
        Mode::Valid => {
            let lag_bound = n1 - n2;
            if lag_bound >= 0 {
                (0..=lag_bound).collect()
            } else {
                (lag_bound..=0).collect()
            }
        }
    }
}

/// One spatial axis of a pooling window, with torch's parameters (`kernel_size`, `stride`,
/// `padding`, `dilation`, `ceil_mode`). Output sample `o` reads the input samples
/// `o * stride - padding + j * dilation` for `j` in `0..kernel`, those inside the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolAxis {
    /// Window length (taps before dilation).
    pub kernel: usize,
    /// Step between windows.
    pub stride: usize,
    /// Implicit padding on both sides.
    pub padding: usize,
    /// Spacing between the taps of a window (max and min pooling only; 1 elsewhere).
    pub dilation: usize,
    /// Count a last, partial window that starts inside the input or left padding.
    pub ceil_mode: bool,
}

impl PoolAxis {
    /// Checks torch's rules: positive kernel, stride and dilation, `padding <= kernel / 2`.
    pub fn new(
        kernel: usize,
        stride: usize,
        padding: usize,
        dilation: usize,
        ceil_mode: bool,
    ) -> Result<Self> {
        if kernel == 0 || stride == 0 || dilation == 0 {
            return value_error!(
                "kernel_size, stride and dilation must be positive; got kernel_size={kernel}, \
                 stride={stride}, dilation={dilation}"
            );
        }
        if padding > kernel / 2 {
            return value_error!(
                "padding must be at most half of kernel_size; got padding={padding}, \
                 kernel_size={kernel}"
            );
        }
        Ok(PoolAxis {
            kernel,
            stride,
            padding,
            dilation,
            ceil_mode,
        })
    }

    /// A window that reads each sample once (kernel 1, stride 1): the unpooled axis of a 1-D pool.
    pub fn identity() -> Self {
        PoolAxis {
            kernel: 1,
            stride: 1,
            padding: 0,
            dilation: 1,
            ceil_mode: false,
        }
    }

    /// Output length for an input of `n` samples (torch's `pooling_output_shape`): floor (or ceil
    /// with `ceil_mode`) of `(n + 2 padding - dilation (kernel - 1) - 1) / stride + 1`, where a
    /// last window with `ceil_mode` must start inside the input or the left padding. Errors when it
    /// is below 1.
    pub fn out_len(&self, n: usize) -> Result<usize> {
        let (n_i, k, s, p, d) = (
            n as i64,
            self.kernel as i64,
            self.stride as i64,
            self.padding as i64,
            self.dilation as i64,
        );
        let span = n_i + 2 * p - d * (k - 1) - 1 + if self.ceil_mode { s - 1 } else { 0 };
        let mut out = span.div_euclid(s) + 1;
        if self.ceil_mode && out > 0 && (out - 1) * s >= n_i + p {
            out -= 1;
        }
        if out < 1 || n == 0 {
            return value_error!(
                "output size is too small: an input of length {n} with kernel_size={}, \
                 stride={}, padding={}, dilation={} gives {out} output samples",
                self.kernel,
                self.stride,
                self.padding,
                self.dilation
            );
        }
        Ok(out as usize)
    }

    /// First input index (may be negative) that output sample `o` reads.
    #[inline]
    pub fn start(&self, o: usize) -> isize {
        (o * self.stride) as isize - self.padding as isize
    }

    /// The default output length of max_unpool for an input of `n` samples:
    /// `(n - 1) stride - 2 padding + kernel` (zero when that is negative).
    pub fn unpool_len(&self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        ((n - 1) * self.stride + self.kernel).saturating_sub(2 * self.padding)
    }
}

/// Two-dimensional pooling geometry: the height and the width axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolParams {
    /// The height axis (the identity for 1-D pooling).
    pub h: PoolAxis,
    /// The width axis.
    pub w: PoolAxis,
}

impl PoolParams {
    /// Output plane shape for an input plane of `h x w`.
    pub fn out_shape(&self, h: usize, w: usize) -> Result<(usize, usize)> {
        Ok((self.h.out_len(h)?, self.w.out_len(w)?))
    }
}

/// The input range `start..end` averaged by output sample `o` of an adaptive pool from `n_in` to
/// `n_out` samples (torch): `start = floor(o n_in / n_out)`, `end = ceil((o + 1) n_in / n_out)`.
#[inline]
pub fn adaptive_range(o: usize, n_in: usize, n_out: usize) -> (usize, usize) {
    let start = o * n_in / n_out;
    let end = ((o + 1) * n_in).div_ceil(n_out);
    (start, end)
}

/// Output length of a convolution along one axis (torch's formula):
/// `L_out = floor((L + pad_lo + pad_hi - d (k - 1) - 1) / s) + 1`, or `None` when the dilated kernel
/// does not fit in the padded input (or `stride`, `dilation` or `kernel` is zero).
pub fn conv_out_len(
    len: usize,
    kernel: usize,
    stride: usize,
    pad_lo: usize,
    pad_hi: usize,
    dilation: usize,
) -> Option<usize> {
    if stride == 0 || dilation == 0 || kernel == 0 {
        return None;
    }
    let span = dilation * (kernel - 1) + 1;
    let padded = len + pad_lo + pad_hi;
    (padded >= span).then(|| (padded - span) / stride + 1)
}

/// Output length of a transposed convolution along one axis (torch's formula):
/// `L_out = (L - 1) s - 2 p + d (k - 1) + output_padding + 1`, or `None` when it is below one.
pub fn conv_transpose_out_len(
    len: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    output_padding: usize,
    dilation: usize,
) -> Option<usize> {
    if stride == 0 || dilation == 0 || kernel == 0 || len == 0 {
        return None;
    }
    let full = (len - 1) * stride + dilation * (kernel - 1) + output_padding + 1;
    full.checked_sub(2 * padding).filter(|&n| n >= 1)
}

/// The geometry of one spatial axis of a convolution: output sample `o` reads the input samples
/// `o * stride - pad_lo + j * dilation` for `j` in `0..kernel` (those outside `0..input` are zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvAxis {
    /// Input length.
    pub input: usize,
    /// Output length.
    pub output: usize,
    /// Kernel length.
    pub kernel: usize,
    /// Step between output samples, in input samples.
    pub stride: usize,
    /// Zero samples before the input.
    pub pad_lo: usize,
    /// Step between kernel taps, in input samples.
    pub dilation: usize,
}

impl ConvAxis {
    /// A trivial axis of length one (how a 1-D convolution runs as a 2-D one of height one).
    pub const UNIT: ConvAxis = ConvAxis {
        input: 1,
        output: 1,
        kernel: 1,
        stride: 1,
        pad_lo: 0,
        dilation: 1,
    };

    /// The axis of a convolution of an input of length `input` padded by `pad_lo`/`pad_hi` zeros.
    pub fn forward(
        input: usize,
        kernel: usize,
        stride: usize,
        (pad_lo, pad_hi): (usize, usize),
        dilation: usize,
    ) -> Result<Self> {
        check_positive(kernel, stride, dilation)?;
        if input == 0 {
            return value_error!("input size must be positive; got 0");
        }
        match conv_out_len(input, kernel, stride, pad_lo, pad_hi, dilation) {
            Some(output) => Ok(ConvAxis {
                input,
                output,
                kernel,
                stride,
                pad_lo,
                dilation,
            }),
            None => value_error!(
                "input size {input} (padded by {pad_lo} + {pad_hi}) is smaller than the dilated \
                 kernel size {} (kernel_size={kernel}, dilation={dilation})",
                dilation * (kernel - 1) + 1
            ),
        }
    }

    /// The axis of the convolution whose data gradient is a transposed convolution of an input of
    /// length `input`: that convolution maps the transposed output back onto `input` samples.
    pub fn transposed(
        input: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        output_padding: usize,
        dilation: usize,
    ) -> Result<Self> {
        check_positive(kernel, stride, dilation)?;
        if output_padding >= stride && output_padding >= dilation {
            return value_error!(
                "output_padding must be smaller than either stride or dilation; got \
                 output_padding={output_padding}, stride={stride}, dilation={dilation}"
            );
        }
        match conv_transpose_out_len(input, kernel, stride, padding, output_padding, dilation) {
            Some(full) => Ok(ConvAxis {
                input: full,
                output: input,
                kernel,
                stride,
                pad_lo: padding,
                dilation,
            }),
            None => value_error!(
                "the transposed convolution of an input of size {input} with kernel_size={kernel}, \
                 stride={stride}, padding={padding}, output_padding={output_padding}, \
                 dilation={dilation} has an output size below 1"
            ),
        }
    }

    /// The first input index that output `o`, tap `j` reads (negative inside the padding).
    #[inline]
    pub fn source(&self, o: usize, j: usize) -> isize {
        (o * self.stride + j * self.dilation) as isize - self.pad_lo as isize
    }

    /// The outputs `o` whose tap `j` reads inside the input: `lo..hi` (empty if none).
    #[inline]
    pub fn valid_outputs(&self, j: usize) -> (usize, usize) {
        let (s, off) = (self.stride, j * self.dilation);
        // o * s + off - pad_lo >= 0  <=>  o >= ceil((pad_lo - off) / s)
        let lo = self.pad_lo.saturating_sub(off).div_ceil(s);
        // o * s + off - pad_lo < input  <=>  o < ceil((input + pad_lo - off) / s)
        let hi = (self.input + self.pad_lo).saturating_sub(off).div_ceil(s);
        (
            lo.min(self.output),
            hi.min(self.output).max(lo.min(self.output)),
        )
    }
}

fn check_positive(kernel: usize, stride: usize, dilation: usize) -> Result<()> {
    if kernel == 0 {
        return value_error!("kernel_size must be positive; got {kernel}");
    }
    if stride == 0 {
        return value_error!("stride must be positive; got {stride}");
    }
    if dilation == 0 {
        return value_error!("dilation must be positive; got {dilation}");
    }
    Ok(())
}

/// A batched, grouped 2-D convolution in NCHW layout (1-D runs with a unit height axis): input
/// `(batch, in_channels, h.input, w.input)`, weight `(out_channels, in_channels / groups, h.kernel,
/// w.kernel)`, output `(batch, out_channels, h.output, w.output)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvParams {
    /// Samples in the batch.
    pub batch: usize,
    /// Input channels (all groups).
    pub in_channels: usize,
    /// Output channels (all groups).
    pub out_channels: usize,
    /// Channel groups: group `g` maps input channels `g * in_channels / groups ..` to output
    /// channels `g * out_channels / groups ..`.
    pub groups: usize,
    /// The height axis.
    pub h: ConvAxis,
    /// The width axis.
    pub w: ConvAxis,
}

impl ConvParams {
    /// Checks the channel counts against `groups`.
    pub fn new(
        batch: usize,
        in_channels: usize,
        out_channels: usize,
        groups: usize,
        h: ConvAxis,
        w: ConvAxis,
    ) -> Result<Self> {
        if groups == 0 {
            return value_error!("groups must be positive; got {groups}");
        }
        if in_channels == 0 {
            return value_error!("in_channels must be positive; got 0");
        }
        if !in_channels.is_multiple_of(groups) || !out_channels.is_multiple_of(groups) {
            return value_error!(
                "in_channels ({in_channels}) and out_channels ({out_channels}) must both be \
                 divisible by groups; got groups={groups}"
            );
        }
        Ok(ConvParams {
            batch,
            in_channels,
            out_channels,
            groups,
            h,
            w,
        })
    }

    /// Input channels per group.
    pub fn cin_g(&self) -> usize {
        self.in_channels / self.groups
    }
    /// Output channels per group.
    pub fn cout_g(&self) -> usize {
        self.out_channels / self.groups
    }
    /// Rows of the im2col matrix of one group: `cin_g * kh * kw`.
    pub fn patch(&self) -> usize {
        self.cin_g() * self.h.kernel * self.w.kernel
    }
    /// Input samples per channel.
    pub fn in_plane(&self) -> usize {
        self.h.input * self.w.input
    }
    /// Output samples per channel.
    pub fn out_plane(&self) -> usize {
        self.h.output * self.w.output
    }
    /// Input shape.
    pub fn input_shape(&self) -> [usize; 4] {
        [self.batch, self.in_channels, self.h.input, self.w.input]
    }
    /// Weight shape.
    pub fn weight_shape(&self) -> [usize; 4] {
        [
            self.out_channels,
            self.cin_g(),
            self.h.kernel,
            self.w.kernel,
        ]
    }
    /// Output shape.
    pub fn output_shape(&self) -> [usize; 4] {
        [self.batch, self.out_channels, self.h.output, self.w.output]
    }
    /// Multiply-adds of the forward pass (the same for each backward pass).
    pub fn macs(&self) -> usize {
        self.batch * self.out_channels * self.out_plane() * self.patch()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_same_valid_lengths() {
        assert_eq!(
            AxisWindow::new(Mode::Full, 10, 3),
            AxisWindow {
                out_len: 12,
                full_offset: 0
            }
        );
        assert_eq!(
            AxisWindow::new(Mode::Same, 10, 3),
            AxisWindow {
                out_len: 10,
                full_offset: 1
            }
        );
        assert_eq!(
            AxisWindow::new(Mode::Same, 10, 4),
            AxisWindow {
                out_len: 10,
                full_offset: 1
            }
        );
        assert_eq!(
            AxisWindow::new(Mode::Valid, 10, 3),
            AxisWindow {
                out_len: 8,
                full_offset: 2
            }
        );
        assert_eq!(AxisWindow::new(Mode::Valid, 3, 3).out_len, 1);
    }

    #[test]
    fn kernel_longer_than_input() {
        assert_eq!(AxisWindow::new(Mode::Full, 2, 5).out_len, 6);
        assert_eq!(
            AxisWindow::new(Mode::Same, 2, 5),
            AxisWindow {
                out_len: 2,
                full_offset: 2
            }
        );
    }

    #[test]
    fn length_one_and_empty_axes() {
        assert_eq!(AxisWindow::new(Mode::Full, 1, 1).out_len, 1);
        assert_eq!(AxisWindow::new(Mode::Same, 1, 7).out_len, 1);
        assert_eq!(AxisWindow::new(Mode::Full, 0, 3).out_len, 0);
        assert_eq!(AxisWindow::new(Mode::Same, 4, 0).out_len, 4);
    }

    #[test]
    fn correlation_start_centres_same_mode() {
        // k = 3: out[o] reads x[o-1], x[o], x[o+1]; k = 4: x[o-2] .. x[o+1] (scipy's centring).
        assert_eq!(AxisWindow::new(Mode::Same, 10, 3).correlation_start(3), -1);
        assert_eq!(AxisWindow::new(Mode::Same, 10, 4).correlation_start(4), -2);
        assert_eq!(AxisWindow::new(Mode::Full, 10, 4).correlation_start(4), -3);
        assert_eq!(AxisWindow::new(Mode::Valid, 10, 4).correlation_start(4), 0);
    }

    #[test]
    fn valid_swap_rule() {
        assert_eq!(valid_swap_needed(Mode::Valid, &[5, 5], &[3, 3]), Ok(false));
        assert_eq!(valid_swap_needed(Mode::Valid, &[3, 3], &[5, 5]), Ok(true));
        assert_eq!(valid_swap_needed(Mode::Valid, &[3, 3], &[3, 3]), Ok(false));
        assert!(valid_swap_needed(Mode::Valid, &[3, 5], &[5, 3]).is_err());
        assert_eq!(valid_swap_needed(Mode::Full, &[3, 5], &[5, 3]), Ok(false));
    }

    #[test]
    fn boundary_index_maps() {
        let n = 4;
        let wrap = Boundary::<f64>::Wrap;
        let symm = Boundary::<f64>::Symm;
        let got: Vec<_> = (-5..9).map(|i| wrap.source_index(i, n).unwrap()).collect();
        assert_eq!(got, vec![3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0]);
        let got: Vec<_> = (-5..9).map(|i| symm.source_index(i, n).unwrap()).collect();
        assert_eq!(got, vec![3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0]);
        assert_eq!(Boundary::Fill(0.0).source_index(-1, n), None);
        let mirror = Boundary::<f64>::Mirror;
        let got: Vec<_> = (-5..9)
            .map(|i| mirror.source_index(i, n).unwrap())
            .collect();
        assert_eq!(got, vec![1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2]);
        let nearest = Boundary::<f64>::Nearest;
        let got: Vec<_> = (-2..6)
            .map(|i| nearest.source_index(i, n).unwrap())
            .collect();
        assert_eq!(got, vec![0, 0, 0, 1, 2, 3, 3, 3]);
        assert_eq!(mirror.source_index(-3, 1), Some(0));
        assert_eq!(wrap.source_index(-3, 0), None);
    }

    #[test]
    fn lags_match_scipy() {
        // scipy.signal.correlation_lags(5, 3, 'same') -> [-1, 0, 1, 2, 3]
        assert_eq!(correlation_lags(5, 3, Mode::Same), vec![-1, 0, 1, 2, 3]);
        assert_eq!(
            correlation_lags(5, 3, Mode::Full),
            vec![-2, -1, 0, 1, 2, 3, 4]
        );
        assert_eq!(correlation_lags(5, 3, Mode::Valid), vec![0, 1, 2]);
        assert_eq!(correlation_lags(3, 5, Mode::Valid), vec![-2, -1, 0]);
        // scipy.signal.correlation_lags(n, 0, 'same') for n = 1, 2, 3, 4 -> [], [1], [1, 2], [3]
        assert_eq!(correlation_lags(1, 0, Mode::Same), Vec::<isize>::new());
        assert_eq!(correlation_lags(2, 0, Mode::Same), vec![1]);
        assert_eq!(correlation_lags(3, 0, Mode::Same), vec![1, 2]);
        assert_eq!(correlation_lags(4, 0, Mode::Same), vec![3]);
    }
    #[test]
    fn pool_out_len_matches_torch() {
        let ax = |k, s, p, d, c| PoolAxis::new(k, s, p, d, c).unwrap();
        // torch.nn.functional.max_pool1d(torch.zeros(1, 1, n), k, s, p, d, ceil_mode).shape[-1]
        assert_eq!(ax(2, 2, 0, 1, false).out_len(112).unwrap(), 56);
        assert_eq!(ax(2, 2, 0, 1, false).out_len(7).unwrap(), 3);
        assert_eq!(ax(2, 2, 0, 1, true).out_len(7).unwrap(), 4);
        assert_eq!(ax(3, 2, 1, 1, false).out_len(8).unwrap(), 4);
        assert_eq!(ax(3, 2, 1, 1, true).out_len(8).unwrap(), 5);
        assert_eq!(ax(3, 2, 1, 1, true).out_len(9).unwrap(), 5);
        assert_eq!(ax(3, 1, 0, 2, false).out_len(10).unwrap(), 6);
        // the ceil_mode window that would start in the right padding is dropped: 3, not 4
        assert_eq!(ax(2, 2, 1, 1, true).out_len(5).unwrap(), 3);
        assert_eq!(ax(3, 3, 0, 1, true).out_len(1).unwrap(), 1);
        assert!(ax(3, 1, 0, 1, false).out_len(2).is_err());
        assert!(ax(2, 2, 0, 1, false).out_len(0).is_err());
    }

    #[test]
    fn pool_axis_rules() {
        assert!(PoolAxis::new(0, 1, 0, 1, false).is_err());
        assert!(PoolAxis::new(2, 0, 0, 1, false).is_err());
        assert!(PoolAxis::new(2, 1, 0, 0, false).is_err());
        assert!(PoolAxis::new(3, 1, 2, 1, false).is_err());
        assert!(PoolAxis::new(4, 1, 2, 1, false).is_ok());
        assert_eq!(PoolAxis::new(2, 2, 0, 1, false).unwrap().unpool_len(3), 6);
        assert_eq!(PoolAxis::new(3, 2, 1, 1, false).unwrap().unpool_len(4), 7);
    }

    #[test]
    fn adaptive_ranges_cover_the_input() {
        // torch.nn.AdaptiveAvgPool1d(3) on length 10 averages [0, 4), [3, 7), [6, 10)
        assert_eq!(adaptive_range(0, 10, 3), (0, 4));
        assert_eq!(adaptive_range(1, 10, 3), (3, 7));
        assert_eq!(adaptive_range(2, 10, 3), (6, 10));
        assert_eq!(adaptive_range(4, 4, 8), (2, 3));
    }

    #[test]
    fn conv_lengths_match_torch() {
        // torch.nn.functional.conv1d(torch.zeros(1, 1, 10), torch.zeros(1, 1, 3), stride=2,
        // padding=1, dilation=2).shape[-1] == 4
        assert_eq!(conv_out_len(10, 3, 2, 1, 1, 2), Some(4));
        assert_eq!(conv_out_len(5, 5, 1, 0, 0, 1), Some(1));
        assert_eq!(conv_out_len(4, 5, 1, 0, 0, 1), None);
        assert_eq!(conv_out_len(4, 3, 0, 0, 0, 1), None);
        // conv_transpose1d(torch.zeros(1, 1, 4), torch.zeros(1, 1, 3), stride=2, padding=1,
        // output_padding=1).shape[-1] == 8
        assert_eq!(conv_transpose_out_len(4, 3, 2, 1, 1, 1), Some(8));
        assert_eq!(conv_transpose_out_len(1, 1, 1, 1, 0, 1), None);
    }

    #[test]
    fn conv_axis_valid_outputs() {
        let axis = ConvAxis::forward(7, 3, 2, (2, 2), 2).unwrap();
        assert_eq!(axis.output, 4);
        for j in 0..3 {
            let (lo, hi) = axis.valid_outputs(j);
            for o in 0..axis.output {
                let inside = (0..7).contains(&axis.source(o, j));
                assert_eq!(inside, (lo..hi).contains(&o), "tap {j} output {o}");
            }
        }
        assert!(ConvAxis::forward(2, 3, 1, (0, 0), 1).is_err());
        assert!(ConvAxis::forward(5, 3, 0, (0, 0), 1).is_err());
        assert!(ConvAxis::transposed(4, 3, 2, 0, 2, 1).is_err());
        let t = ConvAxis::transposed(4, 3, 2, 1, 1, 1).unwrap();
        assert_eq!((t.input, t.output), (8, 4));
    }

    #[test]
    fn conv_params_groups() {
        let a = ConvAxis::forward(8, 3, 1, (1, 1), 1).unwrap();
        assert!(ConvParams::new(2, 6, 4, 3, ConvAxis::UNIT, a).is_err());
        assert!(ConvParams::new(2, 6, 4, 0, ConvAxis::UNIT, a).is_err());
        let p = ConvParams::new(2, 6, 9, 3, ConvAxis::UNIT, a).unwrap();
        assert_eq!((p.cin_g(), p.cout_g(), p.patch()), (2, 3, 6));
        assert_eq!(p.output_shape(), [2, 9, 1, 8]);
    }
}
