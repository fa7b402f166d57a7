//! Helpers shared by the integration tests (each test file is its own crate and takes what it
//! needs: `mod common;`).
#![allow(dead_code)]

use rand::rngs::SmallRng;
use rand::Rng;
use sigconv::ops::conv::conv_params;
use sigconv::params::ConvParams;

/// A random convolution-layer geometry: 1 to 3 groups of 1 to 3 channels in and out, batch 1 to 3,
/// per spatial axis an input of 1 to 12, kernel 1 to 4, stride 1 to 3, dilation 1 or 2, padding
/// 0 to 2 on each side; 1-D (unit height) three times in ten. None when the dilated kernel does not
/// fit the padded input.
pub fn random_conv_geometry(rng: &mut SmallRng) -> Option<ConvParams> {
    let groups = [1, 1, 2, 3][rng.random_range(0..4)];
    let cin = groups * rng.random_range(1..4);
    let cout = groups * rng.random_range(1..4);
    let batch = rng.random_range(1..4);
    let one_d = rng.random_bool(0.3);
    let dims = |rng: &mut SmallRng| {
        let k = rng.random_range(1..5);
        let s = rng.random_range(1..4);
        let d = rng.random_range(1..3);
        let p = (rng.random_range(0..3), rng.random_range(0..3));
        (rng.random_range(1..13), k, s, p, d)
    };
    let (h, kh, sh, ph, dh) = if one_d {
        (1, 1, 1, (0, 0), 1)
    } else {
        dims(rng)
    };
    let (w, kw, sw, pw, dw) = dims(rng);
    conv_params(
        &[batch, cin, h, w],
        &[cout, cin / groups, kh, kw],
        [sh, sw],
        [ph, pw],
        [dh, dw],
        groups,
    )
    .ok()
}

/// Whether a GPU adapter answers; prints why `test` is skipped when none does.
#[cfg(feature = "gpu")]
pub fn gpu_or_skip(test: &str) -> bool {
    match sigconv::gpu::get() {
        Ok(_) => true,
        Err(e) => {
            println!("skipping {test}: no GPU adapter ({e})");
            false
        }
    }
}
