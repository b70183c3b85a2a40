"""A server's process tree and its memory: :mod:`covaex.processes` (psutil), named here for the tests."""

from __future__ import annotations

from covaex.processes import children, rss_bytes, tree

__all__ = ["children", "rss_bytes", "tree"]
