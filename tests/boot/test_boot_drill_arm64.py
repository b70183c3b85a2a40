"""The Graviton drill: the To-Be v1 prod user data booted on an arm64 rootfs, every instruction emulated.

The app instances are ``t4g.small`` (arm64) on the arm64 AMI. The native
drill (``test_boot_drill.py``) can only boot the build box's CPU, so this one
boots a Debian **arm64** rootfs (``rootfs.build_rootfs("arm64")``) with
``systemd-nspawn --boot`` under ``qemu-user-static`` (binfmt_misc), with the
release artifact that ``scripts/build-artifact.sh`` builds from the stacks
as synthesized: the wheels it chose for the stacks' instance types are the
ones the offline install must find. An artifact of x86_64 wheels fails this
drill at ``pip install --no-index``, as it would fail on the real instance.

A drill of its own, out of the main suite (emulation makes it slow): run it
with ``.venv/bin/python -m pytest -m arm64_drill -s tests/boot``. It shares
the native drill's machine lock and sweep (``drill.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from covaex.synth import SynthResult
from tests.boot.booting import Booted, booted_instance
from tests.boot.drill import timed, wait_for

pytestmark = [pytest.mark.arm64_drill, pytest.mark.slow, pytest.mark.timeout(3600)]


@pytest.fixture(scope="module")
def booted(
    can_boot: None, can_emulate_arm64: None, synthesized: SynthResult, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Booted]:
    yield from booted_instance(synthesized, tmp_path_factory.mktemp("boot-drill-arm64"), "arm64")


def test_the_instance_is_arm64_and_runs_the_arm64_wheels(booted: Booted) -> None:
    assert booted.instance.sh("uname -m").stdout.strip() == "aarch64"
    python = "/opt/covaex/venv/bin/python"
    assert booted.instance.sh(f"{python} -c 'import platform; print(platform.machine())'").stdout.strip() == "aarch64"
    # The compiled dependencies the service imports at start are the aarch64 builds from the wheelhouse.
    wheels = booted.instance.sh("ls /opt/covaex/release/*/wheels").stdout.split()
    compiled = [w for w in wheels if not w.endswith("-none-any.whl")]
    assert compiled, "the wheelhouse holds compiled wheels"
    assert all("aarch64" in w for w in compiled), f"wheels of another CPU in the wheelhouse: {compiled}"
    for module in ("uvloop", "httptools", "asyncpg", "_argon2_cffi_bindings"):
        path = booted.instance.sh(f"{python} -c 'import {module}; print({module}.__file__)'").stdout.strip()
        folder = path.rsplit("/", 1)[0]
        elf = booted.instance.sh(f"find {folder} -name '*.so' | head -n 1 | xargs od -An -tx1 -j18 -N2")
        assert elf.stdout.split() == ["b7", "00"], f"{module}: not an aarch64 ELF (e_machine {elf.stdout.strip()})"


def test_first_boot_is_healthy_and_serves_on_arm64(booted: Booted) -> None:
    # The native drill holds the boot to the grace period; here the bound is scaled by the emulation.
    print(f"[drill] arm64 first boot to healthy: {booted.boot_seconds:.1f} s under emulation")
    with timed("arm64: healthy to 20 markets served"):
        wait_for("GET /api/v1/markets lists every symbol",
                 lambda: len(booted.get("/api/v1/markets").json()["markets"]) == 20, timeout=300)  # fmt: skip
    # Ready too (cache and feed), asked as patiently as the emulated CPU needs.
    wait_for("/readyz 200", lambda: booted.get("/readyz", timeout=30).status_code == 200, timeout=300, interval=2)
    assert booted.instance.sh("systemctl is-active covaex").stdout.strip() == "active"
