"""``covaex spof`` and ``covaex diagram`` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from covaex.cli import main
from tests.topology.fixture_docs import FIXTURES, fixture_doc

ASIS = Path(__file__).resolve().parents[2] / "diagrams" / "asis.yaml"
KEYS = {"id", "severity", "resources", "title", "evidence", "remediation"}


def _broken(tmp_path: Path, override: str) -> Path:
    path = tmp_path / f"{override}.tf.json"
    path.write_text(json.dumps(fixture_doc(override)))
    return path


def test_spof_json_has_the_interface_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spof", str(_broken(tmp_path, "nat_shared")), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["findings"]
    (finding,) = out["findings"]
    assert set(finding) >= KEYS
    assert finding["id"] == "SPOF-NAT-01"
    assert finding["severity"] == "medium"
    assert finding["resources"] == ["aws_nat_gateway.nat_a"]
    assert all(isinstance(finding[k], str) for k in KEYS - {"resources"})


def test_spof_on_several_paths_and_the_asis(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spof", str(FIXTURES / "redundant.tf.json"), str(ASIS), "--format", "json"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert {f["id"] for f in findings} == {"SPOF-HOST-01"}
    assert "onprem_server.web01" in {r for f in findings for r in f["resources"]}


def test_spof_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spof", str(ASIS)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## SPOF findings: As-Is")
    assert "| SPOF-HOST-01 | high | `onprem_server.web01` |" in out
    assert main(["spof", str(FIXTURES / "redundant.tf.json"), "--format", "md"]) == 0
    assert "No single point of failure found." in capsys.readouterr().out


def test_diagram_twice_gives_identical_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("a.svg", "b.svg"):
        assert main(["diagram", str(ASIS), "-o", str(tmp_path / name)]) == 0
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
    assert capsys.readouterr().out.splitlines() == [str(tmp_path / "a.svg"), str(tmp_path / "b.svg")]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["spof", "missing.tf.json"], "missing.tf.json: no such file"),
        (["spof", "{bad}"], "invalid JSON"),
        (["diagram", "{asis}", "-o", "out.pdf"], "unknown output format '.pdf'"),
        (["diagram", "{asis}", "-o", "no/such/dir/out.svg"], "no such directory"),
        (["spof", "{asis}", "--format", "xml"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.tf.json"
    bad.write_text("{nope")
    argv = [a.replace("{bad}", str(bad)).replace("{asis}", str(ASIS)) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse usage errors
        code = int(str(exit_.code or 0)) if isinstance(exit_.code, int) else 2
    assert code != 0
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
