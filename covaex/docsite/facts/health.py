"""The health rule v1 and v2 share, from its one source (``covaex_service.market.health``), and who applies it.

Every routing check of an environment is read from what would be deployed: v1's
target group and Auto Scaling group (the synthesized stack), v2's probes and the
Ingress's ALB health check (the rendered overlay). Each must check
``LIVENESS_PATH``; one that checks ``READINESS_PATH`` would take every instance
or pod out at once when a shared dependency is down, and fails the build in one
line naming it.
"""

from __future__ import annotations

from typing import Any

from covaex_service.market.health import DEPENDENCIES, LIVENESS_PATH, READINESS_PATH

from covaex.analysis.errors import FactError
from covaex.docsite.facts.gitops import rendered_overlays
from covaex.docsite.inputs import Inputs
from covaex.docsite.sections import PendingInput
from covaex.topology.tfjson import block

INGRESS_HEALTH_ANNOTATION = "alb.ingress.kubernetes.io/healthcheck-path"


def health_rule(inputs: Inputs) -> dict[str, Any]:
    """The shared dependencies with what each routing check does during their outage, per environment."""
    checks: list[dict[str, str]] = []
    for env in inputs.environments():
        name = f"tobe-v1-{env}"
        if name in inputs.stacks:
            doc = inputs.stack(name)
            for group in doc.resources("aws_lb_target_group"):
                path = str(block(group.get("health_check")).get("path") or "/")
                checks.append(_check(env, "v1", "ALB 대상 그룹 헬스 체크", group.address, path))
            for asg in doc.resources("aws_autoscaling_group"):
                if str(asg.get("health_check_type")) != "ELB":
                    raise FactError(f"{name}: {asg.address} must replace what the ALB's check fails (ELB)")
        overlay = rendered_overlays(inputs).get(env) if f"platform-v2-{env}" in inputs.stacks else None
        if overlay is not None:
            for kind, path in overlay["probes"].items():
                if path:
                    checks.append(_check(env, "v2", f"파드 {kind}", f"deploy/k8s/overlays/{env}: {kind}", path))
            ingress = dict(overlay["ingress"])
            checks.append(
                _check(
                    env,
                    "v2",
                    "인그레스 ALB 헬스 체크",
                    f"deploy/k8s/overlays/{env}: Ingress ({INGRESS_HEALTH_ANNOTATION})",
                    str(ingress.get(INGRESS_HEALTH_ANNOTATION, "/")),
                )
            )
    if not checks:
        raise PendingInput("no To-Be v1 or Platform v2 stack is synthesized yet")
    return {
        "liveness": LIVENESS_PATH,
        "readiness": READINESS_PATH,
        "dependencies": [{"name": d.name, "check": d.check, "while_down": d.while_down} for d in DEPENDENCIES],
        "checks": checks,
    }


def _check(env: str, family: str, kind: str, what: str, path: str) -> dict[str, str]:
    if path == READINESS_PATH:
        shared = ", ".join(d.name for d in DEPENDENCIES if d.check)
        raise FactError(
            f"{env}: {what} checks {READINESS_PATH}: an outage of a shared dependency ({shared}) would take every "
            f"instance or pod out at once; route on {LIVENESS_PATH} (covaex_service.market.health)"
        )
    if path != LIVENESS_PATH:
        raise FactError(f"{env}: {what} checks {path!r}, not the liveness path {LIVENESS_PATH}")
    return {"environment": env, "family": family, "kind": kind, "what": what, "path": path}
