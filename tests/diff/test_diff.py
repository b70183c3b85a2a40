"""``covaex diff`` as a reviewer meets it: the real command on two fixture folders, and on git refs.

The fixtures (``covaex/diff/examples/``, also the docs page's example) change
one of everything between ``base`` and ``head``: the Multi-AZ database made
single-AZ, a port opened to the world, an IAM action granted, an alarm
renamed, a stack added.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from covaex.diff.resources import attribute_paths, resource_diff

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "covaex" / "diff" / "examples"
BASE, HEAD = EXAMPLES / "base", EXAMPLES / "head"
SCHEMA = json.loads((REPO / "covaex" / "diff" / "schema.json").read_text(encoding="utf-8"))


def covaex(*args: str | Path, timeout: int = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "covaex.cli", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"},
    )


def diff_json(base: Path | str, head: Path | str, *extra: str) -> tuple[int, dict[str, Any]]:
    proc = covaex("diff", base, head, "--format", "json", *extra)
    assert proc.returncode in (0, 1), proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    jsonschema.validate(doc, SCHEMA)
    return proc.returncode, doc


@pytest.fixture(scope="module")
def forward() -> tuple[int, dict[str, Any]]:
    return diff_json(BASE, HEAD)


def test_the_schema_is_a_valid_2020_12_schema_that_rejects_a_wrong_shape(forward: tuple[int, dict[str, Any]]) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    broken = json.loads(json.dumps(forward[1]))
    broken["exposure"][0]["change"] = "widened"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**forward[1], "extra": 1}, SCHEMA)


def test_every_section_of_the_forward_change(forward: tuple[int, dict[str, Any]]) -> None:
    status, doc = forward
    assert status == 1, "a high-severity SPOF is introduced: the default gate trips"
    assert doc["base"] == str(BASE) and doc["head"] == str(HEAD)

    app = doc["stacks"]["app"]
    assert app["added"] == ["aws_cloudwatch_metric_alarm.alb_errors", "aws_vpc_security_group_ingress_rule.app_ssh"]
    assert app["removed"] == ["aws_cloudwatch_metric_alarm.alb_5xx"]  # the rename: removed + added
    assert {c["address"]: c["attributes"] for c in app["changed"]} == {
        "aws_db_instance.postgres": ["multi_az"],
        "aws_iam_role_policy.app_assets": ["policy"],
    }
    assert doc["stacks"]["registry"] == {
        "added": ["aws_ecr_repository.covaex", "aws_kms_key.ecr"],
        "removed": [],
        "changed": [],
    }

    [spof] = doc["spof"]["introduced"]
    assert (spof["stack"], spof["id"], spof["severity"], spof["resources"]) == (
        "app",
        "SPOF-RDS-01",
        "high",
        ["aws_db_instance.postgres"],
    )
    assert doc["spof"]["resolved"] == []

    cost = doc["cost"]["app"]
    assert cost["after"] < cost["before"] and cost["delta"] == round(cost["after"] - cost["before"], 2)
    # in % as well as $, as Infracost shows it; a stack that cost nothing before has no percentage
    assert cost["delta_pct"] == round(100 * (cost["after"] - cost["before"]) / cost["before"], 1) < 0
    assert doc["cost"]["registry"]["before"] == 0 and doc["cost"]["registry"]["after"] > 0
    assert doc["cost"]["registry"]["delta_pct"] is None

    assert doc["exposure"] == [
        {
            "stack": "app",
            "address": "aws_vpc_security_group_ingress_rule.app_ssh",
            "change": "opened",
            "detail": "tcp/22 from 0.0.0.0/0 (the whole internet) to aws_security_group.app",
        }
    ]
    assert doc["iam"] == [{"stack": "app", "address": "aws_iam_role.app", "added": ["s3:PutObject"], "removed": []}]


def test_the_reverse_change_resolves_closes_revokes_and_removes() -> None:
    status, doc = diff_json(HEAD, BASE)
    assert status == 0
    assert [f["id"] for f in doc["spof"]["resolved"]] == ["SPOF-RDS-01"] and doc["spof"]["introduced"] == []
    assert [e["change"] for e in doc["exposure"]] == ["closed"]
    assert doc["iam"][0]["removed"] == ["s3:PutObject"] and doc["iam"][0]["added"] == []
    assert doc["stacks"]["registry"]["removed"] == ["aws_ecr_repository.covaex", "aws_kms_key.ecr"]
    assert doc["cost"]["registry"]["after"] == 0 and doc["cost"]["app"]["delta"] > 0


def test_identical_inputs_give_empty_collections_and_pass() -> None:
    status, doc = diff_json(BASE, BASE)
    assert status == 0
    assert doc == {
        "base": str(BASE),
        "head": str(BASE),
        "stacks": {},
        "spof": {"introduced": [], "resolved": []},
        "cost": {},
        "exposure": [],
        "iam": [],
    }
    md = covaex("diff", BASE, BASE)
    assert md.returncode == 0 and md.stdout.startswith("✅ **No infrastructure change**")
    assert "###" not in md.stdout, "sections appear only when they have content"


@pytest.mark.parametrize(("fail_on", "status"), [("high", 1), ("medium", 1), ("low", 1), ("never", 0)])
def test_the_gate_follows_fail_on(fail_on: str, status: int) -> None:
    assert covaex("diff", BASE, HEAD, "--fail-on", fail_on).returncode == status


def test_a_medium_finding_trips_only_a_medium_or_lower_gate(tmp_path: Path) -> None:
    head = tmp_path / "head"
    shutil.copytree(BASE, head)
    doc_path = head / "stacks" / "app" / "cdk.tf.json"
    doc = json.loads(doc_path.read_text())
    doc["resource"]["aws_autoscaling_group"]["app"]["health_check_type"] = "EC2"  # SPOF-ASG-02, medium
    doc_path.write_text(json.dumps(doc))
    _, found = diff_json(BASE, head)
    assert {f["severity"] for f in found["spof"]["introduced"]} == {"medium"}
    assert covaex("diff", BASE, head).returncode == 0
    assert covaex("diff", BASE, head, "--fail-on", "medium").returncode == 1


def test_the_comment_reads_top_down_without_scrolling_sideways() -> None:
    proc = covaex("diff", BASE, HEAD)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("❌ **Blocked**: introduces 1 single point of failure at `high`")
    headings = [line for line in lines if line.startswith("### ")]
    assert headings == [
        "### Single points of failure",
        "### Monthly cost (fixed, always-on resources)",
        "### Network exposure",
        "### IAM",
        "### Resources",
    ]
    assert max(line.count("|") for line in lines) <= 5, "no table wider than four columns"
    [app_cost] = [line for line in lines if line.startswith("| `app` |")]
    assert app_cost.endswith("%) |") and " (−" in app_cost, app_cost
    [registry_cost] = [line for line in lines if line.startswith("| `registry` |")]
    assert registry_cost.endswith(" (new) |")
    assert "renamed `aws_cloudwatch_metric_alarm.alb_5xx` → `aws_cloudwatch_metric_alarm.alb_errors`" in proc.stdout
    assert proc.stderr.splitlines()[0].startswith("[1/3] BASE: ")


def test_diagrams_of_the_changed_stacks_before_and_after(tmp_path: Path) -> None:
    out = tmp_path / "diagrams"
    proc = covaex("diff", BASE, HEAD, "--diagrams", out, timeout=180)
    assert proc.returncode == 1, proc.stderr
    drawn = sorted(p.name for p in out.iterdir())
    assert drawn == ["app.after.svg", "app.before.svg", "registry.after.svg"]
    assert all((out / name).read_text().lstrip().startswith(("<?xml", "<svg")) for name in drawn)
    assert "### Diagrams" in proc.stdout and "`app.before.svg`" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-ref-anywhere"], "'no-such-ref-anywhere': no such folder, and no commit of that name"),
        ([str(EXAMPLES)], "no stacks/<stack>/cdk.tf.json in it"),
        ([str(BASE / "stacks" / "app" / "cdk.tf.json")], "a file; pass the folder holding stacks/<stack>/cdk.tf.json"),
        ([str(BASE), str(HEAD), "--fail-on", "critical"], "invalid choice: 'critical'"),
        ([str(BASE), str(HEAD), "--format", "yaml"], "invalid choice: 'yaml'"),
        (["--", "-x"], "a git ref cannot start with '-'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    proc = covaex("diff", *args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert message in proc.stderr.strip().splitlines()[-1]
    assert "Traceback" not in proc.stderr


def test_a_stack_that_is_not_terraform_json_is_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "stacks" / "app" / "cdk.tf.json"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json")
    proc = covaex("diff", BASE, tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        f"covaex: error: {broken}: invalid JSON at line 1 column 2: Expecting property name enclosed in double quotes"
    )


def test_a_failing_synth_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from covaex.diff import sources
    from covaex.errors import BadInput

    root = tmp_path / "tree"
    (root / "cdktf" / "infraforge").mkdir(parents=True)
    (root / "cdktf.json").write_text("{}")
    (root / "cdktf" / "infraforge" / "__init__.py").write_text("")
    (root / "cdktf" / "infraforge" / "__main__.py").write_text("raise SystemExit('infraforge: bad input VPN_PEER')\n")
    monkeypatch.setattr(sources, "SYNTH_CACHE", tmp_path / "cache")
    with pytest.raises(BadInput, match=r"^somewhere: synth failed: infraforge: bad input VPN_PEER$"):
        sources._synth_cached(root, "somewhere")


def test_attribute_paths_walk_objects_and_name_scalar_lists_once() -> None:
    before = {"a": {"b": 1, "c": [1, 2]}, "rules": [{"port": 22}, {"port": 80}], "gone": 1, "same": [{"x": 1}]}
    after = {"a": {"b": 2, "c": [0, 1, 2]}, "rules": [{"port": 22}, {"port": 443}], "new": 1, "same": [{"x": 1}]}
    assert sorted(attribute_paths(before, after)) == ["a.b", "a.c", "gone", "new", "rules.1.port"]
    assert list(attribute_paths([{"p": 1}], [{"p": 1}, {"p": 2}], "rules")) == ["rules"]
    # resource_diff drops cdktf's // metadata before comparing
    doc = {"resource": {"aws_s3_bucket": {"b": {"//": {"metadata": {"path": "x"}}, "bucket": "b"}}}}
    moved = {"resource": {"aws_s3_bucket": {"b": {"//": {"metadata": {"path": "y"}}, "bucket": "b"}}}}
    assert not resource_diff(doc, moved)


@pytest.mark.slow
@pytest.mark.timeout(900)  # a cold synth of the ref; minutes on a busy 2-core machine
def test_git_refs_are_synthesized_without_touching_the_working_tree() -> None:
    def state() -> tuple[str, str]:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--ignored=no"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout
        trees = subprocess.run(
            ["git", "worktree", "list", "--porcelain"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout
        return status, trees

    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, check=False).returncode:
        pytest.skip("not a git checkout")
    before = state()
    proc = covaex("diff", "HEAD", "HEAD", "--format", "json", timeout=900)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["base"] == doc["head"] == "HEAD" and doc["stacks"] == {}
    assert "stacks (synth" in proc.stderr
    assert state() == before


def test_the_docs_example_is_what_the_command_prints() -> None:
    from covaex.diff.example import example

    ex = example()
    proc = covaex(*ex["command"].split()[1:])
    assert proc.returncode == ex["status"] == 1
    assert proc.stdout == ex["comment"]
    page = (REPO / "docs" / "generated" / "epic5" / "architecture-review.md").read_text(encoding="utf-8")
    assert ex["comment"].splitlines()[0] in page and ex["command"] in page
