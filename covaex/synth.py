"""Synthesize the CDKTF stacks, cached by a hash of their sources.

The stacks run in a child process (``python -m infraforge``), the very entry
point that ``cdktf.json`` gives ``cdktf synth``, so the two cannot diverge and
the jsii/Node runtime never lives inside the CLI process. A synth takes ~15 s;
when the sources and library versions are unchanged the previous output is
reused, which keeps docs rebuilds fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from filelock import FileLock

from covaex.errors import CliError
from covaex.progress import Steps

REPO_ROOT = Path(__file__).resolve().parent.parent
INFRA_SOURCES = REPO_ROOT / "cdktf"
STAMP = ".covaex-synth.json"
DEFAULT_OUT = REPO_ROOT / "cdktf.out"
"""Where `covaex synth`, the docs and the tests synthesize (a git-ignored folder of this checkout)."""
_VERSIONED = ("cdktf", "cdktf-cdktf-provider-aws", "cdktf-cdktf-provider-helm", "cdktf-cdktf-provider-kubernetes")


@dataclass(frozen=True)
class SynthResult:
    out: Path
    stacks: tuple[str, ...]
    cached: bool

    def stack_json(self, stack: str) -> Path:
        return self.out / "stacks" / stack / "cdk.tf.json"


def sources_hash(root: Path = REPO_ROOT) -> str:
    """Hash of everything that can change the JSON synthesized from ``root`` (a tree holding ``cdktf/``)."""
    digest = hashlib.sha256()
    suffixes = (".py", ".json", ".yaml", ".sh", ".j2")
    files = sorted(p for p in (root / INFRA_SOURCES.name).rglob("*") if p.is_file() and p.suffix in suffixes)
    for path in [root / "cdktf.json", *files]:
        if "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    # Deploy-time inputs change the output as much as the sources do.
    for name in sorted(n for n in os.environ if n.startswith("INFRAFORGE_")):
        digest.update(f"{name}={os.environ[name]}".encode())
    for dist in _VERSIONED:
        try:
            digest.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{dist}=missing".encode())
    return digest.hexdigest()


def synth_stacks(
    out: Path,
    *,
    force: bool = False,
    steps: Steps | None = None,
    root: Path = REPO_ROOT,
    seeds: Sequence[Path] = (),
) -> SynthResult:
    """Synthesize every stack of ``root`` (default: this checkout) to ``out/stacks/<stack>/cdk.tf.json``, or reuse it.

    Another ``root`` (a commit's ``cdktf/`` exported by ``covaex diff``) is
    put first on the child's import path, so its ``infraforge`` is the one run.
    ``seeds`` are other synth outputs (``cdktf.out``): one of the same sources
    hash is copied instead of synthesizing again (a synth costs a minute of CPU,
    most of it importing the AWS provider's 2,000 modules).
    """
    steps = steps or Steps(1)
    out = out.resolve()
    wanted = sources_hash(root)
    # One synth per output folder at a time (parallel test workers, a docs rebuild during a diff):
    # the second caller waits, then finds the first one's output in the cache.
    out.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(out.parent / f".{out.name}.synth.lock"):
        if not force and _cached(out, wanted) is None:
            for seed in (s.resolve() for s in seeds if s.resolve() != out):
                copied = _copy_seed(seed, out, wanted, steps)
                if copied is not None:
                    return copied
        return _synth_locked(out, wanted, force=force, steps=steps, root=root)


def _copy_seed(seed: Path, out: Path, wanted: str, steps: Steps) -> SynthResult | None:
    """``seed``'s stacks into ``out`` when it holds a synth of the same sources, else None."""
    with FileLock(seed.parent / f".{seed.name}.synth.lock"):
        found = _cached(seed, wanted)
        if found is None:
            return None
        with steps.step(f"synth (the same sources are synthesized in {seed.name}, copying)"):
            shutil.rmtree(out / "stacks", ignore_errors=True)
            shutil.copytree(seed / "stacks", out / "stacks")
            (out / STAMP).write_text(json.dumps({"hash": wanted, "stacks": list(found.stacks)}, indent=2) + "\n")
    return SynthResult(out, found.stacks, cached=True)


def _synth_locked(out: Path, wanted: str, *, force: bool, steps: Steps, root: Path) -> SynthResult:
    if not force:
        cached = _cached(out, wanted)
        if cached is not None:
            with steps.step("synth (sources unchanged, reusing output)"):
                pass
            return cached
    if shutil.which("node") is None:
        raise CliError("synth needs Node.js (jsii runs the CDKTF library on it); install Node 20 and retry")
    with steps.step("synth CDKTF stacks"):
        # --docs-example: the docs show a prod with an alarm subscriber (infraforge.inputs.DOCS_EXAMPLE_DEFAULTS)
        failure = run_infraforge("infraforge", "--out", str(out), "--docs-example", root=root)
        if failure is not None:
            raise CliError(f"synth failed: {failure}")
    stacks = tuple(sorted(p.parent.name for p in (out / "stacks").glob("*/cdk.tf.json")))
    if not stacks:
        raise CliError(f"synth produced no stacks under {out / 'stacks'}")
    (out / STAMP).write_text(json.dumps({"hash": wanted, "stacks": list(stacks)}, indent=2) + "\n")
    return SynthResult(out, stacks, cached=False)


def run_infraforge(module: str, *args: str, root: Path = REPO_ROOT) -> str | None:
    """Run ``python -m <module> ARGS`` of ``root``'s ``cdktf/`` in a child process (jsii and Node stay out of
    this one); None when it succeeded, else the last line it printed (the one-line error of its inputs)."""
    env = {**os.environ, "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root / INFRA_SOURCES.name), env.get("PYTHONPATH")]))
    proc = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", module, *args], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode == 0:
        return None
    lines = [ln for ln in (proc.stderr or proc.stdout).strip().splitlines() if ln.strip()]
    return lines[-1] if lines else f"exit code {proc.returncode}"


def _cached(out: Path, wanted: str) -> SynthResult | None:
    try:
        stamp = json.loads((out / STAMP).read_text())
    except (OSError, ValueError):
        return None
    stacks = tuple(stamp.get("stacks", ()))
    if stamp.get("hash") != wanted or not stacks:
        return None
    result = SynthResult(out, stacks, cached=True)
    if not all(result.stack_json(s).is_file() for s in stacks):
        return None
    return result
