"""``covaex docs build`` / ``covaex docs check`` (placeholder until issue #6 lands)."""

from __future__ import annotations

from covaex.errors import NotAvailable


def build_docs() -> None:
    raise NotAvailable("'docs build' is not available yet: the documentation generator has not landed (issue #6)")


def check_docs() -> int:
    raise NotAvailable("'docs check' is not available yet: the documentation generator has not landed (issue #6)")
