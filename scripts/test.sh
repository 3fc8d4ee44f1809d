#!/usr/bin/env bash
# The one test command (README and CI both call it): install dev requirements, run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q -r requirements-dev.txt
python -m pytest -q --timeout=300 "$@"
