"""dev can be destroyed and created again; prod keeps what it must (synth assertions and the destroy order).

The order is scripts/destroy-dev.sh, run here with stand-ins for ``aws``,
``kubectl`` and ``cdktf`` on PATH that record every call: the controller's
load balancers must be gone before any stack is destroyed, the platform
before the VPC's stack, and nothing is destroyed while they stay.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from covaex.synth import REPO_ROOT, SynthResult
from tests.infra.stack_json import Json, resource

SCRIPT = REPO_ROOT / "scripts" / "destroy-dev.sh"


def test_dev_empties_its_log_bucket_on_destroy_and_prod_keeps_it(dev: Json, prod: Json) -> None:
    assert resource(dev, "aws_s3_bucket.alb_logs")["force_destroy"] is True
    assert resource(prod, "aws_s3_bucket.alb_logs").get("force_destroy") in (None, False)


def test_dev_keeps_no_final_snapshot_and_prods_is_unique_per_instance(dev: Json, prod: Json) -> None:
    db = resource(dev, "aws_db_instance.postgres")
    assert db["skip_final_snapshot"] is True and "final_snapshot_identifier" not in db
    db = resource(prod, "aws_db_instance.postgres")
    assert db["skip_final_snapshot"] is False
    # A fixed name makes the second destroy fail (DBSnapshotAlreadyExists): the creation time is in it, kept.
    assert re.fullmatch(r"covaex-prod-postgres-final-\$\{formatdate\(\"YYYYMMDDhhmmss\", timestamp\(\)\)\}",
                        db["final_snapshot_identifier"])  # fmt: skip
    assert "final_snapshot_identifier" in db["lifecycle"]["ignore_changes"]


def test_dev_deletes_its_secret_at_once_and_prod_can_restore_it(dev: Json, prod: Json) -> None:
    assert resource(dev, "aws_secretsmanager_secret.session_key")["recovery_window_in_days"] == 0
    assert resource(prod, "aws_secretsmanager_secret.session_key")["recovery_window_in_days"] == 7


def _fakes(folder: Path, lb_polls: int) -> dict[str, str]:
    """aws, kubectl and cdktf that append their argv to calls.log; the tagging API lists an ALB ``lb_polls`` times."""
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    log = folder / "calls.log"
    counter = folder / "polls"
    counter.write_text("0")
    record = f'echo "$(basename "$0") $*" >> {log}\n'
    (bin_dir / "aws").write_text(
        "#!/bin/bash\n"
        + record
        + f"""
case "$1 $2" in
  "resourcegroupstaggingapi get-resources")
    n=$(cat {counter}); echo $((n + 1)) > {counter}
    if [ "$n" -lt {lb_polls} ]; then
      echo "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/k8s-covaex-abc/1"
    fi ;;
esac
"""
    )
    for tool in ("kubectl", "cdktf"):
        (bin_dir / tool).write_text("#!/bin/bash\n" + record)
    for path in bin_dir.iterdir():
        path.chmod(0o755)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "DESTROY_POLL_SECONDS": "1", "DESTROY_WAIT_SECONDS": "2"}


def _run(synthesized: SynthResult, tmp_path: Path, lb_polls: int) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    env = {**_fakes(tmp_path, lb_polls), "CDKTF_OUTDIR": str(synthesized.out), "HOME": str(tmp_path)}
    proc = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, check=False)
    log = tmp_path / "calls.log"
    return proc, log.read_text().splitlines() if log.exists() else []


@pytest.mark.skipif(shutil.which("python3") is None, reason="the script reads the stack with python3")
def test_destroy_removes_the_controllers_albs_before_the_platform_and_the_platform_before_the_vpc(
    synthesized: SynthResult, tmp_path: Path
) -> None:
    proc, calls = _run(synthesized, tmp_path, lb_polls=2)
    assert proc.returncode == 0, proc.stderr
    kinds = [" ".join(c.split()[:3]) for c in calls]
    first_poll = kinds.index("aws resourcegroupstaggingapi get-resources")
    apps = next(i for i, c in enumerate(calls) if c.startswith("kubectl") and "applications.argoproj.io" in c)
    ingress = next(i for i, c in enumerate(calls) if c.startswith("kubectl") and " ingress " in c)
    platform = calls.index("cdktf destroy platform-v2-dev --auto-approve")
    v1 = calls.index("cdktf destroy tobe-v1-dev --auto-approve")
    assert apps < ingress < first_poll < platform < v1, calls
    # It polled until the ALB was gone: twice present, once empty, then the destroys.
    assert kinds.count("aws resourcegroupstaggingapi get-resources") == 3
    cluster = re.search(r"--name (\S+)", calls[0])
    assert cluster and f"Values={cluster.group(1)}" in calls[first_poll]
    assert not [c for c in calls if c.startswith("cdktf") and "prod" in c]


def test_destroy_stops_in_one_line_and_destroys_nothing_while_an_alb_stays(
    synthesized: SynthResult, tmp_path: Path
) -> None:
    proc, calls = _run(synthesized, tmp_path, lb_polls=10_000)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("destroy-dev: still present after 2 s")
    assert not [c for c in calls if c.startswith("cdktf")], calls


def test_destroy_needs_the_synthesized_stacks(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "CDKTF_OUTDIR": str(tmp_path)}
    proc = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and proc.stderr.strip().count("\n") == 0
    assert "run cdktf synth first" in proc.stderr
