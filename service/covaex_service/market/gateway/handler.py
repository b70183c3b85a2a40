"""The Sanic WebSocket handler: thin on purpose, every message goes to the worker's hub."""

from __future__ import annotations

import contextlib

from sanic import Request, Websocket
from websockets.exceptions import ConnectionClosed

from covaex_service.market.gateway.hub import ClientClosed

WS_PATH = "/ws/v1/market"


async def market_socket(request: Request, ws: Websocket) -> None:
    hub = request.app.ctx.market.hub
    session = hub.connect(ws)
    try:
        # Oversized frames close with 1009 inside the WebSocket layer (WEBSOCKET_MAX_SIZE).
        with contextlib.suppress(ConnectionClosed, ClientClosed):
            async for message in ws:
                if message is None or session.closed:
                    break
                await hub.handle(session, message)
    finally:
        await hub.disconnect(session)
