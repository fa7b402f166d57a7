#!/usr/bin/env bash
# Idempotent setup for a bare machine (Python 3.9+ with pip, a Rust toolchain):
#   1. the Rust components the checks use (rustfmt, clippy), added with rustup when missing;
#   2. a virtual environment in .venv with the Python dependencies (pyproject.toml is the one list);
#   3. the extension sigconv._core, built in release mode and installed into .venv (maturin develop);
#   4. on Debian/Ubuntu as root, the Vulkan loader and Mesa's software GPU driver (libvulkan1,
#      mesa-vulkan-drivers: the lavapipe adapter) when missing, so that the GPU backend and its tests
#      run on machines without a GPU; a warning, not a failure, when they cannot be installed.
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

# Like quiet, but a failure is a warning and a non-zero return, not the end of the script.
soft() {
    if [[ "${VERBOSE:-0}" == 1 ]]; then
        "$@"
        return
    fi
    local log rc=0
    log="$(mktemp)"
    "$@" >"$log" 2>&1 || rc=$?
    if [[ $rc -ne 0 ]]; then
        printf 'setup: warning: `%s` failed (exit %d); its last output:\n' "$*" "$rc" >&2
        tail -n 20 "$log" >&2
    fi
    rm -f "$log"
    return "$rc"
}

START=$SECONDS

# --- GPU driver (optional) --------------------------------------------------------------------
# The GPU backend finds adapters through the Vulkan loader; where there is no GPU, Mesa's software
# driver lavapipe is one. sigconv looks for the adapter itself at run time (no vulkaninfo needed).
if [[ "$(uname -s)" == Linux ]] && command -v dpkg-query >/dev/null; then
    MISSING=()
    for pkg in libvulkan1 mesa-vulkan-drivers; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || MISSING+=("$pkg")
    done
    if [[ ${#MISSING[@]} -gt 0 ]]; then
        if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
            step "installing ${MISSING[*]} (Vulkan loader, Mesa's software GPU driver)"
            if soft apt-get update -q; then
                soft env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
                    "${MISSING[@]}" || true
            fi
        else
            printf 'setup: warning: %s not installed (needs root and apt-get); the GPU tests will skip\n' \
                "${MISSING[*]}" >&2
        fi
    fi
fi

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

# The requirement list: the package's dependencies, its 'test', 'bench' and 'dask' extras, and the build
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
for extra in ("test", "bench", "dask"):
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

SUMMARY="$("$PY" -c 'import sigconv; i = sigconv.info(); print("sigconv %s, SIMD %s, %d threads, devices: %s" % (i["version"], i["simd"], i["threads"], ", ".join(d["name"] for d in i["devices"])))')"
step "setup done in $((SECONDS - START)) s: $SUMMARY"
