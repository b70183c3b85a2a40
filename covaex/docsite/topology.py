"""Pages' view of the topology package: one model per stack, SPOF findings and diagrams.

The model (``covaex.topology.model.build_topology``) is built once per stack
per build and shared by every page that needs subnets, routes or SG rules.
Diagrams are the slow part of a build (graphviz), so each one is cached
under ``.cache/covaex-docs/`` by a hash of what shapes it (the stack JSON or
the As-Is inventory, the topology package's source, the diagrams library
version): a template-only change never redraws one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from covaex.docsite.facts.resilience import alarms_watching
from covaex.docsite.inputs import Inputs, environment_of, stack_label, story_order
from covaex.docsite.paths import ASIS_INVENTORY, CACHE_DIR, REPO_ROOT
from covaex.docsite.render import slide_svg, stamp_svg
from covaex.docsite.sections import PendingInput, Sections
from covaex.topology.entities import Topology
from covaex.topology.spof_rules import Finding

TOPOLOGY_SOURCES = REPO_ROOT / "covaex" / "topology"
DIAGRAM_DIR = "diagrams"
# Stacks drawn and analysed, in the order the story tells them (As-Is comes first, from the inventory).
DIAGRAM_PREFIXES = ("tobe-v1-", "platform-v2-")


@dataclass(frozen=True)
class Drawn:
    """One topology on the site: its findings and its diagram's path under ``docs/generated/``."""

    name: str
    title: str
    topology: Topology
    findings: tuple[Finding, ...]
    diagram: str
    slide: str = ""  # the 16:9 variant under docs/generated/
    alarms: tuple[tuple[str, ...], ...] = ()  # per finding: the alarms whose dimensions name its resources

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


def stack_topology(inputs: Inputs, stack: str) -> Topology:
    """The topology of one synthesized stack, built on first use and kept for the build.

    A Platform v2 stack runs inside the v1 network of its environment, so
    its topology is the environment's (`environment_topology`): alone it
    would hide the v1 NAT, the data tier and the rules it adds there.
    """
    env = environment_of(stack)
    if stack.startswith("platform-v2-") and env:
        return environment_topology(inputs, env)
    cache = inputs.memo.setdefault("topology", {})
    if stack not in cache:
        from covaex.topology.model import build_topology

        cache[stack] = build_topology(inputs.stack(stack))
    topology: Topology = cache[stack]
    return topology


def environment_topology(inputs: Inputs, env: str) -> Topology:
    """The topology of an environment: the union of its stacks (`Inputs.environment`)."""
    cache = inputs.memo.setdefault("environment_topology", {})
    if env not in cache:
        from covaex.topology.model import build_topology

        cache[env] = build_topology(inputs.environment(env))
    topology: Topology = cache[env]
    return topology


def topology_sections(inputs: Inputs, sections: Sections, files: dict[str, bytes]) -> None:
    """Sections ``asis`` (inventory, findings, diagram) and ``drawn`` (every stack drawn), images into ``files``."""

    def asis() -> dict[str, Any]:
        from covaex.topology.asis import load_asis

        if not ASIS_INVENTORY.is_file():
            raise PendingInput("the As-Is inventory `diagrams/asis.yaml` does not exist yet")
        inventory = inputs.memo.setdefault("asis", load_asis(ASIS_INVENTORY))
        drawn = _draw("asis", "As-Is (온프레미스)", inventory.topology, ASIS_INVENTORY.read_bytes(), files)
        return {"inventory": inventory, "drawn": drawn, "raw": _yaml(ASIS_INVENTORY)}

    def stacks() -> dict[str, Drawn]:
        names = sorted((s for s in inputs.stacks if s.startswith(DIAGRAM_PREFIXES)), key=story_order)
        if not names:
            raise PendingInput("no To-Be / Platform stack is synthesized yet")
        out = {}
        for name in names:
            env = environment_of(name)
            shown = inputs.environment(env) if name.startswith("platform-v2-") and env else inputs.stack(name)
            raw = json.dumps(shown.raw, sort_keys=True).encode()
            drawn = _draw(name, stack_label(name), stack_topology(inputs, name), raw, files)
            alarms = tuple(tuple(alarms_watching(shown, set(f.resources))) for f in drawn.findings)
            out[name] = dataclasses.replace(drawn, alarms=alarms)
        return out

    sections.add("asis", asis)
    sections.add("drawn", stacks)


def _yaml(path: Path) -> Any:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _draw(name: str, title: str, topology: Topology, source: bytes, files: dict[str, bytes]) -> Drawn:
    from covaex.topology.spof import spof_findings

    findings = tuple(spof_findings(topology))
    rel = f"{DIAGRAM_DIR}/{name}.svg"
    files[rel] = _cached_svg(name, title, topology, findings, source)
    # The slide drawing is its own layout (landscape, summarised, large words), on a 16:9 canvas.
    slide = f"{DIAGRAM_DIR}/slides/{name}-16x9.svg"
    drawing = _cached_svg(name, title, topology, findings, source, slide=True)
    files[slide] = slide_svg(drawing.decode("utf-8")).encode("utf-8")
    return Drawn(name, title, topology, findings, rel, slide)


def _cached_svg(
    name: str, title: str, topology: Topology, findings: tuple[Finding, ...], source: bytes, *, slide: bool = False
) -> bytes:
    key = hashlib.sha256(source + title.encode() + _renderer_fingerprint().encode()).hexdigest()[:24]
    kind = f"{name}-slide" if slide else name
    cached = CACHE_DIR / "diagrams" / f"{kind}-{key}.svg"
    if cached.is_file():
        return cached.read_bytes()
    from covaex.topology.layout import build_scene
    from covaex.topology.render import render_diagram, render_slide

    if slide:
        svg = render_slide(build_scene(topology, title=title, findings=findings)).decode("utf-8")
    else:
        with tempfile.TemporaryDirectory(prefix="covaex-diagram-") as tmp:
            out = render_diagram(topology, Path(tmp) / f"{name}.svg", title=title, findings=findings)
            svg = out.read_text(encoding="utf-8")
    data = stamp_svg(svg, f"covaex.topology.render from {'diagrams/asis.yaml' if name == 'asis' else name}").encode()
    cached.parent.mkdir(parents=True, exist_ok=True)
    for old in cached.parent.glob(f"{kind}-*.svg"):  # one cached copy per diagram is enough
        if old.stem.removeprefix(f"{kind}-").count("-") == 0:
            old.unlink()
    cached.write_bytes(data)
    return data


def _renderer_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(TOPOLOGY_SOURCES.rglob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    for dist in ("diagrams", "graphviz"):
        try:
            digest.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{dist}=missing".encode())
    return digest.hexdigest()
