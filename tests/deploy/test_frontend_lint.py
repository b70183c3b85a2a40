"""The UI's JS, CSS and HTML templates pass real linters (ESLint, stylelint, HTMLHint)."""

from __future__ import annotations

from pathlib import Path

from tests.deploy.deploy_checks import REPO_ROOT, run

LINT_UI = REPO_ROOT / "tools" / "lint" / "lint-ui.sh"
UI = REPO_ROOT / "service" / "covaex_service" / "ui"


def test_the_ui_lints_clean() -> None:
    assert any(UI.rglob("*.html*")), "the UI has templates to lint"
    result = run(["bash", LINT_UI], timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_linter_catches_its_kind_of_mistake(tmp_path: Path) -> None:
    """Negative control: a UI folder with one mistake per language fails, naming each."""
    ui = tmp_path / "ui"
    (ui / "static").mkdir(parents=True)
    (ui / "templates").mkdir()
    (ui / "static" / "app.js").write_text("const price = 1;\nif (price == 2) { refresh(); }\n", encoding="utf-8")
    (ui / "static" / "app.css").write_text(".row { colr: red; }\n", encoding="utf-8")
    (ui / "templates" / "index.html.j2").write_text(
        '<!DOCTYPE html>\n<html lang="ko"><body>\n{% if x %}<div id="a"></div>{% endif %}\n'
        '<div id="a"><img src="x.png"></div>\n</body></html>\n',
        encoding="utf-8",
    )
    result = run(["bash", LINT_UI, ui], timeout=180)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "eqeqeq" in output and "no-undef" in output, output  # ESLint
    assert "property-no-unknown" in output, output  # stylelint
    assert "id-unique" in output and "alt-require" in output, output  # HTMLHint, through the Jinja stripping
    # Line numbers stay the template's own after the Jinja tags are removed.
    assert "L4 " in output or "L4\x1b" in output or "L4 |" in output, output
