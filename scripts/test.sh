#!/usr/bin/env bash
# The test command from the README: runs the whole suite in the project's venv.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
# Two workers (EKSA_TEST_WORKERS=0 runs in one process): most tests wait on servers and
# simulated machines rather than compute. Tests bound to fixed ports take their loopback
# addresses from PYTEST_XDIST_WORKER, so two workers never share one.
exec "$PY" -m pytest -n "${EKSA_TEST_WORKERS:-2}" --durations=25 "$@"
