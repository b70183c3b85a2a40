"""Burstable (T) instance types: their vCPUs and CPU baseline, as AWS publishes them.

A T instance earns CPU credits at its baseline (a percentage of each vCPU) and
runs in *unlimited* mode by default (T4g, T3): CPU above the baseline is not
throttled but billed per vCPU-hour of surplus credits. An Auto Scaling target
above the baseline therefore buys surplus credits all month whenever the
group runs at its target; for a ``t4g.small`` at 50 % that is more than the
instance itself. So the app tier's scaling target must stay within the baseline
(:class:`infraforge.constructs.app_tier.AppTierConfig` refuses more), and the
cost model (``covaex.analysis.cost``) prices the surplus at the target from
this same table. Plain data, no CDKTF import.

Source: Amazon EC2 User Guide, "Key concepts and definitions for burstable
performance instances" (baseline utilization per vCPU), recorded 2026-12-06.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Burstable:
    vcpus: int
    baseline_percent: int
    """CPU utilization per vCPU the instance sustains on earned credits alone."""


BURSTABLE: dict[str, Burstable] = {
    f"{family}.{size}": Burstable(vcpus, baseline)
    for family in ("t4g", "t3", "t3a")
    for size, vcpus, baseline in (
        ("nano", 2, 5),
        ("micro", 2, 10),
        ("small", 2, 20),
        ("medium", 2, 20),
        ("large", 2, 30),
        ("xlarge", 4, 40),
        ("2xlarge", 8, 40),
    )
}
"""Every burstable type this project may run, by name."""


def burstable(instance_type: str) -> Burstable | None:
    """The burst figures of ``instance_type``; None for a fixed-performance type; ValueError for an unknown T type."""
    if instance_type in BURSTABLE:
        return BURSTABLE[instance_type]
    if instance_type.split(".", 1)[0] in {"t2", "t3", "t3a", "t4g"}:
        raise ValueError(f"{instance_type} is burstable but its CPU baseline is not in infraforge.instance_types")
    return None
