"""Sentences on the pages that state a fact about the stacks are computed: a changed stack changes them.

Each test mutates a copy of the real synthesized stacks (never the files) and reads the page data or the
rendered page a person reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from covaex.docsite.inputs import Inputs
from tests.support.docs import mutated


def test_the_route_tables_sentence_says_what_each_tier_routes_to(
    real_inputs: Inputs, rendered: Mapping[str, bytes]
) -> None:
    """dev's app subnets share one NAT *instance* (a SPOF), prod's have a NAT gateway per AZ: read, not typed."""
    from covaex.docsite.facts.network import egress

    page = rendered["epic2/route-tables.md"].decode()
    dev = page[page.index("**To-Be v1 · dev**") : page.index("**To-Be v1 · prod**")]
    assert "- **app** (서브넷 2개, AZ 2개): NAT 인스턴스 (EC2 NAT instance) `aws_instance.nat`; 하나를 AZ 2개가" in dev
    assert "NAT 게이트웨이" not in dev
    assert "- **data** (서브넷 2개, AZ 2개): 기본 경로 없음" in dev
    app = {e.tier: e for e in egress(real_inputs)["tobe-v1-prod"]}["app"]
    assert [a for a, _ in app.targets] == ["aws_nat_gateway.nat_a", "aws_nat_gateway.nat_c"] and not app.shared

    def one_nat(raw: dict[str, Any]) -> None:
        raw["resource"]["aws_route"]["app_c_nat"]["nat_gateway_id"] = "${aws_nat_gateway.nat_a.id}"

    moved = {e.tier: e for e in egress(mutated(real_inputs, {"tobe-v1-prod": one_nat}))["tobe-v1-prod"]}
    assert [a for a, _ in moved["app"].targets] == ["aws_nat_gateway.nat_a"] and moved["app"].shared
    assert not moved["public"].shared  # the internet gateway is regional: never a shared-exit SPOF


def test_the_cidr_plan_sentence_reads_the_zones_tiers_and_ranges(real_inputs: Inputs) -> None:
    from covaex.docsite.facts.network import vpc_ranges

    v = vpc_ranges(real_inputs)
    assert v.azs == ("ap-northeast-2a", "ap-northeast-2c") and v.tiers == ("public", "app", "data")
    assert not v.overlaps

    def same_range(raw: dict[str, Any]) -> None:
        raw["resource"]["aws_vpc"]["vpc"]["cidr_block"] = dict(real_inputs.stack("tobe-v1-prod").raw)["resource"][
            "aws_vpc"
        ]["vpc"]["cidr_block"]

    clash = vpc_ranges(mutated(real_inputs, {"tobe-v1-dev": same_range}))
    assert len(clash.overlaps) == 1 and "tobe-v1-dev" in clash.overlaps[0]


def _with_incident(inputs: Inputs, **changes: Any) -> Inputs:
    return Inputs(stacks=inputs.stacks, data={**inputs.data, "incident": {**inputs.data["incident"], **changes}})


def test_the_incident_s_durations_come_from_its_timeline_and_its_names_from_what_ships(real_inputs: Inputs) -> None:
    import pytest

    from covaex.docsite.facts.narrative import incident
    from covaex.docsite.sections import FactError

    shown = incident(real_inputs)
    timeline = real_inputs.data["incident"]["timeline"]
    at = {t["mark"]: t["at"] for t in timeline if "mark" in t}
    assert f"{at['recovered'] - at['symptom']}분 동안" in shown["summary"] and shown["impact"]
    assert f"첫 증상 {at['report'] - at['symptom']}분 뒤" in shown["detection"]
    alert = next(f for f in shown["followups"] if f["state"] and "`" in f["state"][1])
    assert alert["state"] == (True, "`CovaexSlowClientCloses`")  # deploy/k8s/base/prometheusrule.yaml has it

    later = [{**t, "at": 20} if t.get("mark") == "recovered" else t for t in timeline]
    assert f"{20 - at['symptom']}분 동안" in incident(_with_incident(real_inputs, timeline=later))["summary"]
    renamed = [{**t, "panel": "No such panel"} if "panel" in t else t for t in timeline]
    with pytest.raises(FactError, match=r"panel 'No such panel' is not on the shipped dashboard"):
        incident(_with_incident(real_inputs, timeline=renamed))
    unshipped = [
        {**f, "alert": "CovaexNoSuchAlert"} if "alert" in f else f for f in real_inputs.data["incident"]["followups"]
    ]
    states = [f["state"] for f in incident(_with_incident(real_inputs, followups=unshipped))["followups"] if f["state"]]
    assert (False, "`CovaexNoSuchAlert`") in states
    unmarked = [{k: v for k, v in t.items() if k != "mark"} for t in timeline]
    with pytest.raises(FactError, match=r"mark one timeline entry `symptom`, found 0"):
        incident(_with_incident(real_inputs, timeline=unmarked))


def test_the_alb_sentence_reads_the_redirect_and_checks_the_idle_timeout_against_the_keepalive(
    real_inputs: Inputs,
) -> None:
    import pytest

    from covaex.docsite.facts.compute import alb_entry
    from covaex.docsite.sections import FactError

    e = alb_entry(real_inputs)
    assert e.ws_path == "/ws/v1/market" and e.redirects == {"tobe-v1-dev": True, "tobe-v1-prod": True}
    assert all(s > e.keepalive_s for idle in e.idle_s.values() for s in idle)

    def forward_http(raw: dict[str, Any]) -> None:
        raw["resource"]["aws_lb_listener"]["http"]["default_action"] = [{"type": "fixed-response"}]

    assert not alb_entry(mutated(real_inputs, {"tobe-v1-dev": forward_http})).redirects["tobe-v1-dev"]

    def short_idle(raw: dict[str, Any]) -> None:
        raw["resource"]["aws_lb"]["alb"]["idle_timeout"] = 15

    with pytest.raises(FactError, match=r"tobe-v1-prod: ALB idle timeout 15 s is not longer than the gateway's"):
        alb_entry(mutated(real_inputs, {"tobe-v1-prod": short_idle}))


def test_the_state_backend_and_stack_interface_sentences_hold_for_every_stack(real_inputs: Inputs) -> None:
    """ "One versioned, encrypted bucket, one key per stack, S3-native locking, a bootstrap stack with local
    state" and "the stacks declare no Terraform variable": checked on the synthesized JSON."""
    backends = {name: dict(doc.raw.get("terraform", {}).get("backend", {})) for name, doc in real_inputs.stacks.items()}
    local = [name for name, b in backends.items() if "local" in b]
    remote = {name: b["s3"] for name, b in backends.items() if "s3" in b}
    assert local == ["state"] and len(remote) == len(backends) - 1
    assert len({b["bucket"] for b in remote.values()}) == 1
    assert len({b["key"] for b in remote.values()}) == len(remote)  # one key per stack and environment
    # Encrypted by the bucket's KMS default: a backend's encrypt=true would override it with AES256.
    assert all("encrypt" not in b and b.get("use_lockfile") is True for b in remote.values())
    bucket = next(iter(remote.values()))["bucket"]
    state = real_inputs.stack("state")
    buckets = {r.address: r for r in state.resources("aws_s3_bucket")}
    name = next(a for a, r in buckets.items() if r.get("bucket") == bucket)
    versioning = [r for r in state.resources("aws_s3_bucket_versioning") if name in str(r.get("bucket"))]
    sse = [
        r for r in state.resources("aws_s3_bucket_server_side_encryption_configuration") if name in str(r.get("bucket"))
    ]
    assert len(versioning) == 1 and "Enabled" in str(versioning[0].get("versioning_configuration"))
    assert len(sse) == 1 and "aws:kms" in str(sse[0].get("rule"))
    assert not [stack for stack, doc in real_inputs.stacks.items() if doc.raw.get("variable")]


