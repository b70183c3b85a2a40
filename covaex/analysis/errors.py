"""The one error of the analyses (and of the docs' facts built on them)."""

from __future__ import annotations

from covaex.errors import CliError


class FactError(CliError):
    """A value a page or a review must state cannot be computed from the definitions; the message names it."""
