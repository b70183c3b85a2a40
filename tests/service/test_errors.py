"""The one mapping from exceptions to JSON error bodies, and the one registry of their codes.

Code review of issue 16: three places built ``{"error": ...}`` bodies although errors.py
promised one mapping. That rule is ruff's banned-api (``TID251``); the codes are the
registry's (``covaex_service.error_codes``), held by the types ``mypy --strict`` checks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from covaex_service.error_codes import CODES, REST_CODES, WEBSOCKET_CODES
from covaex_service.errors import ApiError, TooManyRequests, error_response
from covaex_service.market.gateway.protocol import ERROR_CODES
from mypy import api as mypy_api
from sanic import exceptions as sanic_errors

REPO_ROOT = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).with_name("ruff")


def _subclasses(cls: type[ApiError]) -> list[type[ApiError]]:
    return [cls, *(sub for direct in cls.__subclasses__() for sub in _subclasses(direct))]


def _body(exc: BaseException) -> dict[str, str]:
    response = error_response(exc)
    body = json.loads(response.body or b"")
    assert list(body) == ["error"] and sorted(body["error"]) == ["code", "message"], body
    return dict(body["error"])


def test_every_api_error_answers_with_a_registered_code() -> None:
    classes = _subclasses(ApiError)
    assert len(classes) >= 9
    for cls in classes:
        body = _body(cls("why"))
        assert body == {"code": cls.code, "message": "why"}
        assert cls.code in REST_CODES, cls


def test_sanics_own_errors_and_bugs_answer_with_registered_codes() -> None:
    answers = {
        sanic_errors.NotFound("no route"): "not_found",
        sanic_errors.MethodNotAllowed("no", "PATCH", ["GET"]): "method_not_allowed",
        sanic_errors.PayloadTooLarge("too big"): "payload_too_large",
        sanic_errors.BadRequest("bad"): "invalid_request",
        RuntimeError("a bug"): "internal",
    }
    for exc, code in answers.items():
        assert _body(exc)["code"] == code
        assert code in REST_CODES
    assert "a bug" not in _body(RuntimeError("a bug"))["message"]  # a bug's text stays in the log


def test_the_registry_is_every_code_and_each_websocket_code_has_its_meaning() -> None:
    assert CODES == REST_CODES | WEBSOCKET_CODES
    assert set(ERROR_CODES) == WEBSOCKET_CODES  # the docs page lists each frame code with its meaning
    assert all(meaning.strip() for meaning in ERROR_CODES.values())


def test_an_unregistered_code_is_refused_by_the_type_check(tmp_path: Path) -> None:
    """mypy --strict (a gate of ``make test``) is what holds every raised code to the registry."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        textwrap.dedent(
            """
            from covaex_service.errors import Conflict
            from covaex_service.market.gateway.protocol import ProtocolError

            Conflict("taken", code="username_taken")
            ProtocolError("too_many_symbols", "at most 50")
            Conflict("taken", code="name_taken")
            ProtocolError("watchlist_full", "a REST code on the socket")
            """
        )
    )
    stdout, _, status = mypy_api.run(
        [
            "--strict",
            "--follow-imports=silent",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            "--config-file",
            str(REPO_ROOT / "pyproject.toml"),
            str(probe),
        ]
    )
    assert status == 1, stdout
    refused = [line for line in stdout.splitlines() if ": error:" in line]
    assert [line.split(":")[1] for line in refused] == ["7", "8"], stdout
    assert "'name_taken'" in refused[0] and "'watchlist_full'" in refused[1]


@pytest.mark.parametrize(
    "source",
    [
        "from covaex_service.errors import error_body\n",
        "from covaex_service import errors\nerrors.error_body('internal', 'x')\n",
    ],
)
def test_only_errors_py_may_shape_an_error_body(source: str) -> None:
    """The rule is ruff's banned-api on ``error_body``: an import or a call anywhere else fails ``ruff check``."""
    result = subprocess.run(
        [str(RUFF), "check", "--no-cache", "--stdin-filename", "service/covaex_service/accounts/new_area.py", "-"],
        input=source,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "TID251" in result.stdout, result.stdout + result.stderr


def test_a_wait_travels_as_retry_after() -> None:
    response = error_response(TooManyRequests("slow down", retry_after_s=7))
    assert response.status == 429 and response.headers["Retry-After"] == "7"
    assert b'"code":"rate_limited"' in (response.body or b"")
