// Floats converted to int32 elements (rust/gpu/elementwise.rs `float_to_int`): numpy's
// astype(int) of a float GPU tensor, truncating toward zero. WGSL leaves i32(x) to the
// implementation outside int32's range, so the bounds are applied here: values beyond saturate to
// -2^31 and 2^31 - 1, NaN gives 0 (numpy's own result there is undefined, with a RuntimeWarning).

alias T = f32;

struct Params {
    len: u32,
    groups_x: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<T>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    if (i >= p.len) {
        return;
    }
    let x = src[i];
    // NaN by its bits (Vulkan compilers may fold x != x away); through f32, which keeps a float64
    // NaN a NaN
    if ((bitcast<u32>(f32(x)) & 0x7fffffffu) > 0x7f800000u) {
        out[i] = 0;
    } else if (x >= T(2147483648.0)) {
        out[i] = 2147483647;
    } else if (x <= T(-2147483648.0)) {
        out[i] = i32(-2147483647) - 1;
    } else {
        out[i] = i32(x);
    }
}
