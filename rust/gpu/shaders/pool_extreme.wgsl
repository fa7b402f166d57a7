// Max or min pooling with torch's indices (rust/cpu/pool.rs `extreme_pool_indices`): one output per
// invocation; the window is scanned row by row and a sample replaces the best so far when it is
// strictly better (ties keep the first) or NaN where the adapter keeps NaN (WGSL may not). The
// index, flat in the input plane (iy * w + ix), starts at the first valid sample.

alias T = f32;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<T>;
// [-inf, +inf]: the starting best of max and min pooling (WGSL has no infinity literal)
@group(0) @binding(2) var<storage, read> inf: array<T>;
@group(0) @binding(3) var<storage, read_write> out: array<T>;
@group(0) @binding(4) var<storage, read_write> indices: array<i32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let o = flat_index(wg, lid, p.groups_x);
    if (o >= p.count * u32(p.oh * p.ow)) {
        return;
    }
    let win = window_of(o);
    let y0 = win.y0;
    let x0 = win.x0;
    let base = win.plane * u32(p.h * p.w);
    let is_max = p.flag == 1u;
    var best = select(inf[1], inf[0], is_max);
    var best_i = max(y0, 0) * p.w + max(x0, 0);
    var first = true;
    for (var a = 0; a < p.kh; a++) {
        let iy = y0 + a * p.dh;
        if (iy < 0 || iy >= p.h) {
            continue;
        }
        for (var b = 0; b < p.kw; b++) {
            let ix = x0 + b * p.dw;
            if (ix < 0 || ix >= p.w) {
                continue;
            }
            let i = iy * p.w + ix;
            let v = x[base + u32(i)];
            let better = select((v < best), (v > best), is_max);
            if (first) {
                best_i = i;
                first = false;
            }
            if (better || v != v) {
                best = v;
                best_i = i;
            }
        }
    }
    out[o] = best;
    indices[o] = best_i;
}
