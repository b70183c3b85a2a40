"""Thin pages filled with evidence: the Ingress tested on its rendered manifests, the dashboard drawn from its JSON
and checked against the service's /metrics, the release workflow's tag policy run case by case."""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest

from covaex.docsite.facts import gitops, release_tags
from covaex.docsite.inputs import Inputs
from covaex.docsite.sections import FactError
from covaex.topology.tfjson import block

RULES = [
    {"host": "h", "path": "/metrics", "type": "Prefix", "service": "internal-only", "port": "use-annotation"},
    {"host": "h", "path": "/readyz", "type": "Exact", "service": "internal-only", "port": "use-annotation"},
    {"host": "h", "path": "/", "type": "Prefix", "service": "covaex", "port": "http"},
]


def test_paths_match_as_kubernetes_matches_them() -> None:
    def to(path: str) -> str:
        rule = gitops.route_request(RULES, path)
        assert rule is not None
        return rule["service"]

    assert to("/metrics") == to("/metrics/") == to("/metrics/x") == "internal-only"
    # Prefix matches whole path elements, Exact the whole path
    assert to("/metricsx") == to("/readyz/x") == to("/") == "covaex"
    assert to("/readyz") == "internal-only"
    # the controller keeps the listed order: a catch-all listed first takes everything
    assert gitops.route_request([RULES[2], *RULES[:2]], "/metrics") == RULES[2]


def test_the_ingress_sends_every_public_path_to_the_app_and_closes_the_operator_ones(real_inputs: Inputs) -> None:
    found = gitops.ingress_test(real_inputs)
    overlays = gitops.rendered_overlays(real_inputs)
    assert set(found) == set(overlays) == {"dev", "prod"}
    for env, result in found.items():
        rows = {r["path"]: r for r in result["rows"]}
        port = overlays[env]["container_ports"]["http"]
        assert rows["/healthz"]["port"] == rows["/ws/v1/market"]["port"] == rows["/api/v1/markets"]["port"] == port
        assert rows["/metrics"]["to"] == rows["/readyz"]["to"] == "ALB 404"
        assert all(c["ok"] for c in result["checks"]), result["checks"]


def test_an_ingress_idle_timeout_below_the_keepalive_fails_its_check(real_inputs: Inputs) -> None:
    overlays = copy.deepcopy(gitops.rendered_overlays(real_inputs))
    key = "alb.ingress.kubernetes.io/load-balancer-attributes"
    overlays["dev"]["ingress"][key] = "idle_timeout.timeout_seconds=10"
    mutated = Inputs(stacks=real_inputs.stacks, data=real_inputs.data)
    mutated.memo["rendered_overlays"] = overlays
    [idle] = [c for c in gitops.ingress_test(mutated)["dev"]["checks"] if "WebSocket" in c["what"]]
    assert not idle["ok"] and "10 s" in idle["why"]


def test_an_ingress_port_that_reaches_no_container_fails_the_build(real_inputs: Inputs) -> None:
    overlays = copy.deepcopy(gitops.rendered_overlays(real_inputs))
    overlays["prod"]["service_ports"]["covaex"] = {"http": "nope"}
    mutated = Inputs(stacks=real_inputs.stacks, data=real_inputs.data)
    mutated.memo["rendered_overlays"] = overlays
    with pytest.raises(FactError, match=r"overlays/prod: Ingress path / -> Service covaex port http reaches no"):
        gitops.ingress_test(mutated)


def test_the_ingress_page_shows_the_result(rendered: Mapping[str, bytes]) -> None:
    page = rendered["epic3/ingress-test.md"].decode()
    assert "| `/metrics` | `Prefix /metrics` | ALB 404 | - |" in page
    assert "| `/healthz` | `Prefix /` | Service covaex:http | 8000 |" in page
    assert "❌" not in page


