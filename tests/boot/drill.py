"""The boot drill's machinery: a To-Be v1 app instance as systemd boots it, and what it talks to.

* :func:`user_data` — the launch template's user data from the synthesized
  ``tobe-v1-prod`` JSON, Terraform references resolved to the drill's
  endpoints (what Terraform would do), and only the ``distro-packages`` line
  swapped for its Debian stand-in.
* :class:`Stand` — the "AWS side" on a private address of the host: ``moto``
  in server mode (Secrets Manager, S3, SSM), a real PostgreSQL and a real
  Redis, both TLS-only with certificates from a test CA that the container
  trusts the way an AMI trusts Amazon's.
* :class:`Instance` — ``systemd-nspawn --boot`` over a copy of the cached
  rootfs (:mod:`rootfs`), linked to the host by a veth pair and no other
  network: no internet, like an instance whose only path is the VPC. The
  AWS CLI finds moto through ``AWS_ENDPOINT_URL`` in systemd's default
  environment, as the AMI's CLI finds AWS through the instance role.

Addresses: the host side is :data:`HOST_IP` on loopback (it survives the
container's network namespace), the container :data:`GUEST_IP`.

One drill at a time per machine (:func:`machine_lock`): the addresses, the
ports and the container's name are fixed. Under the lock, whatever a drill
left running is an orphan of a killed run, and :func:`sweep_leftovers` ends
it, before the drill starts and again once it is done.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import glob
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from covaex.localserve import free_port
from covaex.processes import seconds_until

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST_IP = os.environ.get("COVAEX_DRILL_HOST_IP", "10.213.0.1")
GUEST_IP = os.environ.get("COVAEX_DRILL_GUEST_IP", "10.213.0.2")
# systemd-nspawn --network-veth names them after the machine (host side) and host0 (inside).
MACHINE = "covaex-drill"
HOST_IFACE, GUEST_IFACE = f"ve-{MACHINE}", "host0"
DB_HOST = "postgres.drill.internal"
REDIS_HOST = "redis.drill.internal"
REGION = "ap-northeast-2"
DISTRO_LINE = "# distro-packages"
STANDIN = "/usr/local/sbin/drill-distro-packages"

_BASE64_CALL = re.compile(r'^\$\{base64encode\("(?P<body>.*)"\)\}$', re.DOTALL)
_REFERENCE = re.compile(r"\$\{([^}]+)\}")


def run(cmd: list[str], *, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, check=False, text=True, capture_output=True, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def wait_for(what: str, probe: Callable[[], bool], *, timeout: float, interval: float = 0.25) -> float:
    """Seconds until ``probe()`` is true; AssertionError naming ``what`` after ``timeout``."""
    return seconds_until(probe, within=timeout, what=what, interval=interval, error=AssertionError)


# --- one drill per machine ----------------------------------------------------------------------

LOCK_WAIT_SECONDS = 900
"""How long a drill waits for another one on the machine to finish (a whole drill takes about 3 minutes)."""
PG_FOLDER_PREFIX = "covaex-drill-pg-"


@contextlib.contextmanager
def machine_lock(path: Path) -> Iterator[None]:
    """Hold the machine's drill lock (``flock``, released by the kernel even when the holder is killed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        started = time.monotonic()
        deadline = started + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if time.monotonic() - started > 1:
                    print(f"[drill] waited {time.monotonic() - started:.0f} s for another drill to finish")
                break
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "?"
                if time.monotonic() > deadline:
                    message = f"another boot drill (pid {holder}) held {path} for {LOCK_WAIT_SECONDS} s"
                    raise AssertionError(message) from None
                time.sleep(1)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sweep_leftovers() -> list[str]:
    """End what drills left running (call under :func:`machine_lock`); says what it ended.

    A drill container is the init (systemd) of a PID namespace whose hostname
    is :data:`MACHINE`, whether its ``systemd-nspawn`` still runs or not (its
    root reads ``/``, or ``/ (deleted)`` once the copy is gone): the whole
    namespace is killed. The
    stand is the redis-server and moto bound to :data:`HOST_IP` and the
    PostgreSQL in a ``covaex-drill-pg-*`` folder.
    """
    ended: list[str] = []
    for pid in _pids():
        argv = _cmdline(pid)
        if not argv:
            continue
        if _is_drill_container(pid):
            namespace = _pid_namespace(pid)
            for member in [m for m in _pids() if _pid_namespace(m) == namespace]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(member, signal.SIGKILL)
            ended.append(f"container {pid} (systemd of {MACHINE}, root {_root(pid)})")
        elif _is_drill_stand(argv):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            ended.append(f"stand process {pid} ({' '.join(argv)[:100]})")
    temp = Path(tempfile.gettempdir())
    for folder in temp.glob(f"{PG_FOLDER_PREFIX}*"):
        shutil.rmtree(folder, ignore_errors=True)
    # The copied rootfs of a killed run (glob.glob, unlike Path.glob, ignores folders pytest removes meanwhile).
    for root in glob.glob(str(temp / "pytest-of-*/pytest-*/boot-drill*/root")):
        run(["rm", "-rf", "--one-file-system", root], check=False)
        ended.append(f"rootfs copy {root}")
    run(["ip", "link", "del", HOST_IFACE], check=False)
    return ended


