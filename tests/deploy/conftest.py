"""Fixtures for the delivery checks (helpers in ``deploy_checks.py``).

The suite runs with ``--import-mode=importlib``, which puts no test folder on
``sys.path``; this folder is added so the test modules can share helpers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from deploy_checks import DEPLOY, ENVIRONMENTS, OVERLAYS, Rendered, render


@pytest.fixture(scope="session")
def rendered() -> dict[str, Rendered]:
    """Both service overlays, rendered once per run."""
    return {env: render(OVERLAYS / env) for env in ENVIRONMENTS}


@pytest.fixture(scope="session")
def argocd() -> dict[str, Rendered]:
    """The Argo CD bootstrap of each cluster, rendered."""
    return {env: render(DEPLOY / "argocd" / env) for env in ENVIRONMENTS}
