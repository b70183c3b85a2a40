"""The account-specific half of the GitOps manifests, generated from the deploy inputs and stack outputs.

This is **the one bootstrap path** of Argo CD: ``deploy/argocd/`` holds no
kustomization of its own, so nothing can apply its objects without the
account's values (a plain ``kubectl apply -k`` used to deploy the
Application with ``registry.invalid``, an image no node can pull).

The manifests in ``deploy/`` that Argo CD applies from git hold no AWS
account: the overlays name the image ``covaex`` (at ``registry.invalid``, a
name that can never resolve, so an unconfigured cluster fails to pull
instead of pulling a stranger's image), and the service account and Ingress
carry no role or certificate ARN. What depends on the account is supplied
where it is known, when the operator bootstraps Argo CD in a cluster:

    python -m infraforge.gitops_site dev \\
        --platform-outputs platform-v2-dev.json --registry-outputs platform-v2-registry.json \\
        | kubectl apply -n argocd -f -

reads ``terraform output -json`` of ``platform-v2-<env>`` (``service_role_arn``,
the two secret ARNs, the database and Redis endpoints: :data:`PLATFORM_OUTPUTS`)
and ``platform-v2-registry`` (``repository_url``) plus the deploy inputs
(:mod:`infraforge.inputs`: ``github_repo``, ``acm_certificate_arn``), and
prints the AppProject, the RBAC ConfigMap and the environment's Application
with ``spec.source.kustomize`` overrides: the image's registry, the IRSA role
annotation, the certificate annotation, the secrets the ExternalSecret syncs
and the endpoints in the ConfigMap. Argo CD applies those overrides
to the overlay at every sync, so a tag bump in git keeps working unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from infraforge.environments import PROFILES
from infraforge.inputs import InputError, read_inputs

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
IMAGE_NAME = "covaex"
EXTERNAL_SECRET = "covaex-secrets"  # noqa: S105  # pragma: allowlist secret
"""The ExternalSecret (and the Secret it writes) of ``deploy/k8s/base/externalsecret.yaml``."""
BOOTSTRAP_FILES = ("common/appproject.yaml", "common/argocd-rbac-cm.yaml", "{env}/application.yaml")
"""What the bootstrap reads under ``deploy/argocd/``, in apply order (``{env}``: the environment)."""
BOOTSTRAP_COMMAND = (
    "python -m infraforge.gitops_site {env} --platform-outputs platform-v2-{env}.json "
    "--registry-outputs platform-v2-registry.json | kubectl apply -n argocd -f -"
)
"""The bootstrap as the docs show it (README step 8 writes the outputs' files first)."""
_ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]+$")
_REPOSITORY_URL = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/[a-z0-9._/-]+$")
_SECRET_ARN = re.compile(r"^arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@!-]+$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")
_PORT = re.compile(r"^[1-9][0-9]{0,4}$")
_DB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
PLATFORM_OUTPUTS: dict[str, re.Pattern[str]] = {
    "service_role_arn": _ROLE_ARN,
    "database_secret_arn": _SECRET_ARN,
    "session_secret_arn": _SECRET_ARN,
    "database_host": _HOST,
    "database_port": _PORT,
    "database_name": _DB_NAME,
    "redis_host": _HOST,
    "redis_port": _PORT,
}
"""The ``platform-v2-<env>`` outputs the bootstrap reads, each with the shape it must have."""


class SiteError(ValueError):
    """A stack output is missing or malformed; the message names it."""


def output(outputs: Mapping[str, Any], name: str, pattern: re.Pattern[str], source: str) -> str:
    """One value of ``terraform output -json`` (``{"name": {"value": ...}}``), validated."""
    entry = outputs.get(name)
    value = entry.get("value") if isinstance(entry, Mapping) else None
    if not isinstance(value, str) or not pattern.match(value):
        raise SiteError(f"{source}: output {name!r} missing or malformed (got {value!r}); apply the stack first")
    return value