def _status(pid: int) -> dict[str, str]:
    """``/proc/PID/status`` as fields (psutil has no ``NSpid``: a process's PID in each namespace); empty once gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":", 1) for line in status.splitlines() if ":" in line)


def _is_drill_container(pid: int) -> bool:
    fields = _status(pid)
    nspids = fields.get("NSpid", "").split()
    if len(nspids) < 2 or nspids[-1] != "1" or fields.get("Name", "").strip() != "systemd":
        return False  # not systemd as the init of a child PID namespace
    # Its root reads "/" (or "/ (deleted)") from here; the name nspawn gave it tells a drill's container.
    uts = run(["nsenter", "-t", str(pid), "-u", "cat", "/proc/sys/kernel/hostname"], check=False).stdout.strip()
    return uts == MACHINE


def _is_drill_stand(argv: list[str]) -> bool:
    line = " ".join(argv)
    program = os.path.basename(argv[0].split()[0])  # redis-server rewrites its title: "redis-server 10.213.0.1:0"
    if program == "systemd-nspawn":
        return f"--machine={MACHINE}" in argv
    if program == "redis-server":
        return HOST_IP in line
    if program.startswith("python") or program == "moto_server":
        return HOST_IP in line and "moto_server" in line
    return program == "postgres" and PG_FOLDER_PREFIX in line


def _cmdline(pid: int) -> list[str]:
    try:
        return [part for part in psutil.Process(pid).cmdline() if part]
    except psutil.Error:
        return []


def _root(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/root")
    except OSError:
        return ""


# --- the user data, as Terraform would send it -------------------------------------------------


def user_data(stack: dict[str, Any], references: dict[str, str]) -> str:
    """The launch template's boot script: references filled from ``references``, distro line swapped."""
    raw = stack["resource"]["aws_launch_template"]["app"]["user_data"]
    match = _BASE64_CALL.match(raw)
    assert match, "the user data is base64encode(<script>)"
    script: str = json.loads(f'"{match.group("body")}"')
    unresolved = set(_REFERENCE.findall(script)) - references.keys()
    assert not unresolved, f"the drill has no value for {sorted(unresolved)}"
    script = _REFERENCE.sub(lambda m: references[m.group(1)], script)
    # What Terraform sends is base64; decoding it must give the script back unchanged.
    assert base64.b64decode(base64.b64encode(script.encode())).decode() == script
    lines = script.splitlines(keepends=True)
    distro = [i for i, line in enumerate(lines) if line.rstrip().endswith(DISTRO_LINE)]
    assert len(distro) == 1, f"exactly one line marked {DISTRO_LINE!r}"
    lines[distro[0]] = f"{STANDIN}  {DISTRO_LINE} (drill: Debian stands in for Amazon Linux 2023)\n"
    return "".join(lines)


# --- the AWS side: CA, PostgreSQL, Redis, moto ---------------------------------------------------


