// numpy's `where` on GPU-resident tensors (rust/gpu/elementwise.rs): out[i] = x[i] where c[i] is
// not 0 (a comparison's 1), else y[i]; x or y of one element is broadcast (a scalar).

alias T = f32;

struct Params {
    len: u32,
    x_len: u32,
    y_len: u32,
    groups_x: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> c: array<T>;
@group(0) @binding(2) var<storage, read> x: array<T>;
@group(0) @binding(3) var<storage, read> y: array<T>;
@group(0) @binding(4) var<storage, read_write> out: array<T>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    if (i >= p.len) {
        return;
    }
    let a = x[select(0u, i, p.x_len > 1u)];
    let b = y[select(0u, i, p.y_len > 1u)];
    out[i] = select(b, a, c[i] != T(0.0));
}
