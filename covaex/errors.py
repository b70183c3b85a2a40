"""Errors the CLI reports as one line.

    CovaexError (covaex_service.errors)   base: message fit for a user
    └── CliError                          a command could not do its job
        ├── BadInput                      the user's input cannot be used (exit 2, like usage)
        └── NotAvailable                  the command's work has not landed yet

Anything else escaping a command is a bug: the CLI still prints one line, and
the traceback only with ``COVAEX_DEBUG=1``.
"""

from __future__ import annotations

from covaex_service.errors import CovaexError


class CliError(CovaexError):
    """A command failed for a reason the user can act on."""

    exit_code = 1


class BadInput(CliError):
    """An argument names something unusable: a missing ref or folder, JSON that is not Terraform."""

    exit_code = 2


class NotAvailable(CliError):
    """The command exists in the contract but its implementation has not landed."""

    exit_code = 3
