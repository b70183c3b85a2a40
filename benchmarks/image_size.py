"""Size of what the service image installs: the service lock vs the old full install.

The image's builder stage makes a virtualenv and copies it into the runtime
stage, so the virtualenv's size is what the project adds on top of the
python slim base. Docker is not available here, so this builds the two
virtualenvs the way the two Dockerfiles do and prints their sizes:

* before: ``pip install .[service,docs]`` (the old core dependencies: service,
  cdktf and its provider bindings, mkdocs, diagrams), as the old ``pip install .``;
* after: ``pip install --require-hashes -r requirements/service.lock`` then
  ``pip install --no-deps .`` from the Dockerfile's build context (no ``cdktf/``).

Both use the local pip cache/index (no network beyond the registry). Run:

    .venv/bin/python benchmarks/image_size.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def venv(root: Path, name: str) -> Path:
    target = root / name
    subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
    return target / "bin" / "pip"


def pip(pip_bin: Path, *args: str) -> None:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run([str(pip_bin), "install", "-q", *args], check=True, env=env)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="covaex-image-size-") as tmp:
        root = Path(tmp)
        empty = tree_size(Path(str(venv(root, "empty"))).parent.parent)

        context = root / "context"  # what .dockerignore lets the builder see
        for part in ("pyproject.toml", "README.md", "covaex", "service", "requirements/service.lock"):
            src, dst = REPO / part, context / part
            if src.is_dir():
                shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(src, dst)
        after = venv(root, "after")
        pip(after, "--require-hashes", "-r", str(context / "requirements/service.lock"))
        pip(after, "--no-deps", str(context))

        before = venv(root, "before")
        pip(before, f"{REPO}[service,docs]")

        sizes = {name: tree_size(root / name) - empty for name in ("before", "after")}
        load = os.getloadavg()
        print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
        print(f"{'install':<52} {'MiB added to the base':>22}")
        print(f"{'before: pip install . (service + IaC + docs)':<52} {sizes['before'] / 2**20:>22.1f}")
        print(f"{'after: service.lock + --no-deps (service alone)':<52} {sizes['after'] / 2**20:>22.1f}")
        print(f"reduction: {1 - sizes['after'] / sizes['before']:.0%}")


if __name__ == "__main__":
    main()
