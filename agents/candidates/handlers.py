"""Candidate command handlers, set-wise: `verb_nouns(commands, ctx, conn)` by command type."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter, ValidationError

from agents.context import (
    Applied,
    BatchHandler,
    HandlerContext,
    Result,
    before_commit,
    effective_time,
    new_event,
)
from agents.handling import each_command, parse_payload
from agents.metrics import timed
from core.clock import utcnow
from core.errors import (
    Conflict,
    Duplicate,
    InvalidCommand,
    NotFound,
    RTError,
    error_from_dict,
    invalid_from,
)
from core.settings import Settings
from domain import contact_points as rules
from domain.skills import canonical_skill
from domain.versions import check_version
from stores.postgres import candidates as repo
from stores.postgres.blind_indexes import insert_match_keys, replace_match_keys
from stores.postgres.candidates import ContactKey
from stores.postgres.database import Connection
from stores.postgres.documents import delete_documents, insert_documents
from stores.postgres.erasure import erase_candidate_data, merged_into, record_erasure
from stores.postgres.merging import move_candidate_records
from stores.postgres.rows import to_row
from topics.candidates import (
    CANDIDATE_CREATE,
    CANDIDATE_CREATE_BATCH,
    CANDIDATE_CREATED,
    CANDIDATE_ERASE,
    CANDIDATE_ERASED,
    CANDIDATE_MERGE,
    CANDIDATE_MERGED,
    CANDIDATE_UPDATE,
    CANDIDATE_UPDATED,
    DOCUMENT_PARSED,
    DOCUMENT_RECORD,
    PROFILE_DEFAULTS,
    CandidateCreate,
    CandidateErase,
    CandidateErased,
    CandidateFields,
    CandidateMerge,
    CandidateMerged,
    CandidateSnapshot,
    CandidateUpdate,
    DocumentRecord,
    DocumentSnapshot,
    compose_candidate,
)
from topics.envelopes import CommandEnvelope, EventEnvelope

PROFILE_FIELDS = tuple(PROFILE_DEFAULTS)
EVENT_TEXT_CHARS = 100_000
JSONB_FIELDS = frozenset({"location", "desired_rate", "desired_salary", "consent"})


def split_candidate(snapshot: CandidateSnapshot) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Postgres record and the Mongo profile of one candidate snapshot."""
    record = to_row(snapshot, JSONB_FIELDS, (*repo.META_FIELDS, *repo.RECORD_FIELDS))
    as_json = snapshot.model_dump(mode="json")
    profile = {k: as_json[k] for k in PROFILE_FIELDS}
    profile["version"] = snapshot.version
    return record, profile


class ContactPointTaken(Exception):
    """A concurrent transaction claimed an email or phone between look-up and insert."""


@dataclass(frozen=True, slots=True)
class NewCandidate:
    """A create command that passed validation, with what it would write."""

    command: CommandEnvelope
    id: UUID
    record: dict[str, Any]
    profile: dict[str, Any]
    points: list[tuple[str, str]]
    event: EventEnvelope

    @property
    def tenant_id(self) -> UUID:
        return self.command.tenant_id


_CREATES = TypeAdapter(list[CandidateCreate])


def validated_creates(commands: Sequence[CommandEnvelope]) -> list[CandidateCreate | RTError]:
    """Each create's payload validated, or the refusal of an invalid one.

    One pass over the whole set (a list adapter) when every payload is valid, as in an
    import; only when that fails is each validated alone, so a bad row is refused alone
    with its own reason.
    """
    try:
        return list(_CREATES.validate_python([c.payload for c in commands]))
    except ValidationError:
        pass
    out: list[CandidateCreate | RTError] = []
    for command in commands:
        try:
            out.append(CandidateCreate.model_validate(command.payload))
        except ValidationError as exc:
            out.append(invalid_from(exc))
    return out


