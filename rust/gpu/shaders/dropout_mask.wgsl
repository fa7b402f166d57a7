// The mask of dropout on the GPU (rust/gpu/elementwise.rs): out[i] = scale where a hash of (seed,
// i) lies at or above threshold = p * 2^32, else 0, so each element is kept with probability 1 - p
// (a counter-based generator: no state, the same mask for the same seed and length).

alias T = f32;

struct Params {
    len: u32,
    groups_x: u32,
    seed_lo: u32,
    seed_hi: u32,
    threshold: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
// the scale of the kept elements, 1 / (1 - p)
@group(0) @binding(1) var<storage, read> scale: array<T, 1>;
@group(0) @binding(2) var<storage, read_write> out: array<T>;

// PCG's output permutation of one 32-bit LCG step (Jarzynski and Olano, "Hash Functions for GPU
// Rendering", 2020).
fn pcg(x: u32) -> u32 {
    let state = x * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    if (i >= p.len) {
        return;
    }
    let r = pcg(pcg(i ^ p.seed_lo) ^ p.seed_hi);
    out[i] = select(T(0.0), scale[0], r >= p.threshold);
}