def test_the_dashboard_is_drawn_where_grafana_puts_each_panel(
    real_inputs: Inputs, rendered: Mapping[str, bytes]
) -> None:
    board = json.loads((gitops.DEPLOY / "k8s" / "base" / "dashboards" / "covaex.json").read_text(encoding="utf-8"))
    svg = rendered["epic4/dashboard-covaex.svg"].decode()
    for panel in board["panels"]:
        grid = panel["gridPos"]
        # 40 px a grid column, 30 px a row, under a 44 px title, 4 px gap
        box = f'<rect x="{grid["x"] * 40 + 4}" y="{44 + grid["y"] * 30 + 4}" width="{grid["w"] * 40 - 8}"'
        assert box in svg, panel["title"]
        assert f">{panel['title']}</text>" in svg.replace("&amp;", "&")
    page = rendered["epic4/dashboards.md"].decode()
    assert "![CovaEX service: 패널 배치](dashboard-covaex.svg)" in page
    assert f"패널 {len(board['panels'])}개" in page


def test_a_panel_on_a_series_the_service_does_not_expose_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy = tmp_path / "deploy"
    shutil.copytree(gitops.DEPLOY / "k8s" / "base", deploy / "k8s" / "base")
    path = deploy / "k8s" / "base" / "dashboards" / "covaex.json"
    board = json.loads(path.read_text(encoding="utf-8"))
    board["panels"][0]["targets"][0]["expr"] = "sum(covaex_ws_clientz)"
    path.write_text(json.dumps(board), encoding="utf-8")
    monkeypatch.setattr(gitops, "DEPLOY", deploy)
    monkeypatch.setattr(gitops, "REPO_ROOT", tmp_path)
    with pytest.raises(FactError, match=r"queries covaex_ws_clientz, which the service's /metrics does not expose"):
        gitops.dashboard(Inputs(stacks={}, data={}))
    # the real dashboard queries only what the service exposes, and the page lists what no panel shows
    monkeypatch.undo()
    found = gitops.dashboard(Inputs(stacks={}, data={}))
    assert set(found["queried"]) <= set(found["exported"])
    assert "covaex_ws_rate_limit_closes_total" in found["unshown"]


def test_the_tag_policy_is_run_and_refuses_what_it_should() -> None:
    cases = {c["case"]: c for c in release_tags.release_tags(Inputs(stacks={}, data={}))["cases"]}
    main = cases["main에 push"]
    assert main["status"] == 0 and main["outputs"]["deploy_tag"] == "sha-<git sha>"
    assert main["outputs"]["environment"] == "dev"
    tagged = cases["main의 커밋에 릴리스 태그"]
    assert tagged["outputs"]["release_tag"] == tagged["outputs"]["deploy_tag"] == "v1.4.0"
    assert tagged["outputs"]["environment"] == "prod"
    assert cases["부 버전까지만 있는 태그"]["status"] != 0
    assert cases["앞에 0이 붙은 태그"]["status"] != 0
    off = cases["main에 없는 커밋에 릴리스 태그"]
    assert off["status"] != 0 and "is not on main" in off["error"]


def test_a_looser_tag_rule_in_the_workflow_shows_on_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the page runs the workflow's own script: loosen its pattern and the two-part tag goes through
    workflow = tmp_path / "release.yml"
    text = release_tags.RELEASE.read_text(encoding="utf-8")
    looser = re.sub(r"\\\.\(0\|\[1-9\]\[0-9\]\*\)\$", r"(\\.(0|[1-9][0-9]*))?$", text, count=1)
    assert looser != text
    workflow.write_text(looser, encoding="utf-8")
    monkeypatch.setattr(release_tags, "RELEASE", workflow)
    monkeypatch.setattr(release_tags, "REPO_ROOT", tmp_path)
    cases = {c["case"]: c for c in release_tags.release_tags(Inputs(stacks={}, data={}))["cases"]}
    assert cases["부 버전까지만 있는 태그"]["status"] == 0
    assert cases["부 버전까지만 있는 태그"]["outputs"]["deploy_tag"] == "v1.4"


def test_the_tags_page_shows_each_case(rendered: Mapping[str, bytes]) -> None:
    page = rendered["epic5/docker-tags.md"].decode()
    assert "| main에 push | branch `main` | ✅ 진행 | `sha-<git sha>` | `sha-<git sha>` | `-` | dev | - |" in page
    assert "| main에 없는 커밋에 릴리스 태그 | tag `v1.5.0` | ❌ 거부 (exit 1) |" in page


