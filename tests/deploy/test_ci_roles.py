"""CI's roles, executed: every workflow job that calls AWS may make each call with the role it assumes.

For each job of ``.github/workflows/`` that takes AWS credentials
(``aws-actions/configure-aws-credentials``):

* the role is the one its ``role-to-assume`` variable names
  (:data:`infraforge.constructs.config.GITHUB_ROLE_VARIABLES`: variable -> stack
  output -> ``aws_iam_role``), read from the synthesized stacks;
* its trust policy must let the job's OIDC token in: the federated principal
  is the account's GitHub provider, and moto's IAM policy evaluator
  (``moto.iam.access_control.IAMPolicy``, the one moto's own IAM enforcement
  uses) permits ``sts:AssumeRoleWithWebIdentity`` for the token's ``sub``
  (``repo:<repo>:environment:<job environment>``) and ``aud``, and refuses
  the same token from another environment;
* every AWS call the job makes, read from its steps (``aws <service> <op>``
  in ``run:`` mapped to its IAM action through botocore's service model, the
  ECR login and the image push of the actions it uses), on the resource it
  names (the repository or the bucket key, resolved to the synthesized
  resource), must be permitted by the same evaluator over the role's policies.

The artifact upload is also *executed*: under moto with IAM enforcement on,
the role assumed through STS uploads ``wheelhouse.tar`` to the artifact
bucket; the image push role (which the job used before) is refused. (One
put: moto authorizes a multipart upload as ``s3:CreateMultipartUpload``, an
action IAM does not have; AWS authorizes every part of it as
``s3:PutObject``, which the evaluation above checks.)
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
import yaml
from botocore import xform_name
from botocore.exceptions import ClientError
from infraforge.constructs.config import ARTIFACT_PREFIX, GITHUB_OIDC_HOST, GITHUB_ROLE_VARIABLES
from infraforge.inputs import DEFAULTS, REGION
from moto import mock_aws
from moto.core.authorization import enable_iam_authentication
from moto.iam.access_control import IAMPolicy, PermissionResult

from covaex.synth import SynthResult
from tests.deploy.deploy_checks import REPO_ROOT

pytestmark = pytest.mark.slow
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
ACCOUNT = "123456789012"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB_OIDC_HOST}"
VERSION = "0.1.0"
CONFIGURE = "aws-actions/configure-aws-credentials"
# What the pinned actions call on the job's behalf (their own documentation): the registry login, and
# `docker push` (layer upload, then the manifest) into the repository of the pushed tag.
ECR_LOGIN = ("ecr:GetAuthorizationToken",)
DOCKER_PUSH = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:BatchGetImage",
)


@dataclass(frozen=True)
class Role:
    stack: str
    address: str
    name: str
    arn: str
    trust: str
    policies: tuple[str, ...]


@dataclass(frozen=True)
class Job:
    workflow: str
    name: str
    environment: str
    role_variable: str
    calls: tuple[tuple[str, str], ...]


def _stacks(synthesized: SynthResult) -> dict[str, dict[str, Any]]:
    return {s: json.loads(synthesized.stack_json(s).read_text()) for s in synthesized.stacks}


def _resolve(value: str, stack: dict[str, Any]) -> str:
    """Terraform references in a policy or name, as they would be in the account (fails on any other)."""
    resources = stack.get("resource", {})

    def one(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref.startswith("data.aws_caller_identity.") and ref.endswith(".account_id"):
            return ACCOUNT
        rtype, name, attr = ref.split(".", 2)
        body = resources[rtype][name]
        if rtype == "aws_ecr_repository" and attr in ("arn", "name"):
            repo = _resolve(body["name"], stack)
            return repo if attr == "name" else f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repo}"
        if rtype == "aws_iam_openid_connect_provider" and attr == "arn":
            return PROVIDER_ARN
        if rtype == "aws_iam_role" and attr in ("arn", "name", "id"):
            role = _resolve(body["name"], stack)
            return role if attr in ("name", "id") else f"arn:aws:iam::{ACCOUNT}:role/{role}"
        if rtype == "aws_s3_bucket" and attr in ("bucket", "id"):
            return _resolve(body["bucket"], stack)
        raise AssertionError(f"the test cannot resolve ${{{ref}}}")

    return re.sub(r"\$\{([^}]+)\}", one, value)


def role_of(variable: str, stacks: dict[str, dict[str, Any]]) -> Role:
    """The role a GitHub variable names: GITHUB_ROLE_VARIABLES -> the stack's output -> its aws_iam_role."""
    assert variable in GITHUB_ROLE_VARIABLES, f"{variable} names no stack output (GITHUB_ROLE_VARIABLES)"
    stack_name, output = GITHUB_ROLE_VARIABLES[variable]
    stack = stacks[stack_name]
    ref = stack["output"][output]["value"]
    match = re.fullmatch(r"\$\{aws_iam_role\.([\w-]+)\.arn\}", ref)
    assert match, f"{stack_name} output {output} is not a role's ARN: {ref}"
    logical = match.group(1)
    body = stack["resource"]["aws_iam_role"][logical]
    policies = tuple(
        _resolve(p["policy"], stack)
        for p in stack["resource"].get("aws_iam_role_policy", {}).values()
        if p["role"] in (f"${{aws_iam_role.{logical}.id}}", f"${{aws_iam_role.{logical}.name}}")
    )
    name = _resolve(body["name"], stack)
    arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    return Role(stack_name, f"aws_iam_role.{logical}", name, arn, _resolve(body["assume_role_policy"], stack), policies)


