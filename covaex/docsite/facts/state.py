"""EPIC 2 Terraform skeleton pages: the state backend and the repository layout."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covaex.docsite.facts.stackfacts import readable
from covaex.docsite.inputs import Inputs
from covaex.docsite.paths import REPO_ROOT
from covaex.docsite.sections import PendingInput

INFRA_PACKAGE = REPO_ROOT / "cdktf" / "infraforge"
STATE_TYPES = (
    "aws_s3_bucket",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_ownership_controls",
    "aws_dynamodb_table",
    "aws_kms_key",
)


def state_backend(inputs: Inputs) -> dict[str, Any]:
    """Each stack's backend block, and the resources of the stack that creates the backend."""
    backends: list[dict[str, Any]] = []
    for name, doc in sorted(inputs.stacks.items()):
        found = doc.backend
        if found is None:
            backends.append({"stack": name, "kind": "local", "settings": []})
            continue
        kind, cfg = found
        backends.append({"stack": name, "kind": kind, "settings": [(k, readable(v)) for k, v in sorted(cfg.items())]})
    if not backends:
        raise PendingInput("no stack is synthesized yet")
    bootstrap = []
    for name, doc in sorted(inputs.stacks.items()):
        if not any(doc.count(t) for t in ("aws_s3_bucket", "aws_dynamodb_table")) or name.startswith(
            ("tobe", "platform")
        ):
            continue
        for type_ in STATE_TYPES:
            for res in doc.resources(type_):
                bootstrap.append({"stack": name, "address": res.address, "settings": _flat(res.config)})
    return {"backends": backends, "bootstrap": bootstrap}


def _flat(config: Any) -> list[tuple[str, str]]:
    return [(k, readable(v)) for k, v in sorted(config.items()) if not k.startswith("//") and k not in ("tags",)]


@dataclass(frozen=True)
class Module:
    path: str
    summary: str


def repo_layout(inputs: Inputs) -> dict[str, Any]:
    """The infrastructure package tree with each module's docstring summary, and the stacks it makes."""
    modules = []
    for path in sorted(INFRA_PACKAGE.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        modules.append(Module(path.relative_to(REPO_ROOT).as_posix(), _summary(path)))
    if not modules:
        raise PendingInput("cdktf/infraforge/ has no modules yet")
    stacks = [
        {"stack": name, "resources": sum(1 for _ in doc.all_resources()), "types": len(doc.resource_types)}
        for name, doc in sorted(inputs.stacks.items())
    ]
    return {"modules": modules, "stacks": stacks}


def _summary(path: Path) -> str:
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    except SyntaxError:
        return "(does not parse)"
    return (doc or "").strip().split("\n\n")[0].replace("\n", " ")
