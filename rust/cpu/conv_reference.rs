//! Plain loops for the convolution layers: the oracle the fast kernels in [`super::conv`] are
//! tested against. Every sum runs in the element type, one tap at a time.

use crate::element::Element;
use crate::params::ConvParams;

/// Calls `f(x_index, w_index, y_index)` for every (output, tap) pair that reads inside the input.
fn for_each_tap(p: &ConvParams, mut f: impl FnMut(usize, usize, usize)) {
    let (cin_g, cout_g) = (p.cin_g(), p.cout_g());
    let (h, w) = (p.h, p.w);
    for n in 0..p.batch {
        for co in 0..p.out_channels {
            let g = co / cout_g;
            for oh in 0..h.output {
                for ow in 0..w.output {
                    let yi = ((n * p.out_channels + co) * h.output + oh) * w.output + ow;
                    for ci in 0..cin_g {
                        let c = g * cin_g + ci;
                        for a in 0..h.kernel {
                            let ih = h.source(oh, a);
                            if ih < 0 || ih as usize >= h.input {
                                continue;
                            }
                            for b in 0..w.kernel {
                                let iw = w.source(ow, b);
                                if iw < 0 || iw as usize >= w.input {
                                    continue;
                                }
                                let xi = ((n * p.in_channels + c) * h.input + ih as usize)
                                    * w.input
                                    + iw as usize;
                                let wi = ((co * cin_g + ci) * h.kernel + a) * w.kernel + b;
                                f(xi, wi, yi);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `y[n, co, oh, ow] = bias[co] + sum x[n, ci, ih, iw] * w[co, ci, a, b]`.
pub fn forward<T: Element>(x: &[T], w: &[T], bias: Option<&[T]>, p: &ConvParams) -> Vec<T> {
    let plane = p.out_plane();
    let mut y: Vec<T> = (0..p.batch * p.out_channels * plane)
        .map(|i| bias.map_or(T::ZERO, |b| b[(i / plane) % p.out_channels]))
        .collect();
    for_each_tap(p, |xi, wi, yi| y[yi] = y[yi].mul_add(x[xi], w[wi]));
    y
}

/// `dx[n, ci, ih, iw] = sum dy[n, co, oh, ow] * w[co, ci, a, b]` over the pairs that read it.
pub fn backward_data<T: Element>(dy: &[T], w: &[T], p: &ConvParams) -> Vec<T> {
    let mut dx = vec![T::ZERO; p.input_shape().iter().product()];
    for_each_tap(p, |xi, wi, yi| dx[xi] = dx[xi].mul_add(dy[yi], w[wi]));
    dx
}

/// `dw[co, ci, a, b] = sum dy[n, co, oh, ow] * x[n, ci, ih, iw]`.
pub fn backward_weight<T: Element>(dy: &[T], x: &[T], p: &ConvParams) -> Vec<T> {
    let mut dw = vec![T::ZERO; p.weight_shape().iter().product()];
    for_each_tap(p, |xi, wi, yi| dw[wi] = dw[wi].mul_add(dy[yi], x[xi]));
    dw
}
