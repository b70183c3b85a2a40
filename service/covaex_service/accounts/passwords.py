"""Password hashing with Argon2id, off the event loop.

Hashing is deliberately slow, so it runs in a worker thread: one login must
not stall every other request. Only the encoded hash (algorithm, parameters,
salt, digest) is ever stored.
"""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

from covaex_service.accounts.config import AccountsConfig


class PasswordHasher:
    def __init__(self, config: AccountsConfig) -> None:
        self._argon2 = _Argon2(
            time_cost=config.hash_time_cost,
            memory_cost=config.hash_memory_kib,
            parallelism=config.hash_parallelism,
            type=Type.ID,
        )
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._argon2.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        try:
            return await asyncio.to_thread(self._argon2.verify, password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def burn(self, password: str) -> None:
        """Spend the time of one verification, so an unknown username answers as slowly as a known one."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash(secrets.token_urlsafe(16))
        await self.verify(self._dummy_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the stored hash was made with other parameters than today's."""
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
