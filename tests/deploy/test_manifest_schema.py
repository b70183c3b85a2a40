"""Every manifest validates offline: Kubernetes kinds against the API schema
(kubernetes-validate, strict), custom resources (Prometheus operator, Argo CD,
External Secrets: tests/deploy/test_external_secrets.py) structurally, since no
offline schema for them ships in a registry package."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from infraforge.platform.config import PLATFORM_DEV, PLATFORM_PROD

from tests.deploy.deploy_checks import DEPLOY, METRICS, Rendered

# The EKS version the platform stack pins (cdktf/infraforge/platform/config.py).
KUBERNETES_VERSION = PLATFORM_PROD.cluster.kubernetes_version
CUSTOM_GROUPS = ("monitoring.coreos.com/", "argoproj.io/", "external-secrets.io/")
_METRIC_NAME = re.compile(r"\bcovaex_[a-z_]+\b")


def builtin(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objects if not o["apiVersion"].startswith(CUSTOM_GROUPS)]


def test_both_clusters_run_the_version_validated_against() -> None:
    assert PLATFORM_DEV.cluster.kubernetes_version == KUBERNETES_VERSION


def test_kubernetes_kinds_validate_strictly(rendered: dict[str, Rendered], argocd: dict[str, Rendered]) -> None:
    checked = 0
    for r in [*rendered.values(), *argocd.values()]:
        for obj in builtin(r.objects):
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
            checked += 1
    assert checked == 2 * 9 + 2 * 1  # per overlay: 9 built-in kinds; per Argo CD bootstrap: argocd-rbac-cm


def test_validator_rejects_a_wrong_field(rendered: dict[str, Rendered]) -> None:
    """Negative control: the schema is really applied (strict rejects unknown fields)."""
    deployment = copy.deepcopy(rendered["prod"].one("Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/readyz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    deployment = copy.deepcopy(rendered["prod"].one("Deployment"))
    deployment["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=False)


def test_custom_resources_have_no_kubernetes_schema(rendered: dict[str, Rendered]) -> None:
    """Why they are checked structurally below: the validator has no schema for them."""
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        kubernetes_validate.validate(rendered["prod"].one("ServiceMonitor"), KUBERNETES_VERSION, strict=True)


def test_servicemonitor_scrapes_the_service(rendered: dict[str, Rendered]) -> None:
    for r in rendered.values():
        monitor = r.one("ServiceMonitor")
        service = r.one("Service")
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        assert monitor["metadata"]["namespace"] == service["metadata"]["namespace"]
        wanted = monitor["spec"]["selector"]["matchLabels"]
        assert wanted.items() <= service["metadata"]["labels"].items()
        ports = {p["name"] for p in service["spec"]["ports"]}
        endpoints = monitor["spec"]["endpoints"]
        assert [(e["port"], e["path"]) for e in endpoints] == [("http", "/metrics")]
        assert endpoints[0]["port"] in ports
        assert set(monitor["spec"]) <= {"selector", "endpoints", "namespaceSelector", "jobLabel"}


def runbook_anchors() -> set[str]:
    text = (DEPLOY / "runbooks.md").read_text(encoding="utf-8")
    return {line[3:].strip().lower() for line in text.splitlines() if line.startswith("## ")}


def test_every_alert_is_well_formed_and_links_its_runbook(rendered: dict[str, Rendered]) -> None:
    anchors = runbook_anchors()
    rule = rendered["prod"].one("PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    alerts: list[dict[str, Any]] = [r for g in rule["spec"]["groups"] for r in g["rules"]]
    assert len(alerts) >= 8
    names = [a["alert"] for a in alerts]
    assert len(names) == len(set(names))
    for group in rule["spec"]["groups"]:
        assert set(group) == {"name", "rules"}
    for alert in alerts:
        assert set(alert) <= {"alert", "expr", "for", "labels", "annotations"}, alert["alert"]
        assert re.fullmatch(r"\d+[smh]", alert.get("for", "0s")), alert["alert"]
        assert alert["labels"]["severity"] in {"critical", "warning", "info"}
        assert alert["expr"].count("(") == alert["expr"].count(")"), alert["alert"]
        url = alert["annotations"]["runbook_url"]
        page, _, anchor = url.partition("#")
        assert page.endswith("/deploy/runbooks.md"), url
        assert anchor == alert["alert"].lower() and anchor in anchors, f"{alert['alert']}: no section for #{anchor}"
        assert alert["annotations"]["summary"]
        for metric in _METRIC_NAME.findall(alert["expr"]):
            assert metric.removesuffix("_bucket") in METRICS, f"{alert['alert']} uses unknown metric {metric}"
    used = {m.removesuffix("_bucket") for a in alerts for m in _METRIC_NAME.findall(a["expr"])}
    assert used >= METRICS - {"covaex_ws_clients", "covaex_ws_frames_sent_total"}


def test_runbooks_have_a_section_per_alert_and_no_orphans(rendered: dict[str, Rendered]) -> None:
    rule = rendered["dev"].one("PrometheusRule")
    alerts = {r["alert"].lower() for g in rule["spec"]["groups"] for r in g["rules"]}
    assert runbook_anchors() == alerts


def test_deploy_yaml_has_no_duplicate_keys() -> None:
    """PyYAML keeps the last of two equal keys silently; a duplicate is almost always a mistake."""
    import yaml

    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader: Strict, node: yaml.MappingNode) -> dict[Any, Any]:
        keys = [loader.construct_object(k) for k, _ in node.value]
        duplicates = {k for k in keys if keys.count(k) > 1}
        assert not duplicates, f"duplicate keys {duplicates} at {node.start_mark}"
        return loader.construct_mapping(node)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    files = sorted(Path(DEPLOY).rglob("*.yaml"))
    assert len(files) > 20
    for path in files:
        list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=Strict))