def test_the_operations_pages_sentences_hold(real_inputs: Inputs) -> None:
    """Log groups all have an explicit retention; Prometheus keeps less in dev; Argo CD syncs and self-heals
    dev by itself while prod waits for a person: each a sentence of the EPIC 4 pages."""
    import yaml
    from infraforge.environments import PROFILES

    from covaex.docsite.paths import REPO_ROOT

    groups = [(s, r) for s, doc in real_inputs.stacks.items() for r in doc.resources("aws_cloudwatch_log_group")]
    assert groups and all(int(r.get("retention_in_days") or 0) > 0 for _, r in groups), groups

    def days(retention: str) -> int:
        return int(retention.removesuffix("d"))

    assert days(PROFILES["dev"].prometheus_retention) < days(PROFILES["prod"].prometheus_retention)
    policy = {
        env: yaml.safe_load((REPO_ROOT / f"deploy/argocd/{env}/application.yaml").read_text(encoding="utf-8"))["spec"][
            "syncPolicy"
        ]
        for env in ("dev", "prod")
    }
    assert policy["dev"]["automated"]["selfHeal"] is True
    assert "automated" not in policy["prod"]


def test_the_gating_table_reads_each_panel_from_panels_js(tmp_path: Any, rendered: Mapping[str, bytes]) -> None:
    """The price alerts panel works for guests (it was typed as a placeholder asking to log in)."""
    import pytest

    from covaex.docsite.facts.service import panel_access
    from covaex.docsite.sections import FactError

    page = rendered["epic7/gating.md"].decode()
    assert "| `alerts` 패널 | 동작 | 동작 |" in page
    assert "| `watchlist` 패널 | 동작; 로그인 안내를 함께 보임 | 동작 |" in page
    assert "placeholder" not in page.lower().split("# ", 1)[1].split("출처")[0]
    js = tmp_path / "panels.js"
    js.write_text(
        "    const renderers = {\n      alerts: () => this.alertsView(),\n    };\n"
        "  alertsView() {\n    return this.loginNote('a', 'b');\n  }\n",
        encoding="utf-8",
    )
    assert panel_access(js) == {"alerts": True}
    js.write_text("    const renderers = {\n      alerts: () => this.gone(),\n    };\n", encoding="utf-8")
    with pytest.raises(FactError, match=r"panel `alerts` renders with `gone\(\)`, which is not defined"):
        panel_access(js)


