"""Where a webhook may send: its URL's host resolved, and every address it resolves to
checked (domain/webhooks.py), when it is created or changed and again before each send.

Checking at each send, on the addresses the sender then connects to, is what stops DNS
rebinding: a name that resolved to a public address when the webhook was made and to
127.0.0.1 or a cloud metadata address later is refused then, and the sender connects to
the address that was checked, not to whatever the name resolves to a moment after.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass

from core.settings import Settings
from domain.webhooks import BadTarget, TargetURL, is_public_address, parse_target

RESOLVE_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    parts: TargetURL
    address: str
    """The checked address to connect to."""


def allowed_hosts(settings: Settings) -> frozenset[str]:
    return frozenset(
        h.strip().lower() for h in settings.webhook_allowed_hosts.split(",") if h.strip()
    )


async def _addresses(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        found = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_SECONDS
        )
    except (OSError, TimeoutError, UnicodeError, ValueError) as exc:
        raise BadTarget(f"the URL's host {host!r} does not resolve ({exc})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise BadTarget(f"the URL's host {host!r} does not resolve")
    return addresses


async def resolve_target(url: str, settings: Settings) -> Target:
    """The URL's parts and the address to send to; BadTarget saying why it may not be used.

    Every address the host resolves to must be allowed, not only the first: a name with
    one public and one private address could otherwise be steered to the private one.
    """
    parts = parse_target(url)
    hosts = allowed_hosts(settings)
    if hosts and parts.host not in hosts:
        raise BadTarget(f"the URL's host {parts.host!r} is not one this system may send to")
    addresses = await _addresses(parts.host, parts.port)
    if not settings.webhook_allow_private_targets:
        refused = [a for a in addresses if not is_public_address(a)]
        if refused:
            # The address itself is not told: the answer would map the internal network.
            raise BadTarget(
                f"the URL's host {parts.host!r} resolves to a private, loopback or link-local "
                "address, which webhooks may not reach"
            )
    return Target(url, parts, addresses[0])
