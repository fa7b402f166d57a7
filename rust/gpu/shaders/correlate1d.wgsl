// 1-D correlation: out[o] = sum_m ext(x)[o + start + m] * w[m], with ext(x) the input extended by
// the boundary mode (source_index, boundary.wgsl). A convolution is this with the kernel flipped.
//
// Each workgroup computes TILE consecutive outputs, one per invocation. The kernel is walked in
// chunks of KC taps; for each chunk the workgroup loads the TILE + KC - 1 input samples it reads (the
// block and its halo) and the chunk's weights into workgroup memory once. Workgroups are numbered
// over a 2-D grid (x + y * groups_x) so that long signals fit the per-dimension dispatch limit.

alias T = f32;

struct Params {
    in_h: i32,
    in_w: i32,
    out_h: i32,
    out_w: i32,
    k_h: i32,
    k_w: i32,
    start_h: i32,
    start_w: i32,
    boundary: i32,
    groups_x: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<T>;
// k_w weights, then the fill value.
@group(0) @binding(2) var<storage, read> w: array<T>;
@group(0) @binding(3) var<storage, read_write> out: array<T>;

const TILE: i32 = 256;
const KC: i32 = 256;
var<workgroup> tile: array<T, 511>; // TILE + KC - 1
var<workgroup> wtile: array<T, 256>; // KC

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let l = i32(lid.x);
    let group = wg.x + wg.y * p.groups_x;
    let base = i32(group) * TILE;
    let fill = w[u32(p.k_w)];
    var acc = T(0.0);
    for (var c = 0; c < p.k_w; c += KC) {
        let cw = min(KC, p.k_w - c);
        workgroupBarrier();
        for (var t = l; t < TILE + cw - 1; t += TILE) {
            let s = source_index(base + p.start_w + c + t, p.in_w, p.boundary);
            var v = fill;
            if (s >= 0) {
                v = x[u32(s)];
            }
            tile[t] = v;
        }
        if (l < cw) {
            wtile[l] = w[u32(c + l)];
        }
        workgroupBarrier();
        for (var m = 0; m < cw; m++) {
            acc += tile[l + m] * wtile[m];
        }
    }
    let o = base + l;
    if (o < p.out_w) {
        out[u32(o)] = acc;
    }
}
