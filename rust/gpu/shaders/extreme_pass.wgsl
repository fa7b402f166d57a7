// Minimum or maximum along one axis (rust/cpu/separable.rs `Op::Min` / `Op::Max`): the array as
// (outer, n, inner), out[o, i, j] = min or max over m < k of ext(x)[o, i + start + m, j], with ext the
// input extended by the boundary mode (source_index, boundary.wgsl). A comparison rounds nothing,
// so the result is the CPU's.
//
// NaN: WGSL's min and max may drop NaN, so where the input holds one the launcher binds a flag per
// sample (nan_flags, 1 for NaN; has_nan = 1); a window reading a flagged sample, or the fill value
// when it is NaN (fill_is_nan), gives consts[1] (NaN), as numpy's min and max would.

alias T = f32;

struct Params {
    outer: u32,
    n: i32,
    inner: u32,
    k: i32,
    start: i32,
    boundary: i32,
    is_max: u32,
    has_nan: u32,
    fill_is_nan: u32,
    groups_x: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<T>;
// the fill value, then NaN
@group(0) @binding(2) var<storage, read> consts: array<T>;
@group(0) @binding(3) var<storage, read> nan_flags: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<T>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let flat = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    let n = u32(p.n);
    if (flat >= p.outer * n * p.inner) {
        return;
    }
    let j = flat % p.inner;
    let i = i32((flat / p.inner) % n);
    let row = (flat / (p.inner * n)) * n;
    var acc = T(0.0);
    var nan = false;
    for (var m = 0; m < p.k; m++) {
        let s = source_index(i + p.start + m, p.n, p.boundary);
        var v = consts[0];
        if (s >= 0) {
            let at = (row + u32(s)) * p.inner + j;
            v = x[at];
            nan = nan || (p.has_nan == 1u && nan_flags[at] == 1u);
        } else {
            nan = nan || p.fill_is_nan == 1u;
        }
        if (m == 0) {
            acc = v;
        } else if (p.is_max == 1u) {
            acc = max(acc, v);
        } else {
            acc = min(acc, v);
        }
    }
    out[flat] = select(acc, consts[1], nan);
}
