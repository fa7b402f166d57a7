// A strided view of a GPU-resident tensor, materialised (rust/gpu/resident.rs `gather`): axis
// permutations, broadcasts (stride 0), slices and reversals (negative strides). In 32-bit words,
// so that one kernel moves every dtype (a float64 element is a trailing axis of two words):
// out[i] = src[offset + sum over d of index_d(i) * strides[d]], index_d(i) the digits of i in the
// output shape (row-major). The launcher checks that every position lies inside src.

struct Params {
    len: u32,
    ndim: u32,
    groups_x: u32,
    offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
// shape[0..ndim] then strides[0..ndim], in words
@group(0) @binding(1) var<storage, read> geometry: array<i32>;
@group(0) @binding(2) var<storage, read> src: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    if (i >= p.len) {
        return;
    }
    var rest = i;
    var at = i32(p.offset);
    for (var d = i32(p.ndim) - 1; d >= 0; d--) {
        let n = u32(geometry[d]);
        at += i32(rest % n) * geometry[i32(p.ndim) + d];
        rest = rest / n;
    }
    out[i] = src[u32(at)];
}
