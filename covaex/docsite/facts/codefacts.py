"""Reading the service's own code for its contract pages: docstrings, constants, comments.

Pages about the service quote it instead of restating it: a module's
docstring (reST roles turned into Markdown code), its UPPER_CASE constants
with the value Python computes and the docstring under them, and the header
comment of a browser module. Modules are imported by the caller (normal imports).
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from types import ModuleType
from typing import Any

from covaex.docsite.paths import REPO_ROOT
from covaex.docsite.sections import PendingInput

_ROLE = re.compile(r":(?:data|class|func|mod|meth|attr|exc|const):`~?\.?([^`]+)`")
_CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class Constant:
    name: str
    value: Any
    doc: str

    @property
    def shown(self) -> str:
        """The value as a reader would write it (Python repr; strings in double quotes)."""
        if isinstance(self.value, str):
            return f'"{self.value}"'
        return repr(self.value)


@dataclass(frozen=True)
class ModuleFacts:
    name: str
    path: str
    doc: str
    constants: dict[str, Constant]

    def get(self, name: str) -> Constant:
        """A constant by name; a missing one is a pending input, not a crash."""
        try:
            return self.constants[name]
        except KeyError:
            raise PendingInput(f"`{self.name}` has no constant `{name}` (yet)") from None


def rst_to_markdown(text: str) -> str:
    """Enough reST for docstrings: ``x`` and :role:`x` become `x`; the last dotted part of a role."""
    text = _ROLE.sub(lambda m: f"`{m.group(1).split('.')[-1]}`", text)
    return text.replace("``", "`")


def module_facts(module: ModuleType) -> ModuleFacts:
    """The docstring and documented UPPER_CASE constants of a module the caller imported normally."""
    name = module.__name__
    path = Path(inspect.getfile(module))
    docs = _attribute_docs(path)
    constants = {
        key: Constant(key, value, rst_to_markdown(docs.get(key, "")))
        for key, value in sorted(vars(module).items())
        if _CONSTANT.match(key)
        and isinstance(value, int | float | str | tuple | frozenset | dict)
        and not isinstance(value, bool)
    }
    rel = path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else path.name
    return ModuleFacts(name, rel, rst_to_markdown(inspect.getdoc(module) or ""), constants)


def function_doc(fn: Callable[..., Any]) -> str:
    return rst_to_markdown(inspect.getdoc(fn) or "")


def js_header(path: Path) -> str:
    """The leading ``//`` comment block of a browser module, as plain text."""
    if not path.is_file():
        raise PendingInput(f"`{path.relative_to(REPO_ROOT)}` does not exist yet")
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("//"):
            break
        lines.append(line[2:].strip())
    return "\n".join(lines).strip()


def _attribute_docs(path: Path) -> dict[str, str]:
    """Docstrings written as a string right under a module-level assignment."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs: dict[str, str] = {}
    for node, after in pairwise(tree.body):
        target = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target = node.targets[0].id
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target = node.target.id
        value = after.value if isinstance(after, ast.Expr) else None
        if target and isinstance(value, ast.Constant) and isinstance(value.value, str):
            docs[target] = inspect.cleandoc(value.value)
    return docs
