"""Ports for the servers a run starts: never from the kernel's ephemeral range, never twice."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from covaex import localserve
from covaex.localserve import free_port


def test_ports_come_from_below_the_ephemeral_range_and_are_bindable() -> None:
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports), "a port was handed out twice"
    assert all(localserve.LISTEN_PORTS_FLOOR <= port < low for port in ports), ports
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[-1]))


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_a_port_in_use_is_never_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    busy = next(port for port in iter(free_port, None) if _bindable(port + 1))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", busy))
        taken.listen()
        # Two candidates only: the busy port and the one after it.
        monkeypatch.setattr(localserve, "LISTEN_PORTS_FLOOR", busy)
        monkeypatch.setattr(localserve, "_ephemeral_low", lambda: busy + 2)
        monkeypatch.setattr(localserve, "_handed_out", set())
        assert [free_port()] == [busy + 1]
        with pytest.raises(OSError, match="no free port"):
            free_port()  # busy + 1 was handed out already, busy is taken


def test_no_room_below_the_range_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(localserve, "_ephemeral_low", lambda: localserve.LISTEN_PORTS_FLOOR)
    with pytest.raises(OSError, match="no room for servers below it"):
        free_port()
