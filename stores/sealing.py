"""Seals the personal fields of commands and events before they leave a process, and opens
them where they are used (the contract: topics/personal.py; the mechanics:
topics/sealing.py; the keys: stores/keyring.py).

Whoever sends a command seals it: the gateway, the jobs (imports, demo data, retention),
and the integration gate for what integrations send in the clear. The subject of a
command, whose key seals it, is found from its payload, or for a stage change, feedback
or a note on a submission, from the submission's candidate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID

from stores.keyring import Keyring
from stores.postgres import subjects
from stores.postgres.database import Database
from topics import personal
from topics.batches import MalformedBatch, row_commands, with_rows
from topics.envelopes import CommandEnvelope, EventEnvelope
from topics.sealing import has_sealed, open_fields, seal_fields

Subject = tuple[UUID, str]
"""(subject id, subject type)"""


def _direct_subject(command: CommandEnvelope) -> Subject | UUID | None:
    """The command's subject when its payload names it; else the submission to look up."""
    payload = command.payload
    try:
        if command.type.startswith(("candidate.", "document.")):
            return UUID(str(payload["candidate_id"])), "candidate"
        if command.type.startswith("contact."):
            return UUID(str(payload["contact_id"])), "contact"
        if command.type == "note.create":
            kind = payload.get("subject_type")
            if kind in ("candidate", "contact"):
                return UUID(str(payload["subject_id"])), str(kind)
            if kind == "submission":
                return UUID(str(payload["subject_id"]))
            return None
        if "submission_id" in payload:
            return UUID(str(payload["submission_id"]))
    except (KeyError, ValueError, TypeError):
        # A malformed payload: the agent refuses it with the reason; nothing to seal.
        return None
    return None


