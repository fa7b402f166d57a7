// int32 elements converted to floats (rust/gpu/elementwise.rs `int_to_float`): numpy's
// astype(float32 / float64) of an integer GPU tensor (class labels, comparison masks).

alias T = f32;

struct Params {
    len: u32,
    groups_x: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<T>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    if (i >= p.len) {
        return;
    }
    out[i] = T(src[i]);
}
