"""``covaex spof`` and ``covaex diagram``: load a path, analyse or draw, print.

`load_topology(path)` is the shared loader: ``*.yaml``/``*.yml`` is the As-Is
inventory, anything else Terraform JSON (``cdk.tf.json`` is named after its
stack folder, other files after their stem).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from covaex.errors import CliError
from covaex.topology.asis import load_asis
from covaex.topology.model import Topology, build_topology
from covaex.topology.report import findings_json, findings_markdown
from covaex.topology.spof import spof_findings
from covaex.topology.terraform import read_terraform

DIAGRAM_FORMATS = (".svg", ".png")


def topology_name(path: Path) -> str:
    if path.name == "cdk.tf.json" and path.parent.name:
        return path.parent.name
    return path.name.removesuffix(".json").removesuffix(".tf")


def load_topology(path: Path) -> Topology:
    if path.suffix.lower() in (".yaml", ".yml"):
        return load_asis(path).topology
    return build_topology(read_terraform(path), name=topology_name(path))


def run_spof(paths: list[Path], *, fmt: str) -> int:
    if fmt not in ("json", "md"):
        raise CliError(f"unknown format {fmt!r}: use json or md")
    loaded = [(load_topology(p), p) for p in paths]  # every input validated before any output
    if fmt == "json":
        findings = [f for topology, _ in loaded for f in spof_findings(topology)]
        json.dump(findings_json(findings), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(findings_markdown(spof_findings(t), title=t.name) for t, _ in loaded))
    return 0


def run_diagram(path: Path, out: Path) -> int:
    if out.suffix.lower() not in DIAGRAM_FORMATS:
        raise CliError(f"{out}: unknown output format {out.suffix or '(none)'!r}: use .svg or .png")
    if not out.parent.is_dir():
        raise CliError(f"{out.parent}: no such directory")
    topology = load_topology(path)
    from covaex.topology.render import render_diagram  # the diagrams library loads only for drawing

    render_diagram(topology, out, title=topology.name, findings=spof_findings(topology))
    print(out)
    return 0
