"""``covaex serve``'s stop, as systemd asks for it: SIGTERM to the main process, with clients or while starting."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from covaex_service.market.gateway.protocol import CLOSE_GOING_AWAY

from covaex.localserve import free_port, start_service, stop_service
from covaex.processes import children, environment
from tests.service import stop_in_netns
from tests.support.servers import RedisServer
from tests.support.wait import wait_until

HARD_EXIT = "did not stop within"
"""What server._WorkerWatch logs when the orderly stop hung and it ended the main process itself."""


def test_sigterm_closes_every_client_with_1001_and_the_service_ends_without_waiting_on_dns(tmp_path: Path) -> None:
    reason = stop_in_netns.can_run()
    if reason is not None:
        pytest.skip(reason)
    report = stop_in_netns.run(tmp_path)
    # Told "going away" by the service itself (a close frame, sent before it ended), with a reason.
    assert [client.close_code for client in report.clients] == [CLOSE_GOING_AWAY] * stop_in_netns.CLIENTS, report
    assert all(client.close_reason for client in report.clients), report
    # It ended by itself and in order: not stuck behind the feed's lookup (still unanswered), no hard exit.
    assert report.returncode == 0, report.log
    assert report.lookups_waiting > 0, "the feed's lookup was not waiting when the service ended"
    assert HARD_EXIT not in report.log, report.log


def test_sigterm_while_the_workers_start_ends_the_service_in_order(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (scripts/setup.sh installs it)")
    redis = RedisServer(tmp_path)
    redis.start()
    log_path = tmp_path / "serve.log"
    env = {
        **os.environ,
        "COVAEX_ENV": "dev",
        "COVAEX_DATABASE_URL": f"sqlite:///{tmp_path / 'covaex.db'}",
        "COVAEX_REDIS_URL": redis.url,
    }
    args = ["--workers", "2", "--feed", "simulator", "--host", "127.0.0.1", "--port", str(free_port())]
    process = start_service(args, env=env, log_path=log_path)
    try:
        # Both workers held (SIGSTOP) as soon as they exist: neither can have acked its start.
        workers = wait_until(lambda: _workers(process), within=60, what="both workers spawned")
        for pid in workers:
            os.kill(pid, signal.SIGSTOP)
        assert "Starting worker" not in log_path.read_text(), "a worker got further than its imports"
        process.send_signal(signal.SIGTERM)
        # The main process has sent each its SIGINT; let them take it (each ends before acking).
        wait_until(lambda: "Received signal SIGTERM" in log_path.read_text(), within=60, what="the stop under way")
        for pid in workers:
            os.kill(pid, signal.SIGCONT)
        returncode: int | None = None
        with contextlib.suppress(subprocess.TimeoutExpired):  # a ceiling: it ends at once unless the stop hangs
            returncode = process.wait(timeout=60)
    finally:
        stop_service(process)
        redis.stop()
    log = log_path.read_text()
    assert returncode == 0, log
    # Sanic's wait for the acks let the stop through: the main process ended by itself, no hard exit.
    assert HARD_EXIT not in log, log


def _workers(process: subprocess.Popen[bytes]) -> list[int]:
    assert process.poll() is None, f"covaex serve exited with {process.returncode}"
    found = [pid for pid in children(process.pid) if environment(pid).get("SANIC_WORKER_NAME", "").endswith(
        tuple(f"Server-{n}-0" for n in range(2)))]  # fmt: skip
    return found if len(found) == 2 else []
