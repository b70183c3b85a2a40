"""The drill's stand-in for the AMI: a Debian bookworm rootfs with systemd, built once and cached.

Built with ``debootstrap`` from the machine's own configured Debian mirror
(read from ``/etc/apt/sources.list*``) and kept under
``/var/cache/covaex-drill/`` (outside the repository), keyed by a hash of
this recipe, so it is rebuilt only when the recipe changes. Each drill run
boots a copy, never the cache itself.

What the AMI (Amazon Linux 2023) brings that bookworm does not: AWS CLI v2
(>= 2.13 honours ``AWS_ENDPOINT_URL``; bookworm's 2.9 does not), so the
rootfs gets the AWS CLI from PyPI in its own venv, pinned below.

The same recipe builds an **arm64** rootfs (``build_rootfs("arm64")``) for
the Graviton drill (``test_boot_drill_arm64.py``): ``debootstrap --arch=arm64``
runs the foreign binaries through ``qemu-user-static`` registered with the
kernel's binfmt_misc (:func:`enable_emulation`), and ``systemd-nspawn`` boots
it the same way, every arm64 instruction emulated.

Run ``python tests/boot/rootfs.py [amd64|arm64]`` to build (or find) it ahead of the tests.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path(os.environ.get("COVAEX_DRILL_CACHE", "/var/cache/covaex-drill"))
SUITE = "bookworm"
# systemd as PID 1 plus what the boot script and the drill use; python3.11 is AL2023's python3.11.
PACKAGES = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "python3",
    "python3-venv",
    "jq",
    "ca-certificates",
    "iproute2",
    "procps",
    "sudo",
)
# AWS CLI v1 from PyPI: the same `aws secretsmanager/s3` commands as the AMI's CLI v2, and AWS_ENDPOINT_URL.
AWS_CLI = "awscli==1.36.40"
RECIPE = f"{SUITE} {' '.join(PACKAGES)} {AWS_CLI} v1"
NATIVE = "amd64"
"""The build machine's Debian architecture (CI's and the developers' machines are x86_64)."""
ARCHITECTURES = ("amd64", "arm64")
# Debian's name -> the kernel's (uname -m) and qemu's; the binfmt rule ships with qemu-user-static.
MACHINE_NAMES = {"amd64": "x86_64", "arm64": "aarch64"}
BINFMT = Path("/proc/sys/fs/binfmt_misc")
BINFMT_RULES = Path("/usr/lib/binfmt.d")
_APT_SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))


def debian_mirror() -> str:
    """The Debian archive URI this machine's apt uses (deb822 ``URIs:`` or one-line ``deb``)."""
    files: list[Path] = []
    for source in _APT_SOURCES:
        if source.is_dir():
            files += sorted(p for p in source.iterdir() if p.suffix in (".list", ".sources"))
        elif source.is_file():
            files.append(source)
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for stanza in re.split(r"\n\s*\n", text):
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
            suites = re.search(r"^Suites:\s*(.+)$", stanza, re.M)
            if uris and suites and SUITE in suites.group(1).split():
                return uris.group(1)
        for line in text.splitlines():
            match = re.match(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)", line.strip())
            if match and match.group(2) == SUITE:
                return match.group(1)
    raise RuntimeError(f"no apt source for Debian {SUITE} in /etc/apt/sources.list*")


def recipe(arch: str = NATIVE) -> str:
    if arch not in ARCHITECTURES:
        raise ValueError(f"no rootfs recipe for architecture {arch!r}: one of {', '.join(ARCHITECTURES)}")
    return RECIPE if arch == NATIVE else f"{RECIPE} arch={arch}"


def rootfs_path(arch: str = NATIVE) -> Path:
    digest = hashlib.sha256(recipe(arch).encode()).hexdigest()[:12]
    return CACHE / f"{SUITE}-{digest}"


def emulation_problem(arch: str) -> str:
    """Why ``arch`` binaries cannot run here (one line), or "" when they can (natively or under qemu)."""
    if arch == NATIVE:
        return ""
    machine = MACHINE_NAMES[arch]
    rule = BINFMT_RULES / f"qemu-{machine}.conf"
    if not rule.exists():
        return f"running {arch} needs qemu-user-static ({rule} is missing): run scripts/setup.sh"
    return ""


