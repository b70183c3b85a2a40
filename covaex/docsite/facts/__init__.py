"""Page data computed from the stacks, the service code and the deploy/CI files.

Each concern is one module with pure functions of ``Inputs``; ``collect_sections``
names them. A page template reads ``s.<section>``; a section that cannot be
computed yet is ``Pending`` and the page shows why.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from covaex.docsite.inputs import Inputs
from covaex.docsite.sections import Sections

SectionFn = Callable[[Inputs], Any]


def _registry() -> dict[str, SectionFn]:
    from covaex.docsite.facts import (
        compute,
        cost,
        database,
        gitops,
        narrative,
        network,
        observability,
        performance,
        platform,
        security,
        service,
        site_nav,
        state,
    )

    return {
        "costs": cost.costs,
        "tradeoffs": cost.tradeoffs,
        "eks": platform.eks,
        "irsa": platform.irsa,
        "helm": platform.helm_releases,
        "ecr": platform.ecr,
        "overlays": gitops.overlays,
        "manifests": gitops.base_manifests,
        "argocd": gitops.argocd,
        "workflows": gitops.workflows,
        "image_flow": gitops.image_flow,
        "dashboard": gitops.dashboard,
        "cache_contract": service.cache_contract,
        "ws_protocol": service.ws_protocol,
        "feed": service.feed,
        "ssr": service.ssr,
        "guest": service.guest,
        "ui": service.ui,
        "alb": compute.alb,
        "asg": compute.asg,
        "rds": database.rds,
        "db_access": database.db_access,
        "sg_matrix": security.sg_matrix,
        "iam_roles": security.iam_roles,
        "log_groups": observability.log_groups,
        "alarms": observability.alarms,
        "runbooks": observability.runbooks,
        "state_backend": state.state_backend,
        "repo_layout": state.repo_layout,
        "cidr_plan": network.cidr_plan,
        "route_tables": network.route_tables,
        "nav": lambda _inputs: site_nav.epics(site_nav.load_nav()),
        "symptoms": narrative.symptoms,
        "risks": narrative.risks,
        "metrics": narrative.metrics,
        "performance": performance.performance,
    }


def collect_sections(inputs: Inputs, sections: Sections) -> None:
    for name, fn in sorted(_registry().items()):
        sections.add(name, partial(fn, inputs))
