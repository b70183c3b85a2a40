"""The boot drill's instance, booted once per test module: the stand, the artifact, the user data, systemd.

Shared by the native drill (``test_boot_drill.py``, the build box's x86_64)
and the Graviton drill (``test_boot_drill_arm64.py``, an arm64 rootfs under
qemu-user-static). Each builds the release artifact with
``scripts/build-artifact.sh`` from stacks whose instances are of the CPU the
container runs (:func:`drill_stacks`), so the wheels that boot are the ones
the build chose for that CPU.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from covaex.synth import SynthResult
from tests.boot.drill import (
    DB_HOST,
    REDIS_HOST,
    REPO_ROOT,
    Instance,
    Stand,
    machine_lock,
    new_password,
    run,
    sweep_leftovers,
    timed,
    user_data,
    wait_for,
)
from tests.boot.rootfs import CACHE, NATIVE, build_rootfs, enable_emulation, installed_packages

DB_USER = "covaex"
CLIENT = {"X-Forwarded-For": "198.51.100.7"}  # the ALB's header (COVAEX_PROXIES_COUNT=1)
# What the drill allows one request (its bounds are on recovery, not latency); the health path gets the
# target group's own health-check timeout instead, as the ALB would.
REQUEST_TIMEOUT_SECONDS = 10.0
STACK = "tobe-v1-prod"
NATIVE_STAND_IN = "t3.small"
"""The instance type the native drill writes into its copy of the stack: an x86_64 twin of t4g.small,
so the artifact it builds and boots is the one the stacks would get if the app tier were x86_64."""


@dataclass
class Booted:
    """The running instance and what the drills need to act on it."""

    instance: Instance
    stand: Stand
    port: int
    health_path: str
    health_timeout: int
    grace_seconds: int
    alb_window_seconds: int
    """How long the target group's health check takes to mark a silent instance unhealthy (unhealthy
    threshold x interval): a restart shorter than this never takes the instance out of the ALB."""
    db_secret_arn: str
    session_secret_arn: str
    boot_seconds: float = 0.0

    def get(self, path: str, timeout: float = REQUEST_TIMEOUT_SECONDS, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.instance.url(path, self.port), headers=CLIENT, timeout=timeout, **kwargs)

    def health(self) -> int:
        """The status the ALB's health check would see."""
        return self.get(self.health_path, timeout=self.health_timeout).status_code

    def healthy(self) -> bool:
        return self.health() == 200

    def booting_healthy(self) -> bool:
        """Healthy yet; fails at once when the user data has failed (no point waiting out the grace period)."""
        state = self.instance.sh("systemctl is-failed drill-user-data", check=False).stdout.strip()
        assert state != "failed", f"the user data failed:\n{self.instance.diagnose()}"
        return self.healthy()

    def workers(self) -> list[int]:
        out = self.instance.sh("grep -l 'SANIC_WORKER_NAME=Sanic-Server' /proc/[0-9]*/environ", check=False).stdout
        return sorted(int(path.split("/")[2]) for path in out.split())

    def main_pid(self) -> int:
        return int(self.instance.sh("systemctl show -p MainPID --value covaex").stdout.strip())

    def restart_phases(self, since: float) -> str:
        """When, after ``since`` (monotonic, shared with the container), systemd saw the unit stop and start again."""
        props = ("InactiveEnterTimestampMonotonic", "InactiveExitTimestampMonotonic", "ExecMainStartTimestampMonotonic")
        out = self.instance.sh(f"systemctl show {' '.join(f'-p {p}' for p in props)} covaex").stdout
        at = dict(line.split("=", 1) for line in out.split())
        names = ("stopped", "ExecStartPre began", "covaex serve began")
        return ", ".join(f"{name} +{int(at[p]) / 1e6 - since:.1f} s" for name, p in zip(names, props, strict=True))

    def hard_exits(self) -> int:
        """How many times the service's stop hung and its main process exited hard (server.py, the service log)."""
        log = self.instance.sh("cat /var/log/covaex/service.log", check=False).stdout
        return log.count("did not stop within")

    def settled(self) -> bool:
        """Both workers up, each past its startup (it reports in /metrics only once Sanic has its ack), serving."""
        metrics = self.get("/metrics").text
        reporting = {int(pid) for pid in re.findall(r'covaex_worker_ws_clients\{[^}]*worker="[^:"]*:(\d+):', metrics)}
        workers = self.workers()
        return len(workers) == 2 and reporting == set(workers) and self.healthy()

    def feed_starts(self) -> int:
        """How many times a worker has taken the ingest lease and started the feed (the service log)."""
        log = self.instance.sh("cat /var/log/covaex/service.log", check=False).stdout
        # Only starts: "ingest lease taken by another worker ...; stopping the feed" is a stop.
        return len(re.findall(r"ingest lease taken by \S+; starting the", log))


def _references(script: str, db_secret_arn: str, session_secret_arn: str) -> dict[str, str]:
    """Terraform's references in the script, resolved to the drill's endpoints and secrets."""
    values: dict[str, str] = {}
    for ref in set(re.findall(r"\$\{([^}]+)\}", script)):
        if ref.startswith("aws_db_instance.") and ref.endswith(".address"):
            values[ref] = DB_HOST
        elif ref.startswith("aws_db_instance.") and "master_user_secret" in ref:
            values[ref] = db_secret_arn
        elif ref.startswith("aws_elasticache_replication_group."):
            values[ref] = REDIS_HOST
        elif ref.startswith("aws_secretsmanager_secret."):
            values[ref] = session_secret_arn
    return values


