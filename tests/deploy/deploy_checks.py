"""Helpers of the delivery checks: real tools, real renders.

Every tool here is installed by ``scripts/setup.sh`` (the Python ones from the
dev extra into ``.venv/``, the npm ones by ``tools/lint/install.sh``), so a
missing tool is a failure, not a skip: the suite must not pass by checking
nothing.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from infraforge.config import ENVIRONMENTS as INFRA_ENVIRONMENTS

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
OVERLAYS = DEPLOY / "k8s" / "overlays"
# every environment of the profiles: a new one needs its overlay and Application
# (deploy/k8s/overlays/<env>, deploy/argocd/<env>/application.yaml)
ENVIRONMENTS = INFRA_ENVIRONMENTS
VENV_BIN = Path(sys.executable).parent
NPM_BIN = REPO_ROOT / "tools" / "lint" / "node_modules" / ".bin"
# The service's metric families (service/covaex_service/market/metrics.py)
# that the dashboard and the alerts use.
METRICS = frozenset(
    {
        "covaex_ticks_ingested_total",
        "covaex_upstream_reconnects_total",
        "covaex_upstream_malformed_frames_total",
        "covaex_ws_clients",
        "covaex_ws_frames_sent_total",
        "covaex_ws_slow_client_closes_total",
        "covaex_tick_to_send_seconds",
        "covaex_ingest_leader",
        "covaex_cache_write_errors_total",
    }
)


def tool(name: str, where: Path = VENV_BIN) -> Path:
    """Path of an installed checker, or a failure saying how to install it."""
    path = where / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/setup.sh, which installs every checker the tests use")
    return path


def run(args: list[str | Path], *, cwd: Path = REPO_ROOT, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a checker and capture its output (never raises on a non-zero exit)."""
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def kustomize(path: Path) -> str:
    """Render a kustomization with the real kustomize built into kubectl."""
    result = run([tool("kubectl", NPM_BIN), "kustomize", path])
    assert result.returncode == 0, f"kustomize {path} failed:\n{result.stderr}"
    return result.stdout


@dataclass(frozen=True)
class Rendered:
    """One rendered kustomization: its YAML text and its objects."""

    text: str
    objects: list[dict[str, Any]]

    def one(self, kind: str, name: str = "covaex") -> dict[str, Any]:
        found = [o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
        return found[0]


def render(path: Path) -> Rendered:
    text = kustomize(path)
    return Rendered(text=text, objects=[o for o in yaml.safe_load_all(text) if o])


# A real-looking account for the site generator (never a placeholder the manifests could keep).
SITE_ACCOUNT = "123456789012"


def site_outputs(env: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``terraform output -json`` of platform-v2-<env> and platform-v2-registry in SITE_ACCOUNT."""
    secret = f"arn:aws:secretsmanager:ap-northeast-2:{SITE_ACCOUNT}:secret:"
    values = {
        "service_role_arn": f"arn:aws:iam::{SITE_ACCOUNT}:role/covaex-{env}-service",
        "database_secret_arn": f"{secret}rds!db-5f0e8d2c-1111-4c4c-9a9a-0123456789ab-AbCdEf",
        "session_secret_arn": f"{secret}covaex/{env}/session-key-GhIjKl",
        "database_host": f"covaex-{env}-postgres.abcdefghijkl.ap-northeast-2.rds.amazonaws.com",
        "database_port": "5432",
        "database_name": "covaex",
        "redis_host": f"master.covaex-{env}-redis.abcdef.apn2.cache.amazonaws.com",
        "redis_port": "6379",
    }
    platform = {name: {"value": value} for name, value in values.items()}
    registry = {"repository_url": {"value": f"{SITE_ACCOUNT}.dkr.ecr.ap-northeast-2.amazonaws.com/covaex"}}
    return platform, registry


def render_as_argo_cd(env: str, application: dict[str, Any], workdir: Path) -> Rendered:
    """What Argo CD renders for ``application``: its kustomize overrides applied to a copy of the overlay.

    Argo CD runs ``kustomize edit set image`` and adds the patches to the
    overlay's kustomization before building it; this does the same on a copy.
    """
    import shutil

    root = workdir / "k8s"
    shutil.copytree(DEPLOY / "k8s", root)
    overlay = root / "overlays" / env
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text(encoding="utf-8"))
    overrides = application["spec"]["source"]["kustomize"]
    for image in overrides["images"]:
        name, _, new_name = image.partition("=")
        (entry,) = [i for i in kustomization["images"] if i["name"] == name]
        entry["newName"] = new_name
    kustomization["patches"] = [*kustomization.get("patches", []), *overrides["patches"]]
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump(kustomization), encoding="utf-8")
    return render(overlay)
