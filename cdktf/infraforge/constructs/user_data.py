"""The app instances' boot script: install one released version of the service and run it under systemd.

The code comes from the release artifact, never from git: the release workflow
publishes ``covaex-<version>-py3-none-any.whl``, the hash-pinned
``service.lock`` and ``wheelhouse.tar`` (every pinned dependency as a wheel,
``scripts/build-artifact.sh``) under ``s3://<artifact bucket>/covaex/<version>/``.
The version is a deploy input (``APP_VERSION``), so a new version is a new
launch template version that an instance refresh rolls out; the instance role
may read that one prefix and nothing else of the bucket. The boot installs
the ``service`` dependencies only, offline from the wheelhouse (``--no-index
--require-hashes``): no toolchain, no PyPI through the NAT, the same bits on
every instance.

No secret is written into the script: it contains only secret *ARNs*. At
every service start, a root-only ``ExecStartPre`` helper reads the RDS-managed
master secret and the session-key secret from Secrets Manager and writes
``/run/covaex/env`` (mode 0600, removed when the service stops); systemd
passes it to the service as ``COVAEX_DATABASE_URL``, ``COVAEX_REDIS_URL`` and
``COVAEX_SECRET_KEY``. systemd loads environment files before *every*
command of the unit, ``ExecStartPre`` included, so the file is optional
(``-``) for the helper that writes it and present for ``ExecStart``. When
PostgreSQL rejects the password (RDS rotates it every 7 days) the service
exits non-zero; ``Restart=always`` starts it again and the helper reads the
rotated secret (``covaex_service.accounts.storage.postgres``).

The CloudWatch agent's configuration is an SSM parameter (see
:func:`cloudwatch_agent_config`), fetched by the agent itself. The agent starts
right after the packages, before the release is installed, and neither its
failure nor a failed first start of the service ends the boot early: the
instances whose install or start fails are the ones whose logs matter
(``tests/infra/test_app_boot.py`` runs the script with both failing).

The boot drill (``tests/boot``) runs this script as synthesized, in a Debian
container booted with systemd; it replaces only the line marked
``distro-packages`` (the AMI is Amazon Linux 2023).

The script reaches Terraform inside a ``base64encode(...)`` call, so it may
contain no double quote, no backslash and no ``${`` / ``%{`` of its own
(:func:`render_user_data` refuses them); bash variables use the ``$NAME``
form. Placeholders ``__NAME__`` are filled by :func:`render_user_data`.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from infraforge.constructs.boot_steps import RETRY_FUNCTION

# The marker of the one distribution-specific line (the boot drill's Debian container swaps it).
DISTRO_PACKAGES_MARKER = "# distro-packages"

_TEMPLATE = r"""#!/bin/bash
# CovaEX app instance bootstrap, rendered by infraforge.constructs.user_data. No secrets in here.
set -euo pipefail
__RETRY_FUNCTION__
retry 10 30 dnf install -y python3.11 python3.11-pip jq amazon-cloudwatch-agent  # distro-packages
id covaex >/dev/null 2>&1 || useradd --system --home-dir /opt/covaex --create-home --shell /sbin/nologin covaex
install -d -o covaex -g covaex -m 0750 /var/log/covaex

# The CloudWatch agent first, whatever the rest of the boot does: it ships this boot's own output
# and the service log (from when it appears), so an instance whose install or first start fails is
# the one with logs. Its failure is one line here, never the end of the boot.
agent_ctl=/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl
$agent_ctl -a fetch-config -m ec2 -s -c ssm:__AGENT_CONFIG_PARAMETER__ ||
  echo boot: the CloudWatch agent did not start, the service starts without it >&2

# The release: wheel, hash-pinned lock and wheelhouse of one version, installed offline.
artifact=s3://__ARTIFACT_BUCKET__/covaex/__APP_VERSION__
release=/opt/covaex/release/__APP_VERSION__
wheel=covaex-__APP_VERSION__-py3-none-any.whl
install -d -m 0755 $release
for object in $wheel service.lock wheelhouse.tar; do
  aws s3 cp --only-show-errors --region __REGION__ $artifact/$object $release/$object
done
tar -xf $release/wheelhouse.tar -C $release
python3.11 -m venv /opt/covaex/venv
pip=/opt/covaex/venv/bin/pip
$pip install --quiet --no-cache-dir --no-index --find-links $release/wheels --require-hashes -r $release/service.lock
$pip install --quiet --no-cache-dir --no-index --no-deps $release/$wheel