@dataclass
class Ca:
    """A test certificate authority and server certificates signed by it (openssl)."""

    folder: Path

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.cert = self.folder / "ca.crt"
        key = self.folder / "ca.key"
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=CovaEX drill CA",
             "-keyout", str(key), "-out", str(self.cert)])  # fmt: skip

    def issue(self, name: str) -> tuple[Path, Path]:
        key, csr, cert = (self.folder / f"{name}.{ext}" for ext in ("key", "csr", "crt"))
        ext = self.folder / f"{name}.ext"
        ext.write_text(f"subjectAltName=DNS:{name},IP:{HOST_IP}\n")
        run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
             "-keyout", str(key), "-out", str(csr)])  # fmt: skip
        run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(self.cert), "-CAkey", str(self.folder / "ca.key"),
             "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(cert)])  # fmt: skip
        return cert, key


class Postgres:
    """A real PostgreSQL on ``HOST_IP:5432`` (the port RDS uses), TLS-only with password auth for the service."""

    def __init__(self, ca: Ca) -> None:
        # Outside pytest's private temp folder: the postgres user must reach it.
        folder = Path(tempfile.mkdtemp(prefix=PG_FOLDER_PREFIX))
        folder.chmod(0o755)
        self.folder = folder
        self.bin = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1])
        self.data = folder / "data"
        self.socket_dir = folder / "sock"
        self.socket_dir.mkdir(parents=True)
        cert, key = ca.issue(DB_HOST)
        for path in (cert, key):
            shutil.copy(path, folder / path.name)
        run(["chown", "-R", "postgres:postgres", str(folder)])
        self._as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth-local=trust",
                           "--auth-host=scram-sha-256", "-E", "UTF8"])  # fmt: skip
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\nhostssl all all 10.0.0.0/8 scram-sha-256\nhostnossl all all 0.0.0.0/0 reject\n"
        )
        settings = {
            "listen_addresses": f"'{HOST_IP}'",
            "port": "5432",
            "unix_socket_directories": f"'{self.socket_dir}'",
            "ssl": "on",
            "ssl_cert_file": f"'{folder / cert.name}'",
            "ssl_key_file": f"'{folder / key.name}'",
            "fsync": "off",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{k} = {v}\n" for k, v in settings.items())
        self._as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(folder / "pg.log"), "-w", "start"])

    def _as_postgres(self, cmd: list[str]) -> str:
        return run(["runuser", "-u", "postgres", "--", *cmd], cwd="/tmp").stdout

    def sql(self, statement: str) -> str:
        psql = [str(self.bin / "psql"), "-h", str(self.socket_dir), "-U", "postgres", "-d", "postgres"]
        return self._as_postgres([*psql, "-v", "ON_ERROR_STOP=1", "-tAc", statement])

    def stop(self) -> None:
        run(["runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
             "stop"], check=False, cwd="/tmp")  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)


