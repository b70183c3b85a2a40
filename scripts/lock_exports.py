"""Write the files derived from uv.lock, or check that they are current (--check).

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
HEADER = "# Generated from uv.lock by scripts/lock.sh (make lock); do not edit.\n"


def service_lock(uv: str) -> str:
    out = subprocess.run(  # noqa: S603 (uv from our own venv, fixed arguments)
        [uv, "export", "--frozen", "--quiet", "--format", "requirements-txt", "--no-emit-project",
         "--no-header", "--extra", "service"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return HEADER + out


def bootstrap_lock() -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    (uv,) = (p for p in lock["package"] if p["name"] == "uv")
    hashes = sorted({w["hash"] for w in uv.get("wheels", [])} | ({uv["sdist"]["hash"]} if "sdist" in uv else set()))
    lines = [f"uv=={uv['version']}"] + [f"    --hash={h}" for h in hashes]
    return HEADER + " \\\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uv", default=str(ROOT / ".venv/bin/uv"))
    parser.add_argument("--check", action="store_true", help="fail when a derived file differs from uv.lock")
    args = parser.parse_args()
    wanted = {
        ROOT / "requirements/service.lock": service_lock(args.uv),
        ROOT / "requirements/bootstrap.lock": bootstrap_lock(),
    }
    stale = [p for p, text in wanted.items() if not p.exists() or p.read_text() != text]
    if args.check:
        for p in stale:
            print(f"lock: {p.relative_to(ROOT)} does not match uv.lock: run `make lock`", file=sys.stderr)
        return 1 if stale else 0
    for p in stale:
        p.write_text(wanted[p])
    return 0


if __name__ == "__main__":
    sys.exit(main())
