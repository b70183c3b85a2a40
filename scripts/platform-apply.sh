#!/usr/bin/env bash
# First apply of platform-v2-<env> in two phases.
#   scripts/platform-apply.sh dev|prod                  # after `cdktf synth`
#   scripts/platform-apply.sh dev|prod --print-targets  # only list phase one
# The Helm and Kubernetes providers talk to the cluster this very stack
# creates; Terraform cannot plan them against a cluster that does not exist
# yet. Phase one applies the cluster, its node group and the EKS managed
# add-ons (and everything they depend on) with -target; phase two applies the
# rest (Helm releases, StorageClass) against the running cluster. Later
# applies need one phase: `cdktf deploy platform-v2-<env>`.
set -euo pipefail
env_name=${1:?usage: scripts/platform-apply.sh dev|prod [--print-targets]}
case "$env_name" in dev|prod) ;; *) echo "platform-apply: environment must be dev or prod, got '$env_name'" >&2; exit 2 ;; esac
root="$(cd "$(dirname "$0")/.." && pwd)"
stack="${CDKTF_OUTDIR:-$root/cdktf.out}/stacks/platform-v2-$env_name"
[ -f "$stack/cdk.tf.json" ] || { echo "platform-apply: $stack/cdk.tf.json missing: run cdktf synth first" >&2; exit 1; }

# Phase one: every resource of the types in infraforge.platform.addons.PHASE_ONE_TARGETS.
mapfile -t targets < <(python3 - "$stack/cdk.tf.json" <<'PY'
import json, sys
resources = json.load(open(sys.argv[1]))["resource"]
for rtype in ("aws_eks_node_group", "aws_eks_addon"):
    for name in sorted(resources.get(rtype, {})):
        print(f"-target={rtype}.{name}")
PY
)
[ "${#targets[@]}" -gt 0 ] || { echo "platform-apply: no node group or add-on in $stack" >&2; exit 1; }
if [ "${2:-}" = --print-targets ]; then
  printf '%s\n' "${targets[@]}"
  exit 0
fi
tf=${TERRAFORM_BINARY_NAME:-terraform}
"$tf" -chdir="$stack" init -input=false
echo "platform-apply: phase 1/2: cluster, nodes and managed add-ons" >&2
"$tf" -chdir="$stack" apply "${targets[@]}"
echo "platform-apply: phase 2/2: Helm releases and the rest, against the running cluster" >&2
"$tf" -chdir="$stack" apply
