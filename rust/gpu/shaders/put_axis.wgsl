// The inverse of a take along one axis (rust/gpu/index.rs `put_axis`): dst viewed as
// (outer, n, inner) and idx and values as (outer, count, inner), in place,
// dst[o, idx[o, k, i], i] = values[o, k, i] (numpy's put_along_axis: the gradient of a maximum,
// max_unpool). An index outside [0, n) writes nothing; where two indices of a line are equal the
// value that lands is either one (callers pass distinct indices, or equal values for them).

alias T = f32;

struct Params {
    outer: u32,
    n: u32,
    count: u32,
    inner: u32,
    groups_x: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read> values: array<T>;
@group(0) @binding(3) var<storage, read_write> dst: array<T>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let t = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    if (t >= p.outer * p.count * p.inner) {
        return;
    }
    let i = t % p.inner;
    let o = t / (p.count * p.inner);
    let j = idx[t];
    if (j < 0 || u32(j) >= p.n) {
        return;
    }
    dst[(o * p.n + u32(j)) * p.inner + i] = values[t];
}
