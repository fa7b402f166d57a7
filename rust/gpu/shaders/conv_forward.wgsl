// Convolution forward (rust/cpu/conv.rs `forward`), NCHW: for each group g,
// y[img, g cout_g + o, q] = bias[o] + sum_k w[g cout_g + o, k] col[k, (img, q)], with k = (c, a, b)
// over the group's input channels and kernel taps and col the input tap (conv_input_tap.wgsl's
// input_tap). GEMM rows: output channels; columns: batch x output positions; depth: cin_g kh kw.

alias T = f32;

@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read> w: array<T>;
@group(0) @binding(3) var<storage, read> bias: array<T>;
@group(0) @binding(4) var<storage, read_write> y: array<T>;

fn load_a(g: u32, o: u32, k: u32) -> T {
    return w[(g * p.cout_g + o) * p.k + k];
}

fn load_b(g: u32, k: u32, n: u32) -> T {
    let taps = u32(p.k_h * p.k_w);
    let c = k / taps;
    let r = i32(k % taps);
    let plane = u32(p.out_h * p.out_w);
    let q = i32(n % plane);
    return input_tap(n / plane, g * p.cin_g + c, q / p.out_w, q % p.out_w, r / p.k_w, r % p.k_w);
}

fn store(g: u32, o: u32, n: u32, v: T) {
    let plane = u32(p.out_h * p.out_w);
    let channel = g * p.cout_g + o;
    var b = T(0.0);
    if (p.flag == 1u) {
        b = bias[channel];
    }
    y[((n / plane) * p.cout_g * p.groups + channel) * plane + n % plane] = v + b;
}
