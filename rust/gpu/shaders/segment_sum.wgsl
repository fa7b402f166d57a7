// Sums of rows grouped by index, in a fixed order (rust/gpu/index.rs `segment_sum`): out viewed as
// (rows, inner), out[r, i] = the sum over j in [offsets[r], offsets[r + 1]) of
// values[order[j] * inner + i], added in j's order. With order the stable sort of the indices and
// offsets their group starts, this is numpy's add.at(out, indices, values) (the embedding's
// gradient) with a result that does not depend on scheduling: no atomics.

alias T = f32;

struct Params {
    rows: u32,
    inner: u32,
    groups_x: u32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> order: array<i32>;
@group(0) @binding(2) var<storage, read> offsets: array<i32>;
@group(0) @binding(3) var<storage, read> values: array<T>;
@group(0) @binding(4) var<storage, read_write> out: array<T>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let t = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    if (t >= p.rows * p.inner) {
        return;
    }
    let i = t % p.inner;
    let r = t / p.inner;
    var acc = T(0.0);
    for (var j = offsets[r]; j < offsets[r + 1u]; j++) {
        acc += values[u32(order[j]) * p.inner + i];
    }
    out[t] = acc;
}