def test_the_render_cache_renders_once_per_snapshot_version() -> None:
    from covaex.docsite.facts.ssr_evidence import REQUESTS, render_once

    phases = render_once()
    assert [p["renders"] for p in phases] == [1, 2, 3]
    assert [p["gzip"] for p in phases] == [1, 2, 3]
    assert all(p["requests"] == REQUESTS for p in phases)


def test_a_cache_that_renders_per_request_shows_on_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    from covaex_service.ui import render_cache

    from covaex.docsite.facts.ssr_evidence import REQUESTS, render_once

    def every_time(self: render_cache.RenderCache, key: str, version: object, render: object) -> object:
        self.renders += 1
        return render_cache.SharedPage(version, render().encode())  # type: ignore[operator]

    monkeypatch.setattr(render_cache.RenderCache, "get", every_time)
    assert render_once()[0]["renders"] == REQUESTS


def test_the_ssr_page_shows_the_run_and_the_benchmark(rendered: Mapping[str, bytes]) -> None:
    from covaex.docsite.facts.ssr_evidence import measured

    page = rendered["epic8/ssr-snapshot.md"].decode()
    assert "| 같은 스냅샷에 요청 | 1,000 | 1 | 1 |" in page
    bench = measured()
    assert bench is not None
    first = bench["rows"][0]
    assert f"| {first['clients']} | {first['rps']:,.0f} | {first['p99']} ms |" in page


def test_the_guest_store_survives_whatever_the_browser_holds() -> None:
    from covaex.docsite.facts.local_storage import guest_storage

    found = guest_storage(Inputs(stacks={}, data={}))
    cases = {c["case"]: c for c in found["cases"]}
    for name in ("저장된 것 없음", "다른 앱의 JSON", "다른 스키마 버전 (v 2)", "깨진 JSON"):
        assert cases[name]["read"] == [], name
    # duplicates and malformed items are dropped, the first of each symbol kept
    assert [i["symbol"] for i in cases["정상 (v1, 중복 포함)"]["read"]] == ["BTCUSDT", "ETHUSDT"]
    assert cases["별 추가 (정상 저장소)"]["answer"] == "ok"
    assert json.loads(cases["별 추가 (정상 저장소)"]["stored"])["items"][0]["symbol"] == "BTCUSDT"
    assert cases["별 추가 (저장소 꺼짐: 읽기·쓰기 예외)"]["answer"] == "unavailable"
    assert cases["별 추가 (용량 초과: 쓰기 예외)"]["answer"] == "unavailable"
    assert found["key"] == "covaex.watchlist"


def test_a_store_that_trusts_what_it_reads_shows_on_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from covaex.docsite.facts import local_storage

    js = tmp_path / "js"
    shutil.copytree(local_storage.STORE_JS.parent, js)
    store = js / "store.js"
    text = store.read_text(encoding="utf-8")
    # a reader without its guard: broken JSON and a disabled storage now throw out of the read
    trusting = text.replace("  } catch {\n    return null;\n  }", "  } finally {\n  }", 1)
    assert trusting != text
    store.write_text(trusting, encoding="utf-8")
    monkeypatch.setattr(local_storage, "STORE_JS", store)
    cases = {c["case"]: c for c in local_storage.guest_storage(Inputs(stacks={}, data={}))["cases"]}
    assert str(cases["깨진 JSON"]["read"]).startswith("threw")
    assert str(cases["별 추가 (저장소 꺼짐: 읽기·쓰기 예외)"]["read"]) == "threw SecurityError"


def test_kubernetes_quantities_are_read_as_kubernetes_writes_them() -> None:
    from covaex.docsite.facts.capacity import mebibytes, millicores

    assert (millicores("100m"), millicores("1"), millicores("0.5")) == (100, 1000, 500)
    assert (mebibytes("192Mi"), mebibytes("1Gi"), mebibytes("1024Ki")) == (192, 1024, 1)
    with pytest.raises(ValueError, match="not a CPU quantity: '1 core'"):
        millicores("1 core")


