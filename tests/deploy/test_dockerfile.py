"""The Dockerfile: hadolint clean, multi-stage, non-root, healthcheck, no secrets, a context that builds."""

from __future__ import annotations

import fnmatch
import re
import shutil
import sys
import zipfile
from pathlib import Path

from tests.deploy.deploy_checks import REPO_ROOT, run, tool

DOCKERFILE = REPO_ROOT / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for raw in joined.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_hadolint_is_clean() -> None:
    result = run([tool("hadolint"), "--no-color", DOCKERFILE])
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_flags_a_bad_dockerfile(tmp_path: Path) -> None:
    """Negative control: hadolint really lints (latest tag, apt without pins, sudo)."""
    bad = tmp_path / "Dockerfile"
    bad.write_text(
        "FROM python:latest\nRUN apt-get update && apt-get install -y curl\nRUN sudo echo hi\n", encoding="utf-8"
    )
    result = run([tool("hadolint"), "--no-color", bad])
    assert result.returncode != 0
    assert {"DL3007", "DL3008", "DL3004"} <= set(re.findall(r"DL\d{4}", result.stdout))


def test_multi_stage_non_root_with_healthcheck() -> None:
    steps = instructions(DOCKERFILE.read_text(encoding="utf-8"))
    stages = [i for i, (word, _) in enumerate(steps) if word == "FROM"]
    assert len(stages) >= 2, "builder and runtime stages"
    final = steps[stages[-1] :]
    users = [args for word, args in final if word == "USER"]
    assert users, "the runtime stage sets a user"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"} and int(user) >= 10000
    # The same UID the Kubernetes securityContext asks for.
    deployment = (REPO_ROOT / "deploy/k8s/base/deployment.yaml").read_text(encoding="utf-8")
    assert f"runAsUser: {user}" in deployment
    assert any(word == "HEALTHCHECK" and "/healthz" in args for word, args in final)
    assert ("EXPOSE", "8000") in final
    assert any(word == "COPY" and args.startswith("--from=builder") for word, args in final)
    assert not any(word == "FROM" and args.endswith(":latest") for word, args in steps)


def test_no_secret_is_baked_in() -> None:
    for word, args in instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if word in {"ENV", "ARG"}:
            names = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", args) or [args.split()[0]]
            for name in names:
                assert not re.search(r"SECRET|PASSWORD|TOKEN|KEY|DATABASE_URL|REDIS_URL", name), name


def dockerignore_allows(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; ``!`` re-includes."""
    allowed = True
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw.lstrip("!").rstrip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, pattern) or fnmatch.fnmatch(p, pattern.removeprefix("**/")) for p in prefixes):
            allowed = negate
    return allowed


def test_every_copied_path_is_in_the_build_context() -> None:
    patterns = [
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copies = [
        args.split()[:-1]
        for word, args in instructions(DOCKERFILE.read_text(encoding="utf-8"))
        if word == "COPY" and not args.startswith("--from")
    ]
    sources = [s for group in copies for s in group]
    assert "pyproject.toml" in sources and "service" in sources
    for source in sources:
        assert (REPO_ROOT / source).exists(), source
        assert dockerignore_allows(source, patterns), f"{source} is excluded by .dockerignore"
    for kept_out in (".git", ".venv", "tests", "tools/lint/node_modules", "var/covaex.db", ".env"):
        assert not dockerignore_allows(kept_out, patterns), f"{kept_out} would be sent to the builder"


def test_the_build_context_makes_a_wheel_with_the_ui_assets(tmp_path: Path) -> None:
    """What the builder stage does, minus Docker: a wheel from only the copied paths.

    Catches a context that lacks a file the build needs and a packaging rule
    that would leave the page's templates or scripts out of the image.
    """
    context = tmp_path / "context"
    for word, args in instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if word == "COPY" and not args.startswith("--from"):
            *sources, _ = args.split()
            for source in sources:
                src, dst = REPO_ROOT / source, context / source
                if src.is_dir():
                    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                else:
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(src, dst)
    wheels = tmp_path / "wheels"
    result = run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", wheels, context],
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = wheels.glob("covaex-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    ui = REPO_ROOT / "service" / "covaex_service"
    assets = [p for p in (ui / "ui").rglob("*") if p.is_file() and p.suffix in {".j2", ".js", ".css", ".svg", ".html"}]
    assert assets, "the UI has assets"
    missing = [str(p.relative_to(ui.parent)) for p in assets if str(p.relative_to(ui.parent)) not in names]
    assert missing == [], "assets the image would lack"
    assert "covaex/cli.py" in names
    # the service alone: no IaC package (its toolchain is not installed in the image anyway)
    assert not any(n.startswith("infraforge/") for n in names), "the image must not carry cdktf/"
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "covaex = covaex.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_dependencies_come_from_the_lock_in_a_layer_before_the_sources() -> None:
    steps = instructions(DOCKERFILE.read_text(encoding="utf-8"))
    builder = steps[: [i for i, (word, _) in enumerate(steps) if word == "FROM"][1]]
    copies = [i for i, (word, args) in enumerate(builder) if word == "COPY"]
    runs = [(i, args) for i, (word, args) in enumerate(builder) if word == "RUN"]
    (lock_copy,) = [i for i in copies if "requirements/service.lock" in builder[i][1]]
    (install_deps,) = [i for i, args in runs if "--require-hashes -r requirements/service.lock" in args]
    (install_project,) = [i for i, args in runs if "--no-deps ." in args]
    sources = [i for i in copies if i != lock_copy]
    # the dependency layer is cached across source changes: nothing but the lock is copied before it
    assert lock_copy < install_deps < min(sources) < install_project
    assert all("cdktf" not in builder[i][1] for i in copies), "the image holds the service alone"


def test_base_image_is_pinned_by_digest() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    (image,) = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", text, flags=re.MULTILINE)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", image), image
    froms = [args for word, args in instructions(text) if word == "FROM"]
    assert froms and all(args.startswith("${PYTHON_IMAGE}") for args in froms)


def test_the_lock_pins_the_service_extra_with_hashes() -> None:
    lock = (REPO_ROOT / "requirements" / "service.lock").read_text(encoding="utf-8")
    pinned = re.findall(r"^([a-z0-9][a-z0-9._-]*)==", lock, flags=re.MULTILINE)
    assert {"sanic", "redis", "asyncpg", "argon2-cffi", "websockets"} <= set(pinned)
    assert not {"cdktf", "mkdocs", "diagrams", "checkov"} & set(pinned)
    assert lock.count("--hash=sha256:") >= len(pinned)
