"""EPIC 3 pages from the Platform v2 stacks: EKS node groups, IRSA roles, Helm add-ons, ECR."""

from __future__ import annotations

import json
from typing import Any

import yaml

from covaex.docsite.facts.security import Role, iam_roles
from covaex.docsite.facts.stackfacts import per_stack, readable, settings
from covaex.docsite.inputs import Inputs
from covaex.docsite.sections import PendingInput
from covaex.topology.tfjson import TerraformDoc, as_int, block

CLUSTER_KEYS = ("version", "enabled_cluster_log_types", "deletion_protection", "bootstrap_self_managed_addons")
NODEGROUP_KEYS = ("instance_types", "capacity_type", "ami_type", "disk_size", "labels", "taints")


def eks(inputs: Inputs) -> dict[str, dict[str, Any]]:
    """Per stack: the cluster settings and each node group's size and instance types."""

    def one(doc: TerraformDoc) -> dict[str, Any]:
        clusters = []
        for c in doc.resources("aws_eks_cluster"):
            vpc = block(c.get("vpc_config"))
            access = block(c.get("access_config"))
            clusters.append(
                {
                    "address": c.address,
                    "settings": settings(c, CLUSTER_KEYS),
                    "endpoint": f"private {readable(vpc.get('endpoint_private_access', False))}, "
                    f"public {readable(vpc.get('endpoint_public_access', True))} "
                    f"({readable(vpc.get('public_access_cidrs', []))})",
                    "auth_mode": readable(access.get("authentication_mode", "-")),
                    "creator_admin": bool(access.get("bootstrap_cluster_creator_admin_permissions")),
                    "log_retention": next(
                        (
                            g.get("retention_in_days")
                            for g in doc.resources("aws_cloudwatch_log_group")
                            if g.get("name") == f"/aws/eks/{c.get('name')}/cluster"
                        ),
                        None,
                    ),
                }
            )
        # access entries: who besides the creator reaches the API, and with which access policy
        policies = {
            str(a.get("principal_arn")): f"{str(a.get('policy_arn')).rsplit('/', 1)[-1]} "
            f"({block(a.get('access_scope')).get('type', '-')})"
            for a in doc.resources("aws_eks_access_policy_association")
        }
        admins = [
            {
                "principal": str(e.get("principal_arn")).replace(
                    "${data.aws_caller_identity.current.account_id}", "<account>"
                ),
                "policy": policies.get("${aws_eks_access_entry." + e.address.split(".", 1)[1] + ".principal_arn}", "-"),
            }
            for e in doc.resources("aws_eks_access_entry")
        ]
        groups = []
        for g in doc.resources("aws_eks_node_group"):
            scaling = block(g.get("scaling_config"))
            low = as_int(scaling.get("min_size"), 0) or 0
            azs = len(doc.refs(g.get("subnet_ids"))) or 1
            groups.append(
                {
                    "address": g.address,
                    "min": scaling.get("min_size"),
                    "azs": azs,
                    # EC2 Auto Scaling balances a group's nodes over its AZs: an AZ holds at most ceil(min/azs).
                    "after_node_loss": max(low - 1, 0),
                    "after_az_loss": low - -(-low // azs) if azs > 1 else 0,
                    "desired": scaling.get("desired_size"),
                    "max": scaling.get("max_size"),
                    "settings": settings(g, NODEGROUP_KEYS),
                    "update_config": readable(block(g.get("update_config"))) if g.get("update_config") else "-",
                    "launch_template": readable(block(g.get("launch_template"))) if g.get("launch_template") else "-",
                }
            )
        return {"clusters": clusters, "groups": groups, "admins": admins}

    return per_stack(inputs, ("aws_eks_cluster", "aws_eks_node_group"), one)


def irsa(inputs: Inputs) -> dict[str, list[dict[str, Any]]]:
    """Per stack: roles a Kubernetes service account assumes through the cluster's OIDC provider.

    A role counts only when its trust policy's ``:sub`` condition names a
    ``system:serviceaccount:<namespace>:<name>``; roles federated to another
    provider (GitHub Actions' ``repo:...`` subjects) are not service accounts.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for stack, found in iam_roles(inputs).items():
        for role in found:
            subjects = service_account_subjects(role)
            if subjects:
                out.setdefault(stack, []).append({"role": role, "subjects": subjects, "statements": role.statements})
    if not out:
        raise PendingInput("no synthesized role is assumed by a Kubernetes service account (IRSA) yet")
    return out


def service_account_subjects(role: Role) -> list[str]:
    """``system:serviceaccount:<ns>:<name>`` values the trust policy's ``:sub`` conditions allow."""
    return sorted(
        value
        for st in role.trust
        for cond in st.conditions
        if cond.key.endswith(":sub")
        for value in cond.values
        if value.startswith("system:serviceaccount:")
    )


def helm_releases(inputs: Inputs) -> dict[str, list[dict[str, Any]]]:
    """Per stack: each Helm release (chart, version, namespace) and the values it sets."""

    def one(doc: TerraformDoc) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for rel in doc.resources("helm_release"):
            values: dict[str, Any] = {}
            for chunk in rel.get("values") or []:
                if isinstance(chunk, str) and "${" not in chunk:
                    loaded = yaml.safe_load(chunk)
                    if isinstance(loaded, dict):
                        values.update(loaded)
            sets = [(str(s.get("name")), readable(s.get("value"))) for s in rel.get("set") or []]
            out.append(
                {
                    "address": rel.address,
                    "name": readable(rel.get("name")),
                    "chart": readable(rel.get("chart")),
                    "repository": readable(rel.get("repository", "-")),
                    "version": readable(rel.get("version", "-")),
                    "namespace": readable(rel.get("namespace", "default")),
                    "values_yaml": yaml.safe_dump(values, sort_keys=True, allow_unicode=True).strip() if values else "",
                    "values": values,
                    "sets": sorted(sets),
                }
            )
        return out

    return per_stack(inputs, ("helm_release",), one)


def ecr(inputs: Inputs) -> dict[str, list[dict[str, Any]]]:
    """Per stack: each repository's tag mutability, scanning, encryption and lifecycle rules."""

    def one(doc: TerraformDoc) -> list[dict[str, Any]]:
        lifecycle: dict[str, list[dict[str, Any]]] = {}
        for pol in doc.resources("aws_ecr_lifecycle_policy"):
            repo_ref = readable(pol.get("repository"))
            try:
                rules = json.loads(str(pol.get("policy"))).get("rules", [])
            except ValueError:
                rules = []
            lifecycle[repo_ref] = [
                {
                    "priority": r.get("rulePriority"),
                    "description": r.get("description", ""),
                    "selection": readable(r.get("selection", {})),
                }
                for r in rules
            ]
        out: list[dict[str, Any]] = []
        for repo in doc.resources("aws_ecr_repository"):
            rules = next((v for k, v in lifecycle.items() if repo.name in k or str(repo.get("name")) in k), [])
            out.append(
                {
                    "address": repo.address,
                    "name": readable(repo.get("name")),
                    "mutability": readable(repo.get("image_tag_mutability", "MUTABLE")),
                    "scan_on_push": readable(
                        block(repo.get("image_scanning_configuration")).get("scan_on_push", False)
                    ),
                    "encryption": readable(block(repo.get("encryption_configuration")) or "AES256 (default)"),
                    "lifecycle": rules,
                    "exclusions": readable(repo.get("image_tag_mutability_exclusion_filter"))
                    if repo.get("image_tag_mutability_exclusion_filter")
                    else "-",
                }
            )
        return out

    return per_stack(inputs, ("aws_ecr_repository",), one)


def argocd_access(inputs: Inputs) -> dict[str, dict[str, Any]]:
    """Per stack: how people reach Argo CD, from the argo-cd release's values (SSO only if Dex is enabled)."""
    out = {}
    for stack, releases in helm_releases(inputs).items():
        for rel in releases:
            if "argo-cd" not in rel["chart"]:
                continue
            values = rel["values"]
            dex = bool((values.get("dex") or {}).get("enabled", True))  # the chart enables Dex by default
            service = str(((values.get("server") or {}).get("service") or {}).get("type", "ClusterIP"))
            ingress = bool(((values.get("server") or {}).get("ingress") or {}).get("enabled", False))
            out[stack] = {
                "release": rel["address"],
                "namespace": rel["namespace"],
                "dex": dex,
                "service": service,
                "ingress": ingress,
            }
    if not out:
        raise PendingInput("no synthesized stack installs the argo-cd chart yet")
    return out


def deadmans_switch(inputs: Inputs) -> dict[str, dict[str, Any]]:
    """Per stack: where Alertmanager sends Watchdog, the alarm that fires when it stops, and the scrapes left out.

    Read from kube-prometheus-stack's values (the Watchdog route, the ``enabled: false`` components) and the
    CloudWatch alarm on the Watchdog topic, so the page states what the stack deploys.
    """

    def one(doc: TerraformDoc) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for rel in doc.resources("helm_release"):
            if rel.get("name") == "kube-prometheus-stack":
                for chunk in rel.get("values") or []:
                    values.update(yaml.safe_load(str(chunk)) or {})
        route = block(block(block(values.get("alertmanager")).get("config")).get("route"))
        watchdog: dict[str, Any] = next(
            (r for r in route.get("routes") or [] if 'alertname = "Watchdog"' in r.get("matchers", [])), {}
        )
        alarms = [
            a
            for a in doc.resources("aws_cloudwatch_metric_alarm")
            if block(a.get("dimensions")).get("TopicName") and a.get("treat_missing_data") == "breaching"
        ]
        hidden = sorted(k for k, v in values.items() if isinstance(v, dict) and v == {"enabled": False})
        return {
            "default_receiver": route.get("receiver", "-"),
            "watchdog_receiver": watchdog.get("receiver", "-"),
            "repeat": watchdog.get("repeat_interval", "-"),
            "hidden": hidden,
            "alarms": [
                {
                    "address": a.address,
                    "topic": readable(block(a.get("dimensions")).get("TopicName")),
                    "metric": f"{a.get('namespace')} {a.get('metric_name')}",
                    "fires_after_s": (as_int(a.get("period"), 0) or 0) * (as_int(a.get("evaluation_periods"), 0) or 0),
                    "actions": readable(a.get("alarm_actions")),
                }
                for a in alarms
            ],
        }

    return per_stack(inputs, ("helm_release",), one)
