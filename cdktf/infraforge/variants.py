"""Variants of ``tobe-v1-dev`` that each add one resilience step, synthesized to price what it buys.

``python -m infraforge.variants --out DIR`` synthesizes one stack per step
(``variant-<step>``): the dev environment's own configuration
(:func:`infraforge.config.environment_config`) with exactly that step of prod
applied (or, for ``vpn-second-connection``, a step beyond prod: a second
on-prem device). ``covaex`` prices each against ``tobe-v1-dev`` (or the
variant it builds on, :data:`BASES`) and runs the SPOF rules on both (the
``covaex diff`` ingredients): what the step costs a month and which single
points of failure it removes. Nothing here is deployed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path

from cdktf import App

from infraforge.config import EnvironmentConfig, environment_config
from infraforge.inputs import DOCS_EXAMPLE_DEFAULTS, read_inputs

Step = Callable[[EnvironmentConfig], EnvironmentConfig]


@dataclasses.dataclass(frozen=True)
class VariantConfig(EnvironmentConfig):
    """An environment's configuration under another stack name (``variant-<step>``)."""

    variant: str = ""

    @property
    def stack_name(self) -> str:
        return f"variant-{self.variant}"


def _multi_az_database(c: EnvironmentConfig) -> EnvironmentConfig:
    return dataclasses.replace(c, database=dataclasses.replace(c.database, multi_az=True))


def _nat_gateway_per_az(c: EnvironmentConfig) -> EnvironmentConfig:
    return dataclasses.replace(c, network=dataclasses.replace(c.network, single_nat=False, nat_instance=None))


def _second_app_instance(c: EnvironmentConfig) -> EnvironmentConfig:
    tier = dataclasses.replace(
        c.app_tier, min_size=2, desired_capacity=2, min_healthy_percentage=100, max_healthy_percentage=200
    )
    return dataclasses.replace(
        c, app_tier=tier, observability=dataclasses.replace(c.observability, app_min_instances=2)
    )


def _vpn(c: EnvironmentConfig) -> EnvironmentConfig:
    return dataclasses.replace(c, vpn=dataclasses.replace(c.vpn, enabled=True))


# The second on-prem device of the variant: the documentation range (RFC 5737) beside the fake default peer,
# never deployed. No environment has a second device yet, so this step goes beyond prod.
SECOND_PEER_EXAMPLE = "203.0.113.11"


def _vpn_second_connection(c: EnvironmentConfig) -> EnvironmentConfig:
    return dataclasses.replace(c, vpn=dataclasses.replace(c.vpn, enabled=True, second_peer_ip=SECOND_PEER_EXAMPLE))


# Each step of prod, applied alone to dev, in the order the story adds them.
STEPS: dict[str, Step] = {
    "multi-az-database": _multi_az_database,
    "nat-gateway-per-az": _nat_gateway_per_az,
    "second-app-instance": _second_app_instance,
    "vpn": _vpn,
    "vpn-second-connection": _vpn_second_connection,
}

# A step that builds on another is compared with that step's variant, not with dev: the second VPN connection
# is priced against dev with one connection.
BASES: dict[str, str] = {"vpn-second-connection": "vpn"}


def build_variants(outdir: str) -> App:
    app = App(outdir=outdir)
    base = environment_config("dev", read_inputs("dev", os.environ, app.node.try_get_context, DOCS_EXAMPLE_DEFAULTS))
    configs = []
    for name, step in STEPS.items():
        changed = step(base)
        configs.append(
            VariantConfig(**{f.name: getattr(changed, f.name) for f in dataclasses.fields(changed)}, variant=name)
        )
    # every config is built (and checked) before the stack module, and with it the AWS provider (~20 s), is imported
    from infraforge.stacks.tobe_v1 import TobeV1Stack

    for config in configs:
        TobeV1Stack(app, config)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m infraforge.variants")
    parser.add_argument("--out", required=True)
    out = parser.parse_args().out
    build_variants(out).synth()
    # what a reader of the synthesized folder needs besides the stacks: each step's base (variants.json)
    manifest = {"steps": list(STEPS), "bases": BASES}
    (Path(out) / "variants.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
