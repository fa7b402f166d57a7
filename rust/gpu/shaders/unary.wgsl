// Elementwise functions of GPU-resident tensors (rust/gpu/elementwise.rs): out[i] = f(a[i]) for
// f = sqrt (op 0), exp (1), log (2), tanh (3), abs (4), sign (5: -1, 0 or 1, NaN for NaN, as
// numpy's), floor (6), ceil (7), trunc (8), rint (9: halves to even, as WGSL's round). exp, log and tanh exist in float32 only (WGSL has no float64 versions; the launcher
// refuses them).

alias T = f32;

struct Params {
    len: u32,
    op: u32,
    groups_x: u32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<T>;
@group(0) @binding(2) var<storage, read_write> out: array<T>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    if (i >= p.len) {
        return;
    }
    let x = a[i];
    switch p.op {
        case 0u: { out[i] = sqrt(x); }
        case 1u: { out[i] = exp(x); }
        case 2u: { out[i] = log(x); }
        case 3u: { out[i] = tanh(x); }
        case 4u: { out[i] = abs(x); }
        case 6u: { out[i] = floor(x); }
        case 7u: { out[i] = ceil(x); }
        case 8u: { out[i] = trunc(x); }
        case 9u: { out[i] = round(x); }
        default: {
            // NaN by its bits (Vulkan compilers may fold x != x away)
            let nan = (bitcast<u32>(f32(x)) & 0x7fffffffu) > 0x7f800000u;
            out[i] = select(select(select(T(0.0), T(-1.0), x < T(0.0)), T(1.0), x > T(0.0)), x, nan);
        }
    }
}
