"""The scenario names (the contract), importable by the CLI without loading the drill."""

from __future__ import annotations

SCENARIO_NAMES: tuple[str, ...] = ("app-instance", "az", "redis-primary", "db-primary", "upstream", "asis-db")
