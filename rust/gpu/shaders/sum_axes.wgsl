// Sums (op 0; also of int32 tensors) or maxima (op 1, NaN winning as in numpy) of a GPU-resident tensor over its leading
// and trailing axes (rust/gpu/reduce.rs): x viewed as (outer, mid, inner), out[s * mid + m] = the
// reduction of x[o, m, i] over the t = o * inner + i of split s (t in [s * chunk, (s + 1) *
// chunk)). One workgroup per (m, s): each invocation reduces every 256th t, then a tree in
// workgroup memory reduces the 256 partial results, in a fixed order (the result does not depend
// on scheduling). The launcher reduces the splits with a second pass.

alias T = f32;

struct Params {
    outer: u32,
    mid: u32,
    inner: u32,
    chunk: u32,
    groups_x: u32,
    splits: u32,
    op: u32,
    // the maximum's identity, -inf, as f32 bits (a uniform, not a constant, so that the integer
    // version compiles; integers are only summed)
    lowest_bits: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> out: array<T>;

var<workgroup> partial: array<T, 256>;

// NaN by its bits (Vulkan compilers may fold x != x away), through f32 (a float64 NaN stays one).
fn is_nan(x: T) -> bool {
    return (bitcast<u32>(f32(x)) & 0x7fffffffu) > 0x7f800000u;
}

fn combine(a: T, b: T) -> T {
    if (p.op == 0u) {
        return a + b;
    }
    if (is_nan(a)) {
        return a;
    }
    if (is_nan(b)) {
        return b;
    }
    return max(a, b);
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let g = wg.x + wg.y * p.groups_x;
    if (g >= p.mid * p.splits) {
        return;
    }
    let m = g % p.mid;
    let s = g / p.mid;
    let total = p.outer * p.inner;
    let start = s * p.chunk;
    let stop = min(total, start + p.chunk);
    // the identity: 0, or -inf for the maximum (by its bits: WGSL has no infinity literal)
    var acc = select(T(0.0), T(bitcast<f32>(p.lowest_bits)), p.op == 1u);
    for (var t = start + lid.x; t < stop; t += 256u) {
        let o = t / p.inner;
        let i = t % p.inner;
        acc = combine(acc, x[(o * p.mid + m) * p.inner + i]);
    }
    partial[lid.x] = acc;
    workgroupBarrier();
    for (var half = 128u; half > 0u; half = half / 2u) {
        if (lid.x < half) {
            partial[lid.x] = combine(partial[lid.x], partial[lid.x + half]);
        }
        workgroupBarrier();
    }
    if (lid.x == 0u) {
        out[s * p.mid + m] = partial[0];
    }
}
