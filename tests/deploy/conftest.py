"""Fixtures for the delivery checks (helpers in ``deploy_checks.py``, imported as ``tests.deploy.deploy_checks``)."""

from __future__ import annotations

import pytest
import yaml
from infraforge.gitops_site import bootstrap_manifests

from tests.deploy.deploy_checks import ENVIRONMENTS, OVERLAYS, Rendered, render, site_outputs


@pytest.fixture(scope="session")
def rendered() -> dict[str, Rendered]:
    """Both service overlays, rendered once per run."""
    return {env: render(OVERLAYS / env) for env in ENVIRONMENTS}


@pytest.fixture(scope="session")
def argocd() -> dict[str, Rendered]:
    """The Argo CD bootstrap of each cluster, as its one path prints it (``python -m infraforge.gitops_site``)."""
    found = {}
    for env in ENVIRONMENTS:
        platform, registry = site_outputs(env)
        docs = bootstrap_manifests(env, platform_outputs=platform, registry_outputs=registry, environ={})
        found[env] = Rendered(text=yaml.safe_dump_all(docs, sort_keys=False), objects=docs)
    return found
