"""The gateway writes update frames itself: byte for byte what ``websockets`` would have written."""

from __future__ import annotations

import pytest
from covaex_service.market.gateway.guard import text_frame
from websockets.frames import Frame, Opcode


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65_535, 65_536, 70_000])
def test_a_text_frame_is_what_websockets_serializes(size: int) -> None:
    payload = ("é" * size).encode()[:size]
    assert text_frame(payload) == Frame(Opcode.TEXT, payload).serialize(mask=False, extensions=[])
