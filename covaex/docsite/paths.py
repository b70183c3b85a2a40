"""Where the docs generator reads and writes, relative to the repository root."""

from __future__ import annotations

from covaex.synth import DEFAULT_OUT, REPO_ROOT

TEMPLATES_DIR = REPO_ROOT / "templates"
PAGES_DIR = TEMPLATES_DIR / "pages"
DATA_DIR = TEMPLATES_DIR / "data"
DOCS_DIR = REPO_ROOT / "docs"
GENERATED_DIR = DOCS_DIR / "generated"
SYNTH_OUT = DEFAULT_OUT
ASIS_INVENTORY = REPO_ROOT / "diagrams" / "asis.yaml"
# Derived artefacts that are slow to make (diagrams) are cached here, keyed by their inputs.
CACHE_DIR = REPO_ROOT / ".cache" / "covaex-docs"

__all__ = [
    "ASIS_INVENTORY",
    "CACHE_DIR",
    "DATA_DIR",
    "DOCS_DIR",
    "GENERATED_DIR",
    "PAGES_DIR",
    "REPO_ROOT",
    "SYNTH_OUT",
    "TEMPLATES_DIR",
]
