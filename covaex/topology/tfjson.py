"""The one reader of synthesized Terraform JSON: typed stacks, resources, references, unions.

Everything that reads ``cdk.tf.json`` (the topology model, SPOF rules,
diagrams, every docs fact module, ``covaex diff``) goes through here:

* ``load_stack(name, path) -> TerraformDoc``: one synthesized stack, typed;
* ``TerraformDoc.resources(type)``, ``.by_address``, ``.refs(value)``;
  ``Resource.get``, ``.flag`` (booleans that may arrive as ``"false"``), ``.tags``;
* ``union_stacks(name, docs) -> TerraformDoc``: the stacks of one environment
  as one document. A later stack's data sources that look up an earlier
  stack's resources (``data.aws_security_group.db`` by name, the VPC and
  subnets by tags) are resolved to those resources, so cross-stack rules
  and paths are visible; colliding addresses are renamed with the stack's
  suffix. ``origin`` maps each address to the stack that declares it.

Below that, pure helpers over the raw document. cdktf emits JSON
without ``count``/``for_each`` expansion: every resource is
``{"resource": {TYPE: {NAME: CONFIG}}}`` and every reference is a token string
such as ``"${aws_subnet.public_a.id}"``. Keys starting with ``//`` are cdktf
metadata and are dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from covaex.errors import CliError

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


JsonObject = Mapping[str, Any]


@dataclass(frozen=True)
class Resource:
    """One resource block: its type, name and the configuration as synthesized (metadata kept)."""

    type: str
    name: str
    config: JsonObject
    is_data: bool = False

    @property
    def address(self) -> str:
        return f"data.{self.type}.{self.name}" if self.is_data else f"{self.type}.{self.name}"

    def get(self, key: str, default: Any = None) -> Any:
        return self.config.get(key, default)

    def flag(self, key: str, default: bool = False) -> bool:
        """A boolean setting; ``"false"``/``"true"`` strings (as cdktf may write them) read as booleans."""
        return as_bool(self.config.get(key), default)

    @property
    def tags(self) -> dict[str, str]:
        tags = self.config.get("tags") or {}
        return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {}


@dataclass(frozen=True)
class TerraformDoc:
    """A synthesized stack (or the union of an environment's stacks): ``stack`` is its name, ``raw`` the JSON.

    ``origin`` maps an address to the stack declaring it when the document is a union.
    """

    stack: str
    raw: JsonObject
    origin: Mapping[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def load(cls, stack: str, path: Path) -> TerraformDoc:
        return load_stack(stack, path)

    def resources(self, type_: str) -> list[Resource]:
        """Resources of one type, sorted by name so pages are reproducible."""
        found = (self.raw.get("resource") or {}).get(type_) or {}
        return [Resource(type_, name, cfg) for name, cfg in sorted(found.items())]

    def data_sources(self, type_: str) -> list[Resource]:
        found = (self.raw.get("data") or {}).get(type_) or {}
        return [Resource(type_, name, cfg, is_data=True) for name, cfg in sorted(found.items())]

    def all_resources(self) -> Iterator[Resource]:
        for type_ in sorted((self.raw.get("resource") or {}).keys()):
            yield from self.resources(type_)

    def all_data_sources(self) -> Iterator[Resource]:
        for type_ in sorted((self.raw.get("data") or {}).keys()):
            yield from self.data_sources(type_)

    def by_address(self, address: str) -> Resource | None:
        is_data = address.startswith("data.")
        type_, _, name = address.removeprefix("data.").partition(".")
        cfg = ((self.raw.get("data" if is_data else "resource") or {}).get(type_) or {}).get(name)
        return Resource(type_, name, cfg, is_data) if cfg is not None else None

    def count(self, type_: str) -> int:
        return len((self.raw.get("resource") or {}).get(type_) or {})

    @cached_property
    def addresses(self) -> frozenset[str]:
        """Every resource and data source address (``data.`` prefixed), computed once."""
        found = {f"{t}.{n}" for t, by_name in (self.raw.get("resource") or {}).items() for n in by_name}
        found |= {f"data.{t}.{n}" for t, by_name in (self.raw.get("data") or {}).items() for n in by_name}
        return frozenset(found)

    def refs(self, value: Any) -> list[str]:
        """Addresses of this document's resources and data sources referenced anywhere in ``value``, sorted."""
        return sorted(references(value, self.addresses))

    def stack_of(self, address: str) -> str:
        return self.origin.get(address, self.stack)

    @property
    def resource_types(self) -> list[str]:
        return sorted((self.raw.get("resource") or {}).keys())

    @property
    def outputs(self) -> dict[str, JsonObject]:
        """``output`` blocks by name (value, description, sensitive)."""
        return {str(k): v for k, v in sorted((self.raw.get("output") or {}).items()) if isinstance(v, Mapping)}

    @property
    def variables(self) -> list[str]:
        return sorted((self.raw.get("variable") or {}).keys())

    @property
    def required_providers(self) -> dict[str, JsonObject]:
        """``terraform.required_providers``: local name -> ``{source, version}``."""
        found = (self.raw.get("terraform") or {}).get("required_providers") or {}
        return {str(k): v for k, v in sorted(found.items()) if isinstance(v, Mapping)}

    @property
    def provider_configs(self) -> list[tuple[str, JsonObject]]:
        """``provider`` blocks as ``(name, settings)``, aliases included."""
        return [
            (str(name), cfg)
            for name, cfgs in sorted((self.raw.get("provider") or {}).items())
            for cfg in (cfgs if isinstance(cfgs, list) else [cfgs])
            if isinstance(cfg, Mapping)
        ]

    @property
    def backend(self) -> tuple[str, JsonObject] | None:
        """The state backend block, as ``(kind, settings)``, if the stack declares one."""
        backend = (self.raw.get("terraform") or {}).get("backend") or {}
        for kind, settings in sorted(backend.items()):
            return str(kind), settings
        return None


class ReaderError(CliError):
    """A synthesized file that cannot be read as Terraform JSON; the message names the file."""


def read_text(path: Path, *, expected: str) -> str:
    """A definition file's text (``expected`` says what it should be); ReaderError naming the file otherwise."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReaderError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ReaderError(f"{path}: is a directory, expected {expected}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReaderError(f"{path}: cannot read: {exc}") from None


def read_json(path: Path) -> dict[str, Any]:
    """The parsed JSON object of a Terraform JSON file: the one place such a file is read and parsed.

    ReaderError naming the file (and line and column of bad JSON) on bad input.
    """
    text = read_text(path, expected="a *.tf.json file")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReaderError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(doc, dict):
        raise ReaderError(f"{path}: expected a JSON object at the top level, got {type(doc).__name__}")
    return doc


def load_stack(stack: str, path: Path) -> TerraformDoc:
    """One synthesized stack from ``cdk.tf.json``; ReaderError naming the file on bad input."""
    return TerraformDoc(stack, read_json(path))


# -- the union of an environment's stacks -------------------------------------------------------

_TOKEN_ADDRESS = re.compile(r"(?<![\w.])((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][\w-]*)")


def union_stacks(name: str, docs: Sequence[TerraformDoc]) -> TerraformDoc:
    """The stacks of one environment as one document, earlier stacks first (v1, then Platform v2).

    A data source of a later stack that finds a resource of an earlier one
    (``lookup_target``) is replaced by that resource in every reference.
    """
    merged: dict[str, dict[str, dict[str, Any]]] = {"resource": {}, "data": {}}
    origin: dict[str, str] = {}
    for doc in docs:
        rename: dict[str, str] = {}
        for data in doc.all_data_sources():
            target = _lookup_target(data, merged["resource"])
            if target:
                rename[data.address] = target
        suffix = doc.stack.rsplit("-", 2)[0].replace("-", "_")
        for section in ("resource", "data"):
            for type_, by_name in (doc.raw.get(section) or {}).items():
                for res_name in by_name:
                    address = f"data.{type_}.{res_name}" if section == "data" else f"{type_}.{res_name}"
                    if address in rename:
                        continue
                    taken = merged[section].get(type_, {})
                    if res_name in taken:
                        new = f"{res_name}_{suffix}"
                        rename[address] = f"data.{type_}.{new}" if section == "data" else f"{type_}.{new}"
        for section in ("resource", "data"):
            for type_, by_name in (doc.raw.get(section) or {}).items():
                for res_name, cfg in by_name.items():
                    address = f"data.{type_}.{res_name}" if section == "data" else f"{type_}.{res_name}"
                    final = rename.get(address, address)
                    if section == "data" and not final.startswith("data."):
                        continue  # a lookup resolved to the earlier stack's resource: that one stands for it
                    merged[section].setdefault(type_, {})[final.rsplit(".", 1)[1]] = _rewrite(cfg, rename)
                    origin[final] = doc.stack
    return TerraformDoc(name, merged, origin)


def _rewrite(value: Any, rename: Mapping[str, str]) -> Any:
    """``value`` with every token reference in ``rename`` pointed at its new address."""
    if not rename:
        return value
    if isinstance(value, str) and "${" in value:

        def token(match: re.Match[str]) -> str:
            inner = _TOKEN_ADDRESS.sub(lambda m: rename.get(m.group(1), m.group(1)), match.group(1))
            return "${" + inner + "}"

        return _TOKEN.sub(token, value)
    if isinstance(value, Mapping):
        return {k: _rewrite(v, rename) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, rename) for v in value]
    return value


def _lookup_target(data: Resource, resources: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The earlier stack's resource a data source finds, by the attributes the lookup filters on."""
    wanted = _lookup_filters(data)
    if not wanted:
        return None
    matches = [
        f"{data.type}.{name}"
        for name, cfg in (resources.get(data.type) or {}).items()
        if all(_attribute(cfg, key) == value for key, value in wanted.items())
    ]
    return matches[0] if len(matches) == 1 else None


def _lookup_filters(data: Resource) -> dict[str, str]:
    """``{attribute: literal value}`` a data source selects on (``name``, ``tag:Tier``, ``availability_zone``)."""
    wanted: dict[str, str] = {}
    for key in ("name", "availability_zone", "cidr_block"):
        if (value := literal(data.get(key))) is not None:
            wanted[key] = value
    for key, value in (data.get("tags") or {}).items():
        if (lit := literal(value)) is not None:
            wanted[f"tag:{key}"] = lit
    for flt in blocks(data.get("filter")):
        values = [v for v in as_list(flt.get("values")) if literal(v) is not None]
        if len(values) == 1 and (field_name := literal(flt.get("name"))):
            wanted[field_name] = str(values[0])
    return wanted


def _attribute(config: Mapping[str, Any], key: str) -> str | None:
    if key.startswith("tag:"):
        tags = config.get("tags")
        return literal(tags.get(key[4:])) if isinstance(tags, Mapping) else None
    return literal(config.get(key))
