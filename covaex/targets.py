"""The CPUs the stacks deploy on, read from the synthesized JSON: what the artifact and the image must be built for.

Every EC2 compute resource of every stack is a *target*: the app tier's
launch template, the NAT instance, the EKS node groups. Its instance types
map to one architecture through the EC2 instance type table that ``moto``
ships (``ProcessorInfo.SupportedArchitectures``, copied from AWS's
``DescribeInstanceTypes``), so no family list is kept by hand; a type the
table does not know, or one that mixes architectures, fails in one line.

What each target runs decides what it needs:

* an instance whose user data installs the release artifact (it fetches
  ``wheelhouse.tar``) needs the artifact's wheels for its architecture:
  :func:`artifact_architectures`, read by ``scripts/build-artifact.sh``
  through ``covaex targets``;
* an EKS node group runs the image: :func:`image_architectures` is what the
  release workflow's image build must cover, and the node group's AMI type
  must be of the same architecture.

The wheel platforms of each architecture are the manylinux tags that
Amazon Linux 2023 (glibc 2.34) runs, for CPython 3.11 (:data:`WHEEL_PLATFORMS`).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from covaex.errors import CliError
from covaex.topology.tfjson import TerraformDoc, load_stack

ARCHITECTURES = ("arm64", "x86_64")
WHEEL_PLATFORMS: Mapping[str, tuple[str, ...]] = {
    "arm64": ("manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64"),
    "x86_64": ("manylinux2014_x86_64", "manylinux_2_28_x86_64", "manylinux_2_34_x86_64"),
}
"""pip's ``--platform`` tags per architecture: glibc up to 2.34, Amazon Linux 2023's."""
IMAGE_PLATFORMS: Mapping[str, str] = {"arm64": "linux/arm64", "x86_64": "linux/amd64"}
"""The container platform (docker buildx ``platforms``) of each architecture."""
EKS_AMI_ARCHITECTURES: Mapping[str, str] = {
    "AL2023_x86_64_STANDARD": "x86_64",
    "AL2023_ARM_64_STANDARD": "arm64",
    "AL2023_x86_64_NVIDIA": "x86_64",
    "AL2023_ARM_64_NVIDIA": "arm64",
    "BOTTLEROCKET_x86_64": "x86_64",
    "BOTTLEROCKET_ARM_64": "arm64",
}
"""The architecture of each EKS node group AMI type the stacks may choose (the provider's enum)."""
ARTIFACT_MARKER = "wheelhouse.tar"
"""What the user data of an instance that installs the release artifact fetches (infraforge user_data)."""

_BASE64_CALL = re.compile(r'^\$\{base64encode\("(?P<body>.*)"\)\}$', re.DOTALL)


@cache
def _instance_types() -> Mapping[str, Any]:
    from moto.ec2.models.instance_types import INSTANCE_TYPES

    table: Mapping[str, Any] = INSTANCE_TYPES
    return table


def instance_type_info(instance_type: str) -> Mapping[str, Any] | None:
    """moto's DescribeInstanceTypes entry of ``instance_type`` (vCPUs, memory, CPU); None when unknown."""
    entry: Mapping[str, Any] | None = _instance_types().get(instance_type)
    return entry


def user_data_text(raw: Any) -> str:
    """A user data value as the instance runs it (``base64encode("...")`` of cdktf, base64, or plain)."""
    return _user_data(raw)


def architecture(instance_type: str) -> str:
    """``arm64`` or ``x86_64`` for an EC2 instance type; CliError (one line) for a type that cannot be mapped."""
    entry = _instance_types().get(instance_type)
    if entry is None:
        raise CliError(f"cannot map instance type {instance_type!r} to a CPU architecture: not an EC2 instance type")
    supported = {str(a) for a in entry.get("ProcessorInfo", {}).get("SupportedArchitectures", ())}
    found = sorted(supported & set(ARCHITECTURES))
    if len(found) != 1:
        raise CliError(
            f"cannot map instance type {instance_type!r} to one CPU architecture: it supports {sorted(supported)}"
        )
    return found[0]


@dataclass(frozen=True)
class Target:
    """One EC2 compute resource of a stack and the CPU it runs on."""

    stack: str
    address: str
    instance_types: tuple[str, ...]
    architecture: str
    runs: str
    """``artifact`` (installs the release artifact), ``image`` (an EKS node group) or ``other``."""
    ami_type: str = ""


def targets(docs: Iterable[TerraformDoc]) -> list[Target]:
    """Every EC2 compute resource of ``docs`` with its architecture; CliError for a type or mix it cannot map."""
    found: list[Target] = []
    for doc in docs:
        for rtype in ("aws_launch_template", "aws_instance"):
            for res in doc.resources(rtype):
                itype = res.get("instance_type")
                if not isinstance(itype, str):
                    continue
                runs = "artifact" if ARTIFACT_MARKER in _user_data(res.get("user_data")) else "other"
                found.append(Target(doc.stack, res.address, (itype,), architecture(itype), runs))
        for res in doc.resources("aws_eks_node_group"):
            types = tuple(res.get("instance_types") or ())
            if not types:
                raise CliError(f"{doc.stack}: {res.address} names no instance_types: its CPU cannot be known")
            archs = {architecture(t) for t in types}
            if len(archs) != 1:
                raise CliError(f"{doc.stack}: {res.address} mixes CPU architectures {sorted(archs)} in one node group")
            found.append(Target(doc.stack, res.address, types, archs.pop(), "image", str(res.get("ami_type") or "")))
    return found


def _user_data(raw: Any) -> str:
    if not isinstance(raw, str):
        return ""
    match = _BASE64_CALL.match(raw)
    if match:
        return str(json.loads(f'"{match.group("body")}"'))
    try:
        return base64.b64decode(raw, validate=True).decode()
    except ValueError:
        return raw


def artifact_architectures(found: Iterable[Target]) -> list[str]:
    """The architectures the release artifact's wheelhouse must hold (every instance that installs it)."""
    return sorted({t.architecture for t in found if t.runs == "artifact"})


def image_architectures(found: Iterable[Target]) -> list[str]:
    """The architectures the image must be built for (every EKS node group)."""
    return sorted({t.architecture for t in found if t.runs == "image"})


def load_stacks(stacks_dir: Path) -> list[TerraformDoc]:
    """Every ``<stack>/cdk.tf.json`` under ``stacks_dir``; CliError when there is none."""
    paths = sorted(stacks_dir.glob("*/cdk.tf.json"))
    if not paths:
        raise CliError(f"no synthesized stacks under {stacks_dir} (expected <stack>/cdk.tf.json)")
    return [load_stack(p.parent.name, p) for p in paths]


def run_targets(stacks_dir: Path | None, what: str) -> int:
    """``covaex targets``: print the architectures of ``what`` (artifact, image, all), one per line.

    For the artifact each line is ``<arch> <wheel platform> ...``, what ``scripts/build-artifact.sh`` reads.
    """
    if stacks_dir is None:
        from covaex.synth import DEFAULT_OUT, synth_stacks

        stacks_dir = synth_stacks(DEFAULT_OUT).out / "stacks"
    found = targets(load_stacks(stacks_dir))
    if what == "artifact":
        archs = artifact_architectures(found)
        if not archs:
            raise CliError(f"no instance under {stacks_dir} installs the release artifact ({ARTIFACT_MARKER})")
        for arch in archs:
            print(" ".join((arch, *WHEEL_PLATFORMS[arch])))
    elif what == "image":
        for arch in image_architectures(found):
            print(IMAGE_PLATFORMS[arch])
    else:
        for target in found:
            types = ",".join(target.instance_types)
            print(f"{target.stack} {target.address} {types} {target.architecture} {target.runs}")
    return 0
