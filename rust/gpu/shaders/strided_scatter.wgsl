// The inverse of strided_gather.wgsl (rust/gpu/resident.rs `scatter`): writes a contiguous src into
// the strided positions of dst, in place (numpy's `dst[index] = src` for a basic index). In 32-bit
// words: dst[offset + sum over d of index_d(i) * strides[d]] = src[i]. The launcher checks that the
// positions lie inside dst and are distinct, so no two invocations write one word.

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
@group(0) @binding(3) var<storage, read_write> dst: array<u32>;

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
    dst[u32(at)] = src[i];
}