def build_artifact(out: Path, stacks_dir: Path) -> str:
    """``scripts/build-artifact.sh OUT`` for the stacks in ``stacks_dir``; the version it built."""
    proc = run(["bash", str(REPO_ROOT / "scripts/build-artifact.sh"), str(out)], cwd=REPO_ROOT,
               env={**os.environ, "STACKS": str(stacks_dir)})  # fmt: skip
    return proc.stdout.strip().splitlines()[-1]


def drill_stacks(synthesized: SynthResult, arch: str, folder: Path) -> Path:
    """A stacks folder holding the drill's stack: as synthesized for arm64 (its real CPU), or with the
    app tier's instance type swapped for its x86_64 stand-in (:data:`NATIVE_STAND_IN`) for the native drill."""
    stack = json.loads(synthesized.stack_json(STACK).read_text())
    if arch == NATIVE:
        stack["resource"]["aws_launch_template"]["app"]["instance_type"] = NATIVE_STAND_IN
    path = folder / "stacks" / STACK / "cdk.tf.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stack))
    return folder / "stacks"


def booted_instance(synthesized: SynthResult, folder: Path, arch: str = NATIVE) -> Iterator[Booted]:
    """The body of a drill's module fixture: under the machine's drill lock, swept before and after."""
    stack = json.loads(synthesized.stack_json(STACK).read_text())
    stacks_dir = drill_stacks(synthesized, arch, folder)
    # A SIGTERM (CI cancelling the job, `timeout`) unwinds like Ctrl-C, so every finally below still runs.
    previous_sigterm = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with machine_lock(CACHE / "drill.lock"):
            ended = sweep_leftovers()
            if ended:
                print(f"[drill] ended what an interrupted drill had left running: {ended}")
            try:
                yield from _boot(stack, folder, arch, stacks_dir)
            finally:
                left = sweep_leftovers()
                shutil.rmtree(folder / "stacks", ignore_errors=True)
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)
    assert not left, f"the drill left these running (ended now): {left}"


def _boot(stack: dict[str, Any], folder: Path, arch: str, stacks_dir: Path) -> Iterator[Booted]:
    """The stand and the instance, booted until its health path answers; both gone when the drill ends."""
    with timed(f"rootfs {arch} (debootstrap once, then cached)"):
        rootfs = build_rootfs(arch)
    packages = installed_packages(rootfs)
    print(
        f"rootfs {arch}: {len(packages)} packages, recorded in {rootfs / '.packages'} "
        f"(systemd {packages.get('systemd', '?')}, python3.11 {packages.get('python3.11', '?')})",
        flush=True,
    )
    enable_emulation(arch)
    with timed(f"release artifact for the stacks in {stacks_dir.name} (scripts/build-artifact.sh)"):
        version = build_artifact(folder / "artifact", stacks_dir)
    stand = Stand(folder / "stand")
    instance: Instance | None = None
    try:
        # The secret store and the artifact bucket, as the stacks and the release workflow leave them.
        raw_script = user_data(stack, {ref: "x" for ref in re.findall(r"\$\{([^}]+)\}", _raw(stack))})
        bucket, script_version = re.search(r"s3://([^/\s]+)/covaex/([^/\s]+)", raw_script).groups()  # type: ignore[union-attr]
        assert script_version == version, "the stacks' APP_VERSION is the version the release builds"
        s3 = stand.moto.client("s3")
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"})
        for path in sorted((folder / "artifact").iterdir()):
            s3.upload_file(str(path), bucket, f"covaex/{version}/{path.name}")
        password = new_password()
        stand.postgres.sql(f"CREATE ROLE {DB_USER} LOGIN PASSWORD '{password}'")
        stand.postgres.sql(f"CREATE DATABASE covaex OWNER {DB_USER}")
        sm = stand.moto.client("secretsmanager")
        db_arn = sm.create_secret(
            Name="rds!db-drill", SecretString=json.dumps({"username": DB_USER, "password": password})
        )["ARN"]
        session_arn = sm.create_secret(Name="covaex/prod/session-key", SecretString=new_password() * 3)["ARN"]
        agent = stack["resource"]["aws_ssm_parameter"]["cloudwatch_agent"]
        stand.moto.client("ssm").put_parameter(Name=agent["name"], Value=agent["value"], Type="String")

        script = user_data(stack, _references(_raw(stack), db_arn, session_arn))
        instance = Instance(rootfs, folder, script, stand.ca.cert, stand.moto.endpoint, emulated=arch != NATIVE)
        group = stack["resource"]["aws_lb_target_group"]["app"]
        check = group["health_check"]
        port = group["port"] if check.get("port", "traffic-port") == "traffic-port" else int(check["port"])
        grace = stack["resource"]["aws_autoscaling_group"]["app"]["health_check_grace_period"]
        # Under emulation every instruction is translated: the bound is the grace period times the slowdown.
        allowed = grace * instance.slowdown
        window = int(check["unhealthy_threshold"]) * int(check["interval"])
        result = Booted(instance, stand, port, check["path"], int(check["timeout"]), grace, window, db_arn, session_arn)
        started = time.monotonic()
        instance.boot()
        try:
            wait_for(f"{check['path']} healthy on :{port}", result.booting_healthy, timeout=allowed, interval=1)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{instance.diagnose()}") from None
        result.boot_seconds = time.monotonic() - started
        print(f"[drill] {arch}: first boot to healthy {check['path']}: {result.boot_seconds:.1f} s (grace {grace} s)")
        yield result
    finally:
        try:
            if instance is not None:
                instance.destroy()
        finally:  # the stand too, even when interrupted while the container stops
            stand.close()


def _raw(stack: dict[str, Any]) -> str:
    raw: str = stack["resource"]["aws_launch_template"]["app"]["user_data"]
    return json.loads(f'"{raw[len("${base64encode(") + 1 : -len(")}") - 1]}"')
