"""Run one of the UI's browser modules under Node, as the page imports it, for a page that shows what it does.

The modules read the page's configuration from a ``covaex-config`` element
(`covaex_service.ui.views.page_config`, one source with the server); the
runner gives them a ``document`` that has only that element, and whatever else
the script stubs. Node is the one the UI's checkers use (``scripts/setup.sh``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from covaex.docsite.paths import REPO_ROOT
from covaex.docsite.sections import FactError, PendingInput

JS_DIR = REPO_ROOT / "service" / "covaex_service" / "ui" / "static" / "js"

# argv: the module's file URL, the page config JSON, the script's own JSON argument
PRELUDE = r"""
const [moduleUrl, configJson, argJson] = process.argv.slice(1);
const config = JSON.parse(configJson);
const arg = JSON.parse(argJson);
globalThis.document = { getElementById: (id) => (id === "covaex-config" ? { textContent: configJson } : null) };
"""


def run_module(module: Path, script: str, arg: Any) -> Any:
    """Run ``PRELUDE + script`` (an ES module body that imports ``moduleUrl`` and prints one JSON value)."""
    from covaex_service.ui.views import page_config

    node = shutil.which("node")
    if node is None:
        raise PendingInput("Node is not installed: scripts/setup.sh installs it (the UI's checkers need it too)")
    proc = subprocess.run(  # noqa: S603 - the repository's own browser module under the system node
        [
            node,
            "--input-type=module",
            "-e",
            PRELUDE + script,
            module.as_uri(),
            json.dumps(page_config()),
            json.dumps(arg),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    where = module.relative_to(REPO_ROOT) if module.is_relative_to(REPO_ROOT) else module
    if proc.returncode != 0:
        raise FactError(f"{where} under node failed: {proc.stderr.strip()[-300:]}")
    return json.loads(proc.stdout)
