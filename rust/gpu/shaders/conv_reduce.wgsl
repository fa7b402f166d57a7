// The end of backward-weight's split-k (conv_backward_weight.wgsl): dw[i] = the sum over the
// splits s = 0, 1, ... of parts[s * len + i], in that order, added to dw's value when flag is 1
// (the launcher's batch chunks after the first).

alias T = f32;

struct Params {
    len: u32,
    splits: u32,
    flag: u32,
    groups_x: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> parts: array<T>;
@group(0) @binding(2) var<storage, read_write> dw: array<T>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    if (i >= p.len) {
        return;
    }
    var acc = T(0.0);
    if (p.flag == 1u) {
        acc = dw[i];
    }
    for (var s = 0u; s < p.splits; s++) {
        acc += parts[s * p.len + i];
    }
    dw[i] = acc;
}
