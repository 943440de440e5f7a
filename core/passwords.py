"""Password hashing with Argon2id through pwdlib."""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _hasher().verify(password, password_hash)


@lru_cache
def _dummy_hash() -> str:
    return _hasher().hash("not anybody's password")


def dummy_verify(password: str) -> None:
    """Take as long as verifying a real password, for a user who does not exist."""
    _hasher().verify(password, _dummy_hash())
