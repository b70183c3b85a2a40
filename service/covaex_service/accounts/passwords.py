"""Password hashing with Argon2id, off the event loop and behind a bounded queue.

Hashing is deliberately slow and memory-hard (64 MiB a hash), so it runs on a
small thread pool of its own (``hash_concurrency`` threads per worker): one
login must not stall every other request, and a flood of signups must not
multiply the memory by the number of requests. At most ``hash_queue`` more
requests wait for a thread; the next one is refused at once with 503 and
``Retry-After`` (:class:`~covaex_service.errors.Unavailable`), so a flood
degrades signups and logins only, never ``/healthz``, the page or the WebSocket.
The hashing threads also run at a lower CPU priority (:data:`HASH_THREAD_NICENESS`;
Linux keeps a nice value per thread, and Argon2's lane threads inherit it), so
on a busy box the event loop wins the CPU over a hash.

Passwords are hashed in Unicode NFKC form (NIST SP 800-63B 5.1.1.2), so the
same password typed on two keyboards is one password. Only the encoded hash
(algorithm, parameters, salt, digest) is ever stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

from covaex_service.accounts.config import AccountsConfig
from covaex_service.errors import Unavailable

T = TypeVar("T")

HASH_THREAD_NICENESS = 10
"""Added to the hashing threads' nice value: they yield the CPU to the event loop."""


def _lower_priority() -> None:
    # Per thread on Linux (the pool's thread, then the lanes Argon2 starts from it); elsewhere best effort.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_THREAD_NICENESS)


def normalized(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


class PasswordHasher:
    def __init__(self, config: AccountsConfig) -> None:
        self._argon2 = _Argon2(
            time_cost=config.hash_time_cost,
            memory_cost=config.hash_memory_kib,
            parallelism=config.hash_parallelism,
            type=Type.ID,
        )
        self._pool = ThreadPoolExecutor(
            max_workers=config.hash_concurrency, thread_name_prefix="covaex-argon2", initializer=_lower_priority
        )
        self._capacity = config.hash_concurrency + config.hash_queue
        self._retry_after_s = config.hash_retry_after_s
        self._admitted = 0
        self._dummy_hash: str | None = None

    async def run(self, work: Callable[..., T], *args: str) -> T:
        """``work(*args)`` on the hashing pool, or 503 at once when the queue is full (any password work)."""
        # Counted on the event loop thread: no lock needed between the check and the increment.
        if self._admitted >= self._capacity:
            raise Unavailable(
                "the service is busy with other sign-ins; try again in a moment",
                code="busy",
                retry_after_s=self._retry_after_s,
            )
        self._admitted += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)
        finally:
            self._admitted -= 1

    async def hash(self, password: str) -> str:
        return await self.run(self._argon2.hash, normalized(password))

    async def verify(self, password_hash: str, password: str) -> bool:
        """True when ``password`` matches; hashes made before normalisation are checked as typed too."""
        if await self._verify(password_hash, normalized(password)):
            return True
        return normalized(password) != password and await self._verify(password_hash, password)

    async def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return await self.run(self._argon2.verify, password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def burn(self, password: str) -> None:
        """Spend the time of one verification, so an unknown username answers as slowly as a known one."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash(secrets.token_urlsafe(16))
        await self._verify(self._dummy_hash, normalized(password))

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the stored hash was made with other parameters than today's."""
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
