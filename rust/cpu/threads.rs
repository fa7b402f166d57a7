//! The `workers=` setting: which threads a computation may use.
//!
//! `None` runs in rayon's global pool (all cores), `Some(1)` on the calling thread alone, `Some(n)` in
//! a pool of `n` threads built once and cached. Kernels ask [`parallel`] before splitting work.

use rayon::{ThreadPool, ThreadPoolBuilder};
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

thread_local! {
    static SERIAL: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with `workers` threads (see the module doc).
pub fn with_workers<R: Send>(workers: Option<usize>, f: impl FnOnce() -> R + Send) -> R {
    match workers {
        None => f(),
        Some(0 | 1) => {
            let previous = SERIAL.with(|s| s.replace(true));
            let result = f();
            SERIAL.with(|s| s.set(previous));
            result
        }
        Some(n) => pool(n).install(f),
    }
}

/// Whether a kernel called here may split its work across threads, given the work's size in
/// multiply-adds: small work stays on the calling thread, where spawning tasks would cost more.
pub fn parallel(work: usize) -> bool {
    const MIN_PARALLEL_WORK: usize = 1 << 16;
    work >= MIN_PARALLEL_WORK && !SERIAL.with(|s| s.get()) && rayon::current_num_threads() > 1
}

/// Number of threads a computation started here may use.
pub fn current_threads() -> usize {
    if SERIAL.with(|s| s.get()) {
        1
    } else {
        rayon::current_num_threads()
    }
}

/// Runs `f(first_row, chunk)` over chunks of whole rows (`row_len` samples each) of `out`, split
/// across threads when `work` (operations of the whole call) is worth it.
pub fn for_rows<T: Send>(
    out: &mut [T],
    row_len: usize,
    work: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    use rayon::prelude::*;
    if out.is_empty() || row_len == 0 {
        return;
    }
    let rows = out.len() / row_len;
    if !parallel(work) || rows < 2 {
        return f(0, out);
    }
    let per = rows.div_ceil(current_threads() * 8).max(1);
    out.par_chunks_mut(per * row_len)
        .enumerate()
        .for_each(|(i, chunk)| f(i * per, chunk));
}

fn pool(n: usize) -> Arc<ThreadPool> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<ThreadPool>>>> = OnceLock::new();
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    pools
        .entry(n)
        .or_insert_with(|| {
            Arc::new(
                ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(move |i| format!("sigconv-{n}-{i}"))
                    .build()
                    .expect("building a rayon thread pool"),
            )
        })
        .clone()
}