def _aws_jobs() -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        workflow = yaml.safe_load(path.read_text())
        for name, job in workflow["jobs"].items():
            if any(str(s.get("uses", "")).startswith(CONFIGURE) for s in job.get("steps", [])):
                yield path.name, name, job, workflow


def job_calls(
    job: dict[str, Any], workflow: dict[str, Any], stacks: dict[str, dict[str, Any]]
) -> list[tuple[str, str]]:
    """Each (IAM action, resource ARN) the job's steps make, resolved to the synthesized resources."""
    env = {**workflow.get("env", {}), **job.get("env", {})}
    registry = stacks["platform-v2-registry"]
    repo_names = [_resolve(r["name"], registry) for r in registry["resource"]["aws_ecr_repository"].values()]
    artifact_bucket = _resolve(stacks["state"]["output"]["artifact_bucket"]["value"], stacks["state"])
    session = botocore.session.get_session()

    def repository(name: str) -> str:
        assert name in repo_names, f"the job names ECR repository {name!r}; the registry stack has {repo_names}"
        return f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{name}"

    calls: list[tuple[str, str]] = []
    for step in job["steps"]:
        uses = str(step.get("uses", ""))
        step_env = {**env, **step.get("env", {})}
        if uses.startswith("aws-actions/amazon-ecr-login"):
            calls += [(a, "*") for a in ECR_LOGIN]
        if uses.startswith("docker/build-push-action") and step["with"].get("push"):
            tag = str(step["with"]["tags"])
            repo = tag.rsplit("/", 1)[-1].partition(":")[0]
            name = step_env["ECR_REPOSITORY"] if "env.ECR_REPOSITORY" in tag else repo
            calls += [(a, repository(name)) for a in DOCKER_PUSH]
        script = str(step.get("run", "")).replace("\\\n", " ")
        for line in script.splitlines():
            for command in re.findall(r"\baws\s+([a-z0-9-]+)\s+([a-z0-9-]+)([^|;&)]*)", line):
                service, operation, rest = command
                words = shlex.split(rest.replace("$", ""), posix=True)
                if service == "s3":
                    # The high-level `aws s3 cp LOCAL s3://...` puts objects (multipart included: s3:PutObject).
                    assert operation == "cp" and "{ARTIFACT_BUCKET}" in rest, f"unmodelled call: aws s3 {operation}"
                    assert step_env["ARTIFACT_BUCKET"] == "${{ vars.ARTIFACT_BUCKET }}"
                    key = f"{ARTIFACT_PREFIX}{VERSION}/wheelhouse.tar"
                    calls.append(("s3:PutObject", f"arn:aws:s3:::{artifact_bucket}/{key}"))
                    continue
                model = session.get_service_model(service)
                names = {xform_name(op).replace("_", "-"): op for op in model.operation_names}
                assert operation in names, f"aws {service} {operation} is no {service} operation"
                action = f"{model.signing_name}:{names[operation]}"
                target = "*"
                if "--repository-name" in words:
                    value = words[words.index("--repository-name") + 1].strip("{}")
                    target = repository(step_env.get(value, value))
                calls.append((action, target))
    return calls


@pytest.fixture(scope="module")
def stacks(synthesized: SynthResult) -> dict[str, dict[str, Any]]:
    return _stacks(synthesized)


@pytest.fixture(scope="module")
def jobs(stacks: dict[str, dict[str, Any]]) -> list[Job]:
    found = []
    for workflow_name, name, job, workflow in _aws_jobs():
        step = next(s for s in job["steps"] if str(s.get("uses", "")).startswith(CONFIGURE))
        match = re.fullmatch(r"\$\{\{ vars\.(\w+) \}\}", str(step["with"]["role-to-assume"]))
        assert match, f"{workflow_name} {name}: role-to-assume is a GitHub variable"
        assert job.get("permissions", {}).get("id-token") == "write", f"{workflow_name} {name}: OIDC token"
        environment = job.get("environment")
        assert isinstance(environment, str), f"{workflow_name} {name}: runs in a GitHub environment (OIDC sub)"
        calls = tuple(job_calls(job, workflow, stacks))
        found.append(Job(workflow_name, name, environment, match.group(1), calls))
    return found


def _conditions(subject: str) -> dict[str, str]:
    return {
        f"{GITHUB_OIDC_HOST}:sub": subject,
        f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
        "aws:RequestedRegion": REGION,
    }


def _allowed(role: Role, action: str, resource: str) -> bool:
    results = [IAMPolicy(p).is_action_permitted(action, resource, None, _conditions("")) for p in role.policies]
    return PermissionResult.PERMITTED in results and PermissionResult.DENIED not in results


