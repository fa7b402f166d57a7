// The inverse of a take along one axis with one index per line (rust/gpu/index.rs `put_axis`):
// dst viewed as (outer, n, inner), in place, dst[o, idx[o * inner + i], i] = values[o * inner + i]
// (numpy's put_along_axis with an index of length 1 along the axis: the gradient of a maximum).
// One index per (o, i), so no two invocations write one element; an index outside [0, n) writes
// nothing.

alias T = f32;

struct Params {
    outer: u32,
    n: u32,
    inner: u32,
    groups_x: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read> values: array<T>;
@group(0) @binding(3) var<storage, read_write> dst: array<T>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let t = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    if (t >= p.outer * p.inner) {
        return;
    }
    let i = t % p.inner;
    let o = t / p.inner;
    let j = idx[t];
    if (j < 0 || u32(j) >= p.n) {
        return;
    }
    dst[(o * p.n + u32(j)) * p.inner + i] = values[t];
}
