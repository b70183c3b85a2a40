"""The ``covaex`` command line as a user meets it: a real subprocess each time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COVAEX = [sys.executable, "-m", "covaex.cli"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COVAEX, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_help_lists_the_six_subcommands() -> None:
    proc = run("--help")
    assert proc.returncode == 0
    for name in ("serve", "synth", "docs", "spof", "diagram", "diff"):
        assert name in proc.stdout
    docs = run("docs", "--help")
    assert "build" in docs.stdout and "check" in docs.stdout


@pytest.mark.parametrize("sub", ["serve", "synth", "docs", "spof", "diagram", "diff", "docs build", "docs check"])
def test_every_subcommand_has_help(sub: str) -> None:
    proc = run(*sub.split(), "--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: covaex")


@pytest.mark.parametrize("argv", [["--bogus"], ["serve", "--port", "abc"], ["nope"], ["spof"]])
def test_usage_errors_are_one_line_and_exit_2(argv: list[str]) -> None:
    proc = run(*argv)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("covaex") and "error" in lines[0]
    assert "Traceback" not in proc.stderr


def test_bad_setting_is_one_clear_line() -> None:
    proc = run("serve", env={"COVAEX_FEED": "nasdaq"})
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("covaex: error: COVAEX_FEED must be one of binance, simulator, auto, got 'nasdaq'")


def test_several_workers_without_redis_are_refused() -> None:
    proc = run("serve", "--workers", "2", env={"COVAEX_REDIS_URL": ""})
    assert proc.returncode == 1
    assert "COVAEX_REDIS_URL" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_libraries_are_not_shadowed_by_top_level_folders() -> None:
    code = "import cdktf, diagrams; print(cdktf.__file__); print(diagrams.__file__)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    for line in proc.stdout.splitlines():
        assert "site-packages" in line, line


def test_libraries_are_not_shadowed_inside_pytest() -> None:
    import cdktf
    import diagrams

    assert "site-packages" in str(cdktf.__file__)
    assert "site-packages" in str(diagrams.__file__)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("postgresql://nobody@127.0.0.1:1/covaex", "cannot connect to PostgreSQL"),
        ("sqlite:////proc/no-such-dir/covaex.db", "cannot open the database"),
    ],
)
def test_unreachable_database_stops_serve_with_one_line(url: str, fragment: str) -> None:
    proc = run("serve", "--port", "8199", "--feed", "simulator", env={"COVAEX_DATABASE_URL": url})
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], proc.stderr


def test_busy_port_stops_serve_with_one_line() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = run("serve", "--port", str(port), "--feed", "simulator")
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"covaex: error: cannot listen on 127.0.0.1:{port}: Address already in use"


def test_a_reader_that_goes_away_is_not_an_error() -> None:
    proc = subprocess.Popen(
        # Far more than a pipe buffer holds, so the write really meets the closed pipe.
        [*COVAEX, "spof", *["diagrams/asis.yaml"] * 60, "--format", "json"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(1)
    proc.stdout.close()  # like `| head -c 1`
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "error" not in stderr and "Traceback" not in stderr
