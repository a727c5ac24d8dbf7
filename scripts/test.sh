#!/usr/bin/env bash
# The test command from the README: runs the whole suite in the project's venv.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
# Two workers (EKSA_TEST_WORKERS=0 runs in one process): most tests wait on servers and
# simulated machines rather than compute; tests bound to fixed ports share an xdist_group.
exec "$PY" -m pytest -n "${EKSA_TEST_WORKERS:-2}" --dist loadgroup "$@"
