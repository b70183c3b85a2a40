"""Run a boot script for real, with the machine around it stubbed: the commands it calls and the folders it writes.

A user data script is written for an instance (root, Amazon Linux, the network
of a VPC); its control flow is what a test can check here. :func:`run_script`
runs the script with ``bash`` inside a user and mount namespace of its own
(``unshare --user --map-root-user --mount``, no privilege needed): each folder
of ``writable`` is a fresh temporary folder bind-mounted over the real one, so
the script writes where it would on the instance and the host stays untouched,
and ``PATH`` starts with stubs. A stub is a small bash body (``$STUB_STATE`` is
a folder it may keep counters in); every call of a stub is appended to the
call log as ``name args``, so a test reads what ran, in which order.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

_STUB = """#!/bin/bash
echo "{name} $*" >> "$STUB_LOG"
{body}
"""

COUNTDOWN = """n=$(cat "$STUB_STATE/{key}" 2>/dev/null || echo {times})
if [ "$n" -gt 0 ]; then echo $((n - 1)) > "$STUB_STATE/{key}"; {on_fail}; fi
"""


def fails_first(times: int, *, key: str, message: str = "stub: failing on purpose") -> str:
    """A stub body fragment: fail (exit 1, ``message`` on stderr) the first ``times`` calls that reach it."""
    return COUNTDOWN.format(key=key, times=times, on_fail=f"echo '{message}' >&2; exit 1")


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    calls: list[str]
    """Every stub call, ``name args``, in order."""
    roots: dict[str, Path]
    """What the script wrote: each writable folder's stand-in, by the real path."""

    def called(self, prefix: str) -> list[int]:
        """Indexes in :attr:`calls` of the calls starting with ``prefix``."""
        return [i for i, call in enumerate(self.calls) if call.startswith(prefix)]


def run_script(script: str, tmp: Path, *, stubs: dict[str, str], writable: tuple[str, ...] = ()) -> Run:
    """Run ``script`` with ``stubs`` (command name -> bash body) first on PATH and ``writable`` folders sandboxed."""
    if shutil.which("unshare") is None:
        raise AssertionError("unshare (util-linux) is needed to sandbox a boot script")
    bin_dir, state, log = tmp / "stubs", tmp / "stub-state", tmp / "calls.log"
    bin_dir.mkdir()
    state.mkdir()
    log.touch()
    for name, body in stubs.items():
        stub = bin_dir / name
        stub.write_text(_STUB.format(name=name, body=body))
        stub.chmod(0o755)
    roots: dict[str, Path] = {}
    mounts = []
    for index, folder in enumerate(writable):
        root = tmp / f"root{index}"
        root.mkdir()
        roots[folder] = root
        mounts.append(f"mkdir -p {folder} 2>/dev/null; mount --bind {root} {folder}")
    (tmp / "script.sh").write_text(script)
    inner = " && ".join([*mounts, f"exec bash {tmp / 'script.sh'}"])
    env = {
        "PATH": f"{bin_dir}:/usr/sbin:/usr/bin:/sbin:/bin",
        "STUB_LOG": str(log),
        "STUB_STATE": str(state),
        "HOME": str(tmp),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
    }
    proc = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "bash", "-c", inner],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, log.read_text().splitlines(), roots)
