"""The scenario names (the contract) and what the page quotes, importable without loading the drill."""

from __future__ import annotations

SCENARIO_NAMES: tuple[str, ...] = ("app-instance", "az", "redis-primary", "db-primary", "upstream", "asis-db")

ASIS_OPERATOR_S = 60.0
"""In ``asis-db`` nothing restarts PostgreSQL: the drill does, this long after the kill (an operator's stand-in)."""
