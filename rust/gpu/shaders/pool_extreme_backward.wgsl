// Gradient of max or min pooling (rust/cpu/pool.rs `extreme_pool_backward`): each output's
// gradient added to grad_input at its index. One invocation owns one plane and walks its outputs in
// order, so the sums are the CPU's, in the CPU's order, with no atomics (WGSL has no float ones).
// The launcher checks the indices first (each inside its plane). With flag 1 the gradients are
// added to grad_input's values (the rows a run of a larger plane shares with the runs before it).

alias T = f32;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad_output: array<T>;
@group(0) @binding(2) var<storage, read> indices: array<i32>;
@group(0) @binding(3) var<storage, read_write> grad_input: array<T>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let plane = flat_index(wg, lid, p.groups_x);
    if (plane >= p.count) {
        return;
    }
    let n = u32(p.h * p.w);
    let m = u32(p.oh * p.ow);
    if (p.flag == 0u) {
        for (var i = 0u; i < n; i++) {
            grad_input[plane * n + i] = T(0.0);
        }
    }
    for (var j = 0u; j < m; j++) {
        let at = plane * n + u32(indices[plane * m + j]);
        grad_input[at] = grad_input[at] + grad_output[plane * m + j];
    }
}
