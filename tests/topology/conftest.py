"""Fixtures of the topology tests (the fixture documents themselves: ``fixture_docs.py``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from covaex.topology.model import Topology, build_topology
from tests.topology.fixture_docs import fixture_doc


@pytest.fixture
def topology_of() -> Callable[..., Topology]:
    def build(*overrides: str) -> Topology:
        return build_topology(fixture_doc(*overrides), name="+".join(("redundant", *overrides)))

    return build
