// Convolution backward-weight (rust/cpu/conv.rs `backward_weight`), NCHW: for each group g,
// dw[g cout_g + o, k] (+)= sum over (img, q) of dy[img, g cout_g + o, q] col[k, (img, q)], with col
// the input tap of k = (c, a, b) at output position q (conv_input_tap.wgsl). GEMM rows:
// output channels; columns: cin_g kh kw; depth: batch x output positions, cut into `splits` parts
// (conv_gemm.wgsl's split-k) whose sums land in `parts`, one weight-sized slice per split;
// conv_reduce.wgsl adds them into dw.

alias T = f32;

@group(0) @binding(1) var<storage, read> dy: array<T>;
@group(0) @binding(2) var<storage, read> x: array<T>;
@group(0) @binding(3) var<storage, read_write> parts: array<T>;

fn load_a(g: u32, o: u32, k: u32) -> T {
    let plane = u32(p.out_h * p.out_w);
    return dy[((k / plane) * p.cout_g * p.groups + g * p.cout_g + o) * plane + k % plane];
}

fn load_b(g: u32, k: u32, n: u32) -> T {
    let taps = u32(p.k_h * p.k_w);
    let c = n / taps;
    let r = i32(n % taps);
    let plane = u32(p.out_h * p.out_w);
    let q = i32(k % plane);
    return input_tap(k / plane, g * p.cin_g + c, q / p.out_w, q % p.out_w, r / p.k_w, r % p.k_w);
}

fn store(g: u32, o: u32, n: u32, v: T) {
    parts[split * p.cout_g * p.groups * p.n + (g * p.cout_g + o) * p.n + n] = v;
}
