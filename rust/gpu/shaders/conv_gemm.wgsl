// Shared by the convolution kernels (appended by rust/gpu/conv.rs): an implicit GEMM, for each
// channel group g, C[g] (m x n) = A[g] (m x k) @ B[g] (k x n), where the kernel file defines the
// operands as functions of the layer's geometry instead of materialising them: load_a(g, row, col),
// load_b(g, row, col) and store(g, row, col, value). Nothing is read outside the matrices.
//
// Each workgroup computes a BM x BN block of C: its 256 invocations each sum a 4 x 4 sub-block
// (rows ly + 16 i, columns lx + 16 j, so neighbouring invocations touch neighbouring memory), with
// BK columns of A and rows of B staged in workgroup memory at a time. The k sum runs in order
// (0, 1, ..., k - 1) for every output.
//
// Grid: x + y * groups_x walks the column blocks; z = (g * row_blocks + the row block) + split *
// groups * row_blocks. With splits > 1 (backward-weight's split-k, for GEMMs with few output blocks
// and a deep k) each split sums its k_chunk of the depth and store() writes it to the split's own
// partial sums (the private `split`), which conv_reduce.wgsl adds up in order.

struct Params {
    // the GEMM: rows, columns, depth, and the width of the x-y grid
    m: u32,
    n: u32,
    k: u32,
    groups_x: u32,
    // the layer: batch, channels in and out per group, groups
    batch: u32,
    cin_g: u32,
    cout_g: u32,
    groups: u32,
    in_h: i32,
    in_w: i32,
    out_h: i32,
    out_w: i32,
    k_h: i32,
    k_w: i32,
    s_h: i32,
    s_w: i32,
    p_h: i32,
    p_w: i32,
    d_h: i32,
    d_w: i32,
    // forward: 1 when bias holds one value per output channel; backward-weight: 1 to add to the
    // gradient already in the output (one batch chunk after another)
    flag: u32,
    // split-k: the depth each split sums, and the number of splits
    k_chunk: u32,
    splits: u32,
    pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// This workgroup's split of the depth (0 without split-k), for store().
var<private> split: u32;

const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 16u;
var<workgroup> a_tile: array<T, 1024>; // BK x BM, k-major
var<workgroup> b_tile: array<T, 1024>; // BK x BN, k-major

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
    let row_blocks = (p.m + BM - 1u) / BM;
    let per_split = row_blocks * p.groups;
    let sp = wg.z / per_split;
    split = sp;
    let g = (wg.z % per_split) / row_blocks;
    let m0 = (wg.z % row_blocks) * BM;
    let n0 = (wg.x + wg.y * p.groups_x) * BN;
    if (n0 >= p.n) {
        return;
    }
    let k_begin = sp * p.k_chunk;
    let k_end = min(p.k, k_begin + p.k_chunk);
    var acc: array<T, 16>;
    for (var i = 0u; i < 16u; i++) {
        acc[i] = T(0.0);
    }
    for (var k0 = k_begin; k0 < k_end; k0 += BK) {
        for (var t = 0u; t < 4u; t++) {
            let e = li + t * 256u;
            let kk = k0 + e / BM;
            let mm = m0 + e % BM;
            var a = T(0.0);
            if (kk < k_end && mm < p.m) {
                a = load_a(g, mm, kk);
            }
            a_tile[e] = a;
            let nn = n0 + e % BN;
            var b = T(0.0);
            if (kk < k_end && nn < p.n) {
                b = load_b(g, kk, nn);
            }
            b_tile[e] = b;
        }
        workgroupBarrier();
        let depth = min(BK, k_end - k0);
        for (var kk = 0u; kk < depth; kk++) {
            var a: array<T, 4>;
            var b: array<T, 4>;
            for (var i = 0u; i < 4u; i++) {
                a[i] = a_tile[kk * BM + lid.y + 16u * i];
                b[i] = b_tile[kk * BN + lid.x + 16u * i];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i * 4u + j] = fma(a[i], b[j], acc[i * 4u + j]);
                }
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let mm = m0 + lid.y + 16u * i;
        for (var j = 0u; j < 4u; j++) {
            let nn = n0 + lid.x + 16u * j;
            if (mm < p.m && nn < p.n) {
                store(g, mm, nn, acc[i * 4u + j]);
            }
        }
    }
}
