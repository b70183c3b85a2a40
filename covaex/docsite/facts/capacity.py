"""What the app's pods ask of the cluster, per environment: the rendered overlay's requests and limits times its
HPA range, beside the EKS node group's raw capacity (instance types from moto's EC2 table, the same table as
``covaex targets``). Raw capacity is the instances' vCPUs and memory before the kubelet's reservations and the
system and add-on pods, so the share is a floor of what the app takes, not what is left."""

from __future__ import annotations

import re
from typing import Any

from covaex.docsite.inputs import Inputs
from covaex.docsite.sections import FactError, PendingInput
from covaex.topology.tfjson import as_int, block

_CPU = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")
_MEMORY = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 1024 * 1024, "K": 1000 / 1024**2, "M": 1000**2 / 1024**2}
_MEMORY_QTY = re.compile(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M)?$")


def millicores(quantity: Any) -> int:
    """A Kubernetes CPU quantity (``100m``, ``1``, ``0.5``) in millicores; a ValueError for anything else."""
    found = _CPU.match(str(quantity).strip())
    if not found:
        raise ValueError(f"not a CPU quantity: {quantity!r}")
    value, milli = float(found.group(1)), found.group(2)
    return round(value if milli else value * 1000)


def mebibytes(quantity: Any) -> float:
    """A Kubernetes memory quantity (``192Mi``, ``1Gi``, ``512M``) in MiB; a ValueError for anything else."""
    found = _MEMORY_QTY.match(str(quantity).strip())
    if not found:
        raise ValueError(f"not a memory quantity: {quantity!r}")
    value, unit = float(found.group(1)), found.group(2)
    return value * _MEMORY[unit] if unit else value / 1024**2


def namespace_capacity(inputs: Inputs) -> dict[str, dict[str, Any]]:
    """Per environment: the app's requests and limits at the HPA's minimum and maximum, and the node group's
    vCPUs and memory at its minimum and maximum size."""
    from moto.ec2.models.instance_types import INSTANCE_TYPES

    from covaex.docsite.facts.gitops import rendered_overlays

    out = {}
    for env, overlay in rendered_overlays(inputs).items():
        stack = f"platform-v2-{env}"
        if stack not in inputs.stacks:
            raise PendingInput(f"`{stack}` is not synthesized yet")
        groups = inputs.stack(stack).resources("aws_eks_node_group")
        if not groups:
            raise FactError(f"{stack}: no aws_eks_node_group to place the pods on")
        try:
            cpu = {k: millicores(overlay[k]["cpu"]) for k in ("requests", "limits")}
            memory = {k: mebibytes(overlay[k]["memory"]) for k in ("requests", "limits")}
        except (KeyError, ValueError) as exc:
            raise FactError(f"deploy/k8s/overlays/{env}: the app container's resources: {exc}") from None
        nodes: dict[str, Any] = {"min": 0, "max": 0, "vcpu_min": 0, "vcpu_max": 0, "mib_min": 0, "mib_max": 0}
        nodes["types"] = []
        for group in groups:
            scaling = block(group.get("scaling_config"))
            types = [str(t) for t in group.get("instance_types") or []]
            if not types or any(t not in INSTANCE_TYPES for t in types):
                raise FactError(f"{stack}: {group.address}: instance types {types} not in the EC2 table")
            # a node group of several types may get the smallest of them: count that one
            spec = min((INSTANCE_TYPES[t] for t in types), key=lambda s: s["VCpuInfo"]["DefaultVCpus"])
            vcpu, mib = int(spec["VCpuInfo"]["DefaultVCpus"]), int(spec["MemoryInfo"]["SizeInMiB"])
            low, high = as_int(scaling.get("min_size"), 0) or 0, as_int(scaling.get("max_size"), 0) or 0
            nodes["min"] += low
            nodes["max"] += high
            nodes["vcpu_min"] += low * vcpu
            nodes["vcpu_max"] += high * vcpu
            nodes["mib_min"] += low * mib
            nodes["mib_max"] += high * mib
            nodes["types"] += types
        hpa = overlay["hpa"]
        pods = {"min": int(hpa["min"] or overlay["replicas"] or 1), "max": int(hpa["max"] or overlay["replicas"] or 1)}
        out[env] = {
            "pods": pods,
            "cpu": cpu,
            "memory": memory,
            "nodes": nodes,
            "requests_at_max": {"cpu": pods["max"] * cpu["requests"], "mib": pods["max"] * memory["requests"]},
            # the HPA's maximum of pods, in % of the node group's raw capacity at its minimum and maximum size
            "share_at_max": {
                f"{what}_{size}": round(100 * need / have, 1)
                for what, need, base in (
                    ("cpu", pods["max"] * cpu["requests"], 1000),
                    ("mib", pods["max"] * memory["requests"], 1),
                )
                for size, have in (
                    ("min_nodes", base * nodes["vcpu_min" if what == "cpu" else "mib_min"]),
                    ("max_nodes", base * nodes["vcpu_max" if what == "cpu" else "mib_max"]),
                )
            },
        }
    return out
