"""The public contract page lists every name the code defines."""

from __future__ import annotations

from collections.abc import Mapping

from covaex_service.market.gateway import handler
from covaex_service.openapi import openapi_document

from covaex.cli import build_parser


def test_every_openapi_path_cli_command_and_the_ws_path_are_on_the_page(rendered: Mapping[str, bytes]) -> None:
    page = rendered["contract.md"].decode()
    for path in openapi_document()["paths"]:
        assert f"`{path}`" in page, path
    for command in ("serve", "synth", "docs build", "docs check", "spof", "diagram"):
        assert f"`covaex {command}`" in page
    assert f"경로 `{handler.WS_PATH}`" in page
    assert "`COVAEX_PORT`" in page and "`COVAEX_REDIS_URL`" in page
    assert build_parser().prog == "covaex"
