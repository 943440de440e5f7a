"""The primitives personal data is protected with: AES-256-GCM, HKDF, and a keyed blind index.

Three levels of key (envelope encryption):

- the **master key**, derived from the `DATA_MASTER_KEY` secret, wraps
- each agency's **agency key** (versioned; rotation makes a new version), which wraps
- each person's **person key**, which seals that person's data: personal fields of
  commands and events, contact points and resume files at rest.

Erasing a person deletes their person key, so every copy sealed with it (in a topic, a
DLQ, a replica, a backup) can no longer be read. Every sealed value is bound to where it
belongs by its associated data (agency, person, what it is), so a ciphertext copied onto
another record does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
NONCE_BYTES = 12
# Text form of a sealed value: a version prefix, so the format can change without guessing.
TEXT_PREFIX = "rt1:"


class CannotOpen(Exception):
    """A sealed value that this key does not open: another key, or altered."""


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def derive(secret: bytes, purpose: str) -> bytes:
    """A 256-bit key for one purpose, from a secret of any length (HKDF-SHA256)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode())
    return hkdf.derive(secret)


def seal(key: bytes, plaintext: bytes, context: bytes) -> bytes:
    """nonce ‖ ciphertext ‖ tag; `context` is bound as associated data."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, context)


def open_sealed(key: bytes, sealed: bytes, context: bytes) -> bytes:
    if len(sealed) <= NONCE_BYTES:
        raise CannotOpen("too short to be a sealed value")
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)
    except InvalidTag:
        raise CannotOpen("the key or the context does not match") from None


def seal_text(key: bytes, plaintext: str, context: bytes) -> str:
    sealed = seal(key, plaintext.encode(), context)
    return TEXT_PREFIX + base64.urlsafe_b64encode(sealed).decode()


def is_sealed_text(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TEXT_PREFIX)


def open_text(key: bytes, sealed: str, context: bytes) -> str:
    if not is_sealed_text(sealed):
        raise CannotOpen("not a sealed value")
    try:
        raw = base64.urlsafe_b64decode(sealed[len(TEXT_PREFIX) :])
    except ValueError:
        raise CannotOpen("not base64") from None
    return open_sealed(key, raw, context).decode()


def blind_index(key: bytes, value: str) -> str:
    """A keyed digest of a normalised value: equal values match, and without the key the
    digest tells nothing (an unkeyed hash of an e-mail is found by hashing guesses)."""
    digest = hmac.new(key, value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


# base64's URL-safe alphabet and the standard one, for binascii (what base64's
# urlsafe_* wrap, less their per-call Python work: a batch seals and opens thousands).
_TO_URL = bytes.maketrans(b"+/", b"-_")
_FROM_URL = bytes.maketrans(b"-_", b"+/")


class TextSealer:
    """One key, ready to seal and open many texts: `seal_text` and `open_text` with the
    key's cipher set up once, for a person's many fields (a batch seals thousands)."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, context: bytes) -> str:
        """As `seal_text(key, plaintext.decode(), context)`."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, plaintext, context)
        return TEXT_PREFIX + binascii.b2a_base64(sealed, newline=False).translate(_TO_URL).decode()

    def open(self, sealed: str, context: bytes) -> bytes:
        """As `open_text(key, sealed, context).encode()`; raises CannotOpen."""
        if not is_sealed_text(sealed):
            raise CannotOpen("not a sealed value")
        try:
            text = sealed[len(TEXT_PREFIX) :].encode("ascii").translate(_FROM_URL)
            raw = binascii.a2b_base64(text)
        except (ValueError, binascii.Error):
            raise CannotOpen("not base64") from None
        if len(raw) <= NONCE_BYTES:
            raise CannotOpen("too short to be a sealed value")
        try:
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context)
        except InvalidTag:
            raise CannotOpen("the key or the context does not match") from None
