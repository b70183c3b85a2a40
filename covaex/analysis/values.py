"""Terraform values as people read them (references as addresses, booleans as yes/no): pages and reviews alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from covaex.topology.tfjson import strip_metadata


def readable(value: Any) -> str:
    """A config value for a table cell: references as addresses, booleans as yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "-"
    if isinstance(value, str) and "${" in value:
        inner = value.strip()[2:-1] if value.strip().startswith("${") and value.strip().endswith("}") else value
        return inner
    if isinstance(value, list):
        return ", ".join(readable(v) for v in value) or "-"
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={readable(v)}" for k, v in sorted(strip_metadata(value).items()))
    return str(value)
