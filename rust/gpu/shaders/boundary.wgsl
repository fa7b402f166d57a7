// Shared by the correlation kernels (prepended by the launcher): where a sample index that may lie
// outside 0..n reads, as params.rs `Boundary::source_index` does; -1 for the fill value.
// mode: 0 fill, 1 wrap, 2 symm (reflect, edge repeated), 3 mirror (edge not repeated), 4 nearest.
fn source_index(i: i32, n: i32, mode: i32) -> i32 {
    if (i >= 0 && i < n) {
        return i;
    }
    if (n == 0) {
        return -1;
    }
    switch mode {
        case 1: {
            return ((i % n) + n) % n;
        }
        case 2: {
            let p = 2 * n;
            let r = ((i % p) + p) % p;
            return select(p - 1 - r, r, r < n);
        }
        case 3: {
            if (n == 1) {
                return 0;
            }
            let p = 2 * n - 2;
            let r = ((i % p) + p) % p;
            return select(p - r, r, r < n);
        }
        case 4: {
            return clamp(i, 0, n - 1);
        }
        default: {
            return -1;
        }
    }
}
