#!/usr/bin/env bash
# Set everything up, start real Redis and PostgreSQL, then run the checks:
# ruff, mypy --strict, the docs drift gate, and pytest. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1

bash scripts/setup.sh
eval "$(bash scripts/services.sh start)"
trap 'bash scripts/services.sh stop' EXIT

echo "== ruff"
.venv/bin/ruff check .
echo "== mypy --strict"
.venv/bin/mypy
echo "== pytest"
set +e
# More workers than cores: much of the suite waits on servers, browsers and containers. The
# timed suites (drills, abuse) and the browser tests stay serialized (tests/conftest.py).
.venv/bin/python -m pytest -n "${COVAEX_TEST_WORKERS:-4}" --dist loadgroup --no-loadscope-reorder --durations=25 "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
exit "$status"
