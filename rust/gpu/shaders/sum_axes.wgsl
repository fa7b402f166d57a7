// Sums of a GPU-resident tensor over its leading and trailing axes (rust/gpu/reduce.rs): x viewed
// as (outer, mid, inner), out[s * mid + m] = the sum of x[o, m, i] over the t = o * inner + i of
// split s (t in [s * chunk, (s + 1) * chunk)). One workgroup per (m, s): each invocation adds every
// 256th t, then a tree in workgroup memory adds the 256 partial sums, in a fixed order (the result
// does not depend on scheduling). The launcher sums the splits with a second pass.

alias T = f32;

struct Params {
    outer: u32,
    mid: u32,
    inner: u32,
    chunk: u32,
    groups_x: u32,
    splits: u32,
    pad0: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> out: array<T>;

var<workgroup> partial: array<T, 256>;

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
    var acc = T(0.0);
    for (var t = start + lid.x; t < stop; t += 256u) {
        let o = t / p.inner;
        let i = t % p.inner;
        acc += x[(o * p.mid + m) * p.inner + i];
    }
    partial[lid.x] = acc;
    workgroupBarrier();
    for (var half = 128u; half > 0u; half = half / 2u) {
        if (lid.x < half) {
            partial[lid.x] += partial[lid.x + half];
        }
        workgroupBarrier();
    }
    if (lid.x == 0u) {
        out[s * p.mid + m] = partial[0];
    }
}
