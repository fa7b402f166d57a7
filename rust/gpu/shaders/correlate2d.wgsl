// 2-D correlation: out[o0, o1] = sum_{m0, m1} ext(x)[o0 + start0 + m0, o1 + start1 + m1] * w[m0, m1],
// with ext(x) the input extended by the boundary mode (source_index, boundary.wgsl). A convolution
// is this with the kernel flipped (ops/convolve.rs).
//
// Each workgroup computes a TILE x TILE block of outputs, one per invocation. The kernel is walked in
// chunks of at most KC x KC taps; for each chunk the workgroup loads the input block it reads (the
// block and its halo, (TILE + KC - 1)^2 samples) and the chunk's weights into workgroup memory once,
// then every invocation sums from there.

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
// k_h * k_w weights, row-major, then the fill value.
@group(0) @binding(2) var<storage, read> w: array<T>;
@group(0) @binding(3) var<storage, read_write> out: array<T>;

const TILE: i32 = 16;
const KC: i32 = 16;
const HALO: i32 = 31; // TILE + KC - 1
var<workgroup> tile: array<T, 961>; // HALO * HALO
var<workgroup> wtile: array<T, 256>; // KC * KC

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let ly = i32(lid.y);
    let lx = i32(lid.x);
    let flat = ly * TILE + lx;
    let row0 = i32(wg.y) * TILE;
    let col0 = i32(wg.x) * TILE;
    let fill = w[u32(p.k_h * p.k_w)];
    var acc = T(0.0);
    for (var c0 = 0; c0 < p.k_h; c0 += KC) {
        let ch = min(KC, p.k_h - c0);
        for (var c1 = 0; c1 < p.k_w; c1 += KC) {
            let cw = min(KC, p.k_w - c1);
            let th = TILE + ch - 1;
            let tw = TILE + cw - 1;
            workgroupBarrier();
            for (var t = flat; t < th * tw; t += TILE * TILE) {
                let r = t / tw;
                let c = t - r * tw;
                let sr = source_index(row0 + p.start_h + c0 + r, p.in_h, p.boundary);
                let sc = source_index(col0 + p.start_w + c1 + c, p.in_w, p.boundary);
                var v = fill;
                if (sr >= 0 && sc >= 0) {
                    v = x[u32(sr) * u32(p.in_w) + u32(sc)];
                }
                tile[r * HALO + c] = v;
            }
            if (ly < ch && lx < cw) {
                wtile[ly * KC + lx] = w[u32(c0 + ly) * u32(p.k_w) + u32(c1 + lx)];
            }
            workgroupBarrier();
            for (var m0 = 0; m0 < ch; m0++) {
                let trow = (ly + m0) * HALO + lx;
                let wrow = m0 * KC;
                for (var m1 = 0; m1 < cw; m1++) {
                    acc += tile[trow + m1] * wtile[wrow + m1];
                }
            }
        }
    }
    let o0 = row0 + ly;
    let o1 = col0 + lx;
    if (o0 < p.out_h && o1 < p.out_w) {
        out[u32(o0) * u32(p.out_w) + u32(o1)] = acc;
    }
}
