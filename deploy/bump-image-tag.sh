#!/usr/bin/env bash
# Point one environment's overlay at a new immutable image tag.
#   deploy/bump-image-tag.sh dev  sha-<40 hex git sha>
#   deploy/bump-image-tag.sh prod v<major>.<minor>.<patch>
# CI's GitOps job runs this and commits the one-line change; `git revert` of
# that commit is the rollback. Refuses `latest` and anything outside the tag
# policy, and refuses a sha- tag for prod (prod runs releases only).
set -euo pipefail
env_name=${1:?usage: bump-image-tag.sh dev|prod TAG}
tag=${2:?usage: bump-image-tag.sh dev|prod TAG}
overlay="$(cd "$(dirname "$0")" && pwd)/k8s/overlays/$env_name/kustomization.yaml"

[ -f "$overlay" ] || { echo "bump-image-tag: no overlay for environment '$env_name'" >&2; exit 2; }
sha_re='^sha-[0-9a-f]{40}$'
release_re='^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$'
if [[ "$tag" =~ $release_re ]]; then
  :
elif [[ "$tag" =~ $sha_re ]]; then
  [ "$env_name" != prod ] || { echo "bump-image-tag: prod deploys release tags (v<semver>) only, not '$tag'" >&2; exit 2; }
else
  echo "bump-image-tag: '$tag' is not sha-<git sha> or v<semver>; 'latest' and other moving tags are never deployed" >&2
  exit 2
fi
count=$(grep -cE '^[[:space:]]*newTag:' "$overlay" || true)
[ "$count" = 1 ] || { echo "bump-image-tag: expected exactly one newTag line in $overlay, found $count" >&2; exit 1; }
# sed, not `kustomize edit`: it keeps the file's comments and changes one line.
sed -i -E "s|^([[:space:]]*newTag:).*$|\1 $tag|" "$overlay"
echo "bump-image-tag: $env_name -> $tag"
