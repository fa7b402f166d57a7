#!/usr/bin/env bash
# The main command: set up (first run: a few minutes), then run `sigconv demo` (the console script
# setup installs into .venv) on data it makes itself; it writes the report folder ./sigconv-report.
# Arguments are passed on, e.g. --out DIR, --quick, --repeats 3.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
printf '\n==> sigconv demo %s\n' "$*"
exec "$ROOT/.venv/bin/sigconv" demo "$@"
