"""IAM analysis: every role of a stack with what its trust and permission policies allow, and resource policies.

Read from the synthesized JSON (inline, customer-managed and attached
policies, ``aws_iam_policy_document`` data sources, JSON strings); a policy
that is neither JSON nor a policy document raises :class:`PolicyError` naming
its resource. The security pages (``covaex.docsite.facts.security``) and
``covaex diff`` (its IAM grants) read the same roles.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from covaex.analysis.errors import FactError
from covaex.analysis.values import readable
from covaex.topology.tfjson import Resource, TerraformDoc


@dataclass(frozen=True, order=True)
class Condition:
    """One condition of a statement: ``operator`` (StringEquals, ...), the context ``key`` and its ``values``."""

    operator: str
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    """One IAM statement, whole: nothing a reviewer needs is dropped."""

    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[Condition, ...] = ()
    principals: tuple[str, ...] = ()
    sid: str = ""
    negated: tuple[str, ...] = ()  # "NotAction" / "NotResource" when the statement uses them


@dataclass(frozen=True)
class Role:
    address: str
    name: str
    trust: tuple[Statement, ...]
    statements: tuple[Statement, ...]
    managed: tuple[str, ...]
    boundary: str

    @property
    def trusted(self) -> tuple[str, ...]:
        return tuple(sorted({p for st in self.trust for p in st.principals}))

    @property
    def condition_keys(self) -> frozenset[str]:
        return frozenset(c.key for st in (*self.trust, *self.statements) for c in st.conditions)


class PolicyError(FactError):
    """A policy that cannot be read; the message names the resource."""


def role_policies(doc: TerraformDoc) -> list[Role]:
    """Every IAM role of a stack with its trust and permission statements (inline, customer and attached)."""
    policies = {p.address: p for p in doc.resources("aws_iam_policy")}
    documents = {d.address: d for d in doc.data_sources("aws_iam_policy_document")}
    out = []
    for role in doc.resources("aws_iam_role"):
        statements: list[Statement] = []
        managed: list[str] = []
        for inline in doc.resources("aws_iam_role_policy"):
            if role.address in doc.refs(inline.get("role")) or inline.get("role") == role.get("name"):
                statements += _statements(inline, inline.get("policy"), documents, doc)
        for att in doc.resources("aws_iam_role_policy_attachment"):
            if role.address not in doc.refs(att.get("role")) and att.get("role") != role.get("name"):
                continue
            attached = [policies[a] for a in doc.refs(att.get("policy_arn")) if a in policies]
            if attached:
                for pol in attached:
                    statements += _statements(pol, pol.get("policy"), documents, doc)
            else:
                managed.append(str(att.get("policy_arn")))
        managed += [str(a) for a in role.get("managed_policy_arns") or []]
        for block_ in role.get("inline_policy") or []:
            statements += _statements(role, block_.get("policy"), documents, doc)
        out.append(
            Role(
                address=role.address,
                name=readable(role.get("name") or role.get("name_prefix") or role.name),
                trust=tuple(_statements(role, role.get("assume_role_policy"), documents, doc)),
                statements=tuple(sorted(set(statements), key=_statement_key)),
                managed=tuple(sorted(managed)),
                boundary=readable(role.get("permissions_boundary")) if role.get("permissions_boundary") else "-",
            )
        )
    return out


@dataclass(frozen=True)
class ResourcePolicy:
    """A policy attached to a resource (bucket, key, topic, repository), with its statements whole."""

    address: str
    statements: tuple[Statement, ...]


IDENTITY_POLICY_TYPES = ("aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy")


def resource_policies(doc: TerraformDoc) -> list[ResourcePolicy]:
    """Every resource-based policy of a stack (any resource with a ``policy`` that is not an identity policy)."""
    documents = {d.address: d for d in doc.data_sources("aws_iam_policy_document")}
    return [
        ResourcePolicy(res.address, tuple(_statements(res, res.get("policy"), documents, doc)))
        for res in doc.all_resources()
        if res.get("policy") and res.type not in IDENTITY_POLICY_TYPES and not res.type.startswith("aws_ecr_lifecycle")
    ]


def _statement_key(st: Statement) -> tuple[str, ...]:
    return (st.sid, st.effect, *st.actions, "|", *st.resources)


def _statements(owner: Resource, value: Any, documents: dict[str, Resource], doc: TerraformDoc) -> list[Statement]:
    """Statements of a policy given as a JSON string, or as a reference to a policy document."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise PolicyError(f"{owner.address}: policy is not valid JSON ({exc})") from None
        raw = parsed.get("Statement", [])
        return [_from_json(st) for st in ([raw] if isinstance(raw, dict) else raw)]
    found = [documents[a] for a in doc.refs(value) if a in documents]
    if value and not found:
        raise PolicyError(f"{owner.address}: policy {readable(value)!r} is neither JSON nor a policy document")
    return [_from_document(st) for source in found for st in source.get("statement") or []]


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(sorted(readable(v) for v in (value if isinstance(value, list) else [value])))


def _from_json(st: Mapping[str, Any]) -> Statement:
    principal = st.get("Principal") or {}
    principals = (
        (str(principal),)
        if isinstance(principal, str)
        else tuple(sorted(f"{kind}: {i}" for kind, ids in principal.items() for i in _texts(ids)))
    )
    conditions = tuple(
        Condition(str(op), str(key), _texts(values))
        for op, by_key in sorted((st.get("Condition") or {}).items())
        for key, values in sorted(by_key.items())
    )
    return Statement(
        effect=str(st.get("Effect", "Allow")),
        actions=_texts(st.get("Action") or st.get("NotAction")),
        resources=_texts(st.get("Resource") or st.get("NotResource")),
        conditions=conditions,
        principals=principals,
        sid=str(st.get("Sid", "")),
        negated=tuple(k for k in ("NotAction", "NotResource") if k in st),
    )


def _from_document(st: Mapping[str, Any]) -> Statement:
    """A statement of ``data.aws_iam_policy_document`` (snake_case blocks) in the same shape."""
    principals = tuple(
        sorted(f"{p.get('type', '?')}: {i}" for p in st.get("principals") or [] for i in _texts(p.get("identifiers")))
    )
    conditions = tuple(
        sorted(
            Condition(str(c.get("test")), str(c.get("variable")), _texts(c.get("values")))
            for c in st.get("condition") or []
        )
    )
    return Statement(
        effect=str(st.get("effect", "Allow")),
        actions=_texts(st.get("actions") or st.get("not_actions")),
        resources=_texts(st.get("resources") or st.get("not_resources")),
        conditions=conditions,
        principals=principals,
        sid=str(st.get("sid", "")),
        negated=tuple(k for k, key in (("NotAction", "not_actions"), ("NotResource", "not_resources")) if key in st),
    )
