"""Argon2id hashing (at the test suite's lowered cost)."""

from __future__ import annotations

from dataclasses import replace

from covaex_service.accounts.passwords import PasswordHasher

from tests.support.accounts import FAST_HASHING


async def test_hash_is_argon2id_salted_and_verifies() -> None:
    hasher = PasswordHasher(FAST_HASHING)
    first, second = await hasher.hash("a long passphrase"), await hasher.hash("a long passphrase")
    assert first.startswith("$argon2id$") and first != second  # a new salt each time
    assert "a long passphrase" not in first
    assert await hasher.verify(first, "a long passphrase")
    assert not await hasher.verify(first, "a long passphrasE")
    assert not await hasher.verify("not a hash", "a long passphrase")


async def test_a_hash_made_with_other_parameters_needs_rehash() -> None:
    old = await PasswordHasher(FAST_HASHING).hash("a long passphrase")
    assert not PasswordHasher(FAST_HASHING).needs_rehash(old)
    assert PasswordHasher(replace(FAST_HASHING, hash_time_cost=2)).needs_rehash(old)
    assert PasswordHasher(FAST_HASHING).needs_rehash("garbage")
