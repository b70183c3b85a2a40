"""Bad Terraform JSON input is one clear CliError, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from covaex.errors import CliError
from covaex.topology.terraform import read_terraform


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"resource": ', "invalid JSON at line 1"),
        ("[1, 2]", "expected a JSON object"),
        ('{"hello": 1}', "not Terraform JSON"),
        (b"\xff\xfe", "cannot read"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = tmp_path / "bad.tf.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(CliError, match=message) as err:
        read_terraform(path)
    assert "\n" not in str(err.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(CliError, match="no such file"):
        read_terraform(tmp_path / "nope.tf.json")
    with pytest.raises(CliError, match="is a directory"):
        read_terraform(tmp_path)
