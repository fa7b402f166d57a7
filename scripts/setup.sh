#!/usr/bin/env bash
# Idempotent setup for a bare machine (Python 3.9+ with pip, a Rust toolchain):
#   1. the Rust components the checks use (rustfmt, clippy), added with rustup when missing;
#   2. a virtual environment in .venv with the Python dependencies (pyproject.toml is the one list);
#   3. the extension sigconv._core, built in release mode and installed into .venv (maturin develop).
# Running it again only redoes what changed. VERBOSE=1 shows the tools' own output.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

step() { printf '==> %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# Runs a command quietly; on failure shows the end of its output and stops the script.
quiet() {
    if [[ "${VERBOSE:-0}" == 1 ]]; then
        "$@"
        return
    fi
    local log rc=0
    log="$(mktemp)"
    "$@" >"$log" 2>&1 || rc=$?
    if [[ $rc -ne 0 ]]; then
        printf 'setup: error: `%s` failed (exit %d); its last output:\n' "$*" "$rc" >&2
        tail -n 60 "$log" >&2
        rm -f "$log"
        exit "$rc"
    fi
    rm -f "$log"
}

START=$SECONDS

# --- Rust -------------------------------------------------------------------------------------
command -v cargo >/dev/null || die "cargo not found: install a Rust toolchain (rustup) first"
for comp in rustfmt clippy; do
    sub=${comp/rustfmt/fmt}
    if ! cargo "$sub" --version >/dev/null 2>&1; then
        if command -v rustup >/dev/null; then
            step "adding Rust component $comp"
            quiet rustup component add "$comp"
        else
            printf 'setup: warning: cargo %s is missing and rustup is absent; scripts/test.sh will fail\n' "$sub" >&2
        fi
    fi
done

# --- Python environment -----------------------------------------------------------------------
if [[ ! -x "$PY" ]]; then
    step "creating virtual environment .venv"
    command -v python3 >/dev/null || die "python3 not found"
    quiet python3 -m venv "$VENV"
fi

# The requirement list: the package's dependencies, its 'test' and 'bench' extras, and the build
# backend, all read from pyproject.toml. A stamp of that list skips pip when nothing changed.
if ! "$PY" -c 'import tomllib' 2>/dev/null && ! "$PY" -c 'import tomli' 2>/dev/null; then
    quiet "$PY" -m pip install tomli
fi
mapfile -t REQS < <("$PY" - <<'PYEOF'
try:
    import tomllib
except ImportError:
    import tomli as tomllib
with open("pyproject.toml", "rb") as f:
    meta = tomllib.load(f)
reqs = list(meta["project"].get("dependencies", []))
for extra in ("test", "bench"):
    reqs += meta["project"].get("optional-dependencies", {}).get(extra, [])
reqs += meta["build-system"]["requires"]
print("\n".join(reqs))
PYEOF
)
[[ ${#REQS[@]} -gt 0 ]] || die "no requirements read from pyproject.toml"
STAMP="$VENV/.sigconv-requirements"
WANT="$(printf '%s\n' "${REQS[@]}")"
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$WANT" ]]; then
    step "installing Python packages: ${REQS[*]}"
    quiet "$PY" -m pip install --upgrade pip
    quiet "$PY" -m pip install "${REQS[@]}"
    printf '%s\n' "$WANT" >"$STAMP"
else
    step "Python packages already installed"
fi

# --- the extension ----------------------------------------------------------------------------
step "building sigconv._core (release; a few minutes on a fresh machine)"
export VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH"
# CI builds exactly the committed Cargo.lock.
LOCKED=()
[[ -n "${CI:-}" ]] && LOCKED=(--locked)
quiet "$VENV/bin/maturin" develop --release "${LOCKED[@]}"
quiet "$PY" -c 'import sigconv'

SUMMARY="$("$PY" -c 'import sigconv; i = sigconv.info(); print("sigconv %s, SIMD %s, %d threads" % (i["version"], i["simd"], i["threads"]))')"
step "setup done in $((SECONDS - START)) s: $SUMMARY"
