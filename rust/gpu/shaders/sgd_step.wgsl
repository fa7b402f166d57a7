// One step of SGD on a GPU-resident parameter, in place (rust/gpu/optim.rs), the update of
// sigconv.optim.SGD in the same order of operations: g = grad (negated to maximize);
// g += weight_decay * x; with momentum, buf = g on the first step, else buf = momentum * buf +
// (1 - dampening) * g, and g = g + momentum * buf (nesterov) or buf; x -= lr * g.

alias T = f32;

struct Params {
    len: u32,
    groups_x: u32,
    // bit 0: maximize, bit 1: weight decay, bit 2: momentum, bit 3: first step, bit 4: nesterov
    flags: u32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
// lr, momentum, 1 - dampening, weight_decay (rounded to T, as numpy rounds Python floats)
@group(0) @binding(1) var<storage, read> h: array<T, 4>;
@group(0) @binding(2) var<storage, read> grad: array<T>;
@group(0) @binding(3) var<storage, read_write> x: array<T>;
@group(0) @binding(4) var<storage, read_write> buf: array<T>;

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
    if ((p.flags & 2u) != 0u) {
        g = g + h[3] * x[i];
    }
    if ((p.flags & 4u) != 0u) {
        var b = g;
        if ((p.flags & 8u) == 0u) {
            b = buf[i] * h[1] + h[2] * g;
        }
        buf[i] = b;
        if ((p.flags & 16u) != 0u) {
            g = g + h[1] * b;
        } else {
            g = b;
        }
    }
    x[i] = x[i] - h[0] * g;
}