class Sealer:
    def __init__(self, keys: Keyring, db: Database) -> None:
        self._keys = keys
        self._db = db

    @property
    def keys(self) -> Keyring:
        return self._keys

    async def _subjects(self, commands: Sequence[CommandEnvelope]) -> list[Subject | None]:
        direct = [_direct_subject(c) if c.type in personal.COMMANDS else None for c in commands]
        lookups: dict[UUID, set[UUID]] = defaultdict(set)
        for command, found in zip(commands, direct, strict=True):
            if isinstance(found, UUID):
                lookups[command.tenant_id].add(found)
        candidates: dict[tuple[UUID, UUID], UUID] = {}
        if lookups:
            async with self._db.lookup() as conn:
                for tenant_id, submission_ids in lookups.items():
                    owners = await subjects.candidates_of_submissions(
                        conn, tenant_id, submission_ids
                    )
                    candidates.update({(tenant_id, s): c for s, c in owners.items()})
        out: list[Subject | None] = []
        for command, found in zip(commands, direct, strict=True):
            if isinstance(found, UUID):
                owner = candidates.get((command.tenant_id, found))
                out.append((owner, "candidate") if owner else None)
            else:
                out.append(found)
        return out

    async def seal_commands(self, commands: Sequence[CommandEnvelope]) -> list[CommandEnvelope]:
        """The commands with their personal fields sealed and `subject_id` set.

        A batch command's rows are sealed as the single commands they stand for, each with
        its own person's key, every key of the call made or found in one round trip.
        """
        if not self._keys.sealing:
            # Measuring what sealing costs (PERSONAL_DATA_SEALING=off): sent as they are.
            return [c.model_copy(update={"subject_id": None}) for c in commands]
        singles: list[CommandEnvelope] = []
        spans: list[tuple[int, list[int]] | None] = []
        for command in commands:
            try:
                rows = row_commands(command) if command.type in personal.BATCH_COMMANDS else None
            except MalformedBatch:
                rows = None  # the worker refuses it with the reason; nothing to seal
            if rows is None:
                spans.append(None)
                singles.append(command)
                continue
            spans.append((len(singles), [index for index, _ in rows]))
            singles.extend(row for _, row in rows)
        sealed = await self._seal_singles(singles)
        out: list[CommandEnvelope] = []
        at = 0
        for command, span in zip(commands, spans, strict=True):
            if span is None:
                out.append(sealed[at])
                at += 1
                continue
            start, indexes = span
            rows = list(zip(indexes, sealed[start : start + len(indexes)], strict=True))
            out.append(with_rows(command, rows))
            at += len(indexes)
        return out

    async def _seal_singles(self, commands: Sequence[CommandEnvelope]) -> list[CommandEnvelope]:
        found = await self._subjects(commands)
        wanted: dict[UUID, dict[UUID, str]] = defaultdict(dict)
        for command, subject in zip(commands, found, strict=True):
            if subject is not None:
                wanted[command.tenant_id][subject[0]] = subject[1]
        keys = {t: await self._keys.people(t, [], create=s) for t, s in wanted.items()}
        sealed: list[CommandEnvelope] = []
        for command, subject in zip(commands, found, strict=True):
            if subject is None:
                sealed.append(command.model_copy(update={"subject_id": None}))
                continue
            payload = seal_fields(
                command.payload,
                personal.COMMANDS[command.type].paths,
                keys[command.tenant_id][subject[0]],
                command.tenant_id,
                subject[0],
            )
            sealed.append(command.model_copy(update={"payload": payload, "subject_id": subject[0]}))
        return sealed

    async def seal_command(self, command: CommandEnvelope) -> CommandEnvelope:
        return (await self.seal_commands([command]))[0]

    async def open_commands(
        self, commands: Sequence[CommandEnvelope]
    ) -> list[CommandEnvelope | None]:
        """The commands opened; None for one whose subject's key is gone (erased)."""
        keys = await self._keys_for(
            [(c.tenant_id, c.subject_id) for c in commands if self._sealed_command(c)]
        )
        out: list[CommandEnvelope | None] = []
        for command in commands:
            if not self._sealed_command(command):
                out.append(command)
                continue
            assert command.subject_id is not None
            key = keys.get((command.tenant_id, command.subject_id))
            payload, whole = open_fields(
                command.payload,
                personal.COMMANDS[command.type].paths,
                key,
                command.tenant_id,
                command.subject_id,
            )
            out.append(command.model_copy(update={"payload": payload}) if whole else None)
        return out

    @staticmethod
    def _sealed_command(command: CommandEnvelope) -> bool:
        spec = personal.COMMANDS.get(command.type)
        return (
            spec is not None
            and command.subject_id is not None
            and has_sealed(command.payload, spec.paths)
        )

    # --- events -----------------------------------------------------------------------

    @staticmethod
    def _event_subject(event: EventEnvelope) -> UUID | None:
        spec = personal.EVENTS.get(event.type)
        if spec is None:
            return None
        return event.aggregate_id if spec.subject_is_aggregate else event.subject_id

    async def seal_events(self, events: Sequence[EventEnvelope]) -> list[EventEnvelope]:
        if not self._keys.sealing:
            return list(events)
        wanted: dict[UUID, dict[UUID, str]] = defaultdict(dict)
        for event in events:
            subject = self._event_subject(event)
            if subject is not None:
                kind = "contact" if event.type.startswith("contact.") else "candidate"
                wanted[event.tenant_id][subject] = kind
        if not wanted:
            return list(events)
        keys = {t: await self._keys.people(t, [], create=s) for t, s in wanted.items()}
        out: list[EventEnvelope] = []
        for event in events:
            subject = self._event_subject(event)
            if subject is None:
                out.append(event)
                continue
            data = seal_fields(
                event.data,
                personal.EVENTS[event.type].paths,
                keys[event.tenant_id][subject],
                event.tenant_id,
                subject,
            )
            out.append(event.model_copy(update={"data": data, "subject_id": subject}))
        return out

    async def open_events(
        self, events: Sequence[EventEnvelope], *, keep_erased: bool = False
    ) -> list[EventEnvelope]:
        """The events opened; one whose subject's key is gone (erased) is left out, or
        with `keep_erased` kept with its personal fields null (a webhook still says that
        something happened, without saying about whom)."""
        sealed = [
            (e, s)
            for e in events
            if (s := self._event_subject(e)) is not None
            and has_sealed(e.data, personal.EVENTS[e.type].paths)
        ]
        keys = await self._keys_for([(e.tenant_id, s) for e, s in sealed])
        opened: dict[UUID, EventEnvelope | None] = {}
        for event, subject in sealed:
            data, whole = open_fields(
                event.data,
                personal.EVENTS[event.type].paths,
                keys.get((event.tenant_id, subject)),
                event.tenant_id,
                subject,
            )
            keep = whole or keep_erased
            opened[event.event_id] = event.model_copy(update={"data": data}) if keep else None
        out: list[EventEnvelope] = []
        for event in events:
            if event.event_id not in opened:
                out.append(event)
            elif (done := opened[event.event_id]) is not None:
                out.append(done)
        return out

    async def _keys_for(
        self, pairs: Sequence[tuple[UUID, UUID | None]]
    ) -> dict[tuple[UUID, UUID], bytes]:
        by_tenant: dict[UUID, set[UUID]] = defaultdict(set)
        for tenant_id, subject_id in pairs:
            if subject_id is not None:
                by_tenant[tenant_id].add(subject_id)
        found: dict[tuple[UUID, UUID], bytes] = {}
        for tenant_id, subject_ids in by_tenant.items():
            keys = await self._keys.people(tenant_id, subject_ids)
            found.update({(tenant_id, s): k for s, k in keys.items()})
        return found
