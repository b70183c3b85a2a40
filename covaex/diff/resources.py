"""Resource-level diff of two Terraform JSON documents, on the raw JSON.

    resource_diff(before, after) -> ResourceDiff(added, removed, changed, renamed)

Addresses are ``<type>.<name>`` (``data.<type>.<name>`` for data sources, as
Terraform writes them). cdktf's ``//`` metadata is ignored: moving a construct
in the tree changes it, the deployed resource not. A changed attribute is a
dotted path (``ingress.0.cidr_blocks``): objects are walked key by key, lists
of objects of equal length item by item; any other list is one attribute, so
inserting a subnet in a list names the list rather than every index after it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from covaex.topology.tfjson import iter_resources


@dataclass(frozen=True)
class ResourceDiff:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[tuple[str, tuple[str, ...]], ...]  # (address, dotted attribute paths)
    # (old, new) pairs among removed/added with identical configuration: a rename, which
    # Terraform plans as destroy + create unless a `moved` block says otherwise.
    renamed: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def resource_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> ResourceDiff:
    old = {r.address: r.config for r in iter_resources(before)}
    new = {r.address: r.config for r in iter_resources(after)}
    added = tuple(sorted(new.keys() - old.keys()))
    removed = tuple(sorted(old.keys() - new.keys()))
    changed = []
    for address in sorted(old.keys() & new.keys()):
        paths = tuple(sorted(set(attribute_paths(old[address], new[address]))))
        if paths:
            changed.append((address, paths))
    return ResourceDiff(added, removed, tuple(changed), _renames(removed, added, old, new))


def attribute_paths(before: Any, after: Any, prefix: str = "") -> Iterator[str]:
    """Dotted paths of the attributes that differ between two configurations."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(before.keys() | after.keys(), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in before or key not in after:
                yield path
            else:
                yield from attribute_paths(before[key], after[key], path)
    elif _objects(before) and _objects(after) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            yield from attribute_paths(b, a, f"{prefix}.{i}" if prefix else str(i))
    elif before != after:
        yield prefix or "(configuration)"


def _objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, Mapping) for v in value)


def _type(address: str) -> str:
    return address.rsplit(".", 1)[0]


def _renames(
    removed: tuple[str, ...], added: tuple[str, ...], old: Mapping[str, Any], new: Mapping[str, Any]
) -> tuple[tuple[str, str], ...]:
    pairs = []
    taken: set[str] = set()
    for gone in removed:
        match = next((a for a in added if a not in taken and _type(a) == _type(gone) and new[a] == old[gone]), None)
        if match is not None:
            taken.add(match)
            pairs.append((gone, match))
    return tuple(pairs)
