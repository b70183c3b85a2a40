"""The kustomize overlays render with a real kustomize and say what each environment runs."""

from __future__ import annotations

import json
import re
from typing import Any

from infraforge.constructs.config import INTERNAL_PATHS, AlbConfig

from tests.deploy.deploy_checks import OVERLAYS, Rendered, kustomize, render

V1_HEALTH_PATH = AlbConfig.health_check_path
"""The v1 target group's health path (liveness): the one rule the EKS Ingress and readinessProbe follow."""

# the registry is the account's, set by the Argo CD Application (tests/deploy/test_gitops_site.py)
ECR_IMAGE = "registry.invalid/covaex"
SHA_TAG = re.compile(r"^sha-[0-9a-f]{40}$")
RELEASE_TAG = re.compile(r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}


def container(r: Rendered) -> dict[str, Any]:
    containers = r.one("Deployment")["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["covaex"]
    result: dict[str, Any] = containers[0]
    return result


def test_prod_overlay_runs_three_replicas_of_a_release_in_covaex_prod(rendered: dict[str, Rendered]) -> None:
    prod = rendered["prod"]
    assert {o["metadata"].get("namespace") for o in prod.objects if o["kind"] not in CLUSTER_SCOPED} == {"covaex-prod"}
    assert prod.one("Deployment")["spec"]["replicas"] == 3
    image, tag = container(prod)["image"].rsplit(":", 1)
    assert image == ECR_IMAGE
    assert RELEASE_TAG.match(tag), f"prod runs release tags only, got {tag}"
    hpa = prod.one("HorizontalPodAutoscaler")["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 9)
    assert prod.one("PodDisruptionBudget")["spec"] == {
        "minAvailable": 2,
        "selector": {
            "matchLabels": {
                "app.kubernetes.io/component": "web",
                "app.kubernetes.io/name": "covaex",
                "app.kubernetes.io/part-of": "covaex",
            }
        },
    }
    assert prod.one("ConfigMap", "covaex-config")["data"]["COVAEX_ENV"] == "prod"
    spread = prod.one("Deployment")["spec"]["template"]["spec"]["topologySpreadConstraints"]
    zone = [c for c in spread if c["topologyKey"] == "topology.kubernetes.io/zone"]
    assert [c["whenUnsatisfiable"] for c in zone] == ["DoNotSchedule"]


def test_dev_overlay_runs_a_build_in_covaex_dev(rendered: dict[str, Rendered]) -> None:
    dev = rendered["dev"]
    assert {o["metadata"].get("namespace") for o in dev.objects} == {"covaex-dev"}
    assert dev.one("Deployment")["spec"]["replicas"] == 1
    image, tag = container(dev)["image"].rsplit(":", 1)
    assert image == ECR_IMAGE
    assert SHA_TAG.match(tag) or RELEASE_TAG.match(tag), tag


def test_no_environment_deploys_a_moving_tag(rendered: dict[str, Rendered]) -> None:
    for env, r in rendered.items():
        image = container(r)["image"]
        assert ":" in image and not image.endswith((":latest", ":unset")), f"{env}: {image}"


def test_each_environment_has_its_own_host(rendered: dict[str, Rendered]) -> None:
    # Role ARNs and VPC ranges are checked against the platform config in test_platform_contract.py.
    for env, r in rendered.items():
        sa = r.one("ServiceAccount")
        assert sa["automountServiceAccountToken"] is False
        assert r.one("Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == "covaex"
        host = r.one("Ingress")["spec"]["rules"][0]["host"]
        assert host == ("dev.covaex.example.com" if env == "dev" else "www.covaex.example.com")


def test_probes_security_context_and_resources(rendered: dict[str, Rendered]) -> None:
    for env, r in rendered.items():
        c = container(r)
        # One rule with v1 (the ALB target group's liveness path): a shared dependency down keeps the pods.
        assert c["readinessProbe"]["httpGet"] == {"path": V1_HEALTH_PATH, "port": "http"}, env
        assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, env
        assert c["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
        sc = c["securityContext"]
        assert sc["runAsNonRoot"] is True and sc["runAsUser"] >= 10000
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        pod = r.one("Deployment")["spec"]["template"]["spec"]
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for kind in ("requests", "limits"):
            assert set(c["resources"][kind]) == {"cpu", "memory"}, env
        # Secrets are referenced by name only: the one literal value is the URL built from references
        secret_vars = {e["name"] for e in c["env"] if "secretKeyRef" in e.get("valueFrom", {})}
        assert secret_vars == {"DB_USERNAME", "DB_PASSWORD", "COVAEX_SECRET_KEY"}
        literals = {e["name"]: e["value"] for e in c["env"] if "value" in e}
        assert set(literals) == {"COVAEX_DATABASE_URL"}
        assert "$(DB_PASSWORD)" in literals["COVAEX_DATABASE_URL"]


def test_ingress_is_an_https_alb_fit_for_websockets(rendered: dict[str, Rendered]) -> None:
    for r in rendered.values():
        ingress = r.one("Ingress")
        a = ingress["metadata"]["annotations"]
        assert ingress["spec"]["ingressClassName"] == "alb"
        lb = dict(kv.split("=", 1) for kv in a["alb.ingress.kubernetes.io/load-balancer-attributes"].split(","))
        assert int(lb["idle_timeout.timeout_seconds"]) >= 3600, "quiet WebSockets must outlive the idle timeout"
        tg = dict(kv.split("=", 1) for kv in a["alb.ingress.kubernetes.io/target-group-attributes"].split(","))
        assert tg["stickiness.enabled"] == "true" and tg["stickiness.type"] == "lb_cookie"
        assert a["alb.ingress.kubernetes.io/healthcheck-path"] == V1_HEALTH_PATH
        assert a["alb.ingress.kubernetes.io/target-type"] == "ip"
        assert '{"HTTPS": 443}' in a["alb.ingress.kubernetes.io/listen-ports"]
        assert a["alb.ingress.kubernetes.io/ssl-redirect"] == "443"
        *_refused, catch_all = ingress["spec"]["rules"][0]["http"]["paths"]
        assert catch_all["path"] == "/"
        backend = catch_all["backend"]["service"]
        service = r.one("Service")
        assert backend == {"name": service["metadata"]["name"], "port": {"name": "http"}}
        assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_selectors_match_the_pods(rendered: dict[str, Rendered]) -> None:
    for r in rendered.values():
        labels = r.one("Deployment")["spec"]["template"]["metadata"]["labels"]
        for kind in ("Service", "PodDisruptionBudget", "NetworkPolicy"):
            spec = r.one(kind)["spec"]
            selector = spec.get("selector") or spec["podSelector"]
            selector = selector.get("matchLabels", selector)
            assert selector.items() <= labels.items(), kind
        assert r.one("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]["name"] == "covaex"


def test_overlays_differ_only_where_environments_should(rendered: dict[str, Rendered]) -> None:
    kinds = {env: sorted((o["kind"], o["metadata"]["name"]) for o in r.objects) for env, r in rendered.items()}
    assert kinds["dev"] == kinds["prod"]
    assert len(kinds["prod"]) == 13  # 11 + the SecretStore and ExternalSecret (issue 24)


def test_base_renders_on_its_own() -> None:
    base = render(OVERLAYS.parent / "base")
    assert {o["kind"] for o in base.objects} >= {"Deployment", "Service", "Ingress", "ServiceMonitor"}
    # The base names no namespace: only overlays decide where things run.
    assert all("namespace" not in o["metadata"] for o in base.objects)


def test_broken_kustomization_is_reported(tmp_path: object) -> None:
    """Negative control: the renderer really parses, so a bad overlay fails."""
    from pathlib import Path

    bad = Path(str(tmp_path))
    (bad / "kustomization.yaml").write_text("resources:\n  - does-not-exist.yaml\n", encoding="utf-8")
    try:
        kustomize(bad)
    except AssertionError as failure:
        assert "does-not-exist.yaml" in str(failure)
    else:
        raise AssertionError("kustomize accepted a missing resource")


def test_the_ingress_refuses_v1s_internal_paths_before_the_app(rendered: dict[str, Rendered]) -> None:
    """/metrics and /readyz answer 404 at the ALB, as v1's listener rule does (INTERNAL_PATHS, one source)."""
    for env, r in rendered.items():
        ingress = r.one("Ingress")
        action = json.loads(ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/actions.internal-only"])
        assert action["type"] == "fixed-response" and action["fixedResponseConfig"]["statusCode"] == "404"
        *refused, catch_all = ingress["spec"]["rules"][0]["http"]["paths"]
        patterns: set[str] = set()
        for path in refused:
            assert path["backend"]["service"] == {"name": "internal-only", "port": {"name": "use-annotation"}}
            # ALB path patterns of a Kubernetes path: Prefix /x is /x and /x/*, Exact /x is /x.
            patterns |= {path["path"], f"{path['path']}/*"} if path["pathType"] == "Prefix" else {path["path"]}
        assert patterns == set(INTERNAL_PATHS), env
        assert catch_all["backend"]["service"]["name"] == r.one("Service")["metadata"]["name"]
