"""Read-only queries over one synthesized Terraform JSON document (``cdk.tf.json``).

The docs read what would be deployed, so every page that shows an
infrastructure value gets it through here: resources by type, their
addresses (``aws_subnet.public_a``) and the backend block; references between them
are resolved with ``covaex.topology.tfjson``. Nothing here knows about pages.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JsonObject = Mapping[str, Any]


@dataclass(frozen=True)
class Resource:
    """One resource block: its type, name and the configuration as synthesized."""

    type: str
    name: str
    config: JsonObject

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"

    def get(self, key: str, default: Any = None) -> Any:
        return self.config.get(key, default)

    @property
    def tags(self) -> dict[str, str]:
        tags = self.config.get("tags") or {}
        return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {}


@dataclass(frozen=True)
class TerraformDoc:
    """A synthesized stack: ``stack`` is its name, ``raw`` the parsed JSON."""

    stack: str
    raw: JsonObject

    @classmethod
    def load(cls, stack: str, path: Path) -> TerraformDoc:
        return cls(stack, json.loads(path.read_text(encoding="utf-8")))

    def resources(self, type_: str) -> list[Resource]:
        """Resources of one type, sorted by name so pages are reproducible."""
        block = (self.raw.get("resource") or {}).get(type_) or {}
        return [Resource(type_, name, cfg) for name, cfg in sorted(block.items())]

    def data_sources(self, type_: str) -> list[Resource]:
        block = (self.raw.get("data") or {}).get(type_) or {}
        return [Resource(type_, name, cfg) for name, cfg in sorted(block.items())]

    def all_resources(self) -> Iterator[Resource]:
        for type_ in sorted((self.raw.get("resource") or {}).keys()):
            yield from self.resources(type_)

    def by_address(self, address: str) -> Resource | None:
        type_, _, name = address.partition(".")
        cfg = ((self.raw.get("resource") or {}).get(type_) or {}).get(name)
        return Resource(type_, name, cfg) if cfg is not None else None

    def count(self, type_: str) -> int:
        return len((self.raw.get("resource") or {}).get(type_) or {})

    @property
    def backend(self) -> tuple[str, JsonObject] | None:
        """The state backend block, as ``(kind, settings)``, if the stack declares one."""
        backend = (self.raw.get("terraform") or {}).get("backend") or {}
        for kind, settings in sorted(backend.items()):
            return str(kind), settings
        return None
