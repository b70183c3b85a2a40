"""The Grafana dashboard: valid JSON, every service metric on it, shipped by its ConfigMap."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.deploy.deploy_checks import DEPLOY, METRICS, Rendered

DASHBOARD = DEPLOY / "k8s" / "base" / "dashboards" / "covaex.json"
REQUIRED = {m + "_bucket" if m.endswith("_seconds") else m for m in METRICS}


def exprs(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in dashboard["panels"] for t in p["targets"]]


def test_dashboard_shows_every_service_metric() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    used = {m for e in exprs(dashboard) for m in re.findall(r"\bcovaex_[a-z_]+\b", e)}
    assert used == REQUIRED
    assert any("histogram_quantile(0.99" in e for e in exprs(dashboard)), "latency percentiles from the histogram"
    for expr in exprs(dashboard):
        assert 'namespace="$namespace"' in expr, expr
        assert expr.count("(") == expr.count(")"), expr


def test_dashboard_layout_is_consistent() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] == "covaex-service"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert variables == {"datasource", "namespace"}
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}"
        assert [t["refId"] for t in panel["targets"]] == [chr(65 + i) for i in range(len(panel["targets"]))]


def test_dashboard_configmap_carries_the_file_for_grafanas_sidecar(rendered: dict[str, Rendered]) -> None:
    for r in rendered.values():
        cm = r.one("ConfigMap", "covaex-grafana-dashboard")
        assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert json.loads(cm["data"]["covaex.json"]) == json.loads(DASHBOARD.read_text(encoding="utf-8"))
