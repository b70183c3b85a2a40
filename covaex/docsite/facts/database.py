"""EPIC 2 data tier pages: the RDS backup policy and who may reach the database."""

from __future__ import annotations

from typing import Any

from covaex.analysis.connections import USABLE_SHARE, Budget, Fleet, connection_budget, v1_fleet
from covaex.docsite.facts.gitops import rendered_overlays
from covaex.docsite.facts.hybrid import utc_kst
from covaex.docsite.facts.stackfacts import per_stack, readable, refs, settings
from covaex.docsite.inputs import Inputs, environment_label
from covaex.docsite.sections import PendingInput
from covaex.docsite.topology import environment_topology
from covaex.topology.tfjson import TerraformDoc

BACKUP_KEYS = (
    "backup_retention_period",
    "backup_window",
    "maintenance_window",
    "copy_tags_to_snapshot",
    "delete_automated_backups",
    "deletion_protection",
    "skip_final_snapshot",
    "final_snapshot_identifier",
)
INSTANCE_KEYS = (
    "engine",
    "engine_version",
    "instance_class",
    "multi_az",
    "allocated_storage",
    "max_allocated_storage",
    "storage_type",
    "storage_encrypted",
    "publicly_accessible",
    "iam_database_authentication_enabled",
    "performance_insights_enabled",
    "auto_minor_version_upgrade",
    "apply_immediately",
)


def rds(inputs: Inputs) -> dict[str, list[dict[str, Any]]]:
    """Per stack: each DB instance's backup and instance settings."""
    return per_stack(inputs, ("aws_db_instance",), _rds)


def _rds(doc: TerraformDoc) -> list[dict[str, Any]]:
    return [
        {
            "address": db.address,
            "backup": settings(db, BACKUP_KEYS),
            "windows": [(k, utc_kst(str(db.get(k)))) for k in ("backup_window", "maintenance_window") if db.get(k)],
            "instance": settings(db, INSTANCE_KEYS),
            "retention_days": db.get("backup_retention_period"),
            "multi_az": db.flag("multi_az"),
            "security_groups": refs(doc, db.get("vpc_security_group_ids")),
            "subnet_group": refs(doc, db.get("db_subnet_group_name")),
            "port": readable(db.get("port")) if db.get("port") else _default_port(str(db.get("engine", ""))),
        }
        for db in doc.resources("aws_db_instance")
    ]


def _default_port(engine: str) -> str:
    return {"postgres": "5432", "mysql": "3306", "mariadb": "3306"}.get(engine, "-")


def db_access(inputs: Inputs) -> dict[str, list[dict[str, Any]]]:
    """Per environment (the union of its stacks): the SG rules that let traffic into the data tier's groups.

    Per environment because Platform v2 opens the v1 database and cache
    groups to the EKS cluster group; a per-stack view would hide that.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for env in inputs.environments():
        doc = inputs.environment(env)
        topo = environment_topology(inputs, env)
        found = []
        for store in [*_rds(doc), *_caches(doc)]:
            rules = [r for r in topo.sg_rules if r.destination in store["security_groups"]]
            found.append({**store, "db": store["address"], "rules": rules})
        if found:
            out[environment_label(env)] = found
    if not out:
        raise PendingInput("no synthesized stack declares a database or cache yet")
    return out


def _caches(doc: TerraformDoc) -> list[dict[str, Any]]:
    return [
        {
            "address": c.address,
            "security_groups": refs(doc, c.get("security_group_ids")),
            "port": readable(c.get("port")) if c.get("port") else "6379",
        }
        for c in doc.resources("aws_elasticache_replication_group")
    ]


def connection_budgets(inputs: Inputs) -> dict[str, Any]:
    """Per environment: the v1 instances' and the pods' pools at their largest against the database's limit.

    A budget over the limit raises FactError (``covaex.analysis.connections``): the build fails in one line.
    """
    from covaex_service.accounts.storage.postgres import POOL_MAX_SIZE

    overlays = rendered_overlays(inputs)
    budgets: list[Budget] = []
    for env in inputs.environments():
        name = f"tobe-v1-{env}"
        if name not in inputs.stacks:
            continue
        fleets = [v1_fleet(inputs.stack(name), POOL_MAX_SIZE)]
        if f"platform-v2-{env}" in inputs.stacks:
            fleets.append(_pod_fleet(env, overlays.get(env), POOL_MAX_SIZE))
        budgets.append(connection_budget(env, inputs.stack(name), tuple(fleets)))
    if not budgets:
        raise PendingInput("no To-Be v1 stack is synthesized yet")
    return {"budgets": budgets, "usable_share": USABLE_SHARE, "pool": POOL_MAX_SIZE}


def _pod_fleet(env: str, overlay: dict[str, Any] | None, pool: int) -> Fleet:
    """The pods of ``deploy/k8s/overlays/<env>`` at the autoscaler's maximum plus the rollout's surge."""
    from dataclasses import fields

    from covaex_service.settings import Settings

    from covaex.analysis.errors import FactError

    if overlay is None:
        raise FactError(f"{env}: Platform v2 is synthesized but deploy/k8s/overlays/{env} is missing")
    max_pods = overlay["hpa"].get("max")
    surge = overlay["strategy"].get("maxSurge", 0)
    if not isinstance(max_pods, int) or not isinstance(surge, int):
        raise FactError(f"{env}: cannot count pods: maxReplicas {max_pods!r}, maxSurge {surge!r} (need numbers)")
    args: list[str] = overlay["args"]
    default = next(f.default for f in fields(Settings) if f.name == "workers")
    workers = int(args[args.index("--workers") + 1]) if "--workers" in args else int(str(default))
    return Fleet(
        "Platform v2 pods",
        f"deploy/k8s/overlays/{env} (maxReplicas {max_pods} + maxSurge {surge})",
        max_pods + surge,
        workers,
        pool,
    )
