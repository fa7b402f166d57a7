#!/usr/bin/env bash
# The project's checks, as CI runs them (`bash .ci/run`): setup, then Rust formatting, clippy (without
# and with the Python bindings), the Rust tests, and the Python tests in .venv. Stops at the first
# failure, with that step's exit status.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
START=$SECONDS

step() { printf '\n==> %s\n' "$*"; }

bash scripts/setup.sh

# The same interpreter for pyo3's build script as maturin used, so clippy reuses its configuration.
export PYO3_PYTHON="$ROOT/.venv/bin/python"
LOCKED=()
[[ -n "${CI:-}" ]] && LOCKED=(--locked)

step "cargo fmt --check"
cargo fmt --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy "${LOCKED[@]}" --all-targets -- -D warnings

step "cargo clippy --features python -- -D warnings"
cargo clippy "${LOCKED[@]}" --features python -- -D warnings

step "cargo test --release"
cargo test "${LOCKED[@]}" --release

step "pytest -q tests/python"
if [[ -n "$(find tests/python \( -name 'test_*.py' -o -name '*_test.py' \) -print -quit 2>/dev/null)" ]]; then
    rc=0
    "$ROOT/.venv/bin/python" -m pytest -q tests/python || rc=$?
    if [[ $rc -ne 0 ]]; then
        printf '\ntest.sh: FAILED: pytest exited with status %d\n' "$rc" >&2
        exit "$rc"
    fi
else
    # No Python test files at all yet: pytest would exit 5 ("no tests collected"). The Rust tests
    # above ran, so say so loudly and go on; once any test file exists, pytest's status decides.
    printf 'test.sh: WARNING: tests/python holds no test files yet; pytest not run\n' >&2
fi

printf '\n==> all checks passed in %d s\n' "$((SECONDS - START))"
