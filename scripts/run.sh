#!/usr/bin/env bash
# Set everything up, then run the main job: the service with its UI on
# http://127.0.0.1:${COVAEX_PORT:-8000} and the docs site on http://127.0.0.1:8001,
# on embedded defaults (SQLite, in-process cache). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1

bash scripts/setup.sh
DOCS_ADDR=${COVAEX_DOCS_ADDR:-127.0.0.1:8001}

.venv/bin/mkdocs serve --dev-addr "$DOCS_ADDR" --livereload &
docs_pid=$!
trap 'kill $docs_pid 2>/dev/null || true' EXIT INT TERM
echo "run: docs site on http://$DOCS_ADDR"
.venv/bin/covaex serve "$@"
