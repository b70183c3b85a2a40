"""No AWS account in git: the account-specific values reach Argo CD from the stack outputs (issue 13)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from infraforge.gitops_site import BOOTSTRAP_FILES, SiteError, bootstrap_manifests, main
from infraforge.inputs import DEFAULTS, FAKE_ACCOUNT
from infraforge.platform.config import ECR, PLATFORMS

from tests.deploy.deploy_checks import (
    DEPLOY,
    ENVIRONMENTS,
    REPO_ROOT,
    SITE_ACCOUNT,
    Rendered,
    render_as_argo_cd,
    site_outputs,
)

ACCOUNT_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")


def application(env: str) -> dict[str, Any]:
    platform, registry = site_outputs(env)
    docs = bootstrap_manifests(env, platform_outputs=platform, registry_outputs=registry, environ={})
    (app,) = [d for d in docs if d["kind"] == "Application"]
    return app


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    return {env: render_as_argo_cd(env, application(env), tmp_path_factory.mktemp(env)) for env in ENVIRONMENTS}


def test_committed_manifests_hold_no_account(rendered: dict[str, Rendered]) -> None:
    texts = [r.text for r in rendered.values()]
    texts += [path.read_text(encoding="utf-8") for path in sorted((DEPLOY / "argocd").rglob("*.yaml"))]
    for text in texts:
        assert FAKE_ACCOUNT not in text
        # no account at all (the dashboard's panel ids are not 12 digits long)
        assert not ACCOUNT_ID.findall(text)
    for r in rendered.values():
        image = r.one("Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image.startswith("registry.invalid/covaex:"), "an unconfigured cluster must pull nothing"
        assert "annotations" not in r.one("ServiceAccount")["metadata"]


def test_argo_cd_gets_the_accounts_image_role_and_certificate(configured: dict[str, Rendered]) -> None:
    for env, r in configured.items():
        platform = PLATFORMS[env]
        image, tag = r.one("Deployment")["spec"]["template"]["spec"]["containers"][0]["image"].rsplit(":", 1)
        assert image == f"{SITE_ACCOUNT}.dkr.ecr.ap-northeast-2.amazonaws.com/{ECR.name}"
        assert tag.startswith("sha-" if env == "dev" else "v"), "the tag still comes from git"
        sa = r.one("ServiceAccount", platform.service_account.name)
        # IrsaRole name in platform/stacks.py: f"{cluster name}-service"
        role = sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
        assert role == f"arn:aws:iam::{SITE_ACCOUNT}:role/{platform.cluster.name}-service"
        ingress = r.one("Ingress")["metadata"]["annotations"]
        assert ingress["alb.ingress.kubernetes.io/certificate-arn"] == DEFAULTS["acm_certificate_arn"]
        assert ingress["alb.ingress.kubernetes.io/scheme"] == "internet-facing", "patches add, never replace"


def test_repo_url_and_source_repos_come_from_the_github_repo_input() -> None:
    platform, registry = site_outputs("prod")
    docs = bootstrap_manifests(
        "prod", platform_outputs=platform, registry_outputs=registry, environ={"INFRAFORGE_GITHUB_REPO": "acme/covaex"}
    )
    kinds = {d["kind"]: d for d in docs}
    assert kinds["Application"]["spec"]["source"]["repoURL"] == "https://github.com/acme/covaex.git"
    assert kinds["AppProject"]["spec"]["sourceRepos"] == ["https://github.com/acme/covaex.git"]
    assert all(d["metadata"]["namespace"] == "argocd" for d in docs)
    assert kinds["Application"]["spec"]["syncPolicy"]["syncOptions"][-1] == "RespectIgnoreDifferences=true"


def test_missing_outputs_stop_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    platform, registry = site_outputs("dev")
    (tmp_path / "platform.json").write_text(json.dumps({}), encoding="utf-8")
    (tmp_path / "registry.json").write_text(json.dumps(registry), encoding="utf-8")
    args = [
        "dev",
        "--platform-outputs",
        str(tmp_path / "platform.json"),
        "--registry-outputs",
        str(tmp_path / "registry.json"),
    ]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        "gitops_site: platform-v2-dev: output 'service_role_arn' missing or malformed (got None); apply the stack first"
    )
    with pytest.raises(SiteError):
        bootstrap_manifests("dev", platform_outputs={}, registry_outputs=registry, environ={})
    (tmp_path / "platform.json").write_text(json.dumps(platform), encoding="utf-8")
    assert main(args) == 0
    printed = list(yaml.safe_load_all(capsys.readouterr().out))
    assert [d["kind"] for d in printed] == ["AppProject", "ConfigMap", "Application"]


def test_the_readme_shows_the_bootstrap_command() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "python -m infraforge.gitops_site" in readme


def test_argo_cd_has_one_bootstrap_path() -> None:
    """No kustomization under deploy/argocd: ``kubectl apply -k`` of it deployed ``registry.invalid`` (issue 24)."""
    assert sorted(p.relative_to(DEPLOY).as_posix() for p in (DEPLOY / "argocd").rglob("kustomization.y*ml")) == []
    assert {p.relative_to(DEPLOY).as_posix() for p in (DEPLOY / "argocd").rglob("*.yaml")} == {
        f"argocd/{name.format(env=env)}" for env in ENVIRONMENTS for name in BOOTSTRAP_FILES
    }, "every file under deploy/argocd is one the bootstrap reads"
    for doc in ("README.md", "deploy/README.md", "ARCHITECTURE.md"):
        text = (REPO_ROOT / doc).read_text(encoding="utf-8")
        assert "apply -k deploy/argocd" not in text, doc
    printed = [d["kind"] for env in ENVIRONMENTS for d in application_and_friends(env)]
    assert printed == ["AppProject", "ConfigMap", "Application"] * len(ENVIRONMENTS)


def application_and_friends(env: str) -> list[dict[str, Any]]:
    platform, registry = site_outputs(env)
    return bootstrap_manifests(env, platform_outputs=platform, registry_outputs=registry, environ={})
