"""Every alert and dashboard query parses as PromQL, with Prometheus' own grammar."""

from __future__ import annotations

import json
import subprocess

from tests.deploy.deploy_checks import REPO_ROOT, Rendered

CHECKER = REPO_ROOT / "tools" / "lint" / "promql-check.mjs"
DASHBOARD = REPO_ROOT / "deploy" / "k8s" / "base" / "dashboards" / "covaex.json"
# Grafana fills these in before Prometheus sees the query.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$namespace": "covaex-prod"}
CONTROL = {"name": "control: unbalanced", "expr": "sum(rate(covaex_ticks_ingested_total[5m])"}


def test_alert_and_dashboard_queries_parse(rendered: dict[str, Rendered]) -> None:
    rule = rendered["prod"].one("PrometheusRule")
    items = [{"name": f"alert {r['alert']}", "expr": r["expr"]} for g in rule["spec"]["groups"] for r in g["rules"]]
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            items.append({"name": f"panel {panel['title']} {target['refId']}", "expr": expr})
    assert len(items) > 20
    # Negative control in the same run: the one broken query must be the only one reported.
    result = subprocess.run(
        ["node", str(CHECKER)],
        input=json.dumps([*items, CONTROL]),
        capture_output=True,
        text=True,
        cwd=CHECKER.parent,
        timeout=120,
        check=False,
    )
    reported = [line for line in result.stdout.splitlines() if ": syntax error at" in line]
    assert result.returncode == 1, result.stdout + result.stderr
    assert [line.split(":")[0] for line in reported] == ["control"], result.stdout
    assert f"{len(items) + 1} expression(s), 1 with syntax errors" in result.stdout
