#!/usr/bin/env bash
# Destroy the dev environment in the only order that works, so it can be created again.
#   scripts/destroy-dev.sh            # after `cdktf synth`; AWS credentials of an administrator
# 1. Argo CD's applications, then every Ingress: the AWS Load Balancer Controller deletes the ALBs,
#    target groups and security groups it made (Terraform never knew them: left behind, they hold
#    the VPC's subnets and the VPC destroy fails with DependencyViolation).
# 2. Wait until no load balancer or security group tagged elbv2.k8s.aws/cluster=<cluster> is left
#    (DESTROY_WAIT_SECONDS, default 600; it stops with one line and destroys nothing when they stay).
# 3. cdktf destroy platform-v2-dev, then cdktf destroy tobe-v1-dev (its VPC, subnets, database).
# dev's stacks are made to be destroyed and re-created (infraforge.config): the ALB-log bucket is
# emptied by Terraform (force_destroy), the database keeps no final snapshot, the session secret
# is deleted without a recovery window. prod is never destroyed by this script.
# The state stack (state bucket, artifact bucket, OIDC provider) is shared and stays.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${CDKTF_OUTDIR:-$root/cdktf.out}/stacks"
platform="$out/platform-v2-dev/cdk.tf.json"
[ -f "$platform" ] || { echo "destroy-dev: $platform missing: run cdktf synth first" >&2; exit 1; }
wait_seconds=${DESTROY_WAIT_SECONDS:-600}
poll_seconds=${DESTROY_POLL_SECONDS:-10}
[[ "$wait_seconds" =~ ^[0-9]+$ && "$poll_seconds" =~ ^[1-9][0-9]*$ ]] || {
  echo "destroy-dev: DESTROY_WAIT_SECONDS must be a number and DESTROY_POLL_SECONDS a positive one" >&2; exit 2; }
region=ap-northeast-2
cluster=$(python3 -c 'import json, sys; [c] = json.load(open(sys.argv[1]))["resource"]["aws_eks_cluster"].values(); print(c["name"])' "$platform")
tag="elbv2.k8s.aws/cluster"

leftovers() {
  aws resourcegroupstaggingapi get-resources --region "$region" \
    --resource-type-filters elasticloadbalancing:loadbalancer elasticloadbalancing:targetgroup ec2:security-group \
    --tag-filters "Key=$tag,Values=$cluster" --query 'ResourceTagMappingList[].ResourceARN' --output text
}

if aws eks describe-cluster --region "$region" --name "$cluster" >/dev/null 2>&1; then
  echo "destroy-dev: 1/3: Argo CD applications and Ingresses of $cluster (the controller removes its ALBs)" >&2
  aws eks update-kubeconfig --region "$region" --name "$cluster" --alias "$cluster" >/dev/null
  # Applications first: Argo CD's self-heal would otherwise put the Ingress back.
  kubectl --context "$cluster" delete applications.argoproj.io --all -n argocd --ignore-not-found --wait=true
  kubectl --context "$cluster" delete ingress --all --all-namespaces --ignore-not-found --wait=true
else
  echo "destroy-dev: 1/3: cluster $cluster is gone already: checking for what its controller left" >&2
fi

echo "destroy-dev: 2/3: waiting for the controller's load balancers and security groups to go" >&2
waited=0
while left=$(leftovers) && [ -n "$left" ]; do
  if [ "$waited" -ge "$wait_seconds" ]; then
    echo "destroy-dev: still present after ${wait_seconds} s (tag $tag=$cluster), nothing destroyed: $(echo $left)" >&2
    exit 1
  fi
  sleep "$poll_seconds"
  waited=$((waited + poll_seconds))
done

echo "destroy-dev: 3/3: cdktf destroy platform-v2-dev, then tobe-v1-dev" >&2
cd "$root"
cdktf destroy platform-v2-dev --auto-approve
cdktf destroy tobe-v1-dev --auto-approve
echo "destroy-dev: dev destroyed; re-create it with README steps 5 and 7" >&2
