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
"$ROOT/.venv/bin/python" -m pytest -q tests/python

printf '\n==> all checks passed in %d s\n' "$((SECONDS - START))"
