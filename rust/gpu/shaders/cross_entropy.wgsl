// Cross-entropy of rows of logits against class indices (rust/gpu/loss.rs), one row per
// invocation, as sigconv.nn.functional.cross_entropy without class weights or label smoothing:
// with s = x - max(x) and lse = log(sum(exp(s))), loss[r] = lse - s[t] and the gradient of
// loss[r] is softmax(x) - onehot(t). A row whose target equals ignore_index gets loss 0, gradient
// 0 and valid[r] = 0 (else 1), so that the mean divides by the rows counted; a target outside
// [0, classes) gives NaN (a check on the host would copy the targets there).

alias T = f32;

struct Params {
    rows: u32,
    classes: u32,
    ignore_index: i32,
    groups_x: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read_write> loss: array<T>;
@group(0) @binding(4) var<storage, read_write> grad: array<T>;
@group(0) @binding(5) var<storage, read_write> valid: array<T>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let r = (wg.x + wg.y * p.groups_x) * 256u + lid.x;
    if (r >= p.rows) {
        return;
    }
    let base = r * p.classes;
    let t = targets[r];
    if (t == p.ignore_index) {
        for (var c = 0u; c < p.classes; c++) {
            grad[base + c] = T(0.0);
        }
        loss[r] = T(0.0);
        valid[r] = T(0.0);
        return;
    }
    if (t < 0 || t >= i32(p.classes)) {
        // NaN by its bits (WGSL has no NaN literal, and 0 / 0 may be folded)
        let nan = T(bitcast<f32>(0x7fc00000u));
        for (var c = 0u; c < p.classes; c++) {
            grad[base + c] = nan;
        }
        loss[r] = nan;
        valid[r] = T(1.0);
        return;
    }
    var m = x[base];
    for (var c = 1u; c < p.classes; c++) {
        m = max(m, x[base + c]);
    }
    var total = T(0.0);
    for (var c = 0u; c < p.classes; c++) {
        total += exp(x[base + c] - m);
    }
    let lse = log(total);
    for (var c = 0u; c < p.classes; c++) {
        let prob = exp(x[base + c] - m - lse);
        grad[base + c] = select(prob, prob - T(1.0), i32(c) == t);
    }
    loss[r] = lse - (x[base + u32(t)] - m);
    valid[r] = T(1.0);
}
