"""EPIC 3-6 pages from the deploy and CI files: kustomize overlays, Argo CD, workflows.

Every YAML file is read as data together with its leading comment (the
*why* its author wrote down); pages show both, so a changed annotation,
sync option or CI step shows up on the next build.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from infraforge.gitops_site import BOOTSTRAP_COMMAND, BOOTSTRAP_FILES

from covaex.docsite.inputs import Inputs
from covaex.docsite.paths import REPO_ROOT
from covaex.docsite.sections import FactError, PendingInput

DEPLOY = REPO_ROOT / "deploy"
WORKFLOWS = REPO_ROOT / ".github" / "workflows"


@dataclass(frozen=True)
class YamlFile:
    path: str
    comment: str
    docs: tuple[Any, ...]

    def kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if isinstance(d, dict) and d.get("kind") == kind]


def leading_comment(text: str, marker: str = "#") -> str:
    lines = []
    for line in text.splitlines():
        if line.startswith("#!"):
            continue
        if not line.startswith(marker):
            break
        lines.append(line[len(marker) :].strip())
    return "\n".join(lines).strip()


# PyYAML's safe loader on libyaml's parser (the same objects as yaml.safe_load, a tenth of the CPU): the deploy
# files and the rendered overlays are read on every render of the site.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> YamlFile:
    text = path.read_text(encoding="utf-8")
    documents = tuple(yaml.load_all(text, Loader=_SAFE_LOADER))
    return YamlFile(path.relative_to(REPO_ROOT).as_posix(), leading_comment(text), documents)


def _files(root: Path, pattern: str) -> list[YamlFile]:
    if not root.is_dir():
        raise PendingInput(f"`{root.relative_to(REPO_ROOT)}/` does not exist yet")
    found = [read_yaml(p) for p in sorted(root.glob(pattern))]
    if not found:
        raise PendingInput(f"no `{pattern}` under `{root.relative_to(REPO_ROOT)}/` yet")
    return found


def overlays(inputs: Inputs) -> dict[str, dict[str, Any]]:
    """Per environment overlay: namespace, image, replicas, patches, the why comment, ingress annotations."""
    out: dict[str, dict[str, Any]] = {}
    base = {f.path.rsplit("/", 1)[-1]: f for f in _files(DEPLOY / "k8s" / "base", "*.yaml")}
    for kfile in _files(DEPLOY / "k8s" / "overlays", "*/kustomization.yaml"):
        env = kfile.path.split("/")[-2]
        k = kfile.docs[0] or {}
        folder = REPO_ROOT / kfile.path.rsplit("/", 1)[0]
        ingress = _annotations(base.get("ingress.yaml"))
        patch = folder / "ingress.yaml"
        if patch.is_file():
            ingress.update(_annotations(read_yaml(patch)))
        out[env] = {
            "path": kfile.path,
            "comment": kfile.comment,
            "namespace": k.get("namespace", "-"),
            "images": k.get("images") or [],
            "replicas": k.get("replicas") or [],
            "patches": [p.get("path", "") if isinstance(p, dict) else str(p) for p in k.get("patches") or []],
            "ingress": sorted(ingress.items()),
            "files": {p.name: read_yaml(p) for p in sorted(folder.glob("*.yaml"))},
        }
    return out


def _annotations(f: YamlFile | None) -> dict[str, str]:
    if f is None:
        return {}
    found: dict[str, str] = {}
    for doc in f.docs:
        if isinstance(doc, dict):
            found.update(
                {str(k): str(v).strip() for k, v in ((doc.get("metadata") or {}).get("annotations") or {}).items()}
            )
    return found


def base_manifests(inputs: Inputs) -> dict[str, YamlFile]:
    return {f.path.rsplit("/", 1)[-1]: f for f in _files(DEPLOY / "k8s" / "base", "*.yaml")}


def argocd(inputs: Inputs) -> dict[str, Any]:
    """Applications (one per environment), the AppProject and the RBAC policy, with their comments."""
    files = _files(DEPLOY / "argocd", "*/*.yaml")
    apps, projects, rbac = [], [], []
    for f in files:
        for doc in f.kind("Application"):
            spec = doc.get("spec") or {}
            sync = spec.get("syncPolicy") or {}
            automated = sync.get("automated")
            apps.append(
                {
                    "name": doc["metadata"]["name"],
                    "path": f.path,
                    "comment": f.comment,
                    "source": spec.get("source") or {},
                    "namespace": (spec.get("destination") or {}).get("namespace", "-"),
                    "automated": automated is not None,
                    "prune": bool((automated or {}).get("prune")),
                    "self_heal": bool((automated or {}).get("selfHeal")),
                    "options": sync.get("syncOptions") or [],
                    "retry": sync.get("retry") or {},
                    "ignore": spec.get("ignoreDifferences") or [],
                }
            )
        for doc in f.kind("AppProject"):
            projects.append(
                {"name": doc["metadata"]["name"], "path": f.path, "comment": f.comment, "spec": doc.get("spec") or {}}
            )
        for doc in f.kind("ConfigMap"):
            if doc["metadata"]["name"] == "argocd-rbac-cm":
                rbac.append({"path": f.path, "comment": f.comment, **_rbac(doc.get("data") or {})})
    return {
        "apps": sorted(apps, key=lambda a: a["name"]),
        "projects": projects,
        "rbac": rbac,
        # the one bootstrap path (infraforge.gitops_site): the files it reads and the command, per environment
        "bootstrap": {
            "command": BOOTSTRAP_COMMAND.format(env="<env>"),
            "files": [f"deploy/argocd/{name.format(env='<env>')}" for name in BOOTSTRAP_FILES],
        },
    }


def _rbac(data: dict[str, Any]) -> dict[str, Any]:
    policies, groups, comments = [], [], []
    for raw in str(data.get("policy.csv", "")).splitlines():
        line = raw.strip()
        if line.startswith("#"):
            comments.append(line[1:].strip())
            continue
        parts = [p.strip() for p in line.split(",")]
        if parts[0] == "p" and len(parts) >= 6:
            policies.append(tuple(parts[1:6]))
        elif parts[0] == "g" and len(parts) >= 3:
            groups.append((parts[1], parts[2]))
    return {
        "default": data.get("policy.default", "-"),
        "scopes": data.get("scopes", "-"),
        "policies": policies,
        "groups": groups,
        "roles_doc": comments,
    }


def workflows(inputs: Inputs) -> list[dict[str, Any]]:
    """Each CI workflow: triggers, jobs with their steps (name and the whole command)."""
    out = []
    for f in _files(WORKFLOWS, "*.yml"):
        doc = f.docs[0] or {}
        # YAML reads the key `on` as True.
        triggers = doc.get("on", doc.get(True)) or {}
        jobs = []
        for job_id, job in (doc.get("jobs") or {}).items():
            steps = []
            for step in job.get("steps") or []:
                run = str(step.get("run", "")).strip()
                steps.append((step.get("name") or step.get("uses") or "-", run or step.get("uses", "")))
            needs = job.get("needs") or []
            jobs.append(
                {
                    "id": job_id,
                    "name": job.get("name", job_id),
                    "runs_on": job.get("runs-on", "-"),
                    "needs": [needs] if isinstance(needs, str) else list(needs),
                    "steps": steps,
                    "if": job.get("if", ""),
                }
            )
        out.append(
            {
                "path": f.path,
                "name": doc.get("name", f.path),
                "comment": f.comment,
                "triggers": sorted(triggers) if isinstance(triggers, dict) else [str(triggers)],
                "jobs": jobs,
                "permissions": doc.get("permissions") or {},
            }
        )
    return out


def image_flow(inputs: Inputs) -> dict[str, Any]:
    """The tag bump script's contract and the deploy README's image update section (when written)."""
    script = DEPLOY / "bump-image-tag.sh"
    if not script.is_file():
        raise PendingInput("`deploy/bump-image-tag.sh` does not exist yet")
    readme = DEPLOY / "README.md"
    return {
        "script": leading_comment(script.read_text(encoding="utf-8")),
        "readme": _unlink(readme.read_text(encoding="utf-8")) if readme.is_file() else None,
    }


_RELATIVE_LINK = re.compile(r"\[([^\]]+)\]\((?!https?://|#)([^)]+)\)")


def _unlink(markdown: str) -> str:
    """Links relative to ``deploy/`` would point nowhere on the site (and fail --strict): keep them as paths."""
    return _RELATIVE_LINK.sub(lambda m: f"{m.group(1)} (`deploy/{m.group(2)}`)", markdown)


def dashboard(inputs: Inputs) -> dict[str, Any]:
    """Panels of the Grafana dashboard shipped with the app, and the Prometheus alert rules."""
    files = list((DEPLOY / "k8s" / "base" / "dashboards").glob("*.json"))
    if not files:
        raise PendingInput("no Grafana dashboard under `deploy/k8s/base/dashboards/` yet")
    exported = service_series()
    boards = []
    for path in sorted(files):
        board = json.loads(path.read_text(encoding="utf-8"))
        panels = []
        for panel in board.get("panels") or []:
            exprs = [t.get("expr", "") for t in panel.get("targets") or []]
            series = sorted({name for e in exprs for name in _SERIES.findall(e)})
            grid = panel.get("gridPos") or {}
            panels.append(
                {
                    "title": panel.get("title", "-"),
                    "type": panel.get("type", "-"),
                    "description": panel.get("description", ""),
                    "exprs": exprs,
                    "series": series,
                    "missing": [name for name in series if name not in exported],
                    "unit": ((panel.get("fieldConfig") or {}).get("defaults") or {}).get("unit", ""),
                    "grid": {k: int(grid.get(k, 0)) for k in ("x", "y", "w", "h")},
                }
            )
        broken = [(p["title"], name) for p in panels for name in p["missing"]]
        if broken:
            where = path.relative_to(REPO_ROOT).as_posix()
            title, name = broken[0]
            raise FactError(f"{where}: panel {title!r} queries {name}, which the service's /metrics does not expose")
        boards.append(
            {
                "path": path.relative_to(REPO_ROOT).as_posix(),
                "stem": path.stem,
                "title": board.get("title", path.stem),
                "panels": panels,
            }
        )
    rules = []
    prom = DEPLOY / "k8s" / "base" / "prometheusrule.yaml"
    if prom.is_file():
        for doc in read_yaml(prom).kind("PrometheusRule"):
            for group in (doc.get("spec") or {}).get("groups") or []:
                for rule in group.get("rules") or []:
                    if "alert" in rule:
                        rules.append(
                            {
                                "alert": rule["alert"],
                                "expr": str(rule.get("expr", "")).strip(),
                                "for": rule.get("for", "-"),
                                "severity": (rule.get("labels") or {}).get("severity", "-"),
                                "summary": (rule.get("annotations") or {}).get("summary", ""),
                            }
                        )
    shown = {name for b in boards for p in b["panels"] for name in p["series"]}
    # a counter's _created and a histogram's _count/_sum are bookkeeping, not series a panel would chart
    unshown = sorted(n for n in exported - shown if not n.endswith(("_created", "_count", "_sum")))
    return {
        "boards": boards,
        "rules": rules,
        "exported": sorted(exported),
        "queried": sorted(shown),
        "unshown": unshown,
    }


_SERIES = re.compile(r"\bcovaex_[a-z_]+\b")


def service_series() -> set[str]:
    """The series names ``GET /metrics`` exposes, from the service's own registry rendered in the text format
    (`covaex_service.market.metrics.MarketMetrics`): what a dashboard query can find."""
    from covaex_service.market.metrics import MarketMetrics
    from covaex_service.market.stats import FeedStats, GatewayStats
    from prometheus_client import generate_latest

    text = generate_latest(MarketMetrics(FeedStats(), GatewayStats(), worker="docs").registry).decode()
    return {re.split(r"[{ ]", line, maxsplit=1)[0] for line in text.splitlines() if line and not line.startswith("#")}


def alert_runbooks(inputs: Inputs) -> dict[str, Any]:
    """``deploy/runbooks.md`` per Prometheus alert: its section text, and alerts that have none."""
    path = DEPLOY / "runbooks.md"
    if not path.is_file():
        raise PendingInput("`deploy/runbooks.md` does not exist yet")
    text = path.read_text(encoding="utf-8")
    intro, *parts = text.split("\n## ")
    sections = {}
    for part in parts:
        heading, _, body = part.partition("\n")
        sections[heading.strip()] = body.strip()
    rules = dashboard(inputs)["rules"]
    return {
        "intro": intro.split("\n", 1)[1].strip() if intro.startswith("# ") and "\n" in intro else intro.strip(),
        "alerts": [
            {"alert": r["alert"], "severity": r["severity"], "for": r["for"], "text": sections.get(r["alert"])}
            for r in rules
        ],
        "extra": sorted(set(sections) - {r["alert"] for r in rules}),
    }


_SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE|_KEY\b|^KEY\b", re.I)


def image_build(inputs: Inputs) -> dict[str, Any]:
    return read_image_build(REPO_ROOT)


def read_image_build(root: Path) -> dict[str, Any]:
    """What the image is built from: the Dockerfile's COPY sources and build args (each checked for a secret's
    name), and the build context ``.dockerignore`` lets in."""
    dockerfile = (root / "Dockerfile").read_text(encoding="utf-8")
    copies = [line.split(None, 1)[1] for line in dockerfile.splitlines() if line.startswith("COPY ")]
    args = [line.split(None, 1)[1].split("=", 1)[0] for line in dockerfile.splitlines() if line.startswith("ARG ")]
    ignore = [ln.strip() for ln in (root / ".dockerignore").read_text(encoding="utf-8").splitlines()]
    rules = [ln for ln in ignore if ln and not ln.startswith("#")]
    return {
        "copies": copies,
        "args": args,
        "secret_args": [a for a in args if _SECRET_NAME.search(a)],
        "deny_all_first": bool(rules) and rules[0] == "*",
        "allowed": [ln[1:] for ln in rules if ln.startswith("!")],
        "excluded": [ln for ln in rules[1:] if not ln.startswith("!")],
    }


KUBECTL = REPO_ROOT / "tools" / "lint" / "node_modules" / ".bin" / "kubectl"


def rendered_overlays(inputs: Inputs) -> dict[str, dict[str, Any]]:
    """Per environment, what its overlay deploys once kustomize has applied the patches (kubectl's built-in
    kustomize, pinned in ``tools/lint``): replicas, requests and limits, the HPA's range and target, the PDB,
    the Ingress's annotations. Rendered once per build."""
    if "rendered_overlays" not in inputs.memo:
        inputs.memo["rendered_overlays"] = _render_overlays()
    found: dict[str, dict[str, Any]] = inputs.memo["rendered_overlays"]
    return found


