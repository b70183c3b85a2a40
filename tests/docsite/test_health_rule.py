"""The health rule page: every routing check of v1 and v2 follows the one rule (covaex_service.market.health)."""

from __future__ import annotations

import copy

import pytest
from covaex_service.market.health import DEPENDENCIES, LIVENESS_PATH, READINESS_CHECKS

from covaex.analysis.errors import FactError
from covaex.docsite.facts.gitops import rendered_overlays
from covaex.docsite.facts.health import health_rule
from covaex.docsite.inputs import Inputs, load_data, load_stacks
from covaex.synth import SynthResult


def test_every_routing_check_of_both_families_is_liveness(synthesized: SynthResult) -> None:
    rule = health_rule(Inputs(load_stacks(synthesized), load_data()))
    seen = {(c["environment"], c["family"]) for c in rule["checks"]}
    assert seen == {("dev", "v1"), ("dev", "v2"), ("prod", "v1"), ("prod", "v2")}
    assert {c["path"] for c in rule["checks"]} == {LIVENESS_PATH}
    whats = [c["what"] for c in rule["checks"] if c["environment"] == "prod"]
    assert any("readinessProbe" in w for w in whats) and any("Ingress" in w for w in whats)
    # every shared dependency is on the page, readiness checks the ones it names
    assert [d["name"] for d in rule["dependencies"]] == [d.name for d in DEPENDENCIES]
    assert tuple(d["check"] for d in rule["dependencies"] if d["check"]) == READINESS_CHECKS


def test_a_probe_on_readiness_fails_the_build_in_one_line(synthesized: SynthResult) -> None:
    inputs = Inputs(load_stacks(synthesized), load_data())
    overlays = copy.deepcopy(rendered_overlays(inputs))
    overlays["prod"]["probes"]["readinessProbe"] = "/readyz"
    inputs.memo["rendered_overlays"] = overlays
    with pytest.raises(FactError) as caught:
        health_rule(inputs)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("prod: deploy/k8s/overlays/prod: readinessProbe checks /readyz")
    assert "route on /healthz" in message
