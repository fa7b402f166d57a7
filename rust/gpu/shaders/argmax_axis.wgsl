// Indices of the maxima along the middle axis of a GPU-resident tensor x viewed as (outer, n, inner)
// (rust/gpu/reduce.rs): out[o * inner + i] = the first k at which x[o, k, i] is largest, a NaN
// winning at its first position, as numpy's argmax. One invocation per output scans its n samples
// in order (the classes of a batch of logits: short scans, many outputs).

alias T = f32;

struct Params {
    outer: u32,
    n: u32,
    inner: u32,
    groups_x: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;

// NaN by its bits (Vulkan compilers may fold x != x away), through f32 (a float64 NaN stays one).
fn is_nan(v: T) -> bool {
    return (bitcast<u32>(f32(v)) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let t = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    if (t >= p.outer * p.inner) {
        return;
    }
    let o = t / p.inner;
    let i = t % p.inner;
    let base = o * p.n * p.inner + i;
    var best = x[base];
    var at = 0u;
    if (!is_nan(best)) {
        for (var k = 1u; k < p.n; k = k + 1u) {
            let v = x[base + k * p.inner];
            if (is_nan(v)) {
                at = k;
                break;
            }
            if (v > best) {
                best = v;
                at = k;
            }
        }
    }
    out[t] = i32(at);
}