def prepare_create(
    command: CommandEnvelope,
    settings: Settings,
    payload: CandidateCreate | None = None,
    phones_cache: dict[tuple[str, ...], list[str]] | None = None,
) -> NewCandidate:
    """Validate and normalise one `candidate.create`; raises the rule it breaks.

    The hot path of a bulk import: the payload is validated once (by the caller, for a
    set) and the snapshot built from its already-valid fields, then dumped once per form
    (Python for the row, JSON for the event and the profile). Phone lists already
    normalised in this set are taken from `phones_cache` (an import repeats few formats
    per value, and parsing a number is the dear part).
    """
    if payload is None:
        try:
            payload = CandidateCreate.model_validate(command.payload)
        except ValidationError as exc:
            raise invalid_from(exc) from None
    emails = rules.normalize_emails(payload.emails)
    phones = _normalized_phones(payload.phones, settings, phones_cache)
    now = effective_time(command)
    fields = {name: getattr(payload, name) for name in CandidateFields.model_fields}
    fields.update(
        emails=emails,
        phones=phones,
        id=payload.candidate_id,
        tenant_id=command.tenant_id,
        version=1,
        created_at=now,
        updated_at=now,
        merged_into=None,
    )
    snapshot = CandidateSnapshot.model_construct(**fields)
    native = snapshot.model_dump()
    data = snapshot.model_dump(mode="json")
    record = {
        k: data[k] if k in JSONB_FIELDS else native[k]
        for k in (*repo.META_FIELDS, *repo.RECORD_FIELDS)
    }
    profile = {k: data[k] for k in PROFILE_FIELDS}
    profile["version"] = 1
    event = new_event(
        command, type=CANDIDATE_CREATED, aggregate_id=snapshot.id, version=1, data=data
    )
    return NewCandidate(
        command, snapshot.id, record, profile, rules.contact_points(emails, phones), event
    )


def _normalized_phones(
    phones: list[str], settings: Settings, cache: dict[tuple[str, ...], list[str]] | None
) -> list[str]:
    if cache is None or not phones:
        return rules.normalize_phones(phones, settings.default_phone_region)
    key = tuple(phones)
    found = cache.get(key)
    if found is None:
        # Raises on a bad number, before anything is cached.
        found = cache[key] = rules.normalize_phones(phones, settings.default_phone_region)
    return list(found)


def _duplicate(key: ContactKey, holder: UUID) -> Duplicate:
    _, kind, _digest = key
    return Duplicate(
        # The value stays out of the text: refusals are kept and shown; the id suffices.
        f"a candidate with this {kind} already exists",
        duplicate_of=str(holder),
        field="emails" if kind == "email" else "phones",
    )


