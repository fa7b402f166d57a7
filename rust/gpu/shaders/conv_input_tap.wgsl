// Shared by conv_forward.wgsl and conv_backward_weight.wgsl (appended by rust/gpu/conv.rs).

// The input sample x[img, channel, ih, iw] of tap (a, b) at output (oh, ow), 0 in the padding.
fn input_tap(img: u32, channel: u32, oh: i32, ow: i32, a: i32, b: i32) -> T {
    let ih = oh * p.s_h + a * p.d_h - p.p_h;
    let iw = ow * p.s_w + b * p.d_w - p.p_w;
    if (ih < 0 || iw < 0 || ih >= p.in_h || iw >= p.in_w) {
        return T(0.0);
    }
    let c_in = p.cin_g * p.groups;
    return x[((img * c_in + channel) * u32(p.in_h) + u32(ih)) * u32(p.in_w) + u32(iw)];
}
