#!/usr/bin/env bash
# The test command from the README: runs the whole suite in the project's venv.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
exec "$PY" -m pytest "$@"
