// One step of Adam / AdamW on a GPU-resident parameter, in place (rust/gpu/optim.rs), the update
// of sigconv.optim.Adam in the same order of operations: g = grad (negated to maximize); AdamW:
// x *= 1 - lr * weight_decay, Adam: g += weight_decay * x; m = b1 * m + (1 - b1) * g;
// v = b2 * v + (1 - b2) * g * g; AMSGrad: vmax = max(vmax, v) and v = vmax;
// x -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps), bc = 1 - beta^step.

alias T = f32;

struct Params {
    len: u32,
    groups_x: u32,
    // bit 0: maximize, bit 1: L2 weight decay, bit 2: decoupled weight decay, bit 3: AMSGrad
    flags: u32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
// b1, 1 - b1, b2, 1 - b2, weight_decay, 1 - lr * weight_decay, lr / bc1, sqrt(bc2), eps
@group(0) @binding(1) var<storage, read> h: array<T, 9>;
@group(0) @binding(2) var<storage, read> grad: array<T>;
@group(0) @binding(3) var<storage, read_write> x: array<T>;
@group(0) @binding(4) var<storage, read_write> m: array<T>;
@group(0) @binding(5) var<storage, read_write> v: array<T>;
@group(0) @binding(6) var<storage, read_write> vmax: array<T>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    if (i >= p.len) {
        return;
    }
    var g = grad[i];
    if ((p.flags & 1u) != 0u) {
        g = -g;
    }
    var xi = x[i];
    if ((p.flags & 4u) != 0u) {
        xi = xi * h[5];
    }
    if ((p.flags & 2u) != 0u) {
        g = g + h[4] * xi;
    }
    let mi = m[i] * h[0] + h[1] * g;
    var vi = v[i] * h[2] + h[3] * (g * g);
    m[i] = mi;
    v[i] = vi;
    if ((p.flags & 8u) != 0u) {
        vi = max(vmax[i], vi);
        vmax[i] = vi;
    }
    let denom = sqrt(vi) / h[7] + h[8];
    x[i] = xi - h[6] * mi / denom;
}
