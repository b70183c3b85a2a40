"""What the accounts area keeps on ``app.ctx`` while the server runs, and how handlers reach it."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sanic import Request

from covaex_service.accounts.config import AccountsConfig
from covaex_service.accounts.passwords import PasswordHasher
from covaex_service.accounts.storage import AccountStore


@dataclass(frozen=True)
class Accounts:
    """The open store and the helpers built from the settings at server start."""

    store: AccountStore
    hasher: PasswordHasher
    config: AccountsConfig
    secret_key: str
    known_symbols: frozenset[str]

    def keyed_hash(self, purpose: str, value: str) -> str:
        """HMAC of ``value`` under the service secret: stored instead of session ids and throttle keys."""
        message = f"{purpose}\x00{value}".encode()
        return hmac.new(self.secret_key.encode(), message, hashlib.sha256).hexdigest()


def accounts_of(request: Request) -> Accounts:
    accounts = request.app.ctx.accounts
    assert isinstance(accounts, Accounts), "the accounts area is not started"
    return accounts
