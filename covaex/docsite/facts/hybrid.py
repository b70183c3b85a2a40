"""EPIC 2 pages on the hybrid link and the cache, and each stack's interface.

* ``vpn``: the site-to-site VPN per stack: customer gateway, static routes to
  on-prem, which route tables learn them, and the tunnel settings (AWS
  defaults named as such when the stack leaves them unset);
* ``elasticache``: engine, TLS, encryption, snapshots, failover, windows;
* ``stack_interface``: deploy-time inputs, outputs and providers per stack,
  as terraform-docs users expect them.

Maintenance and backup windows are UTC in AWS; `utc_kst` shows both.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from datetime import datetime, timedelta
from typing import Any

from infraforge import inputs as deploy_inputs

from covaex.docsite.facts.stackfacts import per_stack, readable, refs
from covaex.docsite.inputs import Inputs, story_order
from covaex.docsite.placeholders import placeholders
from covaex.docsite.sections import FactError, PendingInput
from covaex.topology.tfjson import Resource, TerraformDoc, as_int

KST = timedelta(hours=9)
_WINDOW = re.compile(r"^(?:([a-z]{3}):)?(\d{2}):(\d{2})-(?:([a-z]{3}):)?(\d{2}):(\d{2})$")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# AWS Site-to-Site VPN tunnel defaults (used when the stack leaves an option unset).
TUNNEL_DEFAULTS = {"dpd_timeout_seconds": 30, "dpd_timeout_action": "clear", "startup_action": "add"}


def utc_kst(window: str) -> str:
    """``sun:19:30-sun:20:30`` -> ``Sun 19:30–Sun 20:30 UTC (Mon 04:30–Mon 05:30 KST)``; daily windows alike."""
    match = _WINDOW.match(window.strip().lower())
    if not match:
        raise FactError(f"cannot read the time window {window!r} (expected hh:mm-hh:mm or ddd:hh:mm-ddd:hh:mm)")
    d1, h1, m1, d2, h2, m2 = match.groups()

    def shift(day: str | None, hour: str, minute: str) -> tuple[str, str]:
        base = datetime(2024, 1, 1 + (_DAYS.index(day) if day else 0), int(hour), int(minute))  # 2024-01-01: Monday
        local = base + KST
        fmt = "%a %H:%M" if day else "%H:%M"
        return base.strftime(fmt), local.strftime(fmt)

    (u1, k1), (u2, k2) = shift(d1, h1, m1), shift(d2, h2, m2)
    return f"{u1}–{u2} UTC ({k1}–{k2} KST)"


def vpn(inputs: Inputs) -> dict[str, list[dict[str, Any]]]:
    """Per stack: each VPN connection with its gateways, static routes, propagation and tunnel settings."""

    def one(doc: TerraformDoc) -> list[dict[str, Any]]:
        out = []
        for conn in doc.resources("aws_vpn_connection"):
            cgw = next((doc.by_address(a) for a in refs(doc, conn.get("customer_gateway_id"))), None)
            gateways = refs(doc, [conn.get("vpn_gateway_id"), conn.get("transit_gateway_id")])
            routes = [
                readable(r.get("destination_cidr_block"))
                for r in doc.resources("aws_vpn_connection_route")
                if conn.address in refs(doc, r.get("vpn_connection_id"))
            ]
            propagated = sorted(
                a
                for p in doc.resources("aws_vpn_gateway_route_propagation")
                if set(refs(doc, p.get("vpn_gateway_id"))) & set(gateways)
                for a in refs(doc, p.get("route_table_id"))
            )
            out.append(
                {
                    "address": conn.address,
                    "type": readable(conn.get("type")),
                    "static": conn.flag("static_routes_only"),
                    "gateways": gateways,
                    "customer_gateway": cgw.address if cgw else "-",
                    "peer_ip": readable(cgw.get("ip_address")) if cgw else "-",
                    "bgp_asn": readable(cgw.get("bgp_asn")) if cgw else "-",
                    "routes": routes,
                    "propagated_to": propagated,
                    "tunnels": [_tunnel(conn, n) for n in (1, 2)],
                }
            )
        return out

    return per_stack(inputs, ("aws_vpn_connection",), one)


def _tunnel(conn: Resource, n: int) -> dict[str, Any]:
    def setting(name: str) -> tuple[str, bool]:
        value = conn.get(f"tunnel{n}_{name}")
        return (readable(value), False) if value is not None else (str(TUNNEL_DEFAULTS[name]), True)

    timeout, timeout_default = setting("dpd_timeout_seconds")
    action, action_default = setting("dpd_timeout_action")
    return {
        "n": n,
        "inside_cidr": readable(conn.get(f"tunnel{n}_inside_cidr") or "AWS가 할당 (169.254.x.x/30)"),
        "dpd_timeout": timeout,
        "dpd_action": action,
        "defaults": timeout_default or action_default,
        "ike": readable(conn.get(f"tunnel{n}_ike_versions") or "ikev1, ikev2 (AWS 기본값)"),
    }


CACHE_KEYS = (
    "engine",
    "engine_version",
    "node_type",
    "num_cache_clusters",
    "port",
    "transit_encryption_enabled",
    "transit_encryption_mode",
    "at_rest_encryption_enabled",
    "auth_token",
    "automatic_failover_enabled",
    "multi_az_enabled",
    "preferred_cache_cluster_azs",
    "snapshot_retention_limit",
    "apply_immediately",
    "auto_minor_version_upgrade",
)


def elasticache(inputs: Inputs) -> dict[str, list[dict[str, Any]]]:
    """Per stack: each replication group's engine, TLS, encryption, failover, snapshots and windows."""

    def one(doc: TerraformDoc) -> list[dict[str, Any]]:
        out = []
        for group in doc.resources("aws_elasticache_replication_group"):
            nodes = as_int(group.get("num_cache_clusters"), 1) or 1
            out.append(
                {
                    "address": group.address,
                    "settings": [(k, readable(group.get(k))) for k in CACHE_KEYS if k in group.config],
                    "tls": group.flag("transit_encryption_enabled"),
                    "at_rest": group.flag("at_rest_encryption_enabled"),
                    "failover": group.flag("automatic_failover_enabled") and nodes > 1,
                    "multi_az": group.flag("multi_az_enabled"),
                    "nodes": nodes,
                    "snapshots_days": as_int(group.get("snapshot_retention_limit"), 0) or 0,
                    "snapshot_window": utc_kst(str(group.get("snapshot_window")))
                    if group.get("snapshot_window")
                    else "chosen by AWS",
                    "maintenance_window": utc_kst(str(group.get("maintenance_window")))
                    if group.get("maintenance_window")
                    else "chosen by AWS",
                    "security_groups": refs(doc, group.get("security_group_ids")),
                    "logs": [readable(d.get("log_type")) for d in group.get("log_delivery_configuration") or []],
                }
            )
        return out

    return per_stack(inputs, ("aws_elasticache_replication_group",), one)


