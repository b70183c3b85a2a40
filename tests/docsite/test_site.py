"""The generated site end to end, from the real synthesized stacks.

Renders every page, builds it with the real ``mkdocs build --strict`` into a
temporary copy of ``docs/``, walks the built HTML, and checks that numbers on
the pages equal the values in the synthesized JSON.
"""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path

import pytest

from covaex.docsite.build import build_docs, check_docs, render_site
from covaex.docsite.facts.site_nav import load_nav, nav_pages
from covaex.docsite.inputs import Inputs, load_data
from covaex.docsite.sections import Sections
from covaex.docsite.sync import write_tree
from covaex.progress import Steps
from covaex.topology.tfjson import TerraformDoc
from tests.support.docs import mkdocs_build

pytestmark = pytest.mark.slow

TOBE = ("tobe-v1-dev", "tobe-v1-prod")


def _built(site: Path, docs_path: str) -> Path:
    """Where mkdocs writes a page: ``a/b.md`` -> ``a/b/index.html``, ``a/index.md`` -> ``a/index.html``."""
    rel = docs_path.removesuffix(".md")
    return site / (f"{rel.removesuffix('index')}index.html" if rel.split("/")[-1] == "index" else f"{rel}/index.html")


def _page_text(site: Path, docs_path: str) -> str:
    """Visible text of a built page (tags dropped, entities decoded, spaces folded)."""
    raw = _built(site, docs_path).read_text(encoding="utf-8")
    raw = re.sub(r"<script.*?</script>", " ", raw, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def test_every_nav_page_is_generated_and_built(rendered: dict[str, bytes], site: Path) -> None:
    pages = nav_pages(load_nav())
    generated = {p.removeprefix("generated/") for p in pages if p.startswith("generated/")}
    assert generated <= set(rendered), sorted(generated - set(rendered))
    # Every generated page is reachable from the nav.
    assert {p for p in rendered if p.endswith(".md")} <= generated
    for page in pages:
        assert _built(site, page).is_file(), page


def test_cidr_plan_shows_every_synthesized_subnet(real_inputs: Inputs, site: Path) -> None:
    text = _page_text(site, "generated/epic2/cidr-plan.md")
    for stack in TOBE:
        subnets = real_inputs.stack(stack).resources("aws_subnet")
        assert subnets
        for subnet in subnets:
            assert f"{subnet.address} {subnet.get('cidr_block')}" in text


def test_backup_retention_equals_the_synthesized_value(real_inputs: Inputs, site: Path) -> None:
    text = _page_text(site, "generated/epic2/rds-backup.md")
    for stack in TOBE:
        for db in real_inputs.stack(stack).resources("aws_db_instance"):
            assert f"{db.address} : 백업 보존 {db.get('backup_retention_period')}일" in text


def test_alarm_thresholds_equal_the_synthesized_values(real_inputs: Inputs, site: Path) -> None:
    text = _page_text(site, "generated/epic4/alarms.md")
    found = 0
    for stack in TOBE:
        for alarm in real_inputs.stack(stack).resources("aws_cloudwatch_metric_alarm"):
            assert re.search(
                rf"{re.escape(alarm.get('alarm_name'))} {re.escape(alarm.address)} .*? "
                rf"\S+ {re.escape(str(alarm.get('threshold')))} ",
                text,
            ), alarm.address
            found += 1
    assert found


def test_every_alarm_runbook_slug_has_a_written_section(rendered: dict[str, bytes], site: Path) -> None:
    page = rendered["epic4/runbooks.md"].decode()
    assert "런북 없음" not in page and "TODO" not in page
    alarms = rendered["epic4/alarms.md"].decode()
    for slug in set(re.findall(r"runbooks\.md#([a-z0-9-]+)\)", alarms)):
        assert f"{{ #{slug} }}" in page


def test_infrastructure_sections_are_not_pending(real_inputs: Inputs) -> None:
    from covaex.docsite.artifacts import render_artifacts
    from covaex.docsite.facts import collect_sections

    sections: Sections
    sections, _ = render_artifacts(real_inputs)
    collect_sections(real_inputs, sections)
    required = {
        "nav",
        "asis",
        "drawn",
        "symptoms",
        "risks",
        "priorities",
        "metrics",
        "cidr_plan",
        "route_tables",
        "alb",
        "asg",
        "rds",
        "db_access",
        "sg_matrix",
        "iam_roles",
        "log_groups",
        "alarms",
        "runbooks",
        "state_backend",
        "repo_layout",
        "costs",
        "tradeoffs",
        "vpn",
        "elasticache",
        "stack_interface",
        "resilience",
        "resource_policies",
        "access_logs",
        "alert_runbooks",
        "contract",
    }
    if any(s.startswith("platform-v2-") for s in real_inputs.stacks):
        required |= {"eks", "irsa", "helm", "ecr", "argocd_access"}
    assert not {k: v for k, v in sections.pending.items() if k in required}


def test_site_works_offline(site: Path) -> None:
    page = (site / "generated/epic8/realtime-path/index.html").read_text(encoding="utf-8")
    assert 'class="mermaid"' in page
    assert re.search(r'<script src="[./]*assets/javascripts/vendor/mermaid-[\d.]+\.min\.js"', page)
    assert "fonts.googleapis.com" not in page and "unpkg.com" not in page
    # Nothing the pages load may come from another host (an emoji shortcode such as `:secret:` inside an
    # ARN once turned into a CDN image).
    for built in site.rglob("*.html"):
        text = built.read_text(encoding="utf-8")
        external = re.findall(r'(?:src|href)="(https?://[^"]+\.(?:js|css|svg|png|woff2?))"', text)
        assert not external, (built.relative_to(site), external[:3])


def test_rendering_is_reproducible_and_reuses_cached_diagrams(
    real_inputs: Inputs, rendered: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    import covaex.topology.render as renderer

    def no_redraw(*args: object, **kwargs: object) -> None:
        raise AssertionError("a diagram was redrawn although its inputs did not change")

    monkeypatch.setattr(renderer, "render_diagram", no_redraw)
    fresh = Inputs(stacks=real_inputs.stacks, data=load_data())
    assert render_site(fresh, Steps(3, quiet=True)) == rendered


def _with_backup_retention(inputs: Inputs, stack: str, days: int) -> Inputs:
    raw = copy.deepcopy(dict(inputs.stack(stack).raw))
    for cfg in raw["resource"]["aws_db_instance"].values():
        cfg["backup_retention_period"] = days
    stacks = {**inputs.stacks, stack: TerraformDoc(stack, raw)}
    return Inputs(stacks=stacks, data=load_data())


@pytest.fixture(scope="module")
def longer_retention(real_inputs: Inputs) -> tuple[int, dict[str, bytes]]:
    """Prod's synthesized backup retention, and the site rendered with it 3 days longer (a changed construct
    setting), rendered once for the two tests below."""
    current = int(real_inputs.stack("tobe-v1-prod").resources("aws_db_instance")[0].get("backup_retention_period"))
    return current, render_site(_with_backup_retention(real_inputs, "tobe-v1-prod", current + 3), Steps(3, quiet=True))


def test_a_changed_construct_setting_changes_exactly_the_pages_that_show_it(
    longer_retention: tuple[int, dict[str, bytes]], rendered: dict[str, bytes]
) -> None:
    current, changed = longer_retention
    differing = sorted(p for p in rendered if rendered[p] != changed.get(p))
    assert "epic2/rds-backup.md" in differing
    assert not [p for p in differing if p.startswith(("epic1/", "epic7/", "epic8/", "epic9/"))]
    assert f"백업 보존 **{int(current) + 3}일**" in changed["epic2/rds-backup.md"].decode()


def test_docs_check_fails_naming_the_pages_then_build_fixes_it(
    real_inputs: Inputs,
    longer_retention: tuple[int, dict[str, bytes]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "generated"
    # The committed pages as they were with another retention: what a changed construct setting leaves behind.
    # (The stacks of this run: a concurrent edit of cdktf/ must not trigger a second synth mid-test.)
    current, stale = longer_retention
    write_tree(out, stale)
    capsys.readouterr()

    assert check_docs(generated_dir=out, quiet=True, inputs=real_inputs) == 1
    captured = capsys.readouterr()
    assert "epic2/rds-backup.md (changed)" in captured.out
    # ... and what changed in it: the old retention removed, the synthesized one added.
    assert "--- epic2/rds-backup.md (committed)" in captured.out
    assert re.search(rf"^-.*\b{int(current) + 3}\b", captured.out, re.M)
    assert re.search(rf"^\+.*\b{int(current)}\b", captured.out, re.M)
    assert "covaex docs build" in captured.err

    build_docs(generated_dir=out, quiet=True, inputs=real_inputs)
    assert check_docs(generated_dir=out, quiet=True, inputs=real_inputs) == 0


def test_pages_degrade_to_todo_boxes_without_any_stack(tmp_path: Path) -> None:
    files = render_site(Inputs(stacks={}, data=load_data()), Steps(3, quiet=True))
    assert "TODO" in files["epic2/cidr-plan.md"].decode()
    mkdocs_build(tmp_path, files)


def test_no_page_leaks_python_reprs(rendered: dict[str, bytes]) -> None:
    """A template reading a dict key that is also a dict method (``update``, ``values``) would print a bound method."""
    for path, data in rendered.items():
        text = data.decode("utf-8", "replace")
        assert "built-in method" not in text and " object at 0x" not in text, path


def test_committed_generated_docs_are_current(real_inputs: Inputs, capsys: pytest.CaptureFixture[str]) -> None:
    """The drift gate (`covaex docs check`) over the committed docs/generated/, as CI runs it."""
    from covaex.docsite.paths import GENERATED_DIR

    status = check_docs(generated_dir=GENERATED_DIR, quiet=True, inputs=real_inputs)
    drift = capsys.readouterr().out
    assert status == 0, f"docs/generated/ is out of date; run `covaex docs build` and commit it:\n{drift}"
