"""The baselines the project is measured against, one small server each (run by the benchmark scripts).

* ``hello``   — Sanic hello-world returning a fixed body of ``--bytes`` bytes
  (the size of the project's main page), the ceiling for any Sanic page;
* ``ws-idle`` — the ``websockets`` library's own server that answers a
  subscribe like the gateway and then holds the connection: what the library
  needs per connection;
* ``relay``   — a ``websockets.broadcast()`` relay reading the same Redis
  update channel as the gateway and sending each message to every client.

Run: ``python benchmarks/baselines.py KIND --port P [--bytes N] [--redis-url URL --channel C]``
"""

from __future__ import annotations

import argparse
import asyncio
import json

import harness
import uvloop


def serve_hello(port: int, size: int) -> None:
    from sanic import Request, Sanic
    from sanic.response import HTTPResponse, raw

    app = Sanic("hello45k")
    body = b"<!doctype html>" + b"x" * max(0, size - 15)

    @app.get("/")
    async def hello(request: Request) -> HTTPResponse:
        return raw(body, content_type="text/html; charset=utf-8")

    app.run(host="127.0.0.1", port=port, single_process=True, access_log=False, motd=False)


SUBSCRIBED = json.dumps({"type": "subscribed", "id": 1, "symbols": []})
SNAPSHOT = json.dumps({"type": "snapshot", "data": []})
"""A subscribe is answered like the gateway does: an ack, then a snapshot (clients wait for both)."""


async def serve_ws_idle(port: int) -> None:
    from websockets.asyncio.server import ServerConnection, serve

    async def handler(ws: ServerConnection) -> None:
        async for _message in ws:
            await ws.send(SUBSCRIBED)
            await ws.send(SNAPSHOT)

    async with serve(handler, "127.0.0.1", port, ping_interval=None, compression=None):
        print("ready", flush=True)
        await asyncio.Event().wait()


async def serve_relay(port: int, redis_url: str, channel: str) -> None:
    """Every message on the Redis channel goes to every subscribed client as one ``update`` frame."""
    from redis.asyncio import Redis
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    subscribers: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        try:
            async for _message in ws:
                subscribers.add(ws)
                await ws.send(SUBSCRIBED)
                await ws.send(SNAPSHOT)
        finally:
            subscribers.discard(ws)

    redis = Redis.from_url(redis_url)
    pubsub = redis.pubsub()
    await pubsub.subscribe(channel)
    async with serve(handler, "127.0.0.1", port, ping_interval=None, compression=None, max_queue=None):
        print("ready", flush=True)
        seq = 0
        async for message in pubsub.listen():
            if message["type"] != "message":
                continue
            doc = json.loads(message["data"])
            seq += 1
            update = {"type": "update", "seq": seq, "source": doc["source"], "data": doc["markets"]}
            frame = json.dumps(update, separators=(",", ":"))
            broadcast(subscribers, frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["hello", "ws-idle", "relay"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bytes", type=int, default=45 * 1024)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--channel", default="covaex:v1:updates")
    args = parser.parse_args()
    harness.open_files_limit_raised()
    if args.kind == "hello":
        serve_hello(args.port, args.bytes)
    elif args.kind == "ws-idle":
        uvloop.run(serve_ws_idle(args.port))
    else:
        uvloop.run(serve_relay(args.port, args.redis_url, args.channel))


if __name__ == "__main__":
    main()
