"""The Sanic WebSocket handler: thin on purpose, every message goes to the worker's hub."""

from __future__ import annotations

from sanic import Request, Websocket

from covaex_service.market.gateway.guard import GuardedWebSocketProtocol, client_address
from covaex_service.market.gateway.protocol import CLOSE_POLICY_VIOLATION, SEND_BUFFER_HIGH_WATER

WS_PATH = "/ws/v1/market"


async def market_socket(request: Request, ws: Websocket) -> None:
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
    connection = ws.io_proto
    # The hub writes through the guarded protocol; covaex_service.server serves with it.
    assert isinstance(connection, GuardedWebSocketProtocol), "serve with protocol=GuardedWebSocketProtocol"
    session = hub.connect(connection)
    connection.deliver_messages_to(lambda message: hub.handle(session, message))
    try:
        # Messages reach the hub from the protocol (guard.py); this task only waits for the end.
        # Oversized frames close with 1009 inside the WebSocket layer (WEBSOCKET_MAX_SIZE).
        await ws.wait_for_connection_lost()
    finally:
        area.addresses.release(address)
        hub.disconnect(session)
