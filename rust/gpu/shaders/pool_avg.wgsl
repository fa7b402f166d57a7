// Average pooling (rust/cpu/pool.rs `avg_pool`, no dilation): one output per invocation, the sum of
// the window's valid samples in row order divided by divisor_override, or by the window size with
// its padding (count_include_pad) or without it; a window with no valid sample gives 0.

alias T = f32;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> out: array<T>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let o = flat_index(wg, lid, p.groups_x);
    if (o >= p.count * u32(p.oh * p.ow)) {
        return;
    }
    let win = window_of(o);
    let ys = avg_span(win.y0, p.kh, p.end_h, p.h);
    let xs = avg_span(win.x0, p.kw, p.end_w, p.w);
    if (ys.x >= ys.y || xs.x >= xs.y) {
        out[o] = T(0.0);
        return;
    }
    let base = win.plane * u32(p.h * p.w);
    var sum = T(0.0);
    for (var iy = ys.x; iy < ys.y; iy++) {
        for (var ix = xs.x; ix < xs.y; ix++) {
            sum += x[base + u32(iy * p.w + ix)];
        }
    }
    let div = avg_divisor(ys.z * xs.z, (ys.y - ys.x) * (xs.y - xs.x));
    out[o] = sum / T(div);
}
