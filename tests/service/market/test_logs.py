"""Market logs are one JSON object per line, with ``extra`` fields kept as keys."""

from __future__ import annotations

import json
import logging

from covaex_service.market.logs import JsonFormatter


def test_records_become_json_with_extra_fields() -> None:
    record = logging.LogRecord("covaex.market.gateway", logging.INFO, __file__, 1, "closed %s", ("x",), None)
    record.event = "ws_slow_client_closed"
    record.code = 4008
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "closed x"
    assert entry["level"] == "info" and entry["logger"] == "covaex.market.gateway"
    assert entry["event"] == "ws_slow_client_closed" and entry["code"] == 4008
    assert entry["ts"].endswith("+00:00")
