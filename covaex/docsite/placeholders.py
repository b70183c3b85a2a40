"""Fake deploy-time defaults, marked on every page that shows one.

``infraforge.inputs`` ships fake but valid defaults (a documentation IP for
the VPN peer, a zero account id in the certificate ARN) so synth runs
anywhere. A reader must never take them for the real thing: every generated
page that contains one gets a warning naming the value and the input (or
file) that replaces it.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass

from infraforge.inputs import DEFAULTS, FAKE_ACCOUNT

# RFC 5737 documentation ranges: never a real peer.
DOCUMENTATION_NETS = tuple(ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))


@dataclass(frozen=True)
class Placeholder:
    value: str
    replaced_by: str


def placeholders() -> tuple[Placeholder, ...]:
    """Every fake default the stacks may carry into a page, with what replaces it."""
    found = [
        Placeholder(
            FAKE_ACCOUNT,
            "the real AWS account id: it comes with `INFRAFORGE_<ENV>_ACM_CERTIFICATE_ARN` and the ECR registry "
            "in `deploy/k8s/overlays/*`",
        )
    ]
    for name, value in sorted(DEFAULTS.items()):
        if _is_fake(value) and value != FAKE_ACCOUNT:
            found.append(Placeholder(value, f"입력 `{name}`: 배포 전에 `INFRAFORGE_<ENV>_{name.upper()}`를 설정"))
    return tuple(found)


def _is_fake(value: str) -> bool:
    # The account, example.com, and the docs' well-formed fake ids (the AMI: ``ami-0123456789abcdef0``).
    if FAKE_ACCOUNT in value or "example.com" in value or "0123456789abcdef" in value:
        return True
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return any(address in net for net in DOCUMENTATION_NETS)


_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+\.svg)\)")


def mark_placeholders(pages: Mapping[str, bytes], images: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
    """Pages with a warning under their title listing each fake default they show, in their text or in a
    diagram they embed (``images``: generated files by path under ``docs/generated/``)."""
    marks = placeholders()
    images = images or {}
    out = {}
    for path, data in pages.items():
        if not path.endswith(".md"):
            out[path] = data
            continue
        text = data.decode("utf-8")
        shown_in = text + "".join(
            images.get(posixpath.normpath(posixpath.join(posixpath.dirname(path), ref)), b"").decode("utf-8")
            for ref in _IMAGE.findall(text)
        )
        shown = [p for p in marks if p.value in shown_in]
        out[path] = _with_warning(text, shown).encode("utf-8") if shown else data
    return out


def _with_warning(text: str, shown: list[Placeholder]) -> str:
    """The warning goes after the title and the summary paragraph that opens every page."""
    lines = text.split("\n")
    title = next((i for i, line in enumerate(lines) if line.startswith("# ")), 0)
    at = title + 1
    while at < len(lines) and not lines[at].strip():
        at += 1
    while at < len(lines) and lines[at].strip():
        at += 1
    warning = ["", '!!! warning "이 페이지의 자리표시 값 (placeholder): 실제 값이 아님"']
    warning += [f"    - `{p.value}`: 문서용 가짜 기본값; 실제 값은 {p.replaced_by}." for p in shown]
    return "\n".join([*lines[:at], *warning, *lines[at:]])
