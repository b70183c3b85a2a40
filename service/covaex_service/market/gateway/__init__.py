"""The WebSocket gateway ``/ws/v1/market``: protocol (:mod:`.protocol`), fan-out hub (:mod:`.hub`), handler."""
