"""Pod secrets from Secrets Manager through External Secrets, and a rotated password followed (issue 24).

The manifests are checked as rendered (kustomize, and as Argo CD renders them with the bootstrap's
overrides); the rotation is played against a real PostgreSQL with password authentication: the
Secret External Secrets writes (its template applied as Go's ``urlquery`` does) and the environment
kubelet builds from it at a container start (``$(VAR)`` expansion) authenticate, a rotation refuses
them, and the next start after the next sync authenticates again: v1's rule (re-read at start, exit
when refused), with kubelet as the supervisor.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import pytest
from infraforge.gitops_site import EXTERNAL_SECRET, bootstrap_manifests
from infraforge.platform.config import PLATFORMS, SECRET_REFRESH_INTERVAL

from tests.deploy.deploy_checks import ENVIRONMENTS, Rendered, render_as_argo_cd, site_outputs

PGBIN = max(Path("/usr/lib/postgresql").glob("*/bin"), default=None, key=lambda p: int(p.parent.name))
# Every printable ASCII character RDS may put in a generated password (it leaves out space, '"', '/' and '@'),
# plus those three URL delimiters anyway: the encoding must not depend on RDS's exclusions.
TRICKY = "".join(chr(c) for c in range(33, 127) if chr(c) not in "\"'\\") + "@/:?#%"


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    found = {}
    for env in ENVIRONMENTS:
        platform, registry = site_outputs(env)
        docs = bootstrap_manifests(env, platform_outputs=platform, registry_outputs=registry, environ={})
        (app,) = [d for d in docs if d["kind"] == "Application"]
        found[env] = render_as_argo_cd(env, app, tmp_path_factory.mktemp(env))
    return found


def container(r: Rendered) -> dict[str, Any]:
    (main,) = r.one("Deployment")["spec"]["template"]["spec"]["containers"]
    return dict(main)


def test_the_pods_secret_is_synced_from_secrets_manager(rendered: dict[str, Rendered]) -> None:
    for env, r in rendered.items():
        external = r.one("ExternalSecret", EXTERNAL_SECRET)
        spec = external["spec"]
        assert spec["refreshInterval"] == SECRET_REFRESH_INTERVAL, "one value: infraforge.platform.config"
        assert spec.get("refreshPolicy", "Periodic") == "Periodic"
        assert spec["target"]["name"] == EXTERNAL_SECRET and spec["target"]["creationPolicy"] == "Owner"
        store = r.one("SecretStore", spec["secretStoreRef"]["name"])
        aws = store["spec"]["provider"]["aws"]
        assert (aws["service"], aws["region"]) == ("SecretsManager", "ap-northeast-2")
        # signs in as the service's account, whose IRSA role reads exactly the two secrets
        jwt = aws["auth"]["jwt"]["serviceAccountRef"]
        assert jwt["name"] == PLATFORMS[env].service_account.name
        assert jwt["audiences"] == ["sts.amazonaws.com"]
        # every key the pod reads from the Secret is one the template writes; no hand-made Secret
        refs = [e["valueFrom"]["secretKeyRef"] for e in container(r)["env"] if "secretKeyRef" in e.get("valueFrom", {})]
        assert {ref["name"] for ref in refs} == {EXTERNAL_SECRET}
        assert {ref["key"] for ref in refs} == set(spec["target"]["template"]["data"])
        assert not [o for o in r.objects if o["kind"] == "Secret"]


def test_argo_cd_names_the_accounts_secrets_and_endpoints(configured: dict[str, Rendered]) -> None:
    for env, r in configured.items():
        platform = {name: entry["value"] for name, entry in site_outputs(env)[0].items()}
        keys = [d["remoteRef"]["key"] for d in r.one("ExternalSecret", EXTERNAL_SECRET)["spec"]["data"]]
        database, session = platform["database_secret_arn"], platform["session_secret_arn"]
        assert keys == [database, database, session]
        settings = r.one("ConfigMap", "covaex-config")["data"]
        assert settings["DB_HOST"] == platform["database_host"]
        assert settings["COVAEX_REDIS_URL"] == f"rediss://{platform['redis_host']}:{platform['redis_port']}/0"
        assert settings["COVAEX_ENV"] == env, "the overlay's settings survive the patch"


def test_git_names_no_secret_and_no_endpoint(rendered: dict[str, Rendered]) -> None:
    for r in rendered.values():
        keys = [d["remoteRef"]["key"] for d in r.one("ExternalSecret", EXTERNAL_SECRET)["spec"]["data"]]
        assert all(key.startswith("set-by-gitops-site/") for key in keys)
        settings = r.one("ConfigMap", "covaex-config")["data"]
        assert settings["DB_HOST"].endswith(".invalid") and ".invalid:" in settings["COVAEX_REDIS_URL"]


def test_the_database_url_is_v1s(rendered: dict[str, Rendered]) -> None:
    """One URL rule: the pod's COVAEX_DATABASE_URL has v1's shape (infraforge.constructs.user_data)."""
    from infraforge.constructs.user_data import _TEMPLATE

    (v1,) = re.findall(r"^COVAEX_DATABASE_URL=(.+)$", _TEMPLATE, flags=re.MULTILINE)
    v1_shape = re.sub(r"\$db_\w+|__\w+__", "X", v1)
    for r in rendered.values():
        (url,) = [e["value"] for e in container(r)["env"] if e["name"] == "COVAEX_DATABASE_URL"]
        assert re.sub(r"\$\(\w+\)", "X", url) == v1_shape


# --- the rotation, against a real PostgreSQL with password authentication ----------------


def go_urlquery(value: str) -> str:
    """Go's ``url.QueryEscape`` (the template's ``urlquery``): everything but ``[A-Za-z0-9_.~-]``, space as ``+``."""
    return quote_plus(value, safe="")


def external_secrets_sync(spec: Mapping[str, Any], store: Mapping[str, str]) -> dict[str, str]:
    """What External Secrets writes into the Secret from ``store`` (remote key -> JSON/plain value)."""
    import json

    fetched = {}
    for item in spec["data"]:
        value = store[item["remoteRef"]["key"]]
        prop = item["remoteRef"].get("property")
        fetched[item["secretKey"]] = json.loads(value)[prop] if prop else value
    out = {}
    for key, template in spec["target"]["template"]["data"].items():
        match = re.fullmatch(r"\{\{ \.(\w+)( \| urlquery)? \}\}", template)
        assert match, f"the test knows these template forms only: {template!r}"
        value = fetched[match.group(1)]
        out[key] = go_urlquery(value) if match.group(2) else value
    return out


def kubelet_environment(
    main: Mapping[str, Any], config: Mapping[str, str], secret: Mapping[str, str]
) -> dict[str, str]:
    """The container's environment as kubelet builds it at a start: envFrom, then env in order, ``$(VAR)`` expanded."""
    env: dict[str, str] = {}
    for source in main.get("envFrom", []):
        assert source["configMapRef"]["name"] == "covaex-config"
        env.update(config)
    for entry in main["env"]:
        if "value" in entry:
            env[entry["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), entry["value"])
        else:
            ref = entry["valueFrom"]["secretKeyRef"]
            env[entry["name"]] = secret[ref["key"]]
    return env


@pytest.fixture(scope="module")
def postgres() -> Iterator[Path]:
    """Socket directory of a password-checking PostgreSQL (the shared test server trusts every login)."""
    # outside pytest's root-only tmp tree: the server runs as the postgres user, as scripts/services.sh does
    with tempfile.TemporaryDirectory(prefix="covaex-scram-pg-") as name:
        yield from _serve(Path(name))


def _serve(folder: Path) -> Iterator[Path]:
    if PGBIN is None:
        pytest.fail("PostgreSQL is installed by scripts/setup.sh")
    data, socket = folder / "data", folder / "socket"
    socket.mkdir()
    folder.chmod(0o755)
    subprocess.run(["chown", "-R", "postgres", str(folder)], check=True)

    def as_postgres(*cmd: str) -> None:
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", *cmd], check=False, capture_output=True, text=True, cwd="/tmp"
        )
        assert done.returncode == 0, f"{cmd[0]}: {done.stderr.strip()[-500:]}"

    as_postgres(str(PGBIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    # the superuser keeps trust for the test's own setup; the application's role must present its password
    (data / "pg_hba.conf").write_text("local all postgres trust\nlocal all all scram-sha-256\n", encoding="utf-8")
    options = f"-c listen_addresses='' -k {socket} -c fsync=off"
    as_postgres(str(PGBIN / "pg_ctl"), "-D", str(data), "-l", str(folder / "pg.log"), "-w", "-o", options, "start")
    try:
        yield socket
    finally:
        as_postgres(str(PGBIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")


async def _admin(socket: Path, sql: str) -> None:
    conn = await asyncpg.connect(host=str(socket), user="postgres", database="postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _connects(url: str, socket: Path) -> bool:
    """Whether the service's URL authenticates (host and port are the test server's socket)."""
    try:
        conn = await asyncpg.connect(url, host=str(socket), port=5432)
    except asyncpg.InvalidPasswordError:
        return False
    await conn.close()
    return True


def test_a_rotated_password_reaches_the_pod_at_its_next_start(configured: dict[str, Rendered], postgres: Path) -> None:
    r = configured["prod"]
    spec = r.one("ExternalSecret", EXTERNAL_SECRET)["spec"]
    config = r.one("ConfigMap", "covaex-config")["data"] | {"DB_NAME": "postgres"}
    main = container(r)
    database_key, session_key = spec["data"][0]["remoteRef"]["key"], spec["data"][2]["remoteRef"]["key"]
    user = "covaex_app"

    def secrets_manager(password: str) -> dict[str, str]:
        import json

        return {database_key: json.dumps({"username": user, "password": password}), session_key: "s" * 48}

    def literal(password: str) -> str:
        return "'" + password.replace("'", "''") + "'"

    first, rotated = TRICKY, TRICKY[::-1] + "-rotated"
    asyncio.run(_admin(postgres, f"CREATE ROLE {user} LOGIN PASSWORD {literal(first)}"))
    started = kubelet_environment(main, config, external_secrets_sync(spec, secrets_manager(first)))
    url = started["COVAEX_DATABASE_URL"]
    assert "$(" not in url and first not in url, "expanded, and the password URL-encoded"
    assert asyncio.run(_connects(url, postgres))
    # RDS rotates: the running pod's environment is refused on its next connection (the service exits)
    asyncio.run(_admin(postgres, f"ALTER ROLE {user} PASSWORD {literal(rotated)}"))
    assert not asyncio.run(_connects(url, postgres))
    # a restart before the next sync starts with the same Secret and is refused again (kubelet backs off) ...
    stale = kubelet_environment(main, config, external_secrets_sync(spec, secrets_manager(first)))
    assert not asyncio.run(_connects(stale["COVAEX_DATABASE_URL"], postgres))
    # ... the first start after the sync (every refreshInterval) authenticates with the rotated password
    synced = kubelet_environment(main, config, external_secrets_sync(spec, secrets_manager(rotated)))
    assert asyncio.run(_connects(synced["COVAEX_DATABASE_URL"], postgres))
    assert synced["COVAEX_SECRET_KEY"] == "s" * 48