def _attribute_docs(doc: str) -> dict[str, str]:
    """``Attributes:`` of a Google-style docstring, each description whole (its continuation lines joined)."""
    found: dict[str, str] = {}
    current = ""
    for line in doc.splitlines():
        match = re.match(r"^(\s+)([a-z_]+): (.+)$", line)
        if match and len(match.group(1)) <= 4:
            current = match.group(2)
            found[current] = match.group(3).strip()
        elif current and line.startswith(" " * 6) and line.strip():
            found[current] += " " + line.strip()
        elif not line.strip():
            current = ""
    return found


def stack_interface(inputs: Inputs) -> dict[str, Any]:
    """Deploy-time inputs (with their environment variables and fake defaults), and per stack its outputs and
    providers."""
    if not inputs.stacks:
        raise PendingInput("no stack is synthesized yet")
    fake = {p.value for p in placeholders()}
    described = _attribute_docs(inspect.getdoc(deploy_inputs.DeployInputs) or "")
    types = {f.name: str(f.type) for f in dataclasses.fields(deploy_inputs.DeployInputs)}
    deploy = [
        {
            "name": name,
            "env": f"INFRAFORGE_<ENV>_{name.upper()} or INFRAFORGE_{name.upper()}",
            "type": types.get(name, "str"),
            "default": default,
            "fake": (is_fake := default in fake or any(f in default for f in fake)),
            # terraform-docs' "required": a fake default deploys nothing real, so it must be set.
            "required": is_fake,
            "what": described.get(name, ""),
        }
        for name, default in sorted(deploy_inputs.DEFAULTS.items())
    ]
    stacks = {}
    for name in sorted(inputs.stacks, key=story_order):
        doc = inputs.stacks[name]
        outputs = [
            (key, readable(spec.get("value")), readable(spec.get("description", "")), bool(spec.get("sensitive")))
            for key, spec in doc.outputs.items()
        ]
        providers = [
            (key, readable(spec.get("source")), readable(spec.get("version")))
            for key, spec in doc.required_providers.items()
        ]
        regions = sorted({readable(cfg.get("region")) for _, cfg in doc.provider_configs if cfg.get("region")})
        variables = doc.variables
        stacks[name] = {"outputs": outputs, "providers": providers, "regions": regions, "variables": variables}
    return {"deploy": deploy, "stacks": stacks}
