// Rank filter over 2-D planes (rust/cpu/rank.rs): out[q, y, x] = the rank-th smallest (0-based) of
// ext(x)[q, y + start_h + a, x + start_w + b] over the footprint's taps (a, b), with ext the plane
// extended by the boundary mode (source_index, boundary.wgsl). The median is rank count / 2.
// Each invocation gathers its window (at most MAX_TAPS samples) and sorts it by insertion; a
// comparison rounds nothing, so the value is the CPU's (a zero's sign aside).
//
// NaN: as in extreme_pass.wgsl, a window reading a flagged sample (or a NaN fill value) gives
// consts[1] (NaN), as numpy's median of it would.

alias T = f32;

struct Params {
    planes: u32,
    h: i32,
    w: i32,
    count: u32,
    rank: u32,
    start_h: i32,
    start_w: i32,
    boundary: i32,
    has_nan: u32,
    fill_is_nan: u32,
    groups_x: u32,
    pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<T>;
// the footprint's taps: (a, b) pairs, row-major order
@group(0) @binding(2) var<storage, read> taps: array<i32>;
// the fill value, then NaN
@group(0) @binding(3) var<storage, read> consts: array<T>;
@group(0) @binding(4) var<storage, read> nan_flags: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<T>;

const MAX_TAPS: u32 = 64u;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let flat = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    let plane = u32(p.h * p.w);
    if (flat >= p.planes * plane) {
        return;
    }
    let base = (flat / plane) * plane;
    let r = i32(flat % plane);
    let y = r / p.w;
    let x0 = r % p.w;
    var vals: array<T, MAX_TAPS>;
    var nan = false;
    for (var t = 0u; t < p.count; t++) {
        let sy = source_index(y + p.start_h + taps[2u * t], p.h, p.boundary);
        let sx = source_index(x0 + p.start_w + taps[2u * t + 1u], p.w, p.boundary);
        var v = consts[0];
        if (sy >= 0 && sx >= 0) {
            let at = base + u32(sy * p.w + sx);
            v = x[at];
            nan = nan || (p.has_nan == 1u && nan_flags[at] == 1u);
        } else {
            nan = nan || p.fill_is_nan == 1u;
        }
        // insertion: shift the larger ones up
        var j = t;
        while (j > 0u && vals[j - 1u] > v) {
            vals[j] = vals[j - 1u];
            j--;
        }
        vals[j] = v;
    }
    out[flat] = select(vals[p.rank], consts[1], nan);
}
