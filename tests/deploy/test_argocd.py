"""Argo CD: project, per-environment sync policy and the RBAC baseline."""

from __future__ import annotations

import csv
import io

from tests.deploy.deploy_checks import OVERLAYS, REPO_ROOT, Rendered

BUILTIN_ROLES = {"role:admin", "role:readonly"}


def application(argocd: dict[str, Rendered], env: str) -> dict[str, object]:
    app = argocd[env].one("Application", f"covaex-{env}")
    assert app["apiVersion"] == "argoproj.io/v1alpha1"
    assert app["metadata"]["namespace"] == "argocd"
    return app


def test_dev_syncs_automatically_with_prune_and_self_heal(argocd: dict[str, Rendered]) -> None:
    app = argocd["dev"].one("Application", "covaex-dev")
    assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}


def test_prod_syncs_only_by_hand(argocd: dict[str, Rendered]) -> None:
    app = argocd["prod"].one("Application", "covaex-prod")
    assert "automated" not in app["spec"]["syncPolicy"]
    # Each cluster's bootstrap carries its own application only.
    assert [o["metadata"]["name"] for o in argocd["prod"].objects if o["kind"] == "Application"] == ["covaex-prod"]


def test_applications_point_at_the_overlays_they_deploy(
    argocd: dict[str, Rendered], rendered: dict[str, Rendered]
) -> None:
    for env in ("dev", "prod"):
        app = argocd[env].one("Application", f"covaex-{env}")
        spec = app["spec"]
        assert spec["project"] == "covaex"
        assert spec["source"]["targetRevision"] == "main"
        path = REPO_ROOT / spec["source"]["path"]
        assert path == OVERLAYS / env and (path / "kustomization.yaml").is_file()
        namespaces = {o["metadata"]["namespace"] for o in rendered[env].objects}
        assert spec["destination"] == {"server": "https://kubernetes.default.svc", "namespace": f"covaex-{env}"}
        assert namespaces == {spec["destination"]["namespace"]}
        assert "CreateNamespace=true" in spec["syncPolicy"]["syncOptions"]
        # The HPA owns replicas; Argo CD must not undo it.
        assert {"group": "apps", "kind": "Deployment", "name": "covaex", "jsonPointers": ["/spec/replicas"]} in spec[
            "ignoreDifferences"
        ]


def test_project_fences_sources_destinations_and_kinds(
    argocd: dict[str, Rendered], rendered: dict[str, Rendered]
) -> None:
    project = argocd["dev"].one("AppProject")
    spec = project["spec"]
    repo = argocd["dev"].one("Application", "covaex-dev")["spec"]["source"]["repoURL"]
    assert spec["sourceRepos"] == [repo]
    assert {d["namespace"] for d in spec["destinations"]} == {"covaex-dev", "covaex-prod"}
    allowed = {(k["group"], k["kind"]) for k in spec["namespaceResourceWhitelist"]}
    deployed = {(o["apiVersion"].rpartition("/")[0], o["kind"]) for o in rendered["prod"].objects}
    assert deployed == allowed, "the project allows exactly the kinds the overlays deploy"
    assert spec["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]
    assert argocd["prod"].one("AppProject") == project
    # Who may do what is said once, in argocd-rbac-cm: no project roles on the side.
    assert "roles" not in spec


def test_rbac_baseline_has_a_minimal_default_and_well_formed_policy(argocd: dict[str, Rendered]) -> None:
    cm = argocd["dev"].one("ConfigMap", "argocd-rbac-cm")
    assert cm["metadata"]["namespace"] == "argocd"
    default = cm["data"]["policy.default"]
    rows = [
        r
        for r in csv.reader(io.StringIO(cm["data"]["policy.csv"]), skipinitialspace=True)
        if r and not r[0].startswith("#")
    ]
    policies = [r for r in rows if r[0] == "p"]
    groups = [r for r in rows if r[0] == "g"]
    assert len(policies) + len(groups) == len(rows), "only p and g lines"
    for row in policies:
        assert len(row) == 6 and row[5] in {"allow", "deny"}, row
    defined = {r[1] for r in policies} | BUILTIN_ROLES
    for row in groups:
        assert len(row) == 3 and row[2] in defined, row
    # The default role may only read: no sync, no action, no write of any kind.
    default_actions = {r[3] for r in policies if r[1] == default}
    assert default in defined and default_actions == {"get"}
    # Only releasers (and break-glass admins) may sync prod.
    prod_syncers = {r[1] for r in policies if r[3] == "sync" and r[4] in {"covaex/*", "covaex/covaex-prod"}}
    assert prod_syncers == {"role:covaex-releaser"}
    assert not [r for r in policies if r[3] in {"delete", "create", "update"}]


# Field names of the Argo CD v1alpha1 CRDs (argoproj.io) that these manifests
# may use: a misspelt key would be dropped by the API server without a word.
APPLICATION_SPEC = {"project", "source", "sources", "destination", "syncPolicy", "ignoreDifferences", "info",
                    "revisionHistoryLimit"}  # fmt: skip
SYNC_POLICY = {"automated", "syncOptions", "retry", "managedNamespaceMetadata"}
PROJECT_SPEC = {"description", "sourceRepos", "destinations", "clusterResourceWhitelist", "clusterResourceBlacklist",
                "namespaceResourceWhitelist", "namespaceResourceBlacklist", "orphanedResources", "roles",
                "syncWindows", "signatureKeys", "sourceNamespaces"}  # fmt: skip


def test_argo_cd_resources_are_structurally_valid(argocd: dict[str, Rendered]) -> None:
    for env, r in argocd.items():
        for obj in r.objects:
            assert obj["apiVersion"] in {"v1", "argoproj.io/v1alpha1"}, obj["apiVersion"]
            assert set(obj) <= {"apiVersion", "kind", "metadata", "spec", "data"}, obj["kind"]
        app = r.one("Application", f"covaex-{env}")["spec"]
        assert set(app) <= APPLICATION_SPEC
        assert set(app["syncPolicy"]) <= SYNC_POLICY
        # as the one bootstrap prints it: git's path plus the account's overrides (infraforge.gitops_site)
        assert set(app["source"]) == {"repoURL", "targetRevision", "path", "kustomize"}
        assert set(app["source"]["kustomize"]) == {"images", "patches"}
        assert set(app["syncPolicy"].get("automated", {})) <= {"prune", "selfHeal", "allowEmpty"}
        for option in app["syncPolicy"]["syncOptions"]:
            key, _, value = option.partition("=")
            assert key and value in {"true", "false", "foreground", "background", "orphan"}, option
        project = r.one("AppProject")["spec"]
        assert set(project) <= PROJECT_SPEC
        for kind in project["namespaceResourceWhitelist"] + project["clusterResourceWhitelist"]:
            assert set(kind) == {"group", "kind"}


def test_argo_cd_respects_ignored_differences_when_it_syncs(argocd: dict[str, Rendered]) -> None:
    # ignoreDifferences alone only hides the diff: a sync would still reset the HPA's replicas.
    for env in ("dev", "prod"):
        app = argocd[env].one("Application", f"covaex-{env}")["spec"]
        assert {"group": "apps", "kind": "Deployment", "name": "covaex", "jsonPointers": ["/spec/replicas"]} in (
            app["ignoreDifferences"]
        )
        assert "RespectIgnoreDifferences=true" in app["syncPolicy"]["syncOptions"]
