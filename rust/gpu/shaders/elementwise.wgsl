// Elementwise binary operations of GPU-resident tensors (rust/gpu/elementwise.rs): out[i] = a[i] op
// b[j] with j = (i / b_inner) % b_len, numpy's broadcasting of a b that spans a block of a's axes
// (b_inner elements of a after each b element): j = i for equal shapes, 0 for a scalar, the channel
// for a (C, 1, 1) bias. `swap` computes b op a instead (the reflected operators, 2 - x). numpy's results: maximum and minimum propagate NaN, the
// comparisons give 1 or 0 in T, and `assign` (op 12) copies b.

alias T = f32;

struct Params {
    len: u32,
    op: u32,
    b_len: u32,
    b_inner: u32,
    swap: u32,
    groups_x: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<T>;
@group(0) @binding(2) var<storage, read> b: array<T>;
@group(0) @binding(3) var<storage, read_write> out: array<T>;

// NaN by its bits: Vulkan compilers may assume no NaN and fold `x != x` away. Through f32, which
// keeps a float64 NaN a NaN.
fn is_nan(x: T) -> bool {
    return (bitcast<u32>(f32(x)) & 0x7fffffffu) > 0x7f800000u;
}

fn ordered(x: T, y: T) -> bool {
    return !(is_nan(x) || is_nan(y));
}

fn truth(c: bool) -> T {
    return select(T(0.0), T(1.0), c);
}

fn apply(op: u32, x: T, y: T) -> T {
    switch op {
        case 0u: { return x + y; }
        case 1u: { return x - y; }
        case 2u: { return x * y; }
        case 3u: { return x / y; }
        case 4u: {
            // maximum: NaN wins, as numpy's
            if (is_nan(x)) { return x; }
            if (is_nan(y)) { return y; }
            return select(y, x, x >= y);
        }
        case 5u: {
            if (is_nan(x)) { return x; }
            if (is_nan(y)) { return y; }
            return select(y, x, x <= y);
        }
        // comparisons with NaN: false, but true for !=, as IEEE (tested by bits, see is_nan)
        case 6u: { return truth(ordered(x, y) && x > y); }
        case 7u: { return truth(ordered(x, y) && x >= y); }
        case 8u: { return truth(ordered(x, y) && x < y); }
        case 9u: { return truth(ordered(x, y) && x <= y); }
        case 10u: { return truth(ordered(x, y) && x == y); }
        case 11u: { return truth(!ordered(x, y) || x != y); }
        default: { return y; }
    }
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    if (i >= p.len) {
        return;
    }
    let x = a[i];
    let y = b[(i / p.b_inner) % p.b_len];
    if (p.swap == 1u) {
        out[i] = apply(p.op, y, x);
    } else {
        out[i] = apply(p.op, x, y);
    }
}
