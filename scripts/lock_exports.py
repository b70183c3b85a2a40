"""Write the files derived from uv.lock, or check that the lock and they are current (--check).

--check is set-up's drift gate: uv.lock must match pyproject.toml (``uv lock --check``,
offline) and the derived files must match uv.lock; otherwise one line names the
lock and ``make lock``, and the exit status is 1.

requirements/service.lock: ``uv export`` of the ``service`` extra, hashes for every
platform (the artifact is built for the instances' CPU, not the build box's).
requirements/bootstrap.lock: the pinned uv with its hashes, which scripts/setup.sh
installs with pip before uv takes over.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK_STALE = "uv.lock is out of date with pyproject.toml: run `make lock` and commit uv.lock and requirements/"
HEADER = "# Generated from uv.lock by scripts/lock.sh (make lock); do not edit.\n"


def lock_is_current(uv: str, root: Path) -> bool:
    return (
        subprocess.run(  # noqa: S603 (uv from our own venv, fixed arguments)
            [uv, "lock", "--check", "--offline", "--quiet"], cwd=root, capture_output=True, check=False
        ).returncode
        == 0
    )


def service_lock(uv: str, root: Path) -> str:
    out = subprocess.run(  # noqa: S603 (uv from our own venv, fixed arguments)
        [
            uv,
            "export",
            "--frozen",
            "--quiet",
            "--format",
            "requirements-txt",
            "--no-emit-project",
            "--no-header",
            "--extra",
            "service",
        ],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return HEADER + out


def bootstrap_lock(root: Path) -> str:
    lock = tomllib.loads((root / "uv.lock").read_text())
    (uv,) = (p for p in lock["package"] if p["name"] == "uv")
    hashes = sorted({w["hash"] for w in uv.get("wheels", [])} | ({uv["sdist"]["hash"]} if "sdist" in uv else set()))
    lines = [f"uv=={uv['version']}"] + [f"    --hash={h}" for h in hashes]
    return HEADER + " \\\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uv", default=str(ROOT / ".venv/bin/uv"))
    parser.add_argument("--check", action="store_true", help="fail when uv.lock or a file derived from it is stale")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args()
    root: Path = args.root
    if args.check and not lock_is_current(args.uv, root):
        print(f"setup: {LOCK_STALE}", file=sys.stderr)
        return 1
    wanted = {
        root / "requirements/service.lock": service_lock(args.uv, root),
        root / "requirements/bootstrap.lock": bootstrap_lock(root),
    }
    stale = [p for p, text in wanted.items() if not p.exists() or p.read_text() != text]
    if args.check:
        for p in stale:
            print(f"setup: {p.relative_to(root)} does not match uv.lock: run `make lock`", file=sys.stderr)
        return 1 if stale else 0
    for p in stale:
        p.write_text(wanted[p])
    return 0


if __name__ == "__main__":
    sys.exit(main())
