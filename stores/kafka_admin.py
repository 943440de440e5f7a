"""The broker's administration as the admin principal: SCRAM users, ACLs, topics.

For `refactortrack migrate`, the tests' scratch namespaces and the integrations CLI.
aiokafka 0.14 sends ACL requests one binding at a time and has no call for SCRAM users
at all, so the requests are built here from its protocol classes:

- AlterUserScramCredentials (API key 51, v0) and DescribeUserScramCredentials (50, v0),
  both "flexible" (compact strings and arrays, tagged fields), which aiokafka lacks;
- CreateAcls (30), DescribeAcls (29) and DeleteAcls (31) at v1, aiokafka's own structs,
  but with every binding of a call in one request.

A SCRAM credential travels salted: the client sends PBKDF2-HMAC(password, salt,
iterations) and the broker derives the stored and server keys from it (RFC 5802), so
the password itself never reaches the broker.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, Literal

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaConnectionError, for_code
from aiokafka.protocol.admin import (
    CreateAclsRequest_v1,
    DeleteAclsRequest_v1,
    DescribeAclsRequest_v1,
)
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)

from core.settings import KafkaLogin, Settings
from stores.errors import unavailable_on
from stores.kafka_auth import client_options
from stores.kafka_sizing import new_topic
from topics.access import Grant, Operation, PatternType, ResourceType

Mechanism = Literal["SCRAM-SHA-256", "SCRAM-SHA-512"]

# Kafka's codes (org.apache.kafka.common.acl / resource / ScramMechanism).
RESOURCE_CODES: dict[ResourceType, int] = {"topic": 2, "group": 3, "cluster": 4}
PATTERN_CODES: dict[PatternType, int] = {"literal": 3, "prefixed": 4}
OPERATION_CODES: dict[Operation, int] = {
    "read": 3,
    "write": 4,
    "create": 5,
    "delete": 6,
    "describe": 8,
    "idempotent_write": 12,
}
MECHANISM_CODES: dict[Mechanism, int] = {"SCRAM-SHA-256": 1, "SCRAM-SHA-512": 2}
HASHES: dict[Mechanism, str] = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}
ANY, ALLOW = 1, 3
# Kafka's RESOURCE_NOT_FOUND, which aiokafka does not know: a user without credentials.
RESOURCE_NOT_FOUND = 91
# Kafka's bounds for SCRAM iterations are 4096..16384; twice the minimum costs a client
# a few milliseconds per login.
SCRAM_ITERATIONS = 8192
# Reverse maps for what the broker answers; a code missing here (an operation we never
# grant, a DENY) makes the binding show as "other".
_RESOURCE_NAMES = {code: name for name, code in RESOURCE_CODES.items()}
_PATTERN_NAMES = {code: name for name, code in PATTERN_CODES.items()}
_OPERATION_NAMES = {code: name for name, code in OPERATION_CODES.items()}
_MECHANISM_NAMES = {code: name for name, code in MECHANISM_CODES.items()}
# Seconds to wait for the broker to apply what the controller committed.
PROPAGATION_SECONDS = 15.0


class KafkaAdminError(RuntimeError):
    """The broker refused an administrative request; the message carries its reason."""


def salted_password(mechanism: Mechanism, password: str, salt: bytes, iterations: int) -> bytes:
    """SCRAM's SaltedPassword: Hi(password, salt, i) = PBKDF2-HMAC with the mechanism's hash.

    Kafka takes the password as UTF-8 bytes without SASLprep, as its own clients do.
    """
    return hashlib.pbkdf2_hmac(HASHES[mechanism], password.encode("utf-8"), salt, iterations)


def principal(username: str) -> str:
    return f"User:{username}"


# --- the flexible SCRAM requests aiokafka lacks ------------------------------------


class AlterUserScramCredentialsResponse_v0(Response):
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class AlterUserScramCredentialsRequest_v0(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = AlterUserScramCredentialsResponse_v0
    SCHEMA = Schema(
        (
            "deletions",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("mechanism", Int8),
                ("tags", TaggedFields),
            ),
        ),
        (
            "upsertions",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class AlterUserScramCredentials(Request[AlterUserScramCredentialsRequest_v0]):
    API_KEY = 51

    def __init__(
        self,
        deletions: Sequence[tuple[str, int]],
        upsertions: Sequence[tuple[str, int, int, bytes, bytes]],
    ) -> None:
        # Each entry ends with its (empty) tagged fields.
        self._deletions: list[tuple[Any, ...]] = [(*d, {}) for d in deletions]
        self._upsertions: list[tuple[Any, ...]] = [(*u, {}) for u in upsertions]

    def build(
        self, request_struct_class: type[AlterUserScramCredentialsRequest_v0]
    ) -> AlterUserScramCredentialsRequest_v0:
        return request_struct_class(self._deletions, self._upsertions, {})


class DescribeUserScramCredentialsResponse_v0(Response):
    API_KEY = 50
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        ("error_message", CompactString("utf-8")),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                (
                    "credential_infos",
                    CompactArray(
                        ("mechanism", Int8),
                        ("iterations", Int32),
                        ("tags", TaggedFields),
                    ),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class DescribeUserScramCredentialsRequest_v0(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 50
    API_VERSION = 0
    RESPONSE_TYPE = DescribeUserScramCredentialsResponse_v0
    SCHEMA = Schema(
        ("users", CompactArray(("name", CompactString("utf-8")), ("tags", TaggedFields))),
        ("tags", TaggedFields),
    )


class DescribeUserScramCredentials(Request[DescribeUserScramCredentialsRequest_v0]):
    API_KEY = 50

    def __init__(self, usernames: Sequence[str] | None) -> None:
        # None asks for every user.
        self._users: list[tuple[str, dict[int, bytes]]] | None = (
            None if usernames is None else [(name, {}) for name in usernames]
        )

    def build(
        self, request_struct_class: type[DescribeUserScramCredentialsRequest_v0]
    ) -> DescribeUserScramCredentialsRequest_v0:
        return request_struct_class(self._users, {})


# --- ACL requests carrying many bindings ---------------------------------------------

AclTuple = tuple[int, str | None, int, str | None, str | None, int, int]
"""(resource type, name, pattern type, principal, host, operation, permission)."""


class CreateAcls(Request[CreateAclsRequest_v1]):
    API_KEY = 30

    def __init__(self, creations: Sequence[AclTuple]) -> None:
        self._creations = list(creations)

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class(self._creations)


class DeleteAcls(Request[DeleteAclsRequest_v1]):
    API_KEY = 31

    def __init__(self, filters: Sequence[AclTuple]) -> None:
        self._filters = list(filters)

    def build(self, request_struct_class: type[DeleteAclsRequest_v1]) -> DeleteAclsRequest_v1:
        return request_struct_class(self._filters)


class DescribeAcls(Request[DescribeAclsRequest_v1]):
    API_KEY = 29

    def __init__(self, acl_filter: AclTuple) -> None:
        self._filter = acl_filter

    def build(self, request_struct_class: type[DescribeAclsRequest_v1]) -> DescribeAclsRequest_v1:
        return request_struct_class(*self._filter)


def _binding(username: str, grant: Grant) -> AclTuple:
    return (
        RESOURCE_CODES[grant.resource],
        grant.name,
        PATTERN_CODES[grant.pattern],
        principal(username),
        "*",
        OPERATION_CODES[grant.operation],
        ALLOW,
    )


def _error_text(code: int, message: str | None) -> str:
    known = for_code(code)
    name = known.__name__ if known.errno == code else f"error {code}"
    return f"{name}: {message or known.description}"


def _check(errors: Iterable[tuple[int, str | None]], what: str) -> None:
    """Raise KafkaAdminError with every error the broker answered, if any."""
    failures = [_error_text(code, message) for code, message in errors if code != 0]
    if failures:
        raise KafkaAdminError(f"{what}: " + "; ".join(sorted(set(failures))))


# --- what callers get back -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScramCredential:
    mechanism: str
    iterations: int


@dataclass(frozen=True, slots=True)
class PrincipalDescription:
    """A user as the broker knows it: its SCRAM credentials and the ACLs that allow it."""

    username: str
    credentials: list[ScramCredential] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    # Bindings of other shapes (DENY, a host other than *, operations we never grant).
    other_acls: list[str] = field(default_factory=list)


class KafkaAdmin:
    """One admin connection; `async with KafkaAdmin(settings) as admin: ...`.

    Logs in as the admin principal unless given another login (whose requests the
    broker then authorizes: the tests use that to show what a principal may not do).
    A broker that cannot be reached raises StoreUnavailable("kafka"); a refused request
    raises KafkaAdminError with the broker's reason.
    """

    ERRORS: ClassVar[tuple[type[BaseException], ...]] = (
        KafkaConnectionError,
        asyncio.TimeoutError,
        OSError,
    )

    def __init__(self, settings: Settings, login: KafkaLogin | None = None) -> None:
        self._settings = settings
        self._client = AIOKafkaAdminClient(
            **client_options(settings, login or settings.kafka_login("admin")),
            request_timeout_ms=15_000,
        )

    async def start(self) -> None:
        with unavailable_on("kafka", self.ERRORS):
            await self._client.start()

    async def close(self) -> None:
        await self._client.close()

    async def __aenter__(self) -> KafkaAdmin:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _send(self, request: Request[Any]) -> Any:
        # aiokafka's admin client has no public way to send a request of our own; its
        # client picks a broker (in KRaft, a broker forwards these to the controller).
        with unavailable_on("kafka", self.ERRORS):
            client = self._client._client
            return await client.send(client.get_random_node(), request)

    # --- SCRAM users -------------------------------------------------------------

    async def upsert_scram_user(
        self,
        username: str,
        password: str,
        *,
        mechanism: Mechanism | None = None,
        iterations: int = SCRAM_ITERATIONS,
    ) -> None:
        """Create the user's SCRAM credential, or replace it (a new password, a new salt)."""
        if not password:
            raise ValueError(f"refusing an empty password for Kafka user {username!r}")
        mech = mechanism or self._settings.kafka_sasl_mechanism
        salt = os.urandom(32)
        salted = salted_password(mech, password, salt, iterations)
        response = await self._send(
            AlterUserScramCredentials(
                [], [(username, MECHANISM_CODES[mech], iterations, salt, salted)]
            )
        )
        _check(
            ((r[1], r[2]) for r in response.results),
            f"setting the {mech} credential of {username!r}",
        )

    async def delete_scram_user(self, username: str, *, mechanism: Mechanism | None = None) -> bool:
        """Remove the user's credential; False when it had none. Its ACLs stay (delete_acls)."""
        mech = mechanism or self._settings.kafka_sasl_mechanism
        response = await self._send(
            AlterUserScramCredentials([(username, MECHANISM_CODES[mech])], [])
        )
        results = [(r[1], r[2]) for r in response.results]
        if any(code == RESOURCE_NOT_FOUND for code, _ in results):
            return False
        _check(results, f"deleting the {mech} credential of {username!r}")
        return True

    async def describe_scram_users(
        self, usernames: Sequence[str] | None = None
    ) -> dict[str, list[ScramCredential]]:
        """Each named user's credentials (none: not a SCRAM user); every user when None."""
        response = await self._send(DescribeUserScramCredentials(usernames))
        _check([(response.error_code, response.error_message)], "describing SCRAM users")
        found: dict[str, list[ScramCredential]] = {}
        for user, code, message, infos, _ in response.results:
            if code == RESOURCE_NOT_FOUND:
                found[user] = []
                continue
            _check([(code, message)], f"describing the SCRAM credentials of {user!r}")
            found[user] = [
                ScramCredential(_MECHANISM_NAMES.get(m, f"mechanism {m}"), i) for m, i, _ in infos
            ]
        return found

    async def wait_for_scram_users(self, usernames: Sequence[str]) -> None:
        """Until the broker (not only the controller) knows every user's credential."""
        deadline = time.monotonic() + PROPAGATION_SECONDS
        while True:
            known = await self.describe_scram_users(usernames)
            if all(known.get(name) for name in usernames):
                return
            if time.monotonic() > deadline:
                missing = [name for name in usernames if not known.get(name)]
                raise KafkaAdminError(f"the broker did not apply the credentials of {missing}")
            await asyncio.sleep(0.1)

    # --- ACLs --------------------------------------------------------------------

    async def create_acls(self, username: str, grants: Iterable[Grant]) -> int:
        """Allow `username` each grant (from any host). Existing bindings are kept as
        they are, so this is idempotent; returns how many bindings were sent."""
        bindings = sorted({_binding(username, g) for g in grants}, key=str)
        if not bindings:
            return 0
        response = await self._send(CreateAcls(bindings))
        _check(response.creation_responses, f"creating ACLs for {username!r}")
        return len(bindings)

    async def delete_acls(self, username: str, grants: Iterable[Grant]) -> int:
        """Remove exactly these bindings of `username`; returns how many existed."""
        filters = sorted({_binding(username, g) for g in grants}, key=str)
        if not filters:
            return 0
        response = await self._send(DeleteAcls(filters))
        _check(((r[0], r[1]) for r in response.filter_responses), f"deleting ACLs of {username!r}")
        return sum(len(r[2]) for r in response.filter_responses)

    async def delete_all_acls(self, username: str) -> int:
        """Remove every binding of `username`, whatever its resource; returns how many."""
        response = await self._send(
            DeleteAcls([(ANY, None, ANY, principal(username), None, ANY, ANY)])
        )
        _check(((r[0], r[1]) for r in response.filter_responses), f"deleting ACLs of {username!r}")
        return sum(len(r[2]) for r in response.filter_responses)

    async def describe_acls(self, username: str) -> tuple[list[Grant], list[str]]:
        """The grants that allow `username`, and any other binding naming it, as text."""
        response = await self._send(
            DescribeAcls((ANY, None, ANY, principal(username), None, ANY, ANY))
        )
        _check([(response.error_code, response.error_message)], f"describing ACLs of {username!r}")
        grants: list[Grant] = []
        other: list[str] = []
        for rtype, name, ptype, acls in response.resources:
            for _principal, host, op, permission in acls:
                resource = _RESOURCE_NAMES.get(rtype)
                pattern = _PATTERN_NAMES.get(ptype)
                operation = _OPERATION_NAMES.get(op)
                if resource and pattern and operation and host == "*" and permission == ALLOW:
                    grants.append(Grant(resource, pattern, name, operation))
                else:
                    other.append(
                        f"resource type {rtype} {name!r} pattern {ptype} host {host} "
                        f"operation {op} permission {permission}"
                    )
        return sorted(grants), other

    async def wait_for_acls(self, username: str, grants: Iterable[Grant]) -> None:
        """Until the broker authorizes with every grant: ACLs reach it after the controller
        commits them, and a client started at once would otherwise be refused."""
        wanted = set(grants)
        deadline = time.monotonic() + PROPAGATION_SECONDS
        while True:
            have, _ = await self.describe_acls(username)
            missing = wanted - set(have)
            if not missing:
                return
            if time.monotonic() > deadline:
                raise KafkaAdminError(
                    f"the broker did not apply {len(missing)} ACLs of {username!r}, e.g. "
                    f"{min(missing)}"
                )
            await asyncio.sleep(0.1)

    async def describe_principal(self, username: str) -> PrincipalDescription:
        credentials = (await self.describe_scram_users([username])).get(username, [])
        grants, other = await self.describe_acls(username)
        return PrincipalDescription(username, credentials, grants, other)

    # --- topics ------------------------------------------------------------------

    async def create_topics(
        self,
        names: Iterable[str],
        *,
        partitions: int | None = None,
        config: dict[str, str] | None = None,
    ) -> list[str]:
        """Create the topics that do not exist yet; returns those created."""
        existing = set(await self.list_topics())
        wanted = [n for n in dict.fromkeys(names) if n not in existing]
        if not wanted:
            return []
        new = [new_topic(self._settings, name, config, partitions=partitions) for name in wanted]
        with unavailable_on("kafka", self.ERRORS):
            response = await self._client.create_topics(new)
        outcomes = [(t[0], t[1], t[2] if len(t) > 2 else None) for t in response.topic_errors]
        # A topic that exists although the listing did not show it yet (the listing
        # lags a creation by a moment) or that another process created meanwhile is as
        # good as created -- but it was not created here, so it is not reported.
        existed = {n for n, c, _ in outcomes if for_code(c).__name__ == "TopicAlreadyExistsError"}
        _check(((c, m) for n, c, m in outcomes if n not in existed), "creating topics")
        return [n for n in wanted if n not in existed]

    async def delete_topics(self, names: Sequence[str]) -> None:
        if names:
            with unavailable_on("kafka", self.ERRORS):
                await self._client.delete_topics(list(names))

    async def list_topics(self) -> list[str]:
        with unavailable_on("kafka", self.ERRORS):
            topics: list[str] = await self._client.list_topics()
        return topics

    # --- the brokers -------------------------------------------------------------

    async def broker_ids(self) -> list[int]:
        with unavailable_on("kafka", self.ERRORS):
            await self._client._client.force_metadata_update()
        return sorted(broker.nodeId for broker in self._client._client.cluster.brokers())

    async def broker_config(self, broker_id: int) -> dict[str, str | None]:
        """One broker's configuration, name to value (None for a sensitive value)."""
        resource = ConfigResource(ConfigResourceType.BROKER, str(broker_id))
        with unavailable_on("kafka", self.ERRORS):
            (response,) = await self._client.describe_configs([resource])
        code, message, _type, _name, entries = response.resources[0]
        _check([(code, message)], f"describing broker {broker_id}'s configuration")
        return {entry[0]: entry[1] for entry in entries}
