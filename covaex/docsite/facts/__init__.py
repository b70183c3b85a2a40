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
    from covaex.diff.example import example as diff_example
    from covaex.docsite.facts import (
        capacity,
        compute,
        contract,
        cost,
        database,
        drill,
        evidence,
        gitops,
        header_search,
        health,
        hybrid,
        local_storage,
        narrative,
        network,
        observability,
        panel_evidence,
        performance,
        platform,
        release_tags,
        resilience,
        resilience_cost,
        results,
        security,
        service,
        site_nav,
        ssr_evidence,
        state,
    )

    return {
        "costs": cost.costs,
        "contract": contract.contract,
        "tradeoffs": cost.tradeoffs,
        "eks": platform.eks,
        "irsa": platform.irsa,
        "helm": platform.helm_releases,
        "deadmans_switch": platform.deadmans_switch,
        "argocd_access": platform.argocd_access,
        "ecr": platform.ecr,
        "overlays": gitops.overlays,
        "rendered_overlays": gitops.rendered_overlays,
        "manifests": gitops.base_manifests,
        "argocd": gitops.argocd,
        "workflows": gitops.workflows,
        "image_flow": gitops.image_flow,
        "image_build": gitops.image_build,
        "dashboard": gitops.dashboard,
        "ingress_test": gitops.ingress_test,
        "release_tags": release_tags.release_tags,
        "ssr_evidence": ssr_evidence.ssr_evidence,
        "guest_storage": local_storage.guest_storage,
        "namespace_capacity": capacity.namespace_capacity,
        "header_search": header_search.header_search,
        "panel_contract": panel_evidence.panel_contract,
        "alert_runbooks": gitops.alert_runbooks,
        "cache_contract": service.cache_contract,
        "cache_candle_keys": service.cache_candle_keys,
        "ws_protocol": service.ws_protocol,
        "feed": service.feed,
        "ssr": service.ssr,
        "guest": service.guest,
        "ui": service.ui,
        "evidence": evidence.evidence,
        "keyword_rule": service.keyword_rule,
        "threats": service.threats,
        "alb": compute.alb,
        "alb_entry": compute.alb_entry,
        "asg": compute.asg,
        "rds": database.rds,
        "db_access": database.db_access,
        "db_connections": database.connection_budgets,
        "health_rule": health.health_rule,
        "sg_matrix": security.sg_matrix,
        "iam_roles": security.iam_roles,
        "resource_policies": security.resource_policy_pages,
        "log_groups": observability.log_groups,
        "access_logs": observability.access_logs,
        "alarms": observability.alarms,
        "runbooks": observability.runbooks,
        "state_backend": state.state_backend,
        "repo_layout": state.repo_layout,
        "cidr_plan": network.cidr_plan,
        "vpc_ranges": network.vpc_ranges,
        "vpn": hybrid.vpn,
        "resilience": resilience.resilience,
        "results": results.results,
        "resilience_cost": resilience_cost.resilience_cost,
        "drill_measured": drill.drill_measured,
        "elasticache": hybrid.elasticache,
        "stack_interface": hybrid.stack_interface,
        "route_tables": network.route_tables,
        "egress": network.egress,
        "nav": lambda _inputs: site_nav.epics(site_nav.load_nav()),
        "symptoms": narrative.symptoms,
        "risks": narrative.risks,
        "risk_levels": narrative.risk_levels,
        "metrics": narrative.metrics,
        "incident": narrative.incident,
        "diff_example": diff_example,
        "rollback_minutes": narrative.rollback_minutes,
        "performance": performance.performance,
    }


def collect_sections(inputs: Inputs, sections: Sections) -> None:
    for name, fn in sorted(_registry().items()):
        sections.add(name, partial(fn, inputs))
