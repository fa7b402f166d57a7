// Gathers along one axis by integer indices (rust/gpu/index.rs `take_axis`): src viewed as
// (outer, n, inner), out as (outer, count, inner), out[o, k, i] = src[o, idx[o*so + k*sk + i*si], i].
// numpy's take (so = si = 0, sk = 1: the embedding lookup) and take_along_axis (the index array of
// out's shape). An index outside [0, n) gives 0 (callers check their indices first).

alias T = f32;

struct Params {
    outer: u32,
    n: u32,
    count: u32,
    inner: u32,
    so: u32,
    sk: u32,
    si: u32,
    groups_x: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read> src: array<T>;
@group(0) @binding(3) var<storage, read_write> out: array<T>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let t = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    if (t >= p.outer * p.count * p.inner) {
        return;
    }
    let i = t % p.inner;
    let k = (t / p.inner) % p.count;
    let o = t / (p.inner * p.count);
    let j = idx[o * p.so + k * p.sk + i * p.si];
    if (j < 0 || u32(j) >= p.n) {
        out[t] = T(0.0);
        return;
    }
    out[t] = src[(o * p.n + u32(j)) * p.inner + i];
}
