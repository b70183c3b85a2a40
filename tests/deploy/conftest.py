"""Fixtures for the delivery checks (helpers in ``deploy_checks.py``, imported as ``tests.deploy.deploy_checks``)."""

from __future__ import annotations

import pytest

from tests.deploy.deploy_checks import DEPLOY, ENVIRONMENTS, OVERLAYS, Rendered, render


@pytest.fixture(scope="session")
def rendered() -> dict[str, Rendered]:
    """Both service overlays, rendered once per run."""
    return {env: render(OVERLAYS / env) for env in ENVIRONMENTS}


@pytest.fixture(scope="session")
def argocd() -> dict[str, Rendered]:
    """The Argo CD bootstrap of each cluster, rendered."""
    return {env: render(DEPLOY / "argocd" / env) for env in ENVIRONMENTS}
