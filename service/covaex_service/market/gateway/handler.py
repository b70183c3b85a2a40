"""The WebSocket route: the upgrade, then the connection handed to the worker's hub; it returns at once.

It is a plain route that answers the upgrade itself (``websocket_handshake``
of the guarded protocol), not Sanic's ``add_websocket_route``: Sanic runs such
a handler in a task of its own and closes the socket when it returns, so the
handler would have to wait, in that task and in Sanic's connection task,
for the whole life of the connection, holding the upgrade request. Here the
hub owns the connection from the handshake on
(:meth:`~.guard.GuardedWebSocketProtocol.hand_over`) and both tasks end
(issue 26: about 7 KiB less per connection).
"""

from __future__ import annotations

import asyncio
import contextvars

from sanic import Request

from covaex_service.market.gateway.guard import GuardedWebSocketProtocol, client_address
from covaex_service.market.gateway.protocol import CLOSE_POLICY_VIOLATION, SEND_BUFFER_HIGH_WATER

WS_PATH = "/ws/v1/market"


async def market_socket(request: Request) -> None:
    connection = request.transport.get_protocol()
    # The hub writes through the guarded protocol; covaex_service.server serves with it.
    assert isinstance(connection, GuardedWebSocketProtocol), "serve with protocol=GuardedWebSocketProtocol"
    # Refused with Sanic's own 4xx when the request is no upgrade (websockets' ServerProtocol.accept).
    # In an empty context: the handshake starts Sanic's auto-closer task, which lives as long as the
    # connection and would otherwise keep a copy of this task's context, and in it the request.
    handshake = connection.websocket_handshake(request)
    ws = await asyncio.get_running_loop().create_task(handshake, context=contextvars.Context())
    area = request.app.ctx.market
    address = client_address(request)
    # The upgrade was checked (guard.check_upgrade); this catches the race of parallel upgrades.
    if not area.addresses.acquire(address):
        await ws.close(CLOSE_POLICY_VIOLATION, "too many connections from your address")
        return
    hub = area.hub
    # Sanic types the transport loosely; the real one (uvloop's or asyncio's TCP transport) has the method.
    set_limits = getattr(request.transport, "set_write_buffer_limits", None)
    if set_limits is not None:
        set_limits(high=SEND_BUFFER_HIGH_WATER)
    session = hub.connect(connection)

    def lost() -> None:
        area.addresses.release(address)
        hub.disconnect(session)

    # Messages reach the hub from the protocol (guard.py), the end through ``lost``.
    # Oversized frames close with 1009 inside the WebSocket layer (WEBSOCKET_MAX_SIZE).
    connection.hand_over(address, lambda message: hub.handle(session, message), lost)


market_socket.is_websocket = True  # type: ignore[attr-defined]
"""Tells Sanic's request handling that no HTTP response follows (the 101 was the answer)."""
