"""Reading a Terraform JSON file from disk for the CLI: any ``*.tf.json``, checked to be Terraform.

The file is read and parsed by :func:`covaex.topology.tfjson.read_json`, the one reader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from covaex.errors import CliError
from covaex.topology.tfjson import read_json


def read_terraform(path: Path) -> dict[str, Any]:
    """The parsed JSON object of ``cdk.tf.json`` or any ``*.tf.json``; CliError on bad input."""
    doc = read_json(path)
    if not any(key in doc for key in ("resource", "data", "terraform", "provider", "output", "variable")):
        raise CliError(f"{path}: not Terraform JSON (no 'resource', 'data', 'terraform' or 'provider' key)")
    return doc