def _render_overlays() -> dict[str, dict[str, Any]]:
    if not KUBECTL.is_file():
        raise PendingInput(f"{KUBECTL.relative_to(REPO_ROOT)} is missing: scripts/setup.sh installs it")
    out: dict[str, dict[str, Any]] = {}
    for folder in sorted((DEPLOY / "k8s" / "overlays").iterdir()):
        if not (folder / "kustomization.yaml").is_file():
            continue
        proc = subprocess.run(  # noqa: S603 - the pinned kubectl, our own overlay
            [str(KUBECTL), "kustomize", str(folder)], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise FactError(f"kustomize {folder.relative_to(REPO_ROOT)} failed: {proc.stderr.strip()[-200:]}")
        docs = [d for d in yaml.load_all(proc.stdout, Loader=_SAFE_LOADER) if isinstance(d, dict)]
        kinds = {d.get("kind"): d for d in docs}
        deployment, hpa, pdb = (
            kinds.get("Deployment") or {},
            kinds.get("HorizontalPodAutoscaler") or {},
            kinds.get("PodDisruptionBudget") or {},
        )
        spec = deployment.get("spec") or {}
        container = ((spec.get("template") or {}).get("spec") or {}).get("containers", [{}])[0]
        resources = container.get("resources") or {}
        metric: dict[str, Any] = next(iter((hpa.get("spec") or {}).get("metrics") or []), {})
        out[folder.name] = {
            "namespace": (deployment.get("metadata") or {}).get("namespace", "-"),
            "replicas": spec.get("replicas"),
            "args": [str(a) for a in container.get("args") or []],
            "probes": {
                kind: str(((container.get(kind) or {}).get("httpGet") or {}).get("path", ""))
                for kind in ("startupProbe", "readinessProbe", "livenessProbe")
            },
            "strategy": (spec.get("strategy") or {}).get("rollingUpdate") or {},
            "requests": resources.get("requests") or {},
            "limits": resources.get("limits") or {},
            "hpa": {
                "min": (hpa.get("spec") or {}).get("minReplicas"),
                "max": (hpa.get("spec") or {}).get("maxReplicas"),
                "target": ((metric.get("resource") or {}).get("target") or {}).get("averageUtilization"),
                "metric": (metric.get("resource") or {}).get("name"),
            },
            "pdb": {k: v for k, v in (pdb.get("spec") or {}).items() if k in ("minAvailable", "maxUnavailable")},
            "ingress": dict(((kinds.get("Ingress") or {}).get("metadata") or {}).get("annotations") or {}),
            "ingress_rules": _ingress_rules(kinds.get("Ingress") or {}),
            "service_ports": {
                (d.get("metadata") or {}).get("name"): {
                    str(p.get("name")): p.get("targetPort") for p in (d.get("spec") or {}).get("ports") or []
                }
                for d in docs
                if d.get("kind") == "Service"
            },
            "container_ports": {str(p.get("name")): p.get("containerPort") for p in container.get("ports") or []},
        }
    return out


def _ingress_rules(ingress: dict[str, Any]) -> list[dict[str, str]]:
    """The Ingress's path rules in their order (the controller keeps it): host, path, type, backend service, port."""
    rules = []
    for rule in (ingress.get("spec") or {}).get("rules") or []:
        for item in (rule.get("http") or {}).get("paths") or []:
            service = ((item.get("backend") or {}).get("service")) or {}
            port = service.get("port") or {}
            rules.append(
                {
                    "host": str(rule.get("host", "*")),
                    "path": str(item.get("path", "/")),
                    "type": str(item.get("pathType", "Prefix")),
                    "service": str(service.get("name", "")),
                    "port": str(port.get("name") or port.get("number") or ""),
                }
            )
    return rules


def route_request(rules: list[dict[str, str]], path: str) -> dict[str, str] | None:
    """The first rule that takes ``path`` (Kubernetes' matching: Exact is the whole path, Prefix whole path
    elements; the AWS Load Balancer Controller keeps the listed order), or None."""
    for rule in rules:
        want = rule["path"]
        if rule["type"] == "Exact":
            if path == want:
                return rule
        elif want == "/" or path == want.rstrip("/") or path.startswith(want.rstrip("/") + "/"):
            return rule
    return None


def ingress_test(inputs: Inputs) -> dict[str, Any]:
    """The Ingress tested on its rendered manifests, per environment: where each path of the service goes
    (its OpenAPI paths, the WebSocket, the pages and the operator endpoints), the port chain Ingress ->
    Service -> container, and the ALB settings against what the service needs (idle timeout against the
    WebSocket keep-alive, health check path served by the app)."""
    from covaex_service.market.gateway.handler import WS_PATH
    from covaex_service.market.gateway.protocol import KEEPALIVE_SECONDS
    from covaex_service.openapi import openapi_document

    api = sorted(str(p).replace("{symbol}", "BTCUSDT") for p in openapi_document()["paths"])
    probes = sorted({"/", "/coins/BTCUSDT", WS_PATH, "/metrics", "/readyz", *api})
    out = {}
    for env, overlay in rendered_overlays(inputs).items():
        rules, notes = overlay["ingress_rules"], overlay["ingress"]
        if not rules:
            raise FactError(f"deploy/k8s/overlays/{env}: the rendered Ingress has no path rule")
        rows: list[dict[str, Any]] = []
        for path in probes:
            rule = route_request(rules, path)
            if rule is None:
                rows.append({"path": path, "to": "none", "rule": "-", "port": None})
                continue
            action = f"alb.ingress.kubernetes.io/actions.{rule['service']}"
            if rule["port"] == "use-annotation" and action in notes:
                fixed = (json.loads(notes[action]).get("fixedResponseConfig")) or {}
                to = f"ALB {fixed.get('statusCode', '?')}"
                rows.append({"path": path, "to": to, "rule": f"{rule['type']} {rule['path']}", "port": None})
                continue
            target = (overlay["service_ports"].get(rule["service"]) or {}).get(rule["port"])
            container = overlay["container_ports"].get(str(target), target if isinstance(target, int) else None)
            if container is None:
                raise FactError(
                    f"deploy/k8s/overlays/{env}: Ingress path {rule['path']} -> Service {rule['service']} port "
                    f"{rule['port']} reaches no container port"
                )
            rows.append(
                {
                    "path": path,
                    "to": f"Service {rule['service']}:{rule['port']}",
                    "rule": f"{rule['type']} {rule['path']}",
                    "port": container,
                }
            )
        attrs = dict(
            part.strip().split("=", 1)
            for part in str(notes.get("alb.ingress.kubernetes.io/load-balancer-attributes", "")).split(",")
            if "=" in part
        )
        idle = int(attrs.get("idle_timeout.timeout_seconds", 60))
        health = str(notes.get("alb.ingress.kubernetes.io/healthcheck-path", "/"))
        health_row = next((r for r in rows if r["path"] == health), None)
        interval = int(notes.get("alb.ingress.kubernetes.io/healthcheck-interval-seconds", 15))
        unhealthy = int(notes.get("alb.ingress.kubernetes.io/unhealthy-threshold-count", 2))
        checks = [
            {
                "what": "WebSocket이 조용해도 ALB가 끊지 않음",
                "ok": idle > KEEPALIVE_SECONDS,
                "why": f"ALB 유휴 제한 (idle timeout) {idle} s > 서비스의 keep-alive 핑 간격 {KEEPALIVE_SECONDS:g} s",
            },
            {
                "what": "헬스 체크 경로를 앱이 받음",
                "ok": health_row is not None and health_row["port"] is not None,
                "why": f"`{health}` → {health_row['to'] if health_row else '규칙 없음'}",
            },
            {
                "what": "운영용 경로는 인터넷에서 닫힘",
                "ok": all(r["to"].startswith("ALB 4") for r in rows if r["path"] in ("/metrics", "/readyz")),
                "why": ", ".join(f"`{r['path']}` → {r['to']}" for r in rows if r["path"] in ("/metrics", "/readyz")),
            },
            {
                "what": "공개 경로는 모두 앱으로",
                "ok": all(r["port"] is not None for r in rows if r["path"] not in ("/metrics", "/readyz")),
                "why": f"{sum(1 for r in rows if r['port'] is not None)}개 경로가 컨테이너 포트로",
            },
        ]
        out[env] = {
            "rows": rows,
            "checks": checks,
            "drop_after": interval * unhealthy,
            "interval": interval,
            "unhealthy": unhealthy,
            "idle": idle,
        }
    return out