def test_the_pods_requests_are_weighed_against_the_node_group(real_inputs: Inputs) -> None:
    from covaex.docsite.facts.capacity import namespace_capacity

    found = namespace_capacity(real_inputs)
    prod = found["prod"]
    overlay = gitops.rendered_overlays(real_inputs)["prod"]
    assert prod["pods"] == {"min": overlay["hpa"]["min"], "max": overlay["hpa"]["max"]}
    assert prod["requests_at_max"]["cpu"] == overlay["hpa"]["max"] * 250  # 250m a pod, as the overlay renders it
    [group] = real_inputs.stack("platform-v2-prod").resources("aws_eks_node_group")
    low = int(block(group.get("scaling_config"))["min_size"])
    assert prod["nodes"]["vcpu_min"] == low * 2  # m6i.large: 2 vCPUs (moto's EC2 table)
    assert prod["share_at_max"]["cpu_min_nodes"] == round(100 * prod["requests_at_max"]["cpu"] / (1000 * low * 2), 1)
    # more pods at the HPA's maximum take a larger share of the same nodes
    overlays = copy.deepcopy(gitops.rendered_overlays(real_inputs))
    overlays["prod"]["hpa"]["max"] = overlay["hpa"]["max"] * 2
    mutated = Inputs(stacks=real_inputs.stacks, data=real_inputs.data)
    mutated.memo["rendered_overlays"] = overlays
    doubled = namespace_capacity(mutated)["prod"]["share_at_max"]["cpu_min_nodes"]
    assert doubled == pytest.approx(2 * prod["share_at_max"]["cpu_min_nodes"], abs=0.1)


def test_the_header_search_is_run_for_korean_queries(rendered: Mapping[str, bytes]) -> None:
    from covaex.docsite.facts.header_search import header_search

    found = {q["query"]: q for q in header_search(Inputs(stacks={}, data={}))["queries"]}
    assert [h["symbol"] for h in found["ㅂㅌ"]["hits"]][:1] == ["BTCUSDT"]
    assert found["KRW-ETH"]["needle"] == "eth" and found["KRW-ETH"]["hits"][0]["symbol"] == "ETHUSDT"
    assert found["BTC/USDT"]["needle"] == "btc"
    assert found["zzz"]["hits"] == []
    page = rendered["epic7/header.md"].decode()
    assert "| 업비트식 원화 쌍 | `KRW-ETH` | `eth` | `ETHUSDT` 이더리움 |" in page


def test_the_panel_contract_is_read_from_both_sides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from covaex.docsite.facts import panel_evidence

    found = panel_evidence.panel_contract(Inputs(stacks={}, data={}))
    assert [b["kind"] for b in found["buttons"]] == ["watchlist", "recent", "movers", "alerts"]
    assert found["panel"]["role"] == "dialog" and found["panel"]["aria-modal"] == "false"
    # a panel.js that no longer hands the focus back fails the build instead of the page claiming it
    js = tmp_path / "panels.js"
    js.write_text(panel_evidence.PANELS_JS.read_text(encoding="utf-8").replace("this.opener.focus();", ""))
    monkeypatch.setattr(panel_evidence, "PANELS_JS", js)
    monkeypatch.setattr(panel_evidence, "REPO_ROOT", tmp_path)
    with pytest.raises(FactError, match=r"panels.js: no `this.opener.focus\(\);` any more"):
        panel_evidence.panel_contract(Inputs(stacks={}, data={}))
    # a quick-bar button for a panel panels.js cannot draw fails too
    monkeypatch.undo()
    page = tmp_path / "base.html.j2"
    text = panel_evidence.TEMPLATE.read_text(encoding="utf-8")
    page.write_text(text.replace('data-panel="alerts" aria-controls', 'data-panel="news" aria-controls'))
    monkeypatch.setattr(panel_evidence, "TEMPLATE", page)
    monkeypatch.setattr(panel_evidence, "REPO_ROOT", tmp_path)
    with pytest.raises(FactError, match=r"quick-bar button 'news' has no title or no renderer"):
        panel_evidence.panel_contract(Inputs(stacks={}, data={}))
