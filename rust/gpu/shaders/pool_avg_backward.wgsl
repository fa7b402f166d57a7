// Gradient of average pooling (rust/cpu/pool.rs `avg_pool_backward`): one input sample per
// invocation gathers grad_output / divisor from every window that covers it, in output order (the
// order in which the CPU kernel adds them).

alias T = f32;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad_output: array<T>;
@group(0) @binding(2) var<storage, read_write> grad_input: array<T>;

// The outputs [lo, hi] along an axis whose windows (start o * s - pad, k taps) may cover sample i:
// o * s - pad <= i <= o * s - pad + k - 1.
fn covering(i: i32, k: i32, s: i32, pad: i32, n_out: i32) -> vec2<i32> {
    let t = i + pad - k + 1;
    var lo = 0;
    if (t > 0) {
        lo = (t + s - 1) / s;
    }
    return vec2<i32>(lo, min((i + pad) / s, n_out - 1));
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let g = flat_index(wg, lid, p.groups_x);
    let per_plane = u32(p.h * p.w);
    if (g >= p.count * per_plane) {
        return;
    }
    let plane = g / per_plane;
    let r = i32(g % per_plane);
    let iy = r / p.w;
    let ix = r % p.w;
    let oys = covering(iy, p.kh, p.sh, p.ph, p.oh);
    let oxs = covering(ix, p.kw, p.sw, p.pw, p.ow);
    let base = plane * u32(p.oh * p.ow);
    var acc = T(0.0);
    for (var oy = oys.x; oy <= oys.y; oy++) {
        let ys = avg_span(oy * p.sh - p.ph, p.kh, p.end_h, p.h);
        if (iy < ys.x || iy >= ys.y) {
            continue;
        }
        for (var ox = oxs.x; ox <= oxs.y; ox++) {
            let xs = avg_span(ox * p.sw - p.pw, p.kw, p.end_w, p.w);
            if (ix < xs.x || ix >= xs.y) {
                continue;
            }
            let div = avg_divisor(ys.z * xs.z, (ys.y - ys.x) * (xs.y - xs.x));
            acc += grad_output[base + u32(oy * p.ow + ox)] / T(div);
        }
    }
    grad_input[g] = acc;
}
