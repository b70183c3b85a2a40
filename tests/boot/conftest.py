"""Fixtures of the boot drill (helpers in ``drill.py`` and ``rootfs.py``).

The drill runs in ``make test``. It needs root (systemd-nspawn, veth,
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
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