def enable_emulation(arch: str) -> None:
    """Let the kernel run ``arch`` binaries through qemu-user-static: binfmt_misc mounted, its rule registered.

    The rule (from the qemu-user-static package) has the F flag: the kernel opens the emulator once,
    at registration, so it also runs inside a chroot or a container that has no qemu of its own.
    """
    if arch == NATIVE:
        return
    problem = emulation_problem(arch)
    if problem:
        raise RuntimeError(problem)
    machine = MACHINE_NAMES[arch]
    if not (BINFMT / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], check=True)
    if not (BINFMT / f"qemu-{machine}").exists():
        line = (BINFMT_RULES / f"qemu-{machine}.conf").read_text().strip()
        (BINFMT / "register").write_text(line + "\n")
    if (BINFMT / f"qemu-{machine}").read_text().splitlines()[0] != "enabled":
        (BINFMT / f"qemu-{machine}").write_text("1\n")


def installed_packages(root: Path) -> dict[str, str]:
    """``{package: version}`` of what dpkg installed in ``root`` (read from its status file, no chroot)."""
    packages: dict[str, str] = {}
    for stanza in (root / "var/lib/dpkg/status").read_text(encoding="utf-8", errors="replace").split("\n\n"):
        fields = dict(re.findall(r"^(Package|Version|Status): (.*)$", stanza, flags=re.M))
        if fields.get("Status", "").endswith(" installed") and "Package" in fields:
            packages[fields["Package"]] = fields.get("Version", "")
    return packages


def record_packages(root: Path) -> Path:
    """Write ``root/.packages`` (``name version`` a line) once: a Debian suite moves with its point releases and
    no dated snapshot archive is reachable from our machines, so each rootfs records what it was built with
    (requirements/system.toml, ``[rootfs]``)."""
    record = root / ".packages"
    if not record.exists():
        lines = [f"{name} {version}" for name, version in sorted(installed_packages(root).items())]
        record.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return record


def build_rootfs(arch: str = NATIVE) -> Path:
    """The cached rootfs of ``arch``, built first if missing (a few minutes once, then instant)."""
    root = rootfs_path(arch)
    if (root / ".complete").exists():
        record_packages(root)
        return root
    enable_emulation(arch)
    CACHE.mkdir(parents=True, exist_ok=True)
    work = root.with_name(root.name + ".build")
    started = time.monotonic()
    if not (work / ".debootstrapped").exists():  # a build cut short after this step resumes here
        shutil.rmtree(work, ignore_errors=True)
        subprocess.run(
            [
                "debootstrap",
                f"--arch={arch}",
                "--variant=minbase",
                f"--include={','.join(PACKAGES)}",
                SUITE,
                str(work),
                debian_mirror(),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (work / ".debootstrapped").touch()
    shutil.copy("/etc/resolv.conf", work / "etc/resolv.conf")
    # The host's trust store and proxy settings reach the registry from here; the build only.
    shutil.copy("/etc/ssl/certs/ca-certificates.crt", work / "tmp/host-ca.pem")
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}
    env |= {k: v for k, v in os.environ.items() if k.lower() in ("http_proxy", "https_proxy", "no_proxy")}
    chroot = ["chroot", str(work)]
    shutil.rmtree(work / "opt/aws-cli", ignore_errors=True)
    subprocess.run([*chroot, "python3", "-m", "venv", "/opt/aws-cli"], check=True, env=env)
    subprocess.run(
        [*chroot, "/opt/aws-cli/bin/pip", "install", "-q", "--no-cache-dir", "--cert", "/tmp/host-ca.pem", AWS_CLI],
        check=True,
        env=env,
    )
    (work / "tmp/host-ca.pem").unlink()
    (work / "usr/local/bin/aws").unlink(missing_ok=True)
    (work / "usr/local/bin/aws").symlink_to("/opt/aws-cli/bin/aws")
    # A container boot needs no consoles; the drill talks to it through nsenter.
    for unit in ("getty@tty1.service", "console-getty.service"):
        (work / "etc/systemd/system" / unit).unlink(missing_ok=True)
        (work / "etc/systemd/system" / unit).symlink_to("/dev/null")
    (work / "etc/hostname").write_text("covaex-drill\n")
    (work / ".complete").write_text(f"{recipe(arch)}\nbuilt in {time.monotonic() - started:.0f} s\n")
    record_packages(work)
    os.replace(work, root)
    return root


if __name__ == "__main__":
    path = build_rootfs(*sys.argv[1:2])
    print(path, (path / ".complete").read_text().strip(), file=sys.stderr)
