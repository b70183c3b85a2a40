#!/usr/bin/env bash
# Build the release artifact of the service into OUTDIR:
#   covaex-<version>-py3-none-any.whl   the project's wheel
#   service.lock                        the `service` extra pinned with hashes (make lock)
#   wheelhouse.tar                      wheels/: every pinned dependency, hash-checked, for each
#                                       CPU the instances that install it run on
# The release workflow uploads OUTDIR to s3://<artifact bucket>/covaex/<version>/; the app
# instances install it offline (infraforge.constructs.user_data), and the boot drill
# (tests/boot) installs exactly these files from moto's S3.
# The wheels follow the target, not the build box: `covaex targets artifact` reads the instance
# types of every synthesized stack whose user data installs this artifact, maps each to its CPU
# (t4g: arm64, Graviton) and prints the manylinux platforms Amazon Linux 2023 (glibc 2.34) runs;
# the wheels are fetched for CPython 3.11 on each of them (both if the stacks mix). A type it
# cannot map fails the build in one line. STACKS=DIR reads already synthesized stacks
# (DIR/<stack>/cdk.tf.json); by default the stacks are synthesized (cached) into cdktf.out/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/build-artifact.sh OUTDIR}
PYTHON=${PYTHON:-.venv/bin/python}

version=$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

targets=$("$PYTHON" -m covaex targets artifact ${STACKS:+--stacks "$STACKS"}) || exit 1

"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$work" .
while read -r arch platforms; do
  flags=()
  for platform in $platforms; do flags+=(--platform "$platform"); done
  echo "build-artifact: wheels for $arch (${platforms// /, })" >&2
  "$PYTHON" -m pip download --quiet --require-hashes --no-deps --dest "$work/wheels" \
    --only-binary=:all: --implementation cp --python-version 3.11 --abi cp311 "${flags[@]}" \
    -r requirements/service.lock
done <<<"$targets"

mkdir -p "$out"
cp "$work/covaex-$version-py3-none-any.whl" requirements/service.lock "$out/"
tar -cf "$out/wheelhouse.tar" -C "$work" wheels
echo "$version"
