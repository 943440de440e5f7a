"""Webhook secrets at rest: sealed under a key derived from the master key.

A secret must be read back to sign every delivery, so it cannot be stored as a hash the
way API keys are. It is sealed (AES-GCM) with a key derived from DATA_MASTER_KEY for this
purpose alone, bound to the agency and the webhook, so a sealed secret copied onto
another webhook does not open. It is not a person's data: no person key is involved.
"""

from __future__ import annotations

from uuid import UUID

from core import crypto
from stores.keyring import Keyring

PURPOSE = "refactortrack webhook secrets v1"


def _context(tenant_id: UUID, webhook_id: UUID) -> bytes:
    return f"rt/webhook-secret/{tenant_id}/{webhook_id}".encode()


class WebhookSecrets:
    def __init__(self, keys: Keyring) -> None:
        self._keys = keys
        self._key: bytes | None = None

    def _derived(self) -> bytes:
        # Derived on first use, not at construction: the master key is read when needed.
        if self._key is None:
            self._key = crypto.derive(self._keys.master(), PURPOSE)
        return self._key

    def seal(self, tenant_id: UUID, webhook_id: UUID, secret: str) -> str:
        return crypto.seal_text(self._derived(), secret, _context(tenant_id, webhook_id))

    def open(self, tenant_id: UUID, webhook_id: UUID, sealed: str) -> str:
        """The secret; CannotOpen if it was sealed for another webhook or altered."""
        return crypto.open_text(self._derived(), sealed, _context(tenant_id, webhook_id))
