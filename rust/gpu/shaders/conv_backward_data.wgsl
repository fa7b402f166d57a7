// Convolution backward-data (rust/cpu/conv.rs `backward_data`), NCHW: for each group g,
// dx[img, g cin_g + c, ih, iw] = sum over (o, a, b) of w[g cout_g + o, c, a, b] dy[img, g cout_g + o,
// oh, ow] for the outputs whose tap (a, b) reads (ih, iw): ih = oh s_h + a d_h - p_h, likewise iw.
// GEMM rows: input channels; columns: batch x input positions; depth: cout_g kh kw (taps that no
// output reads, between strides, add 0).

alias T = f32;

@group(0) @binding(1) var<storage, read> dy: array<T>;
@group(0) @binding(2) var<storage, read> w: array<T>;
@group(0) @binding(3) var<storage, read_write> dx: array<T>;

fn load_a(g: u32, c: u32, k: u32) -> T {
    let taps = u32(p.k_h * p.k_w);
    return w[((g * p.cout_g + k / taps) * p.cin_g + c) * taps + k % taps];
}

// The output coordinate whose tap t (dilated by d) reads input coordinate i, or -1.
fn source_output(i: i32, t: i32, s: i32, pad: i32, d: i32, n_out: i32) -> i32 {
    let u = i + pad - t * d;
    if (u < 0 || u % s != 0 || u / s >= n_out) {
        return -1;
    }
    return u / s;
}

fn load_b(g: u32, k: u32, n: u32) -> T {
    let taps = u32(p.k_h * p.k_w);
    let o = k / taps;
    let r = i32(k % taps);
    let plane = u32(p.in_h * p.in_w);
    let q = i32(n % plane);
    let oh = source_output(q / p.in_w, r / p.k_w, p.s_h, p.p_h, p.d_h, p.out_h);
    let ow = source_output(q % p.in_w, r % p.k_w, p.s_w, p.p_w, p.d_w, p.out_w);
    if (oh < 0 || ow < 0) {
        return T(0.0);
    }
    let c_out = p.cout_g * p.groups;
    return dy[(((n / plane) * c_out + g * p.cout_g + o) * u32(p.out_h) + u32(oh)) * u32(p.out_w) + u32(ow)];
}

fn store(g: u32, c: u32, n: u32, v: T) {
    let plane = u32(p.in_h * p.in_w);
    dx[((n / plane) * p.cin_g * p.groups + g * p.cin_g + c) * plane + n % plane] = v;
}
