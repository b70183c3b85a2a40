"""deploy/bump-image-tag.sh: the one way an image tag changes, and what it refuses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.deploy.deploy_checks import DEPLOY, render, run

SHA = "sha-" + "0123456789abcdef" * 2 + "01234567"


@pytest.fixture
def deploy_copy(tmp_path: Path) -> Path:
    shutil.copytree(DEPLOY, tmp_path / "deploy")
    return tmp_path / "deploy"


def image(deploy: Path, env: str) -> str:
    deployment = render(deploy / "k8s" / "overlays" / env).one("Deployment")
    result: str = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    return result


def test_bumps_exactly_one_line_and_the_render_follows(deploy_copy: Path) -> None:
    overlay = deploy_copy / "k8s" / "overlays" / "dev" / "kustomization.yaml"
    before = overlay.read_text(encoding="utf-8").splitlines()
    result = run(["bash", deploy_copy / "bump-image-tag.sh", "dev", SHA])
    assert result.returncode == 0, result.stderr
    after = overlay.read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [(next(line for line in before if "newTag:" in line), f"    newTag: {SHA}")]
    assert image(deploy_copy, "dev").endswith(f"/covaex:{SHA}")
    # prod is untouched by a dev bump.
    assert image(deploy_copy, "prod") == image(DEPLOY, "prod")


def test_release_goes_to_prod(deploy_copy: Path) -> None:
    result = run(["bash", deploy_copy / "bump-image-tag.sh", "prod", "v1.2.3"])
    assert result.returncode == 0, result.stderr
    assert image(deploy_copy, "prod").endswith("/covaex:v1.2.3")


@pytest.mark.parametrize(
    ("env", "tag"),
    [
        ("dev", "latest"),
        ("prod", "latest"),
        ("prod", SHA),
        ("dev", "v1.2"),
        ("dev", "sha-abc"),
        ("dev", "v01.2.3"),
        ("qa", "v1.0.0"),
    ],
)
def test_refuses_tags_outside_the_policy(deploy_copy: Path, env: str, tag: str) -> None:
    overlays = {
        p: p.read_text(encoding="utf-8") for p in (deploy_copy / "k8s" / "overlays").rglob("kustomization.yaml")
    }
    result = run(["bash", deploy_copy / "bump-image-tag.sh", env, tag])
    assert result.returncode == 2, result.stdout
    assert all(p.read_text(encoding="utf-8") == text for p, text in overlays.items()), "nothing written"