async def create_candidates(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    """Apply creates set-wise: a few statements for the whole batch, whatever its size.

    Duplicates are found against the store and within the batch (the first create of an
    email or phone wins), so a bulk import of a file with repeats behaves like the same
    creates sent one by one.
    """
    results: dict[int, Result] = {}
    valid: list[tuple[int, NewCandidate]] = []
    phones_cache: dict[tuple[str, ...], list[str]] = {}
    with timed("creates: validate + prepare"):
        payloads = validated_creates(commands)
        for i, (command, payload) in enumerate(zip(commands, payloads, strict=True)):
            if isinstance(payload, RTError):
                results[i] = payload
                continue
            try:
                valid.append((i, prepare_create(command, ctx.settings, payload, phones_cache)))
            except RTError as error:
                results[i] = error

    # Contact points are compared by their blind indexes, made with the version each
    # agency's stored ones were made with (held until commit: a rotation waits).
    at_rest = ctx.stores.at_rest
    with timed("creates: blind indexes + contact holders"):
        indexes = await at_rest.indexes(conn, {new.tenant_id for _, new in valid})
        keys = {i: indexes[new.tenant_id].points(new.points) for i, new in valid}
        held = await repo.contact_holders(conn, [k for i, _ in valid for k in keys[i]])
    unique: list[tuple[int, NewCandidate]] = []
    for i, new in valid:
        clash = next((k for k in keys[i] if k in held), None)
        if clash is not None:
            results[i] = _duplicate(clash, held[clash])
            continue
        held.update(dict.fromkeys(keys[i], new.id))
        unique.append((i, new))

    with timed("creates: seal at rest + COPY"):
        inserted = await repo.insert_candidates(conn, await _sealed_records(ctx, unique))
    kept = []
    for i, new in unique:
        if new.id in inserted:
            kept.append((i, new))
        else:
            results[i] = Conflict(f"candidate {new.id} already exists")
    claims = [(k, new.id, indexes[new.tenant_id].version) for i, new in kept for k in keys[i]]
    with timed("creates: claims + match keys"):
        if not await repo.claim_contact_points(conn, claims):
            # A concurrent transaction took a point after our look-up; the whole transaction
            # rolls back and the retry sees who holds it.
            raise ContactPointTaken("a contact point was claimed concurrently")
        # The profiles go to MongoDB while the match keys, the ledger and the audit go to
        # Postgres: written only once every point is claimed (so a clash writes none),
        # and landed before the commit (`before_commit`). A crash or a failure after this
        # write but before the commit leaves profiles without records, which the
        # redelivered commands overwrite; never a record without its profile.
        await before_commit(
            _timed_write(
                "creates: MongoDB profiles",
                ctx.stores.mongo.put_profiles(
                    [(new.command.tenant_id, new.id, new.profile) for _, new in kept]
                ),
            )
        )
        await insert_match_keys(
            conn,
            [
                row
                for _, new in kept
                for row in indexes[new.tenant_id].match_rows(
                    new.id, new.record["emails"], new.record["phones"]
                )
            ],
        )
    for i, new in kept:
        results[i] = Applied(new.id, [new.event], resource=new.event.data)
    return [results[i] for i in range(len(commands))]


async def _timed_write(step: str, write: Awaitable[None]) -> None:
    with timed(step):
        await write


async def _sealed_records(
    ctx: HandlerContext, news: Sequence[tuple[int, NewCandidate]]
) -> list[dict[str, Any]]:
    """The new records with e-mails and phones sealed, each with its candidate's key."""
    by_tenant: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
    for _, new in news:
        by_tenant[new.tenant_id].append(new.record)
    sealed: dict[UUID, dict[str, Any]] = {}
    for tenant_id, records in by_tenant.items():
        for record in await ctx.stores.at_rest.seal_candidates(tenant_id, records):
            sealed[record["id"]] = record
    return [sealed[new.id] for _, new in news]


async def _store_candidate(
    ctx: HandlerContext, conn: Connection, snapshot: CandidateSnapshot
) -> None:
    """Write a changed candidate: the record (e-mails and phones sealed) and the profile."""
    record, profile = split_candidate(snapshot)
    (sealed,) = await ctx.stores.at_rest.seal_candidates(snapshot.tenant_id, [record])
    await repo.update_candidate(conn, sealed)
    await ctx.stores.mongo.put_profile(snapshot.tenant_id, snapshot.id, profile)


async def _current(
    ctx: HandlerContext, record: dict[str, Any], profile: dict[str, Any] | None
) -> CandidateSnapshot:
    """The whole candidate from its stored record (e-mails and phones opened) and profile."""
    (opened,) = await ctx.stores.at_rest.open_candidates([record])
    return compose_candidate(opened, profile)


async def update_candidates(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    """Apply partial updates; each candidate's row is locked for the transaction."""

    async def apply(command: CommandEnvelope) -> Applied:
        return await _update_candidate(command, ctx, conn)

    return await each_command(commands, conn, apply)


async def _update_candidate(
    command: CommandEnvelope, ctx: HandlerContext, conn: Connection
) -> Applied:
    try:
        payload = CandidateUpdate.model_validate(command.payload)
    except ValidationError as exc:
        raise invalid_from(exc) from None
    tenant_id, candidate_id = command.tenant_id, payload.candidate_id
    record = await repo.lock_candidate(conn, tenant_id, candidate_id)
    if record is None:
        raise NotFound(f"no candidate {candidate_id}")
    check_version("candidate", candidate_id, record["version"], command.expected_version)
    profile = (await ctx.stores.mongo.get_profiles(tenant_id, [candidate_id])).get(
        str(candidate_id), {}
    )
    current = await _current(ctx, record, profile)
    changes = payload.changes.changes()
    if "emails" in changes:
        changes["emails"] = rules.normalize_emails(changes["emails"])
    if "phones" in changes:
        changes["phones"] = rules.normalize_phones(
            changes["phones"], ctx.settings.default_phone_region
        )
    try:
        snapshot = CandidateSnapshot.model_validate(
            {
                **current.model_dump(mode="json"),
                **changes,
                "version": current.version + 1,
                "updated_at": utcnow(),
            }
        )
    except ValidationError as exc:
        raise invalid_from(exc) from None

    before = set(rules.contact_points(current.emails, current.phones))
    after = rules.contact_points(snapshot.emails, snapshot.phones)
    index = await ctx.stores.at_rest.index(conn, tenant_id)
    added = index.points(p for p in after if p not in before)
    removed = index.points(p for p in before if p not in set(after))
    held = await repo.contact_holders(conn, added)
    if held:
        clash, holder = next(iter(held.items()))
        raise _duplicate(clash, holder)
    await repo.release_contact_points(conn, candidate_id, removed)
    if not await repo.claim_contact_points(conn, [(k, candidate_id, index.version) for k in added]):
        raise ContactPointTaken("a contact point was claimed concurrently")
    await replace_match_keys(
        conn,
        tenant_id,
        [candidate_id],
        index.match_rows(candidate_id, snapshot.emails, snapshot.phones),
    )
    await _store_candidate(ctx, conn, snapshot)
    event = new_event(
        command,
        type=CANDIDATE_UPDATED,
        aggregate_id=candidate_id,
        version=snapshot.version,
        data=snapshot.model_dump(mode="json"),
    )
    return Applied(candidate_id, [event], resource=event.data)


async def mark_candidate(
    conn: Connection,
    ctx: HandlerContext,
    command: CommandEnvelope,
    candidate_id: UUID,
    status: str,
    *,
    only_from: str | None = None,
) -> EventEnvelope | None:
    """Set a candidate's status as a consequence of another command (a placement, say).

    With `only_from`, only a candidate in that status changes (a placement ending frees a
    placed candidate, not one marked do_not_use meanwhile). Returns the
    `candidate.updated` event, or None when nothing changed.
    """
    record = await repo.lock_candidate(conn, command.tenant_id, candidate_id)
    if record is None or record["status"] == status:
        return None
    if only_from is not None and record["status"] != only_from:
        return None
    profile = (await ctx.stores.mongo.get_profiles(command.tenant_id, [candidate_id])).get(
        str(candidate_id)
    )
    current = await _current(ctx, record, profile)
    snapshot = current.model_copy(
        update={"status": status, "version": current.version + 1, "updated_at": utcnow()}
    )
    # Only what changed: the e-mails and phones stay as they are stored (sealed).
    await repo.update_candidate(
        conn,
        {
            "id": candidate_id,
            "tenant_id": command.tenant_id,
            "status": status,
            "version": snapshot.version,
            "updated_at": snapshot.updated_at,
        },
    )
    return new_event(
        command,
        type=CANDIDATE_UPDATED,
        aggregate_id=candidate_id,
        version=snapshot.version,
        data=snapshot.model_dump(mode="json"),
    )


async def erase_candidates(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(CandidateErase, command)
        tenant_id, candidate_id = command.tenant_id, payload.candidate_id
        if await repo.lock_candidate(conn, tenant_id, candidate_id) is None:
            raise NotFound(f"no candidate {candidate_id}")
        # Duplicates merged into this candidate are the same person: they go too.
        people = [candidate_id, *await merged_into(conn, tenant_id, candidate_id)]
        events = []
        for person in people:
            await erase_candidate_data(conn, tenant_id, person)
            await delete_documents(conn, tenant_id, person)
            # Every file of the person, including one whose attach was refused and that
            # no document row points to.
            await ctx.stores.mongo.delete_files_of(tenant_id, person)
            await ctx.stores.mongo.delete_profile(person)
            erased = CandidateErased(
                id=person, tenant_id=tenant_id, erased_at=utcnow(), erased_by=command.actor.label
            )
            await record_erasure(conn, erased)
            events.append(
                new_event(
                    command,
                    type=CANDIDATE_ERASED,
                    aggregate_id=person,
                    version=0,
                    data=erased.model_dump(mode="json"),
                )
            )
        ctx.stores.keys.forget(tenant_id, people)
        return Applied(candidate_id, events, resource=None)

    return await each_command(commands, conn, apply)


def _union(first: Sequence[Any], second: Sequence[Any], key: Any = None) -> list[Any]:
    seen: set[Any] = set()
    out: list[Any] = []
    for item in [*first, *second]:
        k = key(item) if key else item
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


async def merge_candidates(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(CandidateMerge, command)
        tenant_id = command.tenant_id
        survivor_id, duplicate_id = payload.candidate_id, payload.duplicate_id
        if survivor_id == duplicate_id:
            raise InvalidCommand("a candidate cannot be merged into itself", field="duplicate_id")
        # Lock in id order so two opposite merges cannot deadlock.
        locked = {}
        for cid in sorted((survivor_id, duplicate_id)):
            record = await repo.lock_candidate(conn, tenant_id, cid)
            if record is None:
                raise NotFound(f"no candidate {cid}")
            if record["merged_into"] is not None:
                raise Conflict(f"candidate {cid} was already merged into {record['merged_into']}")
            locked[cid] = record
        profiles = await ctx.stores.mongo.get_profiles(tenant_id, [survivor_id, duplicate_id])
        survivor = await _current(ctx, locked[survivor_id], profiles.get(str(survivor_id)))
        duplicate = await _current(ctx, locked[duplicate_id], profiles.get(str(duplicate_id)))
        moved_submissions, moved_notes = await move_candidate_records(
            conn, tenant_id, duplicate_id, survivor_id
        )
        now = utcnow()
        merged = survivor.model_copy(
            update={
                "emails": _union(survivor.emails, duplicate.emails),
                "phones": _union(survivor.phones, duplicate.phones),
                "tags": _union(survivor.tags, duplicate.tags),
                "skills": _union(survivor.skills, duplicate.skills, key=lambda s: s.name.lower()),
                "work_history": _union(
                    survivor.work_history,
                    duplicate.work_history,
                    key=lambda w: (w.employer.lower(), w.title, w.start_date),
                ),
                "education": _union(
                    survivor.education,
                    duplicate.education,
                    key=lambda e: (e.institution.lower(), e.degree),
                ),
                "links": _union(survivor.links, duplicate.links, key=lambda link: link.url),
                "version": survivor.version + 1,
                "updated_at": now,
            }
        )
        folded = duplicate.model_copy(
            update={
                "merged_into": survivor_id,
                "version": duplicate.version + 1,
                "updated_at": now,
            }
        )
        for snapshot in (merged, folded):
            await _store_candidate(ctx, conn, snapshot)
        # The survivor's contact points are the duplicate's too now (moved above); its
        # match keys are those of the union. The folded record keeps its own.
        index = await ctx.stores.at_rest.index(conn, tenant_id)
        await replace_match_keys(
            conn,
            tenant_id,
            [survivor_id],
            index.match_rows(survivor_id, merged.emails, merged.phones),
        )
        facts = CandidateMerged(
            survivor_id=survivor_id,
            duplicate_id=duplicate_id,
            moved_submissions=len(moved_submissions),
            moved=moved_submissions,
            moved_notes=moved_notes,
        )
        events = [
            new_event(
                command,
                type=CANDIDATE_MERGED,
                aggregate_id=survivor_id,
                version=merged.version,
                data=facts.model_dump(mode="json"),
            ),
            new_event(
                command,
                type=CANDIDATE_UPDATED,
                aggregate_id=survivor_id,
                version=merged.version,
                data=merged.model_dump(mode="json"),
            ),
            new_event(
                command,
                type=CANDIDATE_UPDATED,
                aggregate_id=duplicate_id,
                version=folded.version,
                data=folded.model_dump(mode="json"),
            ),
        ]
        return Applied(survivor_id, events, resource=merged.model_dump(mode="json"))

    return await each_command(commands, conn, apply)


async def record_documents(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    """Record resumes the resume reader has read (agents/documents/): the row, and the
    vocabulary's skills the text adds to the profile's.

    No file is parsed here: the reader did it in a process with limits before any
    transaction, and this only writes what it found, or rejects with its refusal.
    """

    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(DocumentRecord, command)
        if payload.refusal is not None:
            raise error_from_dict(payload.refusal.model_dump())
        tenant_id = command.tenant_id
        record = await repo.get_candidate(conn, tenant_id, payload.candidate_id)
        if record is None:
            raise NotFound(f"no candidate {payload.candidate_id}")
        text = await ctx.stores.files.text(tenant_id, payload.document_id)
        if text is None:
            raise NotFound(f"no stored text for document {payload.document_id}")
        profile = (await ctx.stores.mongo.get_profiles(tenant_id, [payload.candidate_id])).get(
            str(payload.candidate_id)
        )
        known = {canonical_skill(s["name"]).lower() for s in (profile or {}).get("skills", [])}
        proposed = [s for s in payload.skills if s.lower() not in known]
        document = DocumentSnapshot(
            id=payload.document_id,
            tenant_id=tenant_id,
            candidate_id=payload.candidate_id,
            filename=payload.filename,
            media_type=payload.media_type,
            size=payload.size,
            sha256=payload.sha256,
            text_chars=len(text),
            proposed_skills=proposed,
            created_at=utcnow(),
        )
        if not await insert_documents(conn, [document.model_dump()]):
            raise Conflict(f"document {document.id} already exists")
        data = document.model_dump(mode="json")
        # The text rides on the event for the search indexer, capped well under a message.
        event = new_event(
            command,
            type=DOCUMENT_PARSED,
            aggregate_id=payload.candidate_id,
            version=0,
            data={**data, "text": text[:EVENT_TEXT_CHARS]},
        )
        return Applied(document.id, [event], resource=data)

    return await each_command(commands, conn, apply)


HANDLERS: dict[str, BatchHandler] = {
    CANDIDATE_CREATE: create_candidates,
    # The processor applies a batch as its rows, single creates (topics/batches.py).
    CANDIDATE_CREATE_BATCH: create_candidates,
    CANDIDATE_UPDATE: update_candidates,
    CANDIDATE_ERASE: erase_candidates,
    CANDIDATE_MERGE: merge_candidates,
    DOCUMENT_RECORD: record_documents,
}
