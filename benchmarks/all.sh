#!/usr/bin/env bash
# Every training benchmark, one after another (about 10 minutes). Run it on a quiet machine: the figures
# compare against loops timed in the same run, but a busy machine still shifts them.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
"$PY" benchmarks/core.py
"$PY" benchmarks/crowd.py --sessions 1
"$PY" benchmarks/crowd.py --sessions 30
"$PY" benchmarks/app.py
