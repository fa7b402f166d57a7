#!/usr/bin/env bash
# The main command: set up (first run: a few minutes), then run sigconv's demo on data it makes itself
# (python -m sigconv.demo; arguments are passed on, e.g. --repeats 3).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
printf '\n==> python -m sigconv.demo %s\n' "$*"
exec "$ROOT/.venv/bin/python" -m sigconv.demo "$@"