def test_the_ingress_idle_timeout_outlasts_the_gateway_keepalive() -> None:
    """The ingress page says quiet WebSockets stay open because the gateway pings inside the idle timeout."""
    import re

    from covaex_service.market.gateway.protocol import KEEPALIVE_SECONDS

    from covaex.docsite.paths import REPO_ROOT

    ingress = (REPO_ROOT / "deploy/k8s/base/ingress.yaml").read_text(encoding="utf-8")
    idle = re.search(r"idle_timeout\.timeout_seconds=(\d+)", ingress)
    assert idle and int(idle.group(1)) > KEEPALIVE_SECONDS


def test_the_threat_model_s_deployment_sentences_hold(real_inputs: Inputs) -> None:
    """One trusted proxy hop in both deployments (user data and the pods' config map); no WAF is deployed."""
    from covaex.docsite.paths import REPO_ROOT
    from covaex.targets import _user_data

    assert 'COVAEX_PROXIES_COUNT: "1"' in (REPO_ROOT / "deploy/k8s/base/configmap.yaml").read_text(encoding="utf-8")
    for stack in ("tobe-v1-dev", "tobe-v1-prod"):
        (template,) = real_inputs.stack(stack).resources("aws_launch_template")
        user_data = _user_data(template.get("user_data"))
        assert "COVAEX_PROXIES_COUNT=1" in user_data, stack
    assert not [
        (name, kind)
        for name, doc in real_inputs.stacks.items()
        for kind in (doc.raw.get("resource") or {})
        if kind.startswith(("aws_wafv2", "aws_waf"))
    ]


def test_the_redis_key_page_lists_every_key_the_contract_names(rendered: Mapping[str, bytes]) -> None:
    """The key table was hand-listed and lacked the candle keys; every `Keys` name must be on the page."""
    import inspect

    from covaex_service.market.cache.contract import Keys

    page = rendered["epic8/redis-keys.md"].decode()
    keys = Keys()
    names = []
    for name, member in inspect.getmembers(Keys):
        if name.startswith("_") or name == "namespace":
            continue
        if isinstance(member, property):
            names.append(getattr(keys, name))
        elif callable(member):
            arity = len(inspect.signature(member).parameters) - 1
            names.append(member(keys, *("<SYMBOL>", "<INTERVAL>")[:arity]))
    assert len(names) >= 7
    for key in names:
        assert f"`{key}`" in page, key


