"""``covaex serve``'s stop, as systemd asks for it: SIGTERM to the main process, WebSocket clients connected."""

from __future__ import annotations

from pathlib import Path

import pytest
from covaex_service.market.gateway.protocol import CLOSE_GOING_AWAY

from tests.service import stop_in_netns


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
    assert "did not stop within" not in report.log, report.log
