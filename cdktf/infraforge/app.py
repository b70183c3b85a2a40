"""The CDKTF app: every stack of InfraForge (placeholder until issue #3 lands)."""

from __future__ import annotations

from cdktf import App


def build_app(outdir: str) -> App:
    raise SystemExit("no stacks yet: the infrastructure stacks land with issue #3")