def kustomize_overrides(*, repository_url: str, platform: Mapping[str, str], certificate_arn: str) -> dict[str, Any]:
    """``spec.source.kustomize`` of an Application: registry, IRSA role, certificate, secrets and endpoints.

    ``platform`` holds the values of :data:`PLATFORM_OUTPUTS`.
    """

    def annotate(kind: str, api_version: str, annotation: str, value: str) -> dict[str, Any]:
        body = {
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"name": IMAGE_NAME, "annotations": {annotation: value}},
        }
        return {"target": {"kind": kind, "name": IMAGE_NAME}, "patch": yaml.safe_dump(body, sort_keys=False)}

    settings = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"{IMAGE_NAME}-config"},
        "data": {
            "COVAEX_REDIS_URL": f"rediss://{platform['redis_host']}:{platform['redis_port']}/0",
            "DB_HOST": platform["database_host"],
            "DB_PORT": platform["database_port"],
            "DB_NAME": platform["database_name"],
        },
    }
    # deploy/k8s/base/externalsecret.yaml: data[0..1] read the database secret, data[2] the session key
    remote_keys = [
        {"op": "replace", "path": f"/spec/data/{index}/remoteRef/key", "value": platform[output]}
        for index, output in enumerate(("database_secret_arn", "database_secret_arn", "session_secret_arn"))
    ]
    return {
        "images": [f"{IMAGE_NAME}={repository_url}"],
        "patches": [
            annotate("ServiceAccount", "v1", "eks.amazonaws.com/role-arn", platform["service_role_arn"]),
            annotate("Ingress", "networking.k8s.io/v1", "alb.ingress.kubernetes.io/certificate-arn", certificate_arn),
            {
                "target": {"kind": "ConfigMap", "name": f"{IMAGE_NAME}-config"},
                "patch": yaml.safe_dump(settings, sort_keys=False),
            },
            {
                "target": {"kind": "ExternalSecret", "name": EXTERNAL_SECRET},
                "patch": yaml.safe_dump(remote_keys, sort_keys=False),
            },
        ],
    }


def bootstrap_manifests(
    environment: str,
    *,
    platform_outputs: Mapping[str, Any],
    registry_outputs: Mapping[str, Any],
    environ: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The Argo CD objects of ``deploy/argocd/<env>`` with this account's values filled in."""
    inputs = read_inputs(environment, environ)
    repo_url = f"https://github.com/{inputs.github_repo}.git"
    overrides = kustomize_overrides(
        repository_url=output(registry_outputs, "repository_url", _REPOSITORY_URL, "platform-v2-registry"),
        platform={
            name: output(platform_outputs, name, pattern, f"platform-v2-{environment}")
            for name, pattern in PLATFORM_OUTPUTS.items()
        },
        certificate_arn=inputs.acm_certificate_arn,
    )
    docs: list[dict[str, Any]] = []
    for path in (DEPLOY / "argocd" / name.format(env=environment) for name in BOOTSTRAP_FILES):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            doc["metadata"]["namespace"] = "argocd"
            if doc["kind"] == "AppProject":
                doc["spec"]["sourceRepos"] = [repo_url]
            if doc["kind"] == "Application":
                doc["spec"]["source"]["repoURL"] = repo_url
                doc["spec"]["source"]["kustomize"] = overrides
            docs.append(doc)
    return docs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infraforge.gitops_site", description=__doc__.split("\n")[0])
    parser.add_argument("environment", choices=tuple(PROFILES))
    parser.add_argument(
        "--platform-outputs", type=Path, required=True, help="terraform output -json of platform-v2-<env>"
    )
    parser.add_argument(
        "--registry-outputs", type=Path, required=True, help="terraform output -json of platform-v2-registry"
    )
    args = parser.parse_args(argv)
    try:
        outputs = [
            json.loads(path.read_text(encoding="utf-8")) for path in (args.platform_outputs, args.registry_outputs)
        ]
        docs = bootstrap_manifests(
            args.environment, platform_outputs=outputs[0], registry_outputs=outputs[1], environ=os.environ
        )
    except (OSError, ValueError) as exc:  # InputError, SiteError and JSONDecodeError are ValueErrors
        print(f"gitops_site: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(yaml.safe_dump_all(docs, sort_keys=False))
    return 0


__all__ = [
    "BOOTSTRAP_COMMAND",
    "BOOTSTRAP_FILES",
    "PLATFORM_OUTPUTS",
    "InputError",
    "SiteError",
    "bootstrap_manifests",
    "kustomize_overrides",
    "main",
]

if __name__ == "__main__":
    raise SystemExit(main())
