// An axis permutation of a GPU-resident tensor (rust/gpu/resident.rs), as 32-bit words so that
// one kernel moves every dtype (a float64 element is two words, a trailing axis that stays last):
// out[i] = src[sum over d of index_d(i) * strides[d]], index_d(i) the digits of i in the output
// shape (row-major), strides the source strides of the output's axes, in words.

struct Params {
    len: u32,
    ndim: u32,
    groups_x: u32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
// shape[0..ndim] then strides[0..ndim]
@group(0) @binding(1) var<storage, read> geometry: array<u32>;
@group(0) @binding(2) var<storage, read> src: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    if (i >= p.len) {
        return;
    }
    var rest = i;
    var at = 0u;
    for (var d = i32(p.ndim) - 1; d >= 0; d--) {
        let n = geometry[u32(d)];
        at += (rest % n) * geometry[p.ndim + u32(d)];
        rest = rest / n;
    }
    out[i] = src[at];
}
