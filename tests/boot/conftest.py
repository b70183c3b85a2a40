"""Fixtures of the boot drill (helpers in ``drill.py`` and ``rootfs.py``).

The native drill runs in ``make test``; the Graviton drill
(``test_boot_drill_arm64.py``, marker ``arm64_drill``) is left out of it and
runs as a step of its own: ``pytest -m arm64_drill tests/boot``. It needs root (systemd-nspawn, veth,
debootstrap) and the tools the setup installs (``systemd-container``,
``debootstrap``). Without them it skips with the reason; under CI
(``CI=true``) it fails instead, so CI never passes without having booted the
instance.
"""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture(scope="session")
def can_boot() -> None:
    missing = [tool for tool in ("systemd-nspawn", "debootstrap", "nsenter", "openssl") if shutil.which(tool) is None]
    reason = ""
    if os.geteuid() != 0:
        reason = "the boot drill needs root (systemd-nspawn, veth, debootstrap)"
    elif missing:
        reason = f"the boot drill needs {', '.join(missing)}: run scripts/setup.sh"
    _refuse(reason)


@pytest.fixture(scope="session")
def can_emulate_arm64() -> None:
    """The Graviton drill runs arm64 binaries through qemu-user-static (registered by rootfs.enable_emulation)."""
    from tests.boot.rootfs import emulation_problem

    _refuse(emulation_problem("arm64"))


def _refuse(reason: str) -> None:
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
