// Shared by the pooling kernels (prepended by the launcher): the geometry of `count` planes of
// h x w pooled into oh x ow (rust/gpu/pool.rs `PoolUniform`), and the invocation's flat index over
// a 2-D grid of 256-wide workgroups (x + y * groups_x, so that large jobs fit the dispatch limit).
struct Params {
    count: u32,
    h: i32,
    w: i32,
    oh: i32,
    ow: i32,
    kh: i32,
    kw: i32,
    sh: i32,
    sw: i32,
    ph: i32,
    pw: i32,
    dh: i32,
    dw: i32,
    // extreme pooling: 1 max, 0 min; average pooling: 1 when the padding counts in the divisor
    flag: u32,
    // average pooling: the divisor_override, 0 for none
    divisor: u32,
    groups_x: u32,
    // average pooling: where the padded extent ends along each axis (h + padding, unless the
    // planes are a band of rows of larger ones)
    end_h: i32,
    end_w: i32,
    pad0: u32,
    pad1: u32,
}

fn flat_index(wg: vec3<u32>, lid: vec3<u32>, groups_x: u32) -> u32 {
    return (wg.x + wg.y * groups_x) * 256u + lid.x;
}

// The window of pooled output `o` (o < count * oh * ow): its plane, and the input row and column
// (negative inside the padding) of its first tap.
struct Window {
    plane: u32,
    y0: i32,
    x0: i32,
}

fn window_of(o: u32) -> Window {
    let per_plane = u32(p.oh * p.ow);
    let r = i32(o % per_plane);
    return Window(o / per_plane, (r / p.ow) * p.sh - p.ph, (r % p.ow) * p.sw - p.pw);
}

// Average pooling: the valid range [lo, hi) of a window starting at `start` along an axis of n
// samples, and its length counted with padding (torch clips the window to the padded extent,
// which ends at `padded_end`).
fn avg_span(start: i32, k: i32, padded_end: i32, n: i32) -> vec3<i32> {
    let end = min(start + k, padded_end);
    let with_pad = max(end - start, 0);
    let lo = max(start, 0);
    let hi = max(min(end, n), lo);
    return vec3<i32>(lo, hi, with_pad);
}

fn avg_divisor(with_pad: i32, valid: i32) -> i32 {
    if (p.divisor != 0u) {
        return i32(p.divisor);
    }
    return select(valid, with_pad, p.flag == 1u);
}
