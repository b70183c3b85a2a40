"""Reading Terraform JSON as data: resources, references and token strings.

Pure helpers over the document `read_terraform` returns. cdktf emits JSON
without ``count``/``for_each`` expansion: every resource is
``{"resource": {TYPE: {NAME: CONFIG}}}`` and every reference is a token string
such as ``"${aws_subnet.public_a.id}"``. Keys starting with ``//`` are cdktf
metadata and are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\$\{(.*?)\}")
_PAIR = re.compile(r"(?<![\w.])((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][\w-]*)")
_AZ_INDEX = re.compile(r"names\[(\d+)\]")


@dataclass(frozen=True)
class RawResource:
    """One resource or data source exactly as written, minus cdktf metadata."""

    address: str
    type: str
    name: str
    config: Mapping[str, Any]
    is_data: bool


def iter_resources(doc: Mapping[str, Any]) -> Iterator[RawResource]:
    """Every resource then every data source, sorted by address."""
    found: list[RawResource] = []
    for section, is_data in (("resource", False), ("data", True)):
        blocks = doc.get(section) or {}
        if not isinstance(blocks, Mapping):
            continue
        for rtype, by_name in blocks.items():
            if not isinstance(by_name, Mapping):
                continue
            for name, config in by_name.items():
                address = f"data.{rtype}.{name}" if is_data else f"{rtype}.{name}"
                clean = strip_metadata(config) if isinstance(config, Mapping) else {}
                found.append(RawResource(address, str(rtype), str(name), clean, is_data))
    yield from sorted(found, key=lambda r: r.address)


def strip_metadata(value: Any) -> Any:
    """Drop cdktf's ``//`` metadata keys at every depth."""
    if isinstance(value, Mapping):
        return {k: strip_metadata(v) for k, v in value.items() if not str(k).startswith("//")}
    if isinstance(value, list):
        return [strip_metadata(v) for v in value]
    return value


def references(value: Any, known: frozenset[str] | set[str]) -> set[str]:
    """Addresses of ``known`` resources that tokens anywhere in ``value`` refer to."""
    found: set[str] = set()
    if isinstance(value, str):
        for token in _TOKEN.findall(value):
            for candidate in _PAIR.findall(token):
                if candidate in known:
                    found.add(candidate)
    elif isinstance(value, Mapping):
        for v in value.values():
            found |= references(v, known)
    elif isinstance(value, list):
        for v in value:
            found |= references(v, known)
    return found


def block(value: Any) -> Mapping[str, Any]:
    """A nested block, whether cdktf wrote it as an object or a one-item list."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, list) and value and isinstance(value[0], Mapping):
        first: Mapping[str, Any] = value[0]
        return first
    return {}


def blocks(value: Any) -> list[Mapping[str, Any]]:
    """A repeated block (list of objects); a single object counts as one."""
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, Mapping)]
    return []


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def as_int(value: Any, default: int | None = None) -> int | None:
    """A number that may arrive as int, float or numeric string; tokens give ``default``."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return default
    return default


def as_bool(value: Any, default: bool = False) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return default


def literal(value: Any) -> str | None:
    """The string when it is a plain literal, None when it is a token or not a string."""
    if isinstance(value, str) and "${" not in value:
        return value
    return None


def az_name(value: Any) -> str | None:
    """A readable AZ name: the literal (``ap-northeast-2a``) or ``az[N]`` for a looked-up one."""
    lit = literal(value)
    if lit:
        return lit
    if isinstance(value, str):
        match = _AZ_INDEX.search(value)
        if match:
            return f"az[{match.group(1)}]"
        return value
    return None
