"""The CPUs the stacks deploy on, and what the release builds for them (covaex.targets, build-artifact.sh).

Every instance type of every synthesized stack maps to one architecture; the
release artifact's wheelhouse holds a wheel of that architecture for every
compiled dependency of each instance that installs it; the image is built for
the EKS nodes' architecture, whose AMI type agrees; an unknown type fails in
one line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from packaging.utils import parse_wheel_filename

from covaex.errors import CliError
from covaex.synth import REPO_ROOT, SynthResult
from covaex.targets import (
    EKS_AMI_ARCHITECTURES,
    IMAGE_PLATFORMS,
    Target,
    architecture,
    artifact_architectures,
    image_architectures,
    load_stacks,
    targets,
)

pytestmark = pytest.mark.slow
MACHINE_TAGS = {"arm64": "aarch64", "x86_64": "x86_64"}


@pytest.fixture(scope="module")
def found(synthesized: SynthResult) -> list[Target]:
    return targets(load_stacks(synthesized.out / "stacks"))


def test_every_instance_type_of_every_stack_maps_to_its_architecture(
    found: list[Target], synthesized: SynthResult
) -> None:
    by_address = {(t.stack, t.address): t for t in found}
    for env in ("dev", "prod"):
        app = by_address[(f"tobe-v1-{env}", "aws_launch_template.app")]
        assert (app.instance_types, app.architecture, app.runs) == (("t4g.small",), "arm64", "artifact")
        nodes = by_address[(f"platform-v2-{env}", "aws_eks_node_group.general")]
        assert nodes.runs == "image"
    nat = by_address[("tobe-v1-dev", "aws_instance.nat")]
    assert nat.architecture == "arm64" and nat.runs == "other"
    # Every resource of every stack that names an EC2 instance type is a target: none is left unmapped.
    for doc in load_stacks(synthesized.out / "stacks"):
        for res in doc.all_resources():
            if res.get("instance_type") or res.get("instance_types"):
                assert (doc.stack, res.address) in by_address, f"{doc.stack}: {res.address} has no architecture"


def test_the_artifact_is_for_the_instances_that_install_it(found: list[Target]) -> None:
    assert artifact_architectures(found) == ["arm64"], "the app tier is Graviton: the wheelhouse is arm64"


def test_the_image_is_built_for_the_eks_nodes_and_their_ami_agrees(found: list[Target]) -> None:
    for target in found:
        if target.runs == "image":
            assert EKS_AMI_ARCHITECTURES[target.ami_type] == target.architecture, (
                f"{target.stack}: {target.address} runs {target.architecture} types on the {target.ami_type} AMI"
            )
    release = yaml.safe_load((REPO_ROOT / ".github/workflows/release.yml").read_text())
    build = next(s for s in release["jobs"]["image"]["steps"] if "build-push-action" in s.get("uses", ""))
    platforms = sorted(p.strip() for p in str(build["with"].get("platforms", "")).split(",") if p.strip())
    assert platforms == sorted(IMAGE_PLATFORMS[a] for a in image_architectures(found)), (
        "the image's platforms are the EKS node groups' CPUs (a Graviton node group needs a multi-arch image)"
    )


def test_the_app_ami_is_of_the_app_instances_architecture(found: list[Target]) -> None:
    from infraforge.constructs.config import AMI_PARAMETER

    assert AMI_PARAMETER.endswith(f"-{artifact_architectures(found)[0]}")


def test_a_type_it_cannot_map_fails_in_one_line(synthesized: SynthResult, tmp_path: Path) -> None:
    with pytest.raises(CliError, match=r"cannot map instance type 'z9q\.mega'"):
        architecture("z9q.mega")
    stack = json.loads(synthesized.stack_json("tobe-v1-prod").read_text())
    stack["resource"]["aws_launch_template"]["app"]["instance_type"] = "z9q.mega"
    path = tmp_path / "stacks" / "tobe-v1-prod" / "cdk.tf.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(stack))
    proc = subprocess.run(
        ["bash", "scripts/build-artifact.sh", str(tmp_path / "out")],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "STACKS": str(tmp_path / "stacks"), "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [
        "covaex: error: cannot map instance type 'z9q.mega' to a CPU architecture: not an EC2 instance type"
    ]
    assert not (tmp_path / "out").exists()


def test_build_artifact_fetches_wheels_for_the_stacks_cpus(synthesized: SynthResult, tmp_path: Path) -> None:
    """The real script on the synthesized stacks: every compiled dependency as an aarch64 wheel, none x86_64."""
    proc = subprocess.run(
        ["bash", "scripts/build-artifact.sh", str(tmp_path / "out")],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "STACKS": str(synthesized.out / "stacks"), "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    with tarfile.open(tmp_path / "out" / "wheelhouse.tar") as tar:
        wheels = [Path(n).name for n in tar.getnames() if n.endswith(".whl")]
    locked = {
        line.split("==")[0].strip().lower().replace("_", "-")
        for line in (REPO_ROOT / "requirements/service.lock").read_text().splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    }
    platforms: dict[str, set[str]] = {}
    for wheel in wheels:
        name, _, _, tags = parse_wheel_filename(wheel)
        platforms.setdefault(str(name), set()).update(t.platform for t in tags)
    assert set(platforms) == locked, "one wheel per pinned dependency"
    compiled = {name: tags for name, tags in platforms.items() if tags != {"any"}}
    assert compiled, "the service has compiled dependencies (uvloop, httptools, asyncpg, ...)"
    for name, tags in compiled.items():
        assert all(t.endswith("_aarch64") for t in tags), f"{name}: {sorted(tags)} is not for the Graviton instances"