def _template_paragraphs(text: str) -> list[str]:
    """The prose a template writes itself: no Jinja tags, expressions or comments, no code, tables, HTML or
    Mermaid (what those quote is the code's or a repository file's own words)."""
    import re

    text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)
    text = re.sub(r"(`{3,}).*?\1", "", text, flags=re.S)
    text = re.sub(r"\{%.*?%\}", "\n", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", " ", text, flags=re.S)
    paragraphs, current = [], []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("|", "<", "!!!", "???", "===")):
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(stripped)
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def test_every_template_writes_its_prose_in_korean() -> None:
    """A paragraph of four or more English words and no Hangul is English prose a person reads on a page."""
    import re

    from covaex.docsite.paths import REPO_ROOT

    hangul = re.compile(r"[\uac00-\ud7a3]")
    english: list[tuple[str, str]] = []
    templates = sorted((REPO_ROOT / "templates").rglob("*.md.j2"))
    assert len(templates) > 70
    for path in templates:
        name = path.relative_to(REPO_ROOT / "templates" / "pages").as_posix() if "pages" in path.parts else path.name
        for paragraph in _template_paragraphs(path.read_text(encoding="utf-8")):
            words = re.findall(r"[A-Za-z]{3,}", re.sub(r"`[^`]*`", "", paragraph))
            if len(words) >= 4 and not hangul.search(paragraph):
                english.append((name, paragraph[:80]))
    assert english == []
    assert _template_paragraphs("{% if x %}\nOne two three four.\n{% endif %}\n| a | b |\n") == ["One two three four."]


def test_every_page_in_the_nav_opens_with_a_korean_summary(rendered: Mapping[str, bytes]) -> None:
    """Home included (it is written by hand under docs/, not generated): the first paragraph after the H1."""
    import re

    from covaex.docsite.facts.site_nav import load_nav, nav_pages
    from covaex.docsite.paths import DOCS_DIR
    from tests.docsite.test_talk import _h1_and_summary

    hangul = re.compile(r"[\uac00-\ud7a3]")
    pages = nav_pages(load_nav())
    assert "index.md" in pages and len(pages) > 70
    for page in pages:
        generated = page.removeprefix("generated/")
        text = rendered[generated].decode() if page.startswith("generated/") else (DOCS_DIR / page).read_text("utf-8")
        _, summary = _h1_and_summary(text)
        words = summary.split()
        assert words and len([w for w in words if hangul.search(w)]) >= len(words) / 2, (page, summary[:80])


def _numbers(text: str) -> set[float]:
    """The numbers a sentence or a rule states: ``1%`` is 0.01, the 99th percentile 0.99, ``15m`` 15."""
    import re

    out = set()
    for value, unit in re.findall(r"(?<![A-Za-z_.\d])(\d+(?:\.\d+)?(?:e-?\d+)?)\s*(%|번째 백분위)?", text):
        number = float(value)
        out.add(number / 100 if unit else number)
    return out


def test_each_alert_runbook_states_the_numbers_of_its_rule() -> None:
    """deploy/runbooks.md types each alert's meaning for the on-call: its numbers must be the rule's (expr,
    `for`), and the HPA threshold and the feeds per environment it quotes must be the manifests'."""
    import re

    import yaml

    from covaex.docsite.paths import REPO_ROOT

    rules = {
        r["alert"]: r
        for doc in yaml.safe_load_all((REPO_ROOT / "deploy/k8s/base/prometheusrule.yaml").read_text(encoding="utf-8"))
        for g in doc["spec"]["groups"]
        for r in g["rules"]
    }
    text = (REPO_ROOT / "deploy/runbooks.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## (\w+)\n\n\*\*뜻:\*\* (.+)$", text, re.M))
    assert sections.keys() == rules.keys()
    for alert, meaning in sections.items():
        stated = _numbers(meaning)
        defined = _numbers(f"{rules[alert]['expr']} {rules[alert].get('for', '')}")
        assert stated <= defined, (alert, meaning, sorted(stated - defined))
    assert _numbers("over 1% in 15m, the 99번째 백분위") == {0.01, 15.0, 0.99}
    hpa = yaml.safe_load((REPO_ROOT / "deploy/k8s/base/hpa.yaml").read_text(encoding="utf-8"))
    (cpu,) = [m["resource"]["target"]["averageUtilization"] for m in hpa["spec"]["metrics"]]
    assert f"HPA는 요청량의 {cpu}%에서 늘립니다" in text
    feeds = {
        env: yaml.safe_load((REPO_ROOT / f"deploy/k8s/overlays/{env}/settings.yaml").read_text(encoding="utf-8"))
        for env in ("dev", "prod")
    }
    assert "(`COVAEX_FEED=auto`)" in text and "prod는 `binance`만" in text
    assert [feeds[env]["data"]["COVAEX_FEED"] for env in ("dev", "prod")] == ["auto", "binance"]