class Redis:
    """A real Redis on ``HOST_IP:6379`` (ElastiCache's port), TLS only (``rediss://``), no plain port."""

    def __init__(self, folder: Path, ca: Ca) -> None:
        cert, key = ca.issue(REDIS_HOST)
        self.argv = ["redis-server", "--port", "0", "--tls-port", "6379", "--bind", HOST_IP,
                     "--tls-cert-file", str(cert), "--tls-key-file", str(key), "--tls-ca-cert-file", str(ca.cert),
                     "--tls-auth-clients", "no", "--protected-mode", "no",
                     "--save", "", "--appendonly", "no"]  # fmt: skip
        self.log = folder / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT)
        wait_for("Redis listening", self._listening, timeout=10)

    def _listening(self) -> bool:
        # Our process, alive, is the one listening: not a leftover on the same port while ours failed to bind.
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"redis-server exited {self.process.returncode}: {self.log.read_text()[-1000:]}")
        socket.create_connection((HOST_IP, 6379), timeout=1).close()
        return True

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class Moto:
    """``moto`` in server mode: the AWS APIs the boot uses, on a free port of ``HOST_IP``."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port(HOST_IP)
        self.endpoint = f"http://{HOST_IP}:{self.port}"
        moto_server = Path(os.sys.executable).with_name("moto_server")  # type: ignore[attr-defined]
        with (folder / "moto.log").open("ab") as log:
            self.process = subprocess.Popen(
                [str(moto_server), "-H", HOST_IP, "-p", str(self.port)], stdout=log, stderr=subprocess.STDOUT
            )
        wait_for("moto answering", lambda: httpx.get(f"{self.endpoint}/moto-api/").status_code == 200, timeout=30)

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.endpoint,
            aws_access_key_id="drill",
            aws_secret_access_key="drill",  # moto accepts any key
        )

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@dataclass
class Stand:
    """Everything the instance talks to; :meth:`close` stops it all."""

    folder: Path
    ca: Ca = field(init=False)
    postgres: Postgres = field(init=False)
    redis: Redis = field(init=False)
    moto: Moto = field(init=False)

    def __post_init__(self) -> None:
        run(["ip", "addr", "replace", f"{HOST_IP}/32", "dev", "lo"])
        try:
            self.ca = Ca(self.folder / "ca")
            self.postgres = Postgres(self.ca)
            self.redis = Redis(self.folder, self.ca)
            self.moto = Moto(self.folder)
        except BaseException:
            self.close()  # what did start
            raise

    def close(self) -> None:
        for part in ("moto", "redis", "postgres"):
            if hasattr(self, part):
                with contextlib.suppress(Exception):
                    getattr(self, part).stop()
        run(["ip", "addr", "del", f"{HOST_IP}/32", "dev", "lo"], check=False)


def new_password() -> str:
    # Characters that mean something in a URL, as RDS's generated passwords may hold.
    return secrets.token_urlsafe(18) + "#%/@"


# --- the instance ------------------------------------------------------------------------------

_CLOUD_INIT_UNIT = """[Unit]
Description=The EC2 user data, once per instance (the drill's stand-in for cloud-init)
Wants=network-online.target
After=network-online.target
ConditionPathExists=!/var/lib/cloud/instance/boot-finished

[Service]
Type=oneshot
TimeoutStartSec=600
ExecStart=/var/lib/cloud/instance/user-data.txt
ExecStartPost=/usr/bin/touch /var/lib/cloud/instance/boot-finished

[Install]
WantedBy=multi-user.target
"""

_EMULATED_NETWORK_UNIT = f"""[Unit]
Description=The drill's veth address (networkd's job, which it cannot do under qemu-user)
DefaultDependencies=no
Before=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'until ip link show {GUEST_IFACE} >/dev/null 2>&1; do sleep 0.2; done'
ExecStart=/sbin/ip link set {GUEST_IFACE} up
ExecStart=/sbin/ip addr replace {GUEST_IP}/24 dev {GUEST_IFACE}

