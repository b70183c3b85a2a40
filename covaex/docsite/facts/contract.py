"""The public contract page: CLI, environment, HTTP, WebSocket and UI hooks, read from the code.

Every name on the page comes from the object that defines it: the CLI from
``covaex.cli.build_parser()``, the environment from what
``covaex_service.settings.load_settings`` reads, HTTP from the service's
OpenAPI document, the WebSocket from the gateway's protocol module, the UI
hooks from the page template. Renaming any of them changes this page.
"""

from __future__ import annotations

import argparse
import inspect
import re
from typing import Any

from covaex_service import settings as service_settings
from covaex_service.market.gateway import handler, protocol
from covaex_service.openapi import openapi_document

from covaex.docsite.facts.codefacts import module_facts
from covaex.docsite.facts.service import ui
from covaex.docsite.inputs import Inputs

_ENV_READ = re.compile(r'get\("([A-Z_]+)"\)')
_HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def contract(inputs: Inputs) -> dict[str, Any]:
    return {
        "cli": cli_commands(),
        "env": environment_variables(),
        "http": http_operations(),
        "ws": {"path": handler.WS_PATH, "constants": list(module_facts(protocol).constants.values())},
        "hooks": ui(inputs)["hooks"],
    }


def cli_commands() -> list[dict[str, Any]]:
    """Every ``covaex`` command (nested sub-commands included) with its options and help."""
    from covaex.cli import build_parser

    out: list[dict[str, Any]] = []

    def walk(parser: argparse.ArgumentParser, words: list[str]) -> None:
        for action in parser._actions:  # argparse keeps no public list of a parser's arguments
            if isinstance(action, argparse._SubParsersAction):
                helps = {a.dest: a.help for a in action._choices_actions}
                for name, sub in action.choices.items():
                    out.append({"command": " ".join([*words, name]), "help": helps.get(name) or "", "options": []})
                    walk(sub, [*words, name])
            elif words and not isinstance(action, argparse._HelpAction):
                flags = ", ".join(action.option_strings) or (action.metavar or action.dest)
                out[-1]["options"].append((str(flags), action.help or ""))

    walk(build_parser(), ["covaex"])
    return out


def environment_variables() -> list[dict[str, str]]:
    """``COVAEX_*`` variables ``load_settings`` reads, with the default of the matching field."""
    names = sorted(set(_ENV_READ.findall(inspect.getsource(service_settings.load_settings))))
    defaults = service_settings.Settings()
    out = []
    for name in names:
        field = name.lower()
        default = getattr(defaults, field, None) if field != "secret_key" else "generated per process in dev"
        shown = ", ".join(default) if isinstance(default, tuple) else "" if default is None else str(default)
        out.append({"name": f"COVAEX_{name}", "default": shown})
    return out


def http_operations() -> list[dict[str, Any]]:
    """Every path and method of the service's OpenAPI document with its summary and statuses."""
    doc = openapi_document()
    out = []
    for path, item in sorted(doc["paths"].items()):
        for method in _HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary") or op.get("description") or "",
                    "statuses": sorted(str(s) for s in (op.get("responses") or {})),
                }
            )
    return out