cat > /usr/local/sbin/covaex-env <<'SCRIPT'
#!/bin/bash
# Writes /run/covaex/env from Secrets Manager at each service start (root only).
set -euo pipefail
umask 077
secret() {
  aws secretsmanager get-secret-value --region __REGION__ --secret-id $1 --query SecretString --output text
}
db_json=$(secret '__DB_SECRET_ARN__')
# URL-encoded: the generated password may hold characters that mean something in a URL.
db_user=$(jq -r '.username|@uri' <<<$db_json)
db_pass=$(jq -r '.password|@uri' <<<$db_json)
session_key=$(secret '__SESSION_SECRET_ARN__')
cat > /run/covaex/env <<ENV
COVAEX_ENV=__ENVIRONMENT__
COVAEX_PORT=__APP_PORT__
COVAEX_FEED=auto
COVAEX_PROXIES_COUNT=1
COVAEX_DATABASE_URL=postgresql://$db_user:$db_pass@__DB_HOST__:__DB_PORT__/__DB_NAME__?sslmode=require
COVAEX_REDIS_URL=rediss://__REDIS_HOST__:__REDIS_PORT__/0
COVAEX_SECRET_KEY=$session_key
ENV
SCRIPT
chmod 0700 /usr/local/sbin/covaex-env

cat > /etc/systemd/system/covaex.service <<'UNIT'
[Unit]
Description=CovaEX market service
Wants=network-online.target
After=network-online.target
# Never give up: a rotated database secret or a dead worker ends the process on purpose.
StartLimitIntervalSec=0

[Service]
User=covaex
RuntimeDirectory=covaex
RuntimeDirectoryMode=0750
# systemd reads environment files before every command, ExecStartPre included: the helper that
# writes this file must start without it ('-'), ExecStart then reads what it has just written.
EnvironmentFile=-/run/covaex/env
ExecStartPre=+/usr/local/sbin/covaex-env
ExecStart=/opt/covaex/venv/bin/covaex serve --host 0.0.0.0 --port __APP_PORT__ --workers __WORKERS__
StandardOutput=append:/var/log/covaex/service.log
StandardError=append:/var/log/covaex/service.log
Restart=always
RestartSec=2
# A WebSocket client is a descriptor: serve raises its soft limit to this (benchmarks/ws_chain.py prints the need).
LimitNOFILE=65536
# SIGTERM to the main process only: it stops its workers in order (WebSocket clients get 1001).
KillMode=mixed
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
ReadWritePaths=/var/log/covaex

[Install]
WantedBy=multi-user.target
UNIT

systemctl daemon-reload
systemctl enable covaex.service
# A failed first start (a secret not readable yet, the database still coming up) is systemd's to
# retry (Restart=always), not a reason to fail the boot.
systemctl start covaex.service || echo boot: the first start of covaex.service failed, systemd restarts it >&2
"""

_PLACEHOLDER = re.compile(r"__([A-Z_]+?)__")


@dataclass(frozen=True)
class ServiceBoot:
    """The release an instance runs and where it finds database, cache and secrets (values may be Terraform tokens)."""

    environment: str
    """``COVAEX_ENV``: the service's posture (``dev`` or ``prod``), not the environment's name."""
    region: str
    artifact_bucket: str
    app_version: str
    app_port: int
    workers: int
    db_host: str
    db_port: int
    db_name: str
    db_secret_arn: str
    session_secret_arn: str
    redis_host: str
    redis_port: int


# What may not appear in the script: it would break out of the Terraform string.
_FORBIDDEN = ('"', "\\", "${", "%{")


def render_user_data(boot: ServiceBoot, *, log_group: str, agent_config_parameter: str) -> str:
    """The boot script with every placeholder filled; refuses an unfilled one or unsafe text."""
    fields = {
        **asdict(boot),
        "log_group": log_group,
        "agent_config_parameter": agent_config_parameter,
        "retry_function": RETRY_FUNCTION,
    }
    values = {key.upper(): str(value) for key, value in fields.items()}
    used = set(_PLACEHOLDER.findall(_TEMPLATE))
    missing = used - values.keys()
    if missing:
        raise ValueError(f"user data placeholders without a value: {sorted(missing)}")
    for key, value in values.items():
        # Terraform tokens (endpoints, ARNs) are the one allowed ``${`` and are resolved by cdktf.
        literal = re.sub(r"\$\{TfToken\[TOKEN\.\d+\]\}", "", value)
        if any(bad in literal for bad in _FORBIDDEN):
            raise ValueError(f"user data value {key} contains a quote, backslash or interpolation: {value!r}")
    bad_in_template = [bad for bad in _FORBIDDEN if bad in _TEMPLATE]
    if bad_in_template:
        raise ValueError(f"user data template contains {bad_in_template}")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], _TEMPLATE)


def cloudwatch_agent_config(log_group: str) -> str:
    """CloudWatch agent configuration: ship the service log, publish memory and disk use."""
    return json.dumps(
        {
            "logs": {
                "logs_collected": {
                    "files": {
                        "collect_list": [
                            {
                                "file_path": "/var/log/covaex/service.log",
                                "log_group_name": log_group,
                                "log_stream_name": "{instance_id}",
                            },
                            # the boot's own output: why an instance never served
                            {
                                "file_path": "/var/log/cloud-init-output.log",
                                "log_group_name": log_group,
                                "log_stream_name": "{instance_id}/boot",
                            },
                        ]
                    }
                }
            },
            "metrics": {
                "namespace": "CovaEX/App",
                "metrics_collected": {
                    "mem": {"measurement": ["mem_used_percent"]},
                    "disk": {"measurement": ["used_percent"], "resources": ["/"]},
                },
            },
        },
        indent=2,
    )
