"""The topology tests' hand-written Terraform fixtures and Terraform's override merging."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "terraform"
REPO = FIXTURES.parent.parent.parent


def merge_override(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Terraform override-file semantics (attribute replace), plus ``null`` removes."""
    merged = json.loads(json.dumps(base))
    for section in ("resource", "data"):
        for rtype, by_name in override.get(section, {}).items():
            target = merged.setdefault(section, {}).setdefault(rtype, {})
            for name, config in by_name.items():
                if config is None:
                    target.pop(name, None)
                    continue
                current = target.setdefault(name, {})
                for key, value in config.items():
                    if value is None:
                        current.pop(key, None)
                    else:
                        current[key] = value
    return merged


def fixture_doc(*overrides: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / "redundant.tf.json").read_text())
    for name in overrides:
        doc = merge_override(doc, json.loads((FIXTURES / f"{name}_override.tf.json").read_text()))
    return doc