[Install]
WantedBy=network-online.target
"""
EMULATION_SLOWDOWN = 6
"""How much longer than natively the drill lets an emulated (arm64 under qemu-user) instance take."""

_STANDIN_SCRIPT = """#!/bin/bash
# The drill's replacement of the user data's one distro line (dnf install on Amazon Linux 2023).
set -euo pipefail
# python3.11, its venv and jq: Debian's packages, already in the drill's rootfs (the container has no internet).
dpkg-query -W python3.11 python3.11-venv jq >/dev/null
# amazon-cloudwatch-agent is not packaged for Debian: a stand-in that fetches its SSM configuration as the agent does.
install -d /opt/aws/amazon-cloudwatch-agent/bin /opt/aws/amazon-cloudwatch-agent/etc
cat > /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl <<'CTL'
#!/bin/bash
set -euo pipefail
source=${@: -1}
aws ssm get-parameter --name ${source#ssm:} --query Parameter.Value --output text \\
  > /opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json
CTL
chmod 0755 /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl
"""


class Instance:
    """One app instance: a copy of the rootfs booted with systemd under ``systemd-nspawn``."""

    def __init__(
        self, rootfs: Path, folder: Path, script: str, ca: Path, endpoint: str, *, emulated: bool = False
    ) -> None:
        self.root = folder / "root"
        # An emulated CPU (arm64 under qemu-user) gets this many times the native bounds.
        self.slowdown = EMULATION_SLOWDOWN if emulated else 1
        self.emulated = emulated
        # systemd's console lines (status, shutdown) can fill the console's pty, which "passive" never
        # drains: PID 1 then blocks writing to it (seen under emulation at boot, and natively during a
        # reboot on a busy machine). "read-only" drains it into nspawn.log.
        self.console = "read-only"
        self.log = folder / "nspawn.log"
        run(["cp", "-a", "--reflink=auto", str(rootfs), str(self.root)])
        try:
            self._prepare(script, ca, endpoint)
        except BaseException:
            run(["rm", "-rf", "--one-file-system", str(self.root)], check=False)
            raise
        self.process: subprocess.Popen[bytes] | None = None
        self.leader = 0
        # The container's PID namespace ("pid:[inode]"): what a hard stop kills, whoever its parent is by then.
        self.pid_namespace = ""

    def _prepare(self, script: str, ca: Path, endpoint: str) -> None:
        """The instance's first-boot state in the copied rootfs: user data, its runner, network, trust store."""
        self._write("var/lib/cloud/instance/user-data.txt", script, 0o700)
        self._write("etc/systemd/system/drill-user-data.service", _CLOUD_INIT_UNIT)
        self._link("etc/systemd/system/multi-user.target.wants/drill-user-data.service",
                   "/etc/systemd/system/drill-user-data.service")  # fmt: skip
        self._write(STANDIN.lstrip("/"), _STANDIN_SCRIPT, 0o755)
        self._write(
            "etc/systemd/system.conf.d/drill.conf",
            "[Manager]\n# The AWS CLI reaches moto here, as the AMI's reaches AWS with the instance role.\n"
            f"DefaultEnvironment=AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=drill AWS_SECRET_ACCESS_KEY=drill "
            f"AWS_DEFAULT_REGION={REGION}\n" + ("ShowStatus=no\n" if self.emulated else ""),
        )
        if self.emulated:
            # systemd-networkd exits at start under qemu-user (its netlink use is not emulated); `ip`'s is:
            # a oneshot unit brings the veth up before network-online.target, as networkd would.
            self._write("etc/systemd/system/drill-network.service", _EMULATED_NETWORK_UNIT)
            self._link("etc/systemd/system/network-online.target.wants/drill-network.service",
                       "/etc/systemd/system/drill-network.service")  # fmt: skip
        else:
            self._write(f"etc/systemd/network/10-{GUEST_IFACE}.network",
                        f"[Match]\nName={GUEST_IFACE}\n\n[Network]\nAddress={GUEST_IP}/24\n")  # fmt: skip
            for unit, target in (("systemd-networkd.service", "multi-user.target"),
                                 ("systemd-networkd-wait-online.service", "network-online.target")):  # fmt: skip
                self._link(f"etc/systemd/system/{target}.wants/{unit}", f"/lib/systemd/system/{unit}")
        with (self.root / "etc/hosts").open("a") as hosts:
            hosts.write(f"{HOST_IP} {DB_HOST} {REDIS_HOST}\n")
        # The test CA joins the system trust store, as Amazon's CAs are in the AMI's.
        shutil.copy(ca, self.root / "usr/local/share/ca-certificates/covaex-drill.crt")
        run(["chroot", str(self.root), "update-ca-certificates"])

    def _write(self, relative: str, text: str, mode: int = 0o644) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)

    def _link(self, relative: str, target: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        path.symlink_to(target)

    def boot(self) -> None:
        """Start the container (a veth pair its only network) and wait until systemd is PID 1 in it."""
        run(["ip", "link", "del", HOST_IFACE], check=False)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                ["systemd-nspawn", "--register=no", "--keep-unit", "-D", str(self.root), "--boot",
                 f"--machine={MACHINE}", "--network-veth", f"--console={self.console}", "-q"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.leader, self.pid_namespace = 0, ""
        wait_for("the container's systemd", self._find_leader, timeout=30 * self.slowdown)
        run(["ip", "link", "set", HOST_IFACE, "up"])
        run(["ip", "route", "replace", f"{GUEST_IP}/32", "dev", HOST_IFACE])
        wait_for("the container to finish booting", self._booted, timeout=120 * self.slowdown)

    def _find_leader(self) -> bool:
        """The container's PID 1 (systemd), as a host PID: the child of systemd-nspawn that is PID 1 inside."""
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"systemd-nspawn exited {self.process.returncode}: {self.log.read_text()[-2000:]}")
        with contextlib.suppress(psutil.NoSuchProcess):
            for child in psutil.Process(self.process.pid).children():
                if _status(child.pid).get("NSpid", "").split()[-1:] == ["1"]:
                    self.leader = child.pid
                    self.pid_namespace = _pid_namespace(child.pid)
                    return bool(self.pid_namespace)
        return False

    def _booted(self) -> bool:
        state = self.sh("systemctl is-system-running", check=False).stdout.strip()
        return state in ("running", "degraded")

    def sh(self, command: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a shell command inside the container (all its namespaces), as root."""
        return run(["nsenter", "-t", str(self.leader), "-a", "--", "/bin/sh", "-c", command], check=check)

    def diagnose(self) -> str:
        """What went wrong, for assertion messages: unit states, journals, the service log."""
        parts = [
            self.sh("systemctl --no-pager status drill-user-data covaex 2>&1 | tail -n 40", check=False).stdout,
            self.sh("journalctl --no-pager -n 60 -u drill-user-data -u covaex 2>&1", check=False).stdout,
            self.sh("tail -n 40 /var/log/covaex/service.log 2>&1", check=False).stdout,
        ]
        return "\n".join(parts)

    def reboot(self, within: float) -> float:
        """``systemctl reboot`` inside; nspawn exits (133) as a reboot and is started again, like EC2 would.

        Returns the seconds until the container was down, which must be within ``within``: the drill's
        bound for the whole reboot, since a shutdown may take as long as systemd's own stop timeouts allow.
        """
        assert self.process is not None
        started = time.monotonic()
        self.sh("systemctl reboot", check=False)
        try:
            code = self.process.wait(within)
        except subprocess.TimeoutExpired:
            # ps and the service log through nsenter: systemd may no longer answer in its final stage.
            what = ("systemctl list-jobs --no-pager; ps -eo pid,ppid,stat,etimes,wchan:24,args;"
                    " journalctl --no-pager -n 40; tail -n 40 /var/log/covaex/service.log")  # fmt: skip
            stuck = self.sh(what, check=False)
            raise AssertionError(
                f"the reboot did not end the container within {within:.0f} s:\n{stuck.stdout}"
            ) from None
        down = time.monotonic() - started
        assert code == 133, f"systemd-nspawn should end with 133 (reboot), got {code}"
        self.boot()
        return down

    def poweroff(self) -> None:
        """Stop the container: orderly first, then SIGKILL of everything in its PID namespace."""
        if self.process is None:
            return
        try:
            with contextlib.suppress(Exception):
                os.kill(self.process.pid, signal.SIGRTMIN + 4)  # nspawn: orderly poweroff of the container
                self.process.wait(30)
        finally:  # even when interrupted while waiting
            # A SIGKILLed systemd-nspawn leaves its container running, reparented to the host's init: kill the
            # container's own processes, not only nspawn (orphaned containers of failed runs held gigabytes).
            self._kill_namespace()
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait(10)
            self.process = None
            run(["ip", "link", "del", HOST_IFACE], check=False)

    def _kill_namespace(self) -> None:
        if not self.pid_namespace:
            with contextlib.suppress(Exception):
                self._find_leader()
        if not self.pid_namespace:
            return
        deadline = time.monotonic() + 10
        while True:
            members = [pid for pid in _pids() if _pid_namespace(pid) == self.pid_namespace]
            if not members or time.monotonic() > deadline:
                break
            for pid in members:  # the namespace's init among them: its death takes every other member with it
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
        self.pid_namespace = ""

    def destroy(self) -> None:
        """Power off whatever the state, then remove the copied rootfs (gigabytes per run otherwise)."""
        try:
            self.poweroff()
        finally:
            run(["rm", "-rf", "--one-file-system", str(self.root)], check=False)

    def url(self, path: str, port: int) -> str:
        return f"http://{GUEST_IP}:{port}{path}"


def _pids() -> list[int]:
    return list(psutil.pids())


def _pid_namespace(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:  # gone already
        return ""


@contextlib.contextmanager
def timed(label: str) -> Iterator[dict[str, float]]:
    """Print how long the block took, under ``label`` (the drill's figures)."""
    result: dict[str, float] = {}
    started = time.monotonic()
    yield result
    result["seconds"] = time.monotonic() - started
    print(f"[drill] {label}: {result['seconds']:.1f} s")
