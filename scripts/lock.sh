#!/usr/bin/env bash
# Re-resolve uv.lock (the one lock of everything Python: runtime, every extra,
# every dev and test tool) and write the two files derived from it:
#   requirements/service.lock    the `service` extra with hashes, for every platform:
#                                the instance artifact (scripts/build-artifact.sh) and the image
#   requirements/bootstrap.lock  uv itself with hashes: scripts/setup.sh installs it with pip,
#                                then uv installs exactly uv.lock
#   scripts/lock.sh              keep every pin that still satisfies pyproject.toml (make lock)
#   scripts/lock.sh --upgrade    move every package to its newest allowed version (make lock-upgrade)
set -euo pipefail
cd "$(dirname "$0")/.."

UV=${UV:-.venv/bin/uv}
if [ ! -x "$UV" ]; then
  # No .venv yet: a throwaway uv of the bootstrap lock's version.
  boot=$(mktemp -d)
  trap 'rm -rf "$boot"' EXIT
  python3 -m venv "$boot" >/dev/null
  "$boot/bin/python" -m pip install -q --require-hashes --no-deps -r requirements/bootstrap.lock
  UV=$boot/bin/uv
fi

"$UV" lock "$@"
python3 scripts/lock_exports.py --uv "$UV"
echo "lock: uv.lock, requirements/service.lock and requirements/bootstrap.lock are up to date"
