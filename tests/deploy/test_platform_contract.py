"""deploy/ and the stacks agree on names: namespaces, service account, IRSA
role, ECR repository, region and VPC ranges (the Kubernetes version is taken
from the platform config by test_manifest_schema.py)."""

from __future__ import annotations

import re

import yaml
from infraforge.config import environment_config
from infraforge.constructs.config import RELEASE_ENVIRONMENT
from infraforge.inputs import DOCS_EXAMPLE_DEFAULTS, read_inputs
from infraforge.platform.config import ECR, PLATFORMS, PUSH_ACTIONS

from tests.deploy.deploy_checks import ENVIRONMENTS, REPO_ROOT, Rendered


def test_service_account_is_the_one_irsa_trusts(rendered: dict[str, Rendered]) -> None:
    # The role annotation itself comes from the stack outputs (tests/deploy/test_gitops_site.py).
    for env in ENVIRONMENTS:
        platform = PLATFORMS[env]
        sa = rendered[env].one("ServiceAccount", platform.service_account.name)
        assert sa["metadata"]["namespace"] == platform.service_account.namespace


def test_image_comes_from_the_platform_ecr_repository(rendered: dict[str, Rendered]) -> None:
    for r in rendered.values():
        image = r.one("Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image.split("/")[-1].split(":")[0] == ECR.name


def test_network_policy_uses_each_environments_vpc(rendered: dict[str, Rendered]) -> None:
    for env in ENVIRONMENTS:
        vpc = environment_config(env, read_inputs(env, {}, None, DOCS_EXAMPLE_DEFAULTS)).network.vpc_cidr
        policy = rendered[env].one("NetworkPolicy")["spec"]
        assert policy["ingress"][0]["from"][0]["ipBlock"]["cidr"] == vpc
        assert policy["egress"][1]["to"][0]["ipBlock"]["cidr"] == vpc


def test_release_workflow_needs_only_what_the_image_push_role_grants() -> None:
    text = (REPO_ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    assert yaml.safe_load(text)["jobs"]["image"]["environment"] == RELEASE_ENVIRONMENT
    # `aws ecr describe-images` -> ecr:DescribeImages, and so on.
    calls = {"ecr:" + "".join(w.title() for w in c.split("-")) for c in re.findall(r"aws ecr ([a-z-]+)", text)}
    assert calls == {"ecr:DescribeImages", "ecr:BatchGetImage", "ecr:PutImage"}
    assert calls <= set(PUSH_ACTIONS)
    # docker push needs the layer upload actions too (login is GetAuthorizationToken, granted on "*").
    assert {"ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"} <= set(PUSH_ACTIONS)