def _trusts(role: Role, subject: str) -> bool:
    trust = json.loads(role.trust)
    principals = {str(s.get("Principal", {}).get("Federated")) for s in trust["Statement"]}
    if principals != {PROVIDER_ARN}:
        return False
    action = "sts:AssumeRoleWithWebIdentity"
    result = IAMPolicy(role.trust).is_action_permitted(action, role.arn, None, _conditions(subject))
    return result == PermissionResult.PERMITTED


def test_the_workflows_calling_aws_are_the_release_jobs(jobs: list[Job]) -> None:
    assert {(j.workflow, j.name) for j in jobs} == {("release.yml", "image"), ("release.yml", "artifact")}
    by_name = {j.name: j for j in jobs}
    assert ("s3:PutObject", f"arn:aws:s3:::{DEFAULTS['artifact_bucket']}/covaex/{VERSION}/wheelhouse.tar") in by_name[
        "artifact"
    ].calls
    assert {a for a, _ in by_name["image"].calls} >= {"ecr:GetAuthorizationToken", "ecr:DescribeImages", "ecr:PutImage"}


def test_each_job_assumes_a_role_that_trusts_its_environment_and_allows_each_call(
    jobs: list[Job], stacks: dict[str, dict[str, Any]]
) -> None:
    for job in jobs:
        role = role_of(job.role_variable, stacks)
        subject = f"repo:{DEFAULTS['github_repo']}:environment:{job.environment}"
        assert _trusts(role, subject), f"{job.name}: {role.stack} {role.address} does not trust {subject}"
        other = "dev" if job.environment != "dev" else "prod"
        assert not _trusts(role, f"repo:{DEFAULTS['github_repo']}:environment:{other}")
        refused = [(a, r) for a, r in job.calls if not _allowed(role, a, r)]
        assert not refused, f"{job.workflow} {job.name} with {role.stack} {role.address}: refused {refused}"


def test_the_image_push_role_may_not_write_the_artifact_bucket(stacks: dict[str, dict[str, Any]]) -> None:
    """The role the artifact job assumed before the fix: the evaluator must refuse it (a control)."""
    push = role_of("AWS_DEPLOY_ROLE_ARN", stacks)
    key = f"arn:aws:s3:::{DEFAULTS['artifact_bucket']}/covaex/{VERSION}/wheelhouse.tar"
    assert not _allowed(push, "s3:PutObject", key)
    artifact = role_of("AWS_ARTIFACT_ROLE_ARN", stacks)
    assert _allowed(artifact, "s3:PutObject", key)
    assert not _allowed(artifact, "s3:PutObject", f"arn:aws:s3:::{DEFAULTS['artifact_bucket']}/other/x")
    assert not _allowed(artifact, "s3:GetObject", key) and not _allowed(artifact, "s3:DeleteObject", key)


@mock_aws
def test_the_artifact_upload_runs_under_iam_enforcement(stacks: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    bucket = DEFAULTS["artifact_bucket"]
    admin = {
        "region_name": REGION,
        "aws_access_key_id": "admin",
        "aws_secret_access_key": "admin",  # pragma: allowlist secret (moto's fake credentials)
    }
    boto3.client("s3", **admin).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    iam = boto3.client("iam", **admin)
    sts = boto3.client("sts", **admin)
    credentials = {}
    for variable in ("AWS_ARTIFACT_ROLE_ARN", "AWS_DEPLOY_ROLE_ARN"):
        role = role_of(variable, stacks)
        iam.create_role(RoleName=role.name, AssumeRolePolicyDocument=role.trust)
        for number, policy in enumerate(role.policies):
            iam.put_role_policy(RoleName=role.name, PolicyName=f"p{number}", PolicyDocument=policy)
        creds = sts.assume_role_with_web_identity(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role.name}",
            RoleSessionName="ci",
            WebIdentityToken="token",  # pragma: allowlist secret (moto)
        )["Credentials"]
        credentials[variable] = {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }
    wheelhouse = tmp_path / "wheelhouse.tar"
    wheelhouse.write_bytes(b"\0" * (2 * 1024 * 1024))
    key = f"{ARTIFACT_PREFIX}{VERSION}/wheelhouse.tar"
    with enable_iam_authentication():
        publish = boto3.client("s3", region_name=REGION, **credentials["AWS_ARTIFACT_ROLE_ARN"])
        publish.upload_file(str(wheelhouse), bucket, key)
        with pytest.raises(ClientError, match="AccessDenied"):
            publish.put_object(Bucket=bucket, Key="elsewhere/x", Body=b"x")
        push = boto3.client("s3", region_name=REGION, **credentials["AWS_DEPLOY_ROLE_ARN"])
        with pytest.raises(ClientError, match="AccessDenied"):
            push.put_object(Bucket=bucket, Key=key, Body=b"x")
    stored = boto3.client("s3", **admin).head_object(Bucket=bucket, Key=key)
    assert stored["ContentLength"] == wheelhouse.stat().st_size
