#!/usr/bin/env bash
# Build the release artifact of the service into OUTDIR:
#   covaex-<version>-py3-none-any.whl   the project's wheel
#   service.lock                        the `service` extra pinned with hashes (make lock)
#   wheelhouse.tar                      wheels/: every pinned dependency, hash-checked
# The release workflow uploads OUTDIR to s3://<artifact bucket>/covaex/<version>/; the app
# instances install it offline (infraforge.constructs.user_data), and the boot drill
# (tests/boot) installs exactly these files from moto's S3.
# Wheels are chosen for CPython 3.11 on x86_64 glibc >= 2.17, which Amazon Linux 2023 (glibc
# 2.34) runs, whatever machine builds them.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/build-artifact.sh OUTDIR}
PYTHON=${PYTHON:-.venv/bin/python}

version=$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$work" .
"$PYTHON" -m pip download --quiet --require-hashes --no-deps --dest "$work/wheels" \
  --only-binary=:all: --implementation cp --python-version 3.11 --abi cp311 \
  --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 --platform manylinux_2_34_x86_64 \
  -r requirements/service.lock

mkdir -p "$out"
cp "$work/covaex-$version-py3-none-any.whl" requirements/service.lock "$out/"
tar -cf "$out/wheelhouse.tar" -C "$work" wheels
echo "$version"
