//! Entry points of the convolution layers: array shapes and torch's arguments in, checked
//! [`ConvParams`] out. Every message names the parameter and the value received.

use crate::error::{value_error, Result};
use crate::params::{ConvAxis, ConvParams};

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
