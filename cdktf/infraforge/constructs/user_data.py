"""The app instances' boot script: install CovaEX and run ``covaex serve`` under systemd.

No secret is written into the script: it contains only secret *ARNs*. At
every service start, a root-only ``ExecStartPre`` helper reads the RDS-managed
master secret and the session-key secret from Secrets Manager (the instance
role may read exactly those two) and writes ``/run/covaex/env`` (mode 0600,
tmpfs, gone at reboot); systemd passes it to the service as
``COVAEX_DATABASE_URL``, ``COVAEX_REDIS_URL`` and ``COVAEX_SECRET_KEY``. A
rotated password is picked up by a restart.

The CloudWatch agent's configuration is an SSM parameter (see
:func:`cloudwatch_agent_config`), fetched by the agent itself.

The script reaches Terraform inside a ``base64encode(...)`` call, so it may
contain no double quote, no backslash and no ``${`` / ``%{`` of its own
(:func:`render_user_data` refuses them); bash variables use the ``$NAME``
form. Placeholders ``__NAME__`` are filled by :func:`render_user_data`.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

_TEMPLATE = r"""#!/bin/bash
# CovaEX app instance bootstrap, rendered by infraforge.constructs.user_data. No secrets in here.
set -euo pipefail

dnf install -y python3.11 python3.11-pip git jq amazon-cloudwatch-agent
id covaex >/dev/null 2>&1 || useradd --system --home-dir /opt/covaex --create-home --shell /sbin/nologin covaex
python3.11 -m venv /opt/covaex/venv
/opt/covaex/venv/bin/pip install --no-cache-dir 'covaex @ git+https://github.com/__GITHUB_REPO__@__GIT_REF__'
install -d -o covaex -g covaex -m 0750 /var/log/covaex

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

[Service]
User=covaex
RuntimeDirectory=covaex
RuntimeDirectoryMode=0750
ExecStartPre=+/usr/local/sbin/covaex-env
EnvironmentFile=/run/covaex/env
ExecStart=/opt/covaex/venv/bin/covaex serve --host 0.0.0.0 --port __APP_PORT__
StandardOutput=append:/var/log/covaex/service.log
StandardError=append:/var/log/covaex/service.log
Restart=always
RestartSec=5
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
ReadWritePaths=/var/log/covaex /opt/covaex

[Install]
WantedBy=multi-user.target
UNIT

agent_ctl=/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl
$agent_ctl -a fetch-config -m ec2 -s -c ssm:__AGENT_CONFIG_PARAMETER__

systemctl daemon-reload
systemctl enable --now covaex.service
"""

_PLACEHOLDER = re.compile(r"__([A-Z_]+?)__")


@dataclass(frozen=True)
class ServiceBoot:
    """Where the service finds its code, database, cache and secrets (values may be Terraform tokens)."""

    environment: str
    region: str
    github_repo: str
    git_ref: str
    app_port: int
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
    fields = {**asdict(boot), "log_group": log_group, "agent_config_parameter": agent_config_parameter}
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
                            }
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
