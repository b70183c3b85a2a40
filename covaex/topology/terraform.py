"""Reading a Terraform JSON file from disk: the only I/O of the Terraform side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from covaex.errors import CliError


def read_terraform(path: Path) -> dict[str, Any]:
    """The parsed JSON object of ``cdk.tf.json`` or any ``*.tf.json``; CliError on bad input."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a directory, expected a *.tf.json file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: cannot read: {exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(doc, dict):
        raise CliError(f"{path}: expected a JSON object at the top level, got {type(doc).__name__}")
    if not any(key in doc for key in ("resource", "data", "terraform", "provider", "output", "variable")):
        raise CliError(f"{path}: not Terraform JSON (no 'resource', 'data', 'terraform' or 'provider' key)")
    return doc
