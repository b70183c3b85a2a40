"""A PING flooder for the abuse suite, run as its own process so it does not share the sampler's CPU time.

Each of ``--sockets`` connections upgrades, sends PING frames as fast as the
socket takes them, never reads, and reconnects whenever it is cut. Prints how
many times the server cut a connection, and how many connections were still
flooding when the time was up (a bounded server leaves none).

    python tests/abuse/flooder.py --port 8000 --seconds 8 --sockets 4
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import time

PING = bytes([0x89, 0x80, 0, 0, 0, 0])
"""FIN + PING, masked with an all-zero key, empty payload: 6 bytes."""


async def flood(port: int, seconds: float) -> tuple[int, int]:
    cuts = held = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        writer = None
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            key = base64.b64encode(os.urandom(16)).decode()
            writer.write(
                f"GET /ws/v1/market HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
            )
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            if not head.startswith(b"HTTP/1.1 101"):
                await asyncio.sleep(0.2)  # refused before the upgrade: try again shortly
                continue
            while time.monotonic() < deadline:
                writer.write(PING * 10_000)
                await asyncio.wait_for(writer.drain(), 2)
            held += 1
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            cuts += 1
        finally:
            if writer is not None:
                with contextlib.suppress(Exception):
                    writer.transport.abort()
    return cuts, held


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--sockets", type=int, default=4)
    args = parser.parse_args()
    results = await asyncio.gather(*(flood(args.port, args.seconds) for _ in range(args.sockets)))
    print(sum(cuts for cuts, _ in results), sum(held for _, held in results))


if __name__ == "__main__":
    asyncio.run(main())
